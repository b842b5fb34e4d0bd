//! From a routed, authorized operation to its handler.

use http::Response;

use super::ctx::Ctx;
use super::{acl, attributes, bucket, cors, list, multipart, object, policy, post_object, tagging};
use crate::body::Body;
use crate::error::{S3Error, S3Result};
use crate::router::{Op, Target};

/// The body of a request as the pipeline hands it over: as received, or the file of a POST form
/// whose fields before it were read for authentication (they are the request's view).
pub enum RequestBody {
    Raw(crate::body::ReqBody),
    Form(Box<post_object::FormFile>),
}

/// Runs the handler of an authenticated, authorized operation on `target`.
pub async fn dispatch(ctx: &Ctx<'_>, op: Op, target: &Target, body: RequestBody) -> S3Result<Response<Body>> {
    let b = target.bucket.as_deref().unwrap_or_default();
    let k = target.key.as_deref().unwrap_or_default();
    tracing::debug!(?op, bucket = b, key = k, "dispatch");
    if let Op::PostObject = op {
        return match body {
            RequestBody::Form(file) => post_object::handle_post_object(ctx, b, k, *file).await,
            RequestBody::Raw(_) => Err(S3Error::internal("PostObject without its form")),
        };
    }
    let raw = || match body {
        RequestBody::Raw(b) => Ok(b),
        RequestBody::Form(_) => Err(S3Error::internal("a form body for an operation that reads a raw body")),
    };
    match op {
        Op::ListBuckets => bucket::handle_list_buckets(ctx).await,
        Op::CreateBucket => bucket::handle_create_bucket(ctx, b, raw()?).await,
        Op::HeadBucket => bucket::handle_head_bucket(ctx, b).await,
        Op::DeleteBucket => bucket::handle_delete_bucket(ctx, b).await,
        Op::GetBucketLocation => bucket::handle_get_bucket_location(ctx, b).await,
        Op::ListObjectsV2 => list::handle_list_objects_v2(ctx, b).await,
        Op::ListObjectsV1 => list::handle_list_objects_v1(ctx, b).await,
        Op::DeleteObjects => object::handle_delete_objects(ctx, b, raw()?).await,
        Op::PutObject => object::handle_put_object(ctx, b, k, raw()?).await,
        Op::CopyObject { source } => object::handle_copy_object(ctx, b, k, &source).await,
        Op::GetObject { part_number, version_id } => {
            object::handle_get_object(ctx, b, k, part_number, version_id.as_ref(), false).await
        }
        Op::HeadObject { part_number, version_id } => {
            object::handle_get_object(ctx, b, k, part_number, version_id.as_ref(), true).await
        }
        Op::DeleteObject { version_id } => object::handle_delete_object(ctx, b, k, version_id.as_ref()).await,
        Op::CreateMultipartUpload => multipart::handle_create_multipart_upload(ctx, b, k).await,
        Op::UploadPart { upload_id, part_number } => {
            multipart::handle_upload_part(ctx, b, k, &upload_id, part_number, raw()?).await
        }
        Op::UploadPartCopy { upload_id, part_number, source } => {
            multipart::handle_upload_part_copy(ctx, b, k, &upload_id, part_number, &source).await
        }
        Op::CompleteMultipartUpload { upload_id } => {
            multipart::handle_complete_multipart_upload(ctx, b, k, &upload_id, raw()?).await
        }
        Op::AbortMultipartUpload { upload_id } => multipart::handle_abort_multipart_upload(ctx, b, k, &upload_id).await,
        Op::ListParts { upload_id } => multipart::handle_list_parts(ctx, b, k, &upload_id).await,
        Op::ListMultipartUploads => multipart::handle_list_multipart_uploads(ctx, b).await,
        Op::PutBucketCors => cors::handle_put_bucket_cors(ctx, b, raw()?).await,
        Op::GetBucketCors => cors::handle_get_bucket_cors(ctx, b).await,
        Op::DeleteBucketCors => cors::handle_delete_bucket_cors(ctx, b).await,
        Op::PutBucketPolicy => policy::handle_put_bucket_policy(ctx, b, raw()?).await,
        Op::GetBucketPolicy => policy::handle_get_bucket_policy(ctx, b).await,
        Op::DeleteBucketPolicy => policy::handle_delete_bucket_policy(ctx, b).await,
        Op::GetBucketPolicyStatus => policy::handle_get_bucket_policy_status(ctx, b).await,
        Op::GetBucketVersioning => bucket::handle_get_bucket_versioning(ctx, b).await,
        Op::PutBucketVersioning => bucket::handle_put_bucket_versioning(ctx, b, raw()?).await,
        Op::GetBucketDefault(setting) => bucket::handle_get_bucket_default(ctx, b, setting).await,
        Op::GetBucketAcl => acl::handle_get_bucket_acl(ctx, b).await,
        Op::PutBucketAcl => acl::handle_put_bucket_acl(ctx, b, raw()?).await,
        Op::PutObjectAcl { version_id } => acl::handle_put_object_acl(ctx, b, k, version_id.as_ref(), raw()?).await,
        Op::PutBucketOwnershipControls => acl::handle_put_bucket_ownership_controls(ctx, b, raw()?).await,
        Op::GetBucketOwnershipControls => acl::handle_get_bucket_ownership_controls(ctx, b).await,
        Op::DeleteBucketOwnershipControls => acl::handle_delete_bucket_ownership_controls(ctx, b).await,
        Op::PutPublicAccessBlock => acl::handle_put_public_access_block(ctx, b, raw()?).await,
        Op::GetPublicAccessBlock => acl::handle_get_public_access_block(ctx, b).await,
        Op::DeletePublicAccessBlock => acl::handle_delete_public_access_block(ctx, b).await,
        Op::GetBucketTagging => tagging::handle_get_bucket_tagging(ctx, b).await,
        Op::PutBucketTagging => tagging::handle_put_bucket_tagging(ctx, b, raw()?).await,
        Op::DeleteBucketTagging => tagging::handle_delete_bucket_tagging(ctx, b).await,
        Op::GetObjectAcl { version_id } => acl::handle_get_object_acl(ctx, b, k, version_id.as_ref()).await,
        Op::GetObjectTagging { version_id } => tagging::handle_get_object_tagging(ctx, b, k, version_id.as_ref()).await,
        Op::GetObjectAttributes { version_id } => {
            attributes::handle_get_object_attributes(ctx, b, k, version_id.as_ref()).await
        }
        Op::PutObjectTagging { version_id } => {
            tagging::handle_put_object_tagging(ctx, b, k, version_id.as_ref(), raw()?).await
        }
        Op::DeleteObjectTagging { version_id } => {
            tagging::handle_delete_object_tagging(ctx, b, k, version_id.as_ref()).await
        }
        Op::ListObjectVersions => list::handle_list_object_versions(ctx, b).await,
        // Answered before authentication (a preflight is never signed) and above (the form).
        Op::CorsPreflight | Op::PostObject | Op::Sts => {
            Err(S3Error::internal("a preflight, form or STS request reached dispatch"))
        }
    }
}
