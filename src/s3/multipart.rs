//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>
//!
//! Each step is an ordinary authenticated request, so presigned URLs work for every step and each
//! is checked for expiry when it starts, as on S3. A part is stored like an object body; Complete
//! concatenates the named parts into the object's body (see [`crate::storage::Store::complete_upload`]).

use crate::body::ReqBody;
use http::{Response, StatusCode};
use md5::{Digest, Md5};

use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{set_header, xml_date, xml_response};
use super::upload::{
    check_copy_source_conditions, copy_into_blob, headers_from_request, receive_body, set_checksum_headers,
    validate_key,
};
use crate::access::acl::{write_owner, write_principal};
use crate::body::Body;
use crate::checksum::{self, Algorithm, Checksum, ChecksumType, ALGORITHMS};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::router::{parse_part_number, CopySource, MAX_PART_NUMBER};
use crate::storage::{FinishedBlob, ObjectMeta, PartRow, UploadRow, UploadsQuery};
use crate::xml::{read_flat, XmlWriter};

/// Every part but the last must be at least this big: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The most parts or uploads one listing page returns.
const MAX_LISTED: usize = 1000;

/// The multipart ETag: hex MD5 of the concatenated binary part MD5s, then `-N`.
pub fn multipart_etag(part_etags: &[&str]) -> String {
    let mut h = Md5::new();
    for etag in part_etags {
        if let Ok(bytes) = hex::decode(etag.trim_matches('"')) {
            h.update(bytes);
        }
    }
    format!("\"{}-{}\"", hex::encode(h.finalize()), part_etags.len())
}

fn new_upload_id() -> String {
    let (a, b) = uuid::Uuid::new_v4().as_u64_pair();
    let (c, _) = uuid::Uuid::new_v4().as_u64_pair();
    format!("{a:016x}{b:016x}{c:016x}")
}

