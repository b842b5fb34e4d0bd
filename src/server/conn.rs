//! What keeps one client from exhausting the server: the open-file limit raised at startup, a cap
//! on connections served at once, an accept loop that backs off (and says so once in a while)
//! when the system refuses new sockets, and a stall timer on responses a client stops reading.
//!
//! The other timers sit where the bytes are read: hyper's header-read timer (which also closes
//! idle keep-alive connections, since it starts when the server waits for the next request head)
//! and [`ReqBody`](crate::body::ReqBody)'s stall timer for request bodies.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// File descriptors kept for the database, files being read or written and the listener.
const RESERVED_FDS: u64 = 64;
/// The default cap on connections, whatever the open-file limit.
const DEFAULT_MAX_CONNECTIONS: u64 = 1024;
/// The most the soft open-file limit is raised to (Linux's usual `nr_open`).
const WANTED_FDS: u64 = 1 << 20;

/// Raises the soft open-file limit to the hard limit and returns the resulting soft limit.
pub fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(WANTED_FDS) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// Connections to serve at once when not configured: each may hold a socket and two files.
pub fn default_max_connections(open_files: u64) -> usize {
    let n = (open_files.saturating_sub(RESERVED_FDS) / 2).clamp(8, DEFAULT_MAX_CONNECTIONS);
    usize::try_from(n).unwrap_or(8)
}

/// Spaces out retries after failed accepts and rate-limits the log line about them.
pub struct AcceptBackoff {
    delay: Duration,
    last_log: Option<Instant>,
    suppressed: u64,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);
    const LOG_EVERY: Duration = Duration::from_secs(10);

    pub fn new() -> Self {
        AcceptBackoff { delay: Duration::ZERO, last_log: None, suppressed: 0 }
    }

    /// A connection was accepted: the next failure starts over from a short pause.
    pub fn succeeded(&mut self) {
        self.delay = Duration::ZERO;
    }

    /// An accept failed: logs (at most once per interval) and returns how long to pause.
    pub fn failed(&mut self, error: &io::Error) -> Duration {
        self.delay = if self.delay.is_zero() { Self::FIRST } else { (self.delay * 2).min(Self::MAX) };
        let now = Instant::now();
        if self.last_log.is_none_or(|t| now.duration_since(t) >= Self::LOG_EVERY) {
            tracing::warn!(
                %error,
                suppressed = self.suppressed,
                "accepting connections failed; retrying in {} ms",
                self.delay.as_millis()
            );
            self.last_log = Some(now);
            self.suppressed = 0;
        } else {
            self.suppressed += 1;
        }
        self.delay
    }
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self::new()
    }
}

/// A connection whose writes fail with `TimedOut` when the client reads nothing for `stall`.
pub struct WriteStall<S> {
    inner: S,
    stall: Duration,
    timer: Pin<Box<Sleep>>,
    armed: bool,
}

impl<S> WriteStall<S> {
    pub fn new(inner: S, stall: Duration) -> Self {
        WriteStall { inner, stall, timer: Box::pin(tokio::time::sleep(stall)), armed: false }
    }

    /// Turns a write's outcome into the stall verdict: progress disarms the timer, waiting arms
    /// it, and waiting past the deadline fails.
    fn watch<T>(&mut self, cx: &mut Context<'_>, outcome: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match outcome {
            Poll::Ready(r) => {
                self.armed = false;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !self.armed {
                    self.armed = true;
                    let deadline = Instant::now() + self.stall;
                    self.timer.as_mut().reset(deadline);
                }
                match self.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client read nothing within the stall timeout",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStall<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStall<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, outcome)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, outcome)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, outcome)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_cap_follows_the_open_file_limit() {
        assert_eq!(default_max_connections(1024), 480);
        assert_eq!(default_max_connections(1 << 20), 1024);
        assert_eq!(default_max_connections(40), 8);
    }

    #[tokio::test]
    async fn backoff_doubles_to_a_second_and_starts_over() {
        let mut b = AcceptBackoff::new();
        let e = io::Error::other("EMFILE");
        let delays: Vec<u128> = (0..9).map(|_| b.failed(&e).as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(b.suppressed, 8, "one line per interval");
        b.succeeded();
        assert_eq!(b.failed(&e).as_millis(), 10);
    }
}
