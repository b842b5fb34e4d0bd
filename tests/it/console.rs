//! The web console's server side on its own listener: its embedded page and headers, the URLs it
//! signs (used with the AWS SDK and a raw client), the S3 API forwarded to its origin with object
//! bytes made inert, its bucket overview, its URL check, and who may use it: the token login,
//! server-side sessions ended at logout, back-off of wrong tokens, cross-origin refusals. What is
//! left of the console on the S3 port points to it. The page itself is driven in Chromium by
//! `tests/clients/js/console.test.js` and `origin.test.js`.

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

/// A server listening on every address with an admin token, and its two ports on loopback.
async fn off_loopback(token: &str) -> (TestServer, SocketAddr, SocketAddr) {
    let token = token.to_string();
    let s = TestServer::start_with(move |c| {
        c.addr = "0.0.0.0:0".parse().unwrap();
        c.console_addr = s3strict::config::ConsoleAddr::At("0.0.0.0:0".parse().unwrap());
        c.admin_token = Some(token);
    })
    .await;
    let local = |a: SocketAddr| SocketAddr::from(([127, 0, 0, 1], a.port()));
    let (s3, console) = (local(s.addr), local(s.console()));
    (s, s3, console)
}

#[tokio::test]
async fn page_and_assets_are_embedded_with_strict_headers() {
    let s = TestServer::start().await;
    let c = s.console();
    for path in ["/", "/_s3strict/console"] {
        let r = raw(c, "GET", path, &[], b"").await;
        assert_eq!((r.status, r.header("location")), (302, Some("/_s3strict/console/")), "{path}");
    }
    let page = raw(c, "GET", "/_s3strict/console/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text().contains("<script type=\"module\" src=\"app.js\"></script>"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    for (path, kind) in [("app.js", "text/javascript; charset=utf-8"), ("style.css", "text/css; charset=utf-8")] {
        let r = raw(c, "GET", &format!("/_s3strict/console/{path}"), &[], b"").await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(kind));
        assert!(!r.body.is_empty());
    }
    let head = raw(c, "HEAD", "/_s3strict/console/app.js", &[], b"").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let r = raw(c, "GET", "/_s3strict/console/nothing-here", &[], b"").await;
    assert_eq!((r.status, json(&r)), (404, serde_json::json!({ "error": "no such console endpoint" })));
    // The console's origin is not an S3 endpoint.
    let r = raw(c, "GET", "/bucket/key", &[], b"").await;
    assert_eq!(
        (r.status, json(&r)),
        (
            404,
            serde_json::json!({ "error": format!("this is the console's origin; the S3 API is at http://{} (the console is at /_s3strict/console/)", s.addr) })
        )
    );
}

/// On the S3 port the page redirects to the console's origin and its calls are gone, with an
/// answer that names where they went; with the console off, that it is off.
#[tokio::test]
async fn the_s3_port_points_to_the_console() {
    let s = TestServer::start().await;
    let url = format!("http://{}/_s3strict/console/", s.console());
    let moved = serde_json::json!({
        "error": format!("the console and its API have their own origin, apart from the objects on this port: {url}"),
        "console": url,
    });
    for path in ["/_s3strict/console", "/_s3strict/console/"] {
        let r = s.raw("GET", path, &[], b"").await;
        assert_eq!((r.status, r.header("location"), json(&r)), (302, Some(url.as_str()), moved.clone()), "{path}");
    }
    for (method, path) in [
        ("GET", "/_s3strict/console/app.js"),
        ("POST", "/_s3strict/console/presign"),
        ("POST", "/_s3strict/console/login"),
        ("GET", "/_s3strict/console/s3/"),
    ] {
        let r = s.raw(method, path, JSON, b"{}").await;
        assert_eq!((r.status, json(&r)), (404, moved.clone()), "{method} {path}");
    }
    let off = TestServer::start_with(|c| c.console_addr = s3strict::config::ConsoleAddr::Off).await;
    assert_eq!(off.lib().console_addr(), None);
    let r = off.raw("GET", "/_s3strict/console/", &[], b"").await;
    assert_eq!((r.status, json(&r)), (404, serde_json::json!({ "error": "the console is off (--console-addr off)" })));
    // Without the console, the admin endpoints still serve scripts on the S3 port.
    assert_eq!(off.raw("GET", "/_s3strict/clock", &[], b"").await.status, 200);
}

