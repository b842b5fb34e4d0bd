//! Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>
//!
//! A policy is validated as S3 validates it ([`crate::policy`]) and refused with S3's
//! `MalformedPolicy` message; it is stored as given, with the unique ids of the IAM users and
//! roles its principals name then, and returned unchanged — except that a principal whose
//! identity is gone since shows as its unique id, as S3 shows it ([`crate::policy::shown_with_ids`]).

use crate::body::ReqBody;
use http::{Response, StatusCode};

use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{empty_response, set_header, xml_response};
use super::upload::{check_md5, content_md5};
use crate::body::{full, Body};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::policy::{shown_with_ids, Policy, PolicyKind};
use crate::storage::{no_such_bucket, StoredPolicy};
use crate::xml::XmlWriter;

/// The largest bucket policy S3 accepts: 20 KB.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

fn no_such_policy(bucket: &str) -> S3Error {
    S3Error::new(ErrorCode::NoSuchBucketPolicy).extra("BucketName", bucket)
}

/// The bucket's stored policy, or `NoSuchBucketPolicy`.
async fn stored_policy(ctx: &Ctx<'_>, bucket: &str) -> S3Result<StoredPolicy> {
    let row = ctx.state.store.bucket(bucket).await?.ok_or_else(|| no_such_bucket(bucket))?;
    row.policy.ok_or_else(|| no_such_policy(bucket))
}

pub async fn handle_put_bucket_policy(ctx: &Ctx<'_>, bucket: &str, body: ReqBody) -> S3Result<Response<Body>> {
    let md5 = content_md5(ctx)?;
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    // S3's wording for a policy over the size limit is unconfirmed; this one says what is wrong.
    let too_large = || S3Error::with_message(ErrorCode::MalformedPolicy, "Policies must be less than 20 KB in size");
    let (doc, _) = reader.read_all(MAX_POLICY_BYTES, too_large).await?;
    {
        use md5::Digest;
        check_md5(md5, &md5::Md5::digest(&doc).into())?;
    }
    ctx.state.store.require_bucket(bucket).await?;
    let text = String::from_utf8(doc.to_vec())
        .map_err(|_| S3Error::with_message(ErrorCode::MalformedPolicy, "This policy contains invalid Json"))?;
    let iam = ctx.state.iam();
    let mut policy = Policy::parse(&text, &PolicyKind::Bucket(bucket.to_string()), &|arn| iam.principal_exists(arn))
        .map_err(|e| S3Error::with_message(ErrorCode::MalformedPolicy, e.0))?;
    ctx.access.check_policy_put(&policy, &format!("arn:aws:s3:::{bucket}"))?;
    policy.bind_principals(&|arn| iam.principal_id(arn));
    let stored = StoredPolicy { text, principal_ids: policy.principal_ids };
    ctx.state.store.set_bucket_policy(bucket, Some(stored)).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn handle_get_bucket_policy(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let stored = stored_policy(ctx, bucket).await?;
    let iam = ctx.state.iam();
    let text =
        shown_with_ids(&stored.text, &stored.principal_ids, &|arn, id| iam.principal_id(arn).as_deref() == Some(id));
    let len = text.len();
    let mut resp = Response::new(full(bytes::Bytes::from(text)));
    set_header(&mut resp, "content-type", "application/json");
    set_header(&mut resp, "content-length", &len.to_string());
    Ok(resp)
}

pub async fn handle_delete_bucket_policy(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    ctx.state.store.set_bucket_policy(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// GetBucketPolicyStatus: whether the bucket policy makes the bucket public.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>
pub async fn handle_get_bucket_policy_status(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let text = stored_policy(ctx, bucket).await?.text;
    let policy = Policy::parse(&text, &PolicyKind::Bucket(bucket.to_string()), &|_| true).map_err(S3Error::internal)?;
    let mut w = XmlWriter::new();
    w.open_root("PolicyStatus");
    w.elem("IsPublic", if policy.is_public() { "true" } else { "false" });
    w.close("PolicyStatus");
    Ok(xml_response(w))
}
