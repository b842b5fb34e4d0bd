//! From a request to an operation: the bucket and key (path-style or virtual-hosted-style), then
//! the method, subresources and headers to an [`Op`].

use http::{HeaderMap, Method};

use crate::auth::canonical::percent_decode;
use crate::error::{ErrorCode, S3Error, S3Result};

/// An S3 operation s3strict serves.
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
        source: String,
    },
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart {
        upload_id: String,
        part_number: String,
    },
    /// UploadPart with `x-amz-copy-source`.
    UploadPartCopy {
        upload_id: String,
        part_number: String,
        source: String,
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
    /// An unauthenticated CORS preflight `OPTIONS` request.
    CorsPreflight,
    /// Read-only answers for features s3strict does not model: versioning never enabled, the
    /// owner's FULL_CONTROL ACL, no tags.
    GetBucketVersioning,
    GetBucketAcl,
    GetObjectAcl,
    GetBucketTagging,
    GetObjectTagging,
    ListObjectVersions,
}

/// The bucket and key a request addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Whether the bucket came from the `Host` header.
    pub virtual_host: bool,
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

/// Subresources of S3 APIs s3strict does not serve yet; a request naming one gets
/// `NotImplemented` instead of being mistaken for a plain object or bucket operation.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
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
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "versioning",
    "website",
];

/// The operation for a request to `target`.
pub fn route(method: &Method, target: &Target, query: &[(String, String)], headers: &HeaderMap) -> S3Result<Op> {
    let has = |name: &str| query.iter().any(|(n, _)| n == name);
    let value = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let copy_source = headers.get("x-amz-copy-source").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let unsupported = query.iter().any(|(n, _)| UNSUPPORTED_SUBRESOURCES.contains(&n.as_str()));
    let not_allowed = || S3Error::new(ErrorCode::MethodNotAllowed);
    let not_implemented = || S3Error::new(ErrorCode::NotImplemented);
    if *method == Method::OPTIONS && target.bucket.is_some() {
        return Ok(Op::CorsPreflight);
    }
    match (&target.bucket, &target.key) {
        (None, _) => match *method {
            Method::GET => Ok(Op::ListBuckets),
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
                for (sub, op) in [
                    ("versioning", Op::GetBucketVersioning),
                    ("acl", Op::GetBucketAcl),
                    ("tagging", Op::GetBucketTagging),
                    ("versions", Op::ListObjectVersions),
                ] {
                    if has(sub) {
                        return Ok(op);
                    }
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
            if *method == Method::GET && has("acl") {
                return Ok(Op::GetObjectAcl);
            }
            if *method == Method::GET && has("tagging") {
                return Ok(Op::GetObjectTagging);
            }
            if unsupported {
                return Err(not_implemented());
            }
            if let Some(upload_id) = value("uploadId") {
                return match (method, value("partNumber"), copy_source) {
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
                Method::PUT => match copy_source {
                    Some(source) => Ok(Op::CopyObject { source }),
                    None => Ok(Op::PutObject),
                },
                Method::GET => Ok(Op::GetObject),
                Method::HEAD => Ok(Op::HeadObject),
                Method::DELETE => Ok(Op::DeleteObject),
                Method::POST => Err(not_implemented()),
                _ => Err(not_allowed()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn operations() {
        let h = HeaderMap::new();
        let q = |s: &str| crate::auth::parse_query(s);
        let b = t(Some("b"), None);
        let o = t(Some("b"), Some("k"));
        assert_eq!(route(&Method::GET, &t(None, None), &[], &h).unwrap(), Op::ListBuckets);
        assert_eq!(route(&Method::PUT, &b, &[], &h).unwrap(), Op::CreateBucket);
        assert_eq!(route(&Method::GET, &b, &q("list-type=2&prefix=a"), &h).unwrap(), Op::ListObjectsV2);
        assert_eq!(route(&Method::GET, &b, &q("prefix=a"), &h).unwrap(), Op::ListObjectsV1);
        assert_eq!(route(&Method::GET, &b, &q("location"), &h).unwrap(), Op::GetBucketLocation);
        assert_eq!(route(&Method::POST, &b, &q("delete"), &h).unwrap(), Op::DeleteObjects);
        assert_eq!(route(&Method::GET, &b, &q("versioning"), &h).unwrap(), Op::GetBucketVersioning);
        assert_eq!(route(&Method::PUT, &b, &q("versioning"), &h).unwrap_err().code, ErrorCode::NotImplemented);
        assert_eq!(route(&Method::PUT, &b, &q("cors"), &h).unwrap(), Op::PutBucketCors);
        assert_eq!(route(&Method::OPTIONS, &o, &[], &h).unwrap(), Op::CorsPreflight);
        assert_eq!(route(&Method::POST, &b, &[], &h).unwrap(), Op::PostObject);
        assert_eq!(route(&Method::PUT, &o, &[], &h).unwrap(), Op::PutObject);
        let mut copy = HeaderMap::new();
        copy.insert("x-amz-copy-source", "/a/b".parse().unwrap());
        assert_eq!(route(&Method::PUT, &o, &[], &copy).unwrap(), Op::CopyObject { source: "/a/b".into() });
        assert_eq!(route(&Method::GET, &o, &q("response-content-type=x"), &h).unwrap(), Op::GetObject);
        assert_eq!(route(&Method::GET, &o, &q("tagging"), &h).unwrap(), Op::GetObjectTagging);
        assert_eq!(route(&Method::PUT, &o, &q("tagging"), &h).unwrap_err().code, ErrorCode::NotImplemented);
        assert_eq!(route(&Method::PATCH, &o, &[], &h).unwrap_err().code, ErrorCode::MethodNotAllowed);
        assert_eq!(route(&Method::POST, &o, &q("uploads"), &h).unwrap(), Op::CreateMultipartUpload);
        assert_eq!(
            route(&Method::PUT, &o, &q("partNumber=2&uploadId=u"), &h).unwrap(),
            Op::UploadPart { upload_id: "u".into(), part_number: "2".into() }
        );
        assert_eq!(
            route(&Method::PUT, &o, &q("partNumber=2&uploadId=u"), &copy).unwrap(),
            Op::UploadPartCopy { upload_id: "u".into(), part_number: "2".into(), source: "/a/b".into() }
        );
        assert_eq!(
            route(&Method::POST, &o, &q("uploadId=u"), &h).unwrap(),
            Op::CompleteMultipartUpload { upload_id: "u".into() }
        );
        assert_eq!(
            route(&Method::DELETE, &o, &q("uploadId=u"), &h).unwrap(),
            Op::AbortMultipartUpload { upload_id: "u".into() }
        );
        assert_eq!(route(&Method::GET, &o, &q("uploadId=u"), &h).unwrap(), Op::ListParts { upload_id: "u".into() });
        assert_eq!(route(&Method::GET, &b, &q("uploads&prefix=x"), &h).unwrap(), Op::ListMultipartUploads);
        assert_eq!(route(&Method::GET, &o, &q("partNumber=1"), &h).unwrap(), Op::GetObject);
    }
}
