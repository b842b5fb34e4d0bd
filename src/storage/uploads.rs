//! Multipart uploads in the store: uploads and their parts, completing and aborting them, and
//! ListMultipartUploads pages.

use rusqlite::Connection;

use super::blobs::FinishedBlob;
use super::listing::{prefix_successor, rolled_prefix, LIST_BATCH};
use super::meta::{self, ObjectMeta, PartRow, UploadRow};
use super::store::{ensure_bucket, publish_and_commit, Store};
use super::versions;
use crate::error::{ErrorCode, S3Error, S3Result};

/// Parameters of one ListMultipartUploads page.
#[derive(Debug, Clone, Default)]
pub struct UploadsQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: usize,
}

/// One ListMultipartUploads page.
#[derive(Debug, Default)]
pub struct UploadsPage {
    pub uploads: Vec<UploadRow>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
}

/// Multipart uploads. Parts are blobs like object bodies; completing an upload copies its parts,
/// in order, into one new body (the kernel's `copy_file_range`, memory independent of the size),
/// publishes it as the object and only then removes the part files.
impl Store {
    pub async fn create_upload(&self, row: UploadRow) -> S3Result<()> {
        self.with_db(move |c, _| {
            ensure_bucket(c, &row.bucket)?;
            Ok(meta::insert_upload(c, &row)?)
        })
        .await
    }

    /// The upload, or `NoSuchUpload` (`NoSuchBucket` when the bucket is gone).
    pub async fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<UploadRow> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.with_db(move |c, _| require_upload(c, &bucket, &key, &upload_id)).await
    }

    /// Publishes `blob` as part `part.part_number`, replacing an earlier one.
    pub async fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        mut part: PartRow,
        blob: FinishedBlob,
    ) -> S3Result<PartRow> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.with_db(move |c, batch| {
            part.blob_id = blob.id.clone();
            part.size = blob.size;
            publish_and_commit(c, batch, blob, |c| {
                let tx = c.savepoint()?;
                require_upload(&tx, &bucket, &key, &upload_id)?;
                let old = meta::upsert_part(&tx, &upload_id, &part)?;
                tx.commit()?;
                Ok((part, old.into_iter().collect()))
            })
        })
        .await
    }

    /// Parts numbered above `after`, at most `limit`.
    pub async fn list_parts(&self, upload_id: &str, after: u32, limit: usize) -> S3Result<Vec<PartRow>> {
        let upload_id = upload_id.to_string();
        self.with_db(move |c, _| Ok(meta::list_parts(c, &upload_id, after, limit)?)).await
    }

    /// Completes an upload from `chosen` parts (already checked against the upload's parts):
    /// concatenates them into a new body, publishes `meta` for it and removes the upload, all its
    /// parts' files and the replaced object's body.
    pub async fn complete_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        mut meta: ObjectMeta,
        chosen: Vec<PartRow>,
    ) -> S3Result<ObjectMeta> {
        let (bucket, upload_id) = (bucket.to_string(), upload_id.to_string());
        let blobs = self.blobs.clone();
        let sources: Vec<String> = chosen.iter().map(|p| p.blob_id.clone()).collect();
        let assembled = tokio::task::spawn_blocking(move || blobs.concat(&sources))
            .await
            .map_err(S3Error::internal)?
            .map_err(|e| match e.kind() {
            // A part was replaced or the upload aborted while copying.
            std::io::ErrorKind::NotFound => S3Error::new(ErrorCode::InvalidPart),
            _ => S3Error::internal(e),
        })?;
        self.with_db(move |c, batch| {
            meta.blob_id = assembled.id.clone();
            meta.size = assembled.size;
            meta.part_sizes = chosen.iter().map(|p| p.size).collect();
            if chosen.iter().all(|p| p.checksum.is_some()) {
                meta.part_checksums =
                    chosen.iter().filter_map(|p| p.checksum.as_ref().map(|c| c.value.clone())).collect();
            }
            publish_and_commit(c, batch, assembled, |c| {
                let tx = c.savepoint()?;
                require_upload(&tx, &bucket, &meta.key, &upload_id)?;
                let current = meta::list_parts(&tx, &upload_id, 0, usize::MAX >> 1)?;
                for p in &chosen {
                    if !current.iter().any(|q| q.part_number == p.part_number && q.blob_id == p.blob_id) {
                        return Err(S3Error::new(ErrorCode::InvalidPart));
                    }
                }
                let old = versions::write_current(&tx, &bucket, &mut meta)?;
                let parts = meta::delete_upload(&tx, &upload_id)?;
                tx.commit()?;
                Ok((meta, old.into_iter().chain(parts).collect()))
            })
        })
        .await
    }

    /// Aborts an upload and removes its parts.
    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<()> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.with_db(move |c, batch| {
            let tx = c.savepoint()?;
            require_upload(&tx, &bucket, &key, &upload_id)?;
            let parts = meta::delete_upload(&tx, &upload_id)?;
            tx.commit()?;
            batch.remove_after_commit(parts);
            Ok(())
        })
        .await
    }

    /// One page of uploads in progress, ordered by key, then initiation time.
    pub async fn list_uploads(&self, bucket: &str, q: UploadsQuery) -> S3Result<UploadsPage> {
        let bucket = bucket.to_string();
        self.with_db(move |c, _| {
            ensure_bucket(c, &bucket)?;
            uploads_page(c, &bucket, &q)
        })
        .await
    }
}

