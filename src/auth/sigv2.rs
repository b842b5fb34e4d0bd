//! Signature Version 2: `Authorization: AWS AKID:signature` and presigned query strings
//! (`AWSAccessKeyId`, `Expires`, `Signature`), which botocore and the AWS CLI still produce by
//! default for presigned URLs in us-east-1.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html>
//!
//! StringToSign = Method\nContent-MD5\nContent-Type\nDate-or-Expires\n
//!                CanonicalizedAmzHeaders CanonicalizedResource
//! Signature    = Base64(HMAC-SHA1(secret, StringToSign))

use chrono::{DateTime, Utc};

use super::canonical::{signatures_equal, spaced_hex};
pub use super::canonical_v2::{canonical_resource, sign, string_to_sign};
use super::checks::{
    check_session, check_skew, header_values, invalid_access_key, missing_date, signed_header_values,
    unsupported_mechanism,
};
use super::clock::iso8601;
use super::diagnose::{self, V2Signing};
use super::log::AuthTrace;
use super::types::{AuthConfig, AuthRequest, AuthType, Payload, SignatureVersion, Verified};
use crate::error::{ErrorCode, S3Error, S3Result};

/// Regions that still accept SigV2: those opened before 2014. Newer regions answer every SigV2
/// request with "The authorization mechanism you have provided is not supported".
const SIGV2_REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

fn first_header(req: &AuthRequest<'_>, name: &str) -> String {
    signed_header_values(req.headers, name).into_iter().next().unwrap_or_default()
}

/// `x-amz-*` request headers, and for query auth also `x-amz-*` query parameters (botocore moves
/// metadata there and S3 signs and applies them).
fn amz_headers(req: &AuthRequest<'_>, include_query: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("x-amz-"))
        .map(|(n, v)| (n.as_str().to_string(), super::canonical::latin1(v.as_bytes())))
        .collect();
    if include_query {
        for (n, v) in req.query {
            let lower = n.to_ascii_lowercase();
            if lower.starts_with("x-amz-") {
                out.push((lower, v.clone()));
            }
        }
    }
    out
}

/// What `req` signs, with `date_or_expires` on the date line; query auth also signs `x-amz-*`
/// query parameters.
fn request_signing(req: &AuthRequest<'_>, date_or_expires: &str, query_auth: bool) -> V2Signing {
    V2Signing {
        method: req.method.as_str().to_string(),
        content_md5: first_header(req, "content-md5"),
        content_type: first_header(req, "content-type"),
        date_or_expires: date_or_expires.to_string(),
        amz: amz_headers(req, query_auth),
        resource: canonical_resource(req.vhost_bucket, req.raw_path, req.raw_query),
    }
}

fn check_region(cfg: &AuthConfig) -> S3Result<()> {
    if SIGV2_REGIONS.contains(&cfg.region.as_str()) {
        Ok(())
    } else {
        Err(unsupported_mechanism())
    }
}

/// Compares the signature; on a mismatch, S3's error with the string to sign (no canonical
/// request in SigV2) and the cause when a known mistake explains it.
fn check_signature(
    cfg: &AuthConfig,
    req: &AuthRequest<'_>,
    access_key: &str,
    signing: &V2Signing,
    provided: &str,
    trace: &mut AuthTrace,
) -> S3Result<()> {
    let Some(secret) = cfg.credentials.secret(access_key) else {
        return Err(invalid_access_key(access_key));
    };
    let sts = signing.string_to_sign();
    if signatures_equal(&sign(&secret, &sts), provided) {
        return Ok(());
    }
    tracing::debug!(string_to_sign = %sts, "SigV2 signature mismatch");
    let host = req.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let cause = diagnose::allowed().then(|| {
        diagnose::sigv2(cfg, signing, access_key, provided, host)
            .unwrap_or_else(|| diagnose::UNEXPLAINED.to_string().into())
    });
    let mut e = S3Error::new(ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", access_key)
        .extra("StringToSign", sts.clone())
        .extra("SignatureProvided", provided)
        .extra("StringToSignBytes", spaced_hex(&sts));
    if let Some(cause) = cause {
        cause.attach(&mut e, trace);
    }
    Err(e)
}

/// A SigV2 `Date` or `x-amz-date`: RFC 1123 (`Tue, 27 Mar 2007 19:36:42 +0000` or `GMT`), whose
/// weekday S3 does not check (ceph's s3-tests send `Tue, 07 Jul 2010`, a Wednesday, and S3 answers
/// `RequestTimeTooSkewed`), or the other HTTP date forms. A date before 1970 is no valid date (the
/// same tests expect `AccessDenied` from S3 for 1950).
fn parse_v2_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    let without_weekday = t.split_once(", ").map_or(t, |(_, rest)| rest);
    let parsed = ["%d %b %Y %H:%M:%S GMT", "%d %b %Y %H:%M:%S UT", "%d %b %Y %H:%M:%S UTC"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(without_weekday, f).ok())
        .map(|n| n.and_utc())
        .or_else(|| chrono::DateTime::parse_from_str(without_weekday, "%d %b %Y %H:%M:%S %z").ok().map(|d| d.to_utc()))
        .or_else(|| httpdate::parse_http_date(t).ok().map(DateTime::<Utc>::from))?;
    (parsed.timestamp() >= 0).then_some(parsed)
}

