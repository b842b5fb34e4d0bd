//! SigV4 presigned URLs made by the Rust SDK (`.presigned(..)`), sent with a plain HTTP client,
//! and crafted variants for what a presigner can get wrong. Time moves on the server clock.

use std::time::Duration;

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use s3strict::auth::canonical;

use crate::common::*;

const QUERY_ERR: &str = "AuthorizationQueryParametersError";
const CRED: &str = "Error parsing the X-Amz-Credential parameter; ";

async fn presign_get(s: &TestServer, key: &str, secs: u64) -> PresignedRequest {
    s.client()
        .get_object()
        .bucket("pre")
        .key(key)
        .presigned(PresigningConfig::expires_in(Duration::from_secs(secs)).unwrap())
        .await
        .unwrap()
}

async fn server_with_object(key: &str) -> TestServer {
    let s = TestServer::start().await;
    s.create_bucket("pre").await;
    s.client().put_object().bucket("pre").key(key).body(b"presigned body".to_vec().into()).send().await.unwrap();
    s
}

#[tokio::test]
async fn sdk_presigned_get_and_put() {
    let s = server_with_object("a").await;
    let get = presign_get(&s, "a", 300).await;
    let r = send_presigned(&s, &get, &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, b"presigned body");
    let put = s
        .client()
        .put_object()
        .bucket("pre")
        .key("up/loaded file.txt")
        .content_type("text/plain")
        .metadata("origin", "presign")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let r = send_presigned(&s, &put, &[], b"uploaded via URL").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let head = s.client().head_object().bucket("pre").key("up/loaded file.txt").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.metadata().and_then(|m| m.get("origin")).map(String::as_str), Some("presign"));
    assert_eq!(head.content_length(), Some(16));
}

