//! Object versions in SQLite. The `objects` table keeps each key's current version when it is an
//! object (so reads and listings of current objects stay one indexed lookup); every other version
//! — noncurrent objects and delete markers, including a delete marker that is current — is a row
//! of `versions`. Each version has a `seq`, increasing per key, that orders them newest first.
//! Under a bucket's versioning state a write or a delete moves rows between the two tables in one
//! transaction and returns the body files no version references any more.
//!
//! The null version (written while versioning was never enabled or is suspended) has no version
//! id in `objects` and `null` in `versions`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::meta::{self, ObjectMeta};

/// A bucket's versioning state, once it was ever set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    Enabled,
    Suspended,
}

impl Versioning {
    pub fn name(self) -> &'static str {
        match self {
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Versioning> {
        match s {
            "Enabled" => Some(Versioning::Enabled),
            "Suspended" => Some(Versioning::Suspended),
            _ => None,
        }
    }
}

/// One version of a key, as kept in `versions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Version {
    Object(Box<ObjectMeta>),
    /// A delete marker: when it was made and by whom.
    Marker {
        key: String,
        version_id: Option<String>,
        last_modified_ms: i64,
        owner: Option<String>,
    },
}

impl Version {
    pub fn version_id(&self) -> Option<&str> {
        match self {
            Version::Object(m) => m.version_id.as_deref(),
            Version::Marker { version_id, .. } => version_id.as_deref(),
        }
    }

    pub fn is_marker(&self) -> bool {
        matches!(self, Version::Marker { .. })
    }

    pub fn last_modified_ms(&self) -> i64 {
        match self {
            Version::Object(m) => m.last_modified_ms,
            Version::Marker { last_modified_ms, .. } => *last_modified_ms,
        }
    }
}

/// The id as stored in `versions` (`null` for the null version).
fn stored_id(id: Option<&str>) -> &str {
    id.unwrap_or("null")
}

/// The bucket's versioning state (`None`: never enabled).
pub fn state(tx: &Connection, bucket: &str) -> rusqlite::Result<Option<Versioning>> {
    let v: Option<String> = tx
        .prepare_cached("SELECT versioning FROM buckets WHERE name = ?1")?
        .query_row([bucket], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(v.as_deref().and_then(Versioning::parse))
}

/// Sets the bucket's versioning state; false when there is no such bucket.
pub fn set_state(tx: &Connection, bucket: &str, v: Versioning) -> rusqlite::Result<bool> {
    Ok(tx.execute("UPDATE buckets SET versioning = ?2 WHERE name = ?1", params![bucket, v.name()])? == 1)
}

/// The next `seq` for a key: above every version it has.
fn next_seq(tx: &Connection, bucket: &str, key: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM objects WHERE bucket = ?1 AND key = ?2), 0),
                    COALESCE((SELECT MAX(seq) FROM versions WHERE bucket = ?1 AND key = ?2), 0)) + 1",
    )?
    .query_row(params![bucket, key.as_bytes()], |r| r.get(0))
}

fn insert_version(tx: &Connection, bucket: &str, seq: i64, v: &Version) -> rusqlite::Result<()> {
    let (key, blob) = match v {
        // A body kept in the document has no file to name.
        Version::Object(m) => (m.key.as_str(), file_of(m)),
        Version::Marker { key, .. } => (key.as_str(), None),
    };
    let doc = serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT OR REPLACE INTO versions (bucket, key, version_id, seq, delete_marker, doc, blob_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![bucket, key.as_bytes(), stored_id(v.version_id()), seq, v.is_marker(), doc, blob],
    )?;
    Ok(())
}

