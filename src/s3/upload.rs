//! The upload kit shared by the handlers that write bodies (PutObject, CopyObject, UploadPart,
//! UploadPartCopy, PostObject): key rules, the stored headers of a new object, receiving a request
//! body into a blob with every integrity check, copying a stored body into a new blob, and the
//! copy-source conditions.

use crate::body::ReqBody;
use base64::Engine;
use http::Response;

use super::conditional::{Conditions, Verdict};
use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::set_header;
use crate::auth::Payload;
use crate::body::Body;
use crate::checksum::{self, Algorithm, BodyChecksum, Checksum};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::storage::{FinishedBlob, ObjectBody, ObjectMeta, Store};

/// The longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The largest single PUT S3 accepts: 5 GiB.
pub const MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Stored response headers, set at upload and returned on GET/HEAD.
pub const STORED_HEADERS: [&str; 6] =
    ["content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires"];
/// The `Content-Type` of an object uploaded without one.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// The most bytes of user metadata (names without `x-amz-meta-`, and values) S3 stores: 2 KB.
pub const MAX_METADATA_BYTES: usize = 2048;

/// `MetadataTooLarge` when user metadata exceeds what S3 stores.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata>
pub fn check_metadata_size(meta: &[(String, String)]) -> S3Result<()> {
    let size: usize = meta.iter().map(|(n, v)| n.len() + v.len()).sum();
    if size > MAX_METADATA_BYTES {
        return Err(S3Error::new(ErrorCode::MetadataTooLarge)
            .extra("Size", size.to_string())
            .extra("MaxSizeAllowed", MAX_METADATA_BYTES.to_string()));
    }
    Ok(())
}

/// Rejects keys S3 cannot store.
pub fn validate_key(key: &str) -> S3Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::new(ErrorCode::KeyTooLongError)
            .extra("Size", key.len().to_string())
            .extra("MaxSizeAllowed", MAX_KEY_BYTES.to_string()));
    }
    Ok(())
}

/// The `Content-MD5` header decoded, or `InvalidDigest`.
pub fn content_md5(ctx: &Ctx<'_>) -> S3Result<Option<[u8; 16]>> {
    let Some(value) = ctx.header("content-md5") else { return Ok(None) };
    let invalid = || S3Error::new(ErrorCode::InvalidDigest).extra("Content-MD5", value);
    let bytes = base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| invalid())?;
    bytes.try_into().map(Some).map_err(|_| invalid())
}

/// `BadDigest` unless `computed` is the MD5 the client announced.
pub fn check_md5(expected: Option<[u8; 16]>, computed: &[u8; 16]) -> S3Result<()> {
    match expected {
        Some(e) if &e != computed => Err(S3Error::new(ErrorCode::BadDigest)
            .extra("ExpectedDigest", hex::encode(e))
            .extra("CalculatedDigest", base64::engine::general_purpose::STANDARD.encode(computed))),
        _ => Ok(()),
    }
}

/// `Content-Encoding` as stored: `aws-chunked` is transport framing and its token is dropped; the
/// rest of the value is kept as sent (`aws-chunked,deflate, gzip` is stored `deflate, gzip`).
fn stored_content_encoding(value: &str) -> Option<String> {
    let kept: Vec<&str> = value.split(',').filter(|e| !e.trim().eq_ignore_ascii_case("aws-chunked")).collect();
    let kept = kept.join(",");
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_string())
}

/// The stored headers of a new object, from the request.
pub fn headers_from_request(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in STORED_HEADERS {
        let Some(value) = ctx.header(name) else { continue };
        let value = if name == "content-encoding" {
            match stored_content_encoding(value) {
                Some(v) => v,
                None => continue,
            }
        } else {
            value.to_string()
        };
        out.push((name.to_string(), value));
    }
    if !out.iter().any(|(n, _)| n == "content-type") {
        out.push(("content-type".to_string(), DEFAULT_CONTENT_TYPE.to_string()));
    }
    out
}

/// The announced size of the (decoded) body: `x-amz-decoded-content-length` for aws-chunked
/// bodies, `Content-Length` otherwise.
fn announced_size(ctx: &Ctx<'_>) -> S3Result<u64> {
    let streaming = matches!(ctx.verified.payload, Payload::StreamingSigned(_) | Payload::StreamingUnsignedTrailer);
    let name = if streaming { "x-amz-decoded-content-length" } else { "content-length" };
    let value = ctx.header(name).ok_or_else(|| S3Error::new(ErrorCode::MissingContentLength))?;
    let size: u64 =
        value.trim().parse().map_err(|_| S3Error::invalid_argument(format!("Invalid {name} header"), name, value))?;
    if size > MAX_PUT_BYTES {
        return Err(S3Error::new(ErrorCode::EntityTooLarge)
            .extra("ProposedSize", size.to_string())
            .extra("MaxSizeAllowed", MAX_PUT_BYTES.to_string()));
    }
    Ok(size)
}

/// A request body written to a blob, not yet published.
pub struct Received {
    pub blob: FinishedBlob,
    /// Its checksum in the algorithm asked for.
    pub checksum: Checksum,
    /// For COS-signed requests, the body's CRC-64/XZ in decimal: COS answers it as
    /// `x-cos-hash-crc64ecma`, and the COS Go SDK fails an upload without it.
    pub cos_crc64: Option<String>,
}

