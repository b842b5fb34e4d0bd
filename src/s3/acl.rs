//! Who may reach a bucket and its objects, as settings: ACLs (PutBucketAcl, GetBucketAcl,
//! PutObjectAcl, GetObjectAcl, and the ACL headers of writes), Object Ownership
//! (Put/Get/DeleteBucketOwnershipControls) and Block Public Access (Put/Get/DeletePublicAccessBlock).
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>
//!
//! New buckets have ACLs disabled (`BucketOwnerEnforced`) and every Block Public Access setting on,
//! as S3 has since April 2023, unless the server runs with the legacy bucket defaults.

use crate::body::ReqBody;
use http::{Response, StatusCode};

use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{empty_response, xml_response};
use crate::access::acl::Acl;
use crate::access::{requested_acl, BUCKET_OWNER_ENFORCED, OWNERSHIPS};
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::router::VersionId;
use crate::storage::{no_such_bucket, BucketSettings, PublicAccessBlock};
use crate::xml::{read_flat, XmlWriter};

/// The largest settings document accepted.
const MAX_DOC: usize = 64 * 1024;

fn acls_not_supported() -> S3Error {
    S3Error::new(ErrorCode::AccessControlListNotSupported)
}

/// The Object Ownership a CreateBucket asks for (`x-amz-object-ownership`), or `default`.
pub fn requested_ownership(ctx: &Ctx<'_>, default: Option<&str>) -> S3Result<Option<String>> {
    match ctx.header("x-amz-object-ownership") {
        None => Ok(default.map(str::to_string)),
        Some(v) if OWNERSHIPS.contains(&v) => Ok(Some(v.to_string())),
        Some(v) => Err(S3Error::with_message(
            ErrorCode::InvalidArgument,
            format!("Invalid x-amz-object-ownership header: {v}"),
        )
        .extra("ArgumentName", "x-amz-object-ownership")),
    }
}

/// The ACL of a PutBucketAcl or PutObjectAcl: from the headers or from the body, never both.
async fn acl_to_put(ctx: &Ctx<'_>, body: ReqBody, owner: &str, bucket_owner: &str) -> S3Result<Acl> {
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(MAX_DOC, || S3Error::new(ErrorCode::MalformedACLError)).await?;
    let iam = ctx.state.iam();
    let from_headers = requested_acl(ctx.view, owner, bucket_owner, iam)?;
    let has_body = !doc.iter().all(u8::is_ascii_whitespace);
    match (from_headers, has_body) {
        (Some(_), true) => Err(S3Error::new(ErrorCode::UnexpectedContent)),
        (Some(acl), false) => Ok(acl),
        (None, true) => Ok(Acl::from_xml(&doc, iam)?.1),
        (None, false) => Err(S3Error::new(ErrorCode::MissingSecurityHeader).extra("MissingHeaderName", "x-amz-acl")),
    }
}

fn acl_response(acl: &Acl, owner: &str) -> Response<Body> {
    let mut w = XmlWriter::new();
    acl.write_xml(&mut w, owner);
    xml_response(w)
}

/// The request's bucket, which the pipeline loaded.
fn bucket<'a>(ctx: &'a Ctx<'_>, name: &str) -> S3Result<&'a crate::access::BucketAccess> {
    ctx.access.bucket.as_ref().ok_or_else(|| no_such_bucket(name))
}

