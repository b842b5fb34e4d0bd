//! Bodies. Responses: a boxed stream of `Bytes` frames, either a whole small buffer (XML
//! documents) or a file streamed from disk. Requests: hyper's body behind a stall timer, so a
//! client that stops sending mid-body is answered `RequestTimeout` instead of holding the
//! connection forever.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
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
    /// The connection failed or ended early.
    Transport(hyper::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Stalled(d) => write!(f, "no request body data for {} s", d.as_secs_f64()),
            BodyError::Transport(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// Whether `e` (as boxed by a body adapter) is a stall.
    pub fn is_stall(e: &(dyn std::error::Error + 'static)) -> bool {
        matches!(e.downcast_ref::<BodyError>(), Some(BodyError::Stalled(_)))
    }
}

/// A request body that fails with [`BodyError::Stalled`] when the client sends nothing for
/// `stall` while it is being read. Time spent by the server between reads does not count.
pub struct ReqBody {
    inner: Incoming,
    stall: Duration,
    /// Armed while a read waits; reset on every frame.
    timer: Pin<Box<Sleep>>,
    armed: bool,
}

impl ReqBody {
    pub fn new(inner: Incoming, stall: Duration) -> Self {
        ReqBody { inner, stall, timer: Box::pin(tokio::time::sleep(stall)), armed: false }
    }
}

impl http_body::Body for ReqBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|f| f.map_err(BodyError::Transport)))
            }
            Poll::Pending => {
                if !this.armed {
                    this.armed = true;
                    let deadline = Instant::now() + this.stall;
                    this.timer.as_mut().reset(deadline);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyError::Stalled(this.stall)))),
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
