//! From a request to an operation, once: the bucket and key (path-style or virtual-hosted-style),
//! then the method, subresources and headers to a typed [`Op`] that carries everything the
//! authorization and the handler need (upload id, part number as a number, the parsed copy
//! source), with its IAM action name and resource ARN.

use http::Method;

use crate::auth::canonical::percent_decode;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::request::RequestView;

/// Part numbers run from 1 to this.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// The object an `x-amz-copy-source` header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<VersionId>,
}

/// A `versionId` a request names: `null` (the version written while versioning was never enabled
/// or suspended) or a version's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionId {
    Null,
    Other(String),
}

impl VersionId {
    /// As the store keeps it: `None` for the null version.
    pub fn stored(&self) -> Option<&str> {
        match self {
            VersionId::Null => None,
            VersionId::Other(id) => Some(id),
        }
    }
}

/// Parses a version id. S3's ids are 32 characters of letters, digits and `._-`; anything else is
/// `InvalidArgument` "Invalid version id specified" (the form is inferred from ids S3 issues).
pub fn parse_version_id(raw: &str) -> S3Result<VersionId> {
    if raw == "null" {
        return Ok(VersionId::Null);
    }
    let well_formed = raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if well_formed {
        Ok(VersionId::Other(raw.to_string()))
    } else {
        Err(S3Error::invalid_argument("Invalid version id specified", "versionId", raw))
    }
}

/// An S3 operation s3strict serves, with its typed arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    ListObjectsV2,
    ListObjectsV1,
    DeleteObjects,
    PutObject,
    /// PUT with `x-amz-copy-source`.
    CopyObject {
        source: CopySource,
    },
    /// GET, with `?partNumber=N` reading one part, `?versionId=` one version.
    GetObject {
        part_number: Option<u32>,
        version_id: Option<VersionId>,
    },
    HeadObject {
        part_number: Option<u32>,
        version_id: Option<VersionId>,
    },
    DeleteObject {
        version_id: Option<VersionId>,
    },
    CreateMultipartUpload,
    UploadPart {
        upload_id: String,
        part_number: u32,
    },
    /// UploadPart with `x-amz-copy-source`.
    UploadPartCopy {
        upload_id: String,
        part_number: u32,
        source: CopySource,
    },
    CompleteMultipartUpload {
        upload_id: String,
    },
    AbortMultipartUpload {
        upload_id: String,
    },
    ListParts {
        upload_id: String,
    },
    ListMultipartUploads,
    /// POST to a bucket with a form: a browser upload authenticated by a signed policy.
    PostObject,
    PutBucketCors,
    GetBucketCors,
    DeleteBucketCors,
    PutBucketAcl,
    PutObjectAcl {
        version_id: Option<VersionId>,
    },
    PutBucketOwnershipControls,
    GetBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    PutPublicAccessBlock,
    GetPublicAccessBlock,
    DeletePublicAccessBlock,
    PutBucketPolicy,
    GetBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    /// An unauthenticated CORS preflight `OPTIONS` request.
    CorsPreflight,
    /// `POST /` with a form: an STS request (its action is in the form), served by [`crate::sts`].
    Sts,
    /// Read-only answers for features s3strict does not model: versioning never enabled, the
    /// owner's FULL_CONTROL ACL, no tags.
    GetBucketVersioning,
    PutBucketVersioning,
    GetBucketAcl,
    GetObjectAcl {
        version_id: Option<VersionId>,
    },
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetObjectTagging {
        version_id: Option<VersionId>,
    },
    PutObjectTagging {
        version_id: Option<VersionId>,
    },
    DeleteObjectTagging {
        version_id: Option<VersionId>,
    },
    ListObjectVersions,
    /// GetObjectAttributes (`GET ?attributes`).
    GetObjectAttributes {
        version_id: Option<VersionId>,
    },
    /// A bucket setting s3strict does not model, read: S3's answer for a bucket that never had
    /// it (its default or its "not found" error).
    GetBucketDefault(BucketDefault),
}

