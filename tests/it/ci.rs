//! s3strict as a CI job or a laptop starts it: startup errors that name the setting, host names
//! in `--addr`, `--ephemeral`, `--buckets`, `--seed`, `--ready-file`, the request log (text
//! without colours off a terminal, or JSON), open health probes off loopback, the admin
//! endpoints' 405 and clock messages, `health` and `--version`.

use std::process::Command;

use crate::common::*;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_s3strict")).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn startup_errors_name_the_setting_the_value_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["--addr", "127.0.0.1:0", "--data", "/proc/nope"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim(),
        "s3strict: cannot start: cannot use the data directory /proc/nope (--data / S3STRICT_DATA): No such file or directory (os error 2)"
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let (code, _, err) = run(&["--addr", "127.0.0.1:0", "--data", file.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim(),
        format!(
            "s3strict: cannot start: cannot use the data directory {} (--data / S3STRICT_DATA): it exists and is not a directory",
            file.display()
        )
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let data = dir.path().join("d");
    let (code, _, err) = run(&["--addr", &format!("127.0.0.1:{port}"), "--data", data.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim(),
        format!(
            "s3strict: cannot start: cannot listen on 127.0.0.1:{port} (--addr / S3STRICT_ADDR): Address already in use \
             (os error 98); another process listens there: pick another port, or 0 for a free one"
        )
    );
    let (code, _, err) = run(&["--addr", "localhost", "--data", data.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err.trim(),
        "s3strict: invalid --addr / S3STRICT_ADDR \"localhost\": expected HOST:PORT, such as 127.0.0.1:9000, localhost:9000 or 0.0.0.0:0"
    );
}

#[tokio::test]
async fn addr_takes_a_host_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::spawn(&["--addr", "localhost:0", "--data", dir.path().join("d").to_str().unwrap()], &[]);
    assert!(p.addr.ip().is_loopback(), "{}", p.addr);
    assert_eq!(raw(p.addr, "GET", "/_s3strict/ready", &[], b"").await.status, 200);
}

#[tokio::test]
async fn ephemeral_with_buckets_and_a_ready_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let ready = dir.path().join("ready.json");
    let p = Proc::spawn_logged(
        &["--addr", "127.0.0.1:0", "--ephemeral", "--ready-file", ready.to_str().unwrap()],
        &[("S3STRICT_BUCKETS", "first,second")],
        &log,
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&ready).unwrap()).unwrap();
    assert_eq!(doc["endpoint"], format!("http://{}", p.addr));
    let console = p.first_lines[1].strip_prefix("console on ").unwrap().split(' ').next().unwrap();
    assert_eq!(doc["console"], console);
    assert!(console.starts_with("http://127.0.0.1:") && console.ends_with("/_s3strict/console/"), "{console}");
    assert_eq!((doc["region"].as_str(), doc["access_key_id"].as_str()), (Some(REGION), Some(AK)));
    assert_eq!(doc["secret_access_key"], SK);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&ready).unwrap().permissions().mode() & 0o777, 0o600);
    let c = client_for(doc["endpoint"].as_str().unwrap(), AK, SK, REGION);
    let names: Vec<String> =
        c.list_buckets().send().await.unwrap().buckets().iter().filter_map(|b| b.name().map(String::from)).collect();
    assert_eq!(names, ["first", "second"]);
    c.put_object().bucket("first").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text.lines().find(|l| l.contains("--ephemeral")).expect("the temporary directory is logged");
    let data = std::path::PathBuf::from(line.split("data=").nth(1).unwrap().split_whitespace().next().unwrap());
    assert!(data.join("s3strict.db").exists(), "{}", data.display());
    assert!(p.stop().success());
    assert!(!data.exists(), "{} removed at exit", data.display());
}

