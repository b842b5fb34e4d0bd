//! The checks several schemes share, kept below them so that no scheme imports `mod.rs`: the
//! credential scope (SigV4 header, query and POST policy), signed and unsigned headers, the SigV4
//! signature with the cause of a mismatch, the clock skew of header-signed requests, session
//! tokens, and the errors for an unknown key or an unsupported mechanism.

use http::HeaderMap;

use super::canonical::{self, canonical_query, canonical_uri, scope, sign, signatures_equal, spaced_hex};
use super::clock;
use super::diagnose;
use super::log::AuthTrace;
use super::types::{AuthConfig, AuthRequest};
use crate::error::{ErrorCode, S3Error, S3Result};

/// Schemes S3 does not accept (and SigV2 in regions opened after 2014).
pub(super) fn unsupported_mechanism() -> S3Error {
    S3Error::with_message(
        ErrorCode::InvalidRequest,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

/// Where a credential scope came from; decides the error code and message prefix.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    Header,
    Query,
}

impl Source {
    pub(super) fn error(self, detail: impl std::fmt::Display) -> S3Error {
        match self {
            Source::Header => S3Error::with_message(
                ErrorCode::AuthorizationHeaderMalformed,
                format!("The authorization header is malformed; {detail}"),
            ),
            Source::Query => S3Error::with_message(
                ErrorCode::AuthorizationQueryParametersError,
                format!("Error parsing the X-Amz-Credential parameter; {detail}"),
            ),
        }
    }
}

/// A parsed `AKID/yyyyMMdd/region/service/aws4_request` credential.
#[derive(Debug, Clone)]
pub(super) struct CredentialScope {
    pub(super) access_key: String,
    pub(super) date: String,
    pub(super) region: String,
    pub(super) service: &'static str,
}

impl CredentialScope {
    pub(super) fn scope(&self) -> String {
        scope(&self.date, &self.region, self.service)
    }
}

/// Parses and checks a credential against the served region and `expected` service, in S3's
/// order: shape, date, region, service, terminal.
pub(super) fn parse_credential(
    cred: &str,
    region: &str,
    expected: &'static str,
    source: Source,
) -> S3Result<CredentialScope> {
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 || parts[0].is_empty() {
        return Err(source
            .error("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."));
    }
    let (akid, date, cred_region, service, terminal) = (parts[0], parts[1], parts[2], parts[3], parts[4]);
    if clock::parse_yyyymmdd(date).is_none() {
        return Err(source.error(format!(
            "incorrect date format \"{date}\". This date in the credential must be in the format \"yyyyMMdd\"."
        )));
    }
    if cred_region != region {
        return Err(source
            .error(format!("the region '{cred_region}' is wrong; expecting '{region}'"))
            .extra("Region", region));
    }
    if service != expected {
        return Err(source.error(format!("incorrect service \"{service}\". This endpoint belongs to \"{expected}\".")));
    }
    if terminal != canonical::TERMINAL {
        return Err(
            source.error(format!("incorrect terminal \"{terminal}\". This endpoint uses \"{}\".", canonical::TERMINAL))
        );
    }
    Ok(CredentialScope {
        access_key: akid.to_string(),
        date: date.to_string(),
        region: cred_region.to_string(),
        service: expected,
    })
}

/// `x-amz-*` headers present but not signed, sorted (S3's order is unconfirmed; sorting makes it
/// stable). `x-amz-content-sha256` is exempt, as on S3.
pub(super) fn unsigned_amz_headers(headers: &HeaderMap, signed: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-") && *k != "x-amz-content-sha256" && !signed.contains(k))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `AccessDenied` naming the headers that should have been signed, and what usually sends them.
pub(super) fn headers_not_signed(names: &[String]) -> S3Error {
    let mut e = S3Error::with_message(
        ErrorCode::AccessDenied,
        "There were headers present in the request which were not signed",
    )
    .extra("HeadersNotSigned", names.join(", "));
    e.cause = names.first().map(|n| unsigned_header_cause(n));
    e
}

/// What usually makes a client send `name` without the presigner having signed it.
pub(super) fn unsigned_header_cause(name: &str) -> String {
    let why = if name == "host" {
        "every SigV4 signature must cover host".to_string()
    } else if name.starts_with("x-amz-meta-") {
        "metadata must be given to the presigner (Metadata= in boto3 Params, Metadata in the JS and Go SDKs), not only sent by the client".to_string()
    } else if name.starts_with("x-amz-checksum-") || name == "x-amz-sdk-checksum-algorithm" {
        "a flexible checksum added by the sending SDK: turn it off there (request_checksum_calculation / requestChecksumCalculation = WHEN_REQUIRED) or give ChecksumAlgorithm to the presigner".to_string()
    } else if name == "x-amz-acl" || name.starts_with("x-amz-grant-") {
        "the ACL must be given to the presigner (ACL= in boto3 Params, ACL in the JS and Go SDKs)".to_string()
    } else if name.starts_with("x-amz-server-side-encryption") {
        "server-side encryption settings must be given to the presigner (ServerSideEncryption, SSEKMSKeyId)".to_string()
    } else if name == "x-amz-security-token" {
        "the session token must be in the presigned URL (X-Amz-Security-Token), signed with it".to_string()
    } else {
        "give it to the presigner so it is signed, or do not send it".to_string()
    };
    format!("{name} was sent but not signed: {why}")
}

/// Rejects a signed-headers list without `host` and, for S3, any unsigned `x-amz-*` header.
pub(super) fn check_signed_headers(req: &AuthRequest<'_>, signed: &[&str]) -> S3Result<()> {
    if !signed.contains(&"host") {
        return Err(headers_not_signed(&["host".to_string()]));
    }
    if !req.is_s3() {
        return Ok(());
    }
    let unsigned = unsigned_amz_headers(req.headers, signed);
    if !unsigned.is_empty() {
        return Err(headers_not_signed(&unsigned));
    }
    Ok(())
}

/// The values of header `name` as S3 signs them: each byte a character of ISO-8859-1, so bytes
/// outside ASCII are canonicalised as received, never replaced (S3's string to sign shows UTF-8
/// sent in a header as Latin-1 re-encoded, fog/fog#2942: such requests fail there, and here).
pub(super) fn signed_header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers.get_all(name).iter().map(|v| canonical::latin1(v.as_bytes())).collect()
}

/// The values of header `name` as UTF-8 strings, in order (empty when not UTF-8): for the headers
/// authentication parses (dates, tokens), never for what it signs.
pub(super) fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers.get_all(name).iter().map(|v| std::str::from_utf8(v.as_bytes()).unwrap_or("")).collect()
}