/// The header in which COS returns an object's CRC-64 (ECMA-182 polynomial, as Go's `crc64.ECMA`).
pub const COS_CRC64_HEADER: &str = "x-cos-hash-crc64ecma";

/// Reads the request body into a new blob, checking its announced size, the payload signature
/// or hash, `Content-MD5` and the announced flexible checksum. Returns the blob and its checksum
/// in `store` (default: the announced algorithm, else CRC64NVME). Nothing is published; a failure
/// leaves nothing behind.
pub async fn receive_body(ctx: &Ctx<'_>, body: ReqBody, store: Option<Algorithm>) -> S3Result<Received> {
    let size = announced_size(ctx)?;
    let md5 = content_md5(ctx)?;
    let announced = checksum::announced(|n| ctx.header(n))?;
    let store = store.or(announced.as_ref().map(|a| a.algorithm)).unwrap_or(Algorithm::Crc64Nvme);
    let mut sums = BodyChecksum::new(announced, store);
    let mut reader = PayloadReader::new(body, &ctx.verified.payload);
    let mut writer = ctx.state.store.new_blob().await?;
    let mut cos_crc = ctx.is_cos().then(|| crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Xz));
    while let Some(data) = reader.next().await? {
        sums.update(&data);
        if let Some(crc) = cos_crc.as_mut() {
            crc.update(&data);
        }
        writer.write(data).await?;
        if writer.size() > size {
            return Err(S3Error::new(ErrorCode::IncompleteBody));
        }
    }
    let end = reader.finish()?;
    if writer.size() != size {
        return Err(S3Error::new(ErrorCode::IncompleteBody));
    }
    let blob = writer.finish().await?;
    check_md5(md5, &blob.md5)?;
    let checksum = sums.finish(&end.trailers)?;
    Ok(Received { blob, checksum, cos_crc64: cos_crc.map(|c| c.finalize().to_string()) })
}

/// `x-amz-checksum-<algorithm>` and `x-amz-checksum-type` for a stored checksum.
pub fn set_checksum_headers(resp: &mut Response<Body>, sum: &Checksum) {
    set_header(resp, sum.algorithm.header(), &sum.value);
    set_header(resp, "x-amz-checksum-type", sum.kind.name());
}

/// Copies `len` bytes of a body (an object's, or a file loaded by `--seed`) from `start` into a
/// new blob; returns it with its checksum in `algorithm`.
pub async fn copy_into_blob(
    store: &Store,
    source: ObjectBody,
    start: u64,
    len: u64,
    algorithm: Algorithm,
) -> S3Result<(FinishedBlob, Checksum)> {
    let mut writer = store.new_blob().await?;
    let mut sums = BodyChecksum::new(None, algorithm);
    match source {
        ObjectBody::Small(body) => {
            let range = usize::try_from(start).ok().zip(usize::try_from(start + len).ok());
            let chunk = range.and_then(|(a, b)| body.get(a..b)).map(|s| body.slice_ref(s)).unwrap_or_default();
            sums.update(&chunk);
            writer.write(chunk).await?;
        }
        // Read as a GET reads it: in chunks, ahead of the writer.
        ObjectBody::File(file) => {
            let mut chunks = crate::storage::blobs::read_ahead(file.into_std().await, start, len);
            while let Some(chunk) = chunks.recv().await {
                let chunk = chunk?;
                sums.update(&chunk);
                writer.write(chunk).await?;
            }
        }
        ObjectBody::None => return Err(S3Error::internal("no source body to copy")),
    }
    if writer.size() != len {
        return Err(S3Error::internal("object body shorter than its recorded size"));
    }
    Ok((writer.finish().await?, sums.finish(&[])?))
}

/// `x-amz-copy-source-if-*` against the source object: any failure is a 412.
pub fn check_copy_source_conditions(ctx: &Ctx<'_>, src: &ObjectMeta) -> S3Result<()> {
    let conditions = Conditions {
        if_match: ctx.header("x-amz-copy-source-if-match"),
        if_none_match: ctx.header("x-amz-copy-source-if-none-match"),
        if_modified_since: ctx.header("x-amz-copy-source-if-modified-since"),
        if_unmodified_since: ctx.header("x-amz-copy-source-if-unmodified-since"),
    };
    let failed = match conditions.evaluate(src) {
        Verdict::Proceed => return Ok(()),
        Verdict::NotModified => "If-None-Match",
        Verdict::Failed(c) => c,
    };
    Err(S3Error::new(ErrorCode::PreconditionFailed).extra("Condition", format!("x-amz-copy-source-{failed}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_is_not_stored() {
        assert_eq!(stored_content_encoding("aws-chunked"), None);
        assert_eq!(stored_content_encoding("aws-chunked, gzip"), Some("gzip".into()));
        assert_eq!(stored_content_encoding("gzip"), Some("gzip".into()));
        assert_eq!(stored_content_encoding("aws-chunked,deflate, gzip"), Some("deflate, gzip".into()));
        assert_eq!(stored_content_encoding("gzip, AWS-Chunked"), Some("gzip".into()));
        assert_eq!(stored_content_encoding("br,aws-chunked,gzip"), Some("br,gzip".into()));
    }
}
