//! Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation.

use crate::body::ReqBody;
use http::{Response, StatusCode};

use super::acl::requested_ownership;
use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{empty_response, set_header, xml_date, xml_response};
use crate::access::acl::write_owner;
use crate::access::{check_new_bucket_acl, requested_acl, BUCKET_OWNER_ENFORCED};
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::router::BucketDefault;
use crate::storage::{no_such_bucket, BucketRow, BucketSettings, DeleteBucket, PublicAccessBlock, Versioning};
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
    // Each dot-separated label starts and ends with a letter or digit: `a..b`, `a.-b` and `a-.b`
    // are refused (S3's naming rules; ceph's s3-tests check `foo.-bar` and `foo-.bar` against S3).
    if !edge_ok(b[0]) || !edge_ok(b[b.len() - 1]) || name.contains("..") || name.contains(".-") || name.contains("-.") {
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
    let acl = requested_acl(ctx.view, &owner, &owner, ctx.state.iam())?;
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
        check_new_bucket_acl(acl, &owner, ownership.as_deref(), public_access_block)?;
    }
    let row = BucketRow {
        name: bucket.to_string(),
        region: region.to_string(),
        created_ms: ctx.now_ms(),
        owner_account: owner.clone(),
        policy: None,
        ownership,
        public_access_block,
        acl: acl.as_ref().filter(|a| !a.is_private(&owner)).map(|a| a.to_stored()),
        // Buckets S3 creates since 24 June 2020 refuse SigV2 (the S3 SigV2 deprecation plan,
        // reaffirmed in August 2024).
        accepts_sigv2: legacy,
        versioning: None,
    };
    let stored_acl = row.acl.clone();
    if let Some(existing) = ctx.state.store.create_bucket(row).await? {
        if existing.owner_account == owner {
            // "For legacy compatibility, if you re-create an existing bucket that you already own in
            // the North Virginia Region, Amazon S3 returns 200 OK and resets the bucket access
            // control lists (ACLs)" (S3's error documentation, BucketAlreadyOwnedByYou); every
            // other region answers 409. The ACL is the existing bucket's, so its Object
            // Ownership and Block Public Access judge it (authorization judged the headers
            // against its policy).
            if existing.region == "us-east-1" && region == "us-east-1" {
                if let Some(acl) = &acl {
                    check_new_bucket_acl(acl, &owner, existing.ownership.as_deref(), existing.public_access_block)?;
                }
                let settings = BucketSettings { acl: Some(stored_acl), ..BucketSettings::default() };
                ctx.state.store.update_bucket_settings(bucket, settings).await?;
                let mut resp = empty_response(StatusCode::OK);
                set_header(&mut resp, "location", &format!("/{bucket}"));
                return Ok(resp);
            }
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

/// The most buckets one ListBuckets page holds (and the default page size).
const MAX_BUCKETS_PER_PAGE: usize = 10_000;

/// ListBuckets, with the pagination and filters S3 added in 2024: `max-buckets`,
/// `continuation-token` (an opaque token from the previous page), `prefix` and `bucket-region`.
pub async fn handle_list_buckets(ctx: &Ctx<'_>) -> S3Result<Response<Body>> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let max = match ctx.query("max-buckets") {
        None => MAX_BUCKETS_PER_PAGE,
        // S3's wording for its other integer bounds (`max-keys`); the text for this one was not
        // found.
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=MAX_BUCKETS_PER_PAGE).contains(n)).ok_or_else(|| {
            S3Error::invalid_argument("Argument max-buckets must be an integer between 1 and 10000.", "max-buckets", v)
        })?,
    };
    let after = match ctx.query("continuation-token") {
        None => None,
        Some(t) => Some(
            b64.decode(t).ok().and_then(|b| String::from_utf8(b).ok()).filter(|name| !name.is_empty()).ok_or_else(
                || S3Error::invalid_argument("The continuation token provided is incorrect", "continuation-token", t),
            )?,
        ),
    };
    let prefix = ctx.query("prefix").unwrap_or("");
    let region = ctx.query("bucket-region");
    let mut buckets: Vec<BucketRow> = ctx
        .state
        .store
        .list_buckets(ctx.owner_account())
        .await?
        .into_iter()
        .filter(|b| b.name.starts_with(prefix) && region.is_none_or(|r| r == b.region))
        .filter(|b| after.as_deref().is_none_or(|a| b.name.as_str() > a))
        .collect();
    let next = (buckets.len() > max).then(|| b64.encode(buckets[max - 1].name.as_bytes()));
    buckets.truncate(max);
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
    if let Some(token) = next {
        w.elem("ContinuationToken", &token);
    }
    if ctx.query("prefix").is_some() {
        w.elem("Prefix", prefix);
    }
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

/// GetBucketVersioning: an empty document for a bucket never versioned, else its `Status`.
pub async fn handle_get_bucket_versioning(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let state = ctx.state.store.versioning(bucket).await?;
    let mut w = XmlWriter::new();
    w.open_root("VersioningConfiguration");
    if let Some(s) = state {
        w.elem("Status", s.name());
    }
    w.close("VersioningConfiguration");
    Ok(xml_response(w))
}

