//! A request head as a client sends it, routed and authenticated as the server does: SigV4 and
//! SigV2 in the header and the query string, canonicalisation, copy sources, part numbers and
//! version ids. Input: `METHOD TARGET` then `name: value` lines. Starting with `!`, the harness
//! signs the request correctly (SigV4 header) first, so that the checks after the signature are
//! reached too.

#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use s3strict::auth::canonical;
use s3strict::auth::clock::{Clock, ClockSetting};
use s3strict::auth::credentials::Credentials;
use s3strict::auth::log::AuthTrace;
use s3strict::auth::{authenticate, parse_query, AuthConfig, AuthRequest, Presented};
use s3strict::request::RequestView;
use s3strict::router::route_request;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20130524T000000Z";

static CONFIG: LazyLock<AuthConfig> = LazyLock::new(|| AuthConfig {
    region: "us-east-1".into(),
    credentials: Credentials::single(AK, SK),
    clock: Clock::new(ClockSetting::Frozen(
        chrono::DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z").unwrap().with_timezone(&chrono::Utc),
    )),
    domain: None,
});

/// Signs the request in the `Authorization` header over every header it has.
fn sign(method: &Method, path: &str, raw_query: &str, headers: &mut HeaderMap) {
    if !headers.contains_key("x-amz-date") {
        headers.insert("x-amz-date", HeaderValue::from_static(DATE));
    }
    if !headers.contains_key("x-amz-content-sha256") {
        headers.insert("x-amz-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
    }
    let date = canonical::latin1(headers.get("x-amz-date").map(HeaderValue::as_bytes).unwrap_or_default());
    let payload = canonical::latin1(headers.get("x-amz-content-sha256").map(HeaderValue::as_bytes).unwrap_or_default());
    let Some(day) = date.get(..8) else { return };
    let mut names: Vec<String> = headers.keys().map(|n| n.as_str().to_string()).collect();
    names.sort();
    names.dedup();
    let values: Vec<(String, Vec<String>)> = names
        .iter()
        .map(|n| (n.clone(), headers.get_all(n.as_str()).iter().map(|v| canonical::latin1(v.as_bytes())).collect()))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let block = canonical::canonical_headers(&refs, |n| {
        values.iter().find(|(k, _)| k == n).map(|(_, v)| v.iter().map(String::as_str).collect()).unwrap_or_default()
    });
    let signed = refs.join(";");
    let creq = canonical::canonical_request(
        method.as_str(),
        &canonical::canonical_uri(path),
        &canonical::canonical_query(raw_query),
        &block,
        &signed,
        &payload,
    );
    let scope = canonical::scope(day, "us-east-1", "s3");
    let sts = canonical::string_to_sign(&date, &scope, &creq);
    let key = canonical::signing_key(SK, day, "us-east-1", "s3");
    let sig = canonical::sign(&key, &sts);
    let value = format!("AWS4-HMAC-SHA256 Credential={AK}/{scope},SignedHeaders={signed},Signature={sig}");
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(http::header::AUTHORIZATION, v);
    }
}

fuzz_target!(|data: &[u8]| {
    let (sign_it, data) = match data.strip_prefix(b"!") {
        Some(rest) => (true, rest),
        None => (false, data),
    };
    let mut lines = data.split(|b| *b == b'\n');
    let Some(first) = lines.next() else { return };
    let Ok(first) = std::str::from_utf8(first) else { return };
    let (method, target) = first.split_once(' ').unwrap_or(("GET", first));
    let Ok(method) = Method::from_bytes(method.as_bytes()) else { return };
    // hyper hands on only targets that parse as a URI.
    let Ok(uri) = target.parse::<http::Uri>() else { return };
    let path = uri.path().to_string();
    let raw_query = uri.query().unwrap_or("").to_string();
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(line[colon + 1..].trim_ascii()))
        else {
            continue;
        };
        headers.append(name, value);
    }
    if sign_it {
        sign(&method, &path, &raw_query, &mut headers);
    }
    let query = parse_query(&raw_query);
    let host = headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut view = RequestView::from_headers(&headers, &query);
    for domain in [None, Some("s3.example.com")] {
        let routed = route_request(&method, host.as_deref(), &path, &view, domain);
        if let Ok(op) = &routed.op {
            let _ = op.action();
        }
        if let Ok(t) = &routed.target {
            let _ = t.resource_arn();
        }
        let vhost = routed.target.as_ref().ok().filter(|t| t.virtual_host).and_then(|t| t.bucket.as_deref());
        let req = AuthRequest::s3(&method, &path, &raw_query, &query, &headers, vhost);
        let mut trace = AuthTrace::default();
        let _ = authenticate(&CONFIG, &Presented::Request(req), &mut trace);
    }
    // What authorization and the handlers read: every value, hoisted as for a presigned URL.
    view.hoist_query();
    for (name, _) in view.fields() {
        assert_eq!(name, name.to_ascii_lowercase(), "view names are lowercase");
        assert!(view.header(name).is_some(), "every field is found by its name");
    }
});
