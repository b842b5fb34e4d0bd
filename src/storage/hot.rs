//! What the hottest reads found, kept in memory: object rows by key (with the bodies small
//! objects keep in their rows) and rendered listing pages by request, valid until the next write, and small bodies of files by blob id, valid for ever (a blob's file never changes under its id: a new
//! body gets a new id).
//!
//! A profile of presigned GETs of a 4 KiB object spent a sixth of the server's time in SQLite
//! (its read transaction takes and releases file locks) and a twentieth opening and reading the
//! file; both are skipped on a hit. See the README's benchmark table for what it bought.
//!
//! Rows are tagged with the write count read *before* the lookup, and the count goes up after
//! every transaction of the writer (on the writer thread, before any of its answers leave, so a
//! dropped request cannot skip it). A row is used only while the count is unchanged, so no answer can be older than the
//! last acknowledged write: a client's write is acknowledged after its count went up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

use super::meta::ObjectMeta;

/// Rows kept at most; when full, all are dropped (a cheap bound, refilled by the next reads).
const MAX_ROWS: usize = 4096;

/// Bytes of bodies kept at most, and the largest body kept.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_BODY: u64 = 64 * 1024;

/// Listing pages kept at most, their bytes at most, and the largest page kept.
const MAX_PAGES: usize = 64;
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
const MAX_PAGE: usize = 2 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Hot {
    writes: AtomicU64,
    rows: Mutex<UntilWrite<ObjectMeta, MAX_ROWS, MAX_BODY_BYTES>>,
    pages: Mutex<UntilWrite<Bytes, MAX_PAGES, MAX_PAGE_BYTES>>,
    bodies: Mutex<Bodies>,
}

/// Values read at one write count, usable while the count stays there: at most `ENTRIES` of
/// them, of `BYTES` in all.
#[derive(Debug)]
struct UntilWrite<V, const ENTRIES: usize, const BYTES: usize> {
    /// The write count the values were read at.
    at: u64,
    by_key: HashMap<String, (V, usize)>,
    /// The sum of the values' sizes.
    bytes: usize,
}

impl<V, const ENTRIES: usize, const BYTES: usize> Default for UntilWrite<V, ENTRIES, BYTES> {
    fn default() -> Self {
        UntilWrite { at: 0, by_key: HashMap::new(), bytes: 0 }
    }
}

