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
    let s = TestServer::start().await;
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
    let s = TestServer::start().await;
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
