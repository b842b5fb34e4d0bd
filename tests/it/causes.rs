//! Named causes of signature mismatches: each known presigner mistake made on purpose, with the
//! Rust SDK's URL where an SDK makes it and a crafted one where none does. The status, `Code` and
//! `Message` stay exactly S3's; the cause is one extra element after S3's own, and a header.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use s3strict::auth::canonical;

use crate::common::*;

const MISMATCH: &str =
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

/// Asserts S3's mismatch and returns the cause.
fn cause_of(r: &RawResponse) -> String {
    let doc = r.assert_error(403, "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(doc.names().last(), Some(&"S3strictCause"), "{}", r.text());
    let cause = doc.get("S3strictCause").unwrap().to_string();
    assert!(r.header("x-s3strict-cause").is_some());
    cause
}

async fn server() -> TestServer {
    let s = TestServer::start_with(|c| c.domain = Some("localhost".into())).await;
    s.create_bucket("bkt").await;
    let c = s.client();
    for key in ["k", "a b.txt", "dir/", "a+b"] {
        c.put_object().bucket("bkt").key(key).body(b"v".to_vec().into()).send().await.unwrap();
    }
    s
}

fn presigning() -> PresigningConfig {
    PresigningConfig::expires_in(Duration::from_secs(600)).unwrap()
}

/// Sends `target` with `headers` (a `host` among them replaces the default).
async fn send(s: &TestServer, method: &str, target: &str, headers: &[(&str, &str)]) -> RawResponse {
    s.raw(method, target, headers, b"").await
}

#[tokio::test]
async fn signed_for_another_host_or_port() {
    let s = server().await;
    let minio = client_for("http://minio:9000", AK, SK, REGION);
    let (target, _) = presigned_parts(&presigned_get(&minio, "bkt", "k", 600).await);
    let r = send(&s, "GET", &target, &[]).await;
    assert_eq!(cause_of(&r), format!("the URL was signed for host minio:9000, received {}", s.addr));
    // A port dropped by a proxy.
    let r = send(&s, "GET", &target, &[("host", "minio")]).await;
    assert_eq!(cause_of(&r), "the URL was signed for host minio:9000, received minio");
}

#[tokio::test]
async fn path_style_and_virtual_hosted_swapped() {
    let s = server().await;
    let port = s.addr.port();
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(format!("http://localhost:{port}"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(AK, SK, None, None, "t"))
        .build();
    let virtual_hosted = aws_sdk_s3::Client::from_conf(conf);
    let (target, _) =
        presigned_parts(&virtual_hosted.get_object().bucket("bkt").key("k").presigned(presigning()).await.unwrap());
    assert!(target.starts_with("/k?"), "{target}");
    // Rewritten to path style on its way.
    let host = format!("localhost:{port}");
    let r = send(&s, "GET", &format!("/bkt{target}"), &[("host", &host)]).await;
    assert_eq!(
        cause_of(&r),
        format!("the URL was signed virtual-hosted style for bkt.localhost:{port}/k and sent path-style to localhost:{port}/bkt/k")
    );
    // And the reverse: a path-style URL sent virtual-hosted.
    let (target, _) = presigned_parts(&presigned_get(&s.client(), "bkt", "k", 600).await);
    let vhost = format!("bkt.localhost:{port}");
    let r = send(&s, "GET", target.strip_prefix("/bkt").unwrap(), &[("host", &vhost)]).await;
    assert!(cause_of(&r).starts_with("the URL was signed path-style for "), "{}", r.text());
}

#[tokio::test]
async fn a_proxy_prefix() {
    let s = server().await;
    let (target, _) = presigned_parts(&presigned_get(&s.client(), "bkt", "k", 600).await);
    let r = send(&s, "GET", &format!("/gateway{target}"), &[]).await;
    assert_eq!(
        cause_of(&r),
        "the path was signed without its first segment /gateway: a proxy added that prefix after signing"
    );
}

#[tokio::test]
async fn key_encoding_mistakes() {
    let s = server().await;
    let c = s.client();
    // `a b.txt` signed with %20, sent with '+' (form encoding).
    let (target, _) = presigned_parts(&presigned_get(&c, "bkt", "a b.txt", 600).await);
    let r = send(&s, "GET", &target.replacen("a%20b", "a+b", 1), &[]).await;
    assert_eq!(
        cause_of(&r),
        "the key was signed with a space where the URL has '+': S3 reads '+' in a path literally; send a space as %20 and a plus as %2B"
    );
    // The URL encoded once more after signing.
    let (target, _) = presigned_parts(&presigned_get(&c, "bkt", "a+b", 600).await);
    let r = send(&s, "GET", &target.replacen("%2B", "%252B", 1), &[]).await;
    assert_eq!(
        cause_of(&r),
        "the URL was encoded again after signing (%2B became %252B): send the presigned URL exactly as it was made"
    );
    // A trailing slash dropped.
    let (target, _) = presigned_parts(&presigned_get(&c, "bkt", "dir/", 600).await);
    let r = send(&s, "GET", &target.replacen("/dir/?", "/dir?", 1), &[]).await;
    assert_eq!(cause_of(&r), "the key was signed with a trailing slash the URL does not have");
}

/// A presigned GET whose canonical request uses `canonical_uri` instead of S3's, as a presigner
/// with its own encoding would sign it; sent with `path`.
fn crafted(s: &TestServer, path: &str, canonical_uri: &str) -> String {
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let scope = canonical::scope(&date[..8], REGION, "s3");
    let enc = |v: &str| canonical::uri_encode(v.as_bytes(), true);
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={date}&X-Amz-Expires=600&X-Amz-SignedHeaders=host",
        enc(&format!("{AK}/{scope}"))
    );
    let host = s.addr.to_string();
    let block = canonical::canonical_headers(&["host"], |_| vec![host.as_str()]);
    let creq = canonical::canonical_request(
        "GET",
        canonical_uri,
        &canonical::canonical_query(&query),
        &block,
        "host",
        "UNSIGNED-PAYLOAD",
    );
    let sts = canonical::string_to_sign(&date, &scope, &creq);
    let sig = canonical::sign(&canonical::signing_key(SK, &date[..8], REGION, "s3"), &sts);
    format!("{path}?{query}&X-Amz-Signature={sig}")
}

#[tokio::test]
async fn canonical_uri_mistakes_no_sdk_makes() {
    let s = server().await;
    let cases = [
        ("/bkt/%C3%A9", "/bkt/%c3%a9", "the presigner wrote lowercase percent-escapes in the path (%2b); S3's canonical request uses uppercase (%2B)"),
        ("/bkt/a%3Db", "/bkt/a=b", "the presigner left '=' unencoded in the path; S3 encodes it as %3D"),
        ("/bkt/a~b", "/bkt/a%7Eb", "the presigner encoded '~' as %7E in the path; S3 leaves '~' as it is"),
        ("/bkt/a//b", "/bkt/a/b", "the presigner collapsed '//' in the key; S3 keeps every slash"),
        ("/bkt/k", "/s3/bkt/k", "the path was signed with the prefix /s3, which a proxy removed before the request arrived"),
    ];
    for (path, signed_uri, cause) in cases {
        let r = send(&s, "GET", &crafted(&s, path, signed_uri), &[]).await;
        assert_eq!(cause_of(&r), cause, "{path}");
    }
}

#[tokio::test]
async fn query_parameters_added_removed_or_form_encoded() {
    let s = server().await;
    let c = s.client();
    let (target, _) = presigned_parts(&presigned_get(&c, "bkt", "k", 600).await);
    let r = send(&s, "GET", &format!("{target}&utm_source=mail"), &[]).await;
    assert_eq!(cause_of(&r), "the query parameter utm_source was added after signing");
    // The Rust SDK signs x-id=GetObject; a proxy dropping it breaks the URL.
    let r = send(&s, "GET", &without_param(&target, "x-id"), &[]).await;
    assert_eq!(cause_of(&r), "the signed query parameter x-id=GetObject was removed from the URL");
    // A value with a space, rewritten to '+' on its way.
    let req = c
        .get_object()
        .bucket("bkt")
        .key("k")
        .response_content_disposition("attachment; filename=a b.txt")
        .presigned(presigning())
        .await
        .unwrap();
    let (target, _) = presigned_parts(&req);
    let r = send(&s, "GET", &target.replace("%20", "+"), &[]).await;
    assert_eq!(
        cause_of(&r),
        "a '+' in the query was meant as a space (form encoding); S3 reads '+' literally: send a space as %20"
    );
}

#[tokio::test]
async fn signed_headers_missing_or_changed() {
    let s = server().await;
    let c = s.client();
    let req =
        c.put_object().bucket("bkt").key("typed").content_type("text/plain").presigned(presigning()).await.unwrap();
    let (target, _) = presigned_parts(&req);
    let r = s.raw("PUT", &target, &[], b"x").await;
    assert_eq!(cause_of(&r), "the signed header content-type was not sent; it was signed as \"text/plain\"");
    // A browser adding a charset.
    let r = s.raw("PUT", &target, &[("content-type", "text/plain;charset=UTF-8")], b"x").await;
    assert_eq!(
        cause_of(&r),
        "the header content-type was signed as \"text/plain\" but sent as \"text/plain;charset=UTF-8\""
    );
    let req = c
        .put_object()
        .bucket("bkt")
        .key("public")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .presigned(presigning())
        .await
        .unwrap();
    let (target, _) = presigned_parts(&req);
    let r = s.raw("PUT", &target, &[("x-amz-acl", "private")], b"x").await;
    assert_eq!(cause_of(&r), "the header x-amz-acl was signed as \"public-read\" but sent as \"private\"");
}

#[tokio::test]
async fn unsigned_amz_headers_say_what_sends_them() {
    let s = server().await;
    let (target, _) = presigned_parts(&presigned_put(&s.client(), "bkt", "k2").await);
    let r = s.raw("PUT", &target, &[("x-amz-meta-owner", "me")], b"x").await;
    let doc = r.assert_error(403, "AccessDenied", "There were headers present in the request which were not signed");
    assert_eq!(doc.get("HeadersNotSigned"), Some("x-amz-meta-owner"));
    assert!(doc
        .get("S3strictCause")
        .unwrap()
        .starts_with("x-amz-meta-owner was sent but not signed: metadata must be given to the presigner"));
    let r = s.raw("PUT", &target, &[("x-amz-checksum-crc32", "AAAAAA==")], b"x").await;
    let doc = r.assert_error(403, "AccessDenied", "There were headers present in the request which were not signed");
    assert!(doc.get("S3strictCause").unwrap().contains("request_checksum_calculation"), "{}", r.text());
}

#[tokio::test]
async fn unsorted_signed_headers_as_old_php_sdks_send_them() {
    let s = server().await;
    // As older AWS SDK for PHP versions presign: the URL's X-Amz-SignedHeaders in header order,
    // the canonical request over the sorted list.
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let scope = canonical::scope(&date[..8], REGION, "s3");
    let enc = |v: &str| canonical::uri_encode(v.as_bytes(), true);
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={date}&X-Amz-Expires=600&X-Amz-SignedHeaders={}",
        enc(&format!("{AK}/{scope}")),
        enc("host;x-amz-meta-b;x-amz-acl")
    );
    let host = s.addr.to_string();
    let values = [("host", host.as_str()), ("x-amz-acl", "private"), ("x-amz-meta-b", "2")];
    let block = canonical::canonical_headers(&["host", "x-amz-acl", "x-amz-meta-b"], |n| {
        values.iter().filter(|(k, _)| *k == n).map(|(_, v)| *v).collect()
    });
    let creq = canonical::canonical_request(
        "PUT",
        "/bkt/php",
        &canonical::canonical_query(&query),
        &block,
        "host;x-amz-acl;x-amz-meta-b",
        "UNSIGNED-PAYLOAD",
    );
    let sts = canonical::string_to_sign(&date, &scope, &creq);
    let sig = canonical::sign(&canonical::signing_key(SK, &date[..8], REGION, "s3"), &sts);
    let url = format!("/bkt/php?{query}&X-Amz-Signature={sig}");
    let r = s.raw("PUT", &url, &[("x-amz-meta-b", "2"), ("x-amz-acl", "private")], b"x").await;
    assert_eq!(
        cause_of(&r),
        "X-Amz-SignedHeaders lists the headers unsorted (host;x-amz-meta-b;x-amz-acl) while the signature was computed over the sorted list (host;x-amz-acl;x-amz-meta-b); S3 uses the list as given, so it must be sorted (older AWS SDK for PHP versions do this with two or more x-amz-* headers)"
    );
}