/// The URLs the console signs are ordinary presigned URLs for the S3 port, and the same
/// requests on the console's origin: the SDK's objects come back through both, they are signed
/// at the server's clock, and bad requests get clear answers.
#[tokio::test]
async fn presign_signs_at_the_server_clock_for_both_origins() {
    let s = TestServer::start().await;
    let c = s.console();
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
    let r = post_json(c, "/console/presign", body, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = json(&r);
    let field = |i: usize, name: &str| v["urls"][i][name].as_str().unwrap().to_string();
    let prefix = format!("http://{}/pages/a%20b/c.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&", s.addr);
    assert!(field(0, "url").starts_with(&prefix), "{}", field(0, "url"));
    let target = |u: &str| u.split_once(&s.addr.to_string()).unwrap().1.to_string();
    for i in 0..3 {
        assert_eq!(field(i, "console_path"), format!("/_s3strict/console/s3{}", target(&field(i, "url"))));
    }
    let got = s.raw("GET", &target(&field(0, "url")), &[], b"").await;
    assert_eq!((got.status, got.text().as_str()), (200, "console bytes"));
    let here = raw(c, "GET", &field(0, "console_path"), &[], b"").await;
    assert_eq!((here.status, here.text().as_str()), (200, "console bytes"));
    let list = raw(c, "GET", &field(1, "console_path"), &[], b"").await;
    assert!(list.text().contains("<Key>a b/c.txt</Key>"), "{}", list.text());
    // The x-amz header is signed, so it must be sent.
    let head = raw(c, "HEAD", &field(2, "console_path"), &[("x-amz-checksum-mode", "ENABLED")], b"").await;
    assert_eq!(head.status, 200);
    let unsent = raw(c, "HEAD", &field(2, "console_path"), &[], b"").await;
    assert_eq!(unsent.status, 403);

    // Signed at the server's clock: the URL carries that date, and the expiry follows.
    s.set_clock(r#"{"frozen_at":"2031-05-06T07:08:09Z"}"#).await;
    let r = post_json(
        c,
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
        let r = post_json(c, "/console/presign", body, &[]).await;
        assert_eq!((r.status, json(&r)), (400, serde_json::json!({ "error": message })), "{body}");
    }
    let many = format!(r#"{{"requests":[{}]}}"#, vec![r#"{"method":"GET","expires_seconds":1}"#; 1001].join(","));
    let r = post_json(c, "/console/presign", &many, &[]).await;
    assert_eq!((r.status, json(&r)), (400, serde_json::json!({ "error": "at most 1000 URLs per call" })));
    let r = post_json(c, "/console/presign", r#"{"requests":[{"method":"GET"}]}"#, &[]).await;
    assert_eq!(r.status, 400);
    assert!(json(&r)["error"]
        .as_str()
        .unwrap()
        .starts_with("invalid presign request: missing field `expires_seconds`"));
}

/// Object bytes that come back through the console's origin are a sandboxed attachment, however
/// the object or the request asks to be shown; on the S3 port the same object is served exactly
/// as S3 serves it, HTML as HTML.
#[tokio::test]
async fn object_bytes_on_the_console_origin_are_inert_attachments() {
    let s = TestServer::start().await;
    let c = s.console();
    s.create_bucket("site").await;
    let page = "<!doctype html><script>fetch('/_s3strict/reset',{method:'POST'})</script>";
    s.client()
        .put_object()
        .bucket("site")
        .key("evil.html")
        .content_type("text/html")
        .content_disposition("inline")
        .body(page.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    let presigned = |query: &'static str| {
        let body = format!(
            r#"{{"requests":[{{"method":"GET","bucket":"site","key":"evil.html","query":{query},"expires_seconds":60}}]}}"#
        );
        async move {
            let v = json(&post_json(c, "/console/presign", &body, &[]).await);
            v["urls"][0]["console_path"].as_str().unwrap().to_string()
        }
    };
    let check = |r: &RawResponse, disposition: &str| {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-security-policy"), Some("sandbox; default-src 'none'; frame-ancestors 'none'"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("content-disposition"), Some(disposition));
        assert_eq!(r.text(), page, "the bytes themselves are untouched");
    };
    check(&raw(c, "GET", &presigned("[]").await, &[], b"").await, "attachment");
    let inline =
        presigned(r#"[["response-content-disposition","inline"],["response-content-type","text/html"]]"#).await;
    check(&raw(c, "GET", &inline, &[], b"").await, "attachment");
    let named = presigned(r#"[["response-content-disposition","attachment; filename=\"evil.html\""]]"#).await;
    check(&raw(c, "GET", &named, &[], b"").await, "attachment; filename=\"evil.html\"");
    // A HEAD carries no bytes: it keeps the object's own headers (the page shows them).
    let body = r#"{"requests":[{"method":"HEAD","bucket":"site","key":"evil.html","expires_seconds":60}]}"#;
    let v = json(&post_json(c, "/console/presign", body, &[]).await);
    let head = raw(c, "HEAD", v["urls"][0]["console_path"].as_str().unwrap(), &[], b"").await;
    assert_eq!((head.status, head.header("content-disposition")), (200, Some("inline")));
    assert!(head.header("content-security-policy").unwrap().starts_with("sandbox"));
    // Errors too.
    let r = raw(c, "GET", "/_s3strict/console/s3/site/evil.html", &[], b"").await;
    assert_eq!((r.status, r.header("content-disposition")), (403, Some("attachment")));

    // The S3 port: S3's own headers, nothing added.
    let r =
        s.raw("GET", &presigned_parts(&presigned_get(&s.client(), "site", "evil.html", 60).await).0, &[], b"").await;
    assert_eq!(
        (r.status, r.header("content-type"), r.header("content-disposition")),
        (200, Some("text/html"), Some("inline"))
    );
    assert_eq!(r.header("content-security-policy"), None);
    assert_eq!(r.header("x-content-type-options"), None);
}

/// The console's origin takes S3 requests only from its own page (or a client that is not a
/// browser), and only with admission.
#[tokio::test]
async fn forwarded_s3_requests_need_admission_and_the_console_origin() {
    let (_s, _, c) = off_loopback("sesame-forward").await;
    let r = raw(c, "GET", "/_s3strict/console/s3/", &[], b"").await;
    assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })));
    let bearer = [("authorization", "Bearer sesame-forward")];
    let r = raw(c, "GET", "/_s3strict/console/s3/", &bearer, b"").await;
    r.assert_error(403, "AccessDenied", "Access Denied");
    let s = TestServer::start().await;
    for mark in [("sec-fetch-site", "same-site"), ("origin", "http://127.0.0.1:9")] {
        let r = raw(s.console(), "PUT", "/_s3strict/console/s3/b", &[mark], b"").await;
        assert_eq!(
            (r.status, json(&r)),
            (403, serde_json::json!({ "error": "cross-site request refused" })),
            "{mark:?}"
        );
    }
}

#[tokio::test]
async fn buckets_with_object_counts_and_sizes() {
    let s = TestServer::start().await;
    s.create_bucket("zeta").await;
    s.create_bucket("alpha").await;
    for (key, body) in [("one", &b"12345"[..]), ("two", &b"123"[..])] {
        s.client().put_object().bucket("alpha").key(key).body(body.to_vec().into()).send().await.unwrap();
    }
    let r = raw(s.console(), "GET", "/_s3strict/console/buckets", &[], b"").await;
    assert_eq!(r.status, 200);
    let v = json(&r);
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
    let c = s.console();
    let client = s.client();
    let req = presigned_get(&client, "bkt", "k.txt", 60).await;
    let url = req.uri().to_string();
    let check = |url: String| {
        let body = serde_json::json!({ "url": url, "method": "GET" }).to_string();
        async move { post_json(c, "/console/check", &body, &[]).await }
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

    let r = post_json(c, "/console/check", r#"{"url":"not a url"}"#, &[]).await;
    assert_eq!(r.status, 400);
    assert!(json(&r)["error"].as_str().unwrap().starts_with("not a URL"));
}

/// Off loopback: the page loads, its calls need the token; the login sets an HttpOnly,
/// SameSite=Strict cookie holding a random session id that stands for the token on every admin
/// endpoint of the console's origin (never on the S3 port); logging out ends the session on the
/// server. A wrong token, a forged cookie, a cross-site or non-JSON login are refused.
#[tokio::test]
async fn token_login_and_server_side_sessions_off_loopback() {
    let (s, s3, local) = off_loopback("sesame-console").await;
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
    for mark in [("origin", "http://evil.example"), ("sec-fetch-site", "same-site")] {
        let r = post_json(local, "/console/login", r#"{"token":"sesame-console"}"#, &[mark]).await;
        assert_eq!((r.status, json(&r)), (403, serde_json::json!({ "error": "cross-site request refused" })));
    }
    let r = raw(local, "GET", "/_s3strict/console/login", &[], b"").await;
    assert_eq!(r.status, 405);

    let login = || async { post_json(local, "/console/login", r#"{"token":"sesame-console"}"#, &[]).await };
    let r = login().await;
    assert_eq!(r.status, 200);
    let set_cookie = r.header("set-cookie").unwrap().to_string();
    let (pair, attrs) = set_cookie.split_once("; ").unwrap();
    assert_eq!(attrs, "Path=/_s3strict; HttpOnly; SameSite=Strict; Max-Age=43200");
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, format!("s3strict_console_{}", s.console().port()), "one cookie per console");
    assert_eq!(value.len(), 64);
    assert!(!set_cookie.contains("sesame"), "the cookie does not carry the token");
    let second = login().await.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert_ne!(second, pair, "a random id per login");

    let cookie = format!("other=1; {pair}");
    let r = raw(local, "GET", "/_s3strict/console/session", &[("cookie", &cookie)], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["via"], "cookie");
    assert_eq!(raw(local, "GET", "/_s3strict/auth-log", &[("cookie", &cookie)], b"").await.status, 200);
    // Not on the S3 port: a page served from a bucket would carry it there.
    let r = raw(s3, "GET", "/_s3strict/auth-log", &[("cookie", &cookie)], b"").await;
    assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })));
    let forged = format!("{name}={}", "0".repeat(64));
    assert_eq!(raw(local, "GET", "/_s3strict/auth-log", &[("cookie", &forged)], b"").await.status, 401);
    // A state-changing call with the cookie still has to come from this origin, as JSON.
    let r = post_json(local, "/reset", "{}", &[("cookie", &cookie), ("sec-fetch-site", "same-site")]).await;
    assert_eq!((r.status, json(&r)), (403, serde_json::json!({ "error": "cross-site request refused" })));
    let r = raw(local, "POST", "/_s3strict/reset", &[("cookie", &cookie), ("content-type", "text/plain")], b"{}").await;
    assert_eq!(r.status, 415);

    let r = post_json(local, "/console/logout", "{}", &[("cookie", &cookie)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("set-cookie"),
        Some(format!("{name}=; Path=/_s3strict; HttpOnly; SameSite=Strict; Max-Age=0").as_str())
    );
    // The session is over on the server: the old cookie opens nothing, the other login still does.
    let r = raw(local, "GET", "/_s3strict/console/session", &[("cookie", &cookie)], b"").await;
    assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })));
    assert_eq!(raw(local, "GET", "/_s3strict/console/session", &[("cookie", &second)], b"").await.status, 200);
}

