//! Request authentication, exactly as Amazon S3 judges it.
//!
//! [`verify`] looks at a request's `Authorization` header and query string and either rejects it
//! with S3's error or returns [`Verified`]: who signed it and how its payload must be checked.
//! `header.rs` holds SigV4 in the `Authorization` header, `presigned.rs` SigV4 in the query string,
//! `chunked.rs` the aws-chunked payload that header auth can announce, `sigv2.rs` Signature
//! Version 2 (header and query), `cos.rs` Tencent COS's q-sign scheme (header and query),
//! `canonical.rs` the pure signing functions, `credentials.rs` the keys, `clock.rs` the server's
//! time and `log.rs` the auth decision log.

pub mod canonical;
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

use http::{HeaderMap, Method};

use crate::error::{ErrorCode, S3Error, S3Result};
use canonical::{canonical_query, canonical_uri, scope, sign, signatures_equal, spaced_hex};
pub use clock::Clock;
pub use credentials::Credentials;
pub use log::AuthTrace;

/// The service name in the SigV4 scope of S3 requests.
pub const SERVICE: &str = "s3";
/// The service name in the SigV4 scope of STS requests.
pub const STS_SERVICE: &str = "sts";

/// What the verifier needs from the server: the region it serves, the keys, the clock.
#[derive(Debug)]
pub struct AuthConfig {
    pub region: String,
    pub credentials: Credentials,
    pub clock: Clock,
    /// The domain of virtual-hosted addressing, which explaining a mismatch tries as a host.
    pub domain: Option<String>,
}

/// The parts of a request that authentication reads.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    pub method: &'a Method,
    /// The path exactly as received (still percent-encoded).
    pub raw_path: &'a str,
    /// The query exactly as received, without `?`.
    pub raw_query: &'a str,
    /// The same query as (name, value) pairs, each decoded once ([`parse_query`]).
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    /// The bucket when it was addressed virtual-hosted style (SigV2 signs it in the resource).
    pub vhost_bucket: Option<&'a str>,
    /// The service the request is signed for: `s3`, or `sts` for the STS endpoint.
    pub service: &'static str,
    /// For services other than S3, the SHA-256 of the body, which the signature covers (they have
    /// no `x-amz-content-sha256` header).
    pub body_sha256: Option<&'a str>,
}

impl<'a> AuthRequest<'a> {
    /// An S3 request.
    pub fn s3(
        method: &'a Method,
        raw_path: &'a str,
        raw_query: &'a str,
        query: &'a [(String, String)],
        headers: &'a HeaderMap,
        vhost_bucket: Option<&'a str>,
    ) -> Self {
        AuthRequest { method, raw_path, raw_query, query, headers, vhost_bucket, service: SERVICE, body_sha256: None }
    }

    /// Whether the request is for S3 (rather than STS).
    fn is_s3(&self) -> bool {
        self.service == SERVICE
    }
}

/// How a request proved who sent it: the `s3:authType` condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// Signed in the `Authorization` header.
    Header,
    /// Signed in the query string (a presigned URL).
    Query,
    /// A browser form with a signed policy.
    Post,
    /// Not signed at all.
    Anonymous,
}

impl AuthType {
    /// The value of `s3:authType`; `None` for anonymous requests, which have no such key.
    pub fn policy_value(self) -> Option<&'static str> {
        match self {
            AuthType::Header => Some("REST-HEADER"),
            AuthType::Query => Some("REST-QUERY-STRING"),
            AuthType::Post => Some("POST"),
            AuthType::Anonymous => None,
        }
    }
}

/// The signature scheme: the `s3:signatureversion` condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    V2,
    V4,
    /// Tencent COS's `q-sign-algorithm=sha1`.
    Cos,
}

impl SignatureVersion {
    /// The value of `s3:signatureversion`.
    pub fn policy_value(self) -> &'static str {
        match self {
            SignatureVersion::V2 => "AWS",
            SignatureVersion::V4 => "AWS4-HMAC-SHA256",
            // S3 has no value for COS signatures; this server's name for them.
            SignatureVersion::Cos => "COS-SHA1",
        }
    }
}

/// How the request body must be read and checked.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Taken as sent (`UNSIGNED-PAYLOAD`, presigned URLs).
    Unsigned,
    /// Must hash to this lowercase hex SHA-256.
    Sha256(String),
    /// aws-chunked with a signature per chunk (and a signed trailer when `trailer`).
    StreamingSigned(chunked::ChunkSigner),
    /// aws-chunked without signatures, followed by trailers.
    StreamingUnsignedTrailer,
    /// The file of a POST form, whose length the signed policy may bound (inclusive).
    Form { length_range: Option<(u64, u64)> },
}

/// What authentication established about a request: who signed it (nobody, for an anonymous
/// request), how, when, and how its body must be read.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The access key that signed the request; `None` when nobody did.
    pub access_key: Option<String>,
    pub auth_type: AuthType,
    pub signature_version: Option<SignatureVersion>,
    /// When the signature was made, for `s3:signatureAge`; unknown for SigV2 query strings,
    /// which carry only their expiry.
    pub signed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub payload: Payload,
}

