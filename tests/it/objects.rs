//! Object operations through the Rust SDK (with its default checksums and streaming bodies), and
//! raw requests for what no SDK sends.

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;

use crate::common::*;

const KEYS: &[&str] = &[
    "plain.txt",
    "dir/sub/file",
    "a b+c~é.txt",
    "//double//slash",
    "/leading",
    "dots/../x/./y",
    "..",
    "per%cent%20not-decoded",
    "unicode/日本語/файл",
    "symbols !$&'()*,;=:@",
    "Case/ABC",
    "case/abc",
];

#[tokio::test]
async fn put_get_head_roundtrip_with_stored_headers() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    let body = b"hello, world".to_vec();
    let put = c
        .put_object()
        .bucket("objs")
        .key("greeting.txt")
        .body(body.clone().into())
        .content_type("text/plain; charset=utf-8")
        .content_encoding("identity")
        .content_disposition("attachment; filename=\"g.txt\"")
        .content_language("en-GB")
        .cache_control("max-age=60")
        .expires(aws_sdk_s3::primitives::DateTime::from_secs(1_900_000_000))
        .metadata("Color", "Blue")
        .send()
        .await
        .unwrap();
    let etag = format!("\"{}\"", md5_hex(&body));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    let got = c.get_object().bucket("objs").key("greeting.txt").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=\"g.txt\""));
    assert_eq!(got.content_language(), Some("en-GB"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.expires_string(), Some("Sun, 17 Mar 2030 17:46:40 GMT"));
    assert_eq!(got.content_length(), Some(12));
    assert!(got.last_modified().is_some());
    let meta = got.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("Blue"), "names are lowercased: {meta:?}");
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());
    let head = c.head_object().bucket("objs").key("greeting.txt").send().await.unwrap();
    assert_eq!(head.content_length(), Some(12));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    let r = s.signed(SignedRequest::new("HEAD", "/objs/greeting.txt")).await;
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
}

#[tokio::test]
async fn non_ascii_metadata() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    // UTF-8 in a header is signed by the SDK as UTF-8 but read by S3 as ISO-8859-1: S3 answers
    // SignatureDoesNotMatch (aws/aws-sdk-java#2694, aws/aws-sdk-js#820), and so does s3strict.
    let err = s.client().put_object().bucket("objs").key("k").metadata("unicode", "café").send().await.unwrap_err();
    let (status, code, _) = sdk_error(err);
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    // Metadata signed into a presigned URL's query is UTF-8; it comes back RFC 2047-encoded, as S3
    // sends non-ASCII metadata.
    let target = presign(s.addr, "PUT", "/objs/k", &[("x-amz-meta-unicode", "café")], &[], 300);
    let r = s.raw("PUT", &target, &[], b"body").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.signed(SignedRequest::new("HEAD", "/objs/k")).await;
    assert_eq!(r.header("x-amz-meta-unicode"), Some("=?UTF-8?B?Y2Fmw6k=?="));
}

#[tokio::test]
async fn default_content_type_and_empty_object() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    // A raw PUT without Content-Type (the SDK always sends one).
    assert_eq!(s.signed(SignedRequest::new("PUT", "/objs/empty")).await.status, 200);
    let got = c.get_object().bucket("objs").key("empty").send().await.unwrap();
    assert_eq!(got.content_type(), Some("binary/octet-stream"));
    assert_eq!(got.content_length(), Some(0));
    assert_eq!(got.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
}

