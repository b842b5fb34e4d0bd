//! Metadata in SQLite: the rows of buckets, objects, uploads and parts (the schema and its
//! migrations are in `schema`). Every function is blocking and runs on the writer thread or a
//! reader's via [`super::Store`].
//!
//! Keys are stored as BLOBs so that SQLite compares them byte by byte, which is S3's listing
//! order (UTF-8 binary), and so that range bounds may be any byte string.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::checksum::{Algorithm, Checksum, ChecksumType};

/// A bucket's CORS configuration, stored as the s3 layer serialised it; `Ok(None)` when the
/// bucket has none, `Err` of `QueryReturnedNoRows` when there is no such bucket.
pub fn get_bucket_cors(conn: &Connection, bucket: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT cors FROM buckets WHERE name = ?1", [bucket], |r| r.get(0))
}

/// Sets or clears a bucket's CORS configuration; false when there is no such bucket.
pub fn set_bucket_cors(conn: &Connection, bucket: &str, cors: Option<&str>) -> rusqlite::Result<bool> {
    Ok(conn.execute("UPDATE buckets SET cors = ?2 WHERE name = ?1", params![bucket, cors])? == 1)
}

fn checksum_to_sql(c: &Option<Checksum>) -> Option<String> {
    c.as_ref().and_then(|c| serde_json::to_string(c).ok())
}

fn checksum_from_sql(s: Option<String>) -> Option<Checksum> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

/// A bucket's Block Public Access settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Every setting on: what new buckets have had since April 2023.
    pub const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

/// A bucket row.
#[derive(Debug, Clone, Default)]
pub struct BucketRow {
    pub name: String,
    pub region: String,
    pub created_ms: i64,
    /// The owning account's id.
    pub owner_account: String,
    /// The bucket policy, as it was put.
    pub policy: Option<StoredPolicy>,
    /// The Object Ownership setting (`BucketOwnerEnforced`, …); `None`: no ownership controls.
    pub ownership: Option<String>,
    /// Block Public Access; `None`: no configuration.
    pub public_access_block: Option<PublicAccessBlock>,
    /// The bucket ACL, as the access layer serialised it; `None`: the owner's FULL_CONTROL.
    pub acl: Option<String>,
    /// Whether SigV2-signed requests are accepted, as on buckets S3 created before 24 June 2020.
    pub accepts_sigv2: bool,
    /// `Enabled` or `Suspended` once versioning was ever enabled; `None` before.
    pub versioning: Option<String>,
}

/// A bucket policy as stored: the document as it was put, and the unique id of each IAM user and
/// role its principals named then, by ARN (see [`crate::policy::Policy::principal_ids`]; empty
/// for policies put before schema 13, whose principals are matched by their ARN).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredPolicy {
    pub text: String,
    pub principal_ids: BTreeMap<String, String>,
}

const BUCKET_COLUMNS: &str = "name, region, created_ms, COALESCE(owner_account, ''), policy, ownership, \
     public_access_block, acl, sigv2, versioning, policy_principals";

/// A JSON column's value, or the conversion error that names column `index`.
fn json_column<T: serde::de::DeserializeOwned>(index: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
}

fn bucket_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BucketRow> {
    let pab: Option<String> = r.get(6)?;
    let public_access_block = match pab {
        Some(text) => Some(json_column(6, &text)?),
        None => None,
    };
    let policy: Option<String> = r.get(4)?;
    let principals: Option<String> = r.get(10)?;
    let policy = match (policy, principals) {
        (None, _) => None,
        (Some(text), None) => Some(StoredPolicy { text, principal_ids: BTreeMap::new() }),
        (Some(text), Some(ids)) => Some(StoredPolicy { text, principal_ids: json_column(10, &ids)? }),
    };
    Ok(BucketRow {
        name: r.get(0)?,
        region: r.get(1)?,
        created_ms: r.get(2)?,
        owner_account: r.get(3)?,
        policy,
        ownership: r.get(5)?,
        public_access_block,
        acl: r.get(7)?,
        accepts_sigv2: r.get(8)?,
        versioning: r.get(9)?,
    })
}

