//! The condition keys of a request: what policies' `Condition` elements compare against, from
//! the request, its signature and its principal.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>

use std::net::IpAddr;

use crate::auth::{AuthType, Verified};
use crate::iam::{Principal, PrincipalKind};
use crate::policy::ConditionKeys;
use crate::request::{header_text, RequestView};
use crate::state::AppState;

/// The request headers S3 has condition keys for (`s3:<name>`), read from the same view the
/// handlers act on: headers, a presigned URL's signed query parameters standing in for them, or a
/// POST form's fields (its `acl` field is `x-amz-acl`).
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys>
pub const HEADER_KEYS: [&str; 13] = [
    "x-amz-acl",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-storage-class",
    "x-amz-object-ownership",
    "x-amz-website-redirect-location",
];

/// The condition keys of a request (those of the resource's account are added per decision).
pub fn request_keys(
    state: &AppState,
    verified: &Verified,
    principal: &Principal,
    parts: &http::request::Parts,
    view: &RequestView<'_>,
) -> ConditionKeys {
    let mut keys = ConditionKeys::new();
    let mut put = |k: &str, v: String| {
        keys.entry(k.to_string()).or_default().push(v);
    };
    let now = state.auth.clock.now();
    put("aws:currenttime", crate::auth::clock::iso8601(now));
    put("aws:epochtime", now.timestamp().to_string());
    put("aws:securetransport", "false".into());
    // Present in every request on AWS: the region it is sent to, and that no AWS service sends it
    // on the principal's behalf.
    put("aws:requestedregion", state.auth.region.clone());
    if let Some(peer) = parts.extensions.get::<PeerAddr>() {
        let ip = match peer.0 {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        put("aws:sourceip", ip.to_string());
    }
    // The HTTP headers themselves, also for a POST form (whose fields are not these).
    let http_header = |name: &str| parts.headers.get(name).map(|v| header_text(v.as_bytes()).into_owned());
    if let Some(ua) = http_header("user-agent") {
        put("aws:useragent", ua);
    }
    if let Some(referer) = http_header("referer") {
        put("aws:referer", referer);
    }
    if principal.kind != PrincipalKind::Anonymous {
        put("aws:principaltype", principal.type_name().into());
        put("aws:principalisawsservice", "false".into());
        put("aws:viaawsservice", "false".into());
        // "For IAM roles, the request context returns the ARN of the role, not the ARN of the
        // user that assumed the role" (IAM global condition keys, aws:PrincipalArn).
        for (k, v) in [
            ("aws:principalaccount", &principal.account_id),
            ("aws:principalarn", if principal.role_arn.is_some() { &principal.role_arn } else { &principal.arn }),
            ("aws:userid", &principal.user_id),
            ("aws:username", &principal.username),
        ] {
            if let Some(v) = v {
                put(k, v.clone());
            }
        }
    }
    if let Some(t) = verified.auth_type.policy_value() {
        put("s3:authtype", t.into());
    }
    if let Some(v) = verified.signature_version {
        put("s3:signatureversion", v.policy_value().into());
    }
    if let Some(at) = verified.signed_at {
        put("s3:signatureage", (now - at).num_milliseconds().max(0).to_string());
    }
    match view.header("x-amz-content-sha256") {
        Some(v) => put("s3:x-amz-content-sha256", v.to_string()),
        None if verified.auth_type == AuthType::Query => put("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD".into()),
        None => {}
    }
    for name in HEADER_KEYS {
        if let Some(v) = view.header(name) {
            put(&format!("s3:{name}"), v.to_string());
        }
    }
    if let Some(v) = view.query("versionId") {
        put("s3:versionid", v.to_string());
    }
    for name in ["prefix", "delimiter", "max-keys"] {
        if let Some(v) = view.query(name) {
            put(&format!("s3:{name}"), v.to_string());
        }
    }
    keys
}

/// Adds the keys of the tag set a write names: `s3:RequestObjectTagKeys` (every key) and
/// `s3:RequestObjectTag/<key>`. Condition key names are matched without regard to case here, the
/// tag key part included.
pub fn add_request_tags(keys: &mut ConditionKeys, tags: &[(String, String)]) {
    for (k, v) in tags {
        keys.entry("s3:requestobjecttagkeys".into()).or_default().push(k.clone());
        keys.entry(format!("s3:requestobjecttag/{}", k.to_ascii_lowercase())).or_default().push(v.clone());
    }
}

/// Adds the keys of the tags the addressed object already has: `s3:ExistingObjectTag/<key>`.
pub fn add_existing_tags(keys: &mut ConditionKeys, tags: &[(String, String)]) {
    for (k, v) in tags {
        keys.entry(format!("s3:existingobjecttag/{}", k.to_ascii_lowercase())).or_default().push(v.clone());
    }
}

/// The address of the client a request came from (`aws:SourceIp`), put into each request's
/// extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub IpAddr);
