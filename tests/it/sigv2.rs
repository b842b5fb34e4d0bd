//! Signature Version 2, header and query, crafted with the crate's SigV2 functions (themselves
//! checked against the AWS documentation examples); botocore's and the CLI's SigV2 presigns are
//! in the Python suite.

use s3strict::auth::sigv2;

use crate::common::*;

fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[tokio::test]
async fn header_auth() {
    let s = TestServer::start_with(|c| c.sigv2_buckets = vec!["two".into()]).await;
    s.create_bucket("two").await;
    let date = http_date(chrono::Utc::now());
    let sts = sigv2::string_to_sign("PUT", "", "text/plain", &date, &[("x-amz-meta-v".into(), "2".into())], "/two/obj");
    let authz = format!("AWS {AK}:{}", sigv2::sign(SK, &sts));
    let headers = [
        ("authorization", authz.as_str()),
        ("date", date.as_str()),
        ("content-type", "text/plain"),
        ("x-amz-meta-v", "2"),
    ];
    let r = s.raw("PUT", "/two/obj", &headers, b"v2 body").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let head = s.client().head_object().bucket("two").key("obj").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("v")).map(String::as_str), Some("2"));
    // Another Content-Type than signed (positional in SigV2) is a mismatch.
    let mut other = headers;
    other[2] = ("content-type", "text/html");
    let doc = s.raw("PUT", "/two/obj", &other, b"v2 body").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
    assert_eq!(
        doc.names(),
        [
            "Code",
            "Message",
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "RequestId",
            "HostId",
            "S3strictCause"
        ]
    );
    assert_eq!(doc.get("StringToSign").unwrap(), sts.replace("text/plain", "text/html"));
    assert_eq!(
        doc.get("S3strictCause"),
        Some("the header content-type was signed as \"text/plain\" but sent as \"text/html\"")
    );
    // Skew applies to header auth.
    let old = http_date(chrono::Utc::now() - chrono::Duration::minutes(20));
    let sts = sigv2::string_to_sign("GET", "", "", &old, &[], "/two/obj");
    let authz = format!("AWS {AK}:{}", sigv2::sign(SK, &sts));
    let r = s.raw("GET", "/two/obj", &[("authorization", &authz), ("date", &old)], b"").await;
    let doc = r.assert_error(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
    );
    assert_eq!(doc.get("RequestTime"), Some(old.as_str()));
    // With x-amz-date, the Date line is empty.
    let now = http_date(chrono::Utc::now());
    let sts = sigv2::string_to_sign("GET", "", "", "", &[("x-amz-date".into(), now.clone())], "/two/obj");
    let authz = format!("AWS {AK}:{}", sigv2::sign(SK, &sts));
    let r = s.raw("GET", "/two/obj", &[("authorization", &authz), ("x-amz-date", &now)], b"").await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"v2 body"[..]));
    let r = s.raw("GET", "/two/obj", &[("authorization", "AWS nocolon"), ("date", &now)], b"").await;
    r.assert_error(400, "InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
    let sts = sigv2::string_to_sign("GET", "", "", &now, &[], "/two/obj");
    let authz = format!("AWSNOPE:{}", sigv2::sign(SK, &sts));
    let r = s.raw("GET", "/two/obj", &[("authorization", &format!("AWS {authz}")), ("date", &now)], b"").await;
    r.assert_error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
}