fn pab_to_sql(pab: Option<PublicAccessBlock>) -> rusqlite::Result<Option<String>> {
    pab.map(|p| serde_json::to_string(&p)).transpose().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Everything stored about an object but its body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    pub blob_id: String,
    pub size: u64,
    /// Quoted, as sent in `ETag`.
    pub etag: String,
    pub last_modified_ms: i64,
    /// Stored response headers (`content-type`, `cache-control`, …), lowercase names.
    pub headers: Vec<(String, String)>,
    /// `x-amz-meta-*` entries, names lowercase without the prefix.
    pub user_meta: Vec<(String, String)>,
    /// Sizes of the parts of an object completed from a multipart upload; empty otherwise.
    pub part_sizes: Vec<u64>,
    /// The object's checksum (full-object, or composite for multipart objects).
    pub checksum: Option<Checksum>,
    /// The owning account, when it is not the bucket's owner (ACLs enabled, another writer).
    pub owner: Option<String>,
    /// The object ACL, as the access layer serialised it; `None`: the owner's FULL_CONTROL.
    pub acl: Option<String>,
    /// The tag set, in key order.
    pub tags: Vec<(String, String)>,
    /// Each part's checksum (base64, in the object checksum's algorithm) of an object completed
    /// from a multipart upload that had one; empty otherwise.
    pub part_checksums: Vec<String>,
    /// The version id; `None` for the null version (buckets never versioned, or suspended).
    pub version_id: Option<String>,
    /// Orders a key's versions, newest highest.
    pub seq: i64,
    /// The whole body, when it is small enough to live in the row (at most
    /// [`super::blobs::INLINE_BODY`]) instead of a file: a file per small PUT made ext4's inode
    /// allocation and directory locks most of a PUT's cost. `blob_id` still names it (no file).
    /// In a version's JSON document it is base64.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "inline_body")]
    pub body: Option<bytes::Bytes>,
}

/// `ObjectMeta::body` in JSON: base64.
mod inline_body {
    use base64::Engine as _;

    pub fn serialize<S: serde::Serializer>(v: &Option<bytes::Bytes>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bytes::Bytes>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(d)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map(bytes::Bytes::from)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

impl ObjectMeta {
    /// A stored header by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Inserts a bucket; false when the name is taken.
pub fn insert_bucket(conn: &Connection, b: &BucketRow) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO buckets (name, region, created_ms, owner_account, ownership, public_access_block, acl, sigv2)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            b.name,
            b.region,
            b.created_ms,
            b.owner_account,
            b.ownership,
            pab_to_sql(b.public_access_block)?,
            b.acl,
            b.accepts_sigv2
        ],
    )?;
    Ok(n == 1)
}

/// A bucket's access settings, each changed only when given (`Some`); false when there is no
/// such bucket.
#[derive(Debug, Clone, Default)]
pub struct BucketSettings {
    pub ownership: Option<Option<String>>,
    pub public_access_block: Option<Option<PublicAccessBlock>>,
    pub acl: Option<Option<String>>,
}

pub fn update_bucket_settings(conn: &Connection, bucket: &str, s: &BucketSettings) -> rusqlite::Result<bool> {
    if get_bucket(conn, bucket)?.is_none() {
        return Ok(false);
    }
    if let Some(v) = &s.ownership {
        conn.execute("UPDATE buckets SET ownership = ?2 WHERE name = ?1", params![bucket, v])?;
    }
    if let Some(v) = s.public_access_block {
        conn.execute("UPDATE buckets SET public_access_block = ?2 WHERE name = ?1", params![bucket, pab_to_sql(v)?])?;
    }
    if let Some(v) = &s.acl {
        conn.execute("UPDATE buckets SET acl = ?2 WHERE name = ?1", params![bucket, v])?;
    }
    Ok(true)
}

