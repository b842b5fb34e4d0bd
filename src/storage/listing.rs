//! Listing a bucket's keys (ListObjects v1 and v2): pages read in batches of rows, keys under a
//! delimiter rolled up into common prefixes.

use rusqlite::Connection;

use super::meta;
use super::store::{ensure_bucket, Store};
use crate::error::S3Result;

/// Parameters of one listing page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Return only keys (and common prefixes) after this.
    pub start_after: Option<String>,
    pub max_keys: usize,
}

/// One listing page.
#[derive(Debug, Default)]
pub struct ListPage {
    pub objects: Vec<meta::ListedObject>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix returned: where the next page starts after.
    pub last: Option<String>,
}

impl Store {
    /// One page of a listing, with common prefixes rolled up by `delimiter`. Read beside the
    /// writer (a page of 1 000 keys takes a few hundred microseconds: on the writer it held up
    /// every write, and listings could not use both cores).
    pub async fn list_objects(&self, bucket: &str, q: ListQuery) -> S3Result<ListPage> {
        let bucket = bucket.to_string();
        self.with_reader_off(move |c| {
            // One snapshot for the bucket's existence and its keys.
            let tx = c.unchecked_transaction()?;
            ensure_bucket(&tx, &bucket)?;
            list_page(&tx, &bucket, &q)
        })
        .await
    }
}

/// The smallest byte string greater than every string starting with `prefix`; `None` when there
/// is none (empty prefix or all 0xFF).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xFF {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// The common prefix `key` rolls up to in a listing of `prefix` with `delimiter`: `key` up to and
/// including the first `delimiter` after `prefix`; `None` when there is none (or `key` does not
/// start with `prefix`).
pub fn rolled_prefix<'k>(key: &'k [u8], prefix: &[u8], delimiter: &[u8]) -> Option<&'k [u8]> {
    let rest = key.strip_prefix(prefix)?;
    let pos = rest.windows(delimiter.len()).position(|w| w == delimiter)?;
    key.get(..prefix.len() + pos + delimiter.len())
}

/// Rows fetched per query while listing.
pub(super) const LIST_BATCH: usize = 256;

fn list_page(c: &Connection, bucket: &str, q: &ListQuery) -> S3Result<ListPage> {
    let mut page = ListPage::default();
    if q.max_keys == 0 {
        return Ok(page);
    }
    let prefix = q.prefix.as_bytes();
    let upper = prefix_successor(prefix).filter(|_| !prefix.is_empty());
    let marker = q.start_after.as_deref().map(str::as_bytes);
    let (mut lower, mut exclusive) = match marker {
        Some(m) if m >= prefix => (m.to_vec(), true),
        _ => (prefix.to_vec(), false),
    };
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty()).map(str::as_bytes);
    let mut count = 0usize;
    // Whether the page's last entry is an object (else a common prefix, or nothing).
    let mut last_is_object = false;
    page.objects.reserve(q.max_keys.min(1000));
    'scan: loop {
        let rows = meta::scan_objects(c, bucket, &lower, exclusive, upper.as_deref(), LIST_BATCH)?;
        let full_batch = rows.len() == LIST_BATCH;
        for row in rows {
            let rolled = delimiter.and_then(|d| rolled_prefix(row.key.as_bytes(), prefix, d)).map(<[u8]>::to_vec);
            if let Some(cp) = rolled {
                if marker.is_none_or(|m| cp.as_slice() > m) {
                    if count == q.max_keys {
                        page.truncated = true;
                        break 'scan;
                    }
                    let text = String::from_utf8_lossy(&cp).into_owned();
                    page.last = Some(text.clone());
                    last_is_object = false;
                    page.common_prefixes.push(text);
                    count += 1;
                }
                // Skip every other key under this common prefix.
                match prefix_successor(&cp) {
                    Some(next) => {
                        lower = next;
                        exclusive = false;
                        continue 'scan;
                    }
                    None => break 'scan,
                }
            }
            if count == q.max_keys {
                page.truncated = true;
                break 'scan;
            }
            page.objects.push(row);
            last_is_object = true;
            count += 1;
        }
        if !full_batch {
            break;
        }
        // A full batch ends with an object: the next starts after it.
        if let Some(o) = page.objects.last() {
            lower = o.key.as_bytes().to_vec();
            exclusive = true;
        }
    }
    if last_is_object {
        page.last = page.objects.last().map(|o| o.key.clone());
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_of_prefixes() {
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_successor(&[b'a', 0xFF]), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(&[0xFF]), None);
    }

    #[test]
    fn keys_roll_up_at_the_first_delimiter_after_the_prefix() {
        assert_eq!(rolled_prefix(b"a/b/c", b"", b"/"), Some(&b"a/"[..]));
        assert_eq!(rolled_prefix(b"a/b/c", b"a/", b"/"), Some(&b"a/b/"[..]));
        assert_eq!(rolled_prefix(b"a/b", b"a/", b"/"), None);
        assert_eq!(rolled_prefix(b"x--y--z", b"x", b"--"), Some(&b"x--"[..]));
        assert_eq!(rolled_prefix(b"b/c", b"a", b"/"), None);
    }
}
