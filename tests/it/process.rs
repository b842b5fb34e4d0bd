//! The binary as users run it: the command-line contract, settings from env and file, graceful
//! shutdown, and recovery after `kill -9`. Also the admin endpoints.

use std::net::SocketAddr;
use std::process::Command;

use crate::common::*;

fn client(addr: SocketAddr) -> aws_sdk_s3::Client {
    client_for(&format!("http://{addr}"), AK, SK, REGION)
}

#[tokio::test]
async fn startup_line_and_graceful_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let mut p = Proc::spawn(&["serve", "--addr", "127.0.0.1:0", "--data", data.to_str().unwrap()], &[]);
    assert_ne!(p.addr.port(), 0);
    assert!(p.first_lines[1].starts_with("console on http://127.0.0.1:"), "{}", p.first_lines[1]);
    assert_eq!(p.first_lines[2], "region us-east-1, access key AKIAIOSFODNN7EXAMPLE");
    assert!(!p.first_lines.iter().any(|l| l.contains(SK)), "never print the secret");
    let r = raw(p.addr, "GET", "/_s3strict/health", &[], b"").await;
    assert_eq!(r.status, 200);
    client(p.addr).create_bucket().bucket("proc").send().await.unwrap();
    assert!(data.join("s3strict.db").exists());
    p.signal("TERM");
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn settings_from_env_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("s3strict.toml");
    std::fs::write(
        &cfg,
        format!(
            "region = \"eu-west-3\"\ndata = {:?}\naccess_key = \"FILEKEY\"\n",
            dir.path().join("d").to_str().unwrap()
        ),
    )
    .unwrap();
    // Flags beat env, env beats the file.
    let p = Proc::spawn(
        &["--config", cfg.to_str().unwrap(), "--access-key", "FLAGKEY"],
        &[("S3STRICT_ADDR", "127.0.0.1:0"), ("S3STRICT_ACCESS_KEY", "ENVKEY"), ("S3STRICT_SECRET_KEY", "envsecret")],
    );
    assert_eq!(p.first_lines[2], "region eu-west-3, access key FLAGKEY");
    let c = client_for(&format!("http://{}", p.addr), "FLAGKEY", "envsecret", "eu-west-3");
    c.list_buckets().send().await.unwrap();
}

#[tokio::test]
async fn clock_flags() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let p = Proc::spawn(
        &["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap(), "--clock-frozen", "2026-01-01T00:00:00Z"],
        &[],
    );
    let r = raw(p.addr, "GET", "/_s3strict/clock", &[], b"").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["mode"], "frozen");
    assert_eq!(v["now"], "2026-01-01T00:00:00Z");
    let data2 = dir.path().join("d2");
    let p2 = Proc::spawn(&["--addr", "127.0.0.1:0", "--data", data2.to_str().unwrap(), "--clock-offset", "-120"], &[]);
    let r = raw(p2.addr, "GET", "/_s3strict/clock", &[], b"").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((v["mode"].as_str(), v["offset_seconds"].as_i64()), (Some("offset"), Some(-120)));
}

#[tokio::test]
async fn bad_settings_exit_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict"))
        .args(["--clock-offset", "5", "--clock-frozen", "2026-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exclude each other"));
}

