//! The types every authentication scheme shares: what the verifier is given (the server's
//! [`AuthConfig`], the request's [`AuthRequest`]) and what it yields ([`Verified`]: who signed, by
//! which [`AuthType`] and [`SignatureVersion`], and how the [`Payload`] must be read). They live
//! below `mod.rs` and the scheme files so that each scheme can use them without importing its
//! parent (`mod.rs` re-exports them as `crate::auth::*`).

use http::{HeaderMap, Method};

use super::chunked::ChunkSigner;
use super::clock::Clock;
use super::credentials::Credentials;

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
    /// The same query as (name, value) pairs, each decoded once ([`super::parse_query`]).
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
    pub(super) fn is_s3(&self) -> bool {
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
    StreamingSigned(ChunkSigner),
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
    pub(super) fn signed(
        access_key: String,
        auth_type: AuthType,
        version: SignatureVersion,
        signed_at: Option<chrono::DateTime<chrono::Utc>>,
        payload: Payload,
    ) -> Self {
        Verified { access_key: Some(access_key), auth_type, signature_version: Some(version), signed_at, payload }
    }
}