#[tokio::test]
async fn seed_folder_becomes_buckets_and_objects() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    std::fs::create_dir_all(seed.join("site/css")).unwrap();
    std::fs::create_dir_all(seed.join("empty-bucket")).unwrap();
    std::fs::write(seed.join("site/index.html"), b"<h1>hi</h1>").unwrap();
    std::fs::write(seed.join("site/css/app.css"), b"body{}").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(seed.join("site/blob.bin"), &big).unwrap();
    let p = Proc::spawn(
        &["--addr", "127.0.0.1:0", "--data", dir.path().join("d").to_str().unwrap(), "--seed", seed.to_str().unwrap()],
        &[],
    );
    let c = client_for(&format!("http://{}", p.addr), AK, SK, REGION);
    let names: Vec<String> =
        c.list_buckets().send().await.unwrap().buckets().iter().filter_map(|b| b.name().map(String::from)).collect();
    assert_eq!(names, ["empty-bucket", "site"]);
    let listed = c.list_objects_v2().bucket("site").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["blob.bin", "css/app.css", "index.html"]);
    let got = c.get_object().bucket("site").key("index.html").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/html"));
    assert_eq!(got.e_tag(), Some(format!("\"{}\"", md5_hex(b"<h1>hi</h1>")).as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"<h1>hi</h1>");
    let got = c.get_object().bucket("site").key("css/app.css").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/css"));
    let got = c.get_object().bucket("site").key("blob.bin").checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled);
    let got = got.send().await.unwrap();
    assert!(got.checksum_crc64_nvme().is_some());
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), big.as_slice());
    drop(p);
    // A file beside the bucket folders is refused, not skipped.
    std::fs::write(seed.join("stray.txt"), b"?").unwrap();
    let (code, _, err) = run(&[
        "--addr",
        "127.0.0.1:0",
        "--data",
        dir.path().join("d2").to_str().unwrap(),
        "--seed",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    // The last line: a warning may come first (the console's default port taken by another test).
    assert_eq!(
        err.trim().lines().last().unwrap_or_default(),
        format!(
            "s3strict: cannot start: --seed folder {}: \"stray.txt\" is not a folder (each folder in it is a bucket, its files are objects)",
            seed.display()
        )
    );
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(data))
}

#[tokio::test]
async fn one_log_line_per_request_without_colours_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let p = Proc::spawn_logged(&["--addr", "127.0.0.1:0", "--data", dir.path().join("d").to_str().unwrap()], &[], &log);
    let c = client_for(&format!("http://{}", p.addr), AK, SK, REGION);
    c.create_bucket().bucket("logged").send().await.unwrap();
    c.put_object().bucket("logged").key("a/b.txt").body(b"12345".to_vec().into()).send().await.unwrap();
    let r = raw(p.addr, "GET", "/logged/a/b.txt", &[], b"").await;
    assert_eq!(r.status, 403);
    assert!(p.stop().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\x1b'), "no ANSI escapes in a file:\n{text}");
    let requests: Vec<&str> = text.lines().filter(|l| l.contains(" s3strict::request: ")).collect();
    assert_eq!(requests.len(), 3, "{text}");
    let put = requests[1];
    for field in [
        "method=\"PUT\"",
        "bucket=\"logged\"",
        "key=\"a/b.txt\"",
        "status=200",
        "auth=\"header\"",
        "verdict=\"allowed\"",
        "bytes_in=",
    ] {
        assert!(put.contains(field), "{field} in {put}");
    }
    let refused = requests[2];
    for field in [
        "method=\"GET\"",
        "status=403",
        "auth=\"anonymous\"",
        "verdict=\"denied\"",
        "code=\"AccessDenied\"",
        "bytes_in=0",
    ] {
        assert!(refused.contains(field), "{field} in {refused}");
    }
    assert!(refused.split_whitespace().any(|w| w.starts_with("id=\"") && w.len() == "id=\"\"".len() + 16), "{refused}");
    assert!(refused.contains(" ms="), "{refused}");
}

