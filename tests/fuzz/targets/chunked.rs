//! The aws-chunked decoder, fed in pieces of any size: unsigned with trailers, signed with
//! arbitrary bytes, and signed correctly by the harness (the decoded data must then be exactly
//! the chunks sent, and the trailers must come back).

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use s3strict::auth::canonical::{sha256_hex, signing_key};
use s3strict::auth::chunked::{ChunkSigner, ChunkedDecoder};

const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn signer(trailer: bool) -> ChunkSigner {
    let key = signing_key(SK, "20130524", "us-east-1", "s3");
    ChunkSigner::new(key, "20130524T000000Z".into(), "20130524/us-east-1/s3/aws4_request".into(), SEED.into(), trailer)
}

/// Decodes `wire` arriving `piece` bytes at a time; the data and the trailers, or the failure.
fn decode(signer: Option<ChunkSigner>, wire: &[u8], piece: usize) -> Option<(Vec<u8>, Vec<(String, String)>)> {
    let mut d = ChunkedDecoder::new(signer);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for p in wire.chunks(piece) {
        buf.extend_from_slice(p);
        d.feed(&mut buf, &mut out).ok()?;
    }
    let trailers = d.finish().ok()?;
    Some((out.concat(), trailers))
}

fuzz_target!(|data: &[u8]| {
    let [mode, piece, rest @ ..] = data else { return };
    let piece = usize::from(*piece % 64) + 1;
    match mode % 3 {
        0 => {
            let _ = decode(None, rest, piece);
        }
        1 => {
            let _ = decode(Some(signer(mode & 4 != 0)), rest, piece);
        }
        _ => {
            // Chunks of the lengths the input names, signed in a chain, then a signed trailer.
            let trailer = mode & 4 != 0;
            let mut s = signer(trailer);
            let (mut wire, mut sent) = (Vec::new(), Vec::new());
            let mut input = rest;
            while let [len, tail @ ..] = input {
                let n = usize::from(*len % 48).min(tail.len());
                if n == 0 {
                    break;
                }
                let (chunk, tail) = tail.split_at(n);
                let sig = s.next(&sha256_hex(chunk));
                wire.extend_from_slice(format!("{n:x};chunk-signature={sig}\r\n").as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
                sent.extend_from_slice(chunk);
                input = tail;
            }
            let sig = s.next(EMPTY_SHA256);
            wire.extend_from_slice(format!("0;chunk-signature={sig}\r\n").as_bytes());
            let mut expected_trailers = Vec::new();
            if trailer {
                let value = sha256_hex(&sent);
                let canonical = format!("x-amz-checksum-sha256:{value}\n");
                wire.extend_from_slice(format!("x-amz-checksum-sha256:{value}\r\n").as_bytes());
                wire.extend_from_slice(format!("x-amz-trailer-signature:{}\r\n", s.trailer(&canonical)).as_bytes());
                expected_trailers.push(("x-amz-checksum-sha256".to_string(), value));
            }
            wire.extend_from_slice(b"\r\n");
            let (got, trailers) = decode(Some(signer(trailer)), &wire, piece).expect("a correctly signed body decodes");
            assert_eq!(got, sent, "decoded data");
            assert_eq!(trailers, expected_trailers);
        }
    }
});