/// Wrong admin tokens and logins are slowed per client: three are free, then each makes the
/// client wait twice as long, answered 429 with `Retry-After` (the right token too, while
/// waiting, so guessing is no faster); after the wait, the right token works and starts over.
#[tokio::test]
async fn wrong_tokens_back_off_per_client() {
    let (_s, s3, console) = off_loopback("right-token").await;
    let with = |t: &str| format!("Bearer {t}");
    let wrong = with("wrong-token");
    for i in 0..4 {
        let r = raw(s3, "GET", "/_s3strict/clock", &[("authorization", &wrong)], b"").await;
        assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })), "try {i}");
    }
    let right = with("right-token");
    let waiting = serde_json::json!({ "error": "too many wrong admin tokens from this address: try again in 1 s" });
    for (addr, auth) in [(s3, &wrong), (s3, &right), (console, &right)] {
        let r = raw(addr, "GET", "/_s3strict/clock", &[("authorization", auth)], b"").await;
        assert_eq!((r.status, r.header("retry-after"), json(&r)), (429, Some("1"), waiting.clone()), "{addr} {auth}");
    }
    // Logins count in the same table.
    let r = post_json(console, "/console/login", r#"{"token":"right-token"}"#, &[]).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    // Probes never ask for a token.
    assert_eq!(raw(s3, "GET", "/_s3strict/health", &[("authorization", &wrong)], b"").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = raw(s3, "GET", "/_s3strict/clock", &[("authorization", &right)], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Started over: three free failures again.
    for _ in 0..3 {
        let r = post_json(console, "/console/login", r#"{"token":"nope"}"#, &[]).await;
        assert_eq!(r.status, 401);
    }
    let r = post_json(console, "/console/login", r#"{"token":"right-token"}"#, &[]).await;
    assert_eq!(r.status, 200);
}

/// A server without an admin token has no login: the console is for loopback.
#[tokio::test]
async fn login_without_an_admin_token() {
    let s = TestServer::start().await;
    let r = post_json(s.console(), "/console/login", r#"{"token":"x"}"#, &[]).await;
    assert_eq!(
        (r.status, json(&r)),
        (
            409,
            serde_json::json!({ "error": "this server has no admin token (--admin-token); the console is open on loopback only" })
        )
    );
    let r = raw(s.console(), "GET", "/_s3strict/console/session", &[], b"").await;
    assert_eq!((r.status, json(&r)["via"].as_str()), (200, Some("loopback")));
    // On loopback, the Host check still stands against DNS rebinding.
    let r = raw(s.console(), "GET", "/_s3strict/console/session", &[("host", "attacker.example")], b"").await;
    assert_eq!(
        (r.status, json(&r)),
        (403, serde_json::json!({ "error": "the Host header does not name this server" }))
    );
}

/// A session is one server's: another server with the same token does not know its id (nor the
/// same server after a restart).
#[tokio::test]
async fn sessions_belong_to_one_server_run() {
    let (a, _, a_console) = off_loopback("sesame-twice").await;
    let (b, _, b_console) = off_loopback("sesame-twice").await;
    let r = post_json(a_console, "/console/login", r#"{"token":"sesame-twice"}"#, &[]).await;
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert_eq!(raw(a_console, "GET", "/_s3strict/console/buckets", &[("cookie", &cookie)], b"").await.status, 200);
    let id = cookie.split_once('=').unwrap().1;
    let for_b = format!("s3strict_console_{}={id}", b.console().port());
    assert_eq!(raw(b_console, "GET", "/_s3strict/console/buckets", &[("cookie", &for_b)], b"").await.status, 401);
    drop(b);
    let a = a.restart().await;
    let after = SocketAddr::from(([127, 0, 0, 1], a.console().port()));
    let again = format!("s3strict_console_{}={id}", a.console().port());
    assert_eq!(raw(after, "GET", "/_s3strict/console/buckets", &[("cookie", &again)], b"").await.status, 401);
}

/// Every answer under `/_s3strict/` on either port, page and errors included, is kept out of
/// caches (`Cache-Control: no-store`, with `Vary` naming what it depends on): a page on the S3
/// port could otherwise read an admin answer the user once opened from the browser's cache,
/// without its request ever reaching the server.
#[tokio::test]
async fn admin_and_console_answers_are_never_cached() {
    let s = TestServer::start().await;
    let c = s.console();
    let answers = [
        (s.addr, "GET", "/_s3strict/health", vec![]),
        (s.addr, "GET", "/_s3strict/clock", vec![]),
        (s.addr, "GET", "/_s3strict/auth-log", vec![]),
        (s.addr, "GET", "/_s3strict/users", vec![]),
        (s.addr, "GET", "/_s3strict/users", vec![("sec-fetch-site", "same-origin")]),
        (s.addr, "GET", "/_s3strict/nothing", vec![]),
        (s.addr, "GET", "/_s3strict/console/", vec![]),
        (c, "GET", "/_s3strict/console/", vec![]),
        (c, "GET", "/_s3strict/console/app.js", vec![]),
        (c, "GET", "/_s3strict/console/session", vec![]),
        (c, "GET", "/_s3strict/console/buckets", vec![]),
        (c, "GET", "/_s3strict/auth-log", vec![]),
        (c, "GET", "/_s3strict/users", vec![("origin", "http://evil.example")]),
    ];
    for (addr, method, path, headers) in answers {
        let r = raw(addr, method, path, &headers, b"").await;
        let what = format!("{addr} {path} {headers:?}: {}", r.status);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
        assert_eq!(r.header("vary"), Some("Origin, Sec-Fetch-Site, Cookie, Authorization"), "{what}");
    }
    // S3's own answers keep S3's headers.
    s.create_bucket("plain").await;
    let r = s.signed(SignedRequest::new("GET", "/plain")).await;
    assert_eq!((r.status, r.header("cache-control"), r.header("vary")), (200, None, None));
}

/// Cookies ignore ports, so a page on the S3 port can set a cookie of the console's name for this
/// host, with a longer path, which browsers send first: the console looks at every cookie of its
/// name, so the real session still counts, and logging out ends every session they name.
#[tokio::test]
async fn a_cookie_set_beside_the_session_cannot_hide_it() {
    let (s, _, local) = off_loopback("sesame-shadow").await;
    let r = post_json(local, "/console/login", r#"{"token":"sesame-shadow"}"#, &[]).await;
    let real = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let name = format!("s3strict_console_{}", s.console().port());
    let shadowed = format!("{name}=deadbeef; {real}");
    let r = raw(local, "GET", "/_s3strict/console/session", &[("cookie", &shadowed)], b"").await;
    assert_eq!((r.status, json(&r)["via"].as_str()), (200, Some("cookie")), "{}", r.text());
    assert_eq!(raw(local, "GET", "/_s3strict/auth-log", &[("cookie", &shadowed)], b"").await.status, 200);
    let r = post_json(local, "/console/logout", "{}", &[("cookie", &shadowed)]).await;
    assert_eq!(r.status, 200);
    let r = raw(local, "GET", "/_s3strict/console/session", &[("cookie", &real)], b"").await;
    assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })), "ended");
}

/// A request from `from` (a loopback address of the client's choosing) to `addr`.
async fn raw_from(
    from: std::net::IpAddr,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await.unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await.unwrap();
    parse_response_bytes(&resp)
}

/// A client with many addresses (here 127.0.0.0/8, any of which reaches loopback) gets a fresh
/// per-client back-off on each; the wrong tokens and logins of all clients together are limited
/// too: past a burst of 20, a few a second, answered 429 with `Retry-After` for everyone, the
/// right token included (or it would tell a guess apart), and only for as long as one token's
/// refill.
#[tokio::test]
async fn wrong_tokens_from_many_addresses_are_limited_together() {
    let (_s, s3, console) = off_loopback("right-token").await;
    let wrong = "Bearer wrong-token";
    let refused =
        serde_json::json!({ "error": "too many wrong admin tokens from all clients lately: try again in 1 s" });
    // Three wrong tokens from each address (all free per client) until all clients are refused.
    let start = std::time::Instant::now();
    let mut checked = 0;
    let first_refusal = 'guessing: loop {
        let from = std::net::IpAddr::from([127, 0, 7, 10 + u8::try_from(checked / 3).unwrap()]);
        for _ in 0..3 {
            let r = raw_from(from, s3, "GET", "/_s3strict/clock", &[("authorization", wrong)], b"").await;
            if r.status == 429 {
                break 'guessing r;
            }
            assert_eq!((r.status, json(&r)), (401, serde_json::json!({ "error": "admin token required" })));
            checked += 1;
            assert!(checked < 100, "never limited");
        }
    };
    let refills = (start.elapsed().as_secs_f64() * 5.0) as usize;
    assert!((20..=21 + refills).contains(&checked), "{checked} wrong tokens checked in {:?}", start.elapsed());
    assert_eq!(
        (first_refusal.status, first_refusal.header("retry-after"), json(&first_refusal)),
        (429, Some("1"), refused.clone())
    );
    let fresh = std::net::IpAddr::from([127, 0, 8, 1]);
    let right = "Bearer right-token";
    let r = raw_from(fresh, s3, "GET", "/_s3strict/clock", &[("authorization", right)], b"").await;
    assert_eq!((r.status, r.header("retry-after"), json(&r)), (429, Some("1"), refused.clone()), "the right token too");
    let login = br#"{"token":"right-token"}"#;
    let r =
        raw_from(fresh, console, "POST", "/_s3strict/console/login", &[("content-type", "application/json")], login)
            .await;
    assert_eq!((r.status, json(&r)), (429, refused.clone()));
    // One refill later, the right token gets in (and gives its token back).
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let r = raw_from(fresh, s3, "GET", "/_s3strict/clock", &[("authorization", right)], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r =
        raw_from(fresh, console, "POST", "/_s3strict/console/login", &[("content-type", "application/json")], login)
            .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// With a `--domain` that is not `localhost`, browsers mark none of a page's requests to it over
/// http (no `Sec-Fetch-Site`, no `Origin` on a same-origin GET): on the S3 port, the admin
/// endpoints then answer only requests addressed to localhost or a loopback address, or with the
/// admin token. (The page in Chromium is in `tests/clients/js/origin.test.js`.)
#[tokio::test]
async fn a_domain_browsers_do_not_mark_needs_the_token() {
    let s = TestServer::start_with(|c| c.domain = Some("s3.test".into())).await;
    let host = format!("s3.test:{}", s.addr.port());
    let expected = serde_json::json!({
        "error": format!(
            "refused: browsers send no Sec-Fetch-Site to http://s3.test (not a secure context), so on this port a page \
             served from a bucket under that name could not be told from curl; without the admin token, /_s3strict/ \
             here answers only requests addressed to localhost or a loopback address: use http://{}/_s3strict/ (or \
             the admin token)",
            s.addr
        )
    });
    for path in ["/_s3strict/auth-log", "/_s3strict/users", "/_s3strict/clock"] {
        let r = raw(s.addr, "GET", path, &[("host", &host)], b"").await;
        assert_eq!((r.status, json(&r)), (403, expected.clone()), "{path}");
    }
    let r = post_json(s.addr, "/reset", "{}", &[("host", &host)]).await;
    assert_eq!((r.status, json(&r)), (403, expected.clone()));
    // Probes stay open; by its loopback address, or by localhost, the same endpoints answer.
    assert_eq!(raw(s.addr, "GET", "/_s3strict/health", &[("host", &host)], b"").await.status, 200);
    assert_eq!(raw(s.addr, "GET", "/_s3strict/clock", &[], b"").await.status, 200);
    let localhost = format!("localhost:{}", s.addr.port());
    assert_eq!(raw(s.addr, "GET", "/_s3strict/clock", &[("host", &localhost)], b"").await.status, 200);
    // S3 requests by the domain are S3's as ever.
    s.create_bucket("named").await;
    let r = s.signed(SignedRequest::new("GET", "/named")).await;
    assert_eq!(r.status, 200);
    // A server whose domain is under localhost keeps it open.
    let s = TestServer::start_with(|c| c.domain = Some("s3.localhost".into())).await;
    let host = format!("s3.localhost:{}", s.addr.port());
    assert_eq!(raw(s.addr, "GET", "/_s3strict/clock", &[("host", &host)], b"").await.status, 200);
}