#[tokio::test]
async fn awkward_keys_roundtrip_and_list_exactly() {
    let s = TestServer::start().await;
    s.create_bucket("keys").await;
    let c = s.client();
    for key in KEYS {
        c.put_object()
            .bucket("keys")
            .key(*key)
            .body(key.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
    }
    for key in KEYS {
        let got = c.get_object().bucket("keys").key(*key).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), key.as_bytes(), "{key}");
    }
    let listed = c.list_objects_v2().bucket("keys").send().await.unwrap();
    let mut names: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    let mut expected: Vec<&str> = KEYS.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(names, expected, "byte order, nothing normalised or folded");
    names.clear();
    // Files on disk are named by id, never by key.
    for entry in walk(&s.data_dir()) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!KEYS.iter().any(|k| k.ends_with(&name) && name.len() > 3), "{name}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn key_length_limit() {
    let s = TestServer::start().await;
    s.create_bucket("keys").await;
    let c = s.client();
    let ok = "k".repeat(1024);
    c.put_object().bucket("keys").key(&ok).body(b"x".to_vec().into()).send().await.unwrap();
    let long = "k".repeat(1025);
    let path = format!("/keys/{long}");
    let r = s.signed(SignedRequest::new("PUT", &path).body(b"x")).await;
    let doc = r.assert_error(400, "KeyTooLongError", "Your key is too long");
    assert_eq!(doc.get("Size"), Some("1025"));
    assert_eq!(doc.get("MaxSizeAllowed"), Some("1024"));
    // Multi-byte characters count in bytes.
    let long = "é".repeat(513);
    let path = format!("/keys/{}", "%C3%A9".repeat(513));
    s.signed(SignedRequest::new("PUT", &path).body(b"x")).await.assert_error(
        400,
        "KeyTooLongError",
        "Your key is too long",
    );
    let _ = long;
}

#[tokio::test]
async fn missing_objects() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let r = s.signed(SignedRequest::new("GET", "/objs/none")).await;
    let doc = r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    assert_eq!(doc.get("Key"), Some("none"));
    assert_eq!(doc.names(), ["Code", "Message", "Key", "RequestId", "HostId"], "S3's elements, in S3's order");
    let r = s.signed(SignedRequest::new("HEAD", "/objs/none")).await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    s.signed(SignedRequest::new("GET", "/nobucket/k")).await.assert_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
    s.signed(SignedRequest::new("PUT", "/nobucket/k").body(b"x")).await.assert_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
    // Deleting a missing key succeeds, as on S3.
    s.client().delete_object().bucket("objs").key("none").send().await.unwrap();
}

#[tokio::test]
async fn overwrite_replaces_and_removes_old_body() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    // Bodies above 64 KiB have files of their own; smaller ones live in the object's row.
    let (first, second) = (vec![1u8; 70_000], vec![2u8; 80_000]);
    c.put_object().bucket("objs").key("k").body(first.into()).metadata("a", "1").send().await.unwrap();
    c.put_object().bucket("objs").key("k").body(second.clone().into()).send().await.unwrap();
    let got = c.get_object().bucket("objs").key("k").send().await.unwrap();
    assert!(got.metadata().is_none_or(|m| m.is_empty()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), second.as_slice());
    let blobs: Vec<_> = walk(&s.data_dir().join("blobs"));
    assert_eq!(blobs.len(), 1, "the replaced body is removed: {blobs:?}");
    // Replaced by a small body: the file goes, the row holds the bytes.
    c.put_object().bucket("objs").key("k").body(b"small".to_vec().into()).send().await.unwrap();
    assert!(walk(&s.data_dir().join("blobs")).is_empty(), "a small body has no file");
    let got = c.get_object().bucket("objs").key("k").range("bytes=1-3").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"mal");
    c.copy_object().bucket("objs").key("copy").copy_source("objs/k").send().await.unwrap();
    let got = c.get_object().bucket("objs").key("copy").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"small");
    c.delete_object().bucket("objs").key("k").send().await.unwrap();
    c.delete_object().bucket("objs").key("copy").send().await.unwrap();
    assert!(walk(&s.data_dir().join("blobs")).is_empty());
    assert!(walk(&s.data_dir().join("tmp")).is_empty());
}

