//! The web console's server side: its embedded page and headers, the URLs it signs (used with
//! the AWS SDK and a raw client), its bucket overview, its URL check, and who may use it: the
//! token login, the session cookie, cross-site refusals. The page itself is driven in Chromium by
//! `tests/clients/js/console.test.js`.

use std::net::SocketAddr;

use crate::common::*;

async fn post_json(addr: SocketAddr, path: &str, body: &str, extra: &[(&str, &str)]) -> RawResponse {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend_from_slice(extra);
    raw(addr, "POST", &format!("/_s3strict{path}"), &headers, body.as_bytes()).await
}

fn json(r: &RawResponse) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.text()))
}

#[tokio::test]
async fn page_and_assets_are_embedded_with_strict_headers() {
    let s = TestServer::start().await;
    let r = s.raw("GET", "/_s3strict/console", &[], b"").await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/_s3strict/console/"));
    let page = s.raw("GET", "/_s3strict/console/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text().contains("<script type=\"module\" src=\"app.js\"></script>"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    for (path, kind) in [("app.js", "text/javascript; charset=utf-8"), ("style.css", "text/css; charset=utf-8")] {
        let r = s.raw("GET", &format!("/_s3strict/console/{path}"), &[], b"").await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(kind));
        assert!(!r.body.is_empty());
    }
    let head = s.raw("HEAD", "/_s3strict/console/app.js", &[], b"").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let (status, body) = admin(&s, "GET", "/console/nothing-here", "").await;
    assert_eq!((status, body), (404, serde_json::json!({ "error": "no such console endpoint" })));
}

