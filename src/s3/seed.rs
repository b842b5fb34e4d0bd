//! Buckets and objects made at startup (`--buckets`, `--seed DIR`), with what CreateBucket and
//! PutObject would store for the default account's key: the same bucket defaults, ETag, checksum
//! (CRC64NVME, S3's default) and a content type guessed from the file name, as the AWS CLI does.

use std::path::{Path, PathBuf};

use crate::checksum::Algorithm;
use crate::state::AppState;
use crate::storage::{BucketRow, ObjectBody, ObjectMeta, PublicAccessBlock};

use super::bucket::validate_bucket_name;
use super::upload::{copy_into_blob, validate_key};
use crate::access::BUCKET_OWNER_ENFORCED;

/// Creates `name` for the default account unless it exists; whether it was created.
pub async fn ensure_bucket(state: &AppState, name: &str) -> Result<bool, String> {
    validate_bucket_name(name).map_err(|e| format!("cannot create bucket {name:?}: {}", e.detail()))?;
    let legacy = state.config.legacy_bucket_defaults;
    let row = BucketRow {
        name: name.to_string(),
        region: state.auth.region.clone(),
        created_ms: state.auth.clock.now().timestamp_millis(),
        owner_account: state.config.account_id.clone(),
        policy: None,
        ownership: (!legacy).then(|| BUCKET_OWNER_ENFORCED.to_string()),
        public_access_block: (!legacy).then_some(PublicAccessBlock::ALL),
        acl: None,
        accepts_sigv2: legacy,
        versioning: None,
    };
    let existing = state.store.create_bucket(row).await.map_err(|e| format!("cannot create bucket {name:?}: {e}"))?;
    Ok(existing.is_none())
}

/// What a seed folder loaded.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    pub buckets: usize,
    pub objects: usize,
    pub bytes: u64,
}

/// Loads `dir`: each folder in it is a bucket (created unless it exists), each file below that an
/// object, overwriting one of the same key. Files directly in `dir` and entries that are neither
/// files nor folders (sockets, broken links) are refused, so that nothing is silently skipped.
pub async fn load(state: &AppState, dir: &Path) -> Result<Seeded, String> {
    let shown = dir.display();
    let mut seeded = Seeded::default();
    let mut buckets = read_dir_sorted(dir).map_err(|e| format!("cannot read --seed folder {shown}: {e}"))?;
    buckets.retain(|p| !is_hidden(p));
    for path in buckets {
        let name = file_name(&path)?;
        if !path.is_dir() {
            return Err(format!(
                "--seed folder {shown}: {name:?} is not a folder (each folder in it is a bucket, its files are objects)"
            ));
        }
        ensure_bucket(state, &name).await?;
        seeded.buckets += 1;
        let mut pending = vec![(path.clone(), String::new())];
        while let Some((folder, prefix)) = pending.pop() {
            let entries = read_dir_sorted(&folder).map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
            for entry in entries {
                let key = format!("{prefix}{}", file_name(&entry)?);
                if entry.is_dir() {
                    pending.push((entry, format!("{key}/")));
                } else if entry.is_file() {
                    seeded.bytes += put_file(state, &name, &key, &entry).await?;
                    seeded.objects += 1;
                } else {
                    return Err(format!("{} is neither a file nor a folder", entry.display()));
                }
            }
        }
    }
    Ok(seeded)
}

fn read_dir_sorted(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<std::io::Result<Vec<_>>>()?;
    paths.sort();
    Ok(paths)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn file_name(path: &Path) -> Result<String, String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| format!("{} has a name that is not UTF-8, so it cannot be a bucket or key", path.display()))
}

/// Stores one file as `bucket/key`; returns its size.
async fn put_file(state: &AppState, bucket: &str, key: &str, path: &Path) -> Result<u64, String> {
    let fail = |e: String| format!("cannot load {} as s3://{bucket}/{key}: {e}", path.display());
    validate_key(key).map_err(|e| fail(e.detail()))?;
    let file = tokio::fs::File::open(path).await.map_err(|e| fail(e.to_string()))?;
    let len = file.metadata().await.map_err(|e| fail(e.to_string()))?.len();
    let (blob, checksum) = copy_into_blob(&state.store, ObjectBody::File(file), 0, len, Algorithm::Crc64Nvme)
        .await
        .map_err(|e| fail(e.detail()))?;
    let size = blob.size;
    let content_type = mime_guess::from_path(path).first_raw().unwrap_or(super::upload::DEFAULT_CONTENT_TYPE);
    let meta = ObjectMeta {
        key: key.to_string(),
        etag: blob.etag(),
        last_modified_ms: state.auth.clock.now().timestamp_millis(),
        headers: vec![("content-type".to_string(), content_type.to_string())],
        checksum: Some(checksum),
        ..Default::default()
    };
    let cond = crate::storage::PutCondition::default();
    state.store.put_object(bucket, meta, blob, cond).await.map_err(|e| fail(e.to_string()))?;
    Ok(size)
}
