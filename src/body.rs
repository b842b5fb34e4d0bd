//! The response body type shared by every handler: a boxed stream of `Bytes` frames, either a
//! whole small buffer (XML documents) or a file streamed from disk.

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};

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
