//! The command line for presigner authors: `s3strict presign` (URLs and POST forms from
//! s3strict's own signer, accepted by a running server and equal to an SDK's for the same inputs)
//! and `s3strict check-url --json`.

use std::process::Command;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;

use crate::common::*;

fn s3strict(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() != Some(2), "bad input: {stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

fn target_and_host(url: &str) -> (String, String) {
    let uri: http::Uri = url.trim().parse().unwrap();
    (uri.path_and_query().unwrap().to_string(), uri.authority().unwrap().to_string())
}

#[tokio::test]
async fn presign_makes_urls_the_server_accepts() {
    let s = TestServer::start_with(|c| {
        c.domain = Some("localhost".into());
        c.sigv2_buckets = vec!["bkt".into()];
    })
    .await;
    s.create_bucket("bkt").await;
    let endpoint = s.endpoint();
    let key = "s3://bkt/dir/a b+c~é.txt";
    let (code, url) =
        s3strict(&["presign", "-X", "PUT", "-H", "Content-Type: text/plain", "--endpoint", &endpoint, key]);
    assert_eq!(code, 0);
    let (target, host) = target_and_host(&url);
    let r = s.raw("PUT", &target, &[("host", &host), ("content-type", "text/plain")], b"made by presign").await;
    assert_eq!(r.status, 200, "{}", r.text());
    for extra in [&[][..], &["--sigv2"][..], &["--style", "virtual"][..]] {
        let endpoint =
            if extra.contains(&"virtual") { format!("http://localhost:{}", s.addr.port()) } else { endpoint.clone() };
        let mut args = vec!["presign", "--endpoint", &endpoint, key];
        args.extend_from_slice(extra);
        let (code, url) = s3strict(&args);
        assert_eq!(code, 0);
        let (target, host) = target_and_host(&url);
        let r = s.raw("GET", &target, &[("host", &host)], b"").await;
        assert_eq!((r.status, r.body.as_slice()), (200, &b"made by presign"[..]), "{extra:?}: {url}");
    }
    // Bad input exits 2 with a message.
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict")).args(["presign", "http://not-s3/k"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected s3://bucket/key"));
}

#[tokio::test]
async fn presign_signs_as_the_rust_sdk_does() {
    let at = "2026-11-25T12:00:00Z";
    let start = SystemTime::UNIX_EPOCH
        + Duration::from_secs(chrono::DateTime::parse_from_rfc3339(at).unwrap().timestamp() as u64);
    let client = client_for("http://127.0.0.1:9000", AK, SK, REGION);
    let conf = PresigningConfig::builder().start_time(start).expires_in(Duration::from_secs(600)).build().unwrap();
    let sdk = client.get_object().bucket("bkt").key("a b+c~é.txt").presigned(conf).await.unwrap();
    let (code, url) =
        s3strict(&["presign", "--at", at, "--expires", "600", "--query", "x-id=GetObject", "s3://bkt/a b+c~é.txt"]);
    assert_eq!(code, 0);
    let sig = |u: &str| u.trim().rsplit("X-Amz-Signature=").next().unwrap().split('&').next().unwrap().to_string();
    assert_eq!(sig(&url), sig(sdk.uri()), "{url}\n{}", sdk.uri());
}

#[tokio::test]
async fn presign_post_forms() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let endpoint = s.endpoint();
    let args = [
        "presign",
        "--post",
        "--endpoint",
        &endpoint,
        "--field",
        "Content-Type=text/plain",
        "--content-length-range",
        "1,10",
        "s3://bkt/uploads/${filename}",
    ];
    let (code, out) = s3strict(&args);
    assert_eq!(code, 0);
    let form: serde_json::Value = serde_json::from_str(&out).unwrap();
    let send = |file: &'static [u8]| {
        let form = form.clone();
        let s = &s;
        async move {
            let mut body = Vec::new();
            for (n, v) in form["fields"].as_object().unwrap() {
                body.extend_from_slice(
                    format!("--B\r\ncontent-disposition: form-data; name=\"{n}\"\r\n\r\n{}\r\n", v.as_str().unwrap())
                        .as_bytes(),
                );
            }
            body.extend_from_slice(b"--B\r\ncontent-disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\n");
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n--B--\r\n");
            let (target, _) = target_and_host(form["url"].as_str().unwrap());
            s.raw("POST", &target, &[("content-type", "multipart/form-data; boundary=B")], &body).await
        }
    };
    assert_eq!(send(b"hello").await.status, 204);
    let got = s.client().get_object().bucket("bkt").key("uploads/f.txt").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    let r = send(b"more than ten bytes").await;
    r.assert_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
}