#[tokio::test]
async fn awkward_keys_presign() {
    let keys = ["dir/a b+c~é.txt", "//x//y", "sym $&=:@,;", "日本"];
    let s = TestServer::start().await;
    s.create_bucket("pre").await;
    for key in keys {
        s.client().put_object().bucket("pre").key(key).body(key.as_bytes().to_vec().into()).send().await.unwrap();
        let get = presign_get(&s, key, 60).await;
        let r = send_presigned(&s, &get, &[], b"").await;
        assert_eq!((r.status, r.body.as_slice()), (200, key.as_bytes()), "{key}: {}", r.text());
    }
    let get = presign_get(&s, "dir/a b+c~é.txt", 60).await;
    let (target, headers) = presigned_parts(&get);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    // Lowercase escapes and `%7E` decode to the same key and canonicalise the same way.
    let relaxed = target.replace("%C3%A9", "%c3%a9").replace('~', "%7E");
    assert_eq!(s.raw("GET", &relaxed, &h, b"").await.status, 200);
    // A literal `+` is a plus, not a space: this names another key and breaks the signature.
    let plus = target.replace("%20", "+");
    assert_eq!(s.raw("GET", &plus, &h, b"").await.error().code, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn expiry_follows_the_server_clock() {
    let s = server_with_object("e").await;
    let get = presign_get(&s, "e", 60).await;
    let (target, _) = presigned_parts(&get);
    let signed_at = param(&target, "X-Amz-Date").unwrap().to_string();
    let t0 = chrono::NaiveDateTime::parse_from_str(&signed_at, "%Y%m%dT%H%M%SZ").unwrap().and_utc();
    let at = |secs: i64| {
        format!(
            r#"{{"frozen_at": "{}"}}"#,
            (t0 + chrono::Duration::seconds(secs)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    };
    s.set_clock(&at(60)).await;
    assert_eq!(send_presigned(&s, &get, &[], b"").await.status, 200, "valid through its last second");
    s.set_clock(&at(61)).await;
    let r = send_presigned(&s, &get, &[], b"").await;
    let doc = r.assert_error(403, "AccessDenied", "Request has expired");
    assert_eq!(doc.names()[2..5], ["X-Amz-Expires", "Expires", "ServerTime"]);
    assert_eq!(doc.get("X-Amz-Expires"), Some("60"));
    let expires = (t0 + chrono::Duration::seconds(60)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let now = (t0 + chrono::Duration::seconds(61)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(doc.get("Expires"), Some(expires.as_str()));
    assert_eq!(doc.get("ServerTime"), Some(now.as_str()));
    // Query auth is not subject to the 15-minute skew rule: a week-long URL works days later.
    s.set_clock(r#"{"real": true}"#).await;
    let week = presign_get(&s, "e", 604800).await;
    s.set_clock(r#"{"offset_seconds": 518400}"#).await;
    assert_eq!(send_presigned(&s, &week, &[], b"").await.status, 200);
}

#[tokio::test]
async fn not_yet_valid() {
    let s = server_with_object("f").await;
    let get = presign_get(&s, "f", 300).await;
    let (target, _) = presigned_parts(&get);
    let t0 = chrono::NaiveDateTime::parse_from_str(param(&target, "X-Amz-Date").unwrap(), "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let frozen = t0 - chrono::Duration::hours(1);
    s.set_clock(&format!(r#"{{"frozen_at": "{}"}}"#, frozen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))).await;
    let r = send_presigned(&s, &get, &[], b"").await;
    let doc = r.assert_error(403, "AccessDenied", "Request is not yet valid");
    assert_eq!(doc.names()[2..5], ["X-Amz-Date", "Expires", "ServerTime"]);
    assert_eq!(doc.get("X-Amz-Date"), Some(t0.timestamp_millis().to_string().as_str()));
}

#[tokio::test]
async fn parameter_errors() {
    let s = server_with_object("p").await;
    let get = presign_get(&s, "p", 300).await;
    let (target, headers) = presigned_parts(&get);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let send = |t: String| {
        let h = h.clone();
        let s = &s;
        async move { s.raw("GET", &t, &h, b"").await }
    };
    let missing = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    for p in
        ["X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"]
    {
        send(without_param(&target, p)).await.assert_error(400, QUERY_ERR, missing);
    }
    let cred = param(&target, "X-Amz-Credential").unwrap().to_string();
    let date = param(&target, "X-Amz-Date").unwrap().to_string();
    let cases: Vec<(String, String, String)> = vec![
        ("X-Amz-Expires".into(), "604801".into(), "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds".into()),
        ("X-Amz-Expires".into(), "-1".into(), "X-Amz-Expires must be non-negative".into()),
        ("X-Amz-Expires".into(), "soon".into(), "X-Amz-Expires should be a number".into()),
        ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA1".into(), "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\"".into()),
        ("X-Amz-Date".into(), "2026-01-01T00:00:00Z".into(), "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into()),
        ("X-Amz-Credential".into(), cred.replace("%2F", "%252F"), format!("{CRED}the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")),
        ("X-Amz-Credential".into(), cred.replace("%2Fs3%2F", "%2Fs4%2F"), format!("{CRED}incorrect service \"s4\". This endpoint belongs to \"s3\".")),
        ("X-Amz-Credential".into(), cred.replace("aws4_request", "aws5_request"), format!("{CRED}incorrect terminal \"aws5_request\". This endpoint uses \"aws4_request\".")),
        ("X-Amz-Credential".into(), cred.replace(&date[..8], "2013052"), format!("{CRED}incorrect date format \"2013052\". This date in the credential must be in the format \"yyyyMMdd\".")),
        ("X-Amz-Credential".into(), cred.replace(&date[..8], "20130524"), format!("Invalid credential date \"20130524\". This date is not the same as X-Amz-Date: \"{}\".", &date[..8])),
    ];
    for (name, value, message) in cases {
        send(with_param(&target, &name, &value)).await.assert_error(400, QUERY_ERR, &message);
    }
    let doc = send(with_param(&target, "X-Amz-Credential", &cred.replace("us-east-1", "eu-central-1")))
        .await
        .assert_error(400, QUERY_ERR, &format!("{CRED}the region 'eu-central-1' is wrong; expecting 'us-east-1'"));
    assert_eq!(doc.get("Region"), Some("us-east-1"));
    let doc = send(with_param(&target, "X-Amz-Credential", &cred.replace(AK, "AKIANOTKNOWN"))).await.assert_error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    );
    assert_eq!(doc.get("AWSAccessKeyId"), Some("AKIANOTKNOWN"));
    send(with_param(&target, "X-Amz-Security-Token", "token")).await.assert_error(
        400,
        "InvalidToken",
        "The provided token is malformed or otherwise invalid.",
    );
}

#[tokio::test]
async fn signature_and_header_matching() {
    let s = server_with_object("h").await;
    let get = presign_get(&s, "h", 300).await;
    let (target, headers) = presigned_parts(&get);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    let tampered = with_param(&target, "X-Amz-Signature", &"0".repeat(64));
    let doc = s.raw("GET", &tampered, &h, b"").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    assert_eq!(
        doc.names()[2..8],
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes"
        ]
    );
    let creq = doc.get("CanonicalRequest").unwrap();
    assert!(creq.ends_with("\nhost\nUNSIGNED-PAYLOAD"), "{creq}");
    assert!(!creq.contains("X-Amz-Signature"), "{creq}");
    // A parameter added after signing breaks the signature; so does another host.
    s.raw("GET", &format!("{target}&x-id=GetObject"), &h, b"").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        mismatch,
    );
    s.raw("GET", &format!("{target}&response-content-type=text%2Fhtml"), &h, b"").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        mismatch,
    );
    s.raw("GET", &target, &[("host", "127.0.0.1")], b"").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    // An unsigned x-amz-* header is refused; an unsigned ordinary header is ignored.
    let doc = s.raw("GET", &target, &[("x-amz-meta-extra", "1")], b"").await.assert_error(
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    );
    assert_eq!(doc.get("HeadersNotSigned"), Some("x-amz-meta-extra"));
    assert_eq!(s.raw("GET", &target, &[("range", "bytes=0-2"), ("content-type", "x/y")], b"").await.status, 206);
    // x-amz-content-sha256 is the one exemption.
    assert_eq!(s.raw("GET", &target, &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], b"").await.status, 200);
    // Empty SignedHeaders, or no host in them.
    for sh in ["", "x-amz-date"] {
        let doc = s.raw("GET", &with_param(&target, "X-Amz-SignedHeaders", sh), &h, b"").await.assert_error(
            403,
            "AccessDenied",
            "There were headers present in the request which were not signed",
        );
        assert_eq!(doc.get("HeadersNotSigned"), Some("host"));
    }
    // Signature first, time second: a tampered URL past its expiry is a signature error.
    s.set_clock(r#"{"offset_seconds": 3600}"#).await;
    s.raw("GET", &tampered, &h, b"").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    s.raw("GET", &target, &h, b"").await.assert_error(403, "AccessDenied", "Request has expired");
}

#[tokio::test]
async fn signed_headers_must_be_sent() {
    let s = TestServer::start().await;
    s.create_bucket("pre").await;
    let put = s
        .client()
        .put_object()
        .bucket("pre")
        .key("typed")
        .content_type("text/plain")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let (target, headers) = presigned_parts(&put);
    assert!(param(&target, "X-Amz-SignedHeaders").unwrap().contains("content-type"), "{target}");
    let mismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    s.raw("PUT", &target, &[], b"x").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    s.raw("PUT", &target, &[("content-type", "text/html")], b"x").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        mismatch,
    );
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(s.raw("PUT", &target, &h, b"x").await.status, 200);
}

#[tokio::test]
async fn header_auth_on_a_presigned_url() {
    let s = server_with_object("both").await;
    let get = presign_get(&s, "both", 300).await;
    let (target, _) = presigned_parts(&get);
    let r = s.raw("GET", &target, &[("authorization", "AWS4-HMAC-SHA256 Credential=x")], b"").await;
    let doc = r.assert_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified");
    assert_eq!(doc.get("ArgumentValue"), Some("AWS4-HMAC-SHA256 Credential=x"));
}

#[tokio::test]
async fn signed_query_parameters_are_applied() {
    let s = server_with_object("q").await;
    // response-* overrides signed into a GET URL.
    let get = s
        .client()
        .get_object()
        .bucket("pre")
        .key("q")
        .response_content_type("text/html")
        .response_content_disposition("attachment")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let r = send_presigned(&s, &get, &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("content-disposition"), Some("attachment"));
    // Metadata and storage class hoisted into the query (as JS SDK v3 does) are stored.
    let url = presign(
        s.addr,
        "PUT",
        "/pre/hoisted",
        &[("x-amz-meta-color", "blue"), ("x-amz-storage-class", "STANDARD")],
        &[],
        60,
    );
    let r = s.raw("PUT", &url, &[], b"hoisted").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let head = s.client().head_object().bucket("pre").key("hoisted").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("blue"));
    // A signed header given only as a same-named query parameter (JS SDK v2 hoisting) is accepted.
    let url =
        presign(s.addr, "PUT", "/pre/in-qs", &[("x-amz-meta-from", "query")], &[("x-amz-meta-from", "query")], 60);
    let r = s.raw("PUT", &url, &[], b"qs").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // ... and sending the header too with the same value is fine; another value is a mismatch.
    assert_eq!(s.raw("PUT", &url, &[("x-amz-meta-from", "query")], b"qs").await.status, 200);
    s.raw("PUT", &url, &[("x-amz-meta-from", "header")], b"qs").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
    // If-None-Match as a signed query parameter (the boto3 workaround) is honoured.
    let url = presign(s.addr, "PUT", "/pre/q", &[("If-None-Match", "*")], &[], 60);
    let doc = s.raw("PUT", &url, &[], b"again").await.assert_error(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    );
    assert_eq!(doc.get("Condition"), Some("If-None-Match"));
    let url = presign(s.addr, "PUT", "/pre/new-one", &[("If-None-Match", "*")], &[], 60);
    assert_eq!(s.raw("PUT", &url, &[], b"first").await.status, 200);
}

#[tokio::test]
async fn auth_log_records_each_decision() {
    let s = server_with_object("log").await;
    assert_eq!(s.raw("DELETE", "/_s3strict/auth-log", JSON, b"").await.status, 200);
    let get = presign_get(&s, "log", 60).await;
    assert_eq!(send_presigned(&s, &get, &[], b"").await.status, 200);
    let (target, headers) = presigned_parts(&get);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let sig = param(&target, "X-Amz-Signature").unwrap().to_string();
    let tampered = with_param(&target, "X-Amz-Signature", &"1".repeat(64));
    assert_eq!(s.raw("GET", &tampered, &h, b"").await.status, 403);
    assert_eq!(s.raw("GET", "/pre/log", &[], b"").await.status, 403);
    let r = s.raw("GET", "/_s3strict/auth-log?limit=3", &[], b"").await;
    assert_eq!(r.status, 200);
    let log: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    // Newest first.
    assert_eq!(entries[0]["mechanism"], "anonymous");
    assert_eq!(entries[0]["error_code"], "AccessDenied");
    let mismatch = &entries[1];
    assert_eq!(mismatch["mechanism"], "query");
    assert_eq!(mismatch["verdict"], "denied");
    assert_eq!(mismatch["error_code"], "SignatureDoesNotMatch");
    assert_eq!(mismatch["access_key"], AK);
    assert_eq!(mismatch["signed_headers"], "host");
    assert_eq!((mismatch["bucket"].as_str(), mismatch["key"].as_str()), (Some("pre"), Some("log")));
    assert!(mismatch["canonical_request"].as_str().unwrap().ends_with("UNSIGNED-PAYLOAD"));
    assert!(mismatch["string_to_sign"].as_str().unwrap().starts_with("AWS4-HMAC-SHA256\n"));
    assert!(mismatch["expires"].as_str().unwrap().ends_with('Z'));
    let ok = &entries[2];
    assert_eq!((ok["verdict"].as_str(), ok["method"].as_str()), (Some("allowed"), Some("GET")));
    assert!(ok["error_code"].is_null());
    let text = r.text();
    assert!(
        !text.contains(&sig) && !text.contains(SK) && !text.contains(&"1".repeat(64)),
        "no signatures or secrets: {text}"
    );
    assert_eq!(s.raw("GET", "/_s3strict/auth-log?limit=x", &[], b"").await.status, 400);
    s.raw("DELETE", "/_s3strict/auth-log", JSON, b"").await;
    let r = s.raw("GET", "/_s3strict/auth-log", &[], b"").await;
    assert_eq!(r.text(), "[]");
}

/// JS SDK v3 signs the CRC32 of an empty body into presigned PUT URLs. S3 ignores checksum values
/// in the query (see `s3::is_query_checksum`): matching and non-matching bodies both upload, and
/// the stored checksum is the server's own CRC64NVME. The value is still signed.
#[tokio::test]
async fn checksum_signed_into_the_query_is_ignored() {
    let s = TestServer::start().await;
    s.create_bucket("pre").await;
    let params =
        [("x-amz-checksum-crc32", "AAAAAA=="), ("x-amz-sdk-checksum-algorithm", "CRC32"), ("x-id", "PutObject")];
    for (key, body) in [("empty", &b""[..]), ("full", &b"a body whose CRC32 is not AAAAAA=="[..])] {
        let path = format!("/pre/{key}");
        let url = presign(s.addr, "PUT", &path, &params, &[], 60);
        let r = s.raw("PUT", &url, &[], body).await;
        assert_eq!(r.status, 200, "{key}: {}", r.text());
        let head = s
            .client()
            .head_object()
            .bucket("pre")
            .key(key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert!(head.checksum_crc32().is_none(), "{key}: no CRC32 stored");
        assert!(head.checksum_crc64_nvme().is_some());
        assert_eq!(head.content_length(), Some(body.len() as i64));
    }
    let url = presign(s.addr, "PUT", "/pre/changed", &params, &[], 60).replace("AAAAAA%3D%3D", "BBBBBB%3D%3D");
    s.raw("PUT", &url, &[], b"x").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
}

/// The presigner gotchas of the behaviour spec (§8) not covered above, each failing where S3 fails.
#[tokio::test]
async fn presigner_gotchas() {
    let s = TestServer::start_with(|c| c.domain = Some("localhost".into())).await;
    s.create_bucket("pre").await;
    s.client().put_object().bucket("pre").key("a b").body(b"spaced".to_vec().into()).send().await.unwrap();
    let mismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    let get = presign_get(&s, "a b", 300).await;
    let (target, _) = presigned_parts(&get);
    assert_eq!(s.raw("GET", &target, &[], b"").await.status, 200);
    // 2. A path-style URL rewritten to virtual-hosted style after signing.
    let vhost_target = target.replacen("/pre/", "/", 1);
    let host = format!("pre.localhost:{}", s.addr.port());
    s.raw("GET", &vhost_target, &[("host", &host)], b"").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    // 5. A space in a signed query value sent as `+` instead of `%20`.
    let url =
        presign(s.addr, "GET", "/pre/a%20b", &[("response-content-disposition", "attachment; filename=a b")], &[], 60);
    assert_eq!(s.raw("GET", &url, &[], b"").await.status, 200);
    let plus = url.replace("filename%3Da%20b", "filename%3Da+b");
    assert_ne!(plus, url);
    s.raw("GET", &plus, &[], b"").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    // 7. A path encoded twice (`%2520`): S3 decodes once, so this names another key.
    let twice = target.replace("a%20b", "a%2520b");
    s.raw("GET", &twice, &[], b"").await.assert_error(403, "SignatureDoesNotMatch", mismatch);
    // 14. X-Amz-Expires sent as a header instead of a query parameter.
    let doc = s.raw("GET", &target, &[("x-amz-expires", "5")], b"").await.assert_error(
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    );
    assert_eq!(doc.get("HeadersNotSigned"), Some("x-amz-expires"));
    // X-Amz-Expires=0 (the documented minimum is 1).
    let url = presign(s.addr, "GET", "/pre/a%20b", &[], &[], 0);
    s.raw("GET", &url, &[], b"").await.assert_error(
        400,
        "AuthorizationQueryParametersError",
        "X-Amz-Expires must be greater than 0",
    );
}

/// Gotcha 20: a presigner that signs lowercase escapes (`%c3%a9`) verbatim fails, because S3
/// re-encodes the path with uppercase hex before comparing; 17 (an access key with `+`) does not
/// apply to the keys s3strict issues.
#[tokio::test]
async fn lowercase_escapes_signed_verbatim_fail() {
    let s = TestServer::start().await;
    s.create_bucket("pre").await;
    s.client().put_object().bucket("pre").key("é").body(b"accent".to_vec().into()).send().await.unwrap();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let scope = canonical::scope(&date[..8], REGION, "s3");
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={date}&X-Amz-Expires=60&X-Amz-SignedHeaders=host",
        canonical::uri_encode(format!("{AK}/{scope}").as_bytes(), true)
    );
    let sign_with_path = |canonical_path: &str| {
        let creq = canonical::canonical_request(
            "GET",
            canonical_path,
            &query,
            &format!("host:{}\n", s.addr),
            "host",
            "UNSIGNED-PAYLOAD",
        );
        let sts = canonical::string_to_sign(&date, &scope, &creq);
        canonical::sign(&canonical::signing_key(SK, &date[..8], REGION, "s3"), &sts)
    };
    let good = format!("/pre/%C3%A9?{query}&X-Amz-Signature={}", sign_with_path("/pre/%C3%A9"));
    assert_eq!(s.raw("GET", &good, &[], b"").await.status, 200);
    let verbatim = format!("/pre/%c3%a9?{query}&X-Amz-Signature={}", sign_with_path("/pre/%c3%a9"));
    let doc = s.raw("GET", &verbatim, &[], b"").await.assert_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
    assert!(doc.get("CanonicalRequest").unwrap().starts_with("GET\n/pre/%C3%A9\n"));
}

/// A presigned URL target made by the `aws-sigv4` crate (a signer independent of the server's)
/// with `key`'s credentials: `params` (decoded) are signed into the query, `headers` are signed
/// (the client must send them), and the payload hash signed is `payload`, `UNSIGNED-PAYLOAD` when
/// `None`.
fn sigv4_presign(
    s: &TestServer,
    (access_key, secret_key): (&str, &str),
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    payload: Option<&str>,
) -> String {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
    let identity = aws_sdk_s3::config::Credentials::new(access_key, secret_key, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(300));
    let signing = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let enc = |v: &str| canonical::uri_encode(v.as_bytes(), true);
    let query: Vec<String> = params.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))).collect();
    let url = format!("{}{path}?{}", s.endpoint(), query.join("&"));
    let body = match payload {
        Some(hash) => SignableBody::Precomputed(hash.to_string()),
        None => SignableBody::UnsignedPayload,
    };
    let signable = SignableRequest::new(method, &url, headers.iter().copied(), body).unwrap();
    let (instructions, _) = sign(signable, &signing).unwrap().into_parts();
    let mut req = http::Request::builder().uri(&url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.uri().path_and_query().unwrap().to_string()
}

const MISMATCH: &str =
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const SHA256_MISMATCH: &str = "The provided 'x-amz-content-sha256' header does not match what was computed.";

/// A payload hash signed into a presigned URL binds the body, as on S3, where a presigned URL is
/// signed over its `x-amz-content-sha256` header (botocore and the Go SDK sign that header's value
/// as the payload hash) or `UNSIGNED-PAYLOAD` without one. A body that does not hash to the signed
/// value is S3's `XAmzContentSHA256Mismatch`, stored nowhere. An `X-Amz-Content-Sha256` query
/// parameter names no payload hash on S3: a URL that signed its hash as the payload does not
/// match, and one signed with `UNSIGNED-PAYLOAD` beside it (the AWS SDK for PHP's
/// `ContentSHA256`) takes any body and is `UNSIGNED-PAYLOAD` to a policy.
#[tokio::test]
async fn a_signed_payload_hash_binds_the_body() {
    let s = TestServer::start().await;
    s.create_bucket("hashed").await;
    let root = (AK, SK);
    let good = canonical::sha256_hex(b"good");
    let with_hash = [("x-amz-content-sha256", good.as_str())];
    // The hash in a signed header, signed as the payload hash.
    let url = sigv4_presign(&s, root, "PUT", "/hashed/k", &[], &with_hash, Some(&good));
    let doc = s.raw("PUT", &url, &with_hash, b"EVIL BODY").await.assert_error(
        400,
        "XAmzContentSHA256Mismatch",
        SHA256_MISMATCH,
    );
    assert_eq!(doc.get("ClientComputedContentSHA256"), Some(good.as_str()));
    assert_eq!(doc.get("S3ComputedContentSHA256"), Some(canonical::sha256_hex(b"EVIL BODY").as_str()));
    assert_eq!(s.signed(SignedRequest::new("GET", "/hashed/k")).await.status, 404, "nothing stored");
    let r = s.raw("PUT", &url, &with_hash, b"good").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.signed(SignedRequest::new("GET", "/hashed/k")).await.body, b"good");
    // Without the header the URL's signature covers, nothing matches.
    s.raw("PUT", &url, &[], b"good").await.assert_error(403, "SignatureDoesNotMatch", MISMATCH);
    // The query parameter's hash signed as the payload: S3 computed UNSIGNED-PAYLOAD.
    let url = sigv4_presign(&s, root, "PUT", "/hashed/q", &[("X-Amz-Content-Sha256", &good)], &[], Some(&good));
    let r = s.raw("PUT", &url, &[], b"EVIL BODY").await;
    r.assert_error(403, "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(
        r.header("x-s3strict-cause").unwrap(),
        format!("the signature covers the payload hash {good} of the X-Amz-Content-Sha256 query parameter, but S3 takes a presigned URL's payload hash from an x-amz-content-sha256 header only, and a presigned URL sent without an x-amz-content-sha256 header is signed over UNSIGNED-PAYLOAD: send the hash in that header")
    );
    // The header signed, the payload signed as UNSIGNED-PAYLOAD: the header's value is the hash.
    let url = sigv4_presign(&s, root, "PUT", "/hashed/u", &[], &with_hash, None);
    let r = s.raw("PUT", &url, &with_hash, b"good").await;
    r.assert_error(403, "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(
        r.header("x-s3strict-cause").unwrap(),
        format!(
            "the signature covers the payload hash UNSIGNED-PAYLOAD, but the x-amz-content-sha256 header says {good}"
        )
    );
    // The parameter beside UNSIGNED-PAYLOAD is only a parameter: any body, and policies see
    // UNSIGNED-PAYLOAD.
    let url = sigv4_presign(&s, root, "PUT", "/hashed/php", &[("X-Amz-Content-Sha256", &good)], &[], None);
    let r = s.raw("PUT", &url, &[], b"any body").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.signed(SignedRequest::new("GET", "/hashed/php")).await.body, b"any body");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",
        "Resource":"arn:aws:s3:::hashed/*","Condition":{"StringEquals":{"s3:x-amz-content-sha256":"UNSIGNED-PAYLOAD"}}}]}"#;
    s.client().put_bucket_policy().bucket("hashed").policy(policy).send().await.unwrap();
    s.raw("PUT", &url, &[], b"any body").await.assert_error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:root is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::hashed/php\" with an explicit deny in a resource-based policy",
    );
    let url = sigv4_presign(&s, root, "PUT", "/hashed/k", &[], &with_hash, Some(&good));
    assert_eq!(s.raw("PUT", &url, &with_hash, b"good").await.status, 200);
    // The header's other values: S3's error for one it does not know; signed streaming, whose
    // chunk signatures would have no seed, is not implemented in a presigned URL.
    let bogus = [("x-amz-content-sha256", "not-a-hash")];
    let url = sigv4_presign(&s, root, "PUT", "/hashed/b", &[], &bogus, Some("not-a-hash"));
    let doc = s.raw("PUT", &url, &bogus, b"x").await.assert_error(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.");
    assert_eq!((doc.get("ArgumentName"), doc.get("ArgumentValue")), (Some("x-amz-content-sha256"), Some("not-a-hash")));
    let streaming = [("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")];
    let url = sigv4_presign(&s, root, "PUT", "/hashed/s", &[], &streaming, Some(streaming[0].1));
    let doc = s.raw("PUT", &url, &streaming, b"x").await.assert_error(
        501,
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
    );
    assert_eq!(doc.get("Header"), Some("x-amz-content-sha256"));
}

