//! The condition keys of a request: what policies' `Condition` elements compare against, from
//! the request, its signature and its principal.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>

use std::net::IpAddr;

use crate::auth::{AuthType, Verified};
use crate::iam::{Principal, PrincipalKind};
use crate::policy::ConditionKeys;
use crate::state::AppState;

/// The condition keys of a request (those of the resource's account are added per decision).
pub fn request_keys(
    state: &AppState,
    verified: &Verified,
    principal: &Principal,
    parts: &http::request::Parts,
    query: &[(String, String)],
) -> ConditionKeys {
    let mut keys = ConditionKeys::new();
    let mut put = |k: &str, v: String| {
        keys.entry(k.to_string()).or_default().push(v);
    };
    let now = state.auth.clock.now();
    put("aws:currenttime", crate::auth::clock::iso8601(now));
    put("aws:epochtime", now.timestamp().to_string());
    put("aws:securetransport", "false".into());
    if let Some(peer) = parts.extensions.get::<PeerAddr>() {
        let ip = match peer.0 {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        put("aws:sourceip", ip.to_string());
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(ua) = header("user-agent") {
        put("aws:useragent", ua);
    }
    if let Some(referer) = header("referer") {
        put("aws:referer", referer);
    }
    if principal.kind != PrincipalKind::Anonymous {
        put("aws:principaltype", principal.type_name().into());
        for (k, v) in [
            ("aws:principalaccount", &principal.account_id),
            ("aws:principalarn", &principal.arn),
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
    // Headers, or for presigned URLs the signed query parameters that stand in for them.
    let value = |name: &str| {
        header(name).or_else(|| {
            (verified.auth_type == AuthType::Query)
                .then(|| query.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()))
                .flatten()
        })
    };
    match value("x-amz-content-sha256") {
        Some(v) => put("s3:x-amz-content-sha256", v),
        None if verified.auth_type == AuthType::Query => put("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD".into()),
        None => {}
    }
    for name in [
        "x-amz-acl",
        "x-amz-grant-full-control",
        "x-amz-grant-read",
        "x-amz-grant-read-acp",
        "x-amz-grant-write",
        "x-amz-grant-write-acp",
        "x-amz-copy-source",
        "x-amz-metadata-directive",
        "x-amz-server-side-encryption",
        "x-amz-storage-class",
        "x-amz-object-ownership",
        "x-amz-website-redirect-location",
    ] {
        if let Some(v) = value(name) {
            put(&format!("s3:{name}"), v);
        }
    }
    for name in ["prefix", "delimiter", "max-keys"] {
        if let Some((_, v)) = query.iter().find(|(n, _)| n == name) {
            put(&format!("s3:{name}"), v.clone());
        }
    }
    keys
}

/// The address of the client a request came from (`aws:SourceIp`), put into each request's
/// extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub IpAddr);
