//! Hostile input: each defect found by trying s3strict as an attacker would, with the request
//! that broke it, answered now as S3 answers it.

use crate::common::*;

/// A signed PUT as bytes on the wire, with `from` in the signed request replaced by `to`.
fn tampered_bytes(s: &TestServer, req: SignedRequest<'_>, from: &[u8], to: &[u8]) -> Vec<u8> {
    let (target, headers) = req.sign(s.addr);
    let mut head = format!("{} {target} HTTP/1.1\r\n", req.method).into_bytes();
    for (n, v) in &headers {
        head.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    head.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n\r\n", req.body.len()).as_bytes());
    head.extend_from_slice(req.body);
    let at = head.windows(from.len()).position(|w| w == from).expect("value in the request");
    head.splice(at..at + from.len(), to.iter().copied());
    head
}

#[tokio::test]
async fn header_bytes_are_signed_as_received() {
    let s = TestServer::start().await;
    s.create_bucket("hard").await;
    // A signature over an empty x-amz-meta-x must not validate other bytes there.
    let req = SignedRequest::new("PUT", "/hard/k").header("x-amz-meta-x", "").body(b"data");
    let bytes = tampered_bytes(&s, req, b"x-amz-meta-x: \r\n", b"x-amz-meta-x: \xff\xfe\x80\r\n");
    let r = send_bytes(s.addr, &bytes, false).await;
    let doc = r.assert_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
    // The canonical request shows the bytes as S3 reads them, one character per byte.
    assert!(doc.get("CanonicalRequest").unwrap().contains("x-amz-meta-x:\u{ff}\u{fe}\u{80}\n"), "{doc:?}");
    let r = s.signed(SignedRequest::new("HEAD", "/hard/k")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn trailers_are_bounded() {
    let s = TestServer::start().await;
    s.create_bucket("hard").await;
    let mut framed = String::from("4\r\ndata\r\n0\r\n");
    for i in 0..100 {
        framed.push_str(&format!("x-amz-meta-t{i}:v\r\n"));
    }
    framed.push_str("\r\n");
    let mut req = SignedRequest::new("PUT", "/hard/trailers")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "4")
        .body(framed.as_bytes());
    req.content_sha256 = Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into());
    s.signed(req).await.assert_error(
        400,
        "MalformedTrailerError",
        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
    );
    assert_eq!(s.signed(SignedRequest::new("HEAD", "/hard/trailers")).await.status, 404);
}

#[tokio::test]
async fn nested_xml_is_refused_early() {
    let s = TestServer::start().await;
    s.create_bucket("hard").await;
    let depth = 100_000;
    let doc = format!("<Delete>{}{}</Delete>", "<Object>".repeat(depth), "</Object>".repeat(depth));
    let md5 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(md5_bytes(doc.as_bytes()))
    };
    let req = SignedRequest::new("POST", "/hard").query("delete").header("content-md5", md5).body(doc.as_bytes());
    s.signed(req).await.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
}

#[tokio::test]
async fn version_ids_are_checked() {
    let s = TestServer::start().await;
    s.create_bucket("hard").await;
    let c = s.client();
    c.put_object().bucket("hard").key("k").body(b"keep".to_vec().into()).send().await.unwrap();
    let invalid = |r: RawResponse| {
        let doc = r.assert_error(400, "InvalidArgument", "Invalid version id specified");
        assert_eq!(doc.get("ArgumentName"), Some("versionId"));
    };
    invalid(s.signed(SignedRequest::new("DELETE", "/hard/k").query("versionId=garbage")).await);
    invalid(s.signed(SignedRequest::new("GET", "/hard/k").query("versionId=garbage")).await);
    let r = s
        .signed(SignedRequest::new("PUT", "/hard/copy").header("x-amz-copy-source", "/hard/k?versionId=garbage"))
        .await;
    r.assert_error(400, "InvalidArgument", "Invalid version id specified");
    // A well-formed id that no version has; `null` is the one version of every object here.
    let other = "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH";
    let r = s.signed(SignedRequest::new("DELETE", "/hard/k").query(&format!("versionId={other}"))).await;
    let doc = r.assert_error(404, "NoSuchVersion", "The specified version does not exist.");
    assert_eq!((doc.get("Key"), doc.get("VersionId")), (Some("k"), Some(other)));
    let got = c.get_object().bucket("hard").key("k").version_id("null").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"keep");
    c.delete_object().bucket("hard").key("k").version_id("null").send().await.unwrap();
    assert_eq!(s.signed(SignedRequest::new("HEAD", "/hard/k")).await.status, 404);
}

