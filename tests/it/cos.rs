//! Tencent COS "q-sign" authentication, against the 32 requests captured from cos-python-sdk-v5
//! and cos-nodejs-sdk-v5 (`tests/vectors/cos/`, clock at 1700000000) and their 20 mutations in
//! `negative-cases.json`: each accepted one is served, each refused one gets COS's error document.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::*;

const SECRET_ID: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "EXAMPLEcosSecretKey0123456789abcd";
const CAPTURED_AT: &str = "2023-11-14T22:13:20Z";
const BUCKET: &str = "examplebucket-1250000000";

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/cos")
}

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors_dir().join(name)).unwrap()).unwrap()
}

fn vectors() -> Vec<Value> {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "negative-cases.json")
        .collect();
    names.sort();
    names.iter().map(|n| load(n)).collect()
}

/// The request a vector describes: method, target, headers (Host first) and body.
struct Captured {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn captured(v: &Value) -> Captured {
    let url = v["url"].as_str().unwrap();
    let after_scheme = url.split_once("://").unwrap().1;
    let target = after_scheme[after_scheme.find('/').unwrap()..].to_string();
    let mut headers = vec![("Host".to_string(), v["host_header_sent"].as_str().unwrap().to_string())];
    let mut length = 0usize;
    for (n, val) in v["headers_sent"].as_object().unwrap() {
        let val = val.as_str().unwrap().to_string();
        if n.eq_ignore_ascii_case("content-length") {
            length = val.parse().unwrap();
        }
        if !n.eq_ignore_ascii_case("connection") {
            headers.push((n.clone(), val));
        }
    }
    if let Some(auth) = v["authorization_header"].as_str() {
        headers.push(("Authorization".into(), auth.into()));
    }
    // The presigned PUTs with Content-MD5 were made for `hello world`.
    let md5 = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-md5"));
    let body = if md5 { b"hello world".to_vec() } else { b"hello".iter().copied().cycle().take(length).collect() };
    Captured { method: v["method"].as_str().unwrap().to_string(), target, headers, body }
}

/// The key a vector's URL addresses (SDKs drop one leading slash).
fn key_of(v: &Value) -> String {
    let key = v["object_key"].as_str().map(str::to_string).unwrap_or_else(|| "dir/a b+c~é.txt".into());
    key.strip_prefix('/').map(str::to_string).unwrap_or(key)
}

/// The domain of the vector's host: what follows the bucket, without the port.
fn domain_of(v: &Value) -> String {
    let host = v["host_header_sent"].as_str().unwrap();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    host.strip_prefix(&format!("{BUCKET}.")).unwrap().to_string()
}

/// A server for `domain` holding the COS key, the bucket and every vector's object, its clock at
/// the capture time.
async fn server(domain: &str, secret_id: &str, secret_key: &str) -> TestServer {
    let (ak, sk, domain) = (secret_id.to_string(), secret_key.to_string(), domain.to_string());
    let s = TestServer::start_with(move |c| {
        c.access_key = ak;
        c.secret_key = sk;
        c.domain = Some(domain);
    })
    .await;
    let c = client_for(&s.endpoint(), secret_id, secret_key, REGION);
    if c.create_bucket().bucket(BUCKET).send().await.is_ok() {
        for v in vectors() {
            let key = key_of(&v);
            c.put_object().bucket(BUCKET).key(&key).body(b"stored".to_vec().into()).send().await.unwrap();
        }
    }
    s.set_clock(&format!(r#"{{"frozen_at": "{CAPTURED_AT}"}}"#)).await;
    s
}

async fn send(s: &TestServer, r: &Captured) -> RawResponse {
    let headers: Vec<(&str, &str)> = r.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    s.raw(&r.method, &r.target, &headers, &r.body).await
}

/// The COS error document of a response: (Code, Message) after checking its five elements.
fn cos_error(r: &RawResponse) -> S3ErrorDoc {
    let doc = r.error();
    for name in ["Code", "Message", "Resource", "RequestId", "TraceId"] {
        assert!(doc.get(name).is_some_and(|v| !v.is_empty()), "{name} in {}", r.text());
    }
    assert!(doc.get("HostId").is_none());
    assert_eq!(r.header("x-cos-request-id"), doc.get("RequestId"));
    doc
}

#[tokio::test]
async fn every_captured_request_is_accepted_and_canonicalised_as_the_sdk_did() {
    let mut servers: Vec<(String, TestServer)> = Vec::new();
    // What each (domain, key) holds: "stored", then what the PUT vectors wrote.
    let mut held: std::collections::HashMap<(String, String), Vec<u8>> = Default::default();
    for v in vectors() {
        let name = v["name"].as_str().unwrap().to_string();
        let domain = domain_of(&v);
        if !servers.iter().any(|(d, _)| *d == domain) {
            servers.push((domain.clone(), server(&domain, SECRET_ID, SECRET_KEY).await));
        }
        let s = &servers.iter().find(|(d, _)| *d == domain).unwrap().1;
        let r = captured(&v);
        let resp = send(s, &r).await;
        let ok = if r.method == "PUT" { [200, 200] } else { [200, 206] };
        assert!(ok.contains(&resp.status), "{name}: {} {}", resp.status, resp.text());
        assert!(resp.header("x-cos-request-id").is_some(), "{name}");
        let slot = (domain.clone(), key_of(&v));
        if r.method == "GET" {
            let expected = held.get(&slot).map_or(&b"stored"[..], Vec::as_slice);
            assert_eq!(resp.body, expected, "{name}");
        } else {
            held.insert(slot, r.body.clone());
        }
        // Tampered, the server shows the strings it computed: exactly the SDK's own.
        let mut bad = captured(&v);
        let signature = v["signature"].as_str().unwrap();
        let zeroed = "0".repeat(40);
        bad.target = bad.target.replace(signature, &zeroed);
        for h in bad.headers.iter_mut() {
            h.1 = h.1.replace(signature, &zeroed);
        }
        let resp = send(s, &bad).await;
        assert_eq!(resp.status, 403, "{name}");
        let doc = cos_error(&resp);
        assert_eq!(doc.get("Code"), Some("SignatureDoesNotMatch"), "{name}");
        assert_eq!(doc.get("Message"), Some("The Signature you specified is invalid."));
        // The strings shown are those of the Host as received; an SDK that signed the host without
        // its port (accepted on a second try) differs only there.
        let shown = doc.get("FormatString").unwrap();
        let port = r.headers[0].1.rsplit_once(':').map(|(_, p)| format!("%3A{p}")).unwrap_or_default();
        if shown == v["http_string"].as_str().unwrap() {
            assert_eq!(doc.get("StringToSign"), v["string_to_sign"].as_str(), "{name}");
        } else {
            assert_eq!(shown.replace(&port, ""), v["http_string"].as_str().unwrap(), "{name}");
        }
        assert_eq!(doc.get("Resource").unwrap(), format!("{}{}", r.headers[0].1, r.target.split('?').next().unwrap()));
    }
}

#[tokio::test]
async fn negative_cases_get_cos_errors() {
    let cases = load("negative-cases.json");
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let base = load(case["base"].as_str().unwrap());
        let m = &case["mutate"];
        let (mut id, mut key) = (SECRET_ID.to_string(), SECRET_KEY.to_string());
        if let Some(secrets) = m["secrets"].as_object() {
            let (i, k) = secrets.iter().next().unwrap();
            (id, key) = (i.clone(), k.as_str().unwrap().to_string());
        }
        let s = server(&domain_of(&base), &id, &key).await;
        if let Some(now) = m["now"].as_i64() {
            let at = chrono::DateTime::from_timestamp(now, 0).unwrap().to_rfc3339();
            s.set_clock(&format!(r#"{{"frozen_at": "{at}"}}"#)).await;
        }
        let mut r = captured(&base);
        if let Some([from, to]) = m["url_replace"].as_array().map(|a| [a[0].as_str().unwrap(), a[1].as_str().unwrap()])
        {
            assert!(r.target.contains(from), "{name}");
            r.target = r.target.replacen(from, to, 1);
        }
        if let Some(method) = m["method"].as_str() {
            r.method = method.into();
        }
        for (n, v) in m["set_headers"].as_object().into_iter().flatten() {
            r.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(n));
            r.headers.push((n.clone(), v.as_str().unwrap().into()));
            if n.eq_ignore_ascii_case("content-length") {
                r.body = vec![b'x'; v.as_str().unwrap().parse().unwrap()];
            }
        }
        let resp = send(&s, &r).await;
        match &case["cos_error"] {
            Value::Null => assert!([200, 206].contains(&resp.status), "{name}: {} {}", resp.status, resp.text()),
            e => {
                assert_eq!(resp.status, e["status"].as_u64().unwrap() as u16, "{name}: {}", resp.text());
                let doc = cos_error(&resp);
                assert_eq!(doc.get("Code"), e["code"].as_str(), "{name}");
                let message = e["message"].as_str().unwrap();
                // COS's words where they are known; this server's own where the vectors say so.
                match message.strip_suffix(" (local choice)") {
                    Some(_) => assert!(!doc.get("Message").unwrap().is_empty()),
                    None => assert_eq!(doc.get("Message"), Some(message), "{name}"),
                }
                // The cause s3strict names, after COS's own elements.
                let causes = [
                    ("node-host-port-dropped", "the URL was signed for host examplebucket-1250000000.127.0.0.1:9000, received examplebucket-1250000000.127.0.0.1"),
                    ("get-url-used-for-put", "the URL was signed for GET and used for PUT"),
                ];
                if let Some((_, cause)) = causes.iter().find(|(n, _)| *n == name) {
                    assert_eq!(doc.get("S3strictCause"), Some(*cause), "{name}");
                }
                if ["expired-python", "expired-node", "not-yet-valid"].contains(&name) {
                    assert!(doc.get("ServerTime").is_some(), "{name}");
                }
            }
        }
    }
}

/// What the local choices say, exactly.
#[tokio::test]
async fn malformed_authorization_is_explained() {
    let base = load("py-get-plain.json");
    let s = server(&domain_of(&base), SECRET_ID, SECRET_KEY).await;
    let cases = [
        ("&q-signature=", "&q-sig=", "Authorization is incomplete: q-signature is missing"),
        ("q-sign-algorithm=sha1", "q-sign-algorithm=md5", "q-sign-algorithm must be sha1"),
        ("q-sign-time=1699999940%3B", "q-sign-time=abc%3B", "q-sign-time is malformed"),
        ("q-key-time=1699999940%3B", "q-key-time=1699999940", "q-key-time is malformed"),
    ];
    for (from, to, message) in cases {
        let mut r = captured(&base);
        r.target = r.target.replacen(from, to, 1);
        let resp = send(&s, &r).await;
        assert_eq!(resp.status, 403);
        let doc = cos_error(&resp);
        assert_eq!((doc.get("Code"), doc.get("Message")), (Some("AccessDenied"), Some(message)));
    }
    // HEAD errors carry no body, only the status and COS's request id.
    let mut r = captured(&base);
    r.method = "HEAD".into();
    let resp = s.raw("HEAD", &r.target, &[("Host", &r.headers[0].1)], b"").await;
    assert_eq!(resp.status, 403);
    assert!(resp.header("x-cos-request-id").is_some());
}

/// Signs the COS way: the authorization string over `headers` and `params` (names as sent).
fn cos_sign(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    keys: (&str, &str),
    window: (i64, i64),
) -> String {
    cos_sign_times(method, path, params, headers, keys, window, window)
}

/// [`cos_sign`] with a `q-key-time` of its own (the SDKs always make it `q-sign-time`).
fn cos_sign_times(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    (ak, sk): (&str, &str),
    window: (i64, i64),
    key_window: (i64, i64),
) -> String {
    use s3strict::auth::canonical::uri_encode;
    let enc = |s: &str| uri_encode(s.as_bytes(), true);
    let block = |items: &[(&str, &str)]| {
        let mut pairs: Vec<(String, String)> = items.iter().map(|(n, v)| (enc(&n.to_lowercase()), enc(v))).collect();
        pairs.sort();
        let list = pairs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().join(";");
        (list, pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&"))
    };
    let (param_list, param_block) = block(params);
    let (header_list, header_block) = block(headers);
    let time = format!("{};{}", window.0, window.1);
    let key_time = format!("{};{}", key_window.0, key_window.1);
    let http_string = format!("{}\n{path}\n{param_block}\n{header_block}\n", method.to_lowercase());
    let signed = s3strict::auth::cos::sign(sk, &key_time, &time, http_string);
    format!(
        "q-sign-algorithm=sha1&q-ak={ak}&q-sign-time={time}&q-key-time={key_time}&q-header-list={header_list}&q-url-param-list={param_list}&q-signature={}",
        signed.signature
    )
}

fn now_window(secs: i64) -> (i64, i64) {
    let now = chrono::Utc::now().timestamp();
    (now - 1, now + secs)
}

/// Metadata as `x-cos-meta-*`, the auth log, and the same authorization as every other scheme.
#[tokio::test]
async fn cos_requests_go_through_the_same_pipeline() {
    use s3strict::config::{PolicyText, UserSettings};
    let reader = UserSettings {
        name: "reader".into(),
        account: None,
        access_key: "AKIDREADER".into(),
        secret_key: "reader-secret".into(),
        status: None,
        policies: vec![PolicyText::Json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
                .into(),
        )],
    };
    let s = TestServer::start_with(move |c| {
        c.domain = Some("cos.local".into());
        c.users = vec![reader];
    })
    .await;
    s.create_bucket("media-1250000000").await;
    let host = format!("media-1250000000.cos.local:{}", s.addr.port());
    let admin = (AK, SK);
    let signed = [("host", host.as_str()), ("x-cos-meta-author", "A B"), ("content-type", "text/plain")];
    let auth = cos_sign("PUT", "/doc.txt", &[], &signed, admin, now_window(60));
    let mut headers = signed.to_vec();
    headers.push(("authorization", &auth));
    let r = s.raw("PUT", "/doc.txt", &headers, b"hello").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-cos-request-id").is_some());
    // COS's CRC-64 of the body (ECMA-182 reflected, as Go's crc64.ECMA), which the Go SDK checks.
    assert_eq!(r.header("x-cos-hash-crc64ecma"), Some("11177612005948864433"));
    let head_auth = cos_sign("HEAD", "/doc.txt", &[], &[("host", &host)], admin, now_window(60));
    let r = s.raw("HEAD", "/doc.txt", &[("host", &host), ("authorization", &head_auth)], b"").await;
    assert_eq!((r.status, r.header("x-cos-meta-author")), (200, Some("A B")));
    assert_eq!(r.header("x-amz-meta-author"), None);
    assert_eq!(r.header("x-cos-hash-crc64ecma"), Some("11177612005948864433"));
    // An S3 client reads the same metadata the S3 way.
    let out = s.client().head_object().bucket("media-1250000000").key("doc.txt").send().await.unwrap();
    assert_eq!(out.metadata().unwrap().get("author").map(String::as_str), Some("A B"));
    let r = s.signed(SignedRequest::new("HEAD", "/media-1250000000/doc.txt")).await;
    assert_eq!(r.header("x-cos-hash-crc64ecma"), None, "COS's own headers are for COS requests");

    // A user whose policy allows only reading: its COS-signed GET works, its PUT is denied.
    let reader = ("AKIDREADER", "reader-secret");
    let get = cos_sign("GET", "/doc.txt", &[], &[("host", &host)], reader, now_window(60));
    let r = s.raw("GET", "/doc.txt", &[("host", &host), ("authorization", &get)], b"").await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    let put = cos_sign("PUT", "/doc.txt", &[], &[("host", &host)], reader, now_window(60));
    let r = s.raw("PUT", "/doc.txt", &[("host", &host), ("authorization", &put)], b"x").await;
    assert_eq!(r.status, 403);
    let doc = cos_error(&r);
    assert_eq!(doc.get("Code"), Some("AccessDenied"));
    assert_eq!(doc.get("Resource").unwrap(), format!("{host}/doc.txt"));

    let r = s.raw("GET", "/_s3strict/auth-log?limit=1", &[], b"").await;
    let log: Vec<serde_json::Value> = serde_json::from_slice(&r.body).unwrap();
    let entry = &log[0];
    assert_eq!((entry["mechanism"].as_str(), entry["access_key"].as_str()), (Some("cos-header"), Some("AKIDREADER")));
    assert_eq!(entry["signed_headers"].as_str(), Some("host"));
}

/// Temporary credentials: the session token (`x-cos-security-token`) must come with a session
/// key, must be the key's own, and dies with the session.
#[tokio::test]
async fn cos_session_tokens() {
    let s = TestServer::start_with(|c| c.domain = Some("cos.local".into())).await;
    s.create_bucket("media-1250000000").await;
    s.client().put_object().bucket("media-1250000000").key("k").body(b"v".to_vec().into()).send().await.unwrap();
    let r = s.raw("POST", "/_s3strict/sessions", JSON, br#"{"duration_seconds": 900}"#).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let (ak, sk, token) = (
        v["access_key_id"].as_str().unwrap().to_string(),
        v["secret_access_key"].as_str().unwrap().to_string(),
        v["session_token"].as_str().unwrap().to_string(),
    );
    let host = format!("media-1250000000.cos.local:{}", s.addr.port());
    let url = |token: Option<&str>| {
        let auth = cos_sign("GET", "/k", &[], &[("host", &host)], (&ak, &sk), now_window(3600));
        let auth = auth.replace(';', "%3B");
        match token {
            Some(t) => {
                format!("/k?{auth}&x-cos-security-token={}", s3strict::auth::canonical::uri_encode(t.as_bytes(), true))
            }
            None => format!("/k?{auth}"),
        }
    };
    let get = |target: String| {
        let host = host.clone();
        let s = &s;
        async move { s.raw("GET", &target, &[("host", &host)], b"").await }
    };
    assert_eq!(get(url(Some(&token))).await.status, 200);
    // In the header form the token is a header, which the Node SDK adds after signing.
    let auth = cos_sign("GET", "/k", &[], &[("host", &host)], (&ak, &sk), now_window(60));
    let headers = [("host", host.as_str()), ("authorization", &auth), ("x-cos-security-token", &token)];
    assert_eq!(s.raw("GET", "/k", &headers, b"").await.status, 200);
    let r = get(url(None)).await;
    assert_eq!((r.status, cos_error(&r).get("Code")), (403, Some("InvalidAccessKeyId")));
    let r = get(url(Some("not-the-token"))).await;
    assert_eq!((r.status, cos_error(&r).get("Code")), (400, Some("InvalidToken")));
    s.set_clock(r#"{"offset_seconds": 1000}"#).await;
    let r = get(url(Some(&token))).await;
    let doc = cos_error(&r);
    assert_eq!(
        (r.status, doc.get("Code"), doc.get("Message")),
        (400, Some("ExpiredToken"), Some("The provided token has expired."))
    );
}

/// A server for COS requests with one bucket, `doc.txt` written twice under versioning (the old
/// version says "old secret"); returns it, the host COS requests name and the old version's id.
async fn versioned_server() -> (TestServer, String, String) {
    let s = TestServer::start_with(|c| c.domain = Some("cos.local".into())).await;
    s.create_bucket("media-1250000000").await;
    let c = s.client();
    c.put_bucket_versioning()
        .bucket("media-1250000000")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let put = |body: &'static [u8]| {
        c.put_object().bucket("media-1250000000").key("doc.txt").body(body.to_vec().into()).send()
    };
    let old = put(b"old secret").await.unwrap().version_id().unwrap().to_string();
    put(b"current").await.unwrap();
    let host = format!("media-1250000000.cos.local:{}", s.addr.port());
    (s, host, old)
}

/// The message for unsigned headers or parameters, which COS documents none for (this server's
/// words, after S3's for the same fault in SigV4).
fn unsigned_headers(names: &str) -> String {
    format!("There were headers present in the request which were not signed: {names}")
}

fn unsigned_params(names: &str) -> String {
    format!("There were query parameters present in the request which were not signed: {names}")
}

/// Asserts COS's refusal of a request with unsigned parts.
fn refused(r: &RawResponse, message: &str) {
    assert_eq!(r.status, 403, "{}", r.text());
    let doc = cos_error(r);
    assert_eq!((doc.get("Code"), doc.get("Message")), (Some("AccessDenied"), Some(message)), "{}", r.text());
}

/// A COS signature covers only the headers `q-header-list` names: an unsigned header that would
/// change what the request does (copy source, tagging, ACL, grants, any `x-amz-*` / `x-cos-*`) is
/// refused, so that whoever holds a signed request cannot make it do something else. Signed, the
/// same headers are acted on; unsigned ordinary headers (an SDK's empty Cache-Control) pass.
#[tokio::test]
async fn cos_refuses_unsigned_headers_that_change_the_request() {
    let (s, host, _) = versioned_server().await;
    let admin = (AK, SK);
    let signed = [("host", host.as_str())];
    let put = |path: &str, extra: &[(&str, &str)]| {
        let auth = cos_sign("PUT", path, &[], &signed, admin, now_window(60));
        let mut headers: Vec<(String, String)> = vec![("host".into(), host.clone()), ("authorization".into(), auth)];
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        headers
    };
    let send = |path: &'static str, headers: Vec<(String, String)>| {
        let s = &s;
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            s.raw("PUT", path, &h, b"body").await
        }
    };
    let cases: [(&str, &str, &str); 7] = [
        ("x-amz-copy-source", "/media-1250000000/doc.txt", "x-amz-copy-source"),
        ("x-cos-copy-source", "media-1250000000.cos.local/doc.txt", "x-cos-copy-source"),
        ("x-amz-tagging", "a=b", "x-amz-tagging"),
        ("x-amz-acl", "public-read", "x-amz-acl"),
        ("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"", "x-amz-grant-read"),
        ("x-cos-acl", "public-read", "x-cos-acl"),
        ("x-cos-meta-owner", "mallory", "x-cos-meta-owner"),
    ];
    for (name, value, listed) in cases {
        let r = send("/copy.txt", put("/copy.txt", &[(name, value)])).await;
        refused(&r, &unsigned_headers(listed));
    }
    // Nothing was written: no copy, no public object.
    let e = s.client().head_object().bucket("media-1250000000").key("copy.txt").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
    // Several at once are all named, sorted; a second value of a signed header is not signed.
    let r = send("/copy.txt", put("/copy.txt", &[("x-amz-tagging", "a=b"), ("x-amz-acl", "public-read")])).await;
    refused(&r, &unsigned_headers("x-amz-acl, x-amz-tagging"));
    let tagged = [("host", host.as_str()), ("x-amz-tagging", "a=b")];
    let auth = cos_sign("PUT", "/tagged.txt", &[], &tagged, admin, now_window(60));
    let mut headers = tagged.to_vec();
    headers.push(("authorization", &auth));
    let r = s.raw("PUT", "/tagged.txt", &headers, b"body").await;
    assert_eq!(r.status, 200, "signed, the header is acted on: {}", r.text());
    let tags = s.client().get_object_tagging().bucket("media-1250000000").key("tagged.txt").send().await.unwrap();
    assert_eq!(tags.tag_set().len(), 1);
    headers.push(("x-amz-tagging", "b=c"));
    refused(&s.raw("PUT", "/tagged.txt", &headers, b"body").await, &unsigned_headers("x-amz-tagging"));
    // Unsigned ordinary headers, and the SDKs' own x-cos-* ones added after signing, are not refused.
    let extra = [("cache-control", ""), ("content-type", "text/plain"), ("x-cos-sdk-log-debug", "off")];
    let r = send("/plain.txt", put("/plain.txt", &extra)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The same for query parameters and `q-url-param-list`: an unsigned sub-resource, version,
/// response override or hoisted `x-amz-*` parameter is refused; an unsigned parameter this server
/// never reads (`foo=bar`, `negative-cases.json`) passes.
#[tokio::test]
async fn cos_refuses_unsigned_parameters_that_change_the_request() {
    let (s, host, old) = versioned_server().await;
    let admin = (AK, SK);
    let presign = |method: &str, path: &str, params: &[(&str, &str)]| {
        cos_sign(method, path, params, &[("host", host.as_str())], admin, now_window(60)).replace(';', "%3B")
    };
    let get = |target: String| {
        let s = &s;
        let host = host.clone();
        async move { s.raw("GET", &target, &[("host", &host)], b"").await }
    };
    let url = presign("GET", "/doc.txt", &[]);
    let r = get(format!("/doc.txt?{url}")).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"current"[..]));
    // Another version, another operation, a response turned into a page, a hoisted header.
    for (extra, name) in [
        (format!("versionId={old}"), "versionId"),
        ("acl".to_string(), "acl"),
        ("tagging".to_string(), "tagging"),
        ("response-content-type=text%2Fhtml".to_string(), "response-content-type"),
        ("x-amz-acl=public-read".to_string(), "x-amz-acl"),
    ] {
        let r = get(format!("/doc.txt?{url}&{extra}")).await;
        refused(&r, &unsigned_params(name));
        let r = get(format!("/doc.txt?{extra}&{url}")).await;
        refused(&r, &unsigned_params(name));
    }
    assert_eq!(get(format!("/doc.txt?foo=bar&{url}")).await.status, 200);
    // A presigned PUT cannot be turned into a public or tagged write.
    let put = presign("PUT", "/new.txt", &[]);
    for (extra, name) in [("x-amz-acl=public-read", "x-amz-acl"), ("x-amz-tagging=a%3Db", "x-amz-tagging")] {
        let r = s.raw("PUT", &format!("/new.txt?{put}&{extra}"), &[("host", &host)], b"x").await;
        refused(&r, &unsigned_params(name));
    }
    // Signed, the version is served; a second spelling of a signed name is not signed.
    let signed = presign("GET", "/doc.txt", &[("versionId", &old)]);
    let r = get(format!("/doc.txt?versionId={old}&{signed}")).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"old secret"[..]));
    let current = s.client().head_object().bucket("media-1250000000").key("doc.txt").send().await.unwrap();
    let current = current.version_id().unwrap().to_string();
    let signed_current = presign("GET", "/doc.txt", &[("VersionID", &current)]);
    let r = get(format!("/doc.txt?VersionID={current}&versionId={old}&{signed_current}")).await;
    refused(&r, &unsigned_params("versionId"));
}