/// The bucket settings whose reads answer S3's defaults (their writes are `NotImplemented`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketDefault {
    Notification,
    Encryption,
    Lifecycle,
    Website,
    Logging,
    RequestPayment,
    Accelerate,
    ObjectLock,
    Replication,
    /// The listings, and (`one`) a single configuration by `id`.
    Analytics {
        one: bool,
    },
    Metrics {
        one: bool,
    },
    Inventory {
        one: bool,
    },
    IntelligentTiering {
        one: bool,
    },
}

impl BucketDefault {
    /// The setting a bucket GET with these query parameters reads, if any (`id` names one
    /// configuration of the listed kinds).
    fn for_query(has: impl Fn(&str) -> bool) -> Option<BucketDefault> {
        let one = has("id");
        let table = [
            ("notification", BucketDefault::Notification),
            ("encryption", BucketDefault::Encryption),
            ("lifecycle", BucketDefault::Lifecycle),
            ("website", BucketDefault::Website),
            ("logging", BucketDefault::Logging),
            ("requestPayment", BucketDefault::RequestPayment),
            ("accelerate", BucketDefault::Accelerate),
            ("object-lock", BucketDefault::ObjectLock),
            ("replication", BucketDefault::Replication),
            ("analytics", BucketDefault::Analytics { one }),
            ("metrics", BucketDefault::Metrics { one }),
            ("inventory", BucketDefault::Inventory { one }),
            ("intelligent-tiering", BucketDefault::IntelligentTiering { one }),
        ];
        table.into_iter().find(|(sub, _)| has(sub)).map(|(_, setting)| setting)
    }

    /// The IAM action that reads the setting.
    pub fn action(self) -> &'static str {
        match self {
            BucketDefault::Notification => "s3:GetBucketNotification",
            BucketDefault::Encryption => "s3:GetEncryptionConfiguration",
            BucketDefault::Lifecycle => "s3:GetLifecycleConfiguration",
            BucketDefault::Website => "s3:GetBucketWebsite",
            BucketDefault::Logging => "s3:GetBucketLogging",
            BucketDefault::RequestPayment => "s3:GetBucketRequestPayment",
            BucketDefault::Accelerate => "s3:GetAccelerateConfiguration",
            BucketDefault::ObjectLock => "s3:GetBucketObjectLockConfiguration",
            BucketDefault::Replication => "s3:GetReplicationConfiguration",
            BucketDefault::Analytics { .. } => "s3:GetAnalyticsConfiguration",
            BucketDefault::Metrics { .. } => "s3:GetMetricsConfiguration",
            BucketDefault::Inventory { .. } => "s3:GetInventoryConfiguration",
            BucketDefault::IntelligentTiering { .. } => "s3:GetIntelligentTieringConfiguration",
        }
    }
}