#[tokio::test]
async fn admin_endpoints_refuse_what_a_web_page_can_send() {
    let s = TestServer::start().await;
    s.create_bucket("keep").await;
    // A form-like POST (no preflight needed) wipes nothing.
    let r = s.raw("POST", "/_s3strict/reset", &[("content-type", "text/plain")], b"{}").await;
    assert_eq!(r.status, 415, "{}", r.text());
    let r = s.raw("POST", "/_s3strict/sessions", &[], b"").await;
    assert_eq!(r.status, 415, "{}", r.text());
    // DNS rebinding: the page's own name in Host, even with JSON.
    let rebound = [("host", "attacker.example:80"), ("content-type", "application/json")];
    assert_eq!(s.raw("POST", "/_s3strict/reset", &rebound, b"").await.status, 403);
    assert_eq!(s.raw("GET", "/_s3strict/clock", &[("host", "attacker.example")], b"").await.status, 403);
    let port = s.addr.port().to_string();
    let wrong_port = format!("localhost:{}", s.addr.port() + 1);
    assert_eq!(s.raw("GET", "/_s3strict/clock", &[("host", &wrong_port)], b"").await.status, 403);
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), "localhost".to_string()] {
        assert_eq!(s.raw("GET", "/_s3strict/clock", &[("host", &host)], b"").await.status, 200, "{host}");
    }
    // Health and readiness probes tell nothing and are open to any Host (container probes).
    assert_eq!(s.raw("GET", "/_s3strict/health", &[("host", &wrong_port)], b"").await.status, 200);
    let foreign = [("origin", "http://attacker.example"), ("content-type", "application/json")];
    assert_eq!(s.raw("POST", "/_s3strict/reset", &foreign, b"").await.status, 403);
    s.client().head_bucket().bucket("keep").send().await.unwrap();
    assert_eq!(s.raw("POST", "/_s3strict/reset", JSON, b"").await.status, 200);
}

