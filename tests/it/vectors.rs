//! Known-answer tests: the aws-c-auth SigV4 suite (canonical request, string to sign and
//! signature, header and query forms) and the S3 documentation examples, the latter run through
//! the real verifier with the clock frozen at the example's date.

use std::path::{Path, PathBuf};

use s3strict::auth::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, scope, sign, signing_key, string_to_sign,
};
use s3strict::auth::clock::{parse_amz_date, ClockSetting};
use s3strict::auth::{parse_query, verify, AuthConfig, AuthRequest, AuthTrace, AuthType, Clock, Credentials};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A request from a suite `request.txt`: method, path, query, headers (continuation lines kept).
struct SuiteRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
}

fn parse_request(text: &str) -> SuiteRequest {
    let mut lines = text.split('\n');
    let first = lines.next().unwrap();
    let (method, rest) = first.split_once(' ').unwrap();
    let target = rest.rsplit_once(' ').unwrap().0;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
            continue;
        }
        let (n, v) = line.split_once(':').unwrap();
        headers.push((n.to_ascii_lowercase(), v.to_string()));
    }
    SuiteRequest { method: method.into(), path: path.into(), query: query.into(), headers }
}

/// Cases whose expected output relies on path normalisation or double encoding, which the
/// generic SigV4 services do and S3 does not.
fn applies_to_s3(name: &str, normalize: bool) -> bool {
    !(normalize && (name.contains("relative") || name.contains("slash")))
}

#[test]
fn aws_c_auth_suite() {
    let dir = vectors().join("sigv4-crt");
    let mut checked = 0;
    let mut entries: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    entries.sort();
    for case in entries {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let ctx: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("context.json")).unwrap()).unwrap();
        // `omit_session_token`: the signer appends the token after signing; nothing to verify.
        let token_after = ctx["omit_session_token"].as_bool().unwrap_or(false);
        if token_after || !applies_to_s3(&name, ctx["normalize"].as_bool().unwrap_or(true)) {
            continue;
        }
        let req = parse_request(&std::fs::read_to_string(case.join("request.txt")).unwrap());
        let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
        let region = ctx["region"].as_str().unwrap();
        let service = ctx["service"].as_str().unwrap();
        let t = chrono::DateTime::parse_from_rfc3339(ctx["timestamp"].as_str().unwrap()).unwrap();
        let amz_date = t.format("%Y%m%dT%H%M%SZ").to_string();
        for form in ["header", "query"] {
            let expected = std::fs::read_to_string(case.join(format!("{form}-canonical-request.txt"))).unwrap();
            let lines: Vec<&str> = expected.split('\n').collect();
            let payload = *lines.last().unwrap();
            let signed = lines[lines.len() - 2];
            // The query form's query string: the signed request's, signature included (dropped by
            // canonicalisation).
            let query = if form == "query" {
                let signed_req = std::fs::read_to_string(case.join("query-signed-request.txt")).unwrap();
                parse_request(&signed_req).query
            } else {
                req.query.clone()
            };
            let mut headers = req.headers.clone();
            if form == "header" && !headers.iter().any(|(n, _)| n == "x-amz-date") {
                headers.push(("x-amz-date".into(), amz_date.clone()));
            }
            if signed.contains("x-amz-content-sha256") && !headers.iter().any(|(n, _)| n == "x-amz-content-sha256") {
                headers.push(("x-amz-content-sha256".into(), payload.into()));
            }
            if let Some(token) = ctx["credentials"]["token"].as_str() {
                if form == "header" && signed.contains("x-amz-security-token") {
                    headers.push(("x-amz-security-token".into(), token.into()));
                }
            }
            let names: Vec<&str> = signed.split(';').collect();
            let block = canonical_headers(&names, |n| {
                headers.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect()
            });
            let creq = canonical_request(
                &req.method,
                &canonical_uri(&req.path),
                &canonical_query(&query),
                &block,
                signed,
                payload,
            );
            assert_eq!(creq, expected, "{name} ({form}): canonical request");
            let sts = string_to_sign(&amz_date, &scope(&amz_date[..8], region, service), &creq);
            let expected_sts = std::fs::read_to_string(case.join(format!("{form}-string-to-sign.txt"))).unwrap();
            assert_eq!(sts, expected_sts, "{name} ({form}): string to sign");
            let sig = sign(&signing_key(secret, &amz_date[..8], region, service), &sts);
            let expected_sig = std::fs::read_to_string(case.join(format!("{form}-signature.txt"))).unwrap();
            assert_eq!(sig, expected_sig.trim(), "{name} ({form}): signature");
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} cases checked");
}