pub async fn handle_put_bucket_acl(ctx: &Ctx<'_>, name: &str, body: ReqBody) -> S3Result<Response<Body>> {
    let b = bucket(ctx, name)?;
    if !b.acls_enabled() {
        return Err(acls_not_supported());
    }
    let acl = acl_to_put(ctx, body, &b.owner, &b.owner).await?;
    ctx.access.check_acl_put(&acl, "s3:PutBucketAcl", &format!("arn:aws:s3:::{name}"))?;
    let stored = (!acl.is_private(&b.owner)).then(|| acl.to_stored());
    let settings = BucketSettings { acl: Some(stored), ..Default::default() };
    ctx.state.store.update_bucket_settings(name, settings).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_bucket_acl(ctx: &Ctx<'_>, name: &str) -> S3Result<Response<Body>> {
    let b = bucket(ctx, name)?;
    Ok(acl_response(&b.acl, &b.owner))
}

pub async fn handle_put_object_acl(
    ctx: &Ctx<'_>,
    name: &str,
    key: &str,
    version: Option<&VersionId>,
    body: ReqBody,
) -> S3Result<Response<Body>> {
    let b = bucket(ctx, name)?;
    if !b.acls_enabled() {
        return Err(acls_not_supported());
    }
    let meta = super::object::object_meta(ctx, name, key, version).await?;
    let owner = meta.owner.unwrap_or_else(|| b.owner.clone());
    let acl = acl_to_put(ctx, body, &owner, &b.owner).await?;
    let action = if version.is_some() { "s3:PutObjectVersionAcl" } else { "s3:PutObjectAcl" };
    ctx.access.check_acl_put(&acl, action, &format!("arn:aws:s3:::{name}/{key}"))?;
    let stored = (!acl.is_private(&owner)).then(|| acl.to_stored());
    match version {
        None => ctx.state.store.set_object_acl(name, key, stored).await?,
        Some(v) => ctx.state.store.set_version_acl(name, key, v.stored(), stored).await?,
    }
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_object_acl(
    ctx: &Ctx<'_>,
    name: &str,
    key: &str,
    version: Option<&VersionId>,
) -> S3Result<Response<Body>> {
    let b = bucket(ctx, name)?;
    let meta = super::object::object_meta(ctx, name, key, version).await?;
    let owner = meta.owner.unwrap_or_else(|| b.owner.clone());
    let acl = Acl::from_stored(meta.acl.as_deref(), &owner)?;
    Ok(acl_response(&acl, &owner))
}

/// Reads a small settings document.
async fn read_doc(ctx: &Ctx<'_>, body: ReqBody) -> S3Result<crate::xml::Flat> {
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(MAX_DOC, || S3Error::new(ErrorCode::MalformedXML)).await?;
    Ok(read_flat(&doc)?)
}

pub async fn handle_put_bucket_ownership_controls(
    ctx: &Ctx<'_>,
    name: &str,
    body: ReqBody,
) -> S3Result<Response<Body>> {
    let b = bucket(ctx, name)?;
    let flat = read_doc(ctx, body).await?;
    let malformed = || S3Error::new(ErrorCode::MalformedXML);
    if flat.last().is_none_or(|(p, _)| p != "OwnershipControls") {
        return Err(malformed());
    }
    let rules = flat.iter().filter(|(p, _)| *p == "OwnershipControls/Rule").count();
    let values: Vec<&str> =
        flat.iter().filter(|(p, _)| *p == "OwnershipControls/Rule/ObjectOwnership").map(|(_, v)| v.trim()).collect();
    let ownership = match (rules, values.as_slice()) {
        (1, [v]) if OWNERSHIPS.contains(v) => v.to_string(),
        _ => return Err(malformed()),
    };
    if ownership == BUCKET_OWNER_ENFORCED && !b.acl.is_private(&b.owner) {
        return Err(S3Error::new(ErrorCode::InvalidBucketAclWithObjectOwnership));
    }
    let settings = BucketSettings { ownership: Some(Some(ownership)), ..Default::default() };
    ctx.state.store.update_bucket_settings(name, settings).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_bucket_ownership_controls(ctx: &Ctx<'_>, name: &str) -> S3Result<Response<Body>> {
    let b = bucket(ctx, name)?;
    let Some(ownership) = &b.ownership else {
        return Err(S3Error::new(ErrorCode::OwnershipControlsNotFoundError).extra("BucketName", name));
    };
    let mut w = XmlWriter::new();
    w.open_root("OwnershipControls");
    w.open("Rule");
    w.elem("ObjectOwnership", ownership);
    w.close("Rule");
    w.close("OwnershipControls");
    Ok(xml_response(w))
}

pub async fn handle_delete_bucket_ownership_controls(ctx: &Ctx<'_>, name: &str) -> S3Result<Response<Body>> {
    bucket(ctx, name)?;
    let settings = BucketSettings { ownership: Some(None), ..Default::default() };
    ctx.state.store.update_bucket_settings(name, settings).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// The four settings of a `PublicAccessBlockConfiguration`, in S3's order.
const PAB_FIELDS: [&str; 4] = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];

pub async fn handle_put_public_access_block(ctx: &Ctx<'_>, name: &str, body: ReqBody) -> S3Result<Response<Body>> {
    bucket(ctx, name)?;
    let flat = read_doc(ctx, body).await?;
    let malformed = || S3Error::new(ErrorCode::MalformedXML);
    if flat.last().is_none_or(|(p, _)| p != "PublicAccessBlockConfiguration") {
        return Err(malformed());
    }
    let mut values = [false; 4];
    for (path, value) in flat.iter() {
        let Some(field) = path.strip_prefix("PublicAccessBlockConfiguration/") else { continue };
        let i = PAB_FIELDS.iter().position(|f| *f == field).ok_or_else(malformed)?;
        values[i] = match value.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(malformed()),
        };
    }
    let pab = PublicAccessBlock {
        block_public_acls: values[0],
        ignore_public_acls: values[1],
        block_public_policy: values[2],
        restrict_public_buckets: values[3],
    };
    let settings = BucketSettings { public_access_block: Some(Some(pab)), ..Default::default() };
    ctx.state.store.update_bucket_settings(name, settings).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_public_access_block(ctx: &Ctx<'_>, name: &str) -> S3Result<Response<Body>> {
    let row = ctx.state.store.require_bucket(name).await?;
    let Some(pab) = row.public_access_block else {
        return Err(S3Error::new(ErrorCode::NoSuchPublicAccessBlockConfiguration).extra("BucketName", name));
    };
    let values = [pab.block_public_acls, pab.ignore_public_acls, pab.block_public_policy, pab.restrict_public_buckets];
    let mut w = XmlWriter::new();
    w.open_root("PublicAccessBlockConfiguration");
    for (field, value) in PAB_FIELDS.iter().zip(values) {
        w.elem(field, if value { "true" } else { "false" });
    }
    w.close("PublicAccessBlockConfiguration");
    Ok(xml_response(w))
}

pub async fn handle_delete_public_access_block(ctx: &Ctx<'_>, name: &str) -> S3Result<Response<Body>> {
    bucket(ctx, name)?;
    let settings = BucketSettings { public_access_block: Some(None), ..Default::default() };
    ctx.state.store.update_bucket_settings(name, settings).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
