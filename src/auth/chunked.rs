//! aws-chunked payloads: the framing SDKs use to stream uploads, with a signature per chunk
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`) or none (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`),
//! and trailing headers such as `x-amz-checksum-crc32`.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>
//!
//! [`ChunkedDecoder`] is a pure state machine: the caller feeds it received bytes and gets the
//! decoded data back, so memory stays bounded whatever the chunk sizes.

use bytes::{Buf, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::canonical::{sha256_hex, sign, signatures_equal, EMPTY_SHA256};
use crate::error::{ErrorCode, S3Error, S3Result};

/// The most trailer lines accepted; S3 expects the one checksum `x-amz-trailer` declares, and its
/// limit is unconfirmed: past this many, `MalformedTrailerError`.
const MAX_TRAILERS: usize = 16;

/// The longest chunk-header or trailer line accepted.
const MAX_LINE: usize = 4096;

/// Computes the chain of chunk signatures that follows a seed signature.
#[derive(Debug, Clone)]
pub struct ChunkSigner {
    key: [u8; 32],
    amz_date: String,
    scope: String,
    previous: String,
    trailer: bool,
}

impl ChunkSigner {
    /// A signer whose chain starts at the request's `seed` signature.
    pub fn new(key: [u8; 32], amz_date: String, scope: String, seed: String, trailer: bool) -> Self {
        ChunkSigner { key, amz_date, scope, previous: seed, trailer }
    }

    /// The signature of the next chunk, whose data hashes to `chunk_sha256`; it becomes the
    /// previous signature of the chunk after it.
    pub fn next(&mut self, chunk_sha256: &str) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{chunk_sha256}",
            self.amz_date, self.scope, self.previous
        );
        self.previous = sign(&self.key, &sts);
        self.previous.clone()
    }

    /// The signature over the canonical trailers (`name:value\n` each).
    pub fn trailer(&self, canonical_trailers: &str) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            sha256_hex(canonical_trailers.as_bytes())
        );
        sign(&self.key, &sts)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting `hex-size[;chunk-signature=sig]\r\n`.
    ChunkHeader,
    /// Reading this many more bytes of chunk data.
    Data(u64),
    /// Expecting the `\r\n` after chunk data.
    DataEnd,
    /// After the final chunk: trailer lines, then an empty line.
    Trailers,
    Done,
}

/// Decodes an aws-chunked body incrementally.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: State,
    signer: Option<ChunkSigner>,
    /// Whether trailers follow the final chunk.
    trailer: bool,
    /// Signature announced for the chunk being read.
    expected: Option<String>,
    chunk_hash: Sha256,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    decoded: u64,
}

fn incomplete() -> S3Error {
    S3Error::with_message(ErrorCode::IncompleteBody, "The request body terminated unexpectedly")
}

fn malformed() -> S3Error {
    S3Error::with_message(ErrorCode::InvalidRequest, "Malformed aws-chunked encoding.")
}

fn chunk_signature_mismatch() -> S3Error {
    S3Error::new(ErrorCode::SignatureDoesNotMatch)
}

impl ChunkedDecoder {
    /// A decoder for signed chunks (`signer`) or unsigned ones followed by trailers (`None`).
    pub fn new(signer: Option<ChunkSigner>) -> Self {
        let trailer = signer.as_ref().is_none_or(|s| s.trailer);
        ChunkedDecoder {
            state: State::ChunkHeader,
            signer,
            trailer,
            expected: None,
            chunk_hash: Sha256::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            decoded: 0,
        }
    }

    /// Consumes what it can of `buf`, appending decoded data to `out`.
    pub fn feed(&mut self, buf: &mut BytesMut, out: &mut Vec<Bytes>) -> S3Result<()> {
        loop {
            match self.state {
                State::ChunkHeader => {
                    let Some(line) = take_line(buf)? else { return Ok(()) };
                    self.chunk_header(&line)?;
                }
                State::Data(remaining) => {
                    if buf.is_empty() {
                        return Ok(());
                    }
                    let n = remaining.min(buf.len() as u64) as usize;
                    let data = buf.split_to(n).freeze();
                    if self.signer.is_some() {
                        self.chunk_hash.update(&data);
                    }
                    self.decoded += n as u64;
                    out.push(data);
                    self.state = if remaining == n as u64 { State::DataEnd } else { State::Data(remaining - n as u64) };
                }
                State::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(());
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(malformed());
                    }
                    buf.advance(2);
                    let hash = hex::encode(std::mem::take(&mut self.chunk_hash).finalize());
                    self.check_chunk_signature(&hash)?;
                    self.state = State::ChunkHeader;
                }
                State::Trailers => {
                    let Some(line) = take_line(buf)? else { return Ok(()) };
                    if line.is_empty() {
                        self.check_trailer_signature()?;
                        self.state = State::Done;
                        continue;
                    }
                    let (name, value) = line.split_once(':').ok_or_else(malformed)?;
                    let name = name.trim().to_ascii_lowercase();
                    if name == "x-amz-trailer-signature" {
                        self.trailer_signature = Some(value.trim().to_string());
                    } else {
                        if self.trailers.len() == MAX_TRAILERS {
                            return Err(S3Error::new(ErrorCode::MalformedTrailerError));
                        }
                        self.trailers.push((name, value.trim().to_string()));
                    }
                }
                State::Done => {
                    if !buf.is_empty() {
                        return Err(malformed());
                    }
                    return Ok(());
                }
            }
        }
    }

    fn chunk_header(&mut self, line: &str) -> S3Result<()> {
        let (size, ext) = match line.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (line, None),
        };
        let size = u64::from_str_radix(size.trim(), 16).map_err(|_| malformed())?;
        self.expected = match (&self.signer, ext) {
            (Some(_), Some(ext)) => {
                Some(ext.strip_prefix("chunk-signature=").ok_or_else(malformed)?.trim().to_ascii_lowercase())
            }
            (Some(_), None) => return Err(malformed()),
            (None, _) => None,
        };
        if size > 0 {
            self.state = State::Data(size);
            return Ok(());
        }
        self.check_chunk_signature(EMPTY_SHA256)?;
        // The final chunk is followed by the trailers, if any, and an empty line.
        self.state = State::Trailers;
        Ok(())
    }

    fn check_chunk_signature(&mut self, chunk_sha256: &str) -> S3Result<()> {
        if let Some(signer) = self.signer.as_mut() {
            let computed = signer.next(chunk_sha256);
            let provided = self.expected.take().unwrap_or_default();
            if !signatures_equal(&computed, &provided) {
                return Err(chunk_signature_mismatch());
            }
        }
        Ok(())
    }

    fn check_trailer_signature(&self) -> S3Result<()> {
        let Some(signer) = self.signer.as_ref().filter(|s| s.trailer) else {
            if !self.trailer && !self.trailers.is_empty() {
                return Err(malformed());
            }
            return Ok(());
        };
        let mut canonical = String::new();
        let mut sorted = self.trailers.clone();
        sorted.sort();
        for (n, v) in &sorted {
            canonical.push_str(n);
            canonical.push(':');
            canonical.push_str(v);
            canonical.push('\n');
        }
        let provided = self.trailer_signature.as_deref().unwrap_or_default();
        if !signatures_equal(&signer.trailer(&canonical), &provided.to_ascii_lowercase()) {
            return Err(chunk_signature_mismatch());
        }
        Ok(())
    }

    /// Ends the body: fails unless the final chunk and its trailers were read. Returns the
    /// trailers (lowercase names).
    pub fn finish(self) -> S3Result<Vec<(String, String)>> {
        if self.state != State::Done {
            return Err(incomplete());
        }
        Ok(self.trailers)
    }

    /// Decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }
}