#[tokio::test]
async fn ranges() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    let data: Vec<u8> = (0..100u8).collect();
    c.put_object().bucket("objs").key("r").body(data.clone().into()).send().await.unwrap();
    for (range, start, end) in
        [("bytes=0-9", 0, 9), ("bytes=90-", 90, 99), ("bytes=-5", 95, 99), ("bytes=98-200", 98, 99)]
    {
        let got = c.get_object().bucket("objs").key("r").range(range).send().await.unwrap();
        let expected_range = format!("bytes {start}-{end}/100");
        assert_eq!(got.content_range(), Some(expected_range.as_str()));
        assert_eq!(got.content_length(), Some((end - start + 1) as i64));
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), &data[start..=end]);
    }
    let r = s.signed(SignedRequest::new("GET", "/objs/r").header("range", "bytes=0-9")).await;
    assert_eq!(r.status, 206);
    let r = s.signed(SignedRequest::new("GET", "/objs/r").header("range", "bytes=100-")).await;
    let doc = r.assert_error(416, "InvalidRange", "The requested range is not satisfiable");
    assert_eq!(doc.get("RangeRequested"), Some("bytes=100-"));
    assert_eq!(doc.get("ActualObjectSize"), Some("100"));
    assert_eq!(r.header("content-range"), Some("bytes */100"));
    // Syntax S3 ignores: the whole object.
    let r = s.signed(SignedRequest::new("GET", "/objs/r").header("range", "bytes=5-1")).await;
    assert_eq!((r.status, r.body.len()), (200, 100));
}

/// A body kept in a file is read for the response 1 MiB at a time, ahead of the socket: whole
/// bodies and ranges that start, end or cross inside those chunks come back byte for byte, and a
/// client that stops reading halfway leaves the server serving.
#[tokio::test]
async fn file_bodies_are_read_in_chunks() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    const MIB: usize = 1024 * 1024;
    let data: Vec<u8> = (0..(2 * MIB + MIB / 2)).map(|i| (i % 251) as u8).collect();
    c.put_object().bucket("objs").key("big").body(data.clone().into()).send().await.unwrap();
    let got = c.get_object().bucket("objs").key("big").send().await.unwrap();
    assert_eq!(got.content_length(), Some(data.len() as i64));
    assert!(got.body.collect().await.unwrap().into_bytes().as_ref() == data.as_slice(), "the whole body");
    let size = data.len();
    for (start, end) in [(0, MIB), (MIB - 10, MIB + 10), (MIB, 2 * MIB - 1), (7, size - 1), (size - 1, size - 1)] {
        let got = c.get_object().bucket("objs").key("big").range(format!("bytes={start}-{end}")).send().await.unwrap();
        assert_eq!(got.content_range(), Some(format!("bytes {start}-{end}/{size}").as_str()));
        let bytes = got.body.collect().await.unwrap().into_bytes();
        assert!(bytes.as_ref() == &data[start..=end], "bytes {start}-{end}");
    }
    // A client that reads the head of the body and goes away.
    let target = presigned_get(&c, "objs", "big", 60).await.uri().strip_prefix(&s.endpoint()).unwrap().to_string();
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
    tokio::io::AsyncWriteExt::write_all(&mut sock, request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 64 * 1024];
    tokio::io::AsyncReadExt::read_exact(&mut sock, &mut head).await.unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200"));
    drop(sock);
    let got = c.get_object().bucket("objs").key("big").range("bytes=0-3").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), &data[..4]);
}

