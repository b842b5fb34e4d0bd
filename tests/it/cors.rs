//! Bucket CORS rules through the SDK, the unauthenticated preflight, and the headers a browser
//! needs on cross-origin responses (errors included).

use aws_sdk_s3::types::{CorsConfiguration, CorsRule};

use crate::common::*;

const NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

async fn with_rules(s: &TestServer) {
    let rule = CorsRule::builder()
        .allowed_origins("http://app.test")
        .allowed_origins("http://*.example.test")
        .allowed_methods("PUT")
        .allowed_methods("GET")
        .allowed_headers("content-type")
        .allowed_headers("x-amz-*")
        .expose_headers("ETag")
        .max_age_seconds(600)
        .build()
        .unwrap();
    s.client()
        .put_bucket_cors()
        .bucket("web")
        .cors_configuration(CorsConfiguration::builder().cors_rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn configuration_roundtrip() {
    let s = TestServer::start().await;
    s.create_bucket("web").await;
    let c = s.client();
    let r = s.signed(SignedRequest::new("GET", "/web").query("cors")).await;
    let doc = r.assert_error(404, "NoSuchCORSConfiguration", "The CORS configuration does not exist");
    assert_eq!(doc.get("BucketName"), Some("web"));
    with_rules(&s).await;
    let got = c.get_bucket_cors().bucket("web").send().await.unwrap();
    let rule = &got.cors_rules()[0];
    assert_eq!(rule.allowed_methods(), ["PUT", "GET"]);
    assert_eq!(rule.max_age_seconds(), Some(600));
    let bad = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>";
    let r = s.signed(SignedRequest::new("PUT", "/web").query("cors").body(bad)).await;
    r.assert_error(400, "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is PATCH");
    c.delete_bucket_cors().bucket("web").send().await.unwrap();
    assert_eq!(s.signed(SignedRequest::new("GET", "/web").query("cors")).await.status, 404);
}

#[tokio::test]
async fn preflight() {
    let s = TestServer::start().await;
    s.create_bucket("web").await;
    let pre = |origin: &'static str, method: &'static str, headers: &'static str| {
        let s = &s;
        async move {
            let mut h = vec![("access-control-request-method", method)];
            if !origin.is_empty() {
                h.push(("origin", origin));
            }
            if !headers.is_empty() {
                h.push(("access-control-request-headers", headers));
            }
            s.raw("OPTIONS", "/web/up.txt", &h, b"").await
        }
    };
    let doc = pre("http://app.test", "PUT", "").await.assert_error(
        403,
        "AccessForbidden",
        "CORSResponse: CORS is not enabled for this bucket.",
    );
    assert_eq!((doc.get("Method"), doc.get("ResourceType")), (Some("PUT"), Some("OBJECT")));
    with_rules(&s).await;
    let r = pre("http://app.test", "PUT", "Content-Type, x-amz-meta-a").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("http://app.test"));
    assert_eq!(r.header("access-control-allow-methods"), Some("PUT, GET"));
    assert_eq!(r.header("access-control-allow-headers"), Some("Content-Type, x-amz-meta-a"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("access-control-expose-headers"), Some("ETag"));
    assert_eq!(pre("http://www.example.test", "GET", "").await.status, 200);
    pre("http://evil.test", "PUT", "").await.assert_error(403, "AccessForbidden", NOT_ALLOWED);
    pre("http://app.test", "DELETE", "").await.assert_error(403, "AccessForbidden", NOT_ALLOWED);
    pre("http://app.test", "PUT", "authorization").await.assert_error(403, "AccessForbidden", NOT_ALLOWED);
    pre("", "PUT", "").await.assert_error(400, "BadRequest", "Insufficient information. Origin request header needed.");
}

#[tokio::test]
async fn cross_origin_responses() {
    let s = TestServer::start().await;
    s.create_bucket("web").await;
    with_rules(&s).await;
    let put = s
        .client()
        .put_object()
        .bucket("web")
        .key("from-browser.txt")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let r = send_presigned(&s, &put, &[("origin", "http://app.test")], b"browser bytes").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://app.test"));
    assert_eq!(r.header("access-control-expose-headers"), Some("ETag"));
    // Errors carry them too, so the page can read S3's error.
    let (target, _) = presigned_parts(&put);
    let r = s
        .raw("PUT", &with_param(&target, "X-Amz-Signature", &"0".repeat(64)), &[("origin", "http://app.test")], b"x")
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://app.test"));
    // Not for an origin no rule allows, nor without Origin.
    let r = send_presigned(&s, &put, &[("origin", "http://evil.test")], b"x").await;
    assert!(r.header("access-control-allow-origin").is_none());
    let r = send_presigned(&s, &put, &[], b"x").await;
    assert!(r.header("access-control-allow-origin").is_none());
}
