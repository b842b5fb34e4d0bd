//! Object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject, DeleteObjects.

use crate::body::ReqBody;
use base64::Engine;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use md5::{Digest, Md5};

use super::conditional::{parse_range, ByteRange, Conditions};
use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{empty_response, http_date, set_header, xml_date, xml_response};
use super::upload::{
    check_copy_source_conditions, check_md5, check_metadata_size, content_md5, copy_into_blob, headers_from_request,
    receive_body, set_checksum_headers, validate_key, COS_CRC64_HEADER,
};
use crate::body::Body;
use crate::checksum::{self, Algorithm, BodyChecksum, ChecksumType};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::request::RESPONSE_OVERRIDES;
use crate::router::{CopySource, VersionId};
use crate::storage::{DeleteOutcome, ObjectBody, ObjectMeta, PutCondition, Version};
use crate::xml::{read_flat, XmlWriter};

/// The most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;
/// The conditional-write headers of a PUT. `If-None-Match` accepts only `*`: an ETag there is
/// 501 `NotImplemented` on S3 (observed: aws/aws-sdk-ruby#3144). `If-Match` takes an ETag, and `*`
/// holds for any existing object; either fails with 404 `NoSuchKey` when there is none.
fn put_condition(ctx: &Ctx<'_>) -> S3Result<PutCondition> {
    let if_none_match = ctx.header("if-none-match");
    if let Some(v) = if_none_match {
        if v.trim() != "*" {
            return Err(S3Error::with_message(
                ErrorCode::NotImplemented,
                "A header you provided implies functionality that is not implemented",
            )
            .extra("Header", "If-None-Match"));
        }
    }
    Ok(PutCondition {
        if_none_match_any: if_none_match.is_some(),
        if_match: ctx.header("if-match").map(str::to_string),
    })
}

pub async fn handle_put_object(ctx: &Ctx<'_>, bucket: &str, key: &str, body: ReqBody) -> S3Result<Response<Body>> {
    validate_key(key)?;
    let cond = put_condition(ctx)?;
    let tags = ctx.access.request_tags();
    let user_meta = ctx.user_metadata();
    check_metadata_size(&user_meta)?;
    ctx.state.store.require_bucket(bucket).await?;
    let written = ctx.access.write_acl();
    let received = receive_body(ctx, body, None).await?;
    let blob = received.blob;
    let mut headers = headers_from_request(ctx);
    if let Some(crc) = &received.cos_crc64 {
        headers.push((COS_CRC64_HEADER.to_string(), crc.clone()));
    }
    let meta = ObjectMeta {
        key: key.to_string(),
        etag: blob.etag(),
        last_modified_ms: ctx.now_ms(),
        headers,
        user_meta,
        checksum: Some(received.checksum),
        owner: written.owner,
        acl: written.acl,
        tags,
        ..Default::default()
    };
    let meta = ctx.state.store.put_object(bucket, meta, blob, cond).await?;
    let mut resp = empty_response(StatusCode::OK);
    set_header(&mut resp, "etag", &meta.etag);
    set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    if let Some(sum) = &meta.checksum {
        set_checksum_headers(&mut resp, sum);
    }
    if let Some(crc) = &received.cos_crc64 {
        set_header(&mut resp, COS_CRC64_HEADER, crc);
    }
    Ok(resp)
}

/// The request's `If-*` headers.
fn request_conditions<'a>(ctx: &'a Ctx<'_>) -> Conditions<'a> {
    Conditions {
        if_match: ctx.header("if-match"),
        if_none_match: ctx.header("if-none-match"),
        if_modified_since: ctx.header("if-modified-since"),
        if_unmodified_since: ctx.header("if-unmodified-since"),
    }
}

/// A metadata value as S3 returns it: printable ASCII as is, anything else RFC 2047-encoded.
fn metadata_header_value(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        value.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(value.as_bytes()))
    }
}