impl Op {
    /// The IAM action S3 authorizes this operation as.
    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html>
    pub fn action(&self) -> &'static str {
        match self {
            Op::ListBuckets => "s3:ListAllMyBuckets",
            Op::CreateBucket => "s3:CreateBucket",
            Op::HeadBucket | Op::ListObjectsV2 | Op::ListObjectsV1 => "s3:ListBucket",
            Op::DeleteBucket => "s3:DeleteBucket",
            Op::GetBucketLocation => "s3:GetBucketLocation",
            Op::DeleteObject { version_id: Some(_) } => "s3:DeleteObjectVersion",
            Op::DeleteObjects | Op::DeleteObject { .. } => "s3:DeleteObject",
            Op::PutObject
            | Op::CopyObject { .. }
            | Op::CreateMultipartUpload
            | Op::UploadPart { .. }
            | Op::UploadPartCopy { .. }
            | Op::CompleteMultipartUpload { .. }
            | Op::PostObject => "s3:PutObject",
            Op::GetObject { version_id: Some(_), .. } | Op::HeadObject { version_id: Some(_), .. } => {
                "s3:GetObjectVersion"
            }
            Op::GetObject { .. } | Op::HeadObject { .. } => "s3:GetObject",
            Op::AbortMultipartUpload { .. } => "s3:AbortMultipartUpload",
            Op::ListParts { .. } => "s3:ListMultipartUploadParts",
            Op::ListMultipartUploads => "s3:ListBucketMultipartUploads",
            Op::PutBucketCors | Op::DeleteBucketCors => "s3:PutBucketCORS",
            Op::GetBucketCors => "s3:GetBucketCORS",
            Op::PutBucketAcl => "s3:PutBucketAcl",
            Op::PutObjectAcl { version_id: None } => "s3:PutObjectAcl",
            Op::PutObjectAcl { version_id: Some(_) } => "s3:PutObjectVersionAcl",
            Op::PutBucketOwnershipControls | Op::DeleteBucketOwnershipControls => "s3:PutBucketOwnershipControls",
            Op::GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
            Op::PutPublicAccessBlock | Op::DeletePublicAccessBlock => "s3:PutBucketPublicAccessBlock",
            Op::GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
            Op::PutBucketPolicy => "s3:PutBucketPolicy",
            Op::GetBucketPolicy => "s3:GetBucketPolicy",
            Op::DeleteBucketPolicy => "s3:DeleteBucketPolicy",
            Op::GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
            Op::CorsPreflight | Op::Sts => "",
            Op::GetBucketVersioning => "s3:GetBucketVersioning",
            Op::PutBucketVersioning => "s3:PutBucketVersioning",
            Op::GetBucketAcl => "s3:GetBucketAcl",
            Op::GetObjectAcl { version_id: None } => "s3:GetObjectAcl",
            Op::GetObjectAcl { version_id: Some(_) } => "s3:GetObjectVersionAcl",
            Op::GetBucketTagging => "s3:GetBucketTagging",
            Op::PutBucketTagging | Op::DeleteBucketTagging => "s3:PutBucketTagging",
            Op::GetObjectTagging { version_id: None } => "s3:GetObjectTagging",
            Op::GetObjectTagging { version_id: Some(_) } => "s3:GetObjectVersionTagging",
            Op::PutObjectTagging { version_id: None } => "s3:PutObjectTagging",
            Op::PutObjectTagging { version_id: Some(_) } => "s3:PutObjectVersionTagging",
            Op::DeleteObjectTagging { version_id: None } => "s3:DeleteObjectTagging",
            Op::DeleteObjectTagging { version_id: Some(_) } => "s3:DeleteObjectVersionTagging",
            Op::ListObjectVersions => "s3:ListBucketVersions",
            Op::GetBucketDefault(setting) => setting.action(),
            Op::GetObjectAttributes { version_id: Some(_) } => "s3:GetObjectVersionAttributes",
            Op::GetObjectAttributes { version_id: None } => "s3:GetObjectAttributes",
        }
    }

    /// The version the operation names (`?versionId=`), for the operations on one object.
    pub fn version_id(&self) -> Option<&VersionId> {
        match self {
            Op::GetObject { version_id, .. }
            | Op::HeadObject { version_id, .. }
            | Op::DeleteObject { version_id }
            | Op::PutObjectAcl { version_id }
            | Op::GetObjectAcl { version_id }
            | Op::GetObjectTagging { version_id }
            | Op::PutObjectTagging { version_id }
            | Op::DeleteObjectTagging { version_id }
            | Op::GetObjectAttributes { version_id } => version_id.as_ref(),
            _ => None,
        }
    }

    /// The copy source, for the operations that read one (they also need `s3:GetObject` on it).
    pub fn copy_source(&self) -> Option<&CopySource> {
        match self {
            Op::CopyObject { source } | Op::UploadPartCopy { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The bucket and key a request addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Whether the bucket came from the `Host` header.
    pub virtual_host: bool,
}

impl Target {
    /// The resource ARN S3 authorizes against: the object, the bucket, or `*` for the service.
    pub fn resource_arn(&self) -> String {
        match (&self.bucket, &self.key) {
            (Some(b), Some(k)) => format!("arn:aws:s3:::{b}/{k}"),
            (Some(b), None) => format!("arn:aws:s3:::{b}"),
            (None, _) => "*".to_string(),
        }
    }
}

/// A request routed once: its target (when the path decodes) and its operation, or the reason it
/// has none. Routing errors are reported after authentication, as S3 does.
#[derive(Debug)]
pub struct Routed {
    pub target: S3Result<Target>,
    pub op: S3Result<Op>,
}

impl Routed {
    /// The addressed bucket, if any.
    pub fn bucket(&self) -> Option<&str> {
        self.target.as_ref().ok().and_then(|t| t.bucket.as_deref())
    }

    /// The addressed key, if any.
    pub fn key(&self) -> Option<&str> {
        self.target.as_ref().ok().and_then(|t| t.key.as_deref())
    }
}

/// Routes a request: target, then operation.
pub fn route_request(
    method: &Method,
    host: Option<&str>,
    raw_path: &str,
    view: &RequestView<'_>,
    domain: Option<&str>,
) -> Routed {
    let target = target(host, raw_path, domain);
    let op = match &target {
        Ok(t) => route(method, t, view),
        Err(_) => Err(S3Error::new(ErrorCode::InvalidURI)),
    };
    Routed { target, op }
}

/// Finds bucket and key: `bucket.<domain>` hosts carry the bucket when a domain is configured,
/// otherwise the first path segment does. The path is decoded once; a key keeps every `/`.
pub fn target(host: Option<&str>, raw_path: &str, domain: Option<&str>) -> S3Result<Target> {
    let bad_uri = || S3Error::new(ErrorCode::InvalidURI);
    let path = String::from_utf8(percent_decode(raw_path)).map_err(|_| bad_uri())?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    let host_bucket = match (host, domain) {
        (Some(h), Some(d)) => {
            let name = h.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(h, |(n, _)| n);
            name.strip_suffix(d).and_then(|b| b.strip_suffix('.')).filter(|b| !b.is_empty()).map(str::to_string)
        }
        _ => None,
    };
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Ok(match host_bucket {
        Some(bucket) => Target { bucket: Some(bucket), key: some(path), virtual_host: true },
        None => match path.split_once('/') {
            Some((b, k)) => Target { bucket: some(b), key: some(k), virtual_host: false },
            None => Target { bucket: some(path), key: None, virtual_host: false },
        },
    })
}

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

/// Parses `x-amz-copy-source` (`bucket/key` or `/bucket/key`, URL-encoded, optional `?versionId=`).
pub fn parse_copy_source(value: &str) -> S3Result<CopySource> {
    let invalid = || {
        S3Error::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            "x-amz-copy-source",
            value,
        )
    };
    let (path, version_id) = match value.split_once("?versionId=") {
        Some((p, v)) => (p, Some(parse_version_id(v)?)),
        None => (value, None),
    };
    let decoded = String::from_utf8(percent_decode(path)).map_err(|_| invalid())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    match decoded.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => {
            Ok(CopySource { bucket: b.to_string(), key: k.to_string(), version_id })
        }
        _ => Err(invalid()),
    }
}

