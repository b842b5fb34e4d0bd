//! The pure functions of Signature Version 2: the canonicalized resource, the string to sign and
//! its HMAC-SHA1 signature. Below both `sigv2.rs` (which verifies) and `diagnose.rs` (which
//! re-signs to explain a mismatch), so neither imports the other for them.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html>

use base64::Engine;
use hmac::{Hmac, Mac};

/// Query parameters that are part of the canonicalized resource (S3's documented list plus the
/// ones botocore signs).
pub const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The canonicalized resource: `/bucket` for virtual-hosted requests, the path exactly as sent,
/// then the sorted subresources with their values decoded. A path-style request to the bucket
/// itself (`/bucket`) is signed as `/bucket/`, as it is virtual-hosted: S3 builds the resource
/// from the bucket and the (empty) key, and the SDKs that sign SigV2 (botocore, the Java SDK v1)
/// sign `/bucket/` for `PUT /bucket`, `GET /bucket?location` and the like.
pub fn canonical_resource(vhost_bucket: Option<&str>, raw_path: &str, raw_query: &str) -> String {
    let mut out = String::new();
    if let Some(b) = vhost_bucket {
        out.push('/');
        out.push_str(b);
    }
    out.push_str(if raw_path.is_empty() { "/" } else { raw_path });
    let bucket_only = vhost_bucket.is_none() && raw_path.len() > 1 && !raw_path[1..].contains('/');
    if bucket_only {
        out.push('/');
    }
    let mut subs: Vec<(&str, Option<String>)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n, Some(String::from_utf8_lossy(&super::canonical::percent_decode(v)).into_owned())),
            None => (p, None),
        })
        .filter(|(n, _)| SUBRESOURCES.contains(n))
        .collect();
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (n, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(n);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The string to sign. `amz` holds every `x-amz-*` (name lowercase, values in order).
pub fn string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    date_or_expires: &str,
    amz: &[(String, String)],
    resource: &str,
) -> String {
    let mut amz: Vec<(String, String)> = amz.to_vec();
    amz.sort_by(|a, b| a.0.cmp(&b.0));
    let mut headers = String::new();
    let mut i = 0;
    while i < amz.len() {
        let name = &amz[i].0;
        let values: Vec<&str> = amz[i..].iter().take_while(|(n, _)| n == name).map(|(_, v)| v.trim()).collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
        i += values.len();
    }
    format!("{method}\n{content_md5}\n{content_type}\n{date_or_expires}\n{headers}{resource}")
}

/// Base64 HMAC-SHA1.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
