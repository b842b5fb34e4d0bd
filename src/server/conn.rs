//! What keeps one client from exhausting the server: the open-file limit raised at startup, a cap
//! on connections served at once that makes room for a new client by closing the connection that
//! has waited on its client the longest ([`Connections`]), an accept loop that backs off (and says
//! so once in a while) when the system refuses new sockets, and a stall timer on responses a
//! client stops reading.
//!
//! The other timers sit where the bytes are read: hyper's header-read timer (a deadline for the
//! whole head, which also closes idle keep-alive connections, since it starts when the server
//! waits for the next request head), [`ReqBody`](crate::body::ReqBody)'s stall timer for request
//! bodies, and its [`Deadline`](crate::body::Deadline) for bodies read before authentication (STS
//! forms, POST form fields, the console's login, admin JSON).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::body::{Body, BodyWatch};

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

/// The connections being served, at most a cap of them. When the cap is reached, a new client is
/// not left in the listen backlog behind others: the connection that has waited on its client
/// the longest is closed to make room. That is one idle (between requests, or still waiting for a
/// request head: a keep-alive socket left open, a client sending nothing; a head still arriving
/// counts as idle, so the slowest to send one goes first), counted from when it became idle, or
/// one whose request body is read before authentication and still arriving (under a
/// [`Deadline`](crate::body::Deadline): an STS form, a POST form's fields, a login), counted from
/// its request's head; such a body ends with `RequestTimeout` and the connection after that
/// answer. A thousand clients trickling such bodies thus hold no slot a new client needs. Any
/// other request (from its head to the end of its response) is never cut; at shutdown it is asked
/// to close after its response.
pub struct Connections {
    slots: Arc<Semaphore>,
    cap: usize,
    next_id: AtomicU64,
    started: Instant,
    open: Mutex<HashMap<u64, Arc<Track>>>,
    full_logged: Mutex<Option<Instant>>,
}

/// How often a new client waiting at the cap looks again for an idle connection to close.
const REAP_TICK: Duration = Duration::from_millis(50);
/// How long a new connection that has not yet sent a request is passed over while another may
/// make room: long enough for the server to read a head that came with the connection, which
/// under a flood of clients cut one after another could otherwise be cut first (measured: a
/// health check reset while 300 clients reconnected as fast as their STS forms were cut).
const NEW_CONNECTION_GRACE: Duration = Duration::from_millis(50);

/// One connection's activity, shared between its task, its requests and [`Connections`].
pub struct Track {
    id: u64,
    /// Requests being served (request received, response not yet fully handed to hyper).
    busy: AtomicU32,
    /// When [`Connections`] started: `idle_since` counts from it.
    base: Instant,
    /// Milliseconds since `base` when the connection last became idle.
    idle_since: AtomicU64,
    /// Already asked to close.
    asked: AtomicBool,
    /// When the connection was accepted.
    accepted: Instant,
    /// A request has begun on it.
    served: AtomicBool,
    /// The body of the request being served, while there is one.
    body: Mutex<Option<Arc<BodyWatch>>>,
    /// Wakes the connection's task to close (when idle) or stop after its response.
    pub close: Notify,
}

impl Track {
    /// Whether no request is being served on the connection.
    pub fn is_idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
    }

    /// Marks a request as being served until the returned guard drops (with its response body);
    /// `body` is what the server watches of its request body.
    pub fn begin(self: &Arc<Self>, body: Arc<BodyWatch>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.served.store(true, Ordering::Release);
        *lock(&self.body) = Some(body);
        Busy { track: self.clone() }
    }

    /// Whether the connection is new and has not yet sent a request (see
    /// [`NEW_CONNECTION_GRACE`]).
    fn is_new(&self, now: Instant) -> bool {
        !self.served.load(Ordering::Acquire) && now.saturating_duration_since(self.accepted) < NEW_CONNECTION_GRACE
    }

    /// Since when the connection has waited on its client, if it does in a way that may be cut
    /// to make room: idle, or reading a body under a deadline.
    fn waiting_since(&self) -> Option<Instant> {
        if self.is_idle() {
            return Some(self.base + Duration::from_millis(self.idle_since.load(Ordering::Acquire)));
        }
        lock(&self.body).as_ref().and_then(|b| b.waiting_since())
    }
}