/// Takes one `\r\n`-terminated line from `buf`, without the terminator.
fn take_line(buf: &mut BytesMut) -> S3Result<Option<String>> {
    let Some(pos) = buf.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() > MAX_LINE {
            return Err(malformed());
        }
        return Ok(None);
    };
    if pos > MAX_LINE {
        return Err(malformed());
    }
    let line = buf.split_to(pos);
    buf.advance(2);
    String::from_utf8(line.to_vec()).map(Some).map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::canonical::signing_key;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn decode_all(decoder: &mut ChunkedDecoder, body: &[u8], step: usize) -> S3Result<Vec<u8>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in body.chunks(step) {
            buf.extend_from_slice(piece);
            decoder.feed(&mut buf, &mut out)?;
        }
        Ok(out.concat())
    }

    fn doc_body(sigs: [&str; 3], trailer: Option<&str>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
        body.extend(std::iter::repeat_n(b'a', 65536));
        body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
        body.extend(std::iter::repeat_n(b'a', 1024));
        body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
        if let Some(t) = trailer {
            body.extend_from_slice(t.as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body
    }

    /// The chunk chain of the S3 documentation example (sigv4-streaming).
    #[test]
    fn doc_example_chunk_chain() {
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".to_string();
        let signer =
            ChunkSigner::new(key, "20130524T000000Z".into(), "20130524/us-east-1/s3/aws4_request".into(), seed, false);
        let sigs = [
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ];
        let body = doc_body(sigs, None);
        for step in [1, 7, 8192, body.len()] {
            let mut d = ChunkedDecoder::new(Some(signer.clone()));
            let data = decode_all(&mut d, &body, step).unwrap();
            assert_eq!(data.len(), 66560);
            assert!(d.finish().unwrap().is_empty());
        }
        let mut bad = body.clone();
        bad[100] = b'b';
        let mut d = ChunkedDecoder::new(Some(signer.clone()));
        assert_eq!(decode_all(&mut d, &bad, 4096).unwrap_err().code, ErrorCode::SignatureDoesNotMatch);
        let mut d = ChunkedDecoder::new(Some(signer));
        decode_all(&mut d, &body[..body.len() - 10], 4096).unwrap();
        assert_eq!(d.finish().unwrap_err().code, ErrorCode::IncompleteBody);
    }

    /// The trailer example (sigv4-streaming-trailers).
    #[test]
    fn doc_example_with_trailer() {
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e".to_string();
        let signer =
            ChunkSigner::new(key, "20130524T000000Z".into(), "20130524/us-east-1/s3/aws4_request".into(), seed, true);
        let sigs = [
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        ];
        let trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";
        let body = doc_body(sigs, Some(trailer));
        let mut d = ChunkedDecoder::new(Some(signer.clone()));
        decode_all(&mut d, &body, 1000).unwrap();
        assert_eq!(d.finish().unwrap(), vec![("x-amz-checksum-crc32c".to_string(), "sOO8/Q==".to_string())]);
        let tampered = String::from_utf8(body.clone()).unwrap().replace("sOO8/Q==", "AAAAAA==");
        let mut d = ChunkedDecoder::new(Some(signer));
        assert_eq!(decode_all(&mut d, tampered.as_bytes(), 1000).unwrap_err().code, ErrorCode::SignatureDoesNotMatch);
    }

    #[test]
    fn unsigned_trailer() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let mut d = ChunkedDecoder::new(None);
        assert_eq!(decode_all(&mut d, body, 3).unwrap(), b"hello world");
        assert_eq!(d.finish().unwrap(), vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]);
        let mut d = ChunkedDecoder::new(None);
        assert_eq!(decode_all(&mut d, b"zz\r\n", 3).unwrap_err().code, ErrorCode::InvalidRequest);
    }
}