fn invalid_request(message: impl Into<String>) -> S3Error {
    S3Error::with_message(ErrorCode::InvalidRequest, message)
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload. CRC64NVME
/// defaults to `FULL_OBJECT`, the others to `COMPOSITE`; SHA algorithms allow only `COMPOSITE`.
fn upload_checksum(ctx: &Ctx<'_>) -> S3Result<(Option<Algorithm>, Option<ChecksumType>)> {
    let algorithm = match ctx.header("x-amz-checksum-algorithm") {
        None => None,
        Some(name) => Some(Algorithm::from_name(name).ok_or_else(|| {
            invalid_request(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            )
        })?),
    };
    let kind = match ctx.header("x-amz-checksum-type") {
        None => None,
        Some(name) => Some(
            ChecksumType::from_name(name)
                .ok_or_else(|| invalid_request("Value for x-amz-checksum-type header is invalid."))?,
        ),
    };
    match (algorithm, kind) {
        (None, Some(_)) => Err(invalid_request(
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        )),
        (Some(a), Some(ChecksumType::FullObject)) if !a.supports_full_object() => Err(invalid_request(format!(
            "The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.",
            a.name().to_ascii_lowercase()
        ))),
        (Some(Algorithm::Crc64Nvme), Some(ChecksumType::Composite)) => {
            Err(invalid_request("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."))
        }
        (Some(a), None) => {
            let default = if a == Algorithm::Crc64Nvme { ChecksumType::FullObject } else { ChecksumType::Composite };
            Ok((Some(a), Some(default)))
        }
        other => Ok(other),
    }
}

/// The algorithm every part of `upload` is checksummed with: the upload's, else CRC64NVME (from
/// which the object's full-object checksum is combined, as S3 does by default).
fn part_algorithm(upload: &UploadRow) -> Algorithm {
    upload.checksum_algorithm.unwrap_or(Algorithm::Crc64Nvme)
}

pub async fn handle_create_multipart_upload(ctx: &Ctx<'_>, bucket: &str, key: &str) -> S3Result<Response<Body>> {
    validate_key(key)?;
    let (checksum_algorithm, checksum_type) = upload_checksum(ctx)?;
    let user_meta = ctx.user_metadata();
    super::upload::check_metadata_size(&user_meta)?;
    let tags = ctx.access.request_tags();
    ctx.state.store.require_bucket(bucket).await?;
    let written = ctx.access.write_acl();
    let row = UploadRow {
        upload_id: new_upload_id(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        initiated_ms: ctx.now_ms(),
        headers: headers_from_request(ctx),
        user_meta,
        checksum_algorithm,
        checksum_type,
        owner: written.owner,
        acl: written.acl,
        tags,
    };
    ctx.state.store.create_upload(row.clone()).await?;
    let mut w = XmlWriter::new();
    w.open_root("InitiateMultipartUploadResult");
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("UploadId", &row.upload_id);
    w.close("InitiateMultipartUploadResult");
    let mut resp = xml_response(w);
    if let (Some(a), Some(t)) = (checksum_algorithm, checksum_type) {
        set_header(&mut resp, "x-amz-checksum-algorithm", a.name());
        set_header(&mut resp, "x-amz-checksum-type", t.name());
    }
    Ok(resp)
}

/// Publishes a received part body as part `part_number` of the upload `(bucket, key, upload_id)`.
async fn store_part(
    ctx: &Ctx<'_>,
    (bucket, key, upload_id): (&str, &str, &str),
    part_number: u32,
    blob: FinishedBlob,
    checksum: Checksum,
) -> S3Result<PartRow> {
    let part = PartRow {
        part_number,
        etag: blob.etag(),
        last_modified_ms: ctx.now_ms(),
        checksum: Some(checksum),
        ..Default::default()
    };
    ctx.state.store.put_part(bucket, key, upload_id, part, blob).await
}

pub async fn handle_upload_part(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: u32,
    body: ReqBody,
) -> S3Result<Response<Body>> {
    let upload = ctx.state.store.upload(bucket, key, upload_id).await?;
    let algorithm = part_algorithm(&upload);
    if let Some(expected) = upload.checksum_algorithm {
        if let Some(given) = checksum::announced(|n| ctx.header(n))?.map(|a| a.algorithm).filter(|a| *a != expected) {
            return Err(invalid_request(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                expected.name().to_ascii_lowercase(),
                given.name().to_ascii_lowercase()
            )));
        }
    }
    let received = receive_body(ctx, body, Some(algorithm)).await?;
    let part = store_part(ctx, (bucket, key, upload_id), part_number, received.blob, received.checksum).await?;
    let mut resp = super::respond::empty_response(StatusCode::OK);
    set_header(&mut resp, "etag", &part.etag);
    if let Some(crc) = &received.cos_crc64 {
        set_header(&mut resp, super::upload::COS_CRC64_HEADER, crc);
    }
    if let (Some(_), Some(sum)) = (upload.checksum_algorithm, &part.checksum) {
        set_header(&mut resp, sum.algorithm.header(), &sum.value);
    }
    Ok(resp)
}

/// Parses `x-amz-copy-source-range: bytes=first-last` against a source of `size` bytes.
fn copy_range(value: Option<&str>, size: u64) -> S3Result<(u64, u64)> {
    let Some(value) = value else { return Ok((0, size)) };
    let malformed = || {
        S3Error::invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            value,
        )
    };
    let (first, last) = value.trim().strip_prefix("bytes=").and_then(|r| r.split_once('-')).ok_or_else(malformed)?;
    let (first, last): (u64, u64) = (first.parse().map_err(|_| malformed())?, last.parse().map_err(|_| malformed())?);
    if first > last {
        return Err(malformed());
    }
    if last >= size {
        return Err(S3Error::invalid_argument(
            format!("Range specified is not valid for source object of size: {size}"),
            "x-amz-copy-source-range",
            value,
        ));
    }
    Ok((first, last - first + 1))
}

pub async fn handle_upload_part_copy(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: u32,
    source: &CopySource,
) -> S3Result<Response<Body>> {
    let upload = ctx.state.store.upload(bucket, key, upload_id).await?;
    let (src, file) = super::object::open_target(ctx, &source.bucket, &source.key, source.version_id.as_ref()).await?;
    check_copy_source_conditions(ctx, &src)?;
    let (start, len) = copy_range(ctx.header("x-amz-copy-source-range"), src.size)?;
    let (blob, sum) = copy_into_blob(&ctx.state.store, file, start, len, part_algorithm(&upload)).await?;
    let part = store_part(ctx, (bucket, key, upload_id), part_number, blob, sum).await?;
    let mut w = XmlWriter::new();
    w.open_root("CopyPartResult");
    w.elem("LastModified", &xml_date(part.last_modified_ms));
    w.elem("ETag", &part.etag);
    if let (Some(_), Some(sum)) = (upload.checksum_algorithm, &part.checksum) {
        w.elem(sum.algorithm.element(), &sum.value);
    }
    w.close("CopyPartResult");
    Ok(xml_response(w))
}

/// One `<Part>` of a CompleteMultipartUpload document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestedPart {
    pub number: String,
    pub etag: String,
    /// `ChecksumCRC32` etc. given for the part.
    pub checksums: Vec<(Algorithm, String)>,
}

