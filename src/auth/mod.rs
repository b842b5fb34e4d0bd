//! Request authentication, exactly as Amazon S3 judges it.
//!
//! [`verify`] looks at a request's `Authorization` header and query string and either rejects it
//! with S3's error or returns [`Verified`]: who signed it and how its payload must be checked.
//! `header.rs` holds SigV4 in the `Authorization` header, `presigned.rs` SigV4 in the query string,
//! `chunked.rs` the aws-chunked payload that header auth can announce, `sigv2.rs` Signature
//! Version 2 (header and query), `cos.rs` Tencent COS's q-sign scheme (header and query),
//! `canonical.rs` and `canonical_v2.rs` the pure signing functions of SigV4 and SigV2, `types.rs`
//! the request and result types every scheme shares, `checks.rs` the checks several schemes share,
//! `diagnose.rs` the causes of a mismatch, `credentials.rs` the keys, `clock.rs` the server's time
//! and `log.rs` the auth decision log. The scheme files import only what lies below them, never
//! this file.

pub mod canonical;
mod canonical_v2;
mod checks;
pub mod chunked;
pub mod clock;
pub mod cos;
pub mod credentials;
pub mod diagnose;
mod header;
pub mod log;
pub mod post_policy;
mod presigned;
pub mod sigv2;
mod types;

use crate::error::{S3Error, S3Result};
pub use checks::MAX_SKEW_MS;
pub use clock::Clock;
pub use credentials::Credentials;
pub use log::AuthTrace;
pub use types::{AuthConfig, AuthRequest, AuthType, Payload, SignatureVersion, Verified, SERVICE, STS_SERVICE};

/// What a request presents to prove who sent it: the request itself (header, query string or
/// nothing), or the fields of a POST form with its signed policy.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    Request(AuthRequest<'a>),
    /// The form fields before the file (lowercase names, `key` with `${filename}` substituted)
    /// and the bucket the form was posted to.
    PostForm {
        fields: &'a [(String, String)],
        bucket: &'a str,
    },
}

/// The one door of authentication: every scheme yields a [`Verified`] or S3's error for it. What
/// it learns on the way goes into `trace`, also when it fails.
pub fn authenticate(cfg: &AuthConfig, presented: &Presented<'_>, trace: &mut AuthTrace) -> S3Result<Verified> {
    match presented {
        Presented::Request(req) => verify(cfg, req, trace),
        Presented::PostForm { fields, bucket } => post_policy::verify(cfg, fields, bucket, trace),
    }
}

/// Checks the request's signature, scope and time; see the module documentation. What it learns
/// on the way (mechanism, key, signed headers, expiry) goes into `trace`, also when it fails. A
/// request without any signature is anonymous; whether it may proceed is for authorization.
pub fn verify(cfg: &AuthConfig, req: &AuthRequest<'_>, trace: &mut AuthTrace) -> S3Result<Verified> {
    let auth_header = req.headers.get(http::header::AUTHORIZATION);
    let params = req.query;
    let has_query_auth = params.iter().any(|(n, _)| presigned::is_presign_param(n) || n == "Signature");
    if let Some(value) = auth_header {
        if has_query_auth {
            let value = String::from_utf8_lossy(value.as_bytes());
            return Err(S3Error::invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                "Authorization",
                &value,
            ));
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        if req.is_s3() && cos::is_header(value.as_bytes()) {
            trace.mechanism = Some("cos-header");
            return cos::verify(cfg, req, Some(&value), trace);
        }
        if let (Some(credentials), true) = (value.strip_prefix("AWS "), req.is_s3()) {
            trace.mechanism = Some("header-v2");
            return sigv2::verify_header(cfg, req, credentials, trace);
        }
        trace.mechanism = Some("header");
        return header::verify(cfg, req, &value, trace);
    }
    if params.iter().any(|(n, _)| presigned::is_presign_param(n)) {
        trace.mechanism = Some("query");
        return presigned::verify(cfg, req, params, trace);
    }
    if req.is_s3() && params.iter().any(|(n, _)| n == "Signature" || n == "AWSAccessKeyId") {
        trace.mechanism = Some("query-v2");
        return sigv2::verify_query(cfg, req, trace);
    }
    if req.is_s3() && cos::is_query(params) {
        trace.mechanism = Some("cos-query");
        return cos::verify(cfg, req, None, trace);
    }
    trace.mechanism = Some("anonymous");
    Ok(Verified::anonymous())
}

/// The query as (name, value) pairs, each decoded once; `+` stays a plus.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&canonical::percent_decode(n)).into_owned(),
                String::from_utf8_lossy(&canonical::percent_decode(v)).into_owned(),
            )
        })
        .collect()
}
