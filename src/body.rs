//! Bodies. Responses: a boxed stream of `Bytes` frames, either a whole small buffer (XML
//! documents) or a file streamed from disk. Requests: hyper's body behind a stall timer, so a
//! client that stops sending mid-body is answered `RequestTimeout` instead of holding the
//! connection forever; and, for bodies read before the client is authenticated (STS forms, POST
//! form fields, the console's login and the admin JSON), a [`Deadline`] for the whole body, during
//! which the connection may be closed to make room for another client ([`BodyWatch`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http_body::{Frame, SizeHint};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

/// Response body of every s3strict response.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// A body holding `bytes` whole.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// No byte arrived for the stall timeout while the server waited for one.
    Stalled(Duration),
    /// The body was under a [`Deadline`] and had not arrived whole by then (the time allowed,
    /// counted from the request's head).
    Late(Duration),
    /// The body was under a [`Deadline`] and still arriving when the server, at its connection
    /// cap, closed the connection to serve another client.
    Cut,
    /// The connection failed or ended early.
    Transport(hyper::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Stalled(d) => write!(f, "no request body data for {} s", d.as_secs_f64()),
            BodyError::Late(d) => {
                write!(f, "the request body did not arrive whole within {} s of its head", d.as_secs_f64())
            }
            BodyError::Cut => f.write_str(
                "the request body was still arriving when the server, at its connection limit, needed the \
                 connection for another client",
            ),
            BodyError::Transport(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// Whether `e` (as boxed by a body adapter) says the client was too slow: stalled, past its
    /// deadline, or cut to make room. S3 answers all of these `RequestTimeout`.
    pub fn is_stall(e: &(dyn std::error::Error + 'static)) -> bool {
        matches!(e.downcast_ref::<BodyError>(), Some(BodyError::Stalled(_) | BodyError::Late(_) | BodyError::Cut))
    }
}

/// No deadline, in [`BodyWatch::deadline_ms`].
const NO_DEADLINE: u64 = u64::MAX;

/// What the server can see of one request's body while it is read, shared by the body, the
/// [`Deadline`] its reader holds and the connection's record in the server: whether the body is
/// under a deadline (read before the client is authenticated), whether the reader is waiting
/// for the client, and the means to cut it short when the connection must make room.
#[derive(Debug)]
pub struct BodyWatch {
    /// When the request's head arrived.
    started: Instant,
    /// Milliseconds after `started` by which the body must have arrived, or [`NO_DEADLINE`].
    deadline_ms: AtomicU64,
    /// The reader is waiting for bytes from the client.
    waiting: AtomicBool,
    /// The server asked for the body to end (at its connection cap).
    cut: AtomicBool,
    /// The reader's task, woken when the body is cut.
    waker: AtomicWaker,
}

impl BodyWatch {
    fn new() -> Self {
        BodyWatch {
            started: Instant::now(),
            deadline_ms: AtomicU64::new(NO_DEADLINE),
            waiting: AtomicBool::new(false),
            cut: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self.deadline_ms.load(Ordering::Acquire) {
            NO_DEADLINE => None,
            ms => Some(self.started + Duration::from_millis(ms)),
        }
    }

    /// When the request began, if its body is under a deadline and its reader is waiting for
    /// the client: such a connection may be closed to make room, like an idle one.
    pub fn waiting_since(&self) -> Option<Instant> {
        (self.waiting.load(Ordering::Acquire) && self.deadline_ms.load(Ordering::Acquire) != NO_DEADLINE)
            .then_some(self.started)
    }

    /// Ends a body under a deadline with [`BodyError::Cut`] (its reader answers, and the
    /// connection closes after the answer). Nothing for a body without one.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// A body's [`Deadline`] while its reader holds it: see [`ReqBody::deadline`].
#[derive(Debug)]
pub struct Deadline {
    watch: Arc<BodyWatch>,
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.watch.deadline_ms.store(NO_DEADLINE, Ordering::Release);
    }
}

/// A request body that fails with [`BodyError::Stalled`] when the client sends nothing for
/// `stall` while it is being read (time spent by the server between reads does not count) and,
/// while its reader holds a [`Deadline`], with [`BodyError::Late`] past it or [`BodyError::Cut`]
/// when the server needs the connection.
pub struct ReqBody {
    inner: Incoming,
    stall: Duration,
    /// Fires at the earlier of the stall time and the deadline, while a read waits.
    timer: Pin<Box<Sleep>>,
    /// What `timer` is set to.
    timer_at: Option<Instant>,
    /// When the current wait stalls, while a read waits; reset on every frame.
    stall_at: Option<Instant>,
    watch: Arc<BodyWatch>,
}

impl ReqBody {
    pub fn new(inner: Incoming, stall: Duration) -> Self {
        ReqBody {
            inner,
            stall,
            timer: Box::pin(tokio::time::sleep(stall)),
            timer_at: None,
            stall_at: None,
            watch: Arc::new(BodyWatch::new()),
        }
    }

    /// What the server watches of this body.
    pub fn watch(&self) -> &Arc<BodyWatch> {
        &self.watch
    }

    /// Puts the body under a deadline while the returned guard lives: it must have arrived
    /// whole `within` its request's head, and while its reader waits for the client the
    /// connection counts, for the connection cap, as waiting on its client like an idle one.
    /// For bodies read before the client is authenticated, so that a client trickling a byte
    /// now and then (never slow enough for the stall timer) cannot hold a connection for long,
    /// nor, a thousand times over, every connection the server has.
    pub fn deadline(&self, within: Duration) -> Deadline {
        let ms = u64::try_from(within.as_millis()).unwrap_or(NO_DEADLINE - 1).min(NO_DEADLINE - 1);
        self.watch.deadline_ms.store(ms, Ordering::Release);
        Deadline { watch: self.watch.clone() }
    }

    /// The error of a wait that ended at `now` (the timer fired, or the body was cut).
    fn expired(&self, now: Instant) -> Option<BodyError> {
        let deadline = self.watch.deadline()?;
        if self.watch.cut.load(Ordering::Acquire) {
            return Some(BodyError::Cut);
        }
        (now >= deadline).then(|| BodyError::Late(deadline - self.watch.started))
    }
}

impl Drop for ReqBody {
    fn drop(&mut self) {
        self.watch.waiting.store(false, Ordering::Release);
    }
}

impl http_body::Body for ReqBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if let Some(e) = this.expired(Instant::now()) {
            this.watch.waiting.store(false, Ordering::Release);
            return Poll::Ready(Some(Err(e)));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.stall_at = None;
                this.watch.waiting.store(false, Ordering::Release);
                Poll::Ready(frame.map(|f| f.map_err(BodyError::Transport)))
            }
            Poll::Pending => {
                let now = Instant::now();
                let stall_at = *this.stall_at.get_or_insert(now + this.stall);
                let deadline = this.watch.deadline();
                let wake_at = deadline.map_or(stall_at, |d| d.min(stall_at));
                if this.timer_at != Some(wake_at) {
                    this.timer.as_mut().reset(wake_at);
                    this.timer_at = Some(wake_at);
                }
                if deadline.is_some() {
                    this.watch.waker.register(cx.waker());
                    this.watch.waiting.store(true, Ordering::Release);
                    // Cut between the check above and the registration: seen now.
                    if let Some(e) = this.expired(now) {
                        this.watch.waiting.store(false, Ordering::Release);
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.watch.waiting.store(false, Ordering::Release);
                        let now = Instant::now();
                        Poll::Ready(Some(Err(this.expired(now).unwrap_or(BodyError::Stalled(this.stall)))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
