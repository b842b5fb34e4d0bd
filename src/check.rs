//! `s3strict check-url`: the conformance checker for presigner authors. It judges a presigned URL
//! offline with the same verifier the server uses and says why S3 would refuse it: the error S3
//! would answer, the canonical request and string to sign it expected, and, given the canonical
//! request the presigner computed, the first place where the two differ.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::auth::clock::ClockSetting;
use crate::auth::{self, AuthConfig, AuthRequest, AuthTrace, Clock, Credentials};

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckInput {
    pub url: String,
    pub method: String,
    /// Headers the client will send besides `Host` (taken from the URL).
    pub headers: Vec<(String, String)>,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// Domain for virtual-hosted-style URLs (SigV2 signs the bucket in the resource).
    pub domain: Option<String>,
    /// When to judge the URL; now by default.
    pub at: Option<DateTime<Utc>>,
    /// The canonical request the presigner computed, to locate the first difference.
    pub canonical_request: Option<String>,
}

/// The verdict: as text for the terminal, as a JSON document (`--json`), and whether S3 would
/// accept the request.
pub struct Report {
    pub accepted: bool,
    pub text: String,
    /// `accepted`, `mechanism`, `access_key`, `expires`; when accepted also `payload_sha256` if the
    /// signature binds the body to a SHA-256; when refused also `status`, `code`,
    /// `message`, `elements` (S3's extra elements by name), `cause` and `first_difference`
    /// (`line`, `column`, `expected`, `given`).
    pub json: serde_json::Value,
}

