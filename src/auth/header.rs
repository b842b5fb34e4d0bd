//! SigV4 in the `Authorization` header.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html>

use chrono::{DateTime, Utc};

use super::canonical::ALGORITHM;
use super::checks::{
    announced_payload, check_session, check_signature, check_signed_headers, check_skew, header_values,
    invalid_access_key, missing_date, parse_credential, unsupported_mechanism, Announced, SignatureInput, Source,
};
use super::chunked::ChunkSigner;
use super::clock::{amz_date, parse_amz_date};
use super::log::AuthTrace;
use super::types::{AuthConfig, AuthRequest, AuthType, Payload, SignatureVersion, Verified};
use crate::error::{ErrorCode, S3Error, S3Result};

/// The three components of an `AWS4-HMAC-SHA256` Authorization header.
#[derive(Debug, PartialEq, Eq)]
struct AuthorizationHeader<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn malformed(detail: &str) -> S3Error {
    Source::Header.error(detail)
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn parse_authorization(value: &str) -> S3Result<AuthorizationHeader<'_>> {
    let rest = match value.split_once(' ') {
        Some((ALGORITHM, rest)) => rest,
        _ => return Err(unsupported_mechanism()),
    };
    let components: Vec<&str> = rest.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    if components.len() < 3 {
        return Err(malformed(
            "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
        ));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for c in components {
        match c.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(malformed(&format!("the authorization component \"{c}\" is malformed."))),
        }
    }
    Ok(AuthorizationHeader {
        credential: credential.ok_or_else(|| malformed("missing Credential."))?,
        signed_headers: signed_headers.ok_or_else(|| malformed("missing SignedHeaders."))?,
        signature: signature.ok_or_else(|| malformed("missing Signature."))?,
    })
}

/// The request time: `x-amz-date`, else `Date`; with the raw value for `RequestTime`.
fn request_time(req: &AuthRequest<'_>) -> S3Result<(DateTime<Utc>, String)> {
    if let Some(v) = header_values(req.headers, "x-amz-date").first() {
        return parse_amz_date(v).map(|t| (t, v.to_string())).ok_or_else(missing_date);
    }
    if let Some(v) = header_values(req.headers, "date").first() {
        let t = httpdate::parse_http_date(v).map_err(|_| missing_date())?;
        return Ok((DateTime::<Utc>::from(t), v.to_string()));
    }
    Err(missing_date())
}

/// The `x-amz-content-sha256` header, which header auth requires, and what it announces.
fn announced(req: &AuthRequest<'_>) -> S3Result<(Announced, String)> {
    let Some(value) = header_values(req.headers, "x-amz-content-sha256").first().map(|v| v.to_string()) else {
        return Err(S3Error::with_message(
            ErrorCode::InvalidRequest,
            "Missing required header for this request: x-amz-content-sha256",
        ));
    };
    Ok((announced_payload(&value)?, value))
}

/// Verifies a request signed in the `Authorization` header.
pub(super) fn verify(
    cfg: &AuthConfig,
    req: &AuthRequest<'_>,
    value: &str,
    trace: &mut AuthTrace,
) -> S3Result<Verified> {
    let auth = parse_authorization(value)?;
    trace.signed_headers = Some(auth.signed_headers.to_string());
    let scope = parse_credential(auth.credential, &cfg.region, req.service, Source::Header)?;
    trace.access_key = Some(scope.access_key.clone());
    let (time, raw_time) = request_time(req)?;
    let date = amz_date(time);
    if !date.starts_with(&scope.date) {
        return Err(malformed(&format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            scope.date,
            &date[..8]
        )));
    }
    check_skew(cfg, time, &raw_time)?;
    let (announced, payload_hash) = match (req.is_s3(), req.body_sha256) {
        (true, _) => announced(req)?,
        // Other services sign the body's hash and announce nothing.
        (false, Some(hash)) => (Announced::Unsigned, hash.to_string()),
        (false, None) => return Err(S3Error::internal("a non-S3 request without its body hash")),
    };
    if !cfg.credentials.contains(&scope.access_key) {
        return Err(invalid_access_key(&scope.access_key));
    }
    check_session(cfg, &scope.access_key, header_values(req.headers, "x-amz-security-token").first().copied())?;
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    check_signed_headers(req, &signed)?;
    let key = check_signature(
        cfg,
        &SignatureInput {
            req,
            scope: &scope,
            amz_date: &date,
            signed_headers: auth.signed_headers,
            payload_hash: &payload_hash,
            provided: auth.signature,
            hoisted: None,
        },
        trace,
    )?;
    let payload = match announced {
        Announced::Unsigned => Payload::Unsigned,
        Announced::Sha256(h) => Payload::Sha256(h),
        Announced::UnsignedTrailer => Payload::StreamingUnsignedTrailer,
        Announced::Streaming { trailer } => Payload::StreamingSigned(ChunkSigner::new(
            key,
            date,
            scope.scope(),
            auth.signature.to_ascii_lowercase(),
            trailer,
        )),
    };
    Ok(Verified::signed(scope.access_key, AuthType::Header, SignatureVersion::V4, Some(time), payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_components() {
        let a = parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date,Signature=abc").unwrap();
        assert_eq!(
            a,
            AuthorizationHeader {
                credential: "AK/20130524/us-east-1/s3/aws4_request",
                signed_headers: "host;x-amz-date",
                signature: "abc"
            }
        );
    }

    #[test]
    fn malformed_headers_name_the_problem() {
        let msg = |v: &str| parse_authorization(v).unwrap_err().message;
        assert_eq!(msg("AWS4-HMAC-SHA256 Credential=a"), "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.");
        assert_eq!(
            msg("AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b, Bogus"),
            "The authorization header is malformed; the authorization component \"Bogus\" is malformed."
        );
        assert_eq!(
            msg("AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b, Credential=c"),
            "The authorization header is malformed; missing Signature."
        );
        assert_eq!(parse_authorization("AWS AK:sig").unwrap_err().code, ErrorCode::InvalidRequest);
    }
}