pub fn get_bucket(conn: &Connection, name: &str) -> rusqlite::Result<Option<BucketRow>> {
    conn.prepare_cached(&format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE name = ?1"))?
        .query_row([name], bucket_from_row)
        .optional()
}

/// The buckets `owner` owns, by name.
pub fn list_buckets(conn: &Connection, owner: &str) -> rusqlite::Result<Vec<BucketRow>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE owner_account = ?1 ORDER BY name"))?;
    let rows = stmt.query_map([owner], bucket_from_row)?;
    rows.collect()
}

/// Every bucket.
pub fn all_buckets(conn: &Connection) -> rusqlite::Result<Vec<BucketRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {BUCKET_COLUMNS} FROM buckets"))?;
    let rows = stmt.query_map([], bucket_from_row)?;
    rows.collect()
}

/// How much a bucket holds: its objects and their bytes (uploads in progress not counted).
#[derive(Debug, Clone)]
pub struct BucketUsage {
    pub bucket: BucketRow,
    pub objects: u64,
    pub bytes: u64,
}

/// Every bucket by name, with what it holds.
pub fn bucket_usage(conn: &Connection) -> rusqlite::Result<Vec<BucketUsage>> {
    let mut counts = std::collections::HashMap::new();
    let mut stmt = conn.prepare("SELECT bucket, COUNT(*), COALESCE(SUM(size), 0) FROM objects GROUP BY bucket")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
    for row in rows {
        let (bucket, objects, bytes) = row?;
        counts.insert(bucket, (objects.max(0) as u64, bytes.max(0) as u64));
    }
    let mut buckets = all_buckets(conn)?;
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(buckets
        .into_iter()
        .map(|bucket| {
            let (objects, bytes) = counts.get(&bucket.name).copied().unwrap_or((0, 0));
            BucketUsage { bucket, objects, bytes }
        })
        .collect())
}

/// Gives every bucket without an owner (made before accounts existed) to `owner`.
pub fn adopt_buckets(conn: &Connection, owner: &str) -> rusqlite::Result<usize> {
    conn.execute("UPDATE buckets SET owner_account = ?1 WHERE owner_account IS NULL", [owner])
}

/// Sets or clears a bucket's policy; false when there is no such bucket.
pub fn set_bucket_policy(conn: &Connection, bucket: &str, policy: Option<&StoredPolicy>) -> rusqlite::Result<bool> {
    let ids = policy
        .map(|p| serde_json::to_string(&p.principal_ids))
        .transpose()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let text = policy.map(|p| p.text.as_str());
    let sql = "UPDATE buckets SET policy = ?2, policy_principals = ?3 WHERE name = ?1";
    Ok(conn.execute(sql, params![bucket, text, ids])? == 1)
}

/// Outcome of deleting a bucket.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteBucket {
    Deleted,
    Missing,
    NotEmpty,
}

/// Deletes a bucket that holds no object. Multipart uploads in progress do not keep a bucket
/// alive: S3 deletes the bucket and its uploads with it (scality/cloudserver#1591 changed to match
/// S3; the ceph/ceph#15630 review records the same test against S3). Returns the parts' body ids,
/// for the caller to remove after the commit.
pub fn delete_bucket(conn: &mut Connection, name: &str) -> rusqlite::Result<(DeleteBucket, Vec<String>)> {
    let tx = conn.savepoint()?;
    if get_bucket(&tx, name)?.is_none() {
        return Ok((DeleteBucket::Missing, Vec::new()));
    }
    let has_objects: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = ?1) OR EXISTS (SELECT 1 FROM versions WHERE bucket = ?1)",
        [name],
        |r| r.get(0),
    )?;
    if has_objects {
        return Ok((DeleteBucket::NotEmpty, Vec::new()));
    }
    let uploads = {
        let mut stmt = tx.prepare("SELECT upload_id FROM uploads WHERE bucket = ?1")?;
        let rows = stmt.query_map([name], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()?
    };
    let mut blobs = Vec::new();
    for upload_id in uploads {
        blobs.extend(delete_upload(&tx, &upload_id)?);
    }
    tx.execute("DELETE FROM buckets WHERE name = ?1", [name])?;
    tx.commit()?;
    Ok((DeleteBucket::Deleted, blobs))
}

