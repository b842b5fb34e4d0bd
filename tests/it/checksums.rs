//! Flexible checksums and aws-chunked uploads: headers and trailers, every algorithm, multipart
//! composite and full-object checksums, and the S3 errors for each way they go wrong.

use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};
use base64::Engine;
use s3strict::auth::canonical;
use s3strict::auth::chunked::ChunkSigner;
use s3strict::checksum::{Algorithm, Hasher};

use crate::common::*;

fn sum(a: Algorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(a);
    h.update(data);
    base64::engine::general_purpose::STANDARD.encode(h.finish(a))
}

async fn server() -> TestServer {
    let s = TestServer::start().await;
    s.create_bucket("sums").await;
    s
}

#[tokio::test]
async fn every_algorithm_through_the_sdk() {
    let s = server().await;
    let c = s.client();
    let body = b"The quick brown fox jumps over the lazy dog".to_vec();
    let cases = [
        (ChecksumAlgorithm::Crc32, Algorithm::Crc32),
        (ChecksumAlgorithm::Crc32C, Algorithm::Crc32c),
        (ChecksumAlgorithm::Crc64Nvme, Algorithm::Crc64Nvme),
        (ChecksumAlgorithm::Sha1, Algorithm::Sha1),
        (ChecksumAlgorithm::Sha256, Algorithm::Sha256),
    ];
    for (sdk, ours) in cases {
        let key = format!("k-{}", ours.name());
        c.put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(sdk.clone())
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        let got = c.get_object().bucket("sums").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let value = match ours {
            Algorithm::Crc32 => got.checksum_crc32(),
            Algorithm::Crc32c => got.checksum_crc32_c(),
            Algorithm::Crc64Nvme => got.checksum_crc64_nvme(),
            Algorithm::Sha1 => got.checksum_sha1(),
            Algorithm::Sha256 => got.checksum_sha256(),
        };
        assert_eq!(value, Some(sum(ours, &body).as_str()), "{sdk:?}");
        assert_eq!(got.checksum_type(), Some(&ChecksumType::FullObject));
    }
    // Without checksum mode, no checksum headers.
    let r = s.signed(SignedRequest::new("GET", "/sums/k-SHA1")).await;
    assert!(r.header("x-amz-checksum-sha1").is_none());
    let r = s.signed(SignedRequest::new("GET", "/sums/k-SHA1").header("x-amz-checksum-mode", "ENABLED")).await;
    assert_eq!(r.header("x-amz-checksum-sha1"), Some(sum(Algorithm::Sha1, &body).as_str()));
    // Nor for a range, which the whole-object checksum does not cover.
    let r = s
        .signed(
            SignedRequest::new("GET", "/sums/k-SHA1")
                .header("x-amz-checksum-mode", "ENABLED")
                .header("range", "bytes=0-3"),
        )
        .await;
    assert!(r.header("x-amz-checksum-sha1").is_none());
}

#[tokio::test]
async fn server_computes_crc64nvme_by_default() {
    let s = server().await;
    let r = s.signed(SignedRequest::new("PUT", "/sums/plain").body(b"no checksum given")).await;
    assert_eq!(r.header("x-amz-checksum-crc64nvme"), Some(sum(Algorithm::Crc64Nvme, b"no checksum given").as_str()));
    let got =
        s.client().head_object().bucket("sums").key("plain").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.checksum_crc64_nvme(), Some(sum(Algorithm::Crc64Nvme, b"no checksum given").as_str()));
}