/// PutBucketVersioning: `Enabled` or `Suspended` (a bucket once versioned never returns to
/// unversioned). Turning MFA Delete on needs an MFA device's code (`x-amz-mfa`): without one S3
/// refuses with `AccessDenied` "Mfa Authentication must be used for this request"; with one,
/// s3strict, which has no MFA devices, answers 501.
pub async fn handle_put_bucket_versioning(ctx: &Ctx<'_>, bucket: &str, body: ReqBody) -> S3Result<Response<Body>> {
    ctx.state.store.require_bucket(bucket).await?;
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(64 * 1024, || S3Error::new(ErrorCode::MalformedXML)).await?;
    let flat = crate::xml::read_flat(&doc)?;
    if flat.last().is_none_or(|(p, _)| p != "VersioningConfiguration") {
        return Err(S3Error::new(ErrorCode::MalformedXML));
    }
    let value = |name: &str| {
        flat.iter().find(|(p, _)| *p == format!("VersioningConfiguration/{name}")).map(|(_, v)| v.trim().to_string())
    };
    let status = match value("Status") {
        None => None,
        Some(s) => Some(Versioning::parse(&s).ok_or_else(|| S3Error::new(ErrorCode::MalformedXML))?),
    };
    match value("MfaDelete").as_deref() {
        None | Some("Disabled") => {}
        Some("Enabled") if ctx.header("x-amz-mfa").is_none() => {
            return Err(S3Error::with_message(
                ErrorCode::AccessDenied,
                "Mfa Authentication must be used for this request",
            ))
        }
        Some("Enabled") => return Err(S3Error::new(ErrorCode::NotImplemented).extra("Header", "x-amz-mfa")),
        Some(_) => return Err(S3Error::new(ErrorCode::MalformedXML)),
    }
    if let Some(s) = status {
        ctx.state.store.set_versioning(bucket, s).await?;
    }
    Ok(super::respond::empty_response(http::StatusCode::OK))
}

/// Reads of bucket settings s3strict does not model, answered as S3 answers a bucket that never
/// had them: SSE-S3 encryption (every bucket's default since January 2023), the bucket owner
/// paying, empty notification, logging and acceleration documents, empty configuration listings,
/// and each setting's own "not found" error for the rest.
pub async fn handle_get_bucket_default(
    ctx: &Ctx<'_>,
    bucket: &str,
    setting: BucketDefault,
) -> S3Result<Response<Body>> {
    ctx.state.store.require_bucket(bucket).await?;
    let missing = |code: ErrorCode| Err(S3Error::new(code).extra("BucketName", bucket));
    let mut w = XmlWriter::new();
    match setting {
        BucketDefault::Lifecycle => return missing(ErrorCode::NoSuchLifecycleConfiguration),
        BucketDefault::Website => return missing(ErrorCode::NoSuchWebsiteConfiguration),
        BucketDefault::ObjectLock => return missing(ErrorCode::ObjectLockConfigurationNotFoundError),
        BucketDefault::Replication => return missing(ErrorCode::ReplicationConfigurationNotFoundError),
        BucketDefault::Analytics { one: true }
        | BucketDefault::Metrics { one: true }
        | BucketDefault::Inventory { one: true }
        | BucketDefault::IntelligentTiering { one: true } => return Err(S3Error::new(ErrorCode::NoSuchConfiguration)),
        BucketDefault::Notification => {
            w.open_root("NotificationConfiguration");
            w.close("NotificationConfiguration");
        }
        BucketDefault::Logging => {
            w.open_root("BucketLoggingStatus");
            w.close("BucketLoggingStatus");
        }
        BucketDefault::Accelerate => {
            w.open_root("AccelerateConfiguration");
            w.close("AccelerateConfiguration");
        }
        BucketDefault::RequestPayment => {
            w.open_root("RequestPaymentConfiguration");
            w.elem("Payer", "BucketOwner");
            w.close("RequestPaymentConfiguration");
        }
        BucketDefault::Encryption => {
            w.open_root("ServerSideEncryptionConfiguration");
            w.open("Rule");
            w.open("ApplyServerSideEncryptionByDefault");
            w.elem("SSEAlgorithm", "AES256");
            w.close("ApplyServerSideEncryptionByDefault");
            w.elem("BucketKeyEnabled", "false");
            w.close("Rule");
            w.close("ServerSideEncryptionConfiguration");
        }
        BucketDefault::Analytics { one: false }
        | BucketDefault::Metrics { one: false }
        | BucketDefault::Inventory { one: false }
        | BucketDefault::IntelligentTiering { one: false } => {
            let root = match setting {
                BucketDefault::Analytics { .. } => "ListBucketAnalyticsConfigurationResult",
                BucketDefault::Metrics { .. } => "ListMetricsConfigurationsResult",
                BucketDefault::Inventory { .. } => "ListInventoryConfigurationsResult",
                _ => "ListBucketIntelligentTieringConfigurationsOutput",
            };
            w.open_root(root);
            w.elem("IsTruncated", "false");
            w.close(root);
        }
    }
    Ok(xml_response(w))
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