fn doc_auth() -> AuthConfig {
    AuthConfig {
        region: "us-east-1".into(),
        credentials: Credentials::single("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        clock: Clock::new(ClockSetting::Frozen(parse_amz_date("20130524T000000Z").unwrap())),
        domain: None,
    }
}

/// Every S3 documentation example passes the real verifier; one changed byte fails it with the
/// expected canonical request in the error.
#[test]
fn s3_documentation_examples_verify() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("s3-presigned.json")).unwrap()).unwrap();
    let cfg = doc_auth();
    let mut checked = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let (method, path, query, mut headers) = if let Some(req) = v.get("request") {
            let mut headers = http::HeaderMap::new();
            for h in req["headers"].as_array().unwrap() {
                headers.append(
                    http::HeaderName::from_bytes(h[0].as_str().unwrap().as_bytes()).unwrap(),
                    h[1].as_str().unwrap().parse().unwrap(),
                );
            }
            let authz = match v["authorization_header"].as_str() {
                Some(a) => a.to_string(),
                None => format!(
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={},Signature={}",
                    v["signed_headers"].as_str().unwrap(),
                    v["signature"].as_str().or(v["seed_signature"].as_str()).unwrap()
                ),
            };
            headers.insert("authorization", authz.parse().unwrap());
            let path = req.get("path_as_sent").or(req.get("path")).and_then(|p| p.as_str()).unwrap();
            let query = req.get("query").and_then(|q| q.as_str()).unwrap_or("").to_string();
            (req["method"].as_str().unwrap(), path, query, headers)
        } else if v.get("raw_query").is_some() && v.get("host").is_some() {
            let mut headers = http::HeaderMap::new();
            headers.insert("host", v["host"].as_str().unwrap().parse().unwrap());
            (
                v["method"].as_str().unwrap(),
                v["path"].as_str().unwrap(),
                v["raw_query"].as_str().unwrap().to_string(),
                headers,
            )
        } else {
            continue;
        };
        let method: http::Method = method.parse().unwrap();
        let verified = verify(
            &cfg,
            &AuthRequest::s3(&method, path, &query, &parse_query(&query), &headers, None),
            &mut AuthTrace::default(),
        )
        .unwrap_or_else(|e| panic!("{id}: {e:?}"));
        assert_eq!(verified.access_key.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(verified.auth_type == AuthType::Query, v.get("raw_query").is_some(), "{id}");
        // Tamper with the host: the signature must fail and report the canonical request.
        headers.insert("host", "other.example".parse().unwrap());
        let err = verify(
            &cfg,
            &AuthRequest::s3(&method, path, &query, &parse_query(&query), &headers, None),
            &mut AuthTrace::default(),
        )
        .unwrap_err();
        assert_eq!(err.code_name(), "SignatureDoesNotMatch", "{id}");
        let expected = v["canonical_request"].as_str().unwrap().replace(v_host(v), "other.example");
        let creq = err.extras.iter().find(|(n, _)| *n == "CanonicalRequest").unwrap();
        assert_eq!(creq.1, expected, "{id}");
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} examples checked");
}

fn v_host(v: &serde_json::Value) -> &str {
    v.get("host").or(v["request"].get("host")).and_then(|h| h.as_str()).unwrap_or("examplebucket.s3.amazonaws.com")
}
