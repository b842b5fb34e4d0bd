//! The remaining failure paths, each with its S3 status, Code and Message: malformed input of
//! every kind gets a clear error and leaves nothing behind.

use crate::common::*;

const NOT_IMPLEMENTED: &str = "A header you provided implies functionality that is not implemented";

#[tokio::test]
async fn malformed_requests() {
    let s = TestServer::start().await;
    s.create_bucket("errs").await;
    // A path that is not UTF-8 once decoded.
    s.signed(SignedRequest::new("GET", "/errs/%FF%FE")).await.assert_error(
        400,
        "InvalidURI",
        "Couldn't parse the specified URI.",
    );
    // Conditional PUT supports only `If-None-Match: *`.
    let r = s.signed(SignedRequest::new("PUT", "/errs/k").header("if-none-match", "\"abc\"").body(b"x")).await;
    let doc = r.assert_error(501, "NotImplemented", NOT_IMPLEMENTED);
    assert_eq!(doc.get("Header"), Some("If-None-Match"));
    // A negative max-keys.
    let r = s.signed(SignedRequest::new("GET", "/errs").query("list-type=2&max-keys=-1")).await;
    r.assert_error(400, "InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647");
    // A bad part-number-marker.
    let up = s.client().create_multipart_upload().bucket("errs").key("m").send().await.unwrap();
    let q = format!("part-number-marker=x&uploadId={}", up.upload_id().unwrap());
    let r = s.signed(SignedRequest::new("GET", "/errs/m").query(&q)).await;
    r.assert_error(400, "InvalidArgument", "Provided part-number-marker not an integer or within integer range");
    // Malformed aws-chunked framing.
    let mut req = SignedRequest::new("PUT", "/errs/chunky")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "5")
        .body(b"zz\r\nhello\r\n0\r\n\r\n");
    req.content_sha256 = Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into());
    s.signed(req).await.assert_error(400, "InvalidRequest", "Malformed aws-chunked encoding.");
    // A trailer announced and never sent.
    let mut req = SignedRequest::new("PUT", "/errs/notrailer")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "5")
        .header("x-amz-trailer", "x-amz-checksum-crc32")
        .body(b"5\r\nhello\r\n0\r\n\r\n");
    req.content_sha256 = Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into());
    s.signed(req).await.assert_error(
        400,
        "InvalidRequest",
        "The trailer x-amz-checksum-crc32 announced in x-amz-trailer is missing.",
    );
    // A decoded length that is not a number.
    let mut req = SignedRequest::new("PUT", "/errs/len")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "five")
        .body(b"0\r\n\r\n");
    req.content_sha256 = Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into());
    let doc = s.signed(req).await.assert_error(400, "InvalidArgument", "Invalid x-amz-decoded-content-length header");
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-decoded-content-length"));
    // Multipart checksum settings that do not go together.
    let r = s
        .signed(
            SignedRequest::new("POST", "/errs/c")
                .query("uploads")
                .header("x-amz-checksum-algorithm", "CRC32")
                .header("x-amz-checksum-type", "WHOLE"),
        )
        .await;
    r.assert_error(400, "InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
    let r = s
        .signed(
            SignedRequest::new("POST", "/errs/c")
                .query("uploads")
                .header("x-amz-checksum-algorithm", "CRC64NVME")
                .header("x-amz-checksum-type", "COMPOSITE"),
        )
        .await;
    r.assert_error(
        400,
        "InvalidRequest",
        "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
    );
    // A CORS rule with two wildcards in an origin.
    let doc = b"<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let r = s.signed(SignedRequest::new("PUT", "/errs").query("cors").body(doc)).await;
    r.assert_error(400, "InvalidRequest", "AllowedOrigin \"http://*.*.test\" can not have more than one wildcard.");
    // A preflight without the method it asks about.
    let r = s.raw("OPTIONS", "/errs/k", &[("origin", "http://a.test")], b"").await;
    r.assert_error(400, "BadRequest", "Invalid Access-Control-Request-Method: null");
    // A SigV2 URL whose Expires is not a number (signed as such).
    let sts = s3strict::auth::sigv2::string_to_sign("GET", "", "", "soon", &[], "/errs/k");
    let sig = s3strict::auth::canonical::uri_encode(s3strict::auth::sigv2::sign(SK, &sts).as_bytes(), true);
    let r = s.raw("GET", &format!("/errs/k?AWSAccessKeyId={AK}&Expires=soon&Signature={sig}"), &[], b"").await;
    r.assert_error(403, "AccessDenied", "Invalid date (should be seconds since epoch)");
    // Nothing was stored by any of these.
    let listed = s.client().list_objects_v2().bucket("errs").send().await.unwrap();
    assert!(listed.contents().is_empty());
}