/// Headers every GET/HEAD (and 304) response of an object carries. `x-amz-tagging-count` only
/// to whoever may read the tags: "Amazon S3 returns this header only if the requester has
/// permissions to read tags" (S3 User Guide, object tagging).
fn object_headers(ctx: &Ctx<'_>, resp: &mut Response<Body>, meta: &ObjectMeta, bucket: &str, versioned: bool) {
    set_header(resp, "etag", &meta.etag);
    set_header(resp, "last-modified", &http_date(meta.last_modified_ms));
    let read_tags = if versioned { "s3:GetObjectVersionTagging" } else { "s3:GetObjectTagging" };
    if !meta.tags.is_empty() && ctx.access.may(read_tags, &format!("arn:aws:s3:::{bucket}/{}", meta.key)) {
        set_header(resp, "x-amz-tagging-count", &meta.tags.len().to_string());
    }
}

/// The object a call about one object (its tags, ACL, attributes) concerns: the current one (a
/// missing key hidden as S3 hides it), or the version asked for (`NoSuchVersion`; 405 for a
/// delete marker).
pub(super) async fn object_meta(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<ObjectMeta> {
    match version {
        None => {
            let meta = ctx.state.store.head_object(bucket, key).await.map_err(|e| ctx.access.missing_key(bucket, e))?;
            ctx.access.found_object()?;
            Ok(meta)
        }
        Some(v) => match ctx.state.store.version(bucket, key, v.stored()).await? {
            Version::Object(meta) => Ok(*meta),
            marker => Err(delete_marker_refusal(ctx, &marker)),
        },
    }
}

/// 405 for a request that names a delete marker's version: only DELETE applies to it.
fn delete_marker_refusal(ctx: &Ctx<'_>, marker: &Version) -> S3Error {
    let mut e = S3Error::new(ErrorCode::MethodNotAllowed)
        .extra("Method", ctx.method.as_str())
        .extra("ResourceType", "DeleteMarker");
    e.headers.push(("x-amz-delete-marker", "true".into()));
    e.headers.push(("x-amz-version-id", marker.version_id().unwrap_or("null").to_string()));
    e.headers.push(("last-modified", http_date(marker.last_modified_ms())));
    e.headers.push(("allow", "DELETE".into()));
    e
}

/// The `x-amz-version-id` a response about `id` carries: the id, or `null` for the null version
/// of a bucket whose versioning was ever enabled; nothing for buckets never versioned.
pub(super) async fn version_header(ctx: &Ctx<'_>, bucket: &str, id: Option<&str>) -> S3Result<Option<String>> {
    if let Some(id) = id {
        return Ok(Some(id.to_string()));
    }
    let row = ctx.state.store.require_bucket(bucket).await?;
    Ok(row.versioning.is_some().then(|| "null".to_string()))
}

/// Puts [`version_header`]'s `x-amz-version-id` on `resp`, when there is one.
pub(super) async fn set_version_header(
    ctx: &Ctx<'_>,
    resp: &mut Response<Body>,
    bucket: &str,
    id: Option<&str>,
) -> S3Result<()> {
    if let Some(id) = version_header(ctx, bucket, id).await? {
        set_header(resp, "x-amz-version-id", &id);
    }
    Ok(())
}

/// The object a GET or HEAD reads: the current one, or the version asked for. A key whose
/// current version is a delete marker is `NoSuchKey` with `x-amz-delete-marker`; a version that
/// is a delete marker is 405.
pub(super) async fn open_target(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<(ObjectMeta, ObjectBody)> {
    match read_target(ctx, bucket, key, version, 0, true).await? {
        (_, ObjectBody::None) => Err(S3Error::internal("an object body was not opened")),
        found => Ok(found),
    }
}

/// Objects up to this size are read whole for a GET.
const SMALL_OBJECT: u64 = 256 * 1024;

/// Like [`open_target`], reading small bodies whole and none for HEAD.
async fn read_target(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
    small: u64,
    want_body: bool,
) -> S3Result<(ObjectMeta, ObjectBody)> {
    match version {
        None => match ctx.state.store.read_object(bucket, key, small, want_body).await {
            Ok(found) => ctx.access.found_object().map(|()| found),
            Err(mut e) => {
                if e.code == ErrorCode::NoSuchKey {
                    if let Some(marker) = ctx.state.store.current_marker(bucket, key).await? {
                        e.headers.push(("x-amz-delete-marker", "true".into()));
                        e.headers.push(("x-amz-version-id", marker.version_id().unwrap_or("null").to_string()));
                    }
                }
                Err(ctx.access.missing_key(bucket, e))
            }
        },
        Some(v) => match ctx.state.store.open_version(bucket, key, v.stored()).await? {
            (Version::Object(meta), body) => Ok((*meta, body)),
            (marker, _) => Err(delete_marker_refusal(ctx, &marker)),
        },
    }
}

pub async fn handle_get_object(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    part_number: Option<u32>,
    version: Option<&VersionId>,
    head: bool,
) -> S3Result<Response<Body>> {
    let (meta, source) = read_target(ctx, bucket, key, version, SMALL_OBJECT, !head).await?;
    let version_id = version_header(ctx, bucket, meta.version_id.as_deref()).await?;
    match request_conditions(ctx).check(&meta) {
        Err(e) if e.code == ErrorCode::NotModified => {
            let mut resp = empty_response(StatusCode::NOT_MODIFIED);
            object_headers(ctx, &mut resp, &meta, bucket, version.is_some());
            return Ok(resp);
        }
        other => other?,
    }
    let (range, parts_count) = match part_number {
        Some(n) => part_range(ctx, &meta, n)?,
        None => (parse_range(ctx.header("range"), meta.size)?, None),
    };
    let (start, len) = match range {
        Some(r) => (r.start, r.len()),
        None => (0, meta.size),
    };
    let body = match source {
        _ if head || len == 0 => crate::body::empty(),
        ObjectBody::Small(bytes) => {
            let (from, to) = (start as usize, (start + len) as usize);
            match bytes.get(from..to) {
                Some(_) => crate::body::full(bytes.slice(from..to)),
                None => return Err(S3Error::internal("a stored body is shorter than its size")),
            }
        }
        ObjectBody::File(file) => {
            let chunks = crate::storage::blobs::read_ahead(file.into_std().await, start, len);
            let stream = futures_util::stream::unfold(chunks, |mut chunks| async move {
                chunks.recv().await.map(|chunk| (chunk.map(Frame::data), chunks))
            });
            StreamBody::new(stream).boxed_unsync()
        }
        ObjectBody::None => return Err(S3Error::internal("no body read for a GET")),
    };
    let mut resp = Response::new(body);
    object_headers(ctx, &mut resp, &meta, bucket, version.is_some());
    if let Some(id) = &version_id {
        set_header(&mut resp, "x-amz-version-id", id);
    }
    for (name, value) in &meta.headers {
        // What only COS answers (its CRC-64) is for COS requests.
        if ctx.is_cos() || !name.starts_with("x-cos-") {
            set_header(&mut resp, name, value);
        }
    }
    let prefix = ctx.metadata_prefix();
    for (name, value) in &meta.user_meta {
        set_header(&mut resp, &format!("{prefix}{name}"), &metadata_header_value(value));
    }
    for (param, header) in RESPONSE_OVERRIDES {
        if let Some(v) = ctx.query(param) {
            set_header(&mut resp, header, v);
        }
    }
    set_header(&mut resp, "accept-ranges", "bytes");
    set_header(&mut resp, "content-length", &len.to_string());
    if let Some(n) = parts_count {
        set_header(&mut resp, "x-amz-mp-parts-count", &n.to_string());
    }
    // The stored checksum covers the whole object, so it is sent only for whole-object reads.
    let whole = range.is_none() && part_number.is_none();
    if let (true, Some(sum), Some("ENABLED")) = (whole, &meta.checksum, ctx.header("x-amz-checksum-mode")) {
        set_checksum_headers(&mut resp, sum);
    }
    if let Some(r) = range {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        set_header(&mut resp, "content-range", &format!("bytes {}-{}/{}", r.start, r.end, meta.size));
    }
    Ok(resp)
}

/// The byte range of part `n` (GET/HEAD `?partNumber=`) and the object's part count. An object
/// not made by multipart upload has one part, itself.
fn part_range(ctx: &Ctx<'_>, meta: &ObjectMeta, n: u32) -> S3Result<(Option<ByteRange>, Option<usize>)> {
    let n = n as usize;
    if ctx.header("range").is_some() {
        return Err(S3Error::with_message(
            ErrorCode::InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    if meta.part_sizes.is_empty() {
        if n != 1 {
            return Err(S3Error::new(ErrorCode::InvalidPartNumber)
                .extra("PartNumberRequested", n.to_string())
                .extra("ActualPartCount", "1"));
        }
        return Ok((None, None));
    }
    let count = meta.part_sizes.len();
    let Some(&size) = meta.part_sizes.get(n - 1) else {
        return Err(S3Error::new(ErrorCode::InvalidPartNumber)
            .extra("PartNumberRequested", n.to_string())
            .extra("ActualPartCount", count.to_string()));
    };
    let start: u64 = meta.part_sizes[..n - 1].iter().sum();
    let range = (size > 0).then(|| ByteRange { start, end: start + size - 1 });
    Ok((range, Some(count)))
}

pub async fn handle_delete_object(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<Response<Body>> {
    validate_key(key)?;
    // Conditional delete: `If-Match` with an ETag (or `*`); S3's other conditions on deletes
    // (`x-amz-if-match-last-modified-time`, `x-amz-if-match-size`) are for directory buckets.
    let owner = Some(ctx.owner_account().to_string());
    let outcome = match (ctx.header("if-match"), version) {
        (Some(etags), None) => ctx.state.store.delete_object_if_match(bucket, key, etags, ctx.now_ms(), owner).await?,
        _ => {
            let entry = (key.to_string(), version.map(|v| v.stored().map(str::to_string)));
            let mut outcomes = ctx.state.store.delete_objects(bucket, vec![entry], ctx.now_ms(), owner).await?;
            outcomes.pop().unwrap_or_else(|| Ok(DeleteOutcome::default()))?
        }
    };
    let mut resp = empty_response(StatusCode::NO_CONTENT);
    if let Some(id) = &outcome.version_id {
        set_header(&mut resp, "x-amz-version-id", id.as_deref().unwrap_or("null"));
    }
    if outcome.delete_marker {
        set_header(&mut resp, "x-amz-delete-marker", "true");
    }
    Ok(resp)
}

pub async fn handle_copy_object(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    source: &CopySource,
) -> S3Result<Response<Body>> {
    validate_key(key)?;
    let (src_bucket, src_key) = (&source.bucket, &source.key);
    let replace = match ctx.header("x-amz-metadata-directive").unwrap_or("COPY") {
        "COPY" => false,
        "REPLACE" => true,
        other => {
            return Err(S3Error::invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", other))
        }
    };
    let replace_tags = match ctx.header("x-amz-tagging-directive").unwrap_or("COPY") {
        "COPY" => None,
        "REPLACE" => Some(ctx.access.request_tags()),
        other => return Err(S3Error::invalid_argument("Unknown tagging directive.", "x-amz-tagging-directive", other)),
    };
    if src_bucket == bucket && src_key == key && !replace {
        return Err(S3Error::with_message(
            ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    ctx.state.store.require_bucket(bucket).await?;
    let written = ctx.access.write_acl();
    let (src, file) = open_target(ctx, src_bucket, src_key, source.version_id.as_ref()).await?;
    let src_version = version_header(ctx, src_bucket, src.version_id.as_deref()).await?;
    check_copy_source_conditions(ctx, &src)?;
    // The body is the same, so a full-object checksum carries over; a composite one cannot.
    let algorithm = match &src.checksum {
        Some(c) if c.kind == ChecksumType::FullObject => c.algorithm,
        _ => Algorithm::Crc64Nvme,
    };
    let (blob, sum) = copy_into_blob(&ctx.state.store, file, 0, src.size, algorithm).await?;
    let (headers, user_meta) = if replace {
        let user_meta = ctx.user_metadata();
        check_metadata_size(&user_meta)?;
        (headers_from_request(ctx), user_meta)
    } else {
        (src.headers.clone(), src.user_meta.clone())
    };
    let meta = ObjectMeta {
        key: key.to_string(),
        etag: blob.etag(),
        last_modified_ms: ctx.now_ms(),
        headers,
        user_meta,
        checksum: Some(sum),
        owner: written.owner,
        acl: written.acl,
        tags: replace_tags.unwrap_or_else(|| src.tags.clone()),
        ..Default::default()
    };
    let meta = ctx.state.store.put_object(bucket, meta, blob, PutCondition::default()).await?;
    let mut w = XmlWriter::new();
    w.open_root("CopyObjectResult");
    w.elem("LastModified", &xml_date(meta.last_modified_ms));
    w.elem("ETag", &meta.etag);
    w.close("CopyObjectResult");
    let mut resp = xml_response(w);
    set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    if let Some(id) = src_version {
        set_header(&mut resp, "x-amz-copy-source-version-id", &id);
    }
    Ok(resp)
}

pub async fn handle_delete_objects(ctx: &Ctx<'_>, bucket: &str, body: ReqBody) -> S3Result<Response<Body>> {
    // S3 requires the body's integrity to be announced: Content-MD5 or a flexible checksum.
    let md5 = content_md5(ctx)?;
    let announced = checksum::announced(|n| ctx.header(n))?;
    if md5.is_none() && announced.is_none() {
        return Err(S3Error::with_message(
            ErrorCode::InvalidRequest,
            "Missing required header for this request: Content-MD5",
        ));
    }
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, end) = reader.read_all(4 * 1024 * 1024, || S3Error::new(ErrorCode::MalformedXML)).await?;
    check_md5(md5, &Md5::digest(&doc).into())?;
    if let Some(a) = announced {
        let mut sums = BodyChecksum::new(Some(a.clone()), a.algorithm);
        sums.update(&doc);
        sums.finish(&end.trailers)?;
    }
    let flat = read_flat(&doc)?;
    if flat.last().is_none_or(|(p, _)| p != "Delete") {
        return Err(S3Error::new(ErrorCode::MalformedXML));
    }
    let quiet = flat.iter().any(|(p, v)| p == "Delete/Quiet" && v.trim().eq_ignore_ascii_case("true"));
    // Each <Object> is its Key and optional VersionId, closed by the Object element itself.
    let mut entries: Vec<(String, Option<VersionId>)> = Vec::new();
    let (mut key, mut version) = (None, None);
    for (path, text) in flat.iter() {
        match path {
            "Delete/Object/Key" => key = Some(text.to_string()),
            "Delete/Object/VersionId" => version = Some(crate::router::parse_version_id(text)?),
            "Delete/Object" => match key.take() {
                Some(k) => entries.push((k, version.take())),
                None => return Err(S3Error::new(ErrorCode::MalformedXML)),
            },
            _ => {}
        }
    }
    let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    if keys.is_empty() || keys.len() > MAX_DELETE_KEYS {
        return Err(S3Error::new(ErrorCode::MalformedXML));
    }
    let mut results = Vec::with_capacity(keys.len());
    let mut valid = Vec::new();
    for (key, version) in &entries {
        let action = if version.is_some() { "s3:DeleteObjectVersion" } else { "s3:DeleteObject" };
        let allowed = ctx.access.require(action, &format!("arn:aws:s3:::{bucket}/{key}"));
        match validate_key(key).and(allowed) {
            Ok(()) => {
                valid.push((key.clone(), version.as_ref().map(|v| v.stored().map(str::to_string))));
                results.push(None);
            }
            Err(e) => results.push(Some(e)),
        }
    }
    let owner = Some(ctx.owner_account().to_string());
    let mut outcomes = ctx.state.store.delete_objects(bucket, valid, ctx.now_ms(), owner).await?.into_iter();
    let mut w = XmlWriter::new();
    w.open_root("DeleteResult");
    for ((key, asked), pre) in entries.iter().zip(results) {
        let outcome = match pre {
            Some(e) => Err(e),
            None => outcomes.next().unwrap_or_else(|| Ok(DeleteOutcome::default())),
        };
        match outcome {
            Ok(_) if quiet => {}
            Ok(done) => {
                w.open("Deleted");
                w.elem("Key", key);
                if let Some(v) = asked {
                    w.elem("VersionId", v.stored().unwrap_or("null"));
                }
                if done.delete_marker {
                    w.elem("DeleteMarker", "true");
                    if asked.is_none() {
                        let id = done.version_id.clone().flatten();
                        w.elem("DeleteMarkerVersionId", id.as_deref().unwrap_or("null"));
                    }
                }
                w.close("Deleted");
            }
            Err(e) => {
                w.open("Error");
                w.elem("Key", key);
                if let Some(v) = asked {
                    w.elem("VersionId", v.stored().unwrap_or("null"));
                }
                w.elem("Code", e.code_name());
                w.elem("Message", &e.message);
                w.close("Error");
            }
        }
    }
    w.close("DeleteResult");
    Ok(xml_response(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_values() {
        assert_eq!(metadata_header_value("plain value"), "plain value");
        assert_eq!(metadata_header_value("é"), "=?UTF-8?B?w6k=?=");
    }
}
