//! Multipart uploads with the Rust SDK and presigned part URLs; every S3 error of the API.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::common::*;

const MIB: usize = 1024 * 1024;

fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 13) as u8).collect()
}

fn completed(parts: &[(i32, String)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(parts.iter().map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build()).collect()))
        .build()
}

fn blob_count(s: &TestServer) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| rd.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { walk(&p) } else { 1 }).sum())
            .unwrap_or(0)
    }
    walk(&s.data_dir().join("blobs"))
}

async fn start_upload(s: &TestServer, key: &str) -> String {
    let c = s.client();
    let out = c
        .create_multipart_upload()
        .bucket("mpu")
        .key(key)
        .content_type("application/x-big")
        .metadata("kind", "multipart")
        .send()
        .await
        .unwrap();
    out.upload_id().unwrap().to_string()
}

async fn put_part(s: &TestServer, key: &str, upload_id: &str, n: i32, body: &[u8]) -> String {
    let out = s
        .client()
        .upload_part()
        .bucket("mpu")
        .key(key)
        .upload_id(upload_id)
        .part_number(n)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().to_string()
}

#[tokio::test]
async fn hundred_mib_in_twenty_one_parts() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let c = s.client();
    let upload_id = start_upload(&s, "big.bin").await;
    let mut whole = Vec::new();
    let mut parts = Vec::new();
    let mut md5s = Vec::new();
    for n in 1..=21 {
        let len = if n == 21 { 1234 } else { 5 * MIB };
        let body = data(len, n as u32);
        let etag = put_part(&s, "big.bin", &upload_id, n, &body).await;
        assert_eq!(etag, format!("\"{}\"", md5_hex(&body)));
        md5s.extend_from_slice(&md5_bytes(&body));
        whole.extend_from_slice(&body);
        parts.push((n, etag));
    }
    // In progress: invisible to GET and listings.
    assert_eq!(s.signed(SignedRequest::new("GET", "/mpu/big.bin")).await.status, 404);
    assert!(c.list_objects_v2().bucket("mpu").send().await.unwrap().contents().is_empty());
    let out = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big.bin")
        .upload_id(&upload_id)
        .multipart_upload(completed(&parts))
        .send()
        .await
        .unwrap();
    let expected_etag = format!("\"{}-21\"", md5_hex(&md5s));
    assert_eq!(out.e_tag(), Some(expected_etag.as_str()));
    let got = c.get_object().bucket("mpu").key("big.bin").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(expected_etag.as_str()));
    assert_eq!(got.content_type(), Some("application/x-big"));
    assert_eq!(got.metadata().and_then(|m| m.get("kind")).map(String::as_str), Some("multipart"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), whole.len());
    assert_eq!(md5_hex(&body), md5_hex(&whole));
    assert_eq!(blob_count(&s), 1, "part files are gone after Complete");
    // A part of the object, by number.
    let p3 = c.get_object().bucket("mpu").key("big.bin").part_number(3).send().await.unwrap();
    assert_eq!(p3.parts_count(), Some(21));
    assert_eq!(p3.content_length(), Some(5 * MIB as i64));
    let expected_range = format!("bytes {}-{}/{}", 10 * MIB, 15 * MIB - 1, whole.len());
    assert_eq!(p3.content_range(), Some(expected_range.as_str()));
    assert!(p3.body.collect().await.unwrap().into_bytes().as_ref() == &whole[10 * MIB..15 * MIB]);
    let head = c.head_object().bucket("mpu").key("big.bin").part_number(21).send().await.unwrap();
    assert_eq!((head.content_length(), head.parts_count()), (Some(1234), Some(21)));
    let r = s.signed(SignedRequest::new("GET", "/mpu/big.bin").query("partNumber=22")).await;
    let doc = r.assert_error(416, "InvalidPartNumber", "The requested partnumber is not satisfiable");
    assert_eq!((doc.get("PartNumberRequested"), doc.get("ActualPartCount")), (Some("22"), Some("21")));
}

