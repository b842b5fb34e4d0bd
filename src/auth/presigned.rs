//! SigV4 in the query string: presigned URLs.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>
//!
//! Checks run in this order (S3's own order is unconfirmed; this is the order LocalStack recorded
//! against AWS): parameters and their syntax, access key, unsigned headers, signature, then time.

use chrono::{Duration, Utc};

use super::canonical::ALGORITHM;
use super::checks::{
    announced_payload, check_session, check_signature, check_signed_headers, header_values, invalid_access_key,
    parse_credential, Announced, SignatureInput, Source,
};
use super::clock::{iso8601, parse_amz_date};
use super::log::AuthTrace;
use super::types::{AuthConfig, AuthRequest, AuthType, Payload, SignatureVersion, Verified};
use crate::error::{ErrorCode, S3Error, S3Result};

/// The six parameters every SigV4 presigned URL carries.
const REQUIRED: [&str; 6] =
    ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"];

/// The payload hash of a presigned request that sends no `x-amz-content-sha256` header.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The longest validity S3 accepts: seven days.
pub const MAX_EXPIRES_SECS: i64 = 604_800;

/// How far in the future `X-Amz-Date` may lie before "Request is not yet valid". S3's tolerance is
/// unconfirmed; this follows MinIO and the header-auth skew limit (15 minutes).
pub const FUTURE_TOLERANCE_SECS: i64 = 15 * 60;

/// Whether `name` is one of the SigV4 presign parameters (exact case, as S3 requires).
pub(super) fn is_presign_param(name: &str) -> bool {
    REQUIRED.contains(&name)
}

fn query_error(message: impl Into<String>) -> S3Error {
    S3Error::with_message(ErrorCode::AuthorizationQueryParametersError, message)
}

/// Parses `X-Amz-Expires`: from 1 second to a week.
///
/// The texts for non-numeric and negative values are MinIO's and versitygw's (the latter matches
/// S3 on purpose). For 0 the documentation gives 1 as the minimum but S3's error text is
/// unconfirmed; "must be greater than 0" is this server's choice, kept here.
fn parse_expires(raw: &str) -> S3Result<i64> {
    let n: i64 = raw.parse().map_err(|_| query_error("X-Amz-Expires should be a number"))?;
    if n < 0 {
        return Err(query_error("X-Amz-Expires must be non-negative"));
    }
    if n == 0 {
        return Err(query_error("X-Amz-Expires must be greater than 0"));
    }
    if n > MAX_EXPIRES_SECS {
        return Err(query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        ));
    }
    Ok(n)
}

/// Verifies a presigned request.
pub(super) fn verify(
    cfg: &AuthConfig,
    req: &AuthRequest<'_>,
    params: &[(String, String)],
    trace: &mut AuthTrace,
) -> S3Result<Verified> {
    let get = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let [Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers), Some(expires)] =
        REQUIRED.map(get)
    else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    trace.signed_headers = Some(signed_headers.to_string());
    if algorithm != ALGORITHM {
        // versitygw's text, which follows S3 (its HMAC-only variant is marked non-AWS there); S3
        // names the SigV4a algorithm it also accepts, which s3strict does not implement.
        return Err(query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\""));
    }
    let Some(time) = parse_amz_date(date) else {
        return Err(query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""));
    };
    let scope = parse_credential(credential, &cfg.region, req.service, Source::Query)?;
    trace.access_key = Some(scope.access_key.clone());
    if !date.starts_with(&scope.date) {
        return Err(query_error(format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            scope.date,
            &date[..8]
        )));
    }
    let expires_secs = parse_expires(expires)?;
    trace.expires = Some(iso8601(time + Duration::seconds(expires_secs)));
    if !cfg.credentials.contains(&scope.access_key) {
        return Err(invalid_access_key(&scope.access_key));
    }
    check_session(cfg, &scope.access_key, get("X-Amz-Security-Token"))?;
    let signed: Vec<&str> = if signed_headers.is_empty() { Vec::new() } else { signed_headers.split(';').collect() };
    check_signed_headers(req, &signed)?;
    let (announced, payload_hash) = payload_hash(req)?;
    check_signature(
        cfg,
        &SignatureInput {
            req,
            scope: &scope,
            amz_date: date,
            signed_headers,
            payload_hash: &payload_hash,
            provided: signature,
            hoisted: Some(params),
        },
        trace,
    )?;
    check_time(cfg, time, expires, expires_secs)?;
    let payload = match announced {
        Announced::Unsigned => Payload::Unsigned,
        Announced::Sha256(hash) => Payload::Sha256(hash),
        Announced::UnsignedTrailer => Payload::StreamingUnsignedTrailer,
        // Chunk signatures chain from the request's seed signature, which SigV4 defines for the
        // Authorization header only; MinIO and s3s (s3s#622) refuse signed streaming in a
        // presigned URL as not implemented, and no presigner makes one. The body is never taken
        // as sent without its chunk signatures checked.
        Announced::Streaming { .. } => {
            return Err(S3Error::new(ErrorCode::NotImplemented).extra("Header", "x-amz-content-sha256"))
        }
    };
    Ok(Verified::signed(scope.access_key, AuthType::Query, SignatureVersion::V4, Some(time), payload))
}

