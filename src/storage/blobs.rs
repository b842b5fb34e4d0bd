//! Object bodies as files. A body streams into `tmp/<id>`, is renamed to `blobs/<id[..2]>/<id>`
//! before the metadata that publishes it commits, and is removed only after the commit that
//! unpublishes it. File names come from random ids, never from keys, so no key can reach a path.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use md5::{Digest as _, Md5};

/// The on-disk layout under the data directory.
#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
    /// Flush bodies and directory entries to the disk before a write is acknowledged.
    fsync: bool,
}

impl Blobs {
    /// The layout rooted at `root`, creating its folders (owner-only).
    pub fn open(root: &Path, fsync: bool) -> io::Result<Self> {
        super::private::private_dir(&root.join("tmp"))?;
        super::private::private_dir(&root.join("blobs"))?;
        Ok(Blobs { root: root.to_path_buf(), fsync })
    }

    /// Where a published blob lives.
    pub fn path(&self, id: &str) -> PathBuf {
        let shard = id.get(..2).unwrap_or("00");
        self.root.join("blobs").join(shard).join(id)
    }

    fn tmp_path(&self, id: &str) -> PathBuf {
        self.root.join("tmp").join(id)
    }

    /// Starts a new body in `tmp/`. Its first [`INLINE_BODY`] bytes stay in memory; a body no
    /// larger is written to its file in one go when finished, sparing small uploads several
    /// trips through the blocking pool.
    pub async fn create(&self) -> io::Result<BlobWriter> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tmp = self.tmp_path(&id);
        Ok(BlobWriter { id, fsync: self.fsync, tmp: Some(tmp), spill: None, pending: Vec::new(), size: 0 })
    }

    /// Moves a staged body from `tmp/` to its published place, or writes a small one kept in
    /// memory straight there (blocking; call off the executor). A crash before the publishing
    /// transaction commits leaves a file no row names, which [`Blobs::sweep`] removes.
    pub fn publish(&self, blob: &impl Staged) -> io::Result<()> {
        let dest = self.path(blob.id());
        let parent = dest.parent().unwrap_or(&self.root).to_path_buf();
        super::private::private_dir(&parent)?;
        match blob.in_memory() {
            Some(body) => {
                use std::io::Write as _;
                let mut f = super::private::private_file(&dest)?;
                f.write_all(body)?;
                if self.fsync {
                    f.sync_all()?;
                }
            }
            None => std::fs::rename(blob.tmp(), &dest)?,
        }
        if self.fsync {
            // The rename is durable once the directory holding the new entry is.
            std::fs::File::open(&parent)?.sync_all()?;
        }
        Ok(())
    }

    /// Concatenates published blobs, in order, into a new body in `tmp/` (blocking). On Linux the
    /// copy runs in the kernel (`copy_file_range`), so memory does not grow with the size.
    pub fn concat(&self, ids: &[String]) -> io::Result<AssembledBlob> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tmp = self.tmp_path(&id);
        let guard = TmpGuard(Some(tmp.clone()));
        let mut out = super::private::private_file(&tmp)?;
        let mut size = 0;
        for source in ids {
            let mut part = std::fs::File::open(self.path(source))?;
            size += io::copy(&mut part, &mut out)?;
        }
        if self.fsync {
            out.sync_all()?;
        }
        Ok(AssembledBlob { id, tmp, size, guard })
    }

    /// Removes a published blob; a missing file is not an error (blocking).
    pub fn remove(&self, id: &str) {
        if let Err(e) = std::fs::remove_file(self.path(id)) {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(blob = id, error = %e, "could not remove blob");
            }
        }
    }

    /// Startup recovery: empties `tmp/` and removes every published blob for which `is_live` is
    /// false (blocking). Returns how many files were removed.
    pub fn sweep(&self, is_live: impl Fn(&str) -> bool) -> io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(self.root.join("tmp"))? {
            std::fs::remove_file(entry?.path())?;
            removed += 1;
        }
        for shard in std::fs::read_dir(self.root.join("blobs"))? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(shard.path())? {
                let entry = entry?;
                let name = entry.file_name();
                if !is_live(&name.to_string_lossy()) {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// A stored body is read for a response in chunks of this size.
pub const READ_CHUNK: usize = 1024 * 1024;

/// How many chunks may be read ahead of the response.
const READ_AHEAD: usize = 2;

/// Reads `len` bytes of `file` from `start` for a response, a chunk at a time, ahead of the
/// response by up to `READ_AHEAD` chunks; reading stops when the receiver is dropped.
///
/// Each chunk is read straight into the buffer that leaves with the response (no buffer between:
/// `tokio::fs::File` reads into its own and copies out), by a blocking task that ends with the
/// read (no thread is held while a slow client drains the socket). Measured on a 1 GiB GET: from
/// 0.96-1.03 x nginx's `sendfile` (256 KiB reads through `tokio::fs::File`) to 1.45-1.6 x.
pub fn read_ahead(file: std::fs::File, start: u64, len: u64) -> tokio::sync::mpsc::Receiver<io::Result<Bytes>> {
    let (chunks, receiver) = tokio::sync::mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        let mut file = file;
        let mut left = len;
        let mut seek = Some(start);
        while left > 0 {
            let want = left.min(READ_CHUNK as u64);
            let read = tokio::task::spawn_blocking(move || {
                use std::io::{Read as _, Seek as _};
                if let Some(at) = seek {
                    file.seek(io::SeekFrom::Start(at))?;
                }
                let mut chunk = Vec::with_capacity(want as usize);
                // `read_to_end` fills the spare capacity without zeroing it first.
                (&mut file).take(want).read_to_end(&mut chunk)?;
                Ok::<_, io::Error>((file, chunk))
            })
            .await
            .map_err(io::Error::other)
            .and_then(|r| r);
            seek = None;
            let chunk = match read {
                Ok((f, chunk)) => {
                    file = f;
                    chunk
                }
                Err(e) => {
                    let _ = chunks.send(Err(e)).await;
                    return;
                }
            };
            if chunk.is_empty() {
                let short = io::Error::new(io::ErrorKind::UnexpectedEof, "a stored body is shorter than its size");
                let _ = chunks.send(Err(short)).await;
                return;
            }
            left -= chunk.len() as u64;
            if chunks.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
        }
    });
    receiver
}

