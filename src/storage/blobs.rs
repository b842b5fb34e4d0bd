//! Object bodies as files. A body streams into `tmp/<id>`, is renamed to `blobs/<id[..2]>/<id>`
//! before the metadata that publishes it commits, and is removed only after the commit that
//! unpublishes it. File names come from random ids, never from keys, so no key can reach a path.

use std::io;
use std::path::{Path, PathBuf};

use md5::{Digest as _, Md5};
use tokio::io::{AsyncWriteExt, BufWriter};

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
        super::private_dir(&root.join("tmp"))?;
        super::private_dir(&root.join("blobs"))?;
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
        Ok(BlobWriter {
            id,
            fsync: self.fsync,
            tmp: Some(tmp),
            file: None,
            pending: Vec::new(),
            md5: Md5::new(),
            size: 0,
        })
    }

    /// Moves a staged body from `tmp/` to its published place (blocking; call off the executor).
    pub fn publish(&self, blob: &impl Staged) -> io::Result<()> {
        let dest = self.path(blob.id());
        let parent = dest.parent().unwrap_or(&self.root).to_path_buf();
        super::private_dir(&parent)?;
        std::fs::rename(blob.tmp(), &dest)?;
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
        let mut out = super::private_file(&tmp)?;
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

/// A body being written to `tmp/`, hashed as it goes. Dropped unfinished, its file is removed.
#[derive(Debug)]
pub struct BlobWriter {
    id: String,
    fsync: bool,
    tmp: Option<PathBuf>,
    /// Opened once the body outgrows [`INLINE_BODY`].
    file: Option<BufWriter<tokio::fs::File>>,
    /// The body so far while it is small.
    pending: Vec<u8>,
    md5: Md5,
    size: u64,
}

/// Bodies up to this size are kept in memory until finished.
pub const INLINE_BODY: usize = 64 * 1024;

impl BlobWriter {
    /// Appends data.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.md5.update(data);
        self.size += data.len() as u64;
        if self.file.is_none() {
            if self.pending.len() + data.len() <= INLINE_BODY {
                self.pending.extend_from_slice(data);
                return Ok(());
            }
            let tmp = self.tmp.clone().unwrap_or_default();
            let mut file = BufWriter::with_capacity(256 * 1024, super::private_file_async(&tmp).await?);
            file.write_all(&std::mem::take(&mut self.pending)).await?;
            self.file = Some(file);
        }
        match self.file.as_mut() {
            Some(f) => f.write_all(data).await,
            None => Ok(()),
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes and closes the file.
    pub async fn finish(mut self) -> io::Result<FinishedBlob> {
        let path = self.tmp.clone().unwrap_or_default();
        match self.file.as_mut() {
            Some(file) => {
                file.flush().await?;
                if self.fsync {
                    file.get_mut().sync_all().await?;
                }
            }
            // A small body: create, write and close its file here (a few microseconds), or on the
            // blocking pool when it must also reach the disk.
            None => {
                let body = std::mem::take(&mut self.pending);
                let write = move |path: PathBuf, fsync: bool| -> io::Result<()> {
                    use std::io::Write as _;
                    let mut f = super::private_file(&path)?;
                    f.write_all(&body)?;
                    if fsync {
                        f.sync_all()?;
                    }
                    Ok(())
                };
                if self.fsync {
                    let p = path.clone();
                    tokio::task::spawn_blocking(move || write(p, true)).await.map_err(io::Error::other)??;
                } else {
                    write(path.clone(), false)?;
                }
            }
        }
        let tmp = self.tmp.take().unwrap_or_default();
        Ok(FinishedBlob {
            id: std::mem::take(&mut self.id),
            tmp: tmp.clone(),
            size: self.size,
            md5: std::mem::take(&mut self.md5).finalize().into(),
            guard: TmpGuard(Some(tmp)),
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // A small body never reached its file.
        if let (Some(path), true) = (self.tmp.take(), self.file.is_some()) {
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
    guard: TmpGuard,
}

impl FinishedBlob {
    /// The S3 ETag of a single-part body: its quoted hex MD5.
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }
}

impl Staged for FinishedBlob {
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