#[tokio::test]
async fn header_checksum_errors() {
    let s = server().await;
    let body = b"payload";
    let wrong = sum(Algorithm::Crc32, b"other");
    let r = s.signed(SignedRequest::new("PUT", "/sums/bad").header("x-amz-checksum-crc32", wrong).body(body)).await;
    r.assert_error(400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/sums/bad")
                .header("x-amz-checksum-sha256", sum(Algorithm::Sha256, b"x"))
                .body(body),
        )
        .await;
    r.assert_error(400, "BadDigest", "The SHA256 you specified did not match the calculated checksum.");
    assert_eq!(s.signed(SignedRequest::new("GET", "/sums/bad")).await.status, 404, "nothing stored");
    let r =
        s.signed(SignedRequest::new("PUT", "/sums/bad").header("x-amz-checksum-crc32", "not-base64!").body(body)).await;
    r.assert_error(400, "InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid.");
    let r =
        s.signed(SignedRequest::new("PUT", "/sums/bad").header("x-amz-checksum-crc32c", "AAAAAAAA").body(body)).await;
    r.assert_error(400, "InvalidRequest", "Value for x-amz-checksum-crc32c header is invalid.");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/sums/bad")
                .header("x-amz-checksum-crc32", sum(Algorithm::Crc32, body))
                .header("x-amz-checksum-sha1", sum(Algorithm::Sha1, body))
                .body(body),
        )
        .await;
    r.assert_error(
        400,
        "InvalidRequest",
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
    let r = s
        .signed(
            SignedRequest::new("PUT", "/sums/bad")
                .header("x-amz-checksum-crc32", sum(Algorithm::Crc32, body))
                .header("x-amz-sdk-checksum-algorithm", "SHA1")
                .body(body),
        )
        .await;
    r.assert_error(400, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.");
    let r =
        s.signed(SignedRequest::new("PUT", "/sums/bad").header("x-amz-sdk-checksum-algorithm", "MD5").body(body)).await;
    r.assert_error(400, "InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    let ok = s
        .signed(
            SignedRequest::new("PUT", "/sums/good")
                .header("x-amz-checksum-crc32", sum(Algorithm::Crc32, body))
                .body(body),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-amz-checksum-crc32"), Some(sum(Algorithm::Crc32, body).as_str()));
}

/// An aws-chunked body signed chunk by chunk, with optional trailers, built with the crate's own
/// signer (the chain itself is checked against the AWS example in the unit tests).
struct Chunked {
    target: String,
    headers: Vec<(String, String)>,
    signer: ChunkSigner,
}

fn chunked_request(s: &TestServer, key: &str, decoded_len: usize, trailer: Option<&str>) -> Chunked {
    let path = format!("/sums/{key}");
    let mut req = SignedRequest::new("PUT", Box::leak(path.into_boxed_str()))
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", decoded_len.to_string());
    if let Some(t) = trailer {
        req = req.header("x-amz-trailer", t);
    }
    let mode = if trailer.is_some() {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    } else {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    };
    req.content_sha256 = Some(mode.into());
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    req.amz_date = Some(date.clone());
    let (target, headers) = req.sign(s.addr);
    let authz = headers.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
    let seed = authz.rsplit("Signature=").next().unwrap().to_string();
    let key = canonical::signing_key(SK, &date[..8], REGION, "s3");
    let signer =
        ChunkSigner::new(key, date.clone(), canonical::scope(&date[..8], REGION, "s3"), seed, trailer.is_some());
    Chunked { target, headers, signer }
}

impl Chunked {
    fn body(&mut self, chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in chunks.iter().chain(std::iter::once(&&b""[..])) {
            let sig = self.signer.next(&canonical::sha256_hex(c));
            out.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", c.len()).as_bytes());
            if !c.is_empty() {
                out.extend_from_slice(c);
                out.extend_from_slice(b"\r\n");
            }
        }
        if !trailers.is_empty() {
            let mut canonical_trailers = String::new();
            for (n, v) in trailers {
                out.extend_from_slice(format!("{n}:{v}\r\n").as_bytes());
                canonical_trailers.push_str(&format!("{n}:{v}\n"));
            }
            let sig = self.signer.trailer(&canonical_trailers);
            out.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    async fn send(&self, s: &TestServer, body: &[u8]) -> RawResponse {
        let len = body.len().to_string();
        let mut h: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        h.push(("content-length", &len));
        s.raw("PUT", &self.target, &h, body).await
    }
}

#[tokio::test]
async fn signed_chunks_and_trailers() {
    let s = server().await;
    let a = vec![b'a'; 70_000];
    let b = b"tail".to_vec();
    let whole = [a.clone(), b.clone()].concat();
    // Plain signed chunks.
    let mut req = chunked_request(&s, "chunked", whole.len(), None);
    let body = req.body(&[&a, &b], &[]);
    let r = req.send(&s, &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = s.client().get_object().bucket("sums").key("chunked").send().await.unwrap();
    assert_eq!(got.content_encoding(), None);
    assert!(got.body.collect().await.unwrap().into_bytes().as_ref() == whole.as_slice());
    // With a signed checksum trailer.
    let crc = sum(Algorithm::Crc32c, &whole);
    let mut req = chunked_request(&s, "trailer", whole.len(), Some("x-amz-checksum-crc32c"));
    let body = req.body(&[&a, &b], &[("x-amz-checksum-crc32c", &crc)]);
    assert_eq!(req.send(&s, &body).await.status, 200);
    let head = s
        .client()
        .head_object()
        .bucket("sums")
        .key("trailer")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc32_c(), Some(crc.as_str()));
    // A trailer that does not match the body.
    let mut req = chunked_request(&s, "badtrailer", whole.len(), Some("x-amz-checksum-crc32c"));
    let body = req.body(&[&a, &b], &[("x-amz-checksum-crc32c", &sum(Algorithm::Crc32c, b"x"))]);
    req.send(&s, &body).await.assert_error(
        400,
        "BadDigest",
        "The CRC32C you specified did not match the calculated checksum.",
    );
    // An unsupported trailer name.
    let req = chunked_request(&s, "badname", whole.len(), Some("x-amz-checksum-md5"));
    req.send(&s, b"0\r\n\r\n").await.assert_error(
        400,
        "InvalidRequest",
        "The value specified in the x-amz-trailer header is not supported",
    );
    // A tampered chunk.
    let mut req = chunked_request(&s, "tampered", whole.len(), None);
    let mut body = req.body(&[&a, &b], &[]);
    let at = body.len() - 200;
    body[at] ^= 1;
    let r = req.send(&s, &body).await;
    assert_eq!((r.status, r.error().code.as_str()), (403, "SignatureDoesNotMatch"), "{}", r.text());
    // A body cut short: the final chunk never comes.
    let mut req = chunked_request(&s, "short", whole.len(), None);
    let body = req.body(&[&a], &[]);
    let cut = &body[..body.len() - 90];
    let r = req.send(&s, cut).await;
    r.assert_error(400, "IncompleteBody", "The request body terminated unexpectedly");
    // Decoded length that differs from x-amz-decoded-content-length.
    let mut req = chunked_request(&s, "lying", whole.len() + 1, None);
    let body = req.body(&[&a, &b], &[]);
    let r = req.send(&s, &body).await;
    assert_eq!((r.status, r.error().code.as_str()), (400, "IncompleteBody"));
    for key in ["badtrailer", "badname", "tampered", "short", "lying"] {
        let path = format!("/sums/{key}");
        assert_eq!(s.signed(SignedRequest::new("GET", &path)).await.status, 404, "{key} was not stored");
    }
}

fn completed(parts: Vec<CompletedPart>) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder().set_parts(Some(parts)).build()
}

#[tokio::test]
async fn multipart_composite_and_full_object() {
    let s = server().await;
    let c = s.client();
    let p1 = vec![7u8; 5 * 1024 * 1024];
    let p2 = b"second part".to_vec();
    let whole = [p1.clone(), p2.clone()].concat();

    // COMPOSITE SHA256: part checksums are required on Complete.
    let up = c
        .create_multipart_upload()
        .bucket("sums")
        .key("comp")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap();
    assert_eq!(up.checksum_type(), Some(&ChecksumType::Composite));
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, body) in [(1, &p1), (2, &p2)] {
        let out = c
            .upload_part()
            .bucket("sums")
            .key("comp")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        assert_eq!(out.checksum_sha256(), Some(sum(Algorithm::Sha256, body).as_str()));
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .checksum_sha256(out.checksum_sha256().unwrap())
                .build(),
        );
    }
    let bare: Vec<CompletedPart> = parts
        .iter()
        .map(|p| CompletedPart::builder().part_number(p.part_number().unwrap()).e_tag(p.e_tag().unwrap()).build())
        .collect();
    let err = c
        .complete_multipart_upload()
        .bucket("sums")
        .key("comp")
        .upload_id(id)
        .multipart_upload(completed(bare))
        .send()
        .await
        .unwrap_err();
    let msg = format!("{:?}", err.into_service_error());
    assert!(msg.contains("The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."), "{msg}");
    let out = c
        .complete_multipart_upload()
        .bucket("sums")
        .key("comp")
        .upload_id(id)
        .multipart_upload(completed(parts))
        .send()
        .await
        .unwrap();
    let mut digests = Vec::new();
    digests.extend_from_slice(&base64::engine::general_purpose::STANDARD.decode(sum(Algorithm::Sha256, &p1)).unwrap());
    digests.extend_from_slice(&base64::engine::general_purpose::STANDARD.decode(sum(Algorithm::Sha256, &p2)).unwrap());
    let composite = format!("{}-2", sum(Algorithm::Sha256, &digests));
    assert_eq!(out.checksum_sha256(), Some(composite.as_str()));
    assert_eq!(out.checksum_type(), Some(&ChecksumType::Composite));
    let r = s.signed(SignedRequest::new("HEAD", "/sums/comp").header("x-amz-checksum-mode", "ENABLED")).await;
    assert_eq!(r.header("x-amz-checksum-sha256"), Some(composite.as_str()));
    assert_eq!(r.header("x-amz-checksum-type"), Some("COMPOSITE"));

    // FULL_OBJECT CRC32: the parts' CRCs combine into the CRC of the whole body.
    let up = c
        .create_multipart_upload()
        .bucket("sums")
        .key("full")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, body) in [(1, &p1), (2, &p2)] {
        let out = c
            .upload_part()
            .bucket("sums")
            .key("full")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    let out = c
        .complete_multipart_upload()
        .bucket("sums")
        .key("full")
        .upload_id(id)
        .multipart_upload(completed(parts))
        .send()
        .await
        .unwrap();
    assert_eq!(out.checksum_crc32(), Some(sum(Algorithm::Crc32, &whole).as_str()));
    assert_eq!(out.checksum_type(), Some(&ChecksumType::FullObject));

    // No algorithm named: CRC64NVME full object, as S3 does by default.
    let up = c.create_multipart_upload().bucket("sums").key("default").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, body) in [(1, &p1), (2, &p2)] {
        let out = c
            .upload_part()
            .bucket("sums")
            .key("default")
            .upload_id(id)
            .part_number(n)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    c.complete_multipart_upload()
        .bucket("sums")
        .key("default")
        .upload_id(id)
        .multipart_upload(completed(parts))
        .send()
        .await
        .unwrap();
    let head = c.head_object().bucket("sums").key("default").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(head.checksum_crc64_nvme(), Some(sum(Algorithm::Crc64Nvme, &whole).as_str()));
}

#[tokio::test]
async fn multipart_checksum_errors() {
    let s = server().await;
    let r = s
        .signed(
            SignedRequest::new("POST", "/sums/x")
                .query("uploads")
                .header("x-amz-checksum-algorithm", "SHA256")
                .header("x-amz-checksum-type", "FULL_OBJECT"),
        )
        .await;
    r.assert_error(
        400,
        "InvalidRequest",
        "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.",
    );
    let r = s
        .signed(SignedRequest::new("POST", "/sums/x").query("uploads").header("x-amz-checksum-type", "COMPOSITE"))
        .await;
    r.assert_error(
        400,
        "InvalidRequest",
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
    );
    let r = s
        .signed(SignedRequest::new("POST", "/sums/x").query("uploads").header("x-amz-checksum-algorithm", "MD5"))
        .await;
    assert_eq!(r.error().code, "InvalidRequest");
    let up = s
        .client()
        .create_multipart_upload()
        .bucket("sums")
        .key("x")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let q = format!("partNumber=1&uploadId={id}");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/sums/x")
                .query(&q)
                .header("x-amz-checksum-sha1", sum(Algorithm::Sha1, b"p"))
                .body(b"p"),
        )
        .await;
    r.assert_error(
        400,
        "InvalidRequest",
        "Checksum Type mismatch occurred, expected checksum Type: crc32c, actual checksum Type: sha1",
    );
    let r = s
        .signed(
            SignedRequest::new("PUT", "/sums/x")
                .query(&q)
                .header("x-amz-checksum-crc32c", sum(Algorithm::Crc32c, b"q"))
                .body(b"p"),
        )
        .await;
    r.assert_error(400, "BadDigest", "The CRC32C you specified did not match the calculated checksum.");
    let r = s.signed(SignedRequest::new("PUT", "/sums/x").query(&q).body(b"p")).await;
    assert_eq!(r.status, 200);
    let etag = r.header("etag").unwrap().to_string();
    let doc = format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag><ChecksumCRC32C>{}</ChecksumCRC32C></Part></CompleteMultipartUpload>", sum(Algorithm::Crc32c, b"wrong"));
    let r = s.signed(SignedRequest::new("POST", "/sums/x").query(&format!("uploadId={id}")).body(doc.as_bytes())).await;
    assert_eq!(r.error().code, "InvalidPart");
    let doc = format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag><ChecksumCRC32C>{}</ChecksumCRC32C></Part></CompleteMultipartUpload>", sum(Algorithm::Crc32c, b"p"));
    let r = s.signed(SignedRequest::new("POST", "/sums/x").query(&format!("uploadId={id}")).body(doc.as_bytes())).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`; `aws-chunked` leaves the stored Content-Encoding, the
/// rest of the value stays as sent.
#[tokio::test]
async fn unsigned_chunks_keep_other_encodings() {
    let s = server().await;
    let body = b"gzipped-ish";
    let crc = sum(Algorithm::Crc32, body);
    let framed = format!("b\r\ngzipped-ish\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");
    let mut req = SignedRequest::new("PUT", "/sums/enc")
        .header("content-encoding", "aws-chunked,deflate, gzip")
        .header("x-amz-decoded-content-length", body.len().to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32")
        .body(framed.as_bytes());
    req.content_sha256 = Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into());
    let r = s.signed(req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got =
        s.client().get_object().bucket("sums").key("enc").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.content_encoding(), Some("deflate, gzip"), "the rest of the value as sent");
    assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body);
    // The same upload with a trailer that is not the body's CRC32.
    let framed = "b\r\ngzipped-ish\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n".to_string();
    let mut req = SignedRequest::new("PUT", "/sums/enc2")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", body.len().to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32")
        .body(framed.as_bytes());
    req.content_sha256 = Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into());
    s.signed(req).await.assert_error(
        400,
        "BadDigest",
        "The CRC32 you specified did not match the calculated checksum.",
    );
}