/// Where two texts first differ: (line, column, expected rest of line, given rest of line),
/// lines and columns from 1.
pub fn first_difference(expected: &str, given: &str) -> Option<(usize, usize, String, String)> {
    // The byte offset of the first differing character; the prefixes before it are identical.
    let mut at = None;
    let mut e = expected.char_indices();
    let mut g = given.chars();
    loop {
        match (e.next(), g.next()) {
            (Some((_, a)), Some(b)) if a == b => continue,
            (Some((i, _)), _) => at = Some(i),
            (None, Some(_)) => at = Some(expected.len()),
            (None, None) => {}
        }
        break;
    }
    let at = at?;
    let before = &expected[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let rest = |s: &str| s.get(at..).unwrap_or("").split('\n').next().unwrap_or("").to_string();
    Some((line, column, rest(expected), rest(given)))
}

/// Judges the URL with the given key, region and time.
pub fn check(input: &CheckInput) -> Result<Report, String> {
    let clock = Clock::new(match input.at {
        Some(at) => ClockSetting::Frozen(at),
        None => ClockSetting::Real,
    });
    let cfg = AuthConfig {
        region: input.region.clone(),
        credentials: Credentials::single(&input.access_key, &input.secret_key),
        clock,
        domain: input.domain.clone(),
    };
    check_with(&cfg, input)
}

/// Judges the URL as a server with `cfg` (its identities, region, clock and domain) would; the
/// key, region, domain and time in `input` are not used. The console's "Check a URL" runs this
/// with the running server's settings.
pub fn check_with(cfg: &AuthConfig, input: &CheckInput) -> Result<Report, String> {
    let uri: http::Uri = input.url.trim().parse().map_err(|e| format!("not a URL: {e}"))?;
    let authority = uri.authority().ok_or("the URL has no host")?.as_str().to_string();
    let method: Method = input.method.parse().map_err(|_| format!("not an HTTP method: {}", input.method))?;
    let mut headers = HeaderMap::new();
    headers.insert(http::header::HOST, HeaderValue::from_str(&authority).map_err(|e| e.to_string())?);
    for (n, v) in &input.headers {
        let name = HeaderName::from_bytes(n.trim().as_bytes()).map_err(|_| format!("bad header name {n:?}"))?;
        let value = HeaderValue::from_str(v.trim()).map_err(|_| format!("bad header value for {n}"))?;
        headers.append(name, value);
    }
    let raw_path = uri.path();
    let raw_query = uri.query().unwrap_or("");
    let query = auth::parse_query(raw_query);
    let target = crate::router::target(Some(&authority), raw_path, cfg.domain.as_deref()).ok();
    let vhost_bucket = target.as_ref().filter(|t| t.virtual_host).and_then(|t| t.bucket.as_deref());
    let mut trace = AuthTrace::default();
    let req = AuthRequest::s3(&method, raw_path, raw_query, &query, &headers, vhost_bucket);
    let mut out = String::new();
    // Second line of the text, after the verdict.
    let judged = format!("judged as: {method} (-X/--method to change)\n");
    // A URL without any signature is anonymous: S3 refuses it unless the bucket is public.
    let mut unsigned = false;
    let verdict = auth::verify(cfg, &req, &mut trace).and_then(|v| match v.access_key {
        Some(key) => Ok((key, v.payload)),
        None => {
            unsigned = true;
            Err(crate::error::S3Error::new(crate::error::ErrorCode::AccessDenied))
        }
    });
    let mut json = serde_json::json!({
        "method": method.as_str(),
        "mechanism": trace.mechanism,
        "access_key": trace.access_key,
        "expires": trace.expires,
    });
    match verdict {
        Ok((access_key, payload)) => {
            let _ = writeln!(out, "verdict: accepted (as {} by {access_key})", trace.mechanism.unwrap_or("?"));
            out.push_str(&judged);
            if let Some(exp) = &trace.expires {
                let _ = writeln!(out, "expires: {exp}");
            }
            // The signature binds the body: S3 refuses any other with XAmzContentSHA256Mismatch.
            if let auth::Payload::Sha256(hash) = payload {
                let _ = writeln!(out, "payload: the body must have the SHA-256 {hash} (x-amz-content-sha256)");
                json["payload_sha256"] = hash.into();
            }
            json["accepted"] = true.into();
            Ok(Report { accepted: true, text: out, json })
        }
        Err(e) => {
            let (name, status) = e.code.name_and_status();
            let _ = writeln!(
                out,
                "verdict: rejected\n{judged}status: {}\ncode: {name}\nmessage: {}",
                status.as_u16(),
                e.message
            );
            // What the presigner's own canonical text is compared with: S3's canonical request, or
            // COS's HttpString.
            let mut expected_creq = None;
            let mut service = "S3";
            let mut elements = serde_json::Map::new();
            for (k, v) in &e.extras {
                if k.ends_with("Bytes") {
                    continue;
                }
                elements.insert(k.to_string(), v.clone().into());
                if v.contains('\n') {
                    let _ = writeln!(out, "{k}:\n{v}\n--");
                } else {
                    let _ = writeln!(out, "{k}: {v}");
                }
                if *k == "CanonicalRequest" || *k == "FormatString" {
                    expected_creq = Some(v.clone());
                    service = if *k == "FormatString" { "COS" } else { "S3" };
                }
            }
            json["accepted"] = false.into();
            json["status"] = status.as_u16().into();
            json["code"] = name.into();
            json["message"] = e.message.clone().into();
            json["elements"] = elements.into();
            // check-url is the operator's tool (the CLI with the key given, the console's "Check a
            // URL"): it names whose secret signed, as the auth log does.
            if let Some(cause) = trace.admin_cause.as_ref().or(e.cause.as_ref()) {
                let _ = writeln!(out, "cause: {cause}");
                json["cause"] = cause.clone().into();
            }
            let hint = if unsigned {
                Some(
                    "the URL carries no signature (no X-Amz-Signature, Signature or q-signature): S3 takes it \
                     as an anonymous request, refused unless the bucket grants public access"
                        .to_string(),
                )
            } else if e.code == crate::error::ErrorCode::SignatureDoesNotMatch {
                signed_for_another_method(cfg, &method, raw_path, raw_query, &query, &headers, vhost_bucket)
                    .map(|m| format!("the URL verifies for {m}: signed for another method? try -X {m}"))
            } else {
                None
            };
            if let Some(hint) = hint {
                let _ = writeln!(out, "hint: {hint}");
                json["hint"] = hint.into();
            }
            if let (Some(expected), Some(given)) = (expected_creq, &input.canonical_request) {
                let given = if service == "COS" { given.as_str() } else { given.trim_end_matches('\n') };
                match first_difference(&expected, given) {
                    Some((line, col, e, g)) => {
                        let _ = writeln!(
                            out,
                            "first difference: line {line}, column {col}: {service} expects {e:?}, the presigner has {g:?}"
                        );
                        json["first_difference"] =
                            serde_json::json!({"line": line, "column": col, "expected": e, "given": g});
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "the canonical requests agree: the signature was made with another secret key (or for another date or region)"
                        );
                        json["first_difference"] = serde_json::Value::Null;
                        json["canonical_requests_agree"] = true.into();
                    }
                }
            }
            Ok(Report { accepted: false, text: out, json })
        }
    }
}