/// S3 decides a PUT is a copy from the `x-amz-copy-source` header alone: a presigned PUT with the
/// copy source only in its query (where the AWS SDK for PHP and the JS SDK v3 put it) is a
/// PutObject of its body there (aws-sdk-php#1275, minio#4167), and so it is judged here, as a
/// PutObject without a copy source. A user allowed to write only copies of public sources cannot
/// store a body of their own through such a URL; the header, signed and sent, makes the copy;
/// with both, the header names the source.
#[tokio::test]
async fn a_copy_source_in_the_query_makes_no_copy() {
    let copier = s3strict::config::UserSettings {
        name: "copier".into(),
        account: None,
        access_key: "AKIACOPIER".into(),
        secret_key: "copier-secret".into(),
        status: None,
        policies: vec![s3strict::config::PolicyText::Json(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::dst/*",
                 "Condition":{"StringLike":{"s3:x-amz-copy-source":"src/public/*"}}},
                {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::src/public/*"}]}"#
                .into(),
        )],
    };
    let s = TestServer::start_with(move |c| c.users = vec![copier]).await;
    let root = s.client();
    for b in ["src", "dst"] {
        s.create_bucket(b).await;
    }
    root.put_object().bucket("src").key("public/a").body(b"public".to_vec().into()).send().await.unwrap();
    let keys = ("AKIACOPIER", "copier-secret");
    let refused = |key: &str| {
        format!("User: arn:aws:iam::123456789012:user/copier is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::dst/{key}\" because no identity-based policy allows the s3:PutObject action")
    };
    let source = [("x-amz-copy-source", "src/public/a")];
    // The copy source in the query: a PutObject, refused to the copier...
    let url = sigv4_presign(&s, keys, "PUT", "/dst/y", &source, &[], None);
    s.raw("PUT", &url, &[], b"ARBITRARY BODY").await.assert_error(403, "AccessDenied", &refused("y"));
    assert_eq!(s.signed(SignedRequest::new("GET", "/dst/y")).await.status, 404);
    // ... and for whoever may write, the body stored, no copy made.
    let url = sigv4_presign(&s, (AK, SK), "PUT", "/dst/y", &source, &[], None);
    let r = s.raw("PUT", &url, &[], b"put body").await;
    assert_eq!((r.status, r.header("etag")), (200, Some(format!("\"{}\"", md5_hex(b"put body")).as_str())));
    assert!(r.body.is_empty(), "no CopyObjectResult: {}", r.text());
    assert_eq!(s.signed(SignedRequest::new("GET", "/dst/y")).await.body, b"put body");
    // UploadPartCopy the same: an UploadPart of the body.
    let upload = root.create_multipart_upload().bucket("dst").key("mp").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = [("partNumber", "1"), ("uploadId", upload_id), source[0]];
    let url = sigv4_presign(&s, keys, "PUT", "/dst/mp", &part, &[], None);
    s.raw("PUT", &url, &[], b"part body").await.assert_error(403, "AccessDenied", &refused("mp"));
    let url = sigv4_presign(&s, (AK, SK), "PUT", "/dst/mp", &part, &[], None);
    let r = s.raw("PUT", &url, &[], b"part body").await;
    assert_eq!((r.status, r.header("etag")), (200, Some(format!("\"{}\"", md5_hex(b"part body")).as_str())));
    assert!(r.body.is_empty(), "no CopyPartResult: {}", r.text());
    // The header, signed and sent, makes the copy, also for the copier (botocore's presigned
    // copy_object signs it so: tests/clients/python/test_botocore_presign.py).
    let url = sigv4_presign(&s, keys, "PUT", "/dst/c", &[], &source, None);
    let r = s.raw("PUT", &url, &source, b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<CopyObjectResult"), "{}", r.text());
    assert_eq!(s.signed(SignedRequest::new("GET", "/dst/c")).await.body, b"public");
    // Header and query both: the header names the source.
    root.put_object().bucket("src").key("private").body(b"private".to_vec().into()).send().await.unwrap();
    let url = sigv4_presign(&s, keys, "PUT", "/dst/both", &[("x-amz-copy-source", "src/private")], &source, None);
    let r = s.raw("PUT", &url, &source, b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.signed(SignedRequest::new("GET", "/dst/both")).await.body, b"public");
}
