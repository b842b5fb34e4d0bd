//! SigV4 in the Authorization header: every failure answered as S3 answers it.

use crate::common::*;

const MALFORMED: &str = "The authorization header is malformed; ";

#[tokio::test]
async fn anonymous_and_unsupported_schemes() {
    let s = TestServer::start().await;
    s.raw("GET", "/", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    // A bucket that does not exist is told as such to anyone, as S3 does.
    s.raw("GET", "/bkt/key", &[], b"").await.assert_error(404, "NoSuchBucket", "The specified bucket does not exist");
    s.create_bucket("bkt").await;
    s.raw("GET", "/bkt/key", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    let unsupported = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
    let r = s.raw("GET", "/", &[("authorization", "Bearer token")], b"").await;
    r.assert_error(400, "InvalidRequest", unsupported);
    // SigV2 only in regions opened before 2014.
    let eu = TestServer::start_with(|c| c.region = "eu-central-1".into()).await;
    let r = eu.raw("GET", "/", &[("authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl")], b"").await;
    r.assert_error(400, "InvalidRequest", unsupported);
    let r = eu.raw("GET", "/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1&Signature=x", &[], b"").await;
    r.assert_error(400, "InvalidRequest", unsupported);
}

#[tokio::test]
async fn credential_scope_errors() {
    let s = TestServer::start().await;
    let mut req = SignedRequest::new("GET", "/");
    req.region = "eu-west-1";
    let r = s.signed(req).await;
    let doc = r.assert_error(
        400,
        "AuthorizationHeaderMalformed",
        &format!("{MALFORMED}the region 'eu-west-1' is wrong; expecting 'us-east-1'"),
    );
    assert_eq!(doc.get("Region"), Some("us-east-1"));
    assert_eq!(doc.names()[..3], ["Code", "Message", "Region"]);
    let mut req = SignedRequest::new("GET", "/");
    req.service = "s4";
    s.signed(req).await.assert_error(
        400,
        "AuthorizationHeaderMalformed",
        &format!("{MALFORMED}incorrect service \"s4\". This endpoint belongs to \"s3\"."),
    );
    let cases = [
        ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3, SignedHeaders=host, Signature=00", "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."),
        ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2026011/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", "incorrect date format \"2026011\". This date in the credential must be in the format \"yyyyMMdd\"."),
        ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=00", "incorrect terminal \"aws5_request\". This endpoint uses \"aws4_request\"."),
        ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request", "the authorization header requires three components: Credential, SignedHeaders, and Signature."),
        ("AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Sig=00", "the authorization component \"Sig=00\" is malformed."),
    ];
    for (authz, detail) in cases {
        let r = s
            .raw(
                "GET",
                "/",
                &[
                    ("authorization", authz),
                    ("x-amz-date", "20260101T000000Z"),
                    ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ],
                b"",
            )
            .await;
        r.assert_error(400, "AuthorizationHeaderMalformed", &format!("{MALFORMED}{detail}"));
    }
}

#[tokio::test]
async fn credential_date_must_match_request_date() {
    let s = TestServer::start().await;
    let now = chrono::Utc::now();
    let (target, mut headers) = SignedRequest::new("GET", "/").sign(s.addr);
    let other_day = (now - chrono::Duration::days(1)).format("%Y%m%d").to_string();
    for (n, v) in headers.iter_mut() {
        if n == "authorization" {
            *v = v.replacen(&now.format("%Y%m%d").to_string(), &other_day, 1);
        }
    }
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("GET", &target, &h, b"").await;
    let today = now.format("%Y%m%d").to_string();
    r.assert_error(
        400,
        "AuthorizationHeaderMalformed",
        &format!(
            "{MALFORMED}Invalid credential date \"{other_day}\". This date is not the same as X-Amz-Date: \"{today}\"."
        ),
    );
}

