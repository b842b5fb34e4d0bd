//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>
//!
//! Each step is an ordinary authenticated request, so presigned URLs work for every step and each
//! is checked for expiry when it starts, as on S3. A part is stored like an object body; Complete
//! concatenates the named parts into the object's body (see [`crate::storage::Store::complete_upload`]).

use http::{Response, StatusCode};
use hyper::body::Incoming;
use md5::{Digest, Md5};

use super::object::{
    check_copy_source_conditions, copy_into_blob, headers_from_request, parse_copy_source, receive_body, validate_key,
};
use super::payload::PayloadReader;
use super::{set_header, write_owner, xml_date, xml_response, Ctx};
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::storage::{ObjectMeta, PartRow, UploadRow, UploadsQuery};
use crate::xml::{read_flat, XmlWriter};

/// Part numbers run from 1 to this.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Every part but the last must be at least this big: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The most parts or uploads one listing page returns.
const MAX_LISTED: usize = 1000;

/// Parses `partNumber`: an integer from 1 to 10000.
pub fn parse_part_number(raw: &str) -> S3Result<u32> {
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_PART_NUMBER).contains(&n) => Ok(n),
        _ => Err(S3Error::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            raw,
        )),
    }
}

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

pub async fn handle_create_multipart_upload(ctx: &Ctx<'_>, bucket: &str, key: &str) -> S3Result<Response<Body>> {
    validate_key(key)?;
    let row = UploadRow {
        upload_id: new_upload_id(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        initiated_ms: ctx.now_ms(),
        headers: headers_from_request(ctx),
        user_meta: ctx.user_metadata(),
    };
    ctx.state.store.create_upload(row.clone()).await?;
    let mut w = XmlWriter::new();
    w.open_root("InitiateMultipartUploadResult");
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("UploadId", &row.upload_id);
    w.close("InitiateMultipartUploadResult");
    Ok(xml_response(w))
}

pub async fn handle_upload_part(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: &str,
    body: Incoming,
) -> S3Result<Response<Body>> {
    let part_number = parse_part_number(part_number)?;
    ctx.state.store.upload(bucket, key, upload_id).await?;
    let blob = receive_body(ctx, body).await?;
    let part = PartRow {
        part_number,
        etag: format!("\"{}\"", hex::encode(blob.md5)),
        last_modified_ms: ctx.now_ms(),
        ..Default::default()
    };
    let part = ctx.state.store.put_part(bucket, key, upload_id, part, blob).await?;
    let mut resp = super::empty_response(StatusCode::OK);
    set_header(&mut resp, "etag", &part.etag);
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
    part_number: &str,
    source: &str,
) -> S3Result<Response<Body>> {
    let part_number = parse_part_number(part_number)?;
    let (src_bucket, src_key) = parse_copy_source(source)?;
    ctx.state.store.upload(bucket, key, upload_id).await?;
    let (src, file) = ctx.state.store.open_object(&src_bucket, &src_key).await?;
    check_copy_source_conditions(ctx, &src)?;
    let (start, len) = copy_range(ctx.header("x-amz-copy-source-range"), src.size)?;
    let blob = copy_into_blob(ctx, file, start, len).await?;
    let part = PartRow {
        part_number,
        etag: format!("\"{}\"", hex::encode(blob.md5)),
        last_modified_ms: ctx.now_ms(),
        ..Default::default()
    };
    let part = ctx.state.store.put_part(bucket, key, upload_id, part, blob).await?;
    let mut w = XmlWriter::new();
    w.open_root("CopyPartResult");
    w.elem("LastModified", &xml_date(part.last_modified_ms));
    w.elem("ETag", &part.etag);
    w.close("CopyPartResult");
    Ok(xml_response(w))
}

/// The (part number, ETag) list of a CompleteMultipartUpload document, in document order.
fn parse_complete(doc: &[u8]) -> S3Result<Vec<(String, String)>> {
    let malformed = || S3Error::new(ErrorCode::MalformedXML);
    let flat = read_flat(doc)?;
    if flat.last().is_none_or(|(p, _)| p != "CompleteMultipartUpload") {
        return Err(malformed());
    }
    let mut parts = Vec::new();
    let (mut number, mut etag) = (None, None);
    for (path, value) in flat {
        match path.as_str() {
            "CompleteMultipartUpload/Part/PartNumber" => number = Some(value),
            "CompleteMultipartUpload/Part/ETag" => etag = Some(value),
            "CompleteMultipartUpload/Part" => match (number.take(), etag.take()) {
                (Some(n), Some(e)) => parts.push((n.trim().to_string(), e.trim().to_string())),
                _ => return Err(malformed()),
            },
            _ => {}
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
/// part uploaded with that ETag, every part but the last at least 5 MiB.
fn choose_parts(upload_id: &str, requested: &[(String, String)], uploaded: &[PartRow]) -> S3Result<Vec<PartRow>> {
    let mut numbers = Vec::with_capacity(requested.len());
    for (raw, _) in requested {
        numbers.push(parse_part_number(raw)?);
    }
    if numbers.windows(2).any(|w| w[0] >= w[1]) {
        return Err(S3Error::new(ErrorCode::InvalidPartOrder).extra("UploadId", upload_id));
    }
    let mut chosen = Vec::with_capacity(requested.len());
    for (number, (_, etag)) in numbers.iter().zip(requested) {
        let part = uploaded
            .iter()
            .find(|p| p.part_number == *number && p.etag.trim_matches('"') == etag.trim_matches('"'))
            .ok_or_else(|| invalid_part(upload_id, *number, etag))?;
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
    body: Incoming,
) -> S3Result<Response<Body>> {
    let upload = ctx.state.store.upload(bucket, key, upload_id).await?;
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(4 * 1024 * 1024, || S3Error::new(ErrorCode::MalformedXML)).await?;
    let requested = parse_complete(&doc)?;
    let uploaded = ctx.state.store.list_parts(upload_id, 0, MAX_PART_NUMBER as usize).await?;
    let chosen = choose_parts(upload_id, &requested, &uploaded)?;
    let etags: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
    let meta = ObjectMeta {
        key: key.to_string(),
        etag: multipart_etag(&etags),
        last_modified_ms: ctx.now_ms(),
        headers: upload.headers,
        user_meta: upload.user_meta,
        ..Default::default()
    };
    let meta = ctx.state.store.complete_upload(bucket, upload_id, meta, chosen).await?;
    let mut w = XmlWriter::new();
    w.open_root("CompleteMultipartUploadResult");
    w.elem("Location", &format!("/{bucket}/{}", crate::auth::canonical::uri_encode(key.as_bytes(), false)));
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("ETag", &meta.etag);
    w.close("CompleteMultipartUploadResult");
    Ok(xml_response(w))
}

pub async fn handle_abort_multipart_upload(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> S3Result<Response<Body>> {
    ctx.state.store.abort_upload(bucket, key, upload_id).await?;
    Ok(super::empty_response(StatusCode::NO_CONTENT))
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
    ctx.state.store.upload(bucket, key, upload_id).await?;
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
    let access_key = &ctx.verified.access_key;
    let mut w = XmlWriter::new();
    w.open_root("ListPartsResult");
    w.elem("Bucket", bucket);
    w.elem("Key", key);
    w.elem("UploadId", upload_id);
    w.open("Initiator");
    w.elem("ID", &super::owner_id(access_key));
    w.elem("DisplayName", "s3strict");
    w.close("Initiator");
    write_owner(&mut w, access_key);
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
    let access_key = &ctx.verified.access_key;
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
        w.open("Initiator");
        w.elem("ID", &super::owner_id(access_key));
        w.elem("DisplayName", "s3strict");
        w.close("Initiator");
        write_owner(&mut w, access_key);
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
    fn part_numbers() {
        assert_eq!(parse_part_number("1").unwrap(), 1);
        assert_eq!(parse_part_number("10000").unwrap(), 10000);
        for bad in ["0", "10001", "-1", "x", ""] {
            assert_eq!(parse_part_number(bad).unwrap_err().code, ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn complete_document() {
        let doc = b"<CompleteMultipartUpload><Part><ETag>\"a\"</ETag><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>";
        assert_eq!(parse_complete(doc).unwrap(), [("1".into(), "\"a\"".into()), ("2".into(), "b".into())]);
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