/// Verifies a SigV2 presigned URL.
pub(super) fn verify_query(cfg: &AuthConfig, req: &AuthRequest<'_>, trace: &mut AuthTrace) -> S3Result<Verified> {
    let get = |name: &str| req.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let (Some(access_key), Some(expires), Some(signature)) = (get("AWSAccessKeyId"), get("Expires"), get("Signature"))
    else {
        return Err(S3Error::with_message(
            ErrorCode::AccessDenied,
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ));
    };
    check_region(cfg)?;
    trace.access_key = Some(access_key.to_string());
    if !cfg.credentials.contains(access_key) {
        return Err(invalid_access_key(access_key));
    }
    let token = get("x-amz-security-token").or(header_values(req.headers, "x-amz-security-token").first().copied());
    check_session(cfg, access_key, token)?;
    let signing = request_signing(req, expires, true);
    check_signature(cfg, req, access_key, &signing, signature, trace)?;
    let expires_at =
        expires.parse::<i64>().ok().and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0)).ok_or_else(|| {
            S3Error::with_message(ErrorCode::AccessDenied, "Invalid date (should be seconds since epoch)")
        })?;
    trace.expires = Some(iso8601(expires_at));
    let now = cfg.clock.now();
    if now > expires_at {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "Request has expired")
            .extra("Expires", iso8601(expires_at))
            .extra("ServerTime", iso8601(now)));
    }
    Ok(Verified::signed(access_key.to_string(), AuthType::Query, SignatureVersion::V2, None, Payload::Unsigned))
}

/// Verifies `Authorization: AWS AKID:signature`.
pub(super) fn verify_header(
    cfg: &AuthConfig,
    req: &AuthRequest<'_>,
    credentials: &str,
    trace: &mut AuthTrace,
) -> S3Result<Verified> {
    check_region(cfg)?;
    let Some((access_key, signature)) = credentials.trim().split_once(':') else {
        return Err(S3Error::invalid_argument(
            "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            "Authorization",
            &format!("AWS {credentials}"),
        ));
    };
    trace.access_key = Some(access_key.to_string());
    let amz_date = header_values(req.headers, "x-amz-date").first().copied();
    let raw_date = amz_date.or(header_values(req.headers, "date").first().copied());
    let time = raw_date.and_then(parse_v2_date).ok_or_else(missing_date)?;
    check_skew(cfg, time, raw_date.unwrap_or_default())?;
    if !cfg.credentials.contains(access_key) {
        return Err(invalid_access_key(access_key));
    }
    check_session(cfg, access_key, header_values(req.headers, "x-amz-security-token").first().copied())?;
    // With x-amz-date the Date line is empty: the date is signed among the x-amz headers.
    let date_line = if amz_date.is_some() { "" } else { raw_date.unwrap_or_default() };
    let signing = request_signing(req, date_line, false);
    check_signature(cfg, req, access_key, &signing, signature, trace)?;
    Ok(Verified::signed(access_key.to_string(), AuthType::Header, SignatureVersion::V2, Some(time), Payload::Unsigned))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// The documentation examples (behaviour spec 7.8).
    #[test]
    fn documentation_vectors() {
        let sts = string_to_sign("GET", "", "", "1175139620", &[], "/johnsmith/photos/puppy.jpg");
        assert_eq!(sts, "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
        assert_eq!(sign(SECRET, &sts), "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
        let sts = string_to_sign("GET", "", "", "1175139620", &[], "/awsexamplebucket1/photos/puppy.jpg");
        assert_eq!(sign(SECRET, &sts), "1No4mq5ETf02z8aet9voy6gui6E=");
        let sts = string_to_sign("GET", "", "", "Tue, 27 Mar 2007 19:36:42 +0000", &[], "/johnsmith/photos/puppy.jpg");
        assert_eq!(sign(SECRET, &sts), "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    }

    #[test]
    fn dates_as_s3_reads_them() {
        let at = |t: &str| parse_v2_date(t).map(|d| d.to_rfc3339());
        assert_eq!(at("Tue, 27 Mar 2007 19:36:42 +0000").as_deref(), Some("2007-03-27T19:36:42+00:00"));
        assert_eq!(at("Tue, 07 Jul 2010 21:53:04 GMT").as_deref(), Some("2010-07-07T21:53:04+00:00"), "wrong weekday");
        assert_eq!(at("Tue, 07 Jul 9999 21:53:04 GMT").as_deref(), Some("9999-07-07T21:53:04+00:00"));
        assert_eq!(at("Tue, 07 Jul 1950 21:53:04 GMT"), None);
        assert_eq!(at("Sunday, 06-Nov-94 08:49:37 GMT").as_deref(), Some("1994-11-06T08:49:37+00:00"));
        assert_eq!(at(""), None);
        assert_eq!(at("yesterday"), None);
    }

    #[test]
    fn resource_and_amz_headers() {
        assert_eq!(canonical_resource(None, "/bucket", "location"), "/bucket/?location");
        assert_eq!(canonical_resource(None, "/bucket/", ""), "/bucket/");
        assert_eq!(canonical_resource(None, "/", ""), "/");
        assert_eq!(canonical_resource(Some("b"), "/k%20x", "uploads&prefix=p&acl"), "/b/k%20x?acl&uploads");
        assert_eq!(
            canonical_resource(None, "/b/k", "response-content-type=text%2Fplain&uploadId=u&x=1"),
            "/b/k?response-content-type=text/plain&uploadId=u"
        );
        let amz = [
            ("x-amz-meta-b".to_string(), " 2".to_string()),
            ("x-amz-meta-a".into(), "1".into()),
            ("x-amz-meta-b".into(), "3".into()),
        ];
        assert_eq!(
            string_to_sign("PUT", "m", "t", "e", &amz, "/r"),
            "PUT\nm\nt\ne\nx-amz-meta-a:1\nx-amz-meta-b:2,3\n/r"
        );
    }
}