#[tokio::test]
async fn another_method() {
    let s = server().await;
    let (target, _) = presigned_parts(&presigned_put(&s.client(), "bkt", "k").await);
    let r = send(&s, "GET", &target, &[]).await;
    assert_eq!(cause_of(&r), "the URL was signed for PUT and used for GET");
    let (target, _) = presigned_parts(&presigned_get(&s.client(), "bkt", "k", 600).await);
    let r = s.raw("HEAD", &target, &[], b"").await;
    // HEAD errors carry no body: the cause is in the header.
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-s3strict-cause"), Some("the URL was signed for GET and used for HEAD"));
}

/// Two users besides the administrator: alice, whose key requests are sent with, and bob, whose
/// secret they are signed with.
fn alice_and_bob() -> Vec<s3strict::config::UserSettings> {
    let user = |name: &str, key: &str, secret: &str| s3strict::config::UserSettings {
        name: name.into(),
        account: None,
        access_key: key.into(),
        secret_key: secret.into(),
        status: None,
        policies: vec![],
    };
    vec![user("alice", "AKIAALICE", "alice-secret"), user("bobthebuilder", "AKIABOBTHEBUILDER", "bob-secret-key")]
}

/// Asserts that nothing of bob (access key, name, ARN, secret) is in the response, body or headers.
fn says_nothing_of_bob(r: &RawResponse) {
    let mut all = r.text().to_ascii_lowercase();
    for (n, v) in &r.headers {
        all.push_str(&format!("\n{n}: {}", v.to_ascii_lowercase()));
    }
    for secret in ["akiabobthebuilder", "bobthebuilder", "bob-secret-key"] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

/// The newest auth log entry's cause, as an administrator reads it.
async fn logged_cause(s: &TestServer) -> String {
    let r = s.raw("GET", "/_s3strict/auth-log?limit=1", &[], b"").await;
    let log: Vec<serde_json::Value> = serde_json::from_slice(&r.body).unwrap();
    log[0]["cause"].as_str().unwrap().to_string()
}

/// What a caller can compare between two refusals: the status, the error document's element
/// names, the cause (element and header) and the response's header names. Everything else differs
/// with the signature sent or the request's id.
fn answer_shape(r: &RawResponse) -> (u16, Vec<String>, Option<String>, Option<String>, Vec<String>) {
    let doc = if r.body.is_empty() { None } else { Some(r.error()) };
    let names = doc.as_ref().map(|d| d.names().iter().map(|n| n.to_string()).collect()).unwrap_or_default();
    let element = doc.as_ref().and_then(|d| d.get("S3strictCause")).map(str::to_string);
    let mut headers: Vec<String> = r.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    headers.sort();
    (r.status, names, element, r.header("x-s3strict-cause").map(str::to_string), headers)
}

/// Signed with another identity's secret: the caller gets exactly the answer of a secret that is
/// no one's (the unexplained cause), so guessing secrets under a known access key learns nothing;
/// the auth log, where an administrator looks, names the key whose secret it was. A well-known
/// default secret is named to the caller.
#[tokio::test]
async fn another_secret_is_named_only_to_an_administrator() {
    let s = TestServer::start_with(move |c| c.users = alice_and_bob()).await;
    s.create_bucket("bkt").await;
    let admin = "the request is what was signed, but with another secret key than AKIAALICE's: the secret of access key AKIABOBTHEBUILDER";
    let unexplained = s3strict::auth::diagnose::UNEXPLAINED;
    // Alice's access key with bob's secret, and with a secret that is no one's: a presigned URL.
    let mixed = client_for(&s.endpoint(), "AKIAALICE", "bob-secret-key", REGION);
    let guessed = client_for(&s.endpoint(), "AKIAALICE", "not-anyones-secret", REGION);
    let r = send_presigned(&s, &presigned_get(&mixed, "bkt", "k", 600).await, &[], b"").await;
    assert_eq!(cause_of(&r), unexplained);
    assert_eq!(r.header("x-s3strict-cause"), Some(unexplained));
    says_nothing_of_bob(&r);
    assert_eq!(logged_cause(&s).await, admin);
    let wrong = send_presigned(&s, &presigned_get(&guessed, "bkt", "k", 600).await, &[], b"").await;
    assert_eq!(answer_shape(&r), answer_shape(&wrong));
    assert_eq!(logged_cause(&s).await, unexplained);
    // Through the SDK, header-signed: a HEAD, whose answer has only the header.
    let e = mixed.head_bucket().bucket("bkt").send().await.unwrap_err();
    let raw = e.raw_response().unwrap();
    assert_eq!((raw.status().as_u16(), raw.headers().get("x-s3strict-cause")), (403, Some(unexplained)));
    assert_eq!(logged_cause(&s).await, admin);
    let e = guessed.head_bucket().bucket("bkt").send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().headers().get("x-s3strict-cause"), Some(unexplained));
    let signed = |secret: &'static str| {
        let mut req = SignedRequest::new("GET", "/bkt/k");
        req.access_key = "AKIAALICE";
        req.secret_key = secret;
        req
    };
    let r = s.signed(signed("bob-secret-key")).await;
    assert_eq!(cause_of(&r), unexplained);
    says_nothing_of_bob(&r);
    assert_eq!(answer_shape(&r), answer_shape(&s.signed(signed("not-anyones-secret")).await));
    // SigV2: the same.
    let expires = (chrono::Utc::now().timestamp() + 600).to_string();
    let sts = s3strict::auth::sigv2::string_to_sign("GET", "", "", &expires, &[], "/bkt/k");
    let v2 = |secret: &str| {
        let sig = canonical::uri_encode(s3strict::auth::sigv2::sign(secret, &sts).as_bytes(), true);
        format!("/bkt/k?AWSAccessKeyId=AKIAALICE&Expires={expires}&Signature={sig}")
    };
    let r = send(&s, "GET", &v2("bob-secret-key"), &[]).await;
    assert_eq!(cause_of(&r), unexplained);
    says_nothing_of_bob(&r);
    assert_eq!(logged_cause(&s).await, admin);
    assert_eq!(answer_shape(&r), answer_shape(&send(&s, "GET", &v2("not-anyones-secret"), &[]).await));
    // A well-known default secret is no one's here: the caller may hear which it is.
    let minio = client_for(&s.endpoint(), AK, "minioadmin", REGION);
    let r = send_presigned(&s, &presigned_get(&minio, "bkt", "k", 600).await, &[], b"").await;
    assert_eq!(
        cause_of(&r),
        format!("the request is what was signed, but with another secret key than {AK}'s: MinIO's default secret")
    );
    // Even with the cause left out of error bodies, the header does not name bob.
    let quiet = TestServer::start_with(move |c| {
        c.users = alice_and_bob();
        c.error_cause = false;
    })
    .await;
    quiet.create_bucket("bkt").await;
    let mixed = client_for(&quiet.endpoint(), "AKIAALICE", "bob-secret-key", REGION);
    let r = send_presigned(&quiet, &presigned_get(&mixed, "bkt", "k", 600).await, &[], b"").await;
    r.assert_error(403, "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(r.header("x-s3strict-cause"), Some(unexplained));
    says_nothing_of_bob(&r);
    assert_eq!(logged_cause(&quiet).await, admin);
}