#[tokio::test]
async fn conditional_get_and_head() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    let put = c.put_object().bucket("objs").key("c").body(b"cond".to_vec().into()).send().await.unwrap();
    let etag = put.e_tag().unwrap().to_string();
    let past = "Mon, 01 Jan 2001 00:00:00 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let cases: &[(&str, &str, u16)] = &[
        ("if-match", &etag, 200),
        ("if-match", "\"nope\"", 412),
        ("if-none-match", &etag, 304),
        ("if-none-match", "\"nope\"", 200),
        ("if-modified-since", future, 304),
        ("if-modified-since", past, 200),
        ("if-unmodified-since", past, 412),
        ("if-unmodified-since", future, 200),
    ];
    for (name, value, status) in cases {
        for method in ["GET", "HEAD"] {
            let r = s.signed(SignedRequest::new(method, "/objs/c").header(name, *value)).await;
            assert_eq!(r.status, *status, "{method} {name}: {value}");
            if *status == 412 && method == "GET" {
                let doc = r.assert_error(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                );
                let cond = if *name == "if-match" { "If-Match" } else { "If-Unmodified-Since" };
                assert_eq!(doc.get("Condition"), Some(cond));
            }
            if *status == 304 {
                assert!(r.body.is_empty());
                assert_eq!(r.header("etag"), Some(etag.as_str()));
            }
        }
    }
    // S3's precedence: If-Match true wins over a false If-Unmodified-Since; If-None-Match false
    // (ETag differs) wins over a false If-Modified-Since.
    let r = s
        .signed(
            SignedRequest::new("GET", "/objs/c").header("if-match", etag.clone()).header("if-unmodified-since", past),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .signed(
            SignedRequest::new("GET", "/objs/c").header("if-none-match", "\"x\"").header("if-modified-since", future),
        )
        .await;
    assert_eq!(r.status, 200);
    // And 412 before 304.
    let r = s
        .signed(SignedRequest::new("GET", "/objs/c").header("if-match", "\"x\"").header("if-none-match", etag.clone()))
        .await;
    assert_eq!(r.status, 412);
    // Through the SDK.
    let err = c.get_object().bucket("objs").key("c").if_match("\"other\"").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(412));
}

#[tokio::test]
async fn conditional_put() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    c.put_object().bucket("objs").key("once").if_none_match("*").body(b"1".to_vec().into()).send().await.unwrap();
    let r = s.signed(SignedRequest::new("PUT", "/objs/once").header("if-none-match", "*").body(b"2")).await;
    let doc =
        r.assert_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    assert_eq!(doc.get("Condition"), Some("If-None-Match"));
    let got = c.get_object().bucket("objs").key("once").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"1", "the first write survives");
    let etag = format!("\"{}\"", md5_hex(b"1"));
    let r = s.signed(SignedRequest::new("PUT", "/objs/once").header("if-match", "\"wrong\"").body(b"3")).await;
    assert_eq!(r.error().get("Condition"), Some("If-Match"));
    assert_eq!(r.status, 412);
    let r = s.signed(SignedRequest::new("PUT", "/objs/once").header("if-match", etag).body(b"4")).await;
    assert_eq!(r.status, 200);
    let r = s.signed(SignedRequest::new("PUT", "/objs/absent").header("if-match", "\"x\"").body(b"5")).await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    // Small bodies live in their rows: no files at all, and failed writes leave none behind.
    assert!(walk(&s.data_dir().join("blobs")).is_empty(), "failed conditional writes leave nothing behind");
    assert!(walk(&s.data_dir().join("tmp")).is_empty());
}

#[tokio::test]
async fn content_md5_checked() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let good = base64::engine::general_purpose::STANDARD.encode(md5_bytes(b"payload"));
    let r = s.signed(SignedRequest::new("PUT", "/objs/m").header("content-md5", good).body(b"payload")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let wrong = base64::engine::general_purpose::STANDARD.encode(md5_bytes(b"other"));
    let r = s.signed(SignedRequest::new("PUT", "/objs/m").header("content-md5", wrong).body(b"payload")).await;
    let doc = r.assert_error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    assert_eq!(doc.get("ExpectedDigest"), Some(md5_hex(b"other").as_str()));
    assert_eq!(doc.names()[2..4], ["ExpectedDigest", "CalculatedDigest"]);
    for bad in ["not base64!", "AAAA"] {
        let r = s.signed(SignedRequest::new("PUT", "/objs/m").header("content-md5", bad).body(b"payload")).await;
        r.assert_error(400, "InvalidDigest", "The Content-MD5 you specified was not valid.");
    }
    let got = s.client().get_object().bucket("objs").key("m").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"payload");
    assert!(walk(&s.data_dir().join("blobs")).is_empty(), "a small body lives in its row");
    assert!(walk(&s.data_dir().join("tmp")).is_empty());
}

