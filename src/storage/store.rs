//! The [`Store`] handle itself: opening (and locking) the data directory, the writer thread and
//! the pooled read-only connections every operation runs on, the in-memory copy of the bucket
//! rows, and the few steps the operations share (`ensure_bucket`, `publish_and_commit`). The
//! operations are `impl Store` blocks in the files beside this one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::Connection;

use super::blobs::{self, Staged};
use super::hot;
use super::meta::{self, BucketRow};
use super::private::{private_dir, private_file, restrict};
use super::schema;
use super::writer::{self, Batch};
use crate::error::{ErrorCode, S3Error, S3Result};

/// Handle to the data directory; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    /// The thread that owns the read-write connection and runs every write ([`writer`]).
    pub(super) writer: Arc<writer::Writer>,
    /// Read-only connections for the hottest read (an object's row by key), used on the calling
    /// thread: in WAL mode they read beside the writer, and a lookup by primary key costs
    /// microseconds, less than handing it to the blocking pool and back (which dominated a
    /// profile of small GETs).
    pub(super) readers: Arc<Mutex<Vec<Connection>>>,
    pub(super) db_path: PathBuf,
    pub(super) blobs: blobs::Blobs,
    pub(super) root: PathBuf,
    /// Every bucket row, in memory: each request reads its bucket (authorization does), and every
    /// change to a bucket row is made here, so the copy is refreshed on the writer thread by the
    /// write that changed it.
    pub(super) buckets: Arc<RwLock<HashMap<String, BucketRow>>>,
    /// Object rows and small bodies recently read ([`hot`]).
    pub(super) hot: Arc<hot::Hot>,
    /// The exclusive lock on the data directory, held while the store lives.
    _lock: Arc<std::fs::File>,
}

/// Read-only connections kept for reuse.
const MAX_READERS: usize = 4;

/// Takes the exclusive lock on the data directory (`s3strict.lock`, holding the owner's process
/// id), so that a second server on the same directory stops instead of sweeping the first one's
/// work as leftovers.
fn lock_data_dir(root: &Path) -> S3Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = root.join("s3strict.lock");
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    // A store of this very process that is closing (a server restarted in place, as
    // `TestServer::restart` does) lets go of the lock once its last user is done, which a
    // blocking read still finishing may delay: that holder is waited for, a while. Another
    // process's is refused at once.
    let patience = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.seek(std::io::SeekFrom::Start(0))?;
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                if holder == std::process::id().to_string() && std::time::Instant::now() < patience {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    continue;
                }
                let who = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
                return Err(S3Error::internal(format!("it is in use by another s3strict{who}")));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
    file.set_len(0)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(file)
}

/// The in-memory copy of the bucket rows.
pub(super) type BucketCache = Arc<RwLock<HashMap<String, BucketRow>>>;

/// Reads every bucket row into the copy, replacing what it held.
fn reload_buckets(cache: &BucketCache, c: &Connection) -> S3Result<()> {
    let all = meta::all_buckets(c)?;
    *cache_write(cache) = all.into_iter().map(|b| (b.name.clone(), b)).collect();
    Ok(())
}

pub(super) fn cache_write(cache: &BucketCache) -> std::sync::RwLockWriteGuard<'_, HashMap<String, BucketRow>> {
    match cache.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Re-reads bucket `name` into the cache (removing it when it is gone); call with the database
/// lock held, after the change committed.
pub(super) fn refresh_bucket(cache: &BucketCache, c: &Connection, name: &str) -> S3Result<()> {
    let row = meta::get_bucket(c, name)?;
    let mut map = cache_write(cache);
    match row {
        Some(r) => map.insert(name.to_string(), r),
        None => map.remove(name),
    };
    Ok(())
}

