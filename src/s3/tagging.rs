//! Object and bucket tags: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging. The tag
//! sets and their rules are [`crate::tags`]'s; the tag set a write names is parsed and judged by
//! authorization, and the writing handlers store it (`ctx.access.request_tags()`).

use http::{Response, StatusCode};

use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{empty_response, xml_response};
use crate::body::{Body, ReqBody};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::router::VersionId;
use crate::tags::{parse_document, Tags, MAX_BUCKET_TAGS, MAX_DOCUMENT, MAX_OBJECT_TAGS};
use crate::xml::XmlWriter;

fn write_tags(tags: &[(String, String)]) -> Response<Body> {
    let mut w = XmlWriter::new();
    w.open_root("Tagging");
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag");
        w.elem("Key", k);
        w.elem("Value", v);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    xml_response(w)
}

async fn read_document(ctx: &Ctx<'_>, body: ReqBody, max: usize) -> S3Result<Tags> {
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(MAX_DOCUMENT, || S3Error::new(ErrorCode::MalformedXML)).await?;
    parse_document(&doc, max)
}

async fn set_tags(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
    tags: Tags,
) -> S3Result<Response<Body>> {
    let meta = super::object::object_meta(ctx, bucket, key, version).await?;
    let which = version.map(|v| v.stored().map(str::to_string));
    ctx.state.store.set_object_tags(bucket, key, which, tags).await.map_err(|e| ctx.access.missing_key(bucket, e))?;
    let mut resp = empty_response(StatusCode::OK);
    super::object::set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    Ok(resp)
}

/// PutObjectTagging: replaces the tag set of the object or of one version (an empty set removes
/// it).
pub async fn handle_put_object_tagging(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
    body: ReqBody,
) -> S3Result<Response<Body>> {
    let tags = read_document(ctx, body, MAX_OBJECT_TAGS).await?;
    // Authorization judges PutObjectTagging with the tag set the body names.
    ctx.access.judge_tag_set(&tags)?;
    set_tags(ctx, bucket, key, version, tags).await
}

/// GetObjectTagging: the tag set of the object or of one version, empty when it has none.
pub async fn handle_get_object_tagging(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<Response<Body>> {
    let meta = super::object::object_meta(ctx, bucket, key, version).await?;
    let mut resp = write_tags(&meta.tags);
    super::object::set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    Ok(resp)
}

/// DeleteObjectTagging: 204, the object (or version) without tags.
pub async fn handle_delete_object_tagging(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<Response<Body>> {
    let mut resp = set_tags(ctx, bucket, key, version, Vec::new()).await?;
    *resp.status_mut() = StatusCode::NO_CONTENT;
    Ok(resp)
}

/// PutBucketTagging: replaces the bucket's tag set; 204 as in S3's sample.
pub async fn handle_put_bucket_tagging(ctx: &Ctx<'_>, bucket: &str, body: ReqBody) -> S3Result<Response<Body>> {
    let tags = read_document(ctx, body, MAX_BUCKET_TAGS).await?;
    ctx.state.store.set_bucket_tags(bucket, Some(tags)).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// GetBucketTagging: the bucket's tag set; `NoSuchTagSet` when it has none.
pub async fn handle_get_bucket_tagging(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    match ctx.state.store.bucket_tags(bucket).await? {
        Some(tags) => Ok(write_tags(&tags)),
        None => Err(S3Error::new(ErrorCode::NoSuchTagSet).extra("BucketName", bucket)),
    }
}

/// DeleteBucketTagging: 204.
pub async fn handle_delete_bucket_tagging(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    ctx.state.store.set_bucket_tags(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
