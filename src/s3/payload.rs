//! Reads a request body the way its authentication says it must be read: as sent, checked against
//! a signed SHA-256, or decoded from aws-chunked (with chunk signatures and trailers). Data comes
//! out piece by piece, so memory stays bounded.

use std::collections::VecDeque;

use crate::body::{BodyError, ReqBody};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

use crate::auth::chunked::ChunkedDecoder;
use crate::auth::Payload;
use crate::error::{ErrorCode, S3Error, S3Result};

/// A request body being read.
pub struct PayloadReader {
    body: ReqBody,
    decoder: Option<ChunkedDecoder>,
    buf: BytesMut,
    ready: VecDeque<Bytes>,
    sha256: Option<(Sha256, String)>,
    eof: bool,
}

/// What is known once the whole body was read.
#[derive(Debug, Default)]
pub struct PayloadEnd {
    /// aws-chunked trailers, lowercase names.
    pub trailers: Vec<(String, String)>,
}

impl PayloadReader {
    /// A reader for `body` as `payload` describes it.
    pub fn new(body: ReqBody, payload: &Payload) -> Self {
        let decoder = match payload {
            Payload::StreamingSigned(signer) => Some(ChunkedDecoder::new(Some(signer.clone()))),
            Payload::StreamingUnsignedTrailer => Some(ChunkedDecoder::new(None)),
            _ => None,
        };
        let sha256 = match payload {
            Payload::Sha256(expected) => Some((Sha256::new(), expected.clone())),
            _ => None,
        };
        PayloadReader { body, decoder, buf: BytesMut::new(), ready: VecDeque::new(), sha256, eof: false }
    }

    /// The next piece of (decoded) data, `None` at the end.
    pub async fn next(&mut self) -> S3Result<Option<Bytes>> {
        loop {
            if let Some(b) = self.ready.pop_front() {
                return Ok(Some(b));
            }
            if self.eof {
                return Ok(None);
            }
            match self.body.frame().await {
                None => self.eof = true,
                Some(Err(BodyError::Stalled(_))) => return Err(S3Error::new(ErrorCode::RequestTimeout)),
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "request body ended early");
                    return Err(S3Error::new(ErrorCode::IncompleteBody));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    if let Some((h, _)) = self.sha256.as_mut() {
                        h.update(&data);
                    }
                    match self.decoder.as_mut() {
                        None => self.ready.push_back(data),
                        Some(d) => {
                            self.buf.extend_from_slice(&data);
                            let mut out = Vec::new();
                            d.feed(&mut self.buf, &mut out)?;
                            self.ready.extend(out);
                        }
                    }
                }
            }
        }
    }

    /// Checks the body as a whole (signed hash, complete chunking) after the last piece was read.
    pub fn finish(self) -> S3Result<PayloadEnd> {
        if let Some((h, expected)) = self.sha256 {
            let computed = hex::encode(h.finalize());
            if computed != expected {
                return Err(S3Error::new(ErrorCode::XAmzContentSHA256Mismatch)
                    .extra("ClientComputedContentSHA256", expected)
                    .extra("S3ComputedContentSHA256", computed));
            }
        }
        let trailers = match self.decoder {
            Some(d) => d.finish()?,
            None => Vec::new(),
        };
        Ok(PayloadEnd { trailers })
    }

    /// Reads a small body whole (XML documents), failing with `error` past `limit` bytes.
    pub async fn read_all(mut self, limit: usize, error: impl Fn() -> S3Error) -> S3Result<(Bytes, PayloadEnd)> {
        // Sized once from the announced length (never past the limit): no regrowth copies.
        let announced = http_body::Body::size_hint(&self.body).upper().unwrap_or(0);
        let mut all = BytesMut::with_capacity(usize::try_from(announced).unwrap_or(limit).min(limit));
        while let Some(b) = self.next().await? {
            if all.len() + b.len() > limit {
                return Err(error());
            }
            all.extend_from_slice(&b);
        }
        let end = self.finish()?;
        Ok((all.freeze(), end))
    }
}
