//! The store: the only code that touches disk. Object bodies are files ([`blobs`]) — except
//! bodies of at most 64 KiB, which live in the object's row — and everything else is SQLite
//! ([`meta`]). Writes (and the reads that must see the newest state) run on the writer thread,
//! which commits the writes waiting together in one transaction (`writer`); file-system calls
//! on the blocking pool; the hottest reads (an object's row, a small body) on the calling thread
//! (`Store::with_reader`, `hot`).
//!
//! Write protocol: body → `tmp/` file → rename into `blobs/` (a small part's body is written
//! there directly; a small object's goes into its row) → SQLite transaction publishes the row →
//! only then is the replaced body removed. A crash at any point leaves either the old object or
//! the new one; [`Store::open`] removes the leftovers (tmp files, blobs no row names).
//!
//! Here: buckets, objects, versions, users and sessions. The [`Store`] handle, opening the data
//! directory and what the operations share are in `store`; listing pages in `listing`, multipart
//! uploads in `uploads`, what is kept in memory between writes in `hot`, owner-only files in
//! `private`. No file below imports this one: it only gathers them.

pub mod blobs;
mod hot;
pub mod identities;
mod listing;
pub mod meta;
mod private;
mod schema;
mod store;
mod uploads;
pub mod versions;
mod writer;

use rusqlite::Connection;

use crate::error::{ErrorCode, S3Error, S3Result};
pub use blobs::{BlobWriter, FinishedBlob, Staged};
pub use identities::{SessionRow, StoredSessions, UserRow, ENDED_SESSION_RETENTION_MS};
pub use listing::{prefix_successor, rolled_prefix, ListPage, ListQuery};
pub use meta::{
    BucketRow, BucketSettings, DeleteBucket, ObjectMeta, PartRow, PublicAccessBlock, StoredPolicy, UploadRow,
};
use store::{cache_write, ensure_bucket, publish_and_commit, refresh_bucket};
pub use store::{no_such_bucket, Store};
pub use uploads::{UploadsPage, UploadsQuery};
pub use versions::{Version, Versioning};
use writer::Batch;

/// Bodies up to this size are read on the calling thread.
const INLINE_READ: u64 = 64 * 1024;

/// A condition a PUT must meet against the current object, checked in the publishing transaction.
#[derive(Debug, Default, Clone)]
pub struct PutCondition {
    /// `If-None-Match: *`: the key must not exist.
    pub if_none_match_any: bool,
    /// `If-Match`: the current ETag must be this one.
    pub if_match: Option<String>,
}

/// An object's body as read for a response.
#[derive(Debug)]
pub enum ObjectBody {
    /// Not read (HEAD).
    None,
    /// Read whole (small objects).
    Small(bytes::Bytes),
    File(tokio::fs::File),
}

/// What deleting one entry did: the version it concerned (`Some(None)`: the null version) and
/// whether that is a delete marker (made, or removed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOutcome {
    pub version_id: Option<Option<String>>,
    pub delete_marker: bool,
}

impl Store {
    /// Creates a bucket; when the name is taken, the bucket that has it.
    pub async fn create_bucket(&self, row: BucketRow) -> S3Result<Option<BucketRow>> {
        let cache = self.buckets.clone();
        self.with_db(move |c, _| {
            if meta::insert_bucket(c, &row)? {
                refresh_bucket(&cache, c, &row.name)?;
                return Ok(None);
            }
            Ok(meta::get_bucket(c, &row.name)?)
        })
        .await
    }

    /// Changes a bucket's access settings (ownership, Block Public Access, ACL).
    pub async fn update_bucket_settings(&self, name: &str, settings: BucketSettings) -> S3Result<()> {
        let name = name.to_string();
        let cache = self.buckets.clone();
        self.with_db(move |c, _| {
            if !meta::update_bucket_settings(c, &name, &settings)? {
                return Err(no_such_bucket(&name));
            }
            refresh_bucket(&cache, c, &name)
        })
        .await
    }