fn require_upload(c: &Connection, bucket: &str, key: &str, upload_id: &str) -> S3Result<UploadRow> {
    if let Some(u) = meta::get_upload(c, bucket, key, upload_id)? {
        return Ok(u);
    }
    ensure_bucket(c, bucket)?;
    Err(S3Error::new(ErrorCode::NoSuchUpload).extra("UploadId", upload_id))
}

fn uploads_page(c: &Connection, bucket: &str, q: &UploadsQuery) -> S3Result<UploadsPage> {
    let mut page = UploadsPage::default();
    if q.max_uploads == 0 {
        return Ok(page);
    }
    let prefix = q.prefix.as_bytes();
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty()).map(str::as_bytes);
    let key_marker = q.key_marker.as_deref().map(str::as_bytes);
    let mut cursor = match (key_marker, &q.upload_id_marker) {
        (Some(k), Some(id)) => meta::UploadCursor::After(k.to_vec(), id.clone()),
        (Some(k), None) => meta::UploadCursor::AfterKey(k.to_vec()),
        (None, _) => meta::UploadCursor::From(prefix.to_vec()),
    };
    'scan: loop {
        let rows = meta::scan_uploads(c, bucket, &cursor, LIST_BATCH)?;
        let full_batch = rows.len() == LIST_BATCH;
        for row in rows {
            let key = row.key.as_bytes().to_vec();
            cursor = meta::UploadCursor::After(key.clone(), row.upload_id.clone());
            if !key.starts_with(prefix) {
                if key.as_slice() > prefix {
                    break 'scan;
                }
                continue;
            }
            let rolled = delimiter.and_then(|d| rolled_prefix(&key, prefix, d)).map(<[u8]>::to_vec);
            if let Some(cp) = rolled {
                if key_marker.is_none_or(|m| cp.as_slice() > m) {
                    if page.uploads.len() + page.common_prefixes.len() == q.max_uploads {
                        page.truncated = true;
                        break 'scan;
                    }
                    page.common_prefixes.push(String::from_utf8_lossy(&cp).into_owned());
                }
                match prefix_successor(&cp) {
                    Some(next) => {
                        cursor = meta::UploadCursor::From(next);
                        continue 'scan;
                    }
                    None => break 'scan,
                }
            }
            if page.uploads.len() + page.common_prefixes.len() == q.max_uploads {
                page.truncated = true;
                break 'scan;
            }
            page.uploads.push(row);
        }
        if !full_batch {
            break;
        }
    }
    Ok(page)
}