#[tokio::test]
async fn replace_parts_complete_a_subset() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let c = s.client();
    let upload_id = start_upload(&s, "subset").await;
    let p1 = data(5 * MIB, 1);
    put_part(&s, "subset", &upload_id, 1, &data(5 * MIB, 99)).await;
    let e1 = put_part(&s, "subset", &upload_id, 1, &p1).await; // replaces
    put_part(&s, "subset", &upload_id, 2, b"discarded").await;
    let e3 = put_part(&s, "subset", &upload_id, 3, b"tail").await;
    assert_eq!(blob_count(&s), 3, "the replaced part's file is gone");
    c.complete_multipart_upload()
        .bucket("mpu")
        .key("subset")
        .upload_id(&upload_id)
        .multipart_upload(completed(&[(1, e1), (3, e3)]))
        .send()
        .await
        .unwrap();
    let body =
        c.get_object().bucket("mpu").key("subset").send().await.unwrap().body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), 5 * MIB + 4);
    assert!(body[..5 * MIB] == p1[..] && &body[5 * MIB..] == b"tail");
    assert_eq!(blob_count(&s), 1, "unnamed parts are discarded");
    // The upload is gone.
    let r = s.signed(SignedRequest::new("GET", "/mpu/subset").query(&format!("uploadId={upload_id}"))).await;
    let doc = r.assert_error(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");
    assert_eq!(doc.get("UploadId"), Some(upload_id.as_str()));
}

#[tokio::test]
async fn complete_errors() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let upload_id = start_upload(&s, "errs").await;
    let e1 = put_part(&s, "errs", &upload_id, 1, b"small part one").await;
    let e2 = put_part(&s, "errs", &upload_id, 2, b"small part two").await;
    let path = "/mpu/errs";
    let query = format!("uploadId={upload_id}");
    let doc_of = |parts: &[(&str, &str)]| {
        let mut d = String::from("<CompleteMultipartUpload>");
        for (n, e) in parts {
            d.push_str(&format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"));
        }
        d.push_str("</CompleteMultipartUpload>");
        d
    };
    let complete = |doc: String| {
        let s = &s;
        let query = query.clone();
        async move { s.signed(SignedRequest::new("POST", path).query(&query).body(doc.as_bytes())).await }
    };
    let r = complete(doc_of(&[("2", &e2), ("1", &e1)])).await;
    r.assert_error(
        400,
        "InvalidPartOrder",
        "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
    );
    let r = complete(doc_of(&[("1", &e1), ("1", &e1)])).await;
    assert_eq!(r.error().code, "InvalidPartOrder");
    let r = complete(doc_of(&[("1", &e1), ("2", "\"0000\"")])).await;
    let doc = r.assert_error(400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
    assert_eq!((doc.get("PartNumber"), doc.get("ETag")), (Some("2"), Some("\"0000\"")));
    let r = complete(doc_of(&[("1", &e1), ("7", &e2)])).await;
    assert_eq!(r.error().code, "InvalidPart");
    let r = complete(doc_of(&[("1", &e1), ("2", &e2)])).await;
    let doc = r.assert_error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size");
    assert_eq!(doc.get("ProposedSize"), Some("14"));
    assert_eq!(doc.get("MinSizeAllowed"), Some("5242880"));
    assert_eq!(doc.get("PartNumber"), Some("1"));
    let r = complete("<CompleteMultipartUpload></CompleteMultipartUpload>".into()).await;
    r.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    let r = complete(doc_of(&[("0", &e1)])).await;
    r.assert_error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
    // A single small part is a valid upload: only non-last parts have a minimum.
    let r = complete(doc_of(&[("2", &e2)])).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<ETag>"));
}

#[tokio::test]
async fn part_and_upload_errors() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let upload_id = start_upload(&s, "k").await;
    for n in ["0", "10001", "x"] {
        let q = format!("partNumber={n}&uploadId={upload_id}");
        let r = s.signed(SignedRequest::new("PUT", "/mpu/k").query(&q).body(b"x")).await;
        let doc =
            r.assert_error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        assert_eq!((doc.get("ArgumentName"), doc.get("ArgumentValue")), (Some("partNumber"), Some(n)));
    }
    let q = format!("partNumber=10000&uploadId={upload_id}");
    assert_eq!(s.signed(SignedRequest::new("PUT", "/mpu/k").query(&q).body(b"x")).await.status, 200);
    let no_such = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    for (method, query) in [
        ("PUT", "partNumber=1&uploadId=bogus"),
        ("POST", "uploadId=bogus"),
        ("DELETE", "uploadId=bogus"),
        ("GET", "uploadId=bogus"),
    ] {
        let body: &[u8] = if method == "POST" {
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"
        } else {
            b""
        };
        let r = s.signed(SignedRequest::new(method, "/mpu/k").query(query).body(body)).await;
        r.assert_error(404, "NoSuchUpload", no_such);
    }
    // The upload id belongs to its key.
    let q = format!("partNumber=1&uploadId={upload_id}");
    s.signed(SignedRequest::new("PUT", "/mpu/other").query(&q).body(b"x")).await.assert_error(
        404,
        "NoSuchUpload",
        no_such,
    );
    // Abort removes the upload and its parts.
    s.client().abort_multipart_upload().bucket("mpu").key("k").upload_id(&upload_id).send().await.unwrap();
    assert_eq!(blob_count(&s), 0);
    s.signed(SignedRequest::new("PUT", "/mpu/k").query(&q).body(b"x")).await.assert_error(404, "NoSuchUpload", no_such);
    s.signed(SignedRequest::new("POST", "/nobucket/k").query("uploads")).await.assert_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
}