const OBJECT_COLUMNS: &str =
    "key, blob_id, size, etag, last_modified_ms, headers, user_meta, part_sizes, checksum, owner_account, acl, tags, \
     part_checksums, version_id, seq, body";

fn object_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ObjectMeta> {
    let key: Vec<u8> = r.get(0)?;
    let headers: String = r.get(5)?;
    let user_meta: String = r.get(6)?;
    let part_sizes: String = r.get(7)?;
    let size: i64 = r.get(2)?;
    Ok(ObjectMeta {
        key: String::from_utf8_lossy(&key).into_owned(),
        blob_id: r.get(1)?,
        size: size.max(0) as u64,
        etag: r.get(3)?,
        last_modified_ms: r.get(4)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        user_meta: serde_json::from_str(&user_meta).unwrap_or_default(),
        part_sizes: serde_json::from_str(&part_sizes).unwrap_or_default(),
        checksum: checksum_from_sql(r.get(8)?),
        owner: r.get(9)?,
        acl: r.get(10)?,
        tags: tags_from_sql(11, r.get(11)?)?,
        part_checksums: {
            let text: String = r.get(12)?;
            serde_json::from_str(&text)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, Box::new(e)))?
        },
        version_id: r.get(13)?,
        seq: r.get(14)?,
        body: r.get::<_, Option<Vec<u8>>>(15)?.map(bytes::Bytes::from),
    })
}

/// A stored tag set (JSON pairs); a row that does not parse is an error, not an empty set.
fn tags_from_sql(column: usize, text: String) -> rusqlite::Result<Vec<(String, String)>> {
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
}

fn tags_to_sql(tags: &[(String, String)]) -> rusqlite::Result<String> {
    serde_json::to_string(tags).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Replaces an object's tag set; false when there is no such object.
pub fn set_object_tags(
    conn: &Connection,
    bucket: &str,
    key: &str,
    tags: &[(String, String)],
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2",
        params![bucket, key.as_bytes(), tags_to_sql(tags)?],
    )? == 1)
}

/// A bucket's tag set (`None`: it has none); `QueryReturnedNoRows` when there is no bucket.
pub fn get_bucket_tags(conn: &Connection, bucket: &str) -> rusqlite::Result<Option<Vec<(String, String)>>> {
    let text: Option<String> = conn.query_row("SELECT tags FROM buckets WHERE name = ?1", [bucket], |r| r.get(0))?;
    text.map(|t| tags_from_sql(0, t)).transpose()
}

/// Sets or removes a bucket's tag set; false when there is no such bucket.
pub fn set_bucket_tags(conn: &Connection, bucket: &str, tags: Option<&[(String, String)]>) -> rusqlite::Result<bool> {
    let text = tags.map(tags_to_sql).transpose()?;
    Ok(conn.execute("UPDATE buckets SET tags = ?2 WHERE name = ?1", params![bucket, text])? == 1)
}

pub fn get_object(conn: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<ObjectMeta>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2"))?;
    stmt.query_row(params![bucket, key.as_bytes()], object_from_row).optional()
}