/// A body being written to `tmp/`, hashed as it goes. Dropped unfinished, its file is removed.
#[derive(Debug)]
pub struct BlobWriter {
    id: String,
    fsync: bool,
    tmp: Option<PathBuf>,
    /// The threads writing and hashing a body that outgrew [`INLINE_BODY`].
    spill: Option<Spill>,
    /// The body so far while it is small.
    pending: Vec<u8>,
    size: u64,
}

/// Bodies up to this size are kept in memory until finished.
pub const INLINE_BODY: usize = 64 * 1024;

/// Received chunks (64 KiB each from hyper on loopback) travel to the disk and hasher threads in
/// batches of about this size: one wake-up per batch instead of per chunk (a profile of 64 KiB
/// hand-offs showed a fifth of the time in task switches).
const SPILL_BATCH: usize = 1024 * 1024;

/// How many batches may wait for the disk or the hasher before the upload waits, so a stream
/// holds a few MiB whatever its size.
const SPILL_QUEUE: usize = 3;

type Batch = std::sync::Arc<Vec<Bytes>>;

/// A large body's pipeline. The ETag's MD5 is the slowest step of an upload (about 700 MiB/s on
/// one core), so it runs on a thread of its own and gets that core to itself, while another
/// thread writes the same chunks (shared, not copied) to the file and the executor keeps
/// reading the socket. Measured on a 1 GiB presigned PUT on 2 cores: 420 MiB/s with hashing on
/// the executor and the file behind tokio's buffered writer; see the README's benchmark table.
#[derive(Debug)]
struct Spill {
    batch: Vec<Bytes>,
    batch_len: usize,
    to_disk: tokio::sync::mpsc::Sender<Batch>,
    to_hasher: tokio::sync::mpsc::Sender<Batch>,
    disk: tokio::task::JoinHandle<io::Result<()>>,
    hasher: tokio::task::JoinHandle<Md5>,
}

impl Spill {
    fn start(file: std::fs::File, fsync: bool) -> Spill {
        let (to_disk, mut disk_rx) = tokio::sync::mpsc::channel::<Batch>(SPILL_QUEUE);
        let (to_hasher, mut hash_rx) = tokio::sync::mpsc::channel::<Batch>(SPILL_QUEUE);
        let disk = tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut file = file;
            while let Some(batch) = disk_rx.blocking_recv() {
                for chunk in batch.iter() {
                    file.write_all(chunk)?;
                }
            }
            if fsync {
                file.sync_all()?;
            }
            Ok(())
        });
        let hasher = tokio::task::spawn_blocking(move || {
            let mut md5 = Md5::new();
            while let Some(batch) = hash_rx.blocking_recv() {
                for chunk in batch.iter() {
                    md5.update(chunk);
                }
            }
            md5
        });
        Spill { batch: Vec::new(), batch_len: 0, to_disk, to_hasher, disk, hasher }
    }

    /// Adds a chunk; hands a full batch to both threads, waiting only when one of them is
    /// [`SPILL_QUEUE`] batches behind.
    async fn send(&mut self, chunk: Bytes) -> io::Result<()> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= SPILL_BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch: Batch = std::sync::Arc::new(std::mem::take(&mut self.batch));
        self.batch_len = 0;
        let hashed = self.to_hasher.send(batch.clone()).await.is_ok();
        if self.to_disk.send(batch).await.is_err() || !hashed {
            // A thread stopped early: the disk thread only on a write error, which is the answer.
            let stopped = (&mut self.disk).await.map_err(io::Error::other).and_then(|r| r);
            return Err(stopped.err().unwrap_or_else(|| io::Error::other("body pipeline stopped")));
        }
        Ok(())
    }

    /// Sends the last batch, closes both queues and waits for the file and the digest.
    async fn finish(mut self) -> io::Result<[u8; 16]> {
        self.flush().await?;
        drop(self.to_disk);
        drop(self.to_hasher);
        self.disk.await.map_err(io::Error::other)??;
        Ok(self.hasher.await.map_err(io::Error::other)?.finalize().into())
    }
}

