//! Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation.

use crate::body::ReqBody;
use http::{Response, StatusCode};

use super::acl::requested_ownership;
use super::payload::PayloadReader;
use super::{empty_response, set_header, write_owner, xml_date, xml_response, Ctx};
use crate::access::acl::Acl;
use crate::access::BUCKET_OWNER_ENFORCED;
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::storage::{no_such_bucket, BucketRow, DeleteBucket, PublicAccessBlock};
use crate::xml::{read_flat, XmlWriter};

/// Checks a bucket name against S3's naming rules for new buckets.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>
pub fn validate_bucket_name(name: &str) -> S3Result<()> {
    let invalid = || S3Error::new(ErrorCode::InvalidBucketName).extra("BucketName", name);
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return Err(invalid());
    }
    if !b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-') {
        return Err(invalid());
    }
    let edge_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !edge_ok(b[0]) || !edge_ok(b[b.len() - 1]) || name.contains("..") {
        return Err(invalid());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(invalid());
    }
    const PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if PREFIXES.iter().any(|p| name.starts_with(p)) || SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Err(invalid());
    }
    Ok(())
}

/// The `LocationConstraint` of a CreateBucket body, if any.
async fn location_constraint(ctx: &Ctx<'_>, body: ReqBody) -> S3Result<Option<String>> {
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(64 * 1024, || S3Error::new(ErrorCode::MalformedXML)).await?;
    if doc.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let flat = read_flat(&doc)?;
    if flat.first().is_some_and(|(p, _)| !p.starts_with("CreateBucketConfiguration")) {
        return Err(S3Error::new(ErrorCode::MalformedXML));
    }
    let constraint = flat
        .iter()
        .find(|(p, _)| *p == "CreateBucketConfiguration/LocationConstraint")
        .map(|(_, v)| v.trim().to_string());
    Ok(constraint)
}

pub async fn handle_create_bucket(ctx: &Ctx<'_>, bucket: &str, body: ReqBody) -> S3Result<Response<Body>> {
    validate_bucket_name(bucket)?;
    let owner = ctx.owner_account().to_string();
    let header = |n: &str| ctx.header(n).map(str::to_string);
    let acl = Acl::from_request(&header, &owner, &owner, ctx.state.iam())?;
    // New buckets have ACLs disabled and public access blocked, as on S3 since April 2023,
    // unless the server keeps the older defaults.
    let legacy = ctx.state.config.legacy_bucket_defaults;
    let ownership = requested_ownership(ctx, (!legacy).then_some(BUCKET_OWNER_ENFORCED))?;
    let public_access_block = (!legacy).then_some(PublicAccessBlock::ALL);
    let region = ctx.state.auth.region.as_str();
    let constraint = location_constraint(ctx, body).await?;
    match constraint.as_deref() {
        None | Some("") if region == "us-east-1" => {}
        None | Some("") => {
            return Err(S3Error::with_message(
                ErrorCode::IllegalLocationConstraintException,
                "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
            ))
        }
        Some(c) if c == region && region != "us-east-1" => {}
        Some("us-east-1") => {
            return Err(S3Error::new(ErrorCode::InvalidLocationConstraint).extra("LocationConstraint", "us-east-1"))
        }
        Some(c) => {
            return Err(S3Error::with_message(
                ErrorCode::IllegalLocationConstraintException,
                format!("The {c} location constraint is incompatible for the region specific endpoint this request was sent to."),
            ))
        }
    }
    if let Some(acl) = &acl {
        if ownership.as_deref() == Some(BUCKET_OWNER_ENFORCED) && !acl.is_private(&owner) {
            return Err(S3Error::new(ErrorCode::InvalidBucketAclWithObjectOwnership));
        }
        if acl.is_public() && public_access_block.is_some_and(|p| p.block_public_acls) {
            return Err(S3Error::new(ErrorCode::InvalidBucketAclWithBlockPublicAccessError));
        }
    }
    let row = BucketRow {
        name: bucket.to_string(),
        region: region.to_string(),
        created_ms: ctx.now_ms(),
        owner_account: owner.clone(),
        policy: None,
        ownership,
        public_access_block,
        acl: acl.filter(|a| !a.is_private(&owner)).map(|a| a.to_stored()),
    };
    if let Some(existing) = ctx.state.store.create_bucket(row).await? {
        if existing.owner_account == owner {
            return Err(S3Error::new(ErrorCode::BucketAlreadyOwnedByYou).extra("BucketName", bucket));
        }
        return Err(S3Error::new(ErrorCode::BucketAlreadyExists).extra("BucketName", bucket));
    }
    let mut resp = empty_response(StatusCode::OK);
    set_header(&mut resp, "location", &format!("/{bucket}"));
    Ok(resp)
}

pub async fn handle_head_bucket(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let row = ctx.state.store.require_bucket(bucket).await?;
    let mut resp = empty_response(StatusCode::OK);
    set_header(&mut resp, "x-amz-bucket-region", &row.region);
    Ok(resp)
}

pub async fn handle_delete_bucket(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    match ctx.state.store.delete_bucket(bucket).await? {
        DeleteBucket::Deleted => Ok(empty_response(StatusCode::NO_CONTENT)),
        DeleteBucket::Missing => Err(no_such_bucket(bucket)),
        DeleteBucket::NotEmpty => Err(S3Error::new(ErrorCode::BucketNotEmpty).extra("BucketName", bucket)),
    }
}

pub async fn handle_list_buckets(ctx: &Ctx<'_>) -> S3Result<Response<Body>> {
    let buckets = ctx.state.store.list_buckets(ctx.owner_account()).await?;
    let mut w = XmlWriter::new();
    w.open_root("ListAllMyBucketsResult");
    write_owner(&mut w, ctx.owner_account());
    w.open("Buckets");
    for b in buckets {
        w.open("Bucket");
        w.elem("Name", &b.name);
        w.elem("CreationDate", &xml_date(b.created_ms));
        w.elem("BucketRegion", &b.region);
        w.close("Bucket");
    }
    w.close("Buckets");
    w.close("ListAllMyBucketsResult");
    Ok(xml_response(w))
}

pub async fn handle_get_bucket_location(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let row = ctx.state.store.require_bucket(bucket).await?;
    let mut w = XmlWriter::new();
    // us-east-1 is reported as an empty constraint, as on S3.
    let constraint = if row.region == "us-east-1" { "" } else { row.region.as_str() };
    w.open_root("LocationConstraint");
    w.elem_text_only(constraint);
    w.close("LocationConstraint");
    Ok(xml_response(w))
}

/// GetBucketVersioning: versioning was never enabled, which S3 answers with an empty document.
pub async fn handle_get_bucket_versioning(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    ctx.state.store.require_bucket(bucket).await?;
    let mut w = XmlWriter::new();
    w.open_root("VersioningConfiguration");
    w.close("VersioningConfiguration");
    Ok(xml_response(w))
}

/// GetBucketTagging: no bucket has tags.
pub async fn handle_get_bucket_tagging(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    ctx.state.store.require_bucket(bucket).await?;
    Err(S3Error::new(ErrorCode::NoSuchTagSet).extra("BucketName", bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.1", "a".repeat(63).as_str(), "1bucket"] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "abc-s3alias",
            "a_b",
            &"a".repeat(64),
            "_s3strict",
        ] {
            assert_eq!(validate_bucket_name(bad).unwrap_err().code, ErrorCode::InvalidBucketName, "{bad}");
        }
    }
}