/// An acknowledged write survives `kill -9`; leftovers of an interrupted write are swept at start.
#[tokio::test]
async fn survives_kill_9_and_sweeps_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let args = ["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap()];
    let p = Proc::spawn(&args, &[]);
    let c = client(p.addr);
    c.create_bucket().bucket("durable").send().await.unwrap();
    let body: Vec<u8> = (0..1_000_000u32).map(|i| i as u8).collect();
    c.put_object().bucket("durable").key("k").body(body.clone().into()).send().await.unwrap();
    // A write cut off mid-body: the client sends half and the process dies.
    let mut req = SignedRequest::new("PUT", "/durable/k").body(b"");
    req.content_sha256 = Some("UNSIGNED-PAYLOAD".into());
    let (target, headers) = req.sign(p.addr);
    let mut stream = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    let mut head = format!("PUT {target} HTTP/1.1\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("content-length: 2000000\r\n\r\n");
    use tokio::io::AsyncWriteExt;
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'z'; 500_000]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    p.signal("KILL");
    drop(p);
    // Plant an orphan blob as a crash between rename and commit would leave.
    let orphan = data.join("blobs").join("ff").join("ffffffffffffffffffffffffffffffff");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"orphan").unwrap();
    assert!(std::fs::read_dir(data.join("tmp")).unwrap().count() >= 1, "the cut-off write left a tmp file");
    let p = Proc::spawn(&args, &[]);
    let got = client(p.addr).get_object().bucket("durable").key("k").send().await.unwrap();
    assert!(got.body.collect().await.unwrap().into_bytes().as_ref() == body.as_slice(), "old object intact");
    assert_eq!(std::fs::read_dir(data.join("tmp")).unwrap().count(), 0);
    assert!(!orphan.exists());
}

#[tokio::test]
async fn admin_clock_api() {
    let s = TestServer::start().await;
    let r = s.raw("GET", "/_s3strict/clock", &[], b"").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["mode"], "real");
    s.set_clock(r#"{"offset_seconds": 61}"#).await;
    let r = s.raw("GET", "/_s3strict/clock", &[], b"").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["offset_seconds"], 61);
    for bad in [r#"{"offset_seconds": 1, "real": true}"#, r#"{"frozen_at": "yesterday"}"#, "not json", "{}"] {
        let r = s.raw("PUT", "/_s3strict/clock", JSON, bad.as_bytes()).await;
        assert_eq!(r.status, 400, "{bad}");
    }
    assert_eq!(s.raw("GET", "/_s3strict/nothing", &[], b"").await.status, 404);
    assert_eq!(s.raw("GET", "/_s3strict/ready", &[], b"").await.status, 200);
    // reset removes every bucket and object.
    s.set_clock(r#"{"real": true}"#).await;
    s.create_bucket("gone").await;
    s.client().put_object().bucket("gone").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    assert_eq!(s.raw("POST", "/_s3strict/reset", JSON, b"").await.status, 200);
    assert!(s.client().list_buckets().send().await.unwrap().buckets().is_empty());
}

#[tokio::test]
async fn admin_needs_a_token_off_loopback() {
    let s = TestServer::start_with(|c| {
        c.addr = "0.0.0.0:0".parse().unwrap();
        c.admin_token = Some("sesame".into());
    })
    .await;
    let local = SocketAddr::from(([127, 0, 0, 1], s.addr.port()));
    assert_eq!(raw(local, "GET", "/_s3strict/clock", &[], b"").await.status, 401);
    assert_eq!(raw(local, "GET", "/_s3strict/clock", &[("authorization", "Bearer wrong")], b"").await.status, 401);
    assert_eq!(raw(local, "GET", "/_s3strict/clock", &[("authorization", "Bearer sesame")], b"").await.status, 200);
}

/// `s3strict check-url` judges a real presigner's URL offline and explains a refusal.
#[tokio::test]
async fn check_url_explains() {
    let c = client_for("http://127.0.0.1:9999", AK, SK, REGION);
    let url = presigned_get(&c, "bkt", "dir/a b.txt", 60).await.uri().to_string();
    let run =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_s3strict")).arg("check-url").args(args).output().unwrap();
    let out = run(&[&url]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("verdict: accepted (as query by AKIAIOSFODNN7EXAMPLE)"));
    // The same URL sent as PUT, with a Content-Type header it did not sign: still fine (ordinary
    // headers are not checked), but an x-amz header is refused.
    let out = run(&["-X", "GET", "-H", "Content-Type: text/plain", &url]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["-H", "x-amz-meta-a: 1", &url]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("code: AccessDenied") && text.contains("HeadersNotSigned: x-amz-meta-a"), "{text}");
    // A presigner that left `+` for a space: the first difference is named.
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("creq");
    std::fs::write(&theirs, "GET\n/bkt/dir/a+b.txt\n").unwrap();
    let out = run(&["--canonical-request", theirs.to_str().unwrap(), &url.replace("a%20b", "a+b")]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("code: SignatureDoesNotMatch"), "{text}");
    assert!(text.contains("CanonicalRequest:\nGET\n/bkt/dir/a%2Bb.txt\n"), "{text}");
    assert!(
        text.contains("first difference: line 2, column 11: S3 expects \"%2Bb.txt\", the presigner has \"+b.txt\""),
        "{text}"
    );
    // Judged a day later: expired.
    let later = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let out = run(&["--at", &later, &url]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("message: Request has expired"));
    assert_eq!(run(&["not a url"]).status.code(), Some(2));
}