    /// Replaces an object's ACL; `NoSuchKey` when it does not exist.
    pub async fn set_object_acl(&self, bucket: &str, key: &str, acl: Option<String>) -> S3Result<()> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.with_db(move |c, _| {
            ensure_bucket(c, &bucket)?;
            if meta::set_object_acl(c, &bucket, &key, acl.as_deref())? {
                Ok(())
            } else {
                Err(S3Error::new(ErrorCode::NoSuchKey).extra("Key", key))
            }
        })
        .await
    }

    /// Replaces one version's ACL (`id`: `None` for the null version); `NoSuchVersion` when
    /// there is no such object version.
    pub async fn set_version_acl(
        &self,
        bucket: &str,
        key: &str,
        id: Option<&str>,
        acl: Option<String>,
    ) -> S3Result<()> {
        let (bucket, key, id) = (bucket.to_string(), key.to_string(), id.map(str::to_string));
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            if !versions::set_acl(&tx, &bucket, &key, id.as_deref(), acl)? {
                return Err(S3Error::new(ErrorCode::NoSuchVersion)
                    .extra("Key", key)
                    .extra("VersionId", id.unwrap_or_else(|| "null".into())));
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Gives every bucket made before accounts existed to `owner`.
    pub async fn adopt_buckets(&self, owner: &str) -> S3Result<usize> {
        let owner = owner.to_string();
        let cache = self.buckets.clone();
        self.with_db(move |c, _| {
            let n = meta::adopt_buckets(c, &owner)?;
            *cache_write(&cache) = meta::all_buckets(c)?.into_iter().map(|b| (b.name.clone(), b)).collect();
            Ok(n)
        })
        .await
    }

    /// Stores (or with `None` removes) the bucket's policy.
    pub async fn set_bucket_policy(&self, name: &str, policy: Option<StoredPolicy>) -> S3Result<()> {
        let name = name.to_string();
        let cache = self.buckets.clone();
        self.with_db(move |c, _| {
            if !meta::set_bucket_policy(c, &name, policy.as_ref())? {
                return Err(no_such_bucket(&name));
            }
            refresh_bucket(&cache, c, &name)
        })
        .await
    }

    /// The bucket `name`, if it exists (from memory: no database round trip).
    pub async fn bucket(&self, name: &str) -> S3Result<Option<BucketRow>> {
        let map = match self.buckets.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        Ok(map.get(name).cloned())
    }

    /// The bucket, or `NoSuchBucket`.
    pub async fn require_bucket(&self, name: &str) -> S3Result<BucketRow> {
        self.bucket(name).await?.ok_or_else(|| no_such_bucket(name))
    }

    /// The bucket's stored CORS configuration; `NoSuchBucket` when it does not exist.
    pub async fn bucket_cors(&self, name: &str) -> S3Result<Option<String>> {
        let name = name.to_string();
        self.with_db(move |c, _| match meta::get_bucket_cors(c, &name) {
            Ok(v) => Ok(v),
            Err(rusqlite::Error::QueryReturnedNoRows) => Err(no_such_bucket(&name)),
            Err(e) => Err(e.into()),
        })
        .await
    }

    /// Stores (or with `None` removes) the bucket's CORS configuration.
    pub async fn set_bucket_cors(&self, name: &str, cors: Option<String>) -> S3Result<()> {
        let name = name.to_string();
        self.with_db(move |c, _| {
            if meta::set_bucket_cors(c, &name, cors.as_deref())? {
                Ok(())
            } else {
                Err(no_such_bucket(&name))
            }
        })
        .await
    }

    /// Replaces an object's tag set: the current version's, or (`version`: `Some(None)` for the
    /// null version) one version's.
    pub async fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        version: Option<Option<String>>,
        tags: Vec<(String, String)>,
    ) -> S3Result<()> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            let done = match &version {
                None => meta::set_object_tags(&tx, &bucket, &key, &tags)?,
                Some(id) => versions::set_tags(&tx, &bucket, &key, id.as_deref(), &tags)?,
            };
            tx.commit()?;
            match (done, version) {
                (true, _) => Ok(()),
                (false, None) => Err(S3Error::new(ErrorCode::NoSuchKey).extra("Key", key)),
                (false, Some(id)) => Err(S3Error::new(ErrorCode::NoSuchVersion)
                    .extra("Key", key)
                    .extra("VersionId", id.unwrap_or_else(|| "null".into()))),
            }
        })
        .await
    }

    /// A bucket's tag set; `None` when it has none.
    pub async fn bucket_tags(&self, bucket: &str) -> S3Result<Option<Vec<(String, String)>>> {
        let bucket = bucket.to_string();
        self.with_db(move |c, _| {
            ensure_bucket(c, &bucket)?;
            Ok(meta::get_bucket_tags(c, &bucket)?)
        })
        .await
    }

    /// Sets (or with `None` removes) a bucket's tag set.
    pub async fn set_bucket_tags(&self, bucket: &str, tags: Option<Vec<(String, String)>>) -> S3Result<()> {
        let bucket = bucket.to_string();
        self.with_db(move |c, _| {
            ensure_bucket(c, &bucket)?;
            meta::set_bucket_tags(c, &bucket, tags.as_deref())?;
            Ok(())
        })
        .await
    }

    /// The buckets `owner` owns.
    pub async fn list_buckets(&self, owner: &str) -> S3Result<Vec<BucketRow>> {
        let owner = owner.to_string();
        self.with_db(move |c, _| Ok(meta::list_buckets(c, &owner)?)).await
    }

    /// Every bucket, of every account, with its object count and size (for the console).
    pub async fn bucket_usage(&self) -> S3Result<Vec<meta::BucketUsage>> {
        self.with_db(|c, _| Ok(meta::bucket_usage(c)?)).await
    }

    pub async fn delete_bucket(&self, name: &str) -> S3Result<DeleteBucket> {
        let name = name.to_string();
        let cache = self.buckets.clone();
        self.with_db(move |c, batch| {
            let (outcome, parts) = meta::delete_bucket(c, &name)?;
            refresh_bucket(&cache, c, &name)?;
            batch.remove_after_commit(parts);
            Ok(outcome)
        })
        .await
    }

    /// Starts writing a new body.
    pub async fn new_blob(&self) -> S3Result<BlobWriter> {
        Ok(self.blobs.create().await?)
    }

    /// Publishes `blob` as the object `meta.key` of `bucket` if `cond` holds; the replaced body,
    /// if any, is removed after the commit.
    pub async fn put_object(
        &self,
        bucket: &str,
        mut meta: ObjectMeta,
        blob: FinishedBlob,
        cond: PutCondition,
    ) -> S3Result<ObjectMeta> {
        let bucket = bucket.to_string();
        let in_row = blob.inline().is_some();
        let write = move |c: &mut Connection, batch: &mut Batch<'_>| {
            meta.blob_id = blob.id.clone();
            meta.size = blob.size;
            // A small body goes into the row: no file, so nothing to publish.
            meta.body = blob.inline();
            let commit = move |c: &mut Connection| {
                let tx = c.savepoint()?;
                ensure_bucket(&tx, &bucket)?;
                check_put_condition(&tx, &bucket, &meta.key, &cond)?;
                let old = versions::write_current(&tx, &bucket, &mut meta)?;
                tx.commit()?;
                Ok((meta, old))
            };
            if in_row {
                let (meta, replaced) = commit(c)?;
                batch.remove_after_commit(replaced);
                return Ok(meta);
            }
            publish_and_commit(c, batch, blob, commit)
        };
        self.with_db(write).await
    }

    /// The write count now: a listing rendered from reads that start after this call may be kept
    /// with [`Store::keep_page`].
    pub fn write_mark(&self) -> u64 {
        self.hot.now()
    }

    /// A listing page kept for the request `key` describes, if no write happened since.
    pub fn kept_page(&self, key: &str) -> Option<bytes::Bytes> {
        self.hot.page(key)
    }

    /// Keeps a rendered listing page for the request `key` describes, if no write happened since
    /// `mark` ([`Store::write_mark`], taken before the listing started).
    pub fn keep_page(&self, mark: u64, key: &str, page: &bytes::Bytes) {
        self.hot.keep_page(mark, key, page);
    }

    /// The object's metadata; `NoSuchBucket` / `NoSuchKey` when absent.
    pub async fn head_object(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        if let Some(m) = self.hot.row(bucket, key) {
            return Ok(m);
        }
        let at = self.hot.now();
        let found = self.with_reader(|c| Ok(meta::get_object(c, bucket, key)?))?;
        if let Some(m) = found {
            self.hot.keep_row(at, bucket, &m);
            return Ok(m);
        }
        self.head_object_locked(bucket, key).await
    }

    /// [`Store::head_object`] through the writer's connection (what tells a missing bucket).
    async fn head_object_locked(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.with_db(move |c, _| {
            if let Some(m) = meta::get_object(c, &bucket, &key)? {
                return Ok(m);
            }
            ensure_bucket(c, &bucket)?;
            Err(S3Error::new(ErrorCode::NoSuchKey).extra("Key", key))
        })
        .await
    }

    /// The object's metadata and its body opened for reading. An open file stays readable even if
    /// a concurrent overwrite removes it, so the reader sees one version whole.
    /// The current object and, when `want_body`, its body: read whole when it is at most `small`
    /// bytes (one blocking read instead of an open, a seek and several reads), else opened.
    pub async fn read_object(
        &self,
        bucket: &str,
        key: &str,
        small: u64,
        want_body: bool,
    ) -> S3Result<(ObjectMeta, ObjectBody)> {
        // The row may be replaced (and its file removed) between the lookup and the read: retry.
        for _ in 0..5 {
            let meta = self.head_object(bucket, key).await?;
            if !want_body {
                return Ok((meta, ObjectBody::None));
            }
            if let Some(body) = meta.body.clone() {
                return Ok((meta, ObjectBody::Small(body)));
            }
            let path = self.blobs.path(&meta.blob_id);
            if small > 0 && meta.size <= small {
                if let Some(body) = self.hot.body(&meta.blob_id) {
                    return Ok((meta, ObjectBody::Small(body)));
                }
                // Up to 64 KiB (a page-cache copy of microseconds) on the calling thread; more
                // on the blocking pool.
                let read = if meta.size <= INLINE_READ {
                    std::fs::read(&path)
                } else {
                    tokio::task::spawn_blocking(move || std::fs::read(path)).await.map_err(S3Error::internal)?
                };
                match read {
                    Ok(bytes) => {
                        let body = bytes::Bytes::from(bytes);
                        self.hot.keep_body(&meta.blob_id, &body);
                        return Ok((meta, ObjectBody::Small(body)));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        self.hot.forget_rows();
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            match tokio::fs::File::open(path).await {
                Ok(f) => return Ok((meta, ObjectBody::File(f))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.hot.forget_rows();
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(S3Error::internal("object body kept disappearing while being opened"))
    }

    /// Deletes an object; deleting a missing key succeeds, as on S3.
    /// Deletes an object only if its ETag is one of `if_match` (`*`: any): `NoSuchKey` when there
    /// is none, `PreconditionFailed` when it differs; the check and the delete are one
    /// transaction.
    pub async fn delete_object_if_match(
        &self,
        bucket: &str,
        key: &str,
        if_match: &str,
        now_ms: i64,
        owner: Option<String>,
    ) -> S3Result<DeleteOutcome> {
        let (bucket, key, if_match) = (bucket.to_string(), key.to_string(), if_match.to_string());
        self.with_db(move |c, batch| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            let Some(current) = meta::get_object(&tx, &bucket, &key)? else {
                return Err(S3Error::new(ErrorCode::NoSuchKey).extra("Key", key));
            };
            if !etag_matches(&if_match, &current.etag) {
                return Err(S3Error::new(ErrorCode::PreconditionFailed).extra("Condition", "If-Match"));
            }
            // Under versioning this puts a delete marker on top, as a plain delete does.
            let d = versions::delete_current(&tx, &bucket, &key, now_ms, owner)?;
            tx.commit()?;
            batch.remove_after_commit(d.removed_blobs);
            Ok(DeleteOutcome { version_id: d.marker.clone(), delete_marker: d.marker.is_some() })
        })
        .await
    }

    /// Deletes each (key, version) in one transaction, as S3 does under the bucket's versioning
    /// (a key without a version gets a delete marker when versioning is on); a result per entry.
    pub async fn delete_objects(
        &self,
        bucket: &str,
        entries: Vec<(String, Option<Option<String>>)>,
        now_ms: i64,
        owner: Option<String>,
    ) -> S3Result<Vec<S3Result<DeleteOutcome>>> {
        let bucket = bucket.to_string();
        self.with_db(move |c, batch| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            let mut removed = Vec::new();
            let mut results = Vec::with_capacity(entries.len());
            for (key, version) in &entries {
                match version {
                    None => {
                        let d = versions::delete_current(&tx, &bucket, key, now_ms, owner.clone())?;
                        removed.extend(d.removed_blobs);
                        results.push(Ok(DeleteOutcome {
                            version_id: d.marker.clone(),
                            delete_marker: d.marker.is_some(),
                        }));
                    }
                    Some(v) => {
                        let id = v.as_deref();
                        let (deleted, blobs_gone) = versions::delete_version(&tx, &bucket, key, id)?;
                        removed.extend(blobs_gone);
                        results.push(match deleted {
                            Some(d) => Ok(DeleteOutcome {
                                version_id: Some(d.version_id().map(str::to_string)),
                                delete_marker: d.is_marker(),
                            }),
                            None => Err(S3Error::new(ErrorCode::NoSuchVersion)
                                .extra("Key", key.clone())
                                .extra("VersionId", id.unwrap_or("null"))),
                        });
                    }
                }
            }
            tx.commit()?;
            batch.remove_after_commit(removed);
            Ok(results)
        })
        .await
    }

    /// The bucket's versioning state (`None`: never enabled).
    pub async fn versioning(&self, bucket: &str) -> S3Result<Option<Versioning>> {
        let bucket = bucket.to_string();
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            Ok(versions::state(&tx, &bucket)?)
        })
        .await
    }

    /// Enables or suspends versioning.
    pub async fn set_versioning(&self, bucket: &str, state: Versioning) -> S3Result<()> {
        let bucket = bucket.to_string();
        let cache = self.buckets.clone();
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            versions::set_state(&tx, &bucket, state)?;
            tx.commit()?;
            refresh_bucket(&cache, c, &bucket)?;
            Ok(())
        })
        .await
    }

    /// One version of a key (an object or a delete marker) by id (`None`: the null version);
    /// `NoSuchVersion` when there is none.
    pub async fn version(&self, bucket: &str, key: &str, id: Option<&str>) -> S3Result<Version> {
        let (bucket, key, id) = (bucket.to_string(), key.to_string(), id.map(str::to_string));
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            versions::get(&tx, &bucket, &key, id.as_deref())?.ok_or_else(|| {
                S3Error::new(ErrorCode::NoSuchVersion)
                    .extra("Key", key.clone())
                    .extra("VersionId", id.clone().unwrap_or_else(|| "null".into()))
            })
        })
        .await
    }

    /// The delete marker that is the key's current version, if it is one.
    pub async fn current_marker(&self, bucket: &str, key: &str) -> S3Result<Option<Version>> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            Ok(versions::current_marker(&tx, &bucket, &key)?)
        })
        .await
    }

    /// Opens one version's body (an object version; `MethodNotAllowed` is the caller's business
    /// for markers).
    pub async fn open_version(&self, bucket: &str, key: &str, id: Option<&str>) -> S3Result<(Version, ObjectBody)> {
        for _ in 0..5 {
            let v = self.version(bucket, key, id).await?;
            let blob = match &v {
                Version::Object(m) => match &m.body {
                    Some(body) => {
                        let body = body.clone();
                        return Ok((v, ObjectBody::Small(body)));
                    }
                    None => m.blob_id.clone(),
                },
                Version::Marker { .. } => return Ok((v, ObjectBody::None)),
            };
            match tokio::fs::File::open(self.blobs.path(&blob)).await {
                Ok(f) => return Ok((v, ObjectBody::File(f))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(S3Error::internal("object body kept disappearing while being opened"))
    }

    /// Versions of keys from `lower` (inclusive) below `upper`, newest first per key, at most
    /// `limit` rows, for ListObjectVersions.
    pub async fn scan_versions(
        &self,
        bucket: &str,
        lower: Vec<u8>,
        upper: Option<Vec<u8>>,
        limit: usize,
    ) -> S3Result<Vec<(Vec<u8>, i64, versions::Listed)>> {
        let bucket = bucket.to_string();
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            ensure_bucket(&tx, &bucket)?;
            Ok(versions::scan(&tx, &bucket, &lower, upper.as_deref(), limit)?)
        })
        .await
    }
}