impl<V: Clone, const ENTRIES: usize, const BYTES: usize> UntilWrite<V, ENTRIES, BYTES> {
    fn get(&self, now: u64, key: &str) -> Option<V> {
        if self.at != now {
            return None;
        }
        self.by_key.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value` (of `size` bytes), read by a lookup that started at write count `at`, when
    /// that is still the current count `now`; all are dropped when a bound would be passed.
    fn keep(&mut self, now: u64, at: u64, key: String, value: V, size: usize) {
        if self.at != at {
            if at < self.at || at != now {
                return;
            }
            self.clear();
            self.at = at;
        }
        if self.by_key.len() >= ENTRIES || self.bytes + size > BYTES {
            self.clear();
        }
        self.bytes += size;
        if let Some((_, old)) = self.by_key.insert(key, (value, size)) {
            self.bytes -= old;
        }
    }

    fn clear(&mut self) {
        self.by_key.clear();
        self.bytes = 0;
    }
}

#[derive(Debug, Default)]
struct Bodies {
    bytes: usize,
    by_blob: HashMap<String, Bytes>,
}

/// The map key of an object: bucket names cannot hold `/`.
fn row_key(bucket: &str, key: &str) -> String {
    let mut k = String::with_capacity(bucket.len() + 1 + key.len());
    k.push_str(bucket);
    k.push('/');
    k.push_str(key);
    k
}

impl Hot {
    /// Called by the writer after each of its transactions, committed or not.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// The write count to tag a lookup about to start with.
    pub fn now(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// The row read at the current write count, if any.
    pub fn row(&self, bucket: &str, key: &str) -> Option<ObjectMeta> {
        let now = self.now();
        self.rows.lock().ok()?.get(now, &row_key(bucket, key))
    }

    /// Keeps a row read by a lookup that started at write count `at`.
    pub fn keep_row(&self, at: u64, bucket: &str, meta: &ObjectMeta) {
        let now = self.now();
        let Ok(mut rows) = self.rows.lock() else { return };
        let body = meta.body.as_ref().map_or(0, |b| b.len());
        rows.keep(now, at, row_key(bucket, &meta.key), meta.clone(), body);
    }

    /// Forgets every row (a body that was expected is gone).
    pub fn forget_rows(&self) {
        if let Ok(mut rows) = self.rows.lock() {
            rows.clear();
        }
    }

    /// A listing page rendered at the current write count for the request `key` describes.
    pub fn page(&self, key: &str) -> Option<Bytes> {
        let now = self.now();
        self.pages.lock().ok()?.get(now, key)
    }

    /// Keeps a listing page rendered from a listing that started at write count `at`.
    pub fn keep_page(&self, at: u64, key: &str, page: &Bytes) {
        if page.len() > MAX_PAGE {
            return;
        }
        let now = self.now();
        let Ok(mut pages) = self.pages.lock() else { return };
        pages.keep(now, at, key.to_string(), page.clone(), page.len());
    }

    pub fn body(&self, blob_id: &str) -> Option<Bytes> {
        self.bodies.lock().ok()?.by_blob.get(blob_id).cloned()
    }

    pub fn keep_body(&self, blob_id: &str, body: &Bytes) {
        if body.len() as u64 > MAX_BODY {
            return;
        }
        let Ok(mut bodies) = self.bodies.lock() else { return };
        if bodies.bytes + body.len() > MAX_BODY_BYTES {
            bodies.by_blob.clear();
            bodies.bytes = 0;
        }
        bodies.bytes += body.len();
        if let Some(old) = bodies.by_blob.insert(blob_id.to_string(), body.clone()) {
            bodies.bytes -= old.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(key: &str, etag: &str) -> ObjectMeta {
        ObjectMeta { key: key.into(), etag: etag.into(), ..Default::default() }
    }

    #[test]
    fn a_row_is_used_only_until_the_next_write() {
        let hot = Hot::default();
        let at = hot.now();
        hot.keep_row(at, "b", &meta("k", "1"));
        assert_eq!(hot.row("b", "k").map(|m| m.etag), Some("1".to_string()));
        assert!(hot.row("b", "other").is_none());
        hot.wrote();
        assert!(hot.row("b", "k").is_none());
    }

    #[test]
    fn a_row_read_before_a_write_is_not_kept() {
        let hot = Hot::default();
        let at = hot.now();
        // The lookup ran while a write committed: what it read may be older than the write.
        hot.wrote();
        hot.keep_row(at, "b", &meta("k", "old"));
        assert!(hot.row("b", "k").is_none());
        let at = hot.now();
        hot.keep_row(at, "b", &meta("k", "new"));
        assert_eq!(hot.row("b", "k").map(|m| m.etag), Some("new".to_string()));
    }

    #[test]
    fn a_page_is_used_only_until_the_next_write() {
        let hot = Hot::default();
        let at = hot.now();
        let page = Bytes::from_static(b"<ListBucketResult/>");
        hot.keep_page(at, "b?list-type=2", &page);
        assert_eq!(hot.page("b?list-type=2"), Some(page.clone()));
        assert_eq!(hot.page("b?list-type=2&prefix=a"), None);
        hot.wrote();
        assert_eq!(hot.page("b?list-type=2"), None);
        // Rendered from a listing that started before the write: never kept.
        hot.keep_page(at, "b?list-type=2", &page);
        assert_eq!(hot.page("b?list-type=2"), None);
    }

    #[test]
    fn pages_are_bounded() {
        let hot = Hot::default();
        let page = Bytes::from(vec![b'x'; MAX_PAGE]);
        for i in 0..(MAX_PAGE_BYTES / MAX_PAGE + 2) {
            hot.keep_page(hot.now(), &i.to_string(), &page);
        }
        let kept = hot.pages.lock().map(|p| p.bytes).unwrap_or(usize::MAX);
        assert!(kept <= MAX_PAGE_BYTES, "{kept}");
        hot.keep_page(hot.now(), "big", &Bytes::from(vec![b'x'; MAX_PAGE + 1]));
        assert!(hot.page("big").is_none());
    }

    #[test]
    fn bodies_are_bounded() {
        let hot = Hot::default();
        let body = Bytes::from(vec![0u8; MAX_BODY as usize]);
        for i in 0..(MAX_BODY_BYTES / MAX_BODY as usize + 3) {
            hot.keep_body(&i.to_string(), &body);
        }
        let kept = hot.bodies.lock().map(|b| b.bytes).unwrap_or(usize::MAX);
        assert!(kept <= MAX_BODY_BYTES, "{kept}");
        hot.keep_body("big", &Bytes::from(vec![0u8; MAX_BODY as usize + 1]));
        assert!(hot.body("big").is_none());
    }
}