/// Every `x-amz-content-sha256` value S3 names in its error.
const CONTENT_SHA256_ERROR: &str = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";

/// What an `x-amz-content-sha256` value announces, before the signing key is known.
pub(super) enum Announced {
    Unsigned,
    Sha256(String),
    Streaming { trailer: bool },
    UnsignedTrailer,
}

/// Reads an `x-amz-content-sha256` value (header auth, and a presigned request that sends one):
/// S3's `InvalidArgument` for anything it does not name.
pub(super) fn announced_payload(value: &str) -> S3Result<Announced> {
    Ok(match value {
        "UNSIGNED-PAYLOAD" => Announced::Unsigned,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Announced::Streaming { trailer: false },
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Announced::Streaming { trailer: true },
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Announced::UnsignedTrailer,
        v if canonical::is_sha256_hex(v) => Announced::Sha256(v.to_ascii_lowercase()),
        v => return Err(S3Error::invalid_argument(CONTENT_SHA256_ERROR, "x-amz-content-sha256", v)),
    })
}

/// Everything that goes into one signature check.
pub(super) struct SignatureInput<'a> {
    pub(super) req: &'a AuthRequest<'a>,
    pub(super) scope: &'a CredentialScope,
    pub(super) amz_date: &'a str,
    pub(super) signed_headers: &'a str,
    pub(super) payload_hash: &'a str,
    pub(super) provided: &'a str,
    /// Query parameters that may stand in for a signed header that was not sent (presigned only).
    pub(super) hoisted: Option<&'a [(String, String)]>,
}

/// Recomputes the signature and compares it in constant time; on a mismatch returns S3's
/// `SignatureDoesNotMatch` with the canonical request and string to sign it expected, and the
/// cause when a known presigner mistake explains it. On success returns the signing key, which
/// aws-chunked bodies need.
pub(super) fn check_signature(
    cfg: &AuthConfig,
    input: &SignatureInput<'_>,
    trace: &mut AuthTrace,
) -> S3Result<[u8; 32]> {
    let signed: Vec<&str> = input.signed_headers.split(';').collect();
    let headers: Vec<(String, Vec<String>)> = signed
        .iter()
        .map(|name| {
            let vals = signed_header_values(input.req.headers, name);
            let vals = match (vals.is_empty(), input.hoisted) {
                (true, Some(params)) => {
                    params.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).collect()
                }
                _ => vals,
            };
            (name.to_string(), vals)
        })
        .collect();
    let signing = diagnose::Signing {
        method: input.req.method.as_str().to_string(),
        uri: canonical_uri(input.req.raw_path),
        query: canonical_query(input.req.raw_query),
        headers,
        signed_headers: input.signed_headers.to_string(),
        payload: input.payload_hash.to_string(),
        amz_date: input.amz_date.to_string(),
        date: input.scope.date.clone(),
        region: input.scope.region.clone(),
        service: input.scope.service.to_string(),
    };
    let creq = signing.canonical_request();
    let sts = signing.string_to_sign(&creq);
    let key = cfg
        .credentials
        .signing_key(&input.scope.access_key, &input.scope.date, &input.scope.region, input.scope.service)
        .ok_or_else(|| invalid_access_key(&input.scope.access_key))?;
    let expected = sign(&key, &sts);
    if signatures_equal(&expected, &input.provided.to_ascii_lowercase()) {
        trace.canonical_request = Some(creq);
        trace.string_to_sign = Some(sts);
        return Ok(key);
    }
    trace.canonical_request = Some(creq.clone());
    trace.string_to_sign = Some(sts.clone());
    tracing::debug!(canonical_request = %creq, string_to_sign = %sts, "signature mismatch");
    let cause = diagnose::allowed().then(|| {
        let request = diagnose::Request {
            raw_path: input.req.raw_path,
            raw_query: input.req.raw_query,
            access_key: &input.scope.access_key,
            provided: input.provided,
            presigned: input.hoisted.is_some(),
        };
        diagnose::sigv4(cfg, &signing, &request).unwrap_or_else(|| diagnose::UNEXPLAINED.to_string().into())
    });
    let shown = withhold_browser_credentials(&creq, ':', '\n');
    let shown_bytes = spaced_hex(&shown);
    let mut error = S3Error::new(ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", input.scope.access_key.clone())
        .extra("StringToSign", sts.clone())
        .extra("SignatureProvided", input.provided)
        .extra("StringToSignBytes", spaced_hex(&sts))
        .extra("CanonicalRequest", shown)
        .extra("CanonicalRequestBytes", shown_bytes);
    if let Some(cause) = cause {
        cause.attach(&mut error, trace);
    }
    Err(error)
}