#[tokio::test]
async fn time_region_and_payload() {
    let s = server().await;
    // The string to sign made with a local time two hours ahead of the X-Amz-Date sent.
    let mut req = SignedRequest::new("GET", "/bkt/k");
    let now = chrono::Utc::now();
    let sent = now.format("%Y%m%dT%H%M%SZ").to_string();
    // Two hours away on the same day, so that the credential's date still agrees.
    let hours: i64 = if chrono::Timelike::hour(&now) >= 12 { -2 } else { 2 };
    req.amz_date = Some((now + chrono::Duration::hours(hours)).format("%Y%m%dT%H%M%SZ").to_string());
    let (target, mut headers) = req.sign(s.addr);
    for h in headers.iter_mut() {
        if h.0 == "x-amz-date" {
            h.1 = sent.clone();
        }
    }
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("GET", &target, &h, b"").await;
    let cause = cause_of(&r);
    let offset = format!("{hours:+} h from the request's");
    assert!(cause.starts_with("the string to sign used the time ") && cause.contains(&offset), "{cause}");
    // Signed for eu-west-1 while the credential says us-east-1.
    let mut req = SignedRequest::new("GET", "/bkt/k");
    req.region = "eu-west-1";
    let (target, headers) = req.sign(s.addr);
    let headers: Vec<(String, String)> = headers
        .into_iter()
        .map(|(n, v)| if n == "authorization" { (n, v.replace("/eu-west-1/", "/us-east-1/")) } else { (n, v) })
        .collect();
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("GET", &target, &h, b"").await;
    assert_eq!(
        cause_of(&r),
        "the signature was computed for region \"eu-west-1\" while the credential scope says \"us-east-1\""
    );
    // Signed with UNSIGNED-PAYLOAD, sent with the body's hash.
    let mut req = SignedRequest::new("PUT", "/bkt/p").body(b"data");
    req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
    let (target, headers) = req.sign(s.addr);
    let hash = canonical::sha256_hex(b"data");
    let headers: Vec<(String, String)> = headers
        .into_iter()
        .map(|(n, v)| if n == "x-amz-content-sha256" { (n, hash.clone()) } else { (n, v) })
        .collect();
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("PUT", &target, &h, b"data").await;
    assert_eq!(
        cause_of(&r),
        format!("the signature covers x-amz-content-sha256 UNSIGNED-PAYLOAD, but the header says {hash}")
    );
}