/// The parts of a CompleteMultipartUpload document, in document order.
pub fn parse_complete(doc: &[u8]) -> S3Result<Vec<RequestedPart>> {
    let malformed = || S3Error::new(ErrorCode::MalformedXML);
    let flat = read_flat(doc)?;
    if flat.last().is_none_or(|(p, _)| p != "CompleteMultipartUpload") {
        return Err(malformed());
    }
    let mut parts = Vec::new();
    let mut current = RequestedPart::default();
    let (mut has_number, mut has_etag) = (false, false);
    for (path, value) in flat.iter() {
        let Some(field) = path.strip_prefix("CompleteMultipartUpload/Part") else { continue };
        match field {
            "/PartNumber" => (current.number, has_number) = (value.trim().to_string(), true),
            "/ETag" => (current.etag, has_etag) = (value.trim().to_string(), true),
            "" if has_number && has_etag => {
                parts.push(std::mem::take(&mut current));
                (has_number, has_etag) = (false, false);
            }
            "" => return Err(malformed()),
            other => {
                if let Some(a) = ALGORITHMS.into_iter().find(|a| other.strip_prefix('/') == Some(a.element())) {
                    current.checksums.push((a, value.trim().to_string()));
                }
            }
        }
    }
    if parts.is_empty() {
        return Err(malformed());
    }
    Ok(parts)
}

fn invalid_part(upload_id: &str, number: u32, etag: &str) -> S3Error {
    S3Error::new(ErrorCode::InvalidPart)
        .extra("UploadId", upload_id)
        .extra("PartNumber", number.to_string())
        .extra("ETag", etag)
}

/// Checks the requested parts against the uploaded ones, in S3's order: ascending numbers, each
/// part uploaded with that ETag (and checksum, when given; required for composite checksums),
/// every part but the last at least 5 MiB.
fn choose_parts(upload: &UploadRow, requested: &[RequestedPart], uploaded: &[PartRow]) -> S3Result<Vec<PartRow>> {
    let upload_id = upload.upload_id.as_str();
    let mut numbers = Vec::with_capacity(requested.len());
    for r in requested {
        numbers.push(parse_part_number(&r.number)?);
    }
    if numbers.windows(2).any(|w| w[0] >= w[1]) {
        return Err(S3Error::new(ErrorCode::InvalidPartOrder).extra("UploadId", upload_id));
    }
    let mut chosen = Vec::with_capacity(requested.len());
    for (number, r) in numbers.iter().zip(requested) {
        let part = uploaded
            .iter()
            .find(|p| p.part_number == *number && p.etag.trim_matches('"') == r.etag.trim_matches('"'))
            .ok_or_else(|| invalid_part(upload_id, *number, &r.etag))?;
        let stored = part.checksum.as_ref();
        for (algorithm, value) in &r.checksums {
            if stored.is_none_or(|c| c.algorithm != *algorithm || c.value != *value) {
                return Err(invalid_part(upload_id, *number, &r.etag));
            }
        }
        if let (Some(a), Some(ChecksumType::Composite), true) =
            (upload.checksum_algorithm, upload.checksum_type, r.checksums.is_empty())
        {
            return Err(invalid_request(format!(
                "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {number} in the request.",
                a.name().to_ascii_lowercase()
            )));
        }
        chosen.push(part.clone());
    }
    if let Some(small) = chosen.iter().rev().skip(1).find(|p| p.size < MIN_PART_SIZE) {
        return Err(S3Error::new(ErrorCode::EntityTooSmall)
            .extra("ProposedSize", small.size.to_string())
            .extra("MinSizeAllowed", MIN_PART_SIZE.to_string())
            .extra("PartNumber", small.part_number.to_string())
            .extra("ETag", small.etag.trim_matches('"')));
    }
    Ok(chosen)
}