/// What a browser adds to a request on its own: its cookies for the host (every port's: cookies
/// ignore ports, so other local apps' `HttpOnly` session cookies among them) and credentials it
/// remembered for the host.
const BROWSER_CREDENTIALS: [&str; 2] = ["cookie", "authorization"];

/// A canonical request (or COS format string) as shown in an error document: a page on this
/// origin can make a request signing `cookie` and read the echo, so the values of
/// [`BROWSER_CREDENTIALS`] headers are withheld from the response (the auth log keeps them). The
/// header lines are `name<sep>value`, ended by `end`. S3 echoes them: on S3's own origin no other
/// application's cookies are sent; here, next to other local servers, they are.
pub(super) fn withhold_browser_credentials(text: &str, sep: char, end: char) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split(end).enumerate() {
        if i > 0 {
            out.push(end);
        }
        match part.split_once(sep) {
            Some((name, _)) if BROWSER_CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c)) => {
                out.push_str(name);
                out.push(sep);
                out.push_str("(withheld: a browser's credentials are not echoed; the auth log has them)");
            }
            _ => out.push_str(part),
        }
    }
    out
}

pub(super) fn invalid_access_key(access_key: &str) -> S3Error {
    S3Error::new(ErrorCode::InvalidAccessKeyId).extra("AWSAccessKeyId", access_key)
}

/// The largest difference between a header-signed request's time and the server's now.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// `AccessDenied` for a header-signed request without a usable date.
pub(super) fn missing_date() -> S3Error {
    S3Error::with_message(ErrorCode::AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

/// `RequestTimeTooSkewed` unless `time` is within 15 minutes of the server's now; `raw` is the
/// header value S3 echoes in `RequestTime`. Presigned URLs are never subject to this.
pub(super) fn check_skew(cfg: &AuthConfig, time: chrono::DateTime<chrono::Utc>, raw: &str) -> S3Result<()> {
    let now = cfg.clock.now();
    if (now - time).num_milliseconds().abs() > MAX_SKEW_MS {
        return Err(S3Error::new(ErrorCode::RequestTimeTooSkewed)
            .extra("RequestTime", raw)
            .extra("ServerTime", clock::iso8601(now))
            .extra("MaxAllowedSkewMilliseconds", MAX_SKEW_MS.to_string()));
    }
    Ok(())
}

/// The session token rules, checked before the signature: a session key needs its token, a token
/// must be known and belong to the key, and an expired session fails even inside a presigned URL's
/// own validity.
pub(super) fn check_session(cfg: &AuthConfig, access_key: &str, token: Option<&str>) -> S3Result<()> {
    let Some(token) = token else {
        if cfg.credentials.is_session_key(access_key) {
            let mut e = invalid_access_key(access_key);
            e.cause =
                Some(format!("{access_key} is a temporary key: its session token (X-Amz-Security-Token) is missing"));
            return Err(e);
        }
        return Ok(());
    };
    let session = cfg.credentials.session(token).filter(|s| s.access_key == access_key).ok_or_else(|| {
        let mut e =
            S3Error::with_message(ErrorCode::InvalidToken, "The provided token is malformed or otherwise invalid.");
        e.cause = Some(if cfg.credentials.session(token).is_some() {
            format!("the session token belongs to another temporary key than {access_key}")
        } else {
            "the session token is not one the server issued (altered, truncated or from another server?)".to_string()
        });
        e
    })?;
    if cfg.clock.now() > session.expires_at {
        return Err(S3Error::with_message(ErrorCode::ExpiredToken, "The provided token has expired."));
    }
    Ok(())
}