#[tokio::test]
async fn payload_hash_checked() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let mut req = SignedRequest::new("PUT", "/objs/h").body(b"actual body");
    req.content_sha256 = Some(s3strict::auth::canonical::sha256_hex(b"claimed body"));
    let r = s.signed(req).await;
    let doc = r.assert_error(
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
    assert_eq!(
        doc.get("ClientComputedContentSHA256"),
        Some(s3strict::auth::canonical::sha256_hex(b"claimed body").as_str())
    );
    assert_eq!(
        doc.get("S3ComputedContentSHA256"),
        Some(s3strict::auth::canonical::sha256_hex(b"actual body").as_str())
    );
    let r = s.signed(SignedRequest::new("GET", "/objs/h")).await;
    assert_eq!(r.status, 404, "nothing stored");
    assert!(walk(&s.data_dir().join("blobs")).is_empty());
    let mut req = SignedRequest::new("PUT", "/objs/u").body(b"unsigned body");
    req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
    assert_eq!(s.signed(req).await.status, 200);
}

#[tokio::test]
async fn response_overrides() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    c.put_object().bucket("objs").key("o").content_type("text/plain").body(b"x".to_vec().into()).send().await.unwrap();
    let got = c
        .get_object()
        .bucket("objs")
        .key("o")
        .response_content_type("application/json")
        .response_content_disposition("inline")
        .response_cache_control("no-cache")
        .response_content_language("fr")
        .response_content_encoding("gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(got.content_disposition(), Some("inline"));
    assert_eq!(got.cache_control(), Some("no-cache"));
    assert_eq!(got.content_language(), Some("fr"));
    assert_eq!(got.content_encoding(), Some("gzip"));
}

#[tokio::test]
async fn streaming_upload_from_file_with_sdk_defaults() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    let path = s.scratch_dir().join("upload.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let put = c
        .put_object()
        .bucket("objs")
        .key("big.bin")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&data)).as_str()));
    let got = c.get_object().bucket("objs").key("big.bin").send().await.unwrap();
    assert_eq!(got.content_encoding(), None, "aws-chunked is not stored");
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert!(bytes.as_ref() == data.as_slice(), "body differs");
}