/// The URLs the console signs are ordinary presigned URLs: the SDK's objects come back through
/// them, they are signed at the server's clock, and bad requests get clear answers.
#[tokio::test]
async fn presign_signs_at_the_server_clock_for_the_page_host() {
    let s = TestServer::start().await;
    s.create_bucket("pages").await;
    s.client()
        .put_object()
        .bucket("pages")
        .key("a b/c.txt")
        .body(b"console bytes".to_vec().into())
        .send()
        .await
        .unwrap();
    let body = r#"{"requests":[
        {"method":"GET","bucket":"pages","key":"a b/c.txt","expires_seconds":60},
        {"method":"GET","bucket":"pages","query":[["list-type","2"],["prefix","a b/"]],"expires_seconds":60},
        {"method":"HEAD","bucket":"pages","key":"a b/c.txt","headers":[["x-amz-checksum-mode","ENABLED"]],"expires_seconds":60}]}"#;
    let r = post_json(s.addr, "/console/presign", body, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = json(&r);
    let urls: Vec<String> =
        v["urls"].as_array().unwrap().iter().map(|u| u["url"].as_str().unwrap().to_string()).collect();
    let prefix = format!("http://{}/pages/a%20b/c.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&", s.addr);
    assert!(urls[0].starts_with(&prefix), "{}", urls[0]);
    let target = |u: &str| u.split_once(&s.addr.to_string()).unwrap().1.to_string();
    let got = s.raw("GET", &target(&urls[0]), &[], b"").await;
    assert_eq!((got.status, got.text().as_str()), (200, "console bytes"));
    let list = s.raw("GET", &target(&urls[1]), &[], b"").await;
    assert!(list.text().contains("<Key>a b/c.txt</Key>"), "{}", list.text());
    // The x-amz header is signed, so it must be sent.
    let head = s.raw("HEAD", &target(&urls[2]), &[("x-amz-checksum-mode", "ENABLED")], b"").await;
    assert_eq!(head.status, 200);
    let unsent = s.raw("HEAD", &target(&urls[2]), &[], b"").await;
    assert_eq!(unsent.status, 403);

    // Signed at the server's clock: a day ahead, the URL carries that date, and the expiry follows.
    s.set_clock(r#"{"frozen_at":"2031-05-06T07:08:09Z"}"#).await;
    let r = post_json(
        s.addr,
        "/console/presign",
        r#"{"requests":[{"method":"PUT","bucket":"pages","key":"k","expires_seconds":3600}]}"#,
        &[],
    )
    .await;
    let v = json(&r);
    assert_eq!(v["signed_at"], "2031-05-06T07:08:09Z");
    assert_eq!(v["urls"][0]["expires_at"], "2031-05-06T08:08:09Z");
    assert!(v["urls"][0]["url"].as_str().unwrap().contains("X-Amz-Date=20310506T070809Z&X-Amz-Expires=3600&"));

    for (body, message) in [
        (
            r#"{"requests":[{"method":"GET","bucket":"b","expires_seconds":0}]}"#,
            "expires_seconds must be between 1 and 604800 (7 days, the longest SigV4 allows)",
        ),
        (
            r#"{"requests":[{"method":"GET","bucket":"b","expires_seconds":604801}]}"#,
            "expires_seconds must be between 1 and 604800 (7 days, the longest SigV4 allows)",
        ),
        (r#"{"requests":[{"method":"get","bucket":"b","expires_seconds":60}]}"#, "not an HTTP method: \"get\""),
        (r#"{"requests":[{"method":"GET","key":"k","expires_seconds":60}]}"#, "a key needs a bucket"),
    ] {
        let r = post_json(s.addr, "/console/presign", body, &[]).await;
        assert_eq!((r.status, json(&r)), (400, serde_json::json!({ "error": message })), "{body}");
    }
    let many = format!(r#"{{"requests":[{}]}}"#, vec![r#"{"method":"GET","expires_seconds":1}"#; 1001].join(","));
    let r = post_json(s.addr, "/console/presign", &many, &[]).await;
    assert_eq!((r.status, json(&r)), (400, serde_json::json!({ "error": "at most 1000 URLs per call" })));
    let r = post_json(s.addr, "/console/presign", r#"{"requests":[{"method":"GET"}]}"#, &[]).await;
    assert_eq!(r.status, 400);
    assert!(json(&r)["error"]
        .as_str()
        .unwrap()
        .starts_with("invalid presign request: missing field `expires_seconds`"));
}

#[tokio::test]
async fn buckets_with_object_counts_and_sizes() {
    let s = TestServer::start().await;
    s.create_bucket("zeta").await;
    s.create_bucket("alpha").await;
    for (key, body) in [("one", &b"12345"[..]), ("two", &b"123"[..])] {
        s.client().put_object().bucket("alpha").key(key).body(body.to_vec().into()).send().await.unwrap();
    }
    let (status, v) = admin(&s, "GET", "/console/buckets", "").await;
    assert_eq!(status, 200);
    let list = v["buckets"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0]["name"].as_str(), list[0]["objects"].as_u64(), list[0]["bytes"].as_u64()),
        (Some("alpha"), Some(2), Some(8))
    );
    assert_eq!(
        (list[1]["name"].as_str(), list[1]["objects"].as_u64(), list[1]["bytes"].as_u64()),
        (Some("zeta"), Some(0), Some(0))
    );
    assert_eq!(list[0]["region"], "us-east-1");
    assert_eq!(list[0]["owner_account"], "123456789012");
    assert!(list[0]["created"].as_str().unwrap().ends_with('Z'));
}

/// "Check a URL" is `check-url` with the server's keys and clock: an SDK's URL is accepted, the
/// same URL with a parameter added is refused with S3's error and the named cause, and expiry
/// follows the server's clock.
#[tokio::test]
async fn check_judges_with_the_server_keys_and_clock() {
    let s = TestServer::start().await;
    let client = s.client();
    let req = presigned_get(&client, "bkt", "k.txt", 60).await;
    let url = req.uri().to_string();
    let check = |url: String| {
        let body = serde_json::json!({ "url": url, "method": "GET" }).to_string();
        async move { post_json(s.addr, "/console/check", &body, &[]).await }
    };
    let ok = json(&check(url.clone()).await);
    assert_eq!(ok["accepted"], true, "{ok}");
    assert_eq!(ok["mechanism"], "query");
    assert!(ok["text"].as_str().unwrap().starts_with("verdict: accepted (as query by AKIAIOSFODNN7EXAMPLE)"));

    let bad = json(&check(format!("{url}&added=1")).await);
    assert_eq!(
        (bad["accepted"].clone(), bad["status"].clone(), bad["code"].clone()),
        (false.into(), 403.into(), "SignatureDoesNotMatch".into())
    );
    assert_eq!(bad["message"], "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    assert_eq!(bad["cause"], "the query parameter added was added after signing");
    assert!(bad["elements"]["CanonicalRequest"].as_str().unwrap().contains("&added=1&"));

    s.set_clock(r#"{"offset_seconds":120}"#).await;
    let late = json(&check(url).await);
    assert_eq!((late["code"].clone(), late["message"].clone()), ("AccessDenied".into(), "Request has expired".into()));

    let r = post_json(s.addr, "/console/check", r#"{"url":"not a url"}"#, &[]).await;
    assert_eq!(r.status, 400);
    assert!(json(&r)["error"].as_str().unwrap().starts_with("not a URL"));
}

/// Off loopback: the page loads, its calls need the token; the login sets an HttpOnly,
/// SameSite=Strict cookie that stands for the token on every admin endpoint; a wrong token, a
/// forged cookie, a cross-site or non-JSON login are refused.
#[tokio::test]
async fn token_login_and_session_cookie_off_loopback() {
    let s = TestServer::start_with(|c| {
        c.addr = "0.0.0.0:0".parse().unwrap();
        c.admin_token = Some("sesame-console".into());
    })
    .await;
    let local = SocketAddr::from(([127, 0, 0, 1], s.addr.port()));
    assert_eq!(raw(local, "GET", "/_s3strict/console/", &[], b"").await.status, 200, "the page holds no data");
    let r = raw(local, "GET", "/_s3strict/console/session", &[], b"").await;
    assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })));

    let r = post_json(local, "/console/login", r#"{"token":"wrong"}"#, &[]).await;
    assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "that is not the admin token" })));
    assert_eq!(r.header("set-cookie"), None);
    let r = raw(
        local,
        "POST",
        "/_s3strict/console/login",
        &[("content-type", "text/plain")],
        br#"{"token":"sesame-console"}"#,
    )
    .await;
    assert_eq!(r.status, 415);
    let r =
        post_json(local, "/console/login", r#"{"token":"sesame-console"}"#, &[("origin", "http://evil.example")]).await;
    assert_eq!((r.status, json(&r)), (403, serde_json::json!({ "error": "cross-site request refused" })));
    let r = raw(local, "GET", "/_s3strict/console/login", &[], b"").await;
    assert_eq!(r.status, 405);

    let r = post_json(local, "/console/login", r#"{"token":"sesame-console"}"#, &[]).await;
    assert_eq!(r.status, 200);
    let set_cookie = r.header("set-cookie").unwrap().to_string();
    let (pair, attrs) = set_cookie.split_once("; ").unwrap();
    assert_eq!(attrs, "Path=/_s3strict; HttpOnly; SameSite=Strict");
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, "s3strict_console");
    assert_eq!(value.len(), 64);
    assert!(!set_cookie.contains("sesame"), "the cookie does not carry the token");

    let cookie = format!("other=1; {pair}");
    let r = raw(local, "GET", "/_s3strict/console/session", &[("cookie", &cookie)], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["via"], "cookie");
    assert_eq!(raw(local, "GET", "/_s3strict/auth-log", &[("cookie", &cookie)], b"").await.status, 200);
    let forged = format!("s3strict_console={}", "0".repeat(64));
    assert_eq!(raw(local, "GET", "/_s3strict/auth-log", &[("cookie", &forged)], b"").await.status, 401);
    // A state-changing call with the cookie still has to be same-site JSON.
    let r = post_json(local, "/reset", "{}", &[("cookie", &cookie), ("sec-fetch-site", "cross-site")]).await;
    assert_eq!((r.status, json(&r)), (403, serde_json::json!({ "error": "cross-site request refused" })));

    let r = post_json(local, "/console/logout", "{}", &[("cookie", &cookie)]).await;
    assert_eq!(
        r.header("set-cookie"),
        Some("s3strict_console=; Path=/_s3strict; HttpOnly; SameSite=Strict; Max-Age=0")
    );
}