/// The method, other than `asked`, for which the URL's signature verifies, if any: the usual
/// mistake behind a mismatch of a correct presigner's URL is using it with another method.
fn signed_for_another_method(
    cfg: &AuthConfig,
    asked: &Method,
    path: &str,
    raw_query: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    vhost_bucket: Option<&str>,
) -> Option<Method> {
    [Method::GET, Method::PUT, Method::HEAD, Method::DELETE, Method::POST].into_iter().filter(|m| m != asked).find(
        |m| {
            let req = AuthRequest::s3(m, path, raw_query, query, headers, vhost_bucket);
            auth::verify(cfg, &req, &mut AuthTrace::default()).is_ok()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences() {
        assert_eq!(first_difference("a\nb%2Fc\n", "a\nb/c\n"), Some((2, 2, "%2Fc".into(), "/c".into())));
        assert_eq!(first_difference("same", "same"), None);
        assert_eq!(first_difference("ab", "abc"), Some((1, 3, "".into(), "c".into())));
        assert_eq!(first_difference("é/x", "é/y"), Some((1, 3, "x".into(), "y".into())));
    }

    /// The S3 documentation's presigned URL (behaviour spec 7.1) judged at its own date, and the
    /// same URL with one character changed.
    #[test]
    fn documentation_url() {
        let url = "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        let input = CheckInput {
            url: url.into(),
            method: "GET".into(),
            headers: vec![],
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
            domain: None,
            at: Some(DateTime::parse_from_rfc3339("2013-05-24T01:00:00Z").unwrap().with_timezone(&Utc)),
            canonical_request: None,
        };
        let report = check(&input).unwrap();
        assert!(report.accepted, "{}", report.text);
        let tampered = CheckInput {
            url: url.replace("/test.txt", "/test+.txt"),
            canonical_request: Some("GET\n/test+.txt\n".into()),
            ..input
        };
        let report = check(&tampered).unwrap();
        assert!(!report.accepted);
        assert!(report.text.contains("code: SignatureDoesNotMatch"), "{}", report.text);
        assert!(
            report
                .text
                .contains("first difference: line 2, column 6: S3 expects \"%2B.txt\", the presigner has \"+.txt\""),
            "{}",
            report.text
        );
    }

    /// A URL presigned with a payload hash in its x-amz-content-sha256 header (by s3strict's own
    /// presigner): accepted with the header, whose value it names as the body's hash, and refused
    /// without it.
    #[test]
    fn payload_hash_url() {
        let hash = crate::auth::canonical::sha256_hex(b"body");
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let url = crate::presign::presign_url(&crate::presign::PresignInput {
            method: "PUT".into(),
            bucket: "b".into(),
            key: "k".into(),
            expires: 60,
            headers: vec![("x-amz-content-sha256".into(), hash.clone())],
            query: vec![],
            virtual_hosted: false,
            sigv2: false,
            endpoint: "http://127.0.0.1:9000".into(),
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
            at,
        })
        .unwrap();
        let input = CheckInput {
            url,
            method: "PUT".into(),
            headers: vec![("x-amz-content-sha256".into(), hash.clone())],
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
            domain: None,
            at: Some(at),
            canonical_request: None,
        };
        let report = check(&input).unwrap();
        assert!(report.accepted, "{}", report.text);
        assert!(report.text.contains(&format!("payload: the body must have the SHA-256 {hash}")), "{}", report.text);
        assert_eq!(report.json["payload_sha256"], hash.as_str());
        let report = check(&CheckInput { headers: vec![], ..input }).unwrap();
        assert!(!report.accepted, "{}", report.text);
    }

    /// A Tencent COS presigned URL (cos-python-sdk-v5, vector py-get-unicode), and the same URL
    /// with one letter of the key changed, checked against the HttpString the SDK signed.
    #[test]
    fn cos_url() {
        let url = "http://examplebucket-1250000000.127.0.0.1:9000/dir/a%20b%2Bc~%C3%A9.txt?q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940%3B1700003600&q-key-time=1699999940%3B1700003600&q-header-list=host&q-url-param-list=&q-signature=d0a10505a3d26d0f315826d8579e637632962c86";
        let input = CheckInput {
            url: url.into(),
            method: "GET".into(),
            headers: vec![],
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "EXAMPLEcosSecretKey0123456789abcd".into(),
            region: "ap-guangzhou".into(),
            domain: None,
            at: Some(DateTime::from_timestamp(1_700_000_000, 0).unwrap()),
            canonical_request: None,
        };
        let report = check(&input).unwrap();
        assert!(report.accepted, "{}", report.text);
        assert!(report.text.contains("as cos-query by AKIDEXAMPLE"), "{}", report.text);
        let tampered = CheckInput {
            url: url.replace("a%20b", "a%20B"),
            canonical_request: Some("get\n/dir/a b+c~é.txt\n\nhost=examplebucket-1250000000.127.0.0.1\n".into()),
            ..input
        };
        let report = check(&tampered).unwrap();
        assert!(!report.accepted);
        assert!(report.text.contains("code: SignatureDoesNotMatch"), "{}", report.text);
        assert!(report.text.contains("message: The Signature you specified is invalid."), "{}", report.text);
        assert!(
            report.text.contains(
                "first difference: line 2, column 8: COS expects \"B+c~é.txt\", the presigner has \"b+c~é.txt\""
            ),
            "{}",
            report.text
        );
    }
}