/// Inserts or replaces an object inside `tx`; returns the blob id it replaced.
pub fn upsert_object(tx: &Connection, bucket: &str, meta: &ObjectMeta) -> rusqlite::Result<Option<String>> {
    // Cached statements: parsing SQL anew was a twentieth of a small PUT's time. A body kept in
    // the row has no file to remove.
    let old: Option<String> = tx
        .prepare_cached("SELECT blob_id FROM objects WHERE bucket = ?1 AND key = ?2 AND body IS NULL")?
        .query_row(params![bucket, meta.key.as_bytes()], |r| r.get(0))
        .optional()?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO objects
         (bucket, key, blob_id, size, etag, last_modified_ms, headers, user_meta, part_sizes, checksum, owner_account, acl,
          tags, part_checksums, version_id, seq, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
            bucket,
            meta.key.as_bytes(),
            meta.blob_id,
            meta.size as i64,
            meta.etag,
            meta.last_modified_ms,
            serde_json::to_string(&meta.headers).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&meta.user_meta).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&meta.part_sizes).unwrap_or_else(|_| "[]".into()),
            checksum_to_sql(&meta.checksum),
            meta.owner,
            meta.acl,
            tags_to_sql(&meta.tags)?,
            serde_json::to_string(&meta.part_checksums).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            meta.version_id,
            meta.seq,
            meta.body.as_deref(),
    ])?;
    Ok(old)
}

/// Replaces an object's ACL; false when there is no such object.
pub fn set_object_acl(conn: &Connection, bucket: &str, key: &str, acl: Option<&str>) -> rusqlite::Result<bool> {
    Ok(conn
        .execute("UPDATE objects SET acl = ?3 WHERE bucket = ?1 AND key = ?2", params![bucket, key.as_bytes(), acl])?
        == 1)
}

/// Deletes an object inside `tx`; returns the id of its body's file if it had one.
pub fn delete_object(tx: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<String>> {
    let old: Option<Option<String>> = tx
        .prepare_cached("SELECT blob_id, body IS NULL FROM objects WHERE bucket = ?1 AND key = ?2")?
        .query_row(params![bucket, key.as_bytes()], |r| Ok(r.get::<_, bool>(1)?.then_some(r.get(0)?)))
        .optional()?;
    if old.is_some() {
        tx.prepare_cached("DELETE FROM objects WHERE bucket = ?1 AND key = ?2")?
            .execute(params![bucket, key.as_bytes()])?;
    }
    Ok(old.flatten())
}

/// Up to `limit` objects of `bucket` with `lower <= key` (or `<` when `exclusive`) and, when
/// given, `key < upper`, in key order.
pub fn scan_objects(
    conn: &Connection,
    bucket: &str,
    lower: &[u8],
    exclusive: bool,
    upper: Option<&[u8]>,
    limit: usize,
) -> rusqlite::Result<Vec<ListedObject>> {
    let op = if exclusive { ">" } else { ">=" };
    let sql = match upper {
        Some(_) => format!(
            "SELECT {LIST_COLUMNS} FROM objects WHERE bucket = ?1 AND key {op} ?2 AND key < ?3 ORDER BY key LIMIT ?4"
        ),
        None => format!("SELECT {LIST_COLUMNS} FROM objects WHERE bucket = ?1 AND key {op} ?2 ORDER BY key LIMIT ?3"),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = match upper {
        Some(u) => stmt.query(params![bucket, lower, u, limit as i64])?,
        None => stmt.query(params![bucket, lower, limit as i64])?,
    };
    let mut out = Vec::with_capacity(limit.min(1000));
    while let Some(row) = rows.next()? {
        out.push(listed_from_row(row)?);
    }
    Ok(out)
}

/// What a listing shows of an object: a small struct, as a page of full rows spent a tenth of its
/// time moving them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
}

/// What a listing shows of an object; the rest of its row (headers, metadata, tags: JSON each)
/// is left unparsed, which made a page of 1000 keys cost 5000 JSON parses.
const LIST_COLUMNS: &str = "key, size, etag, last_modified_ms";

fn listed_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ListedObject> {
    let size: i64 = r.get(1)?;
    Ok(ListedObject {
        // Borrowed from SQLite's row: one copy, not two.
        key: match r.get_ref(0)? {
            rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => {
                String::from_utf8_lossy(b).into_owned()
            }
            _ => String::new(),
        },
        size: size.max(0) as u64,
        etag: r.get(2)?,
        last_modified_ms: r.get(3)?,
    })
}

/// Whether a blob id is referenced by any object or uploaded part (startup recovery).
pub fn blob_is_live(conn: &Connection, blob_id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM objects WHERE blob_id = ?1 AND body IS NULL)
             OR EXISTS (SELECT 1 FROM parts WHERE blob_id = ?1)
             OR EXISTS (SELECT 1 FROM versions WHERE blob_id = ?1)",
        [blob_id],
        |r| r.get(0),
    )
}