impl Store {
    /// Removes every bucket and object (`POST /_s3strict/reset`).
    pub async fn reset(&self) -> S3Result<()> {
        let cache = self.buckets.clone();
        self.with_db(move |c, batch| {
            let ids = meta::reset(c)?;
            cache_write(&cache).clear();
            batch.remove_after_commit(ids);
            Ok(())
        })
        .await
    }
}

/// Whether an `If-Match`/`If-None-Match` list (`"a", "b"`, `*`, quoted or not) names `etag`.
pub fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',').map(|t| t.trim()).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t.trim_matches('"') == bare
    })
}

fn check_put_condition(tx: &Connection, bucket: &str, key: &str, cond: &PutCondition) -> S3Result<()> {
    if !cond.if_none_match_any && cond.if_match.is_none() {
        return Ok(());
    }
    let current = meta::get_object(tx, bucket, key)?;
    if cond.if_none_match_any && current.is_some() {
        return Err(S3Error::new(ErrorCode::PreconditionFailed).extra("Condition", "If-None-Match"));
    }
    if let Some(want) = &cond.if_match {
        let Some(current) = current else {
            return Err(S3Error::new(ErrorCode::NoSuchKey).extra("Key", key));
        };
        if !etag_matches(want, &current.etag) {
            return Err(S3Error::new(ErrorCode::PreconditionFailed).extra("Condition", "If-Match"));
        }
    }
    Ok(())
}