/// On the S3 port a page served from a bucket is same-origin with `/_s3strict/`: every endpoint
/// but the probes refuses what a browser marks as sent by a page, whatever the mark's value,
/// and says where to go instead. Clients that are not browsers (this raw client, curl, SDKs,
/// Node's fetch) send no mark and are served.
#[tokio::test]
async fn the_s3_port_refuses_every_request_a_page_could_make() {
    let s = TestServer::start().await;
    s.create_bucket("keep").await;
    let user = r#"{"name":"mallory","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}]}"#;
    let (status, _) = admin(&s, "POST", "/users", r#"{"name":"alice"}"#).await;
    assert_eq!(status, 201);
    let own = format!("http://{}", s.addr);
    let console = format!("http://{}/_s3strict/console/", s.console());
    let marks = [
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-site", "cross-site"),
        ("origin", own.as_str()),
        ("origin", "null"),
    ];
    let calls = [
        ("POST", "/users", user),
        ("GET", "/users", ""),
        ("GET", "/users/alice", ""),
        ("PATCH", "/users/alice", r#"{"status":"Inactive"}"#),
        ("DELETE", "/users/alice", ""),
        ("PUT", "/clock", r#"{"offset_seconds":86400}"#),
        ("GET", "/clock", ""),
        ("POST", "/reset", "{}"),
        ("POST", "/sessions", "{}"),
        ("GET", "/auth-log", ""),
        ("DELETE", "/auth-log", ""),
    ];
    let before = s.lib().auth_log().len();
    assert!(before > 0);
    for (name, value) in marks {
        for (method, path, body) in calls {
            let headers = [("content-type", "application/json"), (name, value)];
            let r = s.raw(method, &format!("/_s3strict{path}"), &headers, body.as_bytes()).await;
            let expected = serde_json::json!({
                "error": format!(
                    "refused: a web page sent this request ({}: {value}), and any object served on this port could be \
                     that page, so /_s3strict/ here answers only clients that are not browsers (curl, SDKs, test code): \
                     use the console's origin, {console}, or such a client",
                    if name == "origin" { "Origin" } else { "Sec-Fetch-Site" }
                ),
                "console": console,
            });
            let got: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!((r.status, got), (403, expected), "{method} {path} with {name}: {value}");
        }
        // Even with the admin token: a page never has it, and the mark alone decides.
        let headers = [("authorization", "Bearer x"), (name, value)];
        assert_eq!(s.raw("GET", "/_s3strict/clock", &headers, b"").await.status, 403);
        // The probes tell nothing and stay open to all.
        for probe in ["/_s3strict/health", "/_s3strict/ready"] {
            assert_eq!(s.raw("GET", probe, &[(name, value)], b"").await.status, 200, "{probe}");
        }
    }
    // Nothing changed: the clock, the users, the bucket, the log.
    assert!((s.lib().clock().now() - chrono::Utc::now()).num_seconds().abs() < 60);
    let (status, users) = admin(&s, "GET", "/users", "").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = users["users"].as_array().unwrap().iter().filter_map(|u| u["name"].as_str()).collect();
    assert_eq!(names, ["alice"]);
    assert_eq!(users["users"][0]["status"], "Active");
    s.client().head_bucket().bucket("keep").send().await.unwrap();
    assert!(s.lib().auth_log().len() >= before, "not cleared");
    // A navigation the user typed (`Sec-Fetch-Site: none`, no Origin) is no page's doing.
    let r = s.raw("GET", "/_s3strict/clock", &[("sec-fetch-site", "none")], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // With the console off, the refusal says how to start it.
    let off = TestServer::start_with(|c| c.console_addr = s3strict::config::ConsoleAddr::Off).await;
    let r = off
        .raw(
            "POST",
            "/_s3strict/reset",
            &[("content-type", "application/json"), ("sec-fetch-site", "same-origin")],
            b"{}",
        )
        .await;
    let got: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (r.status, got),
        (
            403,
            serde_json::json!({ "error": "refused: a web page sent this request (Sec-Fetch-Site: same-origin), and any object served on this port could be that page, so /_s3strict/ here answers only clients that are not browsers (curl, SDKs, test code): start the console (--console-addr; it is off) or use such a client" })
        )
    );
}

#[tokio::test]
async fn s3_size_limits() {
    let s = TestServer::start().await;
    s.create_bucket("hard").await;
    let c = s.client();
    // 2 KB of user metadata (names without the prefix, and values) is the most S3 stores.
    c.put_object().bucket("hard").key("fits").metadata("k", "v".repeat(2047)).send().await.unwrap();
    let r = s.signed(SignedRequest::new("PUT", "/hard/big").header("x-amz-meta-k", "v".repeat(2048)).body(b"x")).await;
    let doc = r.assert_error(400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size");
    assert_eq!((doc.get("Size"), doc.get("MaxSizeAllowed")), (Some("2049"), Some("2048")));
    let r = s
        .signed(SignedRequest::new("POST", "/hard/mpu").query("uploads").header("x-amz-meta-k", "v".repeat(3000)))
        .await;
    r.assert_error(400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size");
    // A header section over 8 KiB gets S3's error document, not a bare 431.
    let r = s.raw("GET", "/hard/fits", &[("x-filler", &"f".repeat(9000))], b"").await;
    r.assert_error(
        400,
        "RequestHeaderSectionTooLarge",
        "The request header and query parameters used to make the request exceed the maximum allowed size.",
    );
    let long = format!("/hard/fits?{}", "q".repeat(9000));
    s.raw("GET", &long, &[], b"").await.assert_error(
        400,
        "RequestHeaderSectionTooLarge",
        "The request header and query parameters used to make the request exceed the maximum allowed size.",
    );
}

#[tokio::test]
async fn data_is_owner_only_and_one_server_has_it() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start().await;
    s.create_bucket("hard").await;
    // Larger than what lives in the row, so that it has a file.
    let body = vec![b's'; 100 * 1024];
    s.client().put_object().bucket("hard").key("k").body(body.into()).send().await.unwrap();
    let data = s.data_dir();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("s3strict.db")), 0o600);
    for dir in ["blobs", "tmp"] {
        assert_eq!(mode(&data.join(dir)), 0o700, "{dir}");
    }
    let shard = std::fs::read_dir(data.join("blobs")).unwrap().next().unwrap().unwrap().path();
    assert_eq!(mode(&shard), 0o700);
    let blob = std::fs::read_dir(&shard).unwrap().next().unwrap().unwrap().path();
    assert_eq!(mode(&blob), 0o600);
    // A second server on the same directory stops, naming the directory and the holder (one of
    // this very process after waiting two seconds for the holder to close, as a restarted one
    // would; another process's at once).
    let config =
        s3strict::config::Config { addr: "127.0.0.1:0".parse().unwrap(), data: data.clone(), ..Default::default() };
    let err = s3strict::server::Server::bind(config).await.err().expect("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot use the data directory {} (--data / S3STRICT_DATA): it is in use by another s3strict (process {})",
            data.display(),
            std::process::id()
        )
    );
    // The first is untouched.
    assert_eq!(s.signed(SignedRequest::new("HEAD", "/hard/k")).await.status, 200);
}

/// A server whose timers fire within a test: one second to send a request head, one second of
/// silence in a body or a response.
async fn impatient_server() -> TestServer {
    TestServer::start_with(|c| {
        c.idle_timeout = std::time::Duration::from_secs(1);
        c.stall_timeout = std::time::Duration::from_secs(1);
    })
    .await
}

/// Reads until the server closes the connection (or `limit` passes); the bytes and when it closed.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> (Vec<u8>, Option<std::time::Duration>) {
    use tokio::io::AsyncReadExt;
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while start.elapsed() < limit {
        match tokio::time::timeout(limit - start.elapsed(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (got, Some(start.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    (got, None)
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    let s = impatient_server().await;
    // A head sent one byte at a time is cut off by the header timer, with no answer.
    let mut slow = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(format!("GET /_s3strict/health HTTP/1.1\r\nhost: {}\r\nx-slow: ", s.addr).as_bytes()).await.unwrap();
    let start = std::time::Instant::now();
    let mut closed = None;
    for _ in 0..40 {
        if slow.write_all(b"a").await.is_err() {
            closed = Some(start.elapsed());
            break;
        }
        let (got, at) = read_until_closed(&mut slow, std::time::Duration::from_millis(200)).await;
        assert!(got.is_empty(), "no answer to an incomplete head");
        if at.is_some() {
            closed = Some(start.elapsed());
            break;
        }
    }
    let closed = closed.expect("a slow head is cut off");
    assert!(closed < std::time::Duration::from_secs(4), "{closed:?}");

    // A keep-alive connection left idle after its request is closed.
    let mut idle = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    idle.write_all(format!("GET /_s3strict/health HTTP/1.1\r\nhost: {}\r\n\r\n", s.addr).as_bytes()).await.unwrap();
    let (got, closed) = read_until_closed(&mut idle, std::time::Duration::from_secs(5)).await;
    assert!(got.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&got));
    let closed = closed.expect("an idle connection is closed");
    assert!(closed >= std::time::Duration::from_millis(900), "kept for the idle timeout: {closed:?}");
    // The server serves the next client as usual.
    assert_eq!(s.raw("GET", "/_s3strict/health", &[], b"").await.status, 200);
}

#[tokio::test]
async fn stalled_bodies_get_request_timeout() {
    use tokio::io::AsyncWriteExt;
    let s = impatient_server().await;
    s.create_bucket("hard").await;
    let message = "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.";
    // A signed PUT announcing 100 bytes that sends 10, then nothing.
    let mut req = SignedRequest::new("PUT", "/hard/stalled");
    req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
    let (target, headers) = req.sign(s.addr);
    let mut head = format!("PUT {target} HTTP/1.1\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("content-length: 100\r\n\r\n0123456789");
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let (got, _) = read_until_closed(&mut conn, std::time::Duration::from_secs(5)).await;
    let r = parse_response_bytes(&got);
    r.assert_error(400, "RequestTimeout", message);
    // Nothing was stored.
    assert_eq!(s.signed(SignedRequest::new("HEAD", "/hard/stalled")).await.status, 404);

    // A POST form that stops mid-field, before anything is authenticated.
    let form = "--B\r\ncontent-disposition: form-data; name=\"key\"\r\n\r\nabc";
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /hard HTTP/1.1\r\nhost: {}\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: 1000\r\n\r\n{form}",
        s.addr
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let (got, _) = read_until_closed(&mut conn, std::time::Duration::from_secs(5)).await;
    parse_response_bytes(&got).assert_error(400, "RequestTimeout", message);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    use tokio::io::AsyncWriteExt;
    let s = impatient_server().await;
    s.create_bucket("hard").await;
    let size = 48 * 1024 * 1024;
    s.client().put_object().bucket("hard").key("big").body(vec![7u8; size].into()).send().await.unwrap();
    let (target, headers) = SignedRequest::new("GET", "/hard/big").sign(s.addr);
    let mut head = format!("GET {target} HTTP/1.1\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    // Read nothing for three stall periods; then only what the socket buffers held arrives.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (got, closed) = read_until_closed(&mut conn, std::time::Duration::from_secs(10)).await;
    assert!(closed.is_some(), "the server closed the connection");
    assert!(got.starts_with(b"HTTP/1.1 200"));
    assert!(got.len() < size, "the response was cut off: {} bytes", got.len());
}

/// A POST form whose fields trickle in, a byte at a time but never slower than the stall timer,
/// still gets `RequestTimeout` once the head's deadline has passed for the fields before the
/// file: it cannot hold its connection forever.
#[tokio::test]
async fn a_form_trickling_its_fields_gets_request_timeout() {
    use tokio::io::AsyncWriteExt;
    let s = impatient_server().await;
    s.create_bucket("hard").await;
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /hard HTTP/1.1\r\nhost: {}\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: 1000\r\n\r\n\
         --B\r\ncontent-disposition: form-data; name=\"key\"\r\n\r\n",
        s.addr
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    for _ in 0..20 {
        // 400 ms apart: the stall timer (1 s) never fires.
        if conn.write_all(b"k").await.is_err() {
            break;
        }
        let (bytes, closed) = read_until_closed(&mut conn, std::time::Duration::from_millis(400)).await;
        got.extend_from_slice(&bytes);
        if !got.is_empty() || closed.is_some() {
            break;
        }
    }
    let (rest, _) = read_until_closed(&mut conn, std::time::Duration::from_secs(2)).await;
    got.extend_from_slice(&rest);
    assert!(!got.is_empty(), "answered after {:?}", start.elapsed());
    parse_response_bytes(&got).assert_error(
        400,
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(3), "{:?}", start.elapsed());
}

/// A health check on a new connection kept open afterwards (keep-alive), answered within two
/// seconds or the test fails; the connection and how long the answer took.
async fn health_kept_open(addr: std::net::SocketAddr) -> (tokio::net::TcpStream, std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let start = std::time::Instant::now();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(format!("GET /_s3strict/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(2), conn.read(&mut buf))
        .await
        .expect("left waiting at the cap")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    (conn, start.elapsed())
}

/// At the connection cap a new client is served at once: the connection idle the longest (a
/// socket that never sent a byte, a keep-alive one after its request) makes room. A connection
/// in the middle of a request is never cut.
#[tokio::test]
async fn at_the_connection_cap_idle_connections_make_room() {
    use tokio::io::AsyncWriteExt;
    let s = TestServer::start_with(|c| c.max_connections = Some(3)).await;
    s.create_bucket("hard").await;
    // One busy: a PUT that has sent half its body.
    let mut req = SignedRequest::new("PUT", "/hard/busy");
    req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
    let (target, headers) = req.sign(s.addr);
    let mut head = format!("PUT {target} HTTP/1.1\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("content-length: 10\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n");
    let mut busy = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    busy.write_all(head.as_bytes()).await.unwrap();
    // `100 Continue` comes once the handler reads the body: the request is being served.
    let mut buf = [0u8; 64];
    let n = tokio::io::AsyncReadExt::read(&mut busy, &mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 100 Continue"), "{}", String::from_utf8_lossy(&buf[..n]));
    busy.write_all(b"01234").await.unwrap();
    // One silent, then one kept alive after its request: the cap is reached.
    let mut silent = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (mut kept, _) = health_kept_open(s.addr).await;
    // A new client is served at once, in the silent one's place (idle the longest).
    let (mut first, took) = health_kept_open(s.addr).await;
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    // Waited for up to 5 s (it returns as soon as the connection closes): under load the closing
    // task may run late.
    let (_, closed) = read_until_closed(&mut silent, std::time::Duration::from_secs(5)).await;
    assert!(closed.is_some(), "the silent connection was closed");
    // The next, in the place of the keep-alive one idle longer than the first new one.
    let (_second, took) = health_kept_open(s.addr).await;
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    let (_, closed) = read_until_closed(&mut kept, std::time::Duration::from_secs(5)).await;
    assert!(closed.is_some(), "the older idle keep-alive connection was closed");
    let (_, closed) = read_until_closed(&mut first, std::time::Duration::from_millis(200)).await;
    assert!(closed.is_none(), "the younger one stays");
    // The busy one finishes its request.
    busy.write_all(b"56789").await.unwrap();
    let (got, _) = read_until_closed(&mut busy, std::time::Duration::from_secs(5)).await;
    assert!(got.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&got));
    drop(first);
    assert_eq!(s.signed(SignedRequest::new("HEAD", "/hard/busy")).await.status, 200);
}

/// Sends `head` on a new connection to `addr`, then one byte of `fill` every 400 ms (never slow
/// enough for a one-second stall timer) until the server answers or closes, at most 20 times;
/// the answer and when it came.
async fn trickle(addr: std::net::SocketAddr, head: &str, fill: u8) -> (Vec<u8>, std::time::Duration) {
    use tokio::io::AsyncWriteExt;
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    for _ in 0..20 {
        if conn.write_all(&[fill]).await.is_err() {
            break;
        }
        let (bytes, closed) = read_until_closed(&mut conn, std::time::Duration::from_millis(400)).await;
        got.extend_from_slice(&bytes);
        if !got.is_empty() || closed.is_some() {
            break;
        }
    }
    let (rest, _) = read_until_closed(&mut conn, std::time::Duration::from_secs(2)).await;
    got.extend_from_slice(&rest);
    (got, start.elapsed())
}

/// The bodies read before the client is authenticated (an STS form, the console's login, the
/// admin JSON) must arrive whole within the head's deadline, however steadily they trickle:
/// STS answers its `RequestTimeout`, the admin endpoints and the console a JSON 408.
#[tokio::test]
async fn bodies_read_before_authentication_trickling_get_request_timeout() {
    // An admin token, so that the console takes logins.
    let s = TestServer::start_with(|c| {
        c.idle_timeout = std::time::Duration::from_secs(1);
        c.stall_timeout = std::time::Duration::from_secs(1);
        c.admin_token = Some("sesame-slow".into());
    })
    .await;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nAction=",
        s.addr
    );
    let (got, took) = trickle(s.addr, &head, b'A').await;
    assert!(!got.is_empty(), "STS answered after {took:?}");
    let r = parse_response_bytes(&got);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains(
            "<Error><Type>Sender</Type><Code>RequestTimeout</Code><Message>Your socket connection to the server was not \
             read from or written to within the timeout period. Idle connections will be closed.</Message></Error>"
        ),
        "{}",
        r.text()
    );
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");

    let late = serde_json::json!({
        "error": "request body too slow: the request body did not arrive whole within 1 s of its head"
    });
    for (addr, method, path) in [
        (s.console(), "POST", "/_s3strict/console/login"),
        (s.addr, "PUT", "/_s3strict/clock"),
        (s.console(), "POST", "/_s3strict/console/presign"),
    ] {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"x\":\""
        );
        let (got, took) = trickle(addr, &head, b'a').await;
        assert!(!got.is_empty(), "{path} answered after {took:?}");
        let r = parse_response_bytes(&got);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("{}", r.text()));
        assert_eq!((r.status, body), (408, late.clone()), "{path}");
        assert!(took < std::time::Duration::from_secs(3), "{path}: {took:?}");
    }
}

/// At the connection cap, connections trickling bodies that are read before authentication give
/// way to new clients as idle ones do: with a thousand clients each sending an STS form a byte a
/// second (the stall timer never fires) and the server allowing eight connections, a health
/// check on either port is answered at once, and the clients that made room were answered
/// `RequestTimeout`.
#[tokio::test]
async fn at_the_connection_cap_bodies_read_before_authentication_make_room() {
    use tokio::io::AsyncWriteExt;
    let s = TestServer::start_with(|c| c.max_connections = Some(8)).await;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 65536\r\n\r\nA",
        s.addr
    );
    let mut first = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    first.write_all(head.as_bytes()).await.unwrap();
    // A server that stops accepting leaves connections waiting in the kernel's backlog.
    let connecting = async {
        let mut held = Vec::new();
        for _ in 0..999 {
            let mut c = tokio::net::TcpStream::connect(s.addr).await.unwrap();
            c.write_all(head.as_bytes()).await.unwrap();
            held.push(c);
        }
        held
    };
    let mut held = tokio::time::timeout(std::time::Duration::from_secs(30), connecting)
        .await
        .expect("the server keeps accepting connections");
    // A byte a second on every connection still open.
    let trickler = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            for c in &mut held {
                let _ = c.write_all(b"A").await;
            }
        }
    });
    for addr in [s.addr, s.console()] {
        let within = std::time::Duration::from_secs(3);
        let (_, took) = tokio::time::timeout(within, health_kept_open(addr)).await.expect("a health check answered");
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    }
    // The oldest made room first, with STS's answer.
    let (got, closed) = read_until_closed(&mut first, std::time::Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the first trickling connection was closed");
    let r = parse_response_bytes(&got);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("<Code>RequestTimeout</Code>"), "{}", r.text());
    trickler.abort();
}

/// A POST form's parts before the file count whole against S3's 1 MiB, boundaries and headers
/// included: parts with empty names and values (40-odd bytes each, once counted as nothing) are
/// limited to 1000, and parts whose headers carry the bytes are refused past 1 MiB. (A part
/// header that never ends is in `attacks.rs`, with the memory it may take.)
#[tokio::test]
async fn form_parts_before_the_file_count_whole() {
    let s = TestServer::start().await;
    s.create_bucket("forms").await;
    let ct = [("content-type", "multipart/form-data; boundary=b")];
    let too_large = |r: RawResponse| {
        r.assert_error(
            400,
            "MaxPostPreDataLengthExceededError",
            "Your POST request fields preceding the upload file were too large.",
        );
    };
    let empty = "--b\r\ncontent-disposition: form-data; name=\"\"\r\n\r\n\r\n";
    let file = "--b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\ndata\r\n--b--\r\n";
    // 1000 parts are read (the form then lacks a key); the 1001st is one too many.
    let mut body = empty.repeat(1000);
    body.push_str(file);
    let r = s.raw("POST", "/forms", &ct, body.as_bytes()).await;
    r.assert_error(
        400,
        "InvalidArgument",
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
    );
    // Ends where the server stops reading, so that it has read all that was sent.
    let body = empty.repeat(1001);
    too_large(s.raw("POST", "/forms", &ct, body.as_bytes()).await);
    // Fewer parts, each with 2 KiB in a header: the one that passes 1 MiB is refused.
    let fat = format!("--b\r\ncontent-disposition: form-data; name=\"\"\r\nx-pad: {}\r\n\r\n\r\n", "p".repeat(2048));
    let body = fat.repeat((1 << 20) / fat.len() + 1);
    too_large(s.raw("POST", "/forms", &ct, body.as_bytes()).await);
    let mut body = fat.repeat((1 << 20) / fat.len());
    body.push_str(file);
    let r = s.raw("POST", "/forms", &ct, body.as_bytes()).await;
    assert_eq!(r.error().code, "InvalidArgument", "within 1 MiB: {}", r.text());
}