/// A multipart upload in progress.
#[derive(Debug, Clone, Default)]
pub struct UploadRow {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated_ms: i64,
    /// Headers and metadata given at creation; they apply to the completed object.
    pub headers: Vec<(String, String)>,
    pub user_meta: Vec<(String, String)>,
    /// `x-amz-checksum-algorithm` and `x-amz-checksum-type` given at creation.
    pub checksum_algorithm: Option<Algorithm>,
    pub checksum_type: Option<ChecksumType>,
    /// The completed object's owner and ACL, decided at creation.
    pub owner: Option<String>,
    pub acl: Option<String>,
    /// The completed object's tag set (`x-amz-tagging` at creation).
    pub tags: Vec<(String, String)>,
}

/// One uploaded part.
#[derive(Debug, Clone, Default)]
pub struct PartRow {
    pub part_number: u32,
    pub blob_id: String,
    pub size: u64,
    /// Quoted hex MD5.
    pub etag: String,
    pub last_modified_ms: i64,
    /// The part's checksum in the upload's algorithm.
    pub checksum: Option<Checksum>,
}

pub fn insert_upload(conn: &Connection, u: &UploadRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO uploads (upload_id, bucket, key, initiated_ms, headers, user_meta, checksum_algorithm, checksum_type,
                              owner_account, acl, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            u.upload_id,
            u.bucket,
            u.key.as_bytes(),
            u.initiated_ms,
            serde_json::to_string(&u.headers).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&u.user_meta).unwrap_or_else(|_| "[]".into()),
            u.checksum_algorithm.map(Algorithm::name),
            u.checksum_type.map(ChecksumType::name),
            u.owner,
            u.acl,
            tags_to_sql(&u.tags)?,
        ],
    )?;
    Ok(())
}

const UPLOAD_COLUMNS: &str =
    "upload_id, bucket, key, initiated_ms, headers, user_meta, checksum_algorithm, checksum_type, owner_account, acl, tags";

fn upload_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRow> {
    let key: Vec<u8> = r.get(2)?;
    let headers: String = r.get(4)?;
    let user_meta: String = r.get(5)?;
    Ok(UploadRow {
        upload_id: r.get(0)?,
        bucket: r.get(1)?,
        key: String::from_utf8_lossy(&key).into_owned(),
        initiated_ms: r.get(3)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        user_meta: serde_json::from_str(&user_meta).unwrap_or_default(),
        checksum_algorithm: r.get::<_, Option<String>>(6)?.as_deref().and_then(Algorithm::from_name),
        checksum_type: r.get::<_, Option<String>>(7)?.as_deref().and_then(ChecksumType::from_name),
        owner: r.get(8)?,
        acl: r.get(9)?,
        tags: tags_from_sql(10, r.get(10)?)?,
    })
}

/// The upload `upload_id` if it belongs to `bucket`/`key`.
pub fn get_upload(conn: &Connection, bucket: &str, key: &str, upload_id: &str) -> rusqlite::Result<Option<UploadRow>> {
    conn.query_row(
        &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3"),
        params![upload_id, bucket, key.as_bytes()],
        upload_from_row,
    )
    .optional()
}

/// Where a scan of uploads starts.
#[derive(Debug, Clone)]
pub enum UploadCursor {
    /// Keys from this one on, inclusive.
    From(Vec<u8>),
    /// Keys after this one.
    AfterKey(Vec<u8>),
    /// After this (key, upload id).
    After(Vec<u8>, String),
}