/// A connection's slot: removes it from [`Connections`] and frees its place when dropped.
pub struct Slot {
    connections: Arc<Connections>,
    track: Arc<Track>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// The connection's activity.
    pub fn track(&self) -> &Arc<Track> {
        &self.track
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.connections.open).remove(&self.track.id);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every change under these locks is one insert or remove: a poisoned lock is still sound.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request in progress on a connection (see [`Track::begin`]).
pub struct Busy {
    track: Arc<Track>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        let ms = u64::try_from(self.track.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.track.idle_since.store(ms, Ordering::Release);
        *lock(&self.track.body) = None;
        self.track.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Connections {
    /// Room for `cap` connections.
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Connections {
            slots: Arc::new(Semaphore::new(cap)),
            cap,
            next_id: AtomicU64::new(0),
            started: Instant::now(),
            open: Mutex::new(HashMap::new()),
            full_logged: Mutex::new(None),
        })
    }

    /// A slot for a newly accepted connection: at once when there is room, else after closing
    /// the connection that has waited on its client the longest (again every [`REAP_TICK`] while
    /// none waits and none has ended).
    pub async fn slot(self: &Arc<Self>) -> Slot {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                self.log_full();
                loop {
                    self.close_longest_waiting();
                    if let Ok(Ok(p)) = tokio::time::timeout(REAP_TICK, self.slots.clone().acquire_owned()).await {
                        break p;
                    }
                }
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let track = Arc::new(Track {
            id,
            busy: AtomicU32::new(0),
            base: self.started,
            idle_since: AtomicU64::new(now),
            asked: AtomicBool::new(false),
            accepted: Instant::now(),
            served: AtomicBool::new(false),
            body: Mutex::new(None),
            close: Notify::new(),
        });
        lock(&self.open).insert(id, track.clone());
        Slot { connections: self.clone(), track, _permit: permit }
    }

    fn log_full(&self) {
        let mut logged = lock(&self.full_logged);
        if logged.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::warn!(
                max = self.cap,
                "connection limit reached; closing idle connections and slow unauthenticated bodies for new clients"
            );
            *logged = Some(Instant::now());
        }
    }

    /// Asks the connection that has waited on its client the longest to close (an idle one at
    /// once; one reading a body under a deadline after answering it), passing over new ones
    /// while there is another; whether there was one.
    pub fn close_longest_waiting(&self) -> bool {
        let open = lock(&self.open);
        let now = Instant::now();
        let longest = open
            .values()
            .filter(|t| !t.asked.load(Ordering::Acquire))
            // Times are kept to the millisecond: of two alike, the older connection goes first.
            .filter_map(|t| Some(((t.is_new(now), t.waiting_since()?, t.id), t)))
            .min_by_key(|(key, _)| *key);
        match longest {
            Some((_, t)) => {
                t.asked.store(true, Ordering::Release);
                if !t.is_idle() {
                    if let Some(body) = lock(&t.body).as_ref() {
                        body.cut();
                    }
                }
                t.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Asks every connection to close (idle ones at once, busy ones after their response).
    pub fn close_all(&self) {
        for t in lock(&self.open).values() {
            t.asked.store(true, Ordering::Release);
            t.close.notify_one();
        }
    }

    /// Waits until every connection has ended.
    pub async fn ended(&self) {
        let all = u32::try_from(self.cap).unwrap_or(u32::MAX);
        let _ = self.slots.acquire_many(all).await;
    }
}

/// A response body that keeps its connection marked busy until hyper is done with it.
pub struct TrackedBody {
    inner: Body,
    _busy: Busy,
}

impl TrackedBody {
    pub fn new(inner: Body, busy: Busy) -> Self {
        TrackedBody { inner, _busy: busy }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
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