#[tokio::test]
async fn copy_object() {
    let s = TestServer::start().await;
    s.create_bucket("src").await;
    s.create_bucket("dst").await;
    let c = s.client();
    c.put_object()
        .bucket("src")
        .key("a b+c")
        .content_type("text/x-src")
        .metadata("m", "1")
        .body(b"copy me".to_vec().into())
        .send()
        .await
        .unwrap();
    let out = c.copy_object().bucket("dst").key("copied").copy_source("src/a%20b%2Bc").send().await.unwrap();
    let etag = format!("\"{}\"", md5_hex(b"copy me"));
    assert_eq!(out.copy_object_result().and_then(|r| r.e_tag()), Some(etag.as_str()));
    let got = c.get_object().bucket("dst").key("copied").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/x-src"));
    assert_eq!(got.metadata().and_then(|m| m.get("m")).map(String::as_str), Some("1"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"copy me");
    // REPLACE takes the request's headers and metadata.
    c.copy_object()
        .bucket("dst")
        .key("copied")
        .copy_source("dst/copied")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("text/x-new")
        .metadata("n", "2")
        .send()
        .await
        .unwrap();
    let got = c.head_object().bucket("dst").key("copied").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/x-new"));
    assert_eq!(got.metadata().map(|m| m.len()), Some(1));
    // Copying onto itself without REPLACE is refused.
    let r = s.signed(SignedRequest::new("PUT", "/dst/copied").header("x-amz-copy-source", "/dst/copied")).await;
    r.assert_error(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
    let r = s.signed(SignedRequest::new("PUT", "/dst/x").header("x-amz-copy-source", "/src/missing")).await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/dst/x")
                .header("x-amz-copy-source", "/src/a%20b%2Bc")
                .header("x-amz-metadata-directive", "MERGE"),
        )
        .await;
    let doc = r.assert_error(400, "InvalidArgument", "Unknown metadata directive.");
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-metadata-directive"));
    let r = s.signed(SignedRequest::new("PUT", "/dst/x").header("x-amz-copy-source", "nokey")).await;
    r.assert_error(
        400,
        "InvalidArgument",
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
    );
    // Copy-source conditionals.
    let r = s
        .signed(
            SignedRequest::new("PUT", "/dst/x")
                .header("x-amz-copy-source", "/src/a%20b%2Bc")
                .header("x-amz-copy-source-if-match", "\"nope\""),
        )
        .await;
    r.assert_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/dst/x")
                .header("x-amz-copy-source", "/src/a%20b%2Bc")
                .header("x-amz-copy-source-if-none-match", etag.clone()),
        )
        .await;
    assert_eq!(r.status, 412);
    let r = s
        .signed(
            SignedRequest::new("PUT", "/dst/x")
                .header("x-amz-copy-source", "/src/a%20b%2Bc")
                .header("x-amz-copy-source-if-match", etag.clone()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s
        .signed(
            SignedRequest::new("PUT", "/dst/x")
                .header("x-amz-copy-source", "/src/a%20b%2Bc")
                .header("x-amz-copy-source-if-unmodified-since", "Mon, 01 Jan 2001 00:00:00 GMT"),
        )
        .await;
    assert_eq!(r.status, 412);
}

#[tokio::test]
async fn delete_objects() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let c = s.client();
    for k in ["a", "b", "c"] {
        c.put_object().bucket("objs").key(k).body(b"x".to_vec().into()).send().await.unwrap();
    }
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let ids =
        |keys: &[&str]| keys.iter().map(|k| ObjectIdentifier::builder().key(*k).build().unwrap()).collect::<Vec<_>>();
    let out = c
        .delete_objects()
        .bucket("objs")
        .delete(Delete::builder().set_objects(Some(ids(&["a", "missing"]))).build().unwrap())
        .send()
        .await
        .unwrap();
    let deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["a", "missing"]);
    let out = c
        .delete_objects()
        .bucket("objs")
        .delete(Delete::builder().set_objects(Some(ids(&["b"]))).quiet(true).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(out.deleted().is_empty());
    let left = c.list_objects_v2().bucket("objs").send().await.unwrap();
    assert_eq!(left.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["c"]);
    let mut doc = String::from("<Delete>");
    for i in 0..1001 {
        doc.push_str(&format!("<Object><Key>k{i}</Key></Object>"));
    }
    doc.push_str("</Delete>");
    let md5_of = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(md5_bytes(b));
    let r = s
        .signed(
            SignedRequest::new("POST", "/objs")
                .query("delete")
                .header("content-md5", md5_of(doc.as_bytes()))
                .body(doc.as_bytes()),
        )
        .await;
    r.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    let bad = b"<Delete><Object>";
    let r = s
        .signed(SignedRequest::new("POST", "/objs").query("delete").header("content-md5", md5_of(bad)).body(bad))
        .await;
    assert_eq!(r.error().code, "MalformedXML");
    // The body's integrity must be announced (Content-MD5 or a checksum), and is checked.
    let doc = b"<Delete><Object><Key>c</Key></Object></Delete>";
    let r = s.signed(SignedRequest::new("POST", "/objs").query("delete").body(doc)).await;
    r.assert_error(400, "InvalidRequest", "Missing required header for this request: Content-MD5");
    let crc = |b: &[u8]| {
        let mut h = s3strict::checksum::Hasher::new(s3strict::checksum::Algorithm::Crc32);
        h.update(b);
        base64::engine::general_purpose::STANDARD.encode(h.finish(s3strict::checksum::Algorithm::Crc32))
    };
    let r = s
        .signed(SignedRequest::new("POST", "/objs").query("delete").header("x-amz-checksum-crc32", crc(b"x")).body(doc))
        .await;
    r.assert_error(400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.");
    let r = s
        .signed(SignedRequest::new("POST", "/objs").query("delete").header("x-amz-checksum-crc32", crc(doc)).body(doc))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn put_requires_content_length() {
    let s = TestServer::start().await;
    s.create_bucket("objs").await;
    let mut req = SignedRequest::new("PUT", "/objs/chunked");
    req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
    let (target, mut headers) = req.sign(s.addr);
    headers.push(("transfer-encoding".into(), "chunked".into()));
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("PUT", &target, &h, b"5\r\nhello\r\n0\r\n\r\n").await;
    r.assert_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
}

/// Readers racing writers on one key see the old object or the new one, whole, never a mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overwrites_are_atomic() {
    let s = TestServer::start().await;
    s.create_bucket("race").await;
    let c = s.client();
    let body = |b: u8, n: usize| vec![b; n];
    c.put_object().bucket("race").key("k").body(body(b'a', 300_000).into()).send().await.unwrap();
    let writer = {
        let c = c.clone();
        tokio::spawn(async move {
            for i in 0..40usize {
                let (b, n) = if i % 2 == 0 { (b'b', 500_000) } else { (b'a', 300_000) };
                c.put_object().bucket("race").key("k").body(body(b, n).into()).send().await.unwrap();
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..3 {
        let c = c.clone();
        readers.push(tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            for _ in 0..40 {
                let got = c.get_object().bucket("race").key("k").send().await.unwrap();
                let etag = got.e_tag().unwrap().to_string();
                let bytes = got.body.collect().await.unwrap().into_bytes();
                let first = bytes[0];
                assert!(bytes.iter().all(|b| *b == first), "a mixed body");
                let expected_len = if first == b'a' { 300_000 } else { 500_000 };
                assert_eq!(bytes.len(), expected_len);
                assert_eq!(etag, format!("\"{}\"", md5_hex(&bytes)), "ETag and body of one version");
                seen.insert(first);
            }
            seen
        }));
    }
    writer.await.unwrap();
    for r in readers {
        r.await.unwrap();
    }
    // Every replaced body was removed; only the last one remains.
    assert_eq!(body_files(&s), 1);
}

/// Files under `blobs/` (bodies larger than 64 KiB; smaller ones live in their rows).
fn body_files(s: &TestServer) -> usize {
    std::fs::read_dir(s.data_dir().join("blobs"))
        .unwrap()
        .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
        .sum()
}

/// Writes that arrive together commit together (the writer's group commit), yet each is judged
/// alone and in order: of 24 racing `If-None-Match: *` PUTs of one key exactly one wins, the
/// losers leave nothing behind (their bodies' files included), and the plain PUTs racing beside
/// them all land.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writes_are_judged_one_by_one() {
    let s = TestServer::start().await;
    s.create_bucket("race").await;
    let c = s.client();
    let mut tasks = Vec::new();
    for i in 0..24u8 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let once = c.put_object().bucket("race").key("once").if_none_match("*").body(vec![i; 100_000].into());
            let plain = c.put_object().bucket("race").key(format!("plain-{i:02}")).body(vec![i; 10].into());
            let (once, plain) = tokio::join!(once.send(), plain.send());
            plain.unwrap();
            match once {
                Ok(_) => Some(i),
                Err(e) => {
                    let (status, code, message) = sdk_error(e);
                    assert_eq!((status, code.as_str()), (412, "PreconditionFailed"));
                    assert_eq!(message, "At least one of the pre-conditions you specified did not hold");
                    None
                }
            }
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        winners.extend(t.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "one conditional PUT wins");
    let got = c.get_object().bucket("race").key("once").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), vec![winners[0]; 100_000].as_slice());
    for i in 0..24u8 {
        let got = c.get_object().bucket("race").key(format!("plain-{i:02}")).send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), vec![i; 10].as_slice());
    }
    let listed = c.list_objects_v2().bucket("race").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(25));
    assert_eq!(body_files(&s), 1, "only the winner's body has a file");
}