/// A server without an admin token has no login: the console is for loopback.
#[tokio::test]
async fn login_without_an_admin_token() {
    let s = TestServer::start().await;
    let r = post_json(s.addr, "/console/login", r#"{"token":"x"}"#, &[]).await;
    assert_eq!(
        (r.status, json(&r)),
        (
            409,
            serde_json::json!({ "error": "this server has no admin token (--admin-token); the console is open on loopback only" })
        )
    );
    let (status, v) = admin(&s, "GET", "/console/session", "").await;
    assert_eq!((status, v["via"].as_str()), (200, Some("loopback")));
}

/// The cookie is derived from a secret drawn at startup: one server's cookie does not open
/// another with the same token (nor the same server after a restart).
#[tokio::test]
async fn session_cookie_belongs_to_one_server_run() {
    let start = || {
        TestServer::start_with(|c| {
            c.addr = "0.0.0.0:0".parse().unwrap();
            c.admin_token = Some("sesame-twice".into());
        })
    };
    let (a, b) = (start().await, start().await);
    let local = |s: &TestServer| SocketAddr::from(([127, 0, 0, 1], s.addr.port()));
    let r = post_json(local(&a), "/console/login", r#"{"token":"sesame-twice"}"#, &[]).await;
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert_eq!(raw(local(&a), "GET", "/_s3strict/console/buckets", &[("cookie", &cookie)], b"").await.status, 200);
    assert_eq!(raw(local(&b), "GET", "/_s3strict/console/buckets", &[("cookie", &cookie)], b"").await.status, 401);
}