fn version_from_doc(doc: String) -> rusqlite::Result<Version> {
    serde_json::from_str(&doc)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Moves the key's current object into `versions` (it stays, noncurrent).
fn archive_current(tx: &Connection, bucket: &str, key: &str) -> rusqlite::Result<()> {
    if let Some(current) = meta::get_object(tx, bucket, key)? {
        let seq = current.seq;
        insert_version(tx, bucket, seq, &Version::Object(Box::new(current)))?;
        tx.execute("DELETE FROM objects WHERE bucket = ?1 AND key = ?2", params![bucket, key.as_bytes()])?;
    }
    Ok(())
}

/// The id of an object's body file; `None` when its body is kept in its row.
fn file_of(m: &ObjectMeta) -> Option<&str> {
    m.body.is_none().then_some(m.blob_id.as_str())
}

/// Removes the key's null version wherever it is; returns its body, if it had one.
fn remove_null(tx: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<String>> {
    if let Some(current) = meta::get_object(tx, bucket, key)? {
        if current.version_id.is_none() {
            tx.execute("DELETE FROM objects WHERE bucket = ?1 AND key = ?2", params![bucket, key.as_bytes()])?;
            return Ok(file_of(&current).map(str::to_string));
        }
    }
    let blob: Option<Option<String>> = tx
        .query_row(
            "SELECT blob_id FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'",
            params![bucket, key.as_bytes()],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute(
        "DELETE FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'",
        params![bucket, key.as_bytes()],
    )?;
    Ok(blob.flatten())
}

/// A new version id: 32 characters of S3's alphabet.
pub fn new_version_id() -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string();
    let extra = uuid::Uuid::new_v4().simple().to_string();
    // 32 hex digits would do, but S3's ids mix cases; keep the shape close to theirs.
    raw.chars()
        .zip(extra.chars())
        .map(|(a, b)| if b.is_ascii_digit() && a.is_ascii_alphabetic() { a.to_ascii_uppercase() } else { a })
        .collect()
}

/// Makes `meta` the key's current version under the bucket's versioning state, giving it its
/// version id and `seq`; returns the bodies no version references any more.
pub fn write_current(tx: &Connection, bucket: &str, meta: &mut ObjectMeta) -> rusqlite::Result<Vec<String>> {
    let key = meta.key.clone();
    meta.seq = next_seq(tx, bucket, &key)?;
    match state(tx, bucket)? {
        None => {
            meta.version_id = None;
            Ok(meta::upsert_object(tx, bucket, meta)?.into_iter().collect())
        }
        Some(Versioning::Enabled) => {
            meta.version_id = Some(new_version_id());
            archive_current(tx, bucket, &key)?;
            meta::upsert_object(tx, bucket, meta)?;
            Ok(Vec::new())
        }
        Some(Versioning::Suspended) => {
            meta.version_id = None;
            let removed = remove_null(tx, bucket, &key)?;
            archive_current(tx, bucket, &key)?;
            meta::upsert_object(tx, bucket, meta)?;
            Ok(removed.into_iter().collect())
        }
    }
}

/// What deleting a key without a version id did.
#[derive(Debug, Default)]
pub struct Deleted {
    /// The delete marker made, when versioning is on: its version id (`None`: the null marker).
    pub marker: Option<Option<String>>,
    pub removed_blobs: Vec<String>,
}

/// Deletes the key as S3 does under the bucket's state: removes it (never versioned), or puts a
/// delete marker on top (enabled: a new one; suspended: the null one, replacing the null version).
pub fn delete_current(
    tx: &Connection,
    bucket: &str,
    key: &str,
    now_ms: i64,
    owner: Option<String>,
) -> rusqlite::Result<Deleted> {
    match state(tx, bucket)? {
        None => {
            Ok(Deleted { marker: None, removed_blobs: meta::delete_object(tx, bucket, key)?.into_iter().collect() })
        }
        Some(s) => {
            let seq = next_seq(tx, bucket, key)?;
            let (version_id, removed) = match s {
                Versioning::Enabled => (Some(new_version_id()), None),
                Versioning::Suspended => (None, remove_null(tx, bucket, key)?),
            };
            archive_current(tx, bucket, key)?;
            let marker = Version::Marker {
                key: key.to_string(),
                version_id: version_id.clone(),
                last_modified_ms: now_ms,
                owner,
            };
            insert_version(tx, bucket, seq, &marker)?;
            Ok(Deleted { marker: Some(version_id), removed_blobs: removed.into_iter().collect() })
        }
    }
}

/// One version of a key by id (`None`: the null version).
pub fn get(tx: &Connection, bucket: &str, key: &str, id: Option<&str>) -> rusqlite::Result<Option<Version>> {
    if let Some(current) = meta::get_object(tx, bucket, key)? {
        if current.version_id.as_deref() == id {
            return Ok(Some(Version::Object(Box::new(current))));
        }
    }
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
            params![bucket, key.as_bytes(), stored_id(id)],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(version_from_doc).transpose()
}

/// The key's newest version kept in `versions` (the current one when it is a delete marker).
fn newest_archived(tx: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<Version>> {
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM versions WHERE bucket = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1",
            params![bucket, key.as_bytes()],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(version_from_doc).transpose()
}

/// The delete marker that is the key's current version, if it is one (and there is no object).
pub fn current_marker(tx: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<Version>> {
    if meta::get_object(tx, bucket, key)?.is_some() {
        return Ok(None);
    }
    Ok(newest_archived(tx, bucket, key)?.filter(Version::is_marker))
}

/// Deletes one version for good. When the current object goes, the newest remaining version
/// becomes current (unless it is a delete marker, which then hides the key). Returns the deleted
/// version, or `None` when there is no such version, and the bodies to remove.
pub fn delete_version(
    tx: &Connection,
    bucket: &str,
    key: &str,
    id: Option<&str>,
) -> rusqlite::Result<(Option<Version>, Vec<String>)> {
    let Some(version) = get(tx, bucket, key, id)? else { return Ok((None, Vec::new())) };
    let mut removed = Vec::new();
    match meta::get_object(tx, bucket, key)? {
        Some(current) if current.version_id.as_deref() == id => {
            tx.execute("DELETE FROM objects WHERE bucket = ?1 AND key = ?2", params![bucket, key.as_bytes()])?;
            removed.extend(file_of(&current).map(str::to_string));
        }
        _ => {
            tx.execute(
                "DELETE FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                params![bucket, key.as_bytes(), stored_id(id)],
            )?;
            if let Version::Object(m) = &version {
                removed.extend(file_of(m).map(str::to_string));
            }
        }
    }
    if meta::get_object(tx, bucket, key)?.is_none() {
        if let Some(Version::Object(newest)) = newest_archived(tx, bucket, key)? {
            tx.execute(
                "DELETE FROM versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                params![bucket, key.as_bytes(), stored_id(newest.version_id.as_deref())],
            )?;
            meta::upsert_object(tx, bucket, &newest)?;
        }
    }
    Ok((Some(version), removed))
}

/// A listed version: which key, whether it is the key's current version.
#[derive(Debug, Clone)]
pub struct Listed {
    pub version: Version,
    pub is_latest: bool,
}

/// Every version of keys in `[lower, upper)` after (`after_key`, `after_seq`), newest first per
/// key, at most `limit`. Current objects come from `objects`, the rest from `versions`.
pub fn scan(
    tx: &Connection,
    bucket: &str,
    lower: &[u8],
    upper: Option<&[u8]>,
    limit: usize,
) -> rusqlite::Result<Vec<(Vec<u8>, i64, Listed)>> {
    let upper_cond = if upper.is_some() { "AND key < ?3" } else { "" };
    let sql = format!(
        "SELECT key, seq, 0, NULL FROM objects WHERE bucket = ?1 AND key >= ?2 {upper_cond}
         UNION ALL
         SELECT key, seq, 1, doc FROM versions WHERE bucket = ?1 AND key >= ?2 {upper_cond}
         ORDER BY 1, 2 DESC LIMIT {limit}"
    );
    let mut stmt = tx.prepare(&sql)?;
    let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(Vec<u8>, i64, i64, Option<String>)> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    };
    let raw: Vec<(Vec<u8>, i64, i64, Option<String>)> = match upper {
        Some(u) => stmt.query_map(params![bucket, lower, u], map)?.collect::<rusqlite::Result<_>>()?,
        None => stmt.query_map(params![bucket, lower], map)?.collect::<rusqlite::Result<_>>()?,
    };
    let mut out = Vec::with_capacity(raw.len());
    let mut last_key: Option<Vec<u8>> = None;
    for (key, seq, src, doc) in raw {
        let is_latest = last_key.as_deref() != Some(key.as_slice());
        last_key = Some(key.clone());
        let version = match (src, doc) {
            (0, _) => {
                let text = String::from_utf8_lossy(&key).into_owned();
                match meta::get_object(tx, bucket, &text)? {
                    Some(m) => Version::Object(Box::new(m)),
                    None => continue,
                }
            }
            (_, Some(doc)) => version_from_doc(doc)?,
            _ => continue,
        };
        out.push((key, seq, Listed { version, is_latest }));
    }
    Ok(out)
}

/// Changes one object version (the current row, or its archived copy) with `change`; false when
/// there is no such object version.
fn update_version(
    tx: &Connection,
    bucket: &str,
    key: &str,
    id: Option<&str>,
    change: impl FnOnce(&mut ObjectMeta),
) -> rusqlite::Result<bool> {
    match get(tx, bucket, key, id)? {
        Some(Version::Object(mut m)) => {
            let is_current = meta::get_object(tx, bucket, key)?.is_some_and(|c| c.version_id == m.version_id);
            change(&mut m);
            if is_current {
                meta::upsert_object(tx, bucket, &m)?;
            } else {
                let seq = m.seq;
                insert_version(tx, bucket, seq, &Version::Object(m))?;
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Replaces one version's tag set; false when there is no such object version.
pub fn set_tags(
    tx: &Connection,
    bucket: &str,
    key: &str,
    id: Option<&str>,
    tags: &[(String, String)],
) -> rusqlite::Result<bool> {
    update_version(tx, bucket, key, id, |m| m.tags = tags.to_vec())
}

/// Replaces one version's ACL; false when there is no such object version.
pub fn set_acl(
    tx: &Connection,
    bucket: &str,
    key: &str,
    id: Option<&str>,
    acl: Option<String>,
) -> rusqlite::Result<bool> {
    update_version(tx, bucket, key, id, |m| m.acl = acl)
}

/// Whether any version (current or not) of any key is in the bucket.
pub fn bucket_has_versions(tx: &Connection, bucket: &str) -> rusqlite::Result<bool> {
    tx.query_row("SELECT EXISTS (SELECT 1 FROM versions WHERE bucket = ?1)", [bucket], |r| r.get(0))
}