#[tokio::test]
async fn upload_part_copy_ranges() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let c = s.client();
    let src = data(6 * MIB, 7);
    c.put_object().bucket("mpu").key("source").body(src.clone().into()).send().await.unwrap();
    let upload_id = start_upload(&s, "copied").await;
    let p1 = c
        .upload_part_copy()
        .bucket("mpu")
        .key("copied")
        .upload_id(&upload_id)
        .part_number(1)
        .copy_source("mpu/source")
        .copy_source_range(format!("bytes=0-{}", 5 * MIB - 1))
        .send()
        .await
        .unwrap();
    let e1 = p1.copy_part_result().and_then(|r| r.e_tag()).unwrap().to_string();
    assert_eq!(e1, format!("\"{}\"", md5_hex(&src[..5 * MIB])));
    let p2 = c
        .upload_part_copy()
        .bucket("mpu")
        .key("copied")
        .upload_id(&upload_id)
        .part_number(2)
        .copy_source("mpu/source")
        .copy_source_range("bytes=100-199")
        .send()
        .await
        .unwrap();
    let e2 = p2.copy_part_result().and_then(|r| r.e_tag()).unwrap().to_string();
    c.complete_multipart_upload()
        .bucket("mpu")
        .key("copied")
        .upload_id(&upload_id)
        .multipart_upload(completed(&[(1, e1), (2, e2)]))
        .send()
        .await
        .unwrap();
    let body =
        c.get_object().bucket("mpu").key("copied").send().await.unwrap().body.collect().await.unwrap().into_bytes();
    assert!(body[..5 * MIB] == src[..5 * MIB] && body[5 * MIB..] == src[100..200]);
    let upload_id = start_upload(&s, "copied2").await;
    let q = format!("partNumber=1&uploadId={upload_id}");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/mpu/copied2")
                .query(&q)
                .header("x-amz-copy-source", "/mpu/source")
                .header("x-amz-copy-source-range", format!("bytes=0-{}", 6 * MIB)),
        )
        .await;
    let doc = r.assert_error(
        400,
        "InvalidArgument",
        &format!("Range specified is not valid for source object of size: {}", 6 * MIB),
    );
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-copy-source-range"));
    let r = s
        .signed(
            SignedRequest::new("PUT", "/mpu/copied2")
                .query(&q)
                .header("x-amz-copy-source", "/mpu/source")
                .header("x-amz-copy-source-range", "100-200"),
        )
        .await;
    r.assert_error(400, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/mpu/copied2")
                .query(&q)
                .header("x-amz-copy-source", "/mpu/source")
                .header("x-amz-copy-source-if-match", "\"nope\""),
        )
        .await;
    r.assert_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    let r =
        s.signed(SignedRequest::new("PUT", "/mpu/copied2").query(&q).header("x-amz-copy-source", "/mpu/missing")).await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
}

