//! GetObjectAttributes: what `x-amz-object-attributes` names of an object, in one document —
//! `ETag` (unquoted), `Checksum`, `ObjectParts` (multipart objects: the part count `PartsCount` and, for
//! uploads that had a checksum algorithm, each part's size and checksum, paged by
//! `x-amz-max-parts` and `x-amz-part-number-marker`), `StorageClass` and `ObjectSize`.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html>

use http::Response;

use super::ctx::Ctx;
use super::object::object_meta;
use super::respond::{http_date, set_header, xml_response};
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::router::VersionId;
use crate::xml::XmlWriter;

/// The attributes S3 knows.
const ATTRIBUTES: [&str; 5] = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

/// Parts per page, at most and by default.
const MAX_PARTS: usize = 1000;

fn invalid(message: &str) -> S3Error {
    S3Error::with_message(ErrorCode::InvalidArgument, message)
}

/// The attributes asked for: comma-separated, possibly over several headers. None, or a name S3
/// does not know, is `InvalidArgument` "Invalid attribute name specified." (as cloudserver's
/// tests, written against S3, expect for both).
fn requested(ctx: &Ctx<'_>) -> S3Result<Vec<&'static str>> {
    let mut wanted = Vec::new();
    // Several headers arrive joined by commas, as one list.
    if let Some(value) = ctx.header("x-amz-object-attributes") {
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let known =
                ATTRIBUTES.iter().find(|a| **a == name).ok_or_else(|| invalid("Invalid attribute name specified."))?;
            wanted.push(*known);
        }
    }
    if wanted.is_empty() {
        return Err(invalid("Invalid attribute name specified."));
    }
    Ok(wanted)
}

fn number_header(ctx: &Ctx<'_>, name: &str, default: usize) -> S3Result<usize> {
    match ctx.header(name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<usize>().map_err(|_| {
            S3Error::invalid_argument(format!("Provided {name} not an integer or within integer range"), name, v)
        }),
    }
}

pub async fn handle_get_object_attributes(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<Response<Body>> {
    let wanted = requested(ctx)?;
    let max_parts = number_header(ctx, "x-amz-max-parts", MAX_PARTS)?.min(MAX_PARTS);
    let marker = number_header(ctx, "x-amz-part-number-marker", 0)?;
    // Authorization asked for the read permission of the object too (S3 wants both).
    let meta = object_meta(ctx, bucket, key, version).await?;
    let has = |a: &str| wanted.contains(&a);
    let mut w = XmlWriter::new();
    w.open_root("GetObjectAttributesResponse");
    if has("ETag") {
        w.elem("ETag", meta.etag.trim_matches('"'));
    }
    if let (true, Some(sum)) = (has("Checksum"), &meta.checksum) {
        w.open("Checksum");
        w.elem(sum.algorithm.element(), &sum.value);
        w.elem("ChecksumType", sum.kind.name());
        w.close("Checksum");
    }
    if has("ObjectParts") && !meta.part_sizes.is_empty() {
        let total = meta.part_sizes.len();
        w.open("ObjectParts");
        // The model names it TotalPartsCount; the element is PartsCount.
        w.elem("PartsCount", &total.to_string());
        // Each part's size and checksum are listed when the upload kept checksums.
        if let Some(algorithm) = meta.checksum.as_ref().map(|c| c.algorithm).filter(|_| !meta.part_checksums.is_empty())
        {
            let page: Vec<usize> = (marker + 1..=total).take(max_parts).collect();
            let truncated = page.last().is_some_and(|last| *last < total);
            w.elem("PartNumberMarker", &marker.to_string());
            if let (true, Some(last)) = (truncated, page.last()) {
                w.elem("NextPartNumberMarker", &last.to_string());
            }
            w.elem("MaxParts", &max_parts.to_string());
            w.elem("IsTruncated", if truncated { "true" } else { "false" });
            for n in page {
                w.open("Part");
                w.elem("PartNumber", &n.to_string());
                w.elem("Size", &meta.part_sizes[n - 1].to_string());
                if let Some(sum) = meta.part_checksums.get(n - 1) {
                    w.elem(algorithm.element(), sum);
                }
                w.close("Part");
            }
        }
        w.close("ObjectParts");
    }
    if has("StorageClass") {
        w.elem("StorageClass", "STANDARD");
    }
    if has("ObjectSize") {
        w.elem("ObjectSize", &meta.size.to_string());
    }
    w.close("GetObjectAttributesResponse");
    let mut resp = xml_response(w);
    set_header(&mut resp, "last-modified", &http_date(meta.last_modified_ms));
    super::object::set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    Ok(resp)
}