impl Verified {
    /// An unsigned request.
    pub fn anonymous() -> Self {
        Verified {
            access_key: None,
            auth_type: AuthType::Anonymous,
            signature_version: None,
            signed_at: None,
            payload: Payload::Unsigned,
        }
    }

    /// A request signed by `access_key`.
    fn signed(
        access_key: String,
        auth_type: AuthType,
        version: SignatureVersion,
        signed_at: Option<chrono::DateTime<chrono::Utc>>,
        payload: Payload,
    ) -> Self {
        Verified { access_key: Some(access_key), auth_type, signature_version: Some(version), signed_at, payload }
    }
}

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

/// Schemes S3 does not accept (and SigV2 in regions opened after 2014).
fn unsupported_mechanism() -> S3Error {
    S3Error::with_message(
        ErrorCode::InvalidRequest,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
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

/// Where a credential scope came from; decides the error code and message prefix.
#[derive(Debug, Clone, Copy)]
enum Source {
    Header,
    Query,
}

impl Source {
    fn error(self, detail: impl std::fmt::Display) -> S3Error {
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
struct CredentialScope {
    access_key: String,
    date: String,
    region: String,
    service: &'static str,
}

impl CredentialScope {
    fn scope(&self) -> String {
        scope(&self.date, &self.region, self.service)
    }
}

/// Parses and checks a credential against the served region and `expected` service, in S3's
/// order: shape, date, region, service, terminal.
fn parse_credential(cred: &str, region: &str, expected: &'static str, source: Source) -> S3Result<CredentialScope> {
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
fn unsigned_amz_headers(headers: &HeaderMap, signed: &[&str]) -> Vec<String> {
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
fn headers_not_signed(names: &[String]) -> S3Error {
    let mut e = S3Error::with_message(
        ErrorCode::AccessDenied,
        "There were headers present in the request which were not signed",
    )
    .extra("HeadersNotSigned", names.join(", "));
    e.cause = names.first().map(|n| unsigned_header_cause(n));
    e
}

/// What usually makes a client send `name` without the presigner having signed it.
fn unsigned_header_cause(name: &str) -> String {
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
fn check_signed_headers(req: &AuthRequest<'_>, signed: &[&str]) -> S3Result<()> {
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
pub(crate) fn signed_header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers.get_all(name).iter().map(|v| canonical::latin1(v.as_bytes())).collect()
}

/// The values of header `name` as UTF-8 strings, in order (empty when not UTF-8): for the headers
/// authentication parses (dates, tokens), never for what it signs.
fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers.get_all(name).iter().map(|v| std::str::from_utf8(v.as_bytes()).unwrap_or("")).collect()
}

/// Everything that goes into one signature check.
struct SignatureInput<'a> {
    req: &'a AuthRequest<'a>,
    scope: &'a CredentialScope,
    amz_date: &'a str,
    signed_headers: &'a str,
    payload_hash: &'a str,
    provided: &'a str,
    /// Query parameters that may stand in for a signed header that was not sent (presigned only).
    hoisted: Option<&'a [(String, String)]>,
}

/// Recomputes the signature and compares it in constant time; on a mismatch returns S3's
/// `SignatureDoesNotMatch` with the canonical request and string to sign it expected, and the
/// cause when a known presigner mistake explains it. On success returns the signing key, which
/// aws-chunked bodies need.
fn check_signature(cfg: &AuthConfig, input: &SignatureInput<'_>, trace: &mut AuthTrace) -> S3Result<[u8; 32]> {
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
        diagnose::sigv4(cfg, &signing, &request).unwrap_or_else(|| diagnose::UNEXPLAINED.to_string())
    });
    let mut error = S3Error::new(ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", input.scope.access_key.clone())
        .extra("StringToSign", sts.clone())
        .extra("SignatureProvided", input.provided)
        .extra("StringToSignBytes", spaced_hex(&sts))
        .extra("CanonicalRequest", creq.clone())
        .extra("CanonicalRequestBytes", spaced_hex(&creq));
    error.cause = cause;
    Err(error)
}

fn invalid_access_key(access_key: &str) -> S3Error {
    S3Error::new(ErrorCode::InvalidAccessKeyId).extra("AWSAccessKeyId", access_key)
}

/// The largest difference between a header-signed request's time and the server's now.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// `AccessDenied` for a header-signed request without a usable date.
fn missing_date() -> S3Error {
    S3Error::with_message(ErrorCode::AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

/// `RequestTimeTooSkewed` unless `time` is within 15 minutes of the server's now; `raw` is the
/// header value S3 echoes in `RequestTime`. Presigned URLs are never subject to this.
fn check_skew(cfg: &AuthConfig, time: chrono::DateTime<chrono::Utc>, raw: &str) -> S3Result<()> {
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
fn check_session(cfg: &AuthConfig, access_key: &str, token: Option<&str>) -> S3Result<()> {
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