/// The payload hash a presigned request is signed over, and how its body must be read.
///
/// For S3 it is the `x-amz-content-sha256` **header** when one is sent, read and enforced as header
/// auth reads it (a SHA-256 the body must hash to, `UNSIGNED-PAYLOAD`, an aws-chunked body with
/// unsigned trailers), and `UNSIGNED-PAYLOAD` otherwise. An `X-Amz-Content-Sha256` query
/// parameter is only a signed query parameter: it names no payload hash and binds no body.
/// Evidence: botocore's query signer and the Go SDK put a set `X-Amz-Content-Sha256` header's
/// value in the canonical request of a presigned URL; the Go SDK once moved that header into the
/// query, and such URLs "would of always failed with invalid signature" on S3 (aws-sdk-go#1976;
/// its maintainer in #1974: "S3 requires the X-Amz-Content-Sha256 value to be a header if its
/// value is not UNSIGNED-PAYLOAD"); and a presigned PUT whose query says
/// `X-Amz-Content-Sha256=invalid-sha256`, signed with `UNSIGNED-PAYLOAD` (the AWS SDK for PHP's
/// `ContentSHA256`), was accepted by S3 with any body (minio/mint#216). So a URL that signed the
/// parameter's hash as its payload does not match, and one that signed `UNSIGNED-PAYLOAD` beside
/// it stores whatever is sent; a hash the caller wants enforced goes in the header, and then a
/// body that does not hash to it is S3's `XAmzContentSHA256Mismatch`, as for header auth.
///
/// Other services (STS) sign the body's hash, whatever the request says (see `crate::sts`).
fn payload_hash(req: &AuthRequest<'_>) -> S3Result<(Announced, String)> {
    if !req.is_s3() {
        let hash = req.body_sha256.unwrap_or(UNSIGNED_PAYLOAD);
        return Ok((Announced::Unsigned, hash.to_string()));
    }
    match header_values(req.headers, "x-amz-content-sha256").first() {
        Some(value) => Ok((announced_payload(value)?, value.to_string())),
        None => Ok((Announced::Unsigned, UNSIGNED_PAYLOAD.to_string())),
    }
}

/// Expired, or not yet valid; presigned URLs are never subject to the 15-minute skew rule.
fn check_time(
    cfg: &AuthConfig,
    signed_at: chrono::DateTime<Utc>,
    raw_expires: &str,
    expires_secs: i64,
) -> S3Result<()> {
    let now = cfg.clock.now();
    let expires_at = signed_at + Duration::seconds(expires_secs);
    if now > expires_at {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "Request has expired")
            .extra("X-Amz-Expires", raw_expires)
            .extra("Expires", iso8601(expires_at))
            .extra("ServerTime", iso8601(now)));
    }
    if signed_at > now + Duration::seconds(FUTURE_TOLERANCE_SECS) {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "Request is not yet valid")
            .extra("X-Amz-Date", signed_at.timestamp_millis().to_string())
            .extra("Expires", iso8601(expires_at))
            .extra("ServerTime", iso8601(now)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_bounds() {
        assert_eq!(parse_expires("604800").unwrap(), 604800);
        assert_eq!(parse_expires("1").unwrap(), 1);
        assert_eq!(parse_expires("0").unwrap_err().message, "X-Amz-Expires must be greater than 0");
        assert_eq!(parse_expires("604801").unwrap_err().code, ErrorCode::AuthorizationQueryParametersError);
        assert_eq!(parse_expires("-1").unwrap_err().message, "X-Amz-Expires must be non-negative");
        assert_eq!(parse_expires("1.5").unwrap_err().message, "X-Amz-Expires should be a number");
    }
}
