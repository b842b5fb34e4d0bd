//! The one writer: a thread that owns the database's read-write connection and runs every job
//! that needs it, one after another, with group commit — the jobs waiting when it starts a
//! transaction all run in that transaction, each in a savepoint of its own, and are answered
//! once it has committed.
//!
//! Why: a profile of 32 clients overwriting a 4 KiB object spent a fifth of the time waking and
//! parking threads (each write was a blocking-pool task queueing on a mutex) and most of the rest
//! of SQLite's share in per-transaction work (file locks on the WAL index, the WAL frames of the
//! same pages written again for each commit). One thread with a queue wakes only when idle, and a
//! group writes shared pages once. See the README's benchmark table for what it bought.
//!
//! Checkpoints (copying the WAL back into the database file) run on a thread of their own: under
//! `synchronous = NORMAL` each one waits for two `fsync`s, and SQLite's automatic checkpoint ran
//! them on the writer, stalling every write behind it (new-key 4 KiB PUTs: 13.5 k → 15.5 k
//! requests a second once they moved off it). A checkpoint that runs beside the writer cannot finish while
//! writes keep coming, and SQLite restarts the WAL only after a finished one, so when the WAL
//! passes [`WAL_LIMIT`] pages the writer finishes one itself, between two groups: by then most
//! pages are already copied.
//!
//! What a job sees is what it saw before: it runs alone against the database (a job's own
//! transaction, if it opens one, is a savepoint inside the group's), a failed job undoes only its
//! own changes, and no answer leaves before its changes are committed. Bodies the jobs replaced
//! are removed only after the group commits; bodies they published are removed if their job
//! fails or the group does not commit, so a crash or an error leaves either the old object whole
//! or the new one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::blobs::{Blobs, Staged};
use super::hot::Hot;
use crate::error::{S3Error, S3Result};

/// The most jobs in one transaction: bounds how long the first of them waits for its answer.
const MAX_GROUP: usize = 256;

/// WAL pages past which the writer checkpoints itself, so the WAL restarts (64 MiB of 4 KiB
/// pages). The writer knows the WAL's size from the checkpointer's last run, so the WAL passes
/// this by what is written in between (tens of milliseconds of writes).
const WAL_LIMIT: i64 = 16 * 1024;

/// The background checkpointer's rest between two checkpoints (it runs only after writes).
const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A job's answer, sent once the group's fate is known: `Err` carries why the group did not
/// commit, and then the job's own result is replaced by an error.
type Reply = Box<dyn FnOnce(Result<(), &str>) + Send>;
/// A job: runs against the connection and says whether it succeeded, with its reply.
type Job = Box<dyn FnOnce(&mut Connection, &mut Batch<'_>) -> (bool, Reply) + Send>;

/// The handle of the writer thread; the thread stops (and closes the connection) when the last
/// handle is dropped.
#[derive(Debug)]
pub struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread with the read-write connection, and the checkpointer with
    /// `checkpoints`, another connection to the same database. `rolled_back` runs after a group
    /// that did not commit, to drop what was copied from its changes.
    pub fn start(
        conn: Connection,
        checkpoints: Connection,
        blobs: Blobs,
        hot: Arc<Hot>,
        rolled_back: Box<dyn Fn(&Connection) + Send>,
    ) -> S3Result<Writer> {
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // When the WAL restarts, its file keeps up to this size: later commits write over pages
        // the kernel already holds instead of growing the file again (cutting it to 4 MiB made a
        // twentieth of a new-key PUT's time allocating pages and blocks).
        conn.pragma_update(None, "journal_size_limit", WAL_LIMIT * 4096)?;
        let (send, receive) = mpsc::channel::<Job>();
        let checkpointer = Checkpointer::start(checkpoints)?;
        let thread = std::thread::Builder::new()
            .name("s3strict-writer".into())
            .spawn(move || run(conn, checkpointer, &blobs, &hot, &*rolled_back, &receive))
            .map_err(S3Error::internal)?;
        Ok(Writer { jobs: Some(send), thread: Some(thread) })
    }

    /// Runs `f` on the writer thread and answers its result once its changes are committed.
    pub async fn run<T, F>(&self, f: F) -> S3Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut Batch<'_>) -> S3Result<T> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<S3Result<T>>();
        let job: Job = Box::new(move |c, batch| {
            let out = f(c, batch);
            let ok = out.is_ok();
            let reply: Reply = Box::new(move |group| {
                let out = match group {
                    Ok(()) => out,
                    Err(why) => Err(S3Error::internal(format!("the write did not commit: {why}"))),
                };
                let _ = answer.send(out);
            });
            (ok, reply)
        });
        if self.jobs.as_ref().is_none_or(|jobs| jobs.send(job).is_err()) {
            return Err(S3Error::internal("the database writer has stopped"));
        }
        answered.await.map_err(|_| S3Error::internal("the database writer dropped a job"))?
    }
}