#[tokio::test]
async fn query_auth() {
    let s = TestServer::start_with(|c| c.sigv2_buckets = vec!["two".into()]).await;
    s.create_bucket("two").await;
    s.client().put_object().bucket("two").key("a b").body(b"query v2".to_vec().into()).send().await.unwrap();
    let expires = (chrono::Utc::now().timestamp() + 60).to_string();
    let sts = sigv2::string_to_sign("GET", "", "", &expires, &[], "/two/a%20b?response-content-type=text/x");
    let sig = s3strict::auth::canonical::uri_encode(sigv2::sign(SK, &sts).as_bytes(), true);
    let url =
        format!("/two/a%20b?AWSAccessKeyId={AK}&Expires={expires}&Signature={sig}&response-content-type=text%2Fx");
    let r = s.raw("GET", &url, &[], b"").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/x")), "{}", r.text());
    // Partial parameters.
    let partial = format!("/two/a%20b?AWSAccessKeyId={AK}&Signature={sig}");
    s.raw("GET", &partial, &[], b"").await.assert_error(
        403,
        "AccessDenied",
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
    );
    // Expired on the server clock: Expires and ServerTime, no X-Amz-Expires.
    s.set_clock(r#"{"offset_seconds": 120}"#).await;
    let doc = s.raw("GET", &url, &[], b"").await.assert_error(403, "AccessDenied", "Request has expired");
    assert_eq!(doc.names()[2..4], ["Expires", "ServerTime"]);
    // No seven-day limit in SigV2.
    s.set_clock(r#"{"real": true}"#).await;
    let far = (chrono::Utc::now().timestamp() + 30 * 86400).to_string();
    let sts = sigv2::string_to_sign("GET", "", "", &far, &[], "/two/a%20b");
    let sig = s3strict::auth::canonical::uri_encode(sigv2::sign(SK, &sts).as_bytes(), true);
    let url = format!("/two/a%20b?AWSAccessKeyId={AK}&Expires={far}&Signature={sig}");
    assert_eq!(s.raw("GET", &url, &[], b"").await.status, 200);
    // An unsigned Content-Type breaks a SigV2 signature; Content-Encoding is not part of it.
    assert_eq!(s.raw("GET", &url, &[("content-type", "x/y")], b"").await.error().code, "SignatureDoesNotMatch");
    assert_eq!(s.raw("GET", &url, &[("content-encoding", "gzip")], b"").await.status, 200);
}

/// Buckets S3 creates since 24 June 2020 refuse SigV2, header and query alike, with the answer of
/// SigV4-only regions; buckets made under the legacy defaults, or named in `sigv2_buckets`, take it.
/// Requests that name no bucket (ListBuckets) are not affected.
#[tokio::test]
async fn new_buckets_refuse_sigv2() {
    let s = TestServer::start_with(|c| c.sigv2_buckets = vec!["named".into()]).await;
    for b in ["fresh", "named"] {
        s.create_bucket(b).await;
        s.client().put_object().bucket(b).key("k").body(b"v".to_vec().into()).send().await.unwrap();
    }
    let date = http_date(chrono::Utc::now());
    let header_get = |bucket: &str| {
        let resource = format!("/{bucket}/k");
        let sts = sigv2::string_to_sign("GET", "", "", &date, &[], &resource);
        (resource, format!("AWS {AK}:{}", sigv2::sign(SK, &sts)))
    };
    let (path, authz) = header_get("fresh");
    let r = s.raw("GET", &path, &[("authorization", &authz), ("date", &date)], b"").await;
    r.assert_error(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    );
    let (path, authz) = header_get("named");
    let r = s.raw("GET", &path, &[("authorization", &authz), ("date", &date)], b"").await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"v"[..]));
    let expires = (chrono::Utc::now().timestamp() + 60).to_string();
    let sts = sigv2::string_to_sign("GET", "", "", &expires, &[], "/fresh/k");
    let sig = s3strict::auth::canonical::uri_encode(sigv2::sign(SK, &sts).as_bytes(), true);
    let r = s.raw("GET", &format!("/fresh/k?AWSAccessKeyId={AK}&Expires={expires}&Signature={sig}"), &[], b"").await;
    r.assert_error(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    );
    let log: Vec<serde_json::Value> =
        serde_json::from_slice(&s.raw("GET", "/_s3strict/auth-log?limit=1", &[], b"").await.body).unwrap();
    assert_eq!(
        log[0]["decided_by"].as_str(),
        Some("SigV2 on a bucket created after 24 June 2020 (not a --sigv2-buckets bucket)")
    );
    // ListBuckets names no bucket.
    let sts = sigv2::string_to_sign("GET", "", "", &date, &[], "/");
    let authz = format!("AWS {AK}:{}", sigv2::sign(SK, &sts));
    assert_eq!(s.raw("GET", "/", &[("authorization", &authz), ("date", &date)], b"").await.status, 200);

    // Under the legacy defaults every new bucket takes SigV2.
    let legacy = TestServer::start_with(|c| c.legacy_bucket_defaults = true).await;
    legacy.create_bucket("old").await;
    legacy.client().put_object().bucket("old").key("k").body(b"v".to_vec().into()).send().await.unwrap();
    let (path, authz) = header_get("old");
    let r = legacy.raw("GET", &path, &[("authorization", &authz), ("date", &date)], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// SigV2 dates as S3 reads them: a wrong weekday is no reason to refuse, 15 minutes off is
/// `RequestTimeTooSkewed`, no date or one before 1970 is `AccessDenied`; a malformed header is 400.
#[tokio::test]
async fn sigv2_dates_and_malformed_headers() {
    let s = TestServer::start_with(|c| c.sigv2_buckets = vec!["dates".into()]).await;
    s.create_bucket("dates").await;
    let send = |date: &'static str| {
        let s = &s;
        async move {
            let sts = sigv2::string_to_sign("PUT", "", "", date, &[], "/dates/k");
            let authz = format!("AWS {AK}:{}", sigv2::sign(SK, &sts));
            let mut headers = vec![("authorization", authz)];
            if !date.is_empty() {
                headers.push(("date", date.to_string()));
            }
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            s.raw("PUT", "/dates/k", &headers, b"x").await
        }
    };
    for date in ["Tue, 07 Jul 2010 21:53:04 GMT", "Tue, 07 Jul 9999 21:53:04 GMT"] {
        let doc = send(date).await.assert_error(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        );
        assert_eq!(doc.get("RequestTime"), Some(date));
    }
    for date in ["", "Tue, 07 Jul 1950 21:53:04 GMT", "not a date"] {
        send(date).await.assert_error(
            403,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        );
    }
    // User-Agent is not signed in SigV2: none, or an empty one, changes nothing.
    let now = http_date(chrono::Utc::now());
    let sts = sigv2::string_to_sign("PUT", "", "", &now, &[], "/dates/k");
    let authz = format!("AWS {AK}:{}", sigv2::sign(SK, &sts));
    for ua in [None, Some(""), Some("curl/8")] {
        let mut headers = vec![("authorization", authz.as_str()), ("date", now.as_str())];
        if let Some(ua) = ua {
            headers.push(("user-agent", ua));
        }
        assert_eq!(s.raw("PUT", "/dates/k", &headers, b"x").await.status, 200, "{ua:?}");
    }
    let r = s
        .raw("PUT", "/dates/k", &[("authorization", "AWS garbage"), ("date", "Tue, 07 Jul 2010 21:53:04 GMT")], b"x")
        .await;
    let doc = r.assert_error(
        400,
        "InvalidArgument",
        "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
    );
    assert_eq!((doc.get("ArgumentName"), doc.get("ArgumentValue")), (Some("Authorization"), Some("AWS garbage")));
}