/// `q-key-time` bounds the key the signature was made with: it must contain `q-sign-time` and the
/// server's now (both ends inclusive, as for `q-sign-time`).
#[tokio::test]
async fn cos_key_time_contains_sign_time_and_now() {
    let t = 1_700_000_000i64;
    let s = TestServer::start_with(|c| c.domain = Some("cos.local".into())).await;
    s.create_bucket("media-1250000000").await;
    s.client().put_object().bucket("media-1250000000").key("k").body(b"v".to_vec().into()).send().await.unwrap();
    let at = chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
    s.set_clock(&format!(r#"{{"frozen_at": "{at}"}}"#)).await;
    let host = format!("media-1250000000.cos.local:{}", s.addr.port());
    let get = |sign: (i64, i64), key: (i64, i64)| {
        let auth = cos_sign_times("GET", "/k", &[], &[("host", host.as_str())], (AK, SK), sign, key);
        let s = &s;
        let host = host.clone();
        async move { s.raw("GET", "/k", &[("host", &host), ("authorization", &auth)], b"").await }
    };
    // Equal windows, each end at now.
    assert_eq!(get((t - 10, t), (t - 10, t)).await.status, 200);
    assert_eq!(get((t, t + 10), (t, t + 10)).await.status, 200);
    assert_eq!(get((t, t), (t, t)).await.status, 200);
    // A key window wider than the signature's.
    assert_eq!(get((t - 10, t + 10), (t - 20, t + 20)).await.status, 200);
    // The key expired a second ago, or is valid only from the next second.
    let r = get((t - 10, t + 10), (t - 10, t - 1)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let doc = cos_error(&r);
    assert_eq!((doc.get("Code"), doc.get("Message")), (Some("AccessDenied"), Some("Request has expired")));
    assert_eq!(doc.get("ServerTime"), Some("2023-11-14T22:13:20Z"));
    let r = get((t - 10, t + 10), (t + 1, t + 10)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let doc = cos_error(&r);
    assert_eq!(
        (doc.get("Code"), doc.get("Message")),
        (
            Some("RequestTimeTooSkewed"),
            Some("The difference between the request time and the server's time is too large.")
        )
    );
    // Now inside both, but the signature outlives its key, or starts before it.
    for (sign, key) in [((t - 10, t + 10), (t - 10, t + 9)), ((t - 10, t + 10), (t - 9, t + 10))] {
        let r = get(sign, key).await;
        assert_eq!(r.status, 403, "{sign:?} {key:?}: {}", r.text());
        let doc = cos_error(&r);
        assert_eq!(
            (doc.get("Code"), doc.get("Message")),
            (Some("AccessDenied"), Some("q-sign-time must lie within q-key-time"))
        );
    }
}

/// S3 stores only `x-amz-meta-*`: an `x-cos-meta-*` header on a SigV4 or SigV2 request is no user
/// metadata (on a COS-signed one it is, `cos_requests_go_through_the_same_pipeline`).
#[tokio::test]
async fn cos_metadata_headers_are_not_s3_metadata() {
    let s = TestServer::start_with(|c| c.sigv2_buckets = vec!["bkt".into()]).await;
    s.create_bucket("bkt").await;
    let c = s.client();
    c.put_object()
        .bucket("bkt")
        .key("k")
        .metadata("kept", "yes")
        .body(b"v".to_vec().into())
        .customize()
        .mutate_request(|req| {
            req.headers_mut().insert("x-cos-meta-foo", "bar");
        })
        .send()
        .await
        .unwrap();
    let head = c.head_object().bucket("bkt").key("k").send().await.unwrap();
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("kept").map(String::as_str), Some("yes"));
    assert_eq!(meta.get("foo"), None, "{meta:?}");
    // SigV2, header-signed: the x-cos-meta header is not among the signed x-amz ones, nor stored.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let sts = s3strict::auth::sigv2::string_to_sign("PUT", "", "", &date, &[], "/bkt/v2");
    let sig = s3strict::auth::sigv2::sign(SK, &sts);
    let auth = format!("AWS {AK}:{sig}");
    let r =
        s.raw("PUT", "/bkt/v2", &[("date", &date), ("authorization", &auth), ("x-cos-meta-foo", "bar")], b"v").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let head = c.head_object().bucket("bkt").key("v2").send().await.unwrap();
    assert!(head.metadata().is_none_or(|m| m.is_empty()), "{:?}", head.metadata());
}