impl Writer {
    /// Queues `f` on the writer thread without waiting for it: it runs after the jobs already
    /// queued and before any queued later, so a later write's answer comes after it committed.
    /// Its failure is logged (`what` says what it was). For work nobody waits on, such as a
    /// clean-up found while starting.
    pub fn queue<F>(&self, what: &'static str, f: F)
    where
        F: FnOnce(&mut Connection) -> S3Result<()> + Send + 'static,
    {
        let job: Job = Box::new(move |c, _| {
            let out = f(c);
            let ok = out.is_ok();
            let reply: Reply = Box::new(move |group| match (out, group) {
                (Err(e), _) => tracing::error!(error = %e, "{what} failed"),
                (Ok(()), Err(why)) => tracing::error!(error = why, "{what} did not commit"),
                (Ok(()), Ok(())) => {}
            });
            (ok, reply)
        });
        if self.jobs.as_ref().is_none_or(|jobs| jobs.send(job).is_err()) {
            tracing::error!("{what} was not queued: the database writer has stopped");
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        // Wait for the queue to drain and the connection to close, so the next open of the data
        // directory finds it closed (not when the last handle is dropped by a job, on the thread).
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// What the jobs of one group did to bodies: those to remove once it commits, and those to remove
/// if it does not.
pub struct Batch<'a> {
    blobs: &'a Blobs,
    published: Vec<String>,
    replaced: Vec<String>,
}

impl Batch<'_> {
    /// Moves a staged body to its published place (see [`Blobs::publish`]); it is removed again
    /// if the job fails or the group does not commit.
    pub fn publish<B: Staged>(&mut self, blob: B) -> std::io::Result<()> {
        self.blobs.publish(&blob)?;
        self.published.push(blob.id().to_string());
        blob.published();
        Ok(())
    }

    /// Removes a body no row names any more, once the group has committed.
    pub fn remove_after_commit(&mut self, ids: impl IntoIterator<Item = String>) {
        self.replaced.extend(ids);
    }
}

/// The background checkpointer: woken after writes, it copies what the WAL holds into the
/// database file without waiting for (or stopping) the writer or the readers.
struct Checkpointer {
    wake: Option<mpsc::SyncSender<()>>,
    /// The WAL's size in pages at its last checkpoint.
    wal_pages: Arc<AtomicI64>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    fn start(conn: Connection) -> S3Result<Checkpointer> {
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let wal_pages = Arc::new(AtomicI64::new(0));
        let pages = wal_pages.clone();
        let thread = std::thread::Builder::new()
            .name("s3strict-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    match checkpoint(&conn) {
                        Ok(n) => pages.store(n, Ordering::Relaxed),
                        Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
                    }
                    std::thread::sleep(CHECKPOINT_PAUSE);
                }
            })
            .map_err(S3Error::internal)?;
        Ok(Checkpointer { wake: Some(wake), wal_pages, thread: Some(thread) })
    }

    /// After a commit: wakes the checkpointer (unless it is already due to run), or, when the WAL
    /// has grown past [`WAL_LIMIT`], checkpoints on the writer so the next write restarts it.
    fn wrote(&self, conn: &Connection) {
        if self.wal_pages.load(Ordering::Relaxed) >= WAL_LIMIT {
            match checkpoint(conn) {
                Ok(_) => self.wal_pages.store(0, Ordering::Relaxed),
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        } else if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A passive checkpoint: copies what it can without waiting; answers the WAL's size in pages.
fn checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

fn run(
    mut conn: Connection,
    checkpointer: Checkpointer,
    blobs: &Blobs,
    hot: &Hot,
    rolled_back: &dyn Fn(&Connection),
    jobs: &mpsc::Receiver<Job>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut batch = Batch { blobs, published: Vec::new(), replaced: Vec::new() };
        let mut replies = Vec::with_capacity(group.len());
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropped unrun, each job answers an internal error.
            tracing::error!(error = %e, "could not begin a transaction");
            continue;
        }
        for job in group {
            let marks = (batch.published.len(), batch.replaced.len());
            let saved = conn.execute_batch("SAVEPOINT job").is_ok();
            let ran = catch_unwind(AssertUnwindSafe(|| job(&mut conn, &mut batch)));
            let ok = matches!(ran, Ok((true, _)));
            if saved {
                let end = if ok { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
                if let Err(e) = conn.execute_batch(end) {
                    tracing::error!(error = %e, "could not end a job's savepoint");
                }
            }
            if !ok {
                for id in batch.published.drain(marks.0..) {
                    blobs.remove(&id);
                }
                batch.replaced.truncate(marks.1);
            }
            match ran {
                Ok((_, reply)) => replies.push(reply),
                Err(_) => tracing::error!("a database job panicked; its changes were undone"),
            }
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        match &committed {
            Ok(()) => {
                for id in &batch.replaced {
                    blobs.remove(id);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a group of writes did not commit");
                let _ = conn.execute_batch("ROLLBACK");
                for id in &batch.published {
                    blobs.remove(id);
                }
                rolled_back(&conn);
            }
        }
        // Before any answer leaves: rows read before these changes are stale.
        hot.wrote();
        let group = committed.as_ref().map(|_| ()).map_err(String::as_str);
        for reply in replies {
            reply(group);
        }
        checkpointer.wrote(&conn);
    }
    // The checkpointer closes its connection first, so the writer's close (the last one) can
    // checkpoint the rest and remove the WAL.
    drop(checkpointer);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::error::ErrorCode;
    use crate::storage::meta::{self, BucketRow, ObjectMeta};
    use crate::storage::schema;

    struct Fixture {
        _dir: tempfile::TempDir,
        blobs: Blobs,
        db: std::path::PathBuf,
        writer: Writer,
        rolled_back: Arc<AtomicBool>,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path(), false).unwrap();
        let db = dir.path().join("s3strict.db");
        let rolled_back = Arc::new(AtomicBool::new(false));
        let flag = rolled_back.clone();
        let writer = Writer::start(
            schema::open(&db, false).unwrap(),
            schema::open(&db, false).unwrap(),
            blobs.clone(),
            Arc::default(),
            Box::new(move |_| flag.store(true, Ordering::SeqCst)),
        )
        .unwrap();
        Fixture { _dir: dir, blobs, db, writer, rolled_back }
    }

    fn bucket(name: &str) -> BucketRow {
        BucketRow { name: name.into(), region: "us-east-1".into(), owner_account: "1".into(), ..Default::default() }
    }

    /// A body published under a new id, by a job.
    async fn staged(blobs: &Blobs) -> crate::storage::FinishedBlob {
        let mut w = blobs.create().await.unwrap();
        w.write(bytes::Bytes::from_static(b"body")).await.unwrap();
        w.finish().await.unwrap()
    }

    /// Holds the writer in a job of its own until `go` is sent, so the jobs sent meanwhile run
    /// as one group after it.
    async fn hold(writer: &Arc<Writer>) -> (tokio::task::JoinHandle<()>, std::sync::mpsc::Sender<()>) {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let w = writer.clone();
        let held = tokio::spawn(async move {
            w.run(move |_, _| {
                let _ = started.send(());
                let _ = wait.recv();
                Ok(())
            })
            .await
            .unwrap()
        });
        running.await.unwrap();
        (held, go)
    }

    #[tokio::test]
    async fn a_failed_job_undoes_only_its_own_changes() {
        let f = fixture();
        let writer = Arc::new(f.writer);
        let (held, go) = hold(&writer).await;
        let (a, b) = (staged(&f.blobs).await, staged(&f.blobs).await);
        let (kept, dropped) = (a.id.clone(), b.id.clone());
        let ok = writer.run(move |c, batch| {
            meta::insert_bucket(c, &bucket("kept"))?;
            Ok(batch.publish(a)?)
        });
        let failed = writer.run(move |c, batch| {
            meta::insert_bucket(c, &bucket("undone"))?;
            batch.publish(b)?;
            Err::<(), _>(S3Error::new(ErrorCode::PreconditionFailed))
        });
        let release = async {
            go.send(()).unwrap();
        };
        let (ok, failed, ()) = tokio::join!(ok, failed, release);
        held.await.unwrap();
        ok.unwrap();
        assert_eq!(failed.unwrap_err().code, ErrorCode::PreconditionFailed);
        let c = schema::open_reader(&f.db).unwrap();
        assert!(meta::get_bucket(&c, "kept").unwrap().is_some());
        assert!(meta::get_bucket(&c, "undone").unwrap().is_none());
        assert!(f.blobs.path(&kept).exists(), "the body of the job that succeeded");
        assert!(!f.blobs.path(&dropped).exists(), "the body of the job that failed");
        assert!(!f.rolled_back.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_group_that_does_not_commit_answers_errors_and_keeps_nothing() {
        let f = fixture();
        let writer = Arc::new(f.writer);
        let (held, go) = hold(&writer).await;
        let a = staged(&f.blobs).await;
        let published = a.id.clone();
        let first = writer.run(move |c, batch| {
            meta::insert_bucket(c, &bucket("lost"))?;
            Ok(batch.publish(a)?)
        });
        // A row naming a bucket that does not exist, its check deferred to COMMIT: the whole
        // group fails there.
        let breaks = writer.run(|c, _| {
            c.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let orphan = ObjectMeta { key: "k".into(), blob_id: "x".into(), ..Default::default() };
            meta::upsert_object(c, "no-such-bucket", &orphan)?;
            Ok(())
        });
        let release = async {
            go.send(()).unwrap();
        };
        let (first, breaks, ()) = tokio::join!(first, breaks, release);
        held.await.unwrap();
        for answer in [first.unwrap_err(), breaks.unwrap_err()] {
            assert_eq!(answer.code, ErrorCode::InternalError);
        }
        let c = schema::open_reader(&f.db).unwrap();
        assert!(meta::get_bucket(&c, "lost").unwrap().is_none());
        assert!(!f.blobs.path(&published).exists(), "a body published by the group is removed");
        assert!(f.rolled_back.load(Ordering::SeqCst), "the store is told to read its copies again");
        // The writer goes on.
        writer.run(|c, _| Ok(meta::insert_bucket(c, &bucket("after"))?)).await.unwrap();
        assert!(meta::get_bucket(&c, "after").unwrap().is_some());
    }
}