pub async fn handle_complete_multipart_upload(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    body: ReqBody,
) -> S3Result<Response<Body>> {
    let upload = ctx.state.store.upload(bucket, key, upload_id).await?;
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(4 * 1024 * 1024, || S3Error::new(ErrorCode::MalformedXML)).await?;
    let requested = parse_complete(&doc)?;
    let uploaded = ctx.state.store.list_parts(upload_id, 0, MAX_PART_NUMBER as usize).await?;
    let chosen = choose_parts(&upload, &requested, &uploaded)?;
    let checksum = object_checksum(ctx, &upload, &chosen)?;
    let etags: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
    let meta = ObjectMeta {
        key: key.to_string(),
        etag: multipart_etag(&etags),
        last_modified_ms: ctx.now_ms(),
        headers: upload.headers,
        user_meta: upload.user_meta,
        checksum,
        owner: upload.owner,
        acl: upload.acl,
        tags: upload.tags,
        ..Default::default()
    };
    let meta = ctx.state.store.complete_upload(bucket, upload_id, meta, chosen).await?;
    let mut w = XmlWriter::new();
    w.open_root("CompleteMultipartUploadResult");
    w.elem("Location", &format!("/{bucket}/{}", crate::auth::canonical::uri_encode(key.as_bytes(), false)));
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("ETag", &meta.etag);
    if let Some(sum) = &meta.checksum {
        w.elem(sum.algorithm.element(), &sum.value);
        w.elem("ChecksumType", sum.kind.name());
    }
    w.close("CompleteMultipartUploadResult");
    let mut resp = xml_response(w);
    super::object::set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    if let Some(sum) = &meta.checksum {
        set_checksum_headers(&mut resp, sum);
    }
    Ok(resp)
}

/// The completed object's checksum from its parts' checksums; a full-object value the client sent
/// with Complete (`x-amz-checksum-<algorithm>`) must match it.
fn object_checksum(ctx: &Ctx<'_>, upload: &UploadRow, chosen: &[PartRow]) -> S3Result<Option<Checksum>> {
    let algorithm = part_algorithm(upload);
    let kind = upload.checksum_type.unwrap_or(ChecksumType::FullObject);
    let mut parts = Vec::with_capacity(chosen.len());
    for p in chosen {
        match &p.checksum {
            Some(c) if c.algorithm == algorithm => parts.push((c.value.as_str(), p.size)),
            // A part stored without a checksum in this algorithm: no object checksum.
            _ => return Ok(None),
        }
    }
    let sum = checksum::combine_parts(algorithm, kind, &parts)?;
    if let Some(given) = ctx.header(algorithm.header()) {
        let matches = given.trim() == sum.value || given.trim().split('-').next() == sum.value.split('-').next();
        if !matches {
            return Err(S3Error::with_message(
                ErrorCode::BadDigest,
                format!("The {} you specified did not match the calculated checksum.", algorithm.name()),
            ));
        }
    }
    Ok(Some(sum))
}

pub async fn handle_abort_multipart_upload(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> S3Result<Response<Body>> {
    ctx.state.store.abort_upload(bucket, key, upload_id).await?;
    Ok(super::respond::empty_response(StatusCode::NO_CONTENT))
}

/// A listing bound (`max-parts`, `max-uploads`): 0 to 1000, default 1000.
fn listing_limit(ctx: &Ctx<'_>, name: &str) -> S3Result<usize> {
    match ctx.query(name) {
        None => Ok(MAX_LISTED),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok((n as usize).min(MAX_LISTED)),
            _ => Err(S3Error::invalid_argument(
                format!("Provided {name} not an integer or within integer range"),
                name,
                v,
            )),
        },
    }
}

pub async fn handle_list_parts(ctx: &Ctx<'_>, bucket: &str, key: &str, upload_id: &str) -> S3Result<Response<Body>> {
    let upload = ctx.state.store.upload(bucket, key, upload_id).await?;
    let max_parts = listing_limit(ctx, "max-parts")?;
    let marker = match ctx.query("part-number-marker") {
        None | Some("") => 0,
        Some(v) => v.parse::<u32>().map_err(|_| {
            S3Error::invalid_argument(
                "Provided part-number-marker not an integer or within integer range",
                "part-number-marker",
                v,
            )
        })?,
    };
    let mut parts = ctx.state.store.list_parts(upload_id, marker, max_parts + 1).await?;
    let truncated = parts.len() > max_parts;
    parts.truncate(max_parts);
    let owner = ctx.owner_account();
    let mut w = XmlWriter::new();
    w.open_root("ListPartsResult");
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("UploadId", upload_id);
    write_principal(&mut w, "Initiator", owner);
    write_owner(&mut w, owner);
    w.elem("StorageClass", "STANDARD");
    w.elem("PartNumberMarker", &marker.to_string());
    if let Some(last) = parts.last() {
        w.elem("NextPartNumberMarker", &last.part_number.to_string());
    }
    w.elem("MaxParts", &max_parts.to_string());
    w.elem("IsTruncated", if truncated { "true" } else { "false" });
    for p in &parts {
        w.open("Part");
        w.elem("PartNumber", &p.part_number.to_string());
        w.elem("LastModified", &xml_date(p.last_modified_ms));
        w.elem("ETag", &p.etag);
        w.elem("Size", &p.size.to_string());
        if let (Some(_), Some(sum)) = (upload.checksum_algorithm, &p.checksum) {
            w.elem(sum.algorithm.element(), &sum.value);
        }
        w.close("Part");
    }
    w.close("ListPartsResult");
    Ok(xml_response(w))
}