#[tokio::test]
async fn list_parts_pages() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let c = s.client();
    let upload_id = start_upload(&s, "lp").await;
    for n in [1, 2, 3, 5, 8] {
        put_part(&s, "lp", &upload_id, n, format!("part {n}").as_bytes()).await;
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = c
            .list_parts()
            .bucket("mpu")
            .key("lp")
            .upload_id(&upload_id)
            .max_parts(2)
            .set_part_number_marker(marker.clone())
            .send()
            .await
            .unwrap();
        assert!(out.parts().len() <= 2);
        seen.extend(out.parts().iter().map(|p| p.part_number().unwrap()));
        assert_eq!(out.parts()[0].size(), Some(6));
        if out.is_truncated() != Some(true) {
            break;
        }
        marker = out.next_part_number_marker().map(str::to_string);
    }
    assert_eq!(seen, [1, 2, 3, 5, 8]);
    let r = s.signed(SignedRequest::new("GET", "/mpu/lp").query(&format!("max-parts=abc&uploadId={upload_id}"))).await;
    assert_eq!(r.error().code, "InvalidArgument");
}

#[tokio::test]
async fn list_uploads_pages() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let c = s.client();
    let mut ids = Vec::new();
    for key in ["a/1", "a/2", "b", "b", "c/x/y", "d"] {
        ids.push((key, start_upload(&s, key).await));
    }
    let out = c.list_multipart_uploads().bucket("mpu").send().await.unwrap();
    let keys: Vec<_> = out.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["a/1", "a/2", "b", "b", "c/x/y", "d"]);
    let out = c.list_multipart_uploads().bucket("mpu").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = out.uploads().iter().filter_map(|u| u.key()).collect();
    let prefixes: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!((keys, prefixes), (vec!["b", "b", "d"], vec!["a/", "c/"]));
    let out = c.list_multipart_uploads().bucket("mpu").prefix("a/").send().await.unwrap();
    assert_eq!(out.uploads().len(), 2);
    // Page through one at a time with key and upload-id markers.
    let mut seen = Vec::new();
    let (mut km, mut um): (Option<String>, Option<String>) = (None, None);
    loop {
        let out = c
            .list_multipart_uploads()
            .bucket("mpu")
            .max_uploads(1)
            .set_key_marker(km.clone())
            .set_upload_id_marker(um.clone())
            .send()
            .await
            .unwrap();
        seen.extend(out.uploads().iter().map(|u| (u.key().unwrap().to_string(), u.upload_id().unwrap().to_string())));
        if out.is_truncated() != Some(true) {
            break;
        }
        km = out.next_key_marker().map(str::to_string);
        um = out.next_upload_id_marker().map(str::to_string);
    }
    assert_eq!(seen.len(), 6);
    let mut expected: Vec<(String, String)> = ids.iter().map(|(k, id)| (k.to_string(), id.clone())).collect();
    expected.sort();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn uploads_survive_a_restart() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let upload_id = start_upload(&s, "durable").await;
    let e1 = put_part(&s, "durable", &upload_id, 1, &data(5 * MIB, 3)).await;
    let s = s.restart().await;
    let e2 = put_part(&s, "durable", &upload_id, 2, b"end").await;
    let parts = s.client().list_parts().bucket("mpu").key("durable").upload_id(&upload_id).send().await.unwrap();
    assert_eq!(parts.parts().len(), 2);
    s.client()
        .complete_multipart_upload()
        .bucket("mpu")
        .key("durable")
        .upload_id(&upload_id)
        .multipart_upload(completed(&[(1, e1), (2, e2)]))
        .send()
        .await
        .unwrap();
    let head = s.client().head_object().bucket("mpu").key("durable").send().await.unwrap();
    assert_eq!(head.content_length(), Some(5 * MIB as i64 + 3));
}