/// Subresources of S3 APIs s3strict does not serve yet; a request naming one gets
/// `NotImplemented` instead of being mistaken for a plain object or bucket operation.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "analytics",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "torrent",
    "versioning",
    "website",
];

/// The operation for a request to `target`.
pub fn route(method: &Method, target: &Target, view: &RequestView<'_>) -> S3Result<Op> {
    let query = view.query_pairs();
    let has = |name: &str| query.iter().any(|(n, _)| n == name);
    let value = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    // The copy source is the header's, as S3 routes (a presigned URL's `x-amz-copy-source` query
    // parameter makes no copy there). The view never takes it from the query, so authorization
    // (`s3:x-amz-copy-source`, the read of the source) and the handler see this same value
    // (`crate::request`, `is_never_hoisted`).
    let copy_source = || view.header("x-amz-copy-source").map(parse_copy_source).transpose();
    let part_number = value("partNumber").map(|v| parse_part_number(&v)).transpose();
    let version_id = value("versionId").map(|v| parse_version_id(&v)).transpose();
    let unsupported = query.iter().any(|(n, _)| UNSUPPORTED_SUBRESOURCES.contains(&n.as_str()));
    let not_allowed = || S3Error::new(ErrorCode::MethodNotAllowed);
    let not_implemented = || S3Error::new(ErrorCode::NotImplemented);
    if *method == Method::OPTIONS && target.bucket.is_some() {
        return Ok(Op::CorsPreflight);
    }
    match (&target.bucket, &target.key) {
        (None, _) => match *method {
            Method::GET => Ok(Op::ListBuckets),
            // S3 has no POST at the root: STS shares the port there.
            Method::POST => Ok(Op::Sts),
            _ => Err(not_allowed()),
        },
        (Some(_), None) => {
            if has("location") && *method == Method::GET {
                return Ok(Op::GetBucketLocation);
            }
            if has("delete") && *method == Method::POST {
                return Ok(Op::DeleteObjects);
            }
            if has("uploads") && *method == Method::GET {
                return Ok(Op::ListMultipartUploads);
            }
            if *method == Method::GET {
                for (sub, op) in [("versioning", Op::GetBucketVersioning), ("versions", Op::ListObjectVersions)] {
                    if has(sub) {
                        return Ok(op);
                    }
                }
                if let Some(setting) = BucketDefault::for_query(has) {
                    return Ok(Op::GetBucketDefault(setting));
                }
            }
            if has("cors") {
                return match *method {
                    Method::PUT => Ok(Op::PutBucketCors),
                    Method::GET => Ok(Op::GetBucketCors),
                    Method::DELETE => Ok(Op::DeleteBucketCors),
                    _ => Err(not_allowed()),
                };
            }
            for (sub, put, get, delete) in [
                ("acl", Some(Op::PutBucketAcl), Op::GetBucketAcl, None),
                (
                    "ownershipControls",
                    Some(Op::PutBucketOwnershipControls),
                    Op::GetBucketOwnershipControls,
                    Some(Op::DeleteBucketOwnershipControls),
                ),
                (
                    "publicAccessBlock",
                    Some(Op::PutPublicAccessBlock),
                    Op::GetPublicAccessBlock,
                    Some(Op::DeletePublicAccessBlock),
                ),
            ] {
                if has(sub) {
                    return match (method, put, delete) {
                        (&Method::PUT, Some(op), _) => Ok(op),
                        (&Method::GET, _, _) => Ok(get),
                        (&Method::DELETE, _, Some(op)) => Ok(op),
                        _ => Err(not_allowed()),
                    };
                }
            }
            if has("policy") {
                return match *method {
                    Method::PUT => Ok(Op::PutBucketPolicy),
                    Method::GET => Ok(Op::GetBucketPolicy),
                    Method::DELETE => Ok(Op::DeleteBucketPolicy),
                    _ => Err(not_allowed()),
                };
            }
            if has("versioning") && *method == Method::PUT {
                return Ok(Op::PutBucketVersioning);
            }
            if has("tagging") {
                return match *method {
                    Method::PUT => Ok(Op::PutBucketTagging),
                    Method::GET => Ok(Op::GetBucketTagging),
                    Method::DELETE => Ok(Op::DeleteBucketTagging),
                    _ => Err(not_allowed()),
                };
            }
            if has("policyStatus") {
                return match *method {
                    Method::GET => Ok(Op::GetBucketPolicyStatus),
                    _ => Err(not_allowed()),
                };
            }
            if unsupported || has("location") || has("delete") || has("uploads") || has("versions") {
                return Err(not_implemented());
            }
            match *method {
                Method::PUT => Ok(Op::CreateBucket),
                Method::HEAD => Ok(Op::HeadBucket),
                Method::DELETE => Ok(Op::DeleteBucket),
                Method::GET if query.iter().any(|(n, v)| n == "list-type" && v == "2") => Ok(Op::ListObjectsV2),
                Method::GET => Ok(Op::ListObjectsV1),
                Method::POST => Ok(Op::PostObject),
                _ => Err(not_allowed()),
            }
        }
        (Some(_), Some(_)) => {
            if has("acl") {
                return match *method {
                    Method::GET => Ok(Op::GetObjectAcl { version_id: version_id? }),
                    Method::PUT => Ok(Op::PutObjectAcl { version_id: version_id? }),
                    _ => Err(not_allowed()),
                };
            }
            if has("attributes") {
                return match *method {
                    Method::GET => Ok(Op::GetObjectAttributes { version_id: version_id? }),
                    _ => Err(not_allowed()),
                };
            }
            if has("tagging") {
                let version_id = version_id?;
                return match *method {
                    Method::PUT => Ok(Op::PutObjectTagging { version_id }),
                    Method::GET => Ok(Op::GetObjectTagging { version_id }),
                    Method::DELETE => Ok(Op::DeleteObjectTagging { version_id }),
                    _ => Err(not_allowed()),
                };
            }
            if unsupported {
                return Err(not_implemented());
            }
            if let Some(upload_id) = value("uploadId") {
                return match (method, part_number?, copy_source()?) {
                    (&Method::PUT, Some(part_number), None) => Ok(Op::UploadPart { upload_id, part_number }),
                    (&Method::PUT, Some(part_number), Some(source)) => {
                        Ok(Op::UploadPartCopy { upload_id, part_number, source })
                    }
                    (&Method::POST, None, _) => Ok(Op::CompleteMultipartUpload { upload_id }),
                    (&Method::DELETE, None, _) => Ok(Op::AbortMultipartUpload { upload_id }),
                    (&Method::GET, None, _) => Ok(Op::ListParts { upload_id }),
                    _ => Err(not_allowed()),
                };
            }
            if has("uploads") {
                return match *method {
                    Method::POST => Ok(Op::CreateMultipartUpload),
                    _ => Err(not_allowed()),
                };
            }
            match *method {
                Method::PUT => match copy_source()? {
                    Some(source) => Ok(Op::CopyObject { source }),
                    None => Ok(Op::PutObject),
                },
                Method::GET => Ok(Op::GetObject { part_number: part_number?, version_id: version_id? }),
                Method::HEAD => Ok(Op::HeadObject { part_number: part_number?, version_id: version_id? }),
                Method::DELETE => Ok(Op::DeleteObject { version_id: version_id? }),
                Method::POST => Err(not_implemented()),
                _ => Err(not_allowed()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn rt(m: &Method, t: &Target, q: &str, h: &HeaderMap) -> S3Result<Op> {
        let q = crate::auth::parse_query(q);
        route(m, t, &RequestView::from_headers(h, &q))
    }

    fn t(b: Option<&str>, k: Option<&str>) -> Target {
        Target { bucket: b.map(Into::into), key: k.map(Into::into), virtual_host: false }
    }

    fn vt(b: &str, k: Option<&str>) -> Target {
        Target { virtual_host: true, ..t(Some(b), k) }
    }

    #[test]
    fn path_style_targets() {
        assert_eq!(target(None, "/", None).unwrap(), t(None, None));
        assert_eq!(target(None, "/b", None).unwrap(), t(Some("b"), None));
        assert_eq!(target(None, "/b/", None).unwrap(), t(Some("b"), None));
        assert_eq!(target(None, "/b/a%20b/..//c", None).unwrap(), t(Some("b"), Some("a b/..//c")));
        assert_eq!(target(None, "/b//", None).unwrap(), t(Some("b"), Some("/")));
        assert_eq!(target(None, "/b/%FF", None).unwrap_err().code, ErrorCode::InvalidURI);
    }

    #[test]
    fn virtual_hosted_targets() {
        assert_eq!(target(Some("b.localhost:9000"), "/k/x", Some("localhost")).unwrap(), vt("b", Some("k/x")));
        assert_eq!(target(Some("localhost:9000"), "/b/k", Some("localhost")).unwrap(), t(Some("b"), Some("k")));
        assert_eq!(target(Some("b.localhost"), "/", Some("localhost")).unwrap(), vt("b", None));
    }

    #[test]
    fn copy_source_forms() {
        let cs = |b: &str, k: &str, v: Option<VersionId>| CopySource { bucket: b.into(), key: k.into(), version_id: v };
        assert_eq!(parse_copy_source("/b/k%20x").unwrap(), cs("b", "k x", None));
        assert_eq!(parse_copy_source("b/a/b?versionId=null").unwrap(), cs("b", "a/b", Some(VersionId::Null)));
        assert_eq!(parse_copy_source("b/a/b?versionId=1").unwrap_err().message, "Invalid version id specified");
        assert_eq!(parse_copy_source("b").unwrap_err().code, ErrorCode::InvalidArgument);
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
    fn operations() {
        let h = HeaderMap::new();
        let b = t(Some("b"), None);
        let o = t(Some("b"), Some("k"));
        assert_eq!(rt(&Method::GET, &t(None, None), "", &h).unwrap(), Op::ListBuckets);
        assert_eq!(rt(&Method::PUT, &b, "", &h).unwrap(), Op::CreateBucket);
        assert_eq!(rt(&Method::GET, &b, "list-type=2&prefix=a", &h).unwrap(), Op::ListObjectsV2);
        assert_eq!(rt(&Method::GET, &b, "prefix=a", &h).unwrap(), Op::ListObjectsV1);
        assert_eq!(rt(&Method::GET, &b, "location", &h).unwrap(), Op::GetBucketLocation);
        assert_eq!(rt(&Method::POST, &b, "delete", &h).unwrap(), Op::DeleteObjects);
        assert_eq!(rt(&Method::GET, &b, "versioning", &h).unwrap(), Op::GetBucketVersioning);
        assert_eq!(rt(&Method::GET, &b, "lifecycle", &h).unwrap(), Op::GetBucketDefault(BucketDefault::Lifecycle));
        assert_eq!(
            rt(&Method::GET, &b, "analytics&id=a", &h).unwrap(),
            Op::GetBucketDefault(BucketDefault::Analytics { one: true })
        );
        assert_eq!(rt(&Method::PUT, &b, "lifecycle", &h).unwrap_err().code, ErrorCode::NotImplemented);
        assert_eq!(rt(&Method::PUT, &b, "versioning", &h).unwrap(), Op::PutBucketVersioning);
        assert_eq!(rt(&Method::PUT, &b, "cors", &h).unwrap(), Op::PutBucketCors);
        assert_eq!(rt(&Method::DELETE, &b, "policy", &h).unwrap(), Op::DeleteBucketPolicy);
        assert_eq!(rt(&Method::PUT, &b, "acl", &h).unwrap(), Op::PutBucketAcl);
        assert_eq!(rt(&Method::DELETE, &b, "acl", &h).unwrap_err().code, ErrorCode::MethodNotAllowed);
        assert_eq!(rt(&Method::PUT, &o, "acl", &h).unwrap(), Op::PutObjectAcl { version_id: None });
        assert_eq!(rt(&Method::DELETE, &b, "ownershipControls", &h).unwrap(), Op::DeleteBucketOwnershipControls);
        assert_eq!(rt(&Method::GET, &b, "publicAccessBlock", &h).unwrap(), Op::GetPublicAccessBlock);
        assert_eq!(rt(&Method::GET, &b, "policyStatus", &h).unwrap(), Op::GetBucketPolicyStatus);
        assert_eq!(rt(&Method::OPTIONS, &o, "", &h).unwrap(), Op::CorsPreflight);
        assert_eq!(rt(&Method::POST, &b, "", &h).unwrap(), Op::PostObject);
        assert_eq!(rt(&Method::PUT, &o, "", &h).unwrap(), Op::PutObject);
        let mut copy = HeaderMap::new();
        copy.insert("x-amz-copy-source", "/a/b".parse().unwrap());
        let source = CopySource { bucket: "a".into(), key: "b".into(), version_id: None };
        assert_eq!(rt(&Method::PUT, &o, "", &copy).unwrap(), Op::CopyObject { source: source.clone() });
        assert_eq!(
            rt(&Method::GET, &o, "response-content-type=x", &h).unwrap(),
            Op::GetObject { part_number: None, version_id: None }
        );
        assert_eq!(rt(&Method::GET, &o, "tagging", &h).unwrap(), Op::GetObjectTagging { version_id: None });
        assert_eq!(rt(&Method::PUT, &o, "tagging", &h).unwrap(), Op::PutObjectTagging { version_id: None });
        assert_eq!(rt(&Method::DELETE, &b, "tagging", &h).unwrap(), Op::DeleteBucketTagging);
        assert_eq!(rt(&Method::PATCH, &o, "", &h).unwrap_err().code, ErrorCode::MethodNotAllowed);
        assert_eq!(rt(&Method::POST, &o, "uploads", &h).unwrap(), Op::CreateMultipartUpload);
        assert_eq!(
            rt(&Method::PUT, &o, "partNumber=2&uploadId=u", &h).unwrap(),
            Op::UploadPart { upload_id: "u".into(), part_number: 2 }
        );
        assert_eq!(
            rt(&Method::PUT, &o, "partNumber=2&uploadId=u", &copy).unwrap(),
            Op::UploadPartCopy { upload_id: "u".into(), part_number: 2, source }
        );
        assert_eq!(
            rt(&Method::POST, &o, "uploadId=u", &h).unwrap(),
            Op::CompleteMultipartUpload { upload_id: "u".into() }
        );
        assert_eq!(
            rt(&Method::DELETE, &o, "uploadId=u", &h).unwrap(),
            Op::AbortMultipartUpload { upload_id: "u".into() }
        );
        assert_eq!(rt(&Method::GET, &o, "uploadId=u", &h).unwrap(), Op::ListParts { upload_id: "u".into() });
        assert_eq!(rt(&Method::GET, &b, "uploads&prefix=x", &h).unwrap(), Op::ListMultipartUploads);
        assert_eq!(
            rt(&Method::GET, &o, "partNumber=1", &h).unwrap(),
            Op::GetObject { part_number: Some(1), version_id: None }
        );
        let e = rt(&Method::DELETE, &o, "versionId=garbage", &h).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::InvalidArgument, "Invalid version id specified"));
        assert_eq!(
            rt(&Method::GET, &o, "versionId=null", &h).unwrap(),
            Op::GetObject { part_number: None, version_id: Some(VersionId::Null) }
        );
        assert_eq!(Op::DeleteObject { version_id: Some(VersionId::Null) }.action(), "s3:DeleteObjectVersion");
        assert_eq!(rt(&Method::PUT, &o, "partNumber=0&uploadId=u", &h).unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(Op::GetObject { part_number: None, version_id: None }.action(), "s3:GetObject");
        assert_eq!(t(Some("b"), Some("k/x")).resource_arn(), "arn:aws:s3:::b/k/x");
        assert_eq!(b.resource_arn(), "arn:aws:s3:::b");
    }
}