fn multipart_form(fields: &[(&str, &str)], file: &[u8]) -> (Vec<u8>, String) {
    let boundary = "s3strictboundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[tokio::test]
async fn malformed_forms() {
    let s = TestServer::start().await;
    s.create_bucket("forms").await;
    // Fields before the file beyond 1 MiB.
    let big = "x".repeat(1024 * 1024 + 1);
    let (body, ct) = multipart_form(&[("key", "k"), ("x-ignore-pad", &big)], b"data");
    let r = s.raw("POST", "/forms", &[("content-type", &ct)], &body).await;
    r.assert_error(
        400,
        "MaxPostPreDataLengthExceededError",
        "Your POST request fields preceding the upload file were too large.",
    );
    // A body that is not the multipart it claims.
    let r = s.raw("POST", "/forms", &[("content-type", "multipart/form-data; boundary=abc")], b"no parts here").await;
    r.assert_error(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    );
    // A signed policy that is not JSON.
    let policy = "bm90IGpzb24="; // "not json"
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let key = s3strict::auth::canonical::signing_key(SK, &date[..8], REGION, "s3");
    let sig = s3strict::auth::canonical::sign(&key, policy);
    let cred = format!("{AK}/{}/{REGION}/s3/aws4_request", &date[..8]);
    let (body, ct) = multipart_form(
        &[
            ("key", "k"),
            ("policy", policy),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", &cred),
            ("x-amz-date", &date),
            ("x-amz-signature", &sig),
        ],
        b"data",
    );
    let r = s.raw("POST", "/forms", &[("content-type", &ct)], &body).await;
    r.assert_error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.");
    assert!(s.client().list_objects_v2().bucket("forms").send().await.unwrap().contents().is_empty());
}

/// A key that is not valid UTF-8 is refused with S3's 400 `InvalidURI`, whatever the method.
#[tokio::test]
async fn key_not_utf8_is_an_invalid_uri() {
    let s = TestServer::start().await;
    s.create_bucket("bytes").await;
    for method in ["PUT", "GET", "HEAD", "DELETE"] {
        let r =
            s.signed(SignedRequest::new(method, "/bytes/a%FFb").body(if method == "PUT" { b"x" } else { b"" })).await;
        if method == "HEAD" {
            assert_eq!((r.status, r.body.len()), (400, 0), "{method}");
        } else {
            r.assert_error(400, "InvalidURI", "Couldn't parse the specified URI.");
        }
    }
}

/// An anonymous request to a bucket that does not exist is told `NoSuchBucket`, whatever the
/// request: a form upload without policy, a query that names no operation.
#[tokio::test]
async fn anonymous_requests_to_a_missing_bucket() {
    let s = TestServer::start().await;
    for (method, target) in
        [("GET", "/nobucket/k"), ("GET", "/nobucket/k?uploads"), ("DELETE", "/nobucket"), ("HEAD", "/nobucket")]
    {
        let r = s.raw(method, target, &[], b"").await;
        if method == "HEAD" {
            assert_eq!(r.status, 404, "{target}");
        } else {
            let doc = r.assert_error(404, "NoSuchBucket", "The specified bucket does not exist");
            assert_eq!(doc.get("BucketName"), Some("nobucket"), "{method} {target}");
        }
    }
    let boundary = "xyz";
    let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nhello\r\n--{boundary}--\r\n");
    let r = s.raw("POST", "/nobucket", &[("content-type", "multipart/form-data; boundary=xyz")], body.as_bytes()).await;
    r.assert_error(404, "NoSuchBucket", "The specified bucket does not exist");
    s.create_bucket("private").await;
    let r = s.raw("POST", "/private", &[("content-type", "multipart/form-data; boundary=xyz")], body.as_bytes()).await;
    r.assert_error(403, "AccessDenied", "Access Denied");
}