/// The browser pattern: every step through a presigned URL, parts sent by a plain HTTP client.
#[tokio::test]
async fn presigned_multipart() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let url = presign(s.addr, "POST", "/mpu/browser.bin", &[("uploads", "")], &[], 300);
    let r = s.raw("POST", &url, &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let upload_id = text.split("<UploadId>").nth(1).unwrap().split("</UploadId>").next().unwrap().to_string();
    let mut urls = Vec::new();
    for n in 1..=3 {
        let req = s
            .client()
            .upload_part()
            .bucket("mpu")
            .key("browser.bin")
            .upload_id(&upload_id)
            .part_number(n)
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap(),
            )
            .await
            .unwrap();
        urls.push(req);
    }
    let bodies = [data(5 * MIB, 1), data(5 * MIB, 2), b"last".to_vec()];
    let mut parts = Vec::new();
    for (i, req) in urls.iter().enumerate().take(2) {
        let r = send_presigned(&s, req, &[], &bodies[i]).await;
        assert_eq!(r.status, 200, "{}", r.text());
        parts.push((i as i32 + 1, r.header("etag").unwrap().to_string()));
    }
    // The third URL has expired by the time it starts: only that step fails.
    s.set_clock(r#"{"offset_seconds": 120}"#).await;
    let r = send_presigned(&s, &urls[2], &[], &bodies[2]).await;
    r.assert_error(403, "AccessDenied", "Request has expired");
    s.set_clock(r#"{"real": true}"#).await;
    let again = s
        .client()
        .upload_part()
        .bucket("mpu")
        .key("browser.bin")
        .upload_id(&upload_id)
        .part_number(3)
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let r = send_presigned(&s, &again, &[], &bodies[2]).await;
    parts.push((3, r.header("etag").unwrap().to_string()));
    let mut doc = String::from("<CompleteMultipartUpload>");
    for (n, e) in &parts {
        doc.push_str(&format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"));
    }
    doc.push_str("</CompleteMultipartUpload>");
    let url = presign(s.addr, "POST", "/mpu/browser.bin", &[("uploadId", &upload_id)], &[], 300);
    let r = s.raw("POST", &url, &[], doc.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = s.client().get_object().bucket("mpu").key("browser.bin").send().await.unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), 10 * MIB + 4);
    assert_eq!(md5_hex(&body), md5_hex(&bodies.concat()));
}

/// Parts, like single PUTs, are at most 5 GiB: refused from the announced length, before any byte.
#[tokio::test]
async fn too_large_is_refused_up_front() {
    let s = TestServer::start().await;
    s.create_bucket("mpu").await;
    let upload_id = start_upload(&s, "huge").await;
    let too_big = (5u64 * 1024 * 1024 * 1024 + 1).to_string();
    let part_query = format!("partNumber=1&uploadId={upload_id}");
    for (path, query) in [("/mpu/huge", part_query.as_str()), ("/mpu/single", "")] {
        let mut req = SignedRequest::new("PUT", path).query(query);
        req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
        let (target, mut headers) = req.sign(s.addr);
        headers.push(("content-length".into(), too_big.clone()));
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let r = s.raw("PUT", &target, &h, b"").await;
        let doc = r.assert_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
        assert_eq!(doc.get("ProposedSize"), Some(too_big.as_str()));
        assert_eq!(doc.get("MaxSizeAllowed"), Some("5368709120"));
    }
    assert_eq!(blob_count(&s), 0);
}