impl Store {
    /// Opens the data directory at `root`, creating it, migrating the schema and removing what a
    /// crash left behind. With `fsync`, acknowledged writes also survive a power loss.
    pub async fn open(root: &Path, fsync: bool) -> S3Result<Store> {
        let root = root.to_path_buf();
        tokio::task::spawn_blocking(move || -> S3Result<Store> {
            private_dir(&root)?;
            let lock = lock_data_dir(&root)?;
            let blobs = blobs::Blobs::open(&root, fsync)?;
            let db_path = root.join("s3strict.db");
            // SQLite creates its -wal and -shm files with the database file's permissions.
            if !db_path.exists() {
                drop(private_file(&db_path)?);
            }
            restrict(&db_path, 0o600)?;
            let conn = schema::open(&db_path, fsync)?;
            let removed = blobs.sweep(|id| meta::blob_is_live(&conn, id).unwrap_or(true))?;
            if removed > 0 {
                tracing::info!(removed, "recovery removed files no object refers to");
            }
            let buckets: BucketCache = Arc::default();
            reload_buckets(&buckets, &conn)?;
            let hot = Arc::<hot::Hot>::default();
            // Jobs refresh the bucket copy as they change rows, before their group commits: a
            // group that does not commit leaves it to be read again.
            let cache = buckets.clone();
            let rolled_back = Box::new(move |c: &Connection| {
                if let Err(e) = reload_buckets(&cache, c) {
                    tracing::error!(error = %e, "could not read the buckets again");
                }
            });
            Ok(Store {
                writer: Arc::new(writer::Writer::start(
                    conn,
                    schema::open(&db_path, fsync)?,
                    blobs.clone(),
                    hot.clone(),
                    rolled_back,
                )?),
                readers: Arc::new(Mutex::new(Vec::new())),
                db_path,
                blobs,
                root,
                buckets,
                hot,
                _lock: Arc::new(lock),
            })
        })
        .await
        .map_err(S3Error::internal)?
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `f` with the read-write connection on the writer thread, answering once its changes
    /// are committed ([`writer`]).
    pub(super) async fn with_db<T, F>(&self, f: F) -> S3Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut Batch<'_>) -> S3Result<T> + Send + 'static,
    {
        self.writer.run(f).await
    }

    /// Runs `f` on a pooled read-only connection, on the calling thread.
    pub(super) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> S3Result<T>) -> S3Result<T> {
        let pooled = match self.readers.lock() {
            Ok(mut g) => g.pop(),
            Err(p) => p.into_inner().pop(),
        };
        let conn = match pooled {
            Some(c) => c,
            None => schema::open_reader(&self.db_path)?,
        };
        let out = f(&conn);
        let mut pool = match self.readers.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if pool.len() < MAX_READERS {
            pool.push(conn);
        }
        out
    }

    /// [`Store::with_reader`] on the blocking pool, for reads too long for the calling thread.
    pub(super) async fn with_reader_off<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> S3Result<T> + Send + 'static,
    ) -> S3Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.with_reader(f)).await.map_err(S3Error::internal)?
    }
}

/// The one write sequence: `blob` moves into `blobs/`, `commit` names it in the database and
/// returns the ids of the bodies it replaced, which are removed once the writer's transaction has
/// committed. If `commit` fails (or the transaction does), the new body is removed instead and
/// the old ones stay, so a reader (or a crash) always finds one whole version ([`writer`]).
pub(super) fn publish_and_commit<B: Staged, T>(
    c: &mut Connection,
    batch: &mut Batch<'_>,
    blob: B,
    commit: impl FnOnce(&mut Connection) -> S3Result<(T, Vec<String>)>,
) -> S3Result<T> {
    batch.publish(blob)?;
    let (value, replaced) = commit(c)?;
    batch.remove_after_commit(replaced);
    Ok(value)
}

/// `NoSuchBucket` unless the bucket exists.
pub(super) fn ensure_bucket(c: &Connection, bucket: &str) -> S3Result<()> {
    match meta::get_bucket(c, bucket)? {
        Some(_) => Ok(()),
        None => Err(no_such_bucket(bucket)),
    }
}

/// `NoSuchBucket` with `BucketName`.
pub fn no_such_bucket(name: &str) -> S3Error {
    S3Error::new(ErrorCode::NoSuchBucket).extra("BucketName", name)
}