/// Uploads of `bucket` in (key, upload id) order from `cursor`, at most `limit`.
pub fn scan_uploads(
    conn: &Connection,
    bucket: &str,
    cursor: &UploadCursor,
    limit: usize,
) -> rusqlite::Result<Vec<UploadRow>> {
    let order = "ORDER BY key, upload_id LIMIT ?";
    let (cond, key, id) = match cursor {
        UploadCursor::From(k) => ("key >= ?2 AND ?3 IS NULL", k, None),
        UploadCursor::AfterKey(k) => ("key > ?2 AND ?3 IS NULL", k, None),
        UploadCursor::After(k, id) => ("(key, upload_id) > (?2, ?3)", k, Some(id.as_str())),
    };
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE bucket = ?1 AND {cond} {order}4"))?;
    let rows = stmt.query_map(params![bucket, key, id, limit as i64], upload_from_row)?;
    rows.collect()
}

fn part_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PartRow> {
    let n: i64 = r.get(0)?;
    let size: i64 = r.get(2)?;
    Ok(PartRow {
        part_number: n.clamp(0, u32::MAX as i64) as u32,
        blob_id: r.get(1)?,
        size: size.max(0) as u64,
        etag: r.get(3)?,
        last_modified_ms: r.get(4)?,
        checksum: checksum_from_sql(r.get(5)?),
    })
}

/// Inserts or replaces a part; returns the blob it replaced.
pub fn upsert_part(tx: &Connection, upload_id: &str, p: &PartRow) -> rusqlite::Result<Option<String>> {
    let old: Option<String> = tx
        .query_row(
            "SELECT blob_id FROM parts WHERE upload_id = ?1 AND part_number = ?2",
            params![upload_id, p.part_number],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute(
        "INSERT OR REPLACE INTO parts (upload_id, part_number, blob_id, size, etag, last_modified_ms, checksum)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            upload_id,
            p.part_number,
            p.blob_id,
            p.size as i64,
            p.etag,
            p.last_modified_ms,
            checksum_to_sql(&p.checksum)
        ],
    )?;
    Ok(old)
}

/// Parts of an upload with a number above `after`, in order, at most `limit`.
pub fn list_parts(conn: &Connection, upload_id: &str, after: u32, limit: usize) -> rusqlite::Result<Vec<PartRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT part_number, blob_id, size, etag, last_modified_ms, checksum FROM parts
         WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![upload_id, after, limit as i64], part_from_row)?;
    rows.collect()
}

/// Deletes an upload and its parts; returns the part blobs.
pub fn delete_upload(tx: &Connection, upload_id: &str) -> rusqlite::Result<Vec<String>> {
    let blobs = {
        let mut stmt = tx.prepare("SELECT blob_id FROM parts WHERE upload_id = ?1")?;
        let rows = stmt.query_map([upload_id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()?
    };
    tx.execute("DELETE FROM parts WHERE upload_id = ?1", [upload_id])?;
    tx.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
    Ok(blobs)
}

/// Deletes all objects and buckets; returns the blob ids that are no longer referenced.
pub fn reset(conn: &mut Connection) -> rusqlite::Result<Vec<String>> {
    let tx = conn.savepoint()?;
    let ids = {
        let mut stmt = tx.prepare("SELECT blob_id FROM objects")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()?
    };
    let part_ids = {
        let mut stmt =
            tx.prepare("SELECT blob_id FROM parts UNION ALL SELECT blob_id FROM versions WHERE blob_id IS NOT NULL")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()?
    };
    tx.execute("DELETE FROM versions", [])?;
    tx.execute("DELETE FROM parts", [])?;
    tx.execute("DELETE FROM uploads", [])?;
    tx.execute("DELETE FROM objects", [])?;
    tx.execute("DELETE FROM buckets", [])?;
    tx.commit()?;
    Ok(ids.into_iter().chain(part_ids).collect())
}