pub async fn handle_list_multipart_uploads(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let max_uploads = listing_limit(ctx, "max-uploads")?;
    let q = UploadsQuery {
        prefix: ctx.query("prefix").unwrap_or("").to_string(),
        delimiter: ctx.query("delimiter").map(str::to_string),
        key_marker: ctx.query("key-marker").filter(|k| !k.is_empty()).map(str::to_string),
        upload_id_marker: ctx.query("upload-id-marker").filter(|k| !k.is_empty()).map(str::to_string),
        max_uploads,
    };
    let page = ctx.state.store.list_uploads(bucket, q.clone()).await?;
    let owner = ctx.owner_account();
    let mut w = XmlWriter::new();
    w.open_root("ListMultipartUploadsResult");
    w.elem("Bucket", bucket);
    w.elem("KeyMarker", q.key_marker.as_deref().unwrap_or(""));
    w.elem("UploadIdMarker", q.upload_id_marker.as_deref().unwrap_or(""));
    if page.truncated {
        let (next_key, next_id) = match (page.uploads.last(), page.common_prefixes.last()) {
            (Some(u), Some(cp)) if cp.as_str() > u.key.as_str() => (cp.clone(), String::new()),
            (Some(u), _) => (u.key.clone(), u.upload_id.clone()),
            (None, Some(cp)) => (cp.clone(), String::new()),
            (None, None) => (String::new(), String::new()),
        };
        w.elem("NextKeyMarker", &next_key);
        w.elem("NextUploadIdMarker", &next_id);
    }
    w.elem("Prefix", &q.prefix);
    if let Some(d) = &q.delimiter {
        w.elem("Delimiter", d);
    }
    w.elem("MaxUploads", &max_uploads.to_string());
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    for u in &page.uploads {
        w.open("Upload");
        w.elem("Key", &u.key);
        w.elem("UploadId", &u.upload_id);
        write_principal(&mut w, "Initiator", owner);
        write_owner(&mut w, owner);
        w.elem("StorageClass", "STANDARD");
        w.elem("Initiated", &xml_date(u.initiated_ms));
        w.close("Upload");
    }
    for p in &page.common_prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", p);
        w.close("CommonPrefixes");
    }
    w.close("ListMultipartUploadsResult");
    Ok(xml_response(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_of_parts() {
        // Two parts whose MD5s are those of "a" and "b".
        let a = "\"0cc175b9c0f1b6a831c399e269772661\"";
        let b = "\"92eb5ffee6ae2fec3ad71c777531578f\"";
        let mut h = Md5::new();
        h.update(hex::decode("0cc175b9c0f1b6a831c399e269772661").unwrap());
        h.update(hex::decode("92eb5ffee6ae2fec3ad71c777531578f").unwrap());
        assert_eq!(multipart_etag(&[a, b]), format!("\"{}-2\"", hex::encode(h.finalize())));
    }

    #[test]
    fn complete_document() {
        let doc = b"<CompleteMultipartUpload><Part><ETag>\"a\"</ETag><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>b</ETag></Part></CompleteMultipartUpload>";
        let parts = parse_complete(doc).unwrap();
        assert_eq!((parts[0].number.as_str(), parts[0].etag.as_str()), ("1", "\"a\""));
        assert_eq!(parts[1].checksums, [(Algorithm::Crc32, "AAAAAA==".to_string())]);
        assert!(parse_complete(b"<CompleteMultipartUpload></CompleteMultipartUpload>").is_err());
        assert!(parse_complete(
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"
        )
        .is_err());
    }

    #[test]
    fn copy_ranges() {
        assert_eq!(copy_range(Some("bytes=0-9"), 100).unwrap(), (0, 10));
        assert_eq!(copy_range(None, 100).unwrap(), (0, 100));
        assert_eq!(
            copy_range(Some("bytes=0-100"), 100).unwrap_err().message,
            "Range specified is not valid for source object of size: 100"
        );
        assert_eq!(copy_range(Some("0-9"), 100).unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(copy_range(Some("bytes=9-1"), 100).unwrap_err().code, ErrorCode::InvalidArgument);
    }
}