/// `--fsync` (or `S3STRICT_FSYNC`) makes writes durable against power loss; behaviour is the same.
#[tokio::test]
async fn fsync_switch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    for (args, envs) in [
        (vec!["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap(), "--fsync"], vec![]),
        (vec!["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap()], vec![("S3STRICT_FSYNC", "true")]),
    ] {
        let p = Proc::spawn(&args, &envs);
        let c = client(p.addr);
        let _ = c.create_bucket().bucket("durable").send().await;
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 7) as u8).collect();
        c.put_object().bucket("durable").key("k").body(body.clone().into()).send().await.unwrap();
        let up = c.create_multipart_upload().bucket("durable").key("m").send().await.unwrap();
        let id = up.upload_id().unwrap();
        let part = c
            .upload_part()
            .bucket("durable")
            .key("m")
            .upload_id(id)
            .part_number(1)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        c.complete_multipart_upload()
            .bucket("durable")
            .key("m")
            .upload_id(id)
            .multipart_upload(
                aws_sdk_s3::types::CompletedMultipartUpload::builder()
                    .parts(
                        aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        for key in ["k", "m"] {
            let got = c.get_object().bucket("durable").key(key).send().await.unwrap();
            assert!(got.body.collect().await.unwrap().into_bytes().as_ref() == body.as_slice());
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict")).args(["--fsync", "maybe"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The soft open-file limit is raised to the hard one; at `--max-connections`, a new client is
/// served at once in the place of a connection that sends nothing, and the limit is logged.
#[tokio::test]
async fn file_limit_raised_and_connections_capped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let log = dir.path().join("stderr");
    let args =
        ["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap(), "--idle-timeout", "10", "--max-connections", "3"];
    let p = Proc::spawn_limited("-Sn 64", &args, &log);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", p.child.id())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let nums: Vec<&str> = line.split_whitespace().filter(|w| w.chars().all(|c| c.is_ascii_digit())).collect();
    assert_eq!(nums.len(), 2, "{line}");
    assert_eq!(nums[0], nums[1], "soft limit raised to the hard limit: {line}");
    assert_ne!(nums[0], "64");

    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(tokio::net::TcpStream::connect(p.addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let start = std::time::Instant::now();
    let r = raw(p.addr, "GET", "/_s3strict/health", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(
        start.elapsed() < std::time::Duration::from_millis(500),
        "no wait for the idle timeout: {:?}",
        start.elapsed()
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("connection limit reached"), "{text}");
}

/// Out of file descriptors, the accept loop pauses instead of spinning: little CPU, a few log
/// lines, and service resumes once descriptors free up.
#[tokio::test]
async fn accept_backs_off_when_out_of_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let log = dir.path().join("stderr");
    let args =
        ["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap(), "--idle-timeout", "2", "--max-connections", "1000"];
    let p = Proc::spawn_limited("-n 48", &args, &log);
    let mut idle = Vec::new();
    for _ in 0..80 {
        idle.push(tokio::net::TcpStream::connect(p.addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = cpu_ticks(p.child.id());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let used = cpu_ticks(p.child.id()) - before;
    assert!(used < 30, "{used} ticks of CPU in 1.5 s while out of descriptors");
    let text = std::fs::read_to_string(&log).unwrap();
    let failures = text.lines().filter(|l| l.contains("accepting connections failed")).count();
    assert!((1..=3).contains(&failures), "{failures} log lines:\n{text}");
    drop(idle);
    let r = raw(p.addr, "GET", "/_s3strict/health", &[], b"").await;
    assert_eq!(r.status, 200);
}

/// The console's own listener: `--console-addr` (and its env variable) takes an address, `:PORT`
/// on the S3 address's host, or `off`; the startup lines say where it is. The default address,
/// when busy, gives way to a free port (several servers start at once in tests and CI), with a
/// warning and a note on the line; an address the user chose that cannot be bound stops the
/// start, naming the setting.
#[tokio::test]
async fn console_listener_flags() {
    let dir = tempfile::tempdir().unwrap();
    let data = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let console_of = |p: &Proc| -> SocketAddr {
        let url = p.first_lines[1].strip_prefix("console on http://").expect("console line");
        url.split_once('/').unwrap().0.parse().unwrap()
    };
    // `:0`: a free port on the S3 address's host.
    let d = data("a");
    let p = Proc::spawn(&["--addr", "127.0.0.1:0", "--data", &d, "--console-addr", ":0"], &[]);
    let c = console_of(&p);
    assert_eq!(p.first_lines[1], format!("console on http://{c}/_s3strict/console/"));
    assert_ne!(c.port(), p.addr.port());
    let r = raw(c, "GET", "/_s3strict/console/", &[], b"").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/html; charset=utf-8")));
    // An explicit address that is taken: the start fails, naming the setting.
    let taken = c.to_string();
    let d = data("b");
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict"))
        .args(["--addr", "127.0.0.1:0", "--data", &d])
        .env("S3STRICT_CONSOLE_ADDR", &taken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "s3strict: cannot start: cannot listen on {taken} (--console-addr / S3STRICT_CONSOLE_ADDR): Address already \
             in use (os error 98); another process listens there: pick another port, or 0 for a free one"
        )
    );
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict")).args(["--console-addr", "nine"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "s3strict: invalid --console-addr / S3STRICT_CONSOLE_ADDR \"nine\": expected HOST:PORT, such as 127.0.0.1:9000, localhost:9000 or 0.0.0.0:0"
    );
    // The default address busy: a free port, said so. Held here, once the other tests' servers
    // that may have it (they start with the default) let it go; unless something lasting does.
    let mut _held = None;
    for _ in 0..60 {
        match std::net::TcpListener::bind("127.0.0.1:9001") {
            Ok(l) => {
                _held = Some(l);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let d = data("c");
    let log = dir.path().join("c.log");
    let p = Proc::spawn_logged(&["--addr", "127.0.0.1:0", "--data", &d], &[], &log);
    let c = console_of(&p);
    assert_ne!(c.port(), 9001);
    assert_eq!(
        p.first_lines[1],
        format!("console on http://{c}/_s3strict/console/ (127.0.0.1:9001 was not free: Address already in use (os error 98))")
    );
    assert_eq!(raw(c, "GET", "/_s3strict/console/session", &[], b"").await.status, 200);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("the console's default address is taken; it listens on a free port instead"), "{text}");
    // Off: no console; the line says so, and the S3 port points nowhere.
    let d = data("d");
    let p = Proc::spawn(&["--addr", "127.0.0.1:0", "--data", &d, "--console-addr", "off"], &[]);
    assert_eq!(p.first_lines[1], "console off (--console-addr off)");
    assert_eq!(p.first_lines[2], "region us-east-1, access key AKIAIOSFODNN7EXAMPLE");
    let r = raw(p.addr, "GET", "/_s3strict/console/", &[], b"").await;
    assert_eq!((r.status, r.text()), (404, r#"{"error":"the console is off (--console-addr off)"}"#.to_string()));
}