#[tokio::test]
async fn json_logs_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let p = Proc::spawn_logged(
        &["--addr", "127.0.0.1:0", "--data", dir.path().join("d").to_str().unwrap()],
        &[("S3STRICT_LOG_FORMAT", "json")],
        &log,
    );
    let r = raw(p.addr, "GET", "/nobucket/k", &[], b"").await;
    assert_eq!(r.status, 404);
    assert!(p.stop().success());
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    let request = lines.iter().find(|v| v["target"] == "s3strict::request").expect("a request line");
    assert_eq!(request["level"], "INFO");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["bucket"], "nobucket");
    assert_eq!(request["key"], "k");
    assert_eq!(request["status"], 404);
    assert_eq!(request["code"], "NoSuchBucket");
    assert_eq!(request["auth"], "anonymous");
    assert!(request["bytes_out"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn probes_are_open_off_loopback_and_the_missing_token_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let p = Proc::spawn_logged(&["--addr", "0.0.0.0:0", "--data", dir.path().join("d").to_str().unwrap()], &[], &log);
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], p.addr.port()));
    let r = raw(local, "GET", "/_s3strict/health", &[("host", "s3.internal:9000")], b"").await;
    assert_eq!((r.status, r.text()), (200, r#"{"status":"ok"}"#.to_string()));
    assert_eq!(raw(local, "GET", "/_s3strict/ready", &[], b"").await.status, 200);
    let r = raw(local, "GET", "/_s3strict/clock", &[], b"").await;
    assert_eq!((r.status, r.text()), (401, r#"{"error":"admin token required"}"#.to_string()));
    // The `health` subcommand reaches a server listening on every address through loopback.
    let (code, out, _) = run(&["health", "--addr", &p.addr.to_string()]);
    assert_eq!((code, out.trim()), (Some(0), format!("healthy: http://127.0.0.1:{}", p.addr.port()).as_str()));
    assert!(p.stop().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("listening off loopback without an admin token: /_s3strict/ endpoints other than health and ready refuse every request; set --admin-token (S3STRICT_ADMIN_TOKEN) to use them"),
        "{text}"
    );
    let (code, _, err) = run(&["health", "--addr", &local.to_string()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim(),
        format!("s3strict: unhealthy: cannot reach http://{local}: Connection refused (os error 111)")
    );
}

#[tokio::test]
async fn admin_endpoints_answer_405_with_allow_and_explain_clock_settings() {
    let s = TestServer::start().await;
    for (method, path, allow) in [
        ("POST", "/_s3strict/health", "GET, HEAD"),
        ("DELETE", "/_s3strict/clock", "GET, PUT"),
        ("PUT", "/_s3strict/auth-log", "GET, DELETE"),
        ("GET", "/_s3strict/reset", "POST"),
    ] {
        let r = s.raw(method, path, JSON, b"{}").await;
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(r.text(), format!(r#"{{"error":"{path} takes {allow}, not {method}"}}"#));
    }
    let forms = r#"send one of {\"offset_seconds\": 3600}, {\"frozen_at\": \"2026-01-01T00:00:00Z\"} (RFC 3339, with a time and a zone) or {\"real\": true}"#;
    for (body, message) in [
        (
            r#"{"frozen_at":"2026-01-01"}"#,
            r#"invalid clock setting: frozen_at \"2026-01-01\" is not an RFC 3339 instant (premature end of input): write it like \"2026-01-01T00:00:00Z\""#.to_string(),
        ),
        (r#"{"offset_seconds":"60"}"#, r#"invalid clock setting: offset_seconds must be a whole number of seconds (may be negative), got \"60\""#.to_string()),
        (r#"{"offset":60}"#, format!(r#"invalid clock setting: unknown field \"offset\"; {forms}"#)),
        ("{}", format!("invalid clock setting: give exactly one of offset_seconds, frozen_at or real: true; {forms}")),
        (r#"{"real":false}"#, format!("invalid clock setting: real must be true; {forms}")),
    ] {
        let r = s.raw("PUT", "/_s3strict/clock", JSON, body.as_bytes()).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.text(), format!(r#"{{"error":"{message}"}}"#), "{body}");
    }
}

#[test]
fn version_flag() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!((code, out.trim()), (Some(0), format!("s3strict {}", env!("CARGO_PKG_VERSION")).as_str()));
}

/// The embedding API as a user's test uses it: an SDK client from the helper, the clock moved past
/// a presigned URL's expiry, the refusal in the auth log.
#[tokio::test]
async fn embedded_test_server() {
    let s3 = s3strict::TestServer::start().await.unwrap();
    let client = s3.s3_client();
    client.create_bucket().bucket("embedded").send().await.unwrap();
    client.put_object().bucket("embedded").key("k").body(b"v".to_vec().into()).send().await.unwrap();
    let presigned = presigned_get(&client, "embedded", "k", 60).await;
    let target = presigned.uri().strip_prefix(&s3.endpoint()).unwrap().to_string();
    assert_eq!(raw(s3.addr(), "GET", &target, &[], b"").await.status, 200);
    s3.clock().offset_by(120);
    let r = raw(s3.addr(), "GET", &target, &[], b"").await;
    r.assert_error(403, "AccessDenied", "Request has expired");
    let newest = &s3.auth_log()[0];
    assert_eq!((newest.verdict, newest.error_code), ("denied", Some("AccessDenied")));
    assert_eq!(newest.key.as_deref(), Some("k"));
    s3.clock().real();
    let data = s3.data_dir().to_path_buf();
    let s3 = s3.restart().await.unwrap();
    assert_eq!(s3.data_dir(), data);
    let got = s3.s3_client().get_object().bucket("embedded").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"v");
    s3.stop().await.unwrap();
}

/// A data directory from before small bodies moved into rows (schema 10: no `body` column) opens,
/// is migrated (to the current schema, 13), and serves its objects; new small objects then live
/// in their rows.
#[tokio::test]
async fn a_schema_10_data_directory_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let args = ["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap()];
    let p = Proc::spawn(&args, &[]);
    let c = client_for(&format!("http://{}", p.addr), AK, SK, REGION);
    c.create_bucket().bucket("old").send().await.unwrap();
    let big = vec![7u8; 70_000];
    c.put_object().bucket("old").key("big").body(big.clone().into()).send().await.unwrap();
    assert!(p.stop().success());
    let db = rusqlite::Connection::open(data.join("s3strict.db")).unwrap();
    db.execute_batch(
        "DROP INDEX objects_file; CREATE INDEX objects_blob ON objects(blob_id);
         ALTER TABLE objects DROP COLUMN body; ALTER TABLE buckets DROP COLUMN policy_principals;
         PRAGMA user_version = 10;",
    )
    .unwrap();
    drop(db);
    let p = Proc::spawn(&args, &[]);
    let c = client_for(&format!("http://{}", p.addr), AK, SK, REGION);
    let got = c.get_object().bucket("old").key("big").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), big.as_slice());
    c.put_object().bucket("old").key("small").body(b"tiny".to_vec().into()).send().await.unwrap();
    let got = c.get_object().bucket("old").key("small").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"tiny");
    assert!(p.stop().success());
    let db = rusqlite::Connection::open(data.join("s3strict.db")).unwrap();
    let version: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 13);
    // Schema 12: only rows whose body is a file are indexed by blob id.
    let index: String = db
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(index, "CREATE INDEX objects_file ON objects(blob_id) WHERE body IS NULL");
    let in_row: Option<Vec<u8>> =
        db.query_row("SELECT body FROM objects WHERE key = CAST('small' AS BLOB)", [], |r| r.get(0)).unwrap();
    assert_eq!(in_row.as_deref(), Some(&b"tiny"[..]));
}

/// `Date` follows a moved clock, and a clock set before 1970 (which no HTTP date can say) keeps the
/// real one instead of failing the response.
#[tokio::test]
async fn date_header_follows_the_clock_within_what_http_dates_can_say() {
    let s = TestServer::start().await;
    s.set_clock(r#"{"frozen_at": "2030-05-06T07:08:09Z"}"#).await;
    let r = s.raw("GET", "/_s3strict/health", &[], b"").await;
    assert_eq!(r.header("date"), Some("Mon, 06 May 2030 07:08:09 GMT"));
    s.set_clock(r#"{"frozen_at": "1960-01-01T00:00:00Z"}"#).await;
    let r = s.raw("GET", "/_s3strict/health", &[], b"").await;
    assert_eq!(r.status, 200);
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    assert!(date.elapsed().map_or(true, |d| d.as_secs() < 60), "the real time");
    let r = s.raw("GET", "/", &[], b"").await;
    assert_eq!(r.status, 403, "{}", r.text());
}