#[tokio::test]
async fn session_tokens() {
    let s = server().await;
    let r = s.raw("POST", "/_s3strict/sessions", JSON, br#"{"duration_seconds": 900}"#).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            v["access_key_id"].as_str().unwrap(),
            v["secret_access_key"].as_str().unwrap(),
            Some(v["session_token"].as_str().unwrap().to_string()),
            None,
            "t",
        ))
        .force_path_style(true)
        .build();
    let session = aws_sdk_s3::Client::from_conf(conf);
    let (target, _) = presigned_parts(&presigned_get(&session, "bkt", "k", 600).await);
    assert_eq!(send(&s, "GET", &target, &[]).await.status, 200);
    let r = send(&s, "GET", &without_param(&target, "X-Amz-Security-Token"), &[]).await;
    let doc =
        r.assert_error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    assert!(doc
        .get("S3strictCause")
        .unwrap()
        .ends_with("is a temporary key: its session token (X-Amz-Security-Token) is missing"));
    let r = send(&s, "GET", &with_param(&target, "X-Amz-Security-Token", "altered"), &[]).await;
    let doc = r.assert_error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
    assert_eq!(
        doc.get("S3strictCause"),
        Some("the session token is not one the server issued (altered, truncated or from another server?)")
    );
}

#[tokio::test]
async fn unexplained_mismatches_say_so_and_the_setting_keeps_bodies_s3s() {
    let s = TestServer::start_with(|c| c.error_cause = false).await;
    s.create_bucket("bkt").await;
    let (target, _) = presigned_parts(&presigned_get(&s.client(), "bkt", "k", 600).await);
    let sig = param(&target, "X-Amz-Signature").unwrap().to_string();
    let r = send(&s, "GET", &target.replace(&sig, &"0".repeat(64)), &[]).await;
    let doc = r.assert_error(403, "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(doc.names().last(), Some(&"HostId"), "no element of s3strict's own");
    assert_eq!(r.header("x-s3strict-cause"), Some(s3strict::auth::diagnose::UNEXPLAINED));
    let log: Vec<serde_json::Value> =
        serde_json::from_slice(&s.raw("GET", "/_s3strict/auth-log?limit=1", &[], b"").await.body).unwrap();
    assert_eq!(log[0]["cause"].as_str(), Some(s3strict::auth::diagnose::UNEXPLAINED));
}

#[tokio::test]
async fn sigv2_and_cos_causes() {
    let s = server().await;
    // SigV2: a query URL signed for PUT, used for GET.
    let expires = (chrono::Utc::now().timestamp() + 600).to_string();
    let sts = s3strict::auth::sigv2::string_to_sign("PUT", "", "", &expires, &[], "/bkt/k");
    let sig = canonical::uri_encode(s3strict::auth::sigv2::sign(SK, &sts).as_bytes(), true);
    let url = format!("/bkt/k?AWSAccessKeyId={AK}&Expires={expires}&Signature={sig}");
    let r = send(&s, "GET", &url, &[]).await;
    assert_eq!(cause_of(&r), "the URL was signed for PUT and used for GET");
    // SigV2 virtual-hosted: the bucket is in the signed resource; sent path-style without it.
    let sts = s3strict::auth::sigv2::string_to_sign("GET", "", "", &expires, &[], "/bkt/k");
    let sig = canonical::uri_encode(s3strict::auth::sigv2::sign(SK, &sts).as_bytes(), true);
    let host = format!("bkt.elsewhere:{}", s.addr.port());
    let r =
        send(&s, "GET", &format!("/k?AWSAccessKeyId={AK}&Expires={expires}&Signature={sig}"), &[("host", &host)]).await;
    let cause = cause_of(&r);
    assert!(cause.starts_with("the string to sign names bucket bkt in the resource"), "{cause}");
}