impl BlobWriter {
    /// Appends data.
    pub async fn write(&mut self, data: Bytes) -> io::Result<()> {
        self.size += data.len() as u64;
        if self.spill.is_none() {
            if self.pending.len() + data.len() <= INLINE_BODY {
                self.pending.extend_from_slice(&data);
                return Ok(());
            }
            let tmp = self.tmp.clone().unwrap_or_default();
            let file = super::private::private_file_async(&tmp).await?.into_std().await;
            let mut spill = Spill::start(file, self.fsync);
            spill.send(Bytes::from(std::mem::take(&mut self.pending))).await?;
            self.spill = Some(spill);
        }
        match self.spill.as_mut() {
            Some(spill) => spill.send(data).await,
            None => Ok(()),
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes and closes the file. A small body stays in memory: an object's goes into its row
    /// (`ObjectMeta::body`), anything else (a part) is written straight to its published place
    /// by [`Blobs::publish`].
    pub async fn finish(mut self) -> io::Result<FinishedBlob> {
        let tmp = self.tmp.take().unwrap_or_default();
        let (md5, body, guard) = match self.spill.take() {
            Some(spill) => (spill.finish().await?, None, TmpGuard(Some(tmp.clone()))),
            None => {
                let body = Bytes::from(std::mem::take(&mut self.pending));
                (Md5::digest(&body).into(), Some(body), TmpGuard(None))
            }
        };
        Ok(FinishedBlob { id: std::mem::take(&mut self.id), tmp, size: self.size, md5, body, guard })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // A small body never reached its file. A spilled one is removed once its disk thread has
        // seen its queue close and dropped the file (removal does not wait for it on Linux anyway).
        if let (Some(path), true) = (self.tmp.take(), self.spill.is_some()) {
            remove_soon(path);
        }
    }
}

/// A body complete in `tmp/`, waiting to be published; its tmp file is removed when it is dropped
/// unpublished.
pub trait Staged {
    /// The id it is published under.
    fn id(&self) -> &str;
    /// Where it waits.
    fn tmp(&self) -> &Path;
    /// A small body kept in memory instead of a file in `tmp/`.
    fn in_memory(&self) -> Option<&[u8]> {
        None
    }
    /// Marks it as published: its tmp file is no longer removed on drop.
    fn published(self);
}

/// A received body complete in `tmp/`, not yet published.
#[derive(Debug)]
pub struct FinishedBlob {
    pub id: String,
    pub tmp: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    /// The whole body when it is small (no file in `tmp/` then).
    body: Option<Bytes>,
    guard: TmpGuard,
}

impl FinishedBlob {
    /// The S3 ETag of a single-part body: its quoted hex MD5.
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }

    /// The body, when it is small enough to be kept in memory (and then in an object's row).
    pub fn inline(&self) -> Option<Bytes> {
        self.body.clone()
    }
}

impl Staged for FinishedBlob {
    fn id(&self) -> &str {
        &self.id
    }

    fn tmp(&self) -> &Path {
        &self.tmp
    }

    fn in_memory(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    fn published(mut self) {
        self.guard.0 = None;
    }
}

/// Parts concatenated in `tmp/`, not yet published.
#[derive(Debug)]
pub struct AssembledBlob {
    pub id: String,
    pub tmp: PathBuf,
    pub size: u64,
    guard: TmpGuard,
}

impl Staged for AssembledBlob {
    fn id(&self) -> &str {
        &self.id
    }

    fn tmp(&self) -> &Path {
        &self.tmp
    }

    fn published(mut self) {
        self.guard.0 = None;
    }
}

/// Removes a tmp file when dropped, unless disarmed.
#[derive(Debug)]
struct TmpGuard(Option<PathBuf>);

impl Drop for TmpGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            remove_soon(path);
        }
    }
}

/// Removes a file without blocking the executor when one is running.
fn remove_soon(path: PathBuf) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn_blocking(move || std::fs::remove_file(path));
        }
        Err(_) => {
            let _ = std::fs::remove_file(path);
        }
    }
}