/// Under sustained writes the WAL stays bounded: a thread beside the writer copies it into the
/// database, and the writer restarts it once it passes 64 MiB. 160 MiB of 64 KiB objects later,
/// its file never grew past 64 MiB and some, and every object reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_wal_stays_bounded_under_sustained_writes() {
    let s = TestServer::start().await;
    s.create_bucket("wal").await;
    let wal = s.data_dir().join("s3strict.db-wal");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let largest = {
        let (wal, done) = (wal.clone(), done.clone());
        tokio::spawn(async move {
            let mut largest = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            largest
        })
    };
    let mut writers = Vec::new();
    for w in 0..8u32 {
        let addr = s.addr;
        writers.push(tokio::spawn(async move {
            for i in 0..320u32 {
                let body = vec![(w * 320 + i) as u8; 64 * 1024];
                let path = format!("/wal/k-{w}-{i}");
                let r = raw_signed(addr, SignedRequest::new("PUT", &path).body(&body)).await;
                assert_eq!(r.status, 200, "{}", r.text());
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let largest = largest.await.unwrap();
    assert!(largest > 16 * 1024 * 1024, "the WAL was written to ({largest} bytes)");
    // 64 MiB, plus what is written while the checkpointer's last figure is stale (tens of ms);
    // without the writer's own checkpoint the WAL grew to 200 MB here.
    assert!(largest <= 96 * 1024 * 1024, "the WAL grew to {largest} bytes");
    let c = s.client();
    for (w, i) in [(0u32, 0u32), (3, 200), (7, 319)] {
        let got = c.get_object().bucket("wal").key(format!("k-{w}-{i}")).send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), vec![(w * 320 + i) as u8; 64 * 1024]);
    }
    assert_eq!(body_files(&s), 0, "64 KiB bodies live in their rows");
}

/// Conditional PUT headers as S3 answers them: `If-None-Match` takes only `*` (an ETag there is
/// 501 `NotImplemented`, observed on S3 in aws/aws-sdk-ruby#3144); `If-Match: *` holds for any
/// existing object, and a missing key fails it with 404 (S3's conditional-writes guide).
#[tokio::test]
async fn conditional_put_variants() {
    let s = TestServer::start().await;
    s.create_bucket("conds").await;
    let put = |key: &'static str, h: &'static str, v: &'static str| {
        let s = &s;
        async move { s.signed(SignedRequest::new("PUT", key).header(h, v).body(b"v")).await }
    };
    let r = put("/conds/a", "if-none-match", "\"0123\"").await;
    let doc =
        r.assert_error(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
    assert_eq!(doc.get("Header"), Some("If-None-Match"));
    assert_eq!(put("/conds/a", "if-none-match", "*").await.status, 200);
    assert_eq!(put("/conds/a", "if-match", "*").await.status, 200);
    let r = put("/conds/missing", "if-match", "*").await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    let r = put("/conds/a", "if-match", "\"0123\"").await;
    let doc =
        r.assert_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    assert_eq!(doc.get("Condition"), Some("If-Match"));
}

/// DeleteObject with `If-Match`: deleted when the ETag matches (or `*`), 412 when it does not,
/// 404 when there is no object; without it a missing key is still 204.
#[tokio::test]
async fn conditional_delete() {
    let s = TestServer::start().await;
    s.create_bucket("cdel").await;
    let c = s.client();
    let put = c.put_object().bucket("cdel").key("k").body(b"v1".to_vec().into()).send().await.unwrap();
    let err = c.delete_object().bucket("cdel").key("k").if_match("\"0000\"").send().await.unwrap_err();
    assert_eq!(
        sdk_error(err),
        (412, "PreconditionFailed".into(), "At least one of the pre-conditions you specified did not hold".into())
    );
    assert!(c.head_object().bucket("cdel").key("k").send().await.is_ok(), "still there");
    c.delete_object().bucket("cdel").key("k").if_match(put.e_tag().unwrap()).send().await.unwrap();
    assert!(c.head_object().bucket("cdel").key("k").send().await.is_err());
    let err = c.delete_object().bucket("cdel").key("k").if_match("*").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "NoSuchKey");
    c.put_object().bucket("cdel").key("k").body(b"v2".to_vec().into()).send().await.unwrap();
    c.delete_object().bucket("cdel").key("k").if_match("*").send().await.unwrap();
    c.delete_object().bucket("cdel").key("k").send().await.unwrap();
}