#[tokio::test]
async fn clock_skew() {
    let s = TestServer::start().await;
    let mut req = SignedRequest::new("GET", "/");
    let t = chrono::Utc::now() - chrono::Duration::minutes(16);
    let stamp = t.format("%Y%m%dT%H%M%SZ").to_string();
    req.amz_date = Some(stamp.clone());
    let r = s.signed(req).await;
    let doc = r.assert_error(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
    );
    assert_eq!(doc.names()[2..5], ["RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds"]);
    assert_eq!(doc.get("RequestTime"), Some(stamp.as_str()));
    assert_eq!(doc.get("MaxAllowedSkewMilliseconds"), Some("900000"));
    assert!(doc.get("ServerTime").unwrap().ends_with('Z'));
    // 14 minutes is within the limit.
    let mut req = SignedRequest::new("GET", "/");
    req.amz_date = Some((chrono::Utc::now() + chrono::Duration::minutes(14)).format("%Y%m%dT%H%M%SZ").to_string());
    assert_eq!(s.signed(req).await.status, 200);
    // Moving the server clock skews every header-signed request; the answer's `Date` follows the
    // server's clock, from which SDKs correct their own, as they do against S3.
    s.set_clock(r#"{"offset_seconds": 3600}"#).await;
    let r = s.signed(SignedRequest::new("GET", "/")).await;
    assert_eq!(r.status, 403);
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    let ahead = date.duration_since(std::time::SystemTime::now()).unwrap().as_secs();
    assert!((3590..=3600).contains(&ahead), "Date is {ahead} s ahead");
    s.client().list_buckets().send().await.unwrap();
    s.set_clock(r#"{"real": true}"#).await;
    s.client().list_buckets().send().await.unwrap();
}

#[tokio::test]
async fn date_header_instead_of_x_amz_date() {
    let s = TestServer::start().await;
    let mut req = SignedRequest::new("GET", "/");
    req.date_header = true;
    let r = s.signed(req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (target, headers) = SignedRequest::new("GET", "/").sign(s.addr);
    let h: Vec<(&str, &str)> =
        headers.iter().filter(|(n, _)| n != "x-amz-date").map(|(n, v)| (n.as_str(), v.as_str())).collect();
    s.raw("GET", &target, &h, b"").await.assert_error(
        403,
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
    );
    // A malformed x-amz-date is no date at all.
    let (target, headers) = SignedRequest::new("GET", "/").sign(s.addr);
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| if n == "x-amz-date" { (n.as_str(), "2026-01-01T00:00:00Z") } else { (n.as_str(), v.as_str()) })
        .collect();
    s.raw("GET", &target, &h, b"").await.assert_error(
        403,
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
    );
}

#[tokio::test]
async fn content_sha256_required_and_valid() {
    let s = TestServer::start().await;
    let (target, headers) = SignedRequest::new("GET", "/").sign(s.addr);
    let h: Vec<(&str, &str)> =
        headers.iter().filter(|(n, _)| n != "x-amz-content-sha256").map(|(n, v)| (n.as_str(), v.as_str())).collect();
    s.raw("GET", &target, &h, b"").await.assert_error(
        400,
        "InvalidRequest",
        "Missing required header for this request: x-amz-content-sha256",
    );
    let mut req = SignedRequest::new("GET", "/");
    req.content_sha256 = Some("GIBBERISH".into());
    let doc = s.signed(req).await.assert_error(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.");
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-content-sha256"));
    assert_eq!(doc.get("ArgumentValue"), Some("GIBBERISH"));
}

#[tokio::test]
async fn unknown_key_and_wrong_secret() {
    let s = TestServer::start().await;
    let mut req = SignedRequest::new("GET", "/");
    req.access_key = "AKIANOTKNOWN";
    let doc = s.signed(req).await.assert_error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    );
    assert_eq!(doc.get("AWSAccessKeyId"), Some("AKIANOTKNOWN"));
    let mut req = SignedRequest::new("GET", "/");
    req.secret_key = "wrong-secret";
    let (target, headers) = req.sign(s.addr);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("GET", &target, &h, b"").await;
    let doc = r.assert_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    assert_eq!(
        doc.names(),
        [
            "Code",
            "Message",
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes",
            "RequestId",
            "HostId",
            "S3strictCause"
        ]
    );
    // S3's elements first; s3strict's explanation last, also in a header.
    assert_eq!(doc.get("S3strictCause"), Some(s3strict::auth::diagnose::UNEXPLAINED));
    assert!(r.header("x-s3strict-cause").is_some());
    let sts = doc.get("StringToSign").unwrap();
    assert!(sts.starts_with("AWS4-HMAC-SHA256\n"), "{sts}");
    let creq = doc.get("CanonicalRequest").unwrap();
    let date = headers.iter().find(|(n, _)| n == "x-amz-date").unwrap().1.clone();
    let expected = format!(
        "GET\n/\n\nhost:{}\nx-amz-content-sha256:{}\nx-amz-date:{date}\n\nhost;x-amz-content-sha256;x-amz-date\n{}",
        s.addr,
        s3strict::auth::canonical::EMPTY_SHA256,
        s3strict::auth::canonical::EMPTY_SHA256
    );
    assert_eq!(creq, expected);
    let bytes = doc.get("CanonicalRequestBytes").unwrap();
    assert!(bytes.starts_with("47 45 54 0a 2f 0a"), "lowercase hex, single spaces: {bytes}");
    let provided =
        headers.iter().find(|(n, _)| n == "authorization").unwrap().1.rsplit('=').next().unwrap().to_string();
    assert_eq!(doc.get("SignatureProvided"), Some(provided.as_str()));
}

#[tokio::test]
async fn unsigned_amz_headers_are_refused() {
    let s = TestServer::start().await;
    s.create_bucket("hdr").await;
    let req = SignedRequest::new("PUT", "/hdr/k").body(b"x").unsigned_header("x-amz-meta-foo", "bar");
    let doc = s.signed(req).await.assert_error(
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    );
    assert_eq!(doc.get("HeadersNotSigned"), Some("x-amz-meta-foo"));
    let req = SignedRequest::new("PUT", "/hdr/k")
        .body(b"x")
        .unsigned_header("x-amz-meta-foo", "bar")
        .unsigned_header("x-amz-acl", "private");
    let doc = s.signed(req).await.assert_error(
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    );
    assert_eq!(doc.get("HeadersNotSigned"), Some("x-amz-acl, x-amz-meta-foo"));
    // Unsigned ordinary headers are ignored; signed metadata is stored.
    let req = SignedRequest::new("PUT", "/hdr/k")
        .body(b"x")
        .header("x-amz-meta-foo", "bar")
        .unsigned_header("content-type", "text/plain");
    assert_eq!(s.signed(req).await.status, 200);
    let head = s.client().head_object().bucket("hdr").key("k").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("foo")).map(String::as_str), Some("bar"));
    assert_eq!(head.content_type(), Some("text/plain"));
}

#[tokio::test]
async fn header_and_query_auth_together() {
    let s = TestServer::start().await;
    let (_, headers) = SignedRequest::new("GET", "/").sign(s.addr);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let authz = headers.iter().find(|(n, _)| n == "authorization").unwrap().1.clone();
    let r = s.raw("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", &h, b"").await;
    let doc = r.assert_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified");
    assert_eq!(doc.get("ArgumentName"), Some("Authorization"));
    assert_eq!(doc.get("ArgumentValue"), Some(authz.as_str()));
}

#[tokio::test]
async fn virtual_hosted_style() {
    let s = TestServer::start_with(|c| c.domain = Some("localhost".into())).await;
    let host = format!("vhost.localhost:{}", s.addr.port());
    let r = s.signed(SignedRequest::new("PUT", "/").header("host", host.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.signed(SignedRequest::new("PUT", "/dir/a%20key").header("host", host.clone()).body(b"vh")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The same object path-style.
    let got = s.client().get_object().bucket("vhost").key("dir/a key").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"vh");
    let r = s.signed(SignedRequest::new("GET", "/").query("list-type=2").header("host", host)).await;
    assert!(r.text().contains("<Key>dir/a key</Key>"), "{}", r.text());
}