#[tokio::test]
async fn check_url_json() {
    let (code, url) = s3strict(&["presign", "--endpoint", "http://minio:9000", "s3://bkt/k"]);
    assert_eq!(code, 0);
    let (code, out) = s3strict(&["check-url", "--json", url.trim()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["accepted"].as_bool(), v["mechanism"].as_str()), (Some(true), Some("query")));
    // The same URL sent to another host: refused, with S3's error and the cause.
    let moved = url.trim().replace("minio:9000", "localhost:32768");
    let (code, out) = s3strict(&["check-url", "--json", &moved]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["accepted"].as_bool(), v["status"].as_u64(), v["code"].as_str()),
        (Some(false), Some(403), Some("SignatureDoesNotMatch"))
    );
    assert_eq!(v["cause"].as_str(), Some("the URL was signed for host minio:9000, received localhost:32768"));
    assert!(v["elements"]["CanonicalRequest"].as_str().unwrap().contains("host:localhost:32768"));
    // The text form names the cause too.
    let (_, text) = s3strict(&["check-url", &moved]);
    assert!(text.contains("cause: the URL was signed for host minio:9000, received localhost:32768"), "{text}");
}

/// With the presigner's own canonical request: equal to the server's, the secret is what differs.
#[tokio::test]
async fn check_url_says_when_only_the_secret_differs() {
    let dir = tempfile::tempdir().unwrap();
    let (_, url) = s3strict(&["presign", "--secret-key", "not-the-secret", "s3://bkt/k"]);
    let (code, out) = s3strict(&["check-url", "--json", url.trim()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let creq = dir.path().join("creq.txt");
    std::fs::write(&creq, v["elements"]["CanonicalRequest"].as_str().unwrap()).unwrap();
    let (code, text) = s3strict(&["check-url", "--canonical-request", creq.to_str().unwrap(), url.trim()]);
    assert_eq!(code, 1);
    assert!(
        text.contains("the canonical requests agree: the signature was made with another secret key (or for another date or region)"),
        "{text}"
    );
}

/// `check-url` says which method it judged, suggests the method a URL was signed for, says when a
/// URL carries no signature, and names a missing `--canonical-request` file.
#[tokio::test]
async fn check_url_hints() {
    let (_, url) = s3strict(&["presign", "-X", "PUT", "s3://bkt/k"]);
    let (code, text) = s3strict(&["check-url", url.trim()]);
    assert_eq!(code, 1);
    assert!(text.starts_with("verdict: rejected\njudged as: GET (-X/--method to change)\nstatus: 403\n"), "{text}");
    assert!(text.contains("\nhint: the URL verifies for PUT: signed for another method? try -X PUT\n"), "{text}");
    let (code, out) = s3strict(&["check-url", "--json", url.trim()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["hint"], "the URL verifies for PUT: signed for another method? try -X PUT");
    let (code, text) = s3strict(&["check-url", "-X", "PUT", url.trim()]);
    assert_eq!(code, 0, "{text}");
    // No signature at all: anonymous, and said so.
    let (code, text) = s3strict(&["check-url", "http://127.0.0.1:9000/bkt/k"]);
    assert_eq!(code, 1);
    assert!(text.contains("code: AccessDenied\nmessage: Access Denied\n"), "{text}");
    assert!(
        text.contains("hint: the URL carries no signature (no X-Amz-Signature, Signature or q-signature): S3 takes it as an anonymous request, refused unless the bucket grants public access\n"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict"))
        .args(["check-url", "--canonical-request", "/no/such/creq.txt", url.trim()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "s3strict: cannot read --canonical-request /no/such/creq.txt: No such file or directory (os error 2)"
    );
}
