//! Test support: a real server on an ephemeral port with a temporary data directory, an AWS SDK
//! client pointed at it, a raw HTTP/1.1 client for requests no SDK sends, a small SigV4 signer for
//! crafted requests, and S3 error-document parsing.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use s3strict::auth::canonical;
use s3strict::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const AK: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
/// The content type the admin endpoints require of state-changing requests.
pub const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

/// A server running in this test's runtime, stopped when dropped: the library's
/// [`s3strict::TestServer`] (what users embed in their own tests), with this suite's raw and
/// signed-request helpers around it.
pub struct TestServer {
    pub addr: SocketAddr,
    inner: s3strict::TestServer,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let inner = s3strict::TestServer::start_with(adjust).await.expect("start");
        TestServer { addr: inner.addr(), inner }
    }

    pub fn endpoint(&self) -> String {
        self.inner.endpoint()
    }

    /// The console's listener (its own origin).
    pub fn console(&self) -> SocketAddr {
        self.inner.console_addr().expect("the console listens")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.inner.data_dir().to_path_buf()
    }

    /// A scratch directory removed with the server.
    pub fn scratch_dir(&self) -> PathBuf {
        self.inner.temp_dir()
    }

    /// An SDK client with its defaults (checksums included), path-style: the library's helper.
    pub fn client(&self) -> aws_sdk_s3::Client {
        self.inner.s3_client()
    }

    /// Stops accepting and waits for the server to finish.
    pub async fn stop(self) {
        self.inner.stop().await.expect("server run");
    }

    /// Stops the server and starts a new one on the same data directory and settings.
    pub async fn restart(self) -> TestServer {
        let inner = self.inner.restart().await.expect("restart");
        TestServer { addr: inner.addr(), inner }
    }

    /// The library handle (clock, auth log, state).
    pub fn lib(&self) -> &s3strict::TestServer {
        &self.inner
    }

    /// Raw request to this server.
    pub async fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
        raw(self.addr, method, target, headers, body).await
    }

    /// A request signed in the Authorization header by [`Signer`].
    pub async fn signed(&self, req: SignedRequest<'_>) -> RawResponse {
        raw_signed(self.addr, req).await
    }

    /// Sets the server clock through the admin API.
    pub async fn set_clock(&self, json: &str) {
        let r = self.raw("PUT", "/_s3strict/clock", &[("content-type", "application/json")], json.as_bytes()).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }

    pub async fn create_bucket(&self, name: &str) {
        self.client().create_bucket().bucket(name).send().await.expect("create bucket");
    }
}

/// A request signed by [`SignedRequest`], sent to `addr` (for tasks that cannot borrow a server).
pub async fn raw_signed(addr: SocketAddr, req: SignedRequest<'_>) -> RawResponse {
    let (target, headers) = req.sign(addr);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    raw(addr, req.method, &target, &headers, req.body).await
}

pub fn client_for(endpoint: &str, ak: &str, sk: &str, region: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ak, sk, None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The Rust SDK's STS client pointed at `s`, with these credentials.
pub fn sts_client(s: &TestServer, ak: &str, sk: &str, token: Option<&str>) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .credentials_provider(aws_sdk_sts::config::Credentials::new(ak, sk, token.map(str::to_string), None, "test"))
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// An S3 client acting with the temporary credentials STS gave.
pub fn s3_with_session(s: &TestServer, c: &aws_sdk_sts::types::Credentials) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(s.endpoint())
        .credentials_provider(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "sts",
        ))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The S3 error document in the body.
    pub fn error(&self) -> S3ErrorDoc {
        S3ErrorDoc::parse(&self.body)
    }

    /// Asserts status, Code and Message; returns the document for more checks.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) -> S3ErrorDoc {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        let doc = self.error();
        assert_eq!(doc.code, code, "code; body: {}", self.text());
        assert_eq!(doc.message, message, "message; body: {}", self.text());
        assert!(self.header("x-amz-request-id").is_some_and(|id| doc.get("RequestId") == Some(id)));
        doc
    }
}

/// An S3 `<Error>` document: every child element in order.
#[derive(Debug)]
pub struct S3ErrorDoc {
    pub code: String,
    pub message: String,
    pub elements: Vec<(String, String)>,
}

impl S3ErrorDoc {
    pub fn parse(body: &[u8]) -> S3ErrorDoc {
        let flat = s3strict::xml::read_flat(body)
            .unwrap_or_else(|e| panic!("not XML ({e}): {}", String::from_utf8_lossy(body)));
        let elements: Vec<(String, String)> =
            flat.iter().filter_map(|(p, v)| p.strip_prefix("Error/").map(|n| (n.to_string(), v.to_string()))).collect();
        let get = |n: &str| elements.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default();
        S3ErrorDoc { code: get("Code"), message: get("Message"), elements }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.elements.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Element names in order.
    pub fn names(&self) -> Vec<&str> {
        self.elements.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Sends one HTTP/1.1 request and reads the whole response (`Connection: close`). `target` is
/// sent exactly as given. A `host` header in `headers` replaces the default one.
pub async fn raw(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("host: {addr}\r\n"));
    }
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding"))
    {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("connection: close\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await.expect("write");
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await.expect("read");
    parse_response(&resp, method == "HEAD")
}

/// Sends `bytes` as they are (a whole request, any bytes) and reads the response.
pub async fn send_bytes(addr: SocketAddr, bytes: &[u8], head: bool) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await.expect("read");
    parse_response(&resp, head)
}

/// Parses a whole response as read from the wire.
pub fn parse_response_bytes(resp: &[u8]) -> RawResponse {
    parse_response(resp, false)
}

fn parse_response(resp: &[u8], head: bool) -> RawResponse {
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head_text = String::from_utf8_lossy(&resp[..split]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = resp[split + 4..].to_vec();
    if head {
        body.clear();
    } else if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    RawResponse { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..pos]).unwrap().trim(), 16).unwrap();
        data = &data[pos + 2..];
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
    out
}

/// A crafted request, signed in the Authorization header with the given (possibly wrong) inputs.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path as sent, already encoded.
    pub path: &'a str,
    /// Query as sent, without `?`.
    pub query: &'a str,
    /// Extra headers; they are all signed unless listed in `unsigned`.
    pub headers: Vec<(&'a str, String)>,
    pub unsigned: Vec<(&'a str, String)>,
    pub body: &'a [u8],
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `x-amz-date`; `None` means now.
    pub amz_date: Option<String>,
    /// `x-amz-content-sha256`; `None` means the body's hash.
    pub content_sha256: Option<String>,
    /// Replace the computed signature.
    pub signature: Option<String>,
    /// Sign a `Date` header instead of `x-amz-date`.
    pub date_header: bool,
}

impl<'a> SignedRequest<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        SignedRequest {
            method,
            path,
            query: "",
            headers: Vec::new(),
            unsigned: Vec::new(),
            body: b"",
            access_key: AK,
            secret_key: SK,
            region: REGION,
            service: "s3",
            amz_date: None,
            content_sha256: None,
            signature: None,
            date_header: false,
        }
    }

    pub fn query(mut self, q: &'a str) -> Self {
        self.query = q;
        self
    }

    pub fn header(mut self, n: &'a str, v: impl Into<String>) -> Self {
        self.headers.push((n, v.into()));
        self
    }

    pub fn unsigned_header(mut self, n: &'a str, v: impl Into<String>) -> Self {
        self.unsigned.push((n, v.into()));
        self
    }

    pub fn body(mut self, b: &'a [u8]) -> Self {
        self.body = b;
        self
    }

    /// The request target and headers, signed.
    pub fn sign(&self, addr: SocketAddr) -> (String, Vec<(String, String)>) {
        let date = self.amz_date.clone().unwrap_or_else(|| chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
        let sha = self.content_sha256.clone().unwrap_or_else(|| canonical::sha256_hex(self.body));
        let date_line = if self.date_header {
            let t = chrono::NaiveDateTime::parse_from_str(&date, "%Y%m%dT%H%M%SZ").unwrap().and_utc();
            ("date".to_string(), t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        } else {
            ("x-amz-date".to_string(), date.clone())
        };
        let mut headers: Vec<(String, String)> =
            vec![("host".into(), addr.to_string()), date_line, ("x-amz-content-sha256".into(), sha.clone())];
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case("host") {
                headers[0].1 = v.clone();
            } else {
                headers.push((n.to_ascii_lowercase(), v.clone()));
            }
        }
        headers.sort();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        let signed = names.join(";");
        let block = canonical::canonical_headers(&names, |n| {
            headers.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect()
        });
        let creq = canonical::canonical_request(
            self.method,
            &canonical::canonical_uri(self.path),
            &canonical::canonical_query(self.query),
            &block,
            &signed,
            &sha,
        );
        let scope = canonical::scope(&date[..8], self.region, self.service);
        let sts = canonical::string_to_sign(&date, &scope, &creq);
        let key = canonical::signing_key(self.secret_key, &date[..8], self.region, self.service);
        let sig = self.signature.clone().unwrap_or_else(|| canonical::sign(&key, &sts));
        headers.push((
            "authorization".into(),
            format!("AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed},Signature={sig}", self.access_key),
        ));
        for (n, v) in &self.unsigned {
            headers.push((n.to_string(), v.clone()));
        }
        let target =
            if self.query.is_empty() { self.path.to_string() } else { format!("{}?{}", self.path, self.query) };
        (target, headers)
    }
}

/// A presigned URL as the target (path and query) and headers an SDK produced.
pub fn presigned_parts(req: &aws_sdk_s3::presigning::PresignedRequest) -> (String, Vec<(String, String)>) {
    let uri: http::Uri = req.uri().parse().expect("uri");
    let target = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let headers = req.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    (target, headers)
}

/// Sends a presigned request with its headers plus `extra`.
pub async fn send_presigned(
    server: &TestServer,
    req: &aws_sdk_s3::presigning::PresignedRequest,
    extra: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let (target, headers) = presigned_parts(req);
    let mut all: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    server.raw(req.method(), &target, &all, body).await
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

pub fn md5_bytes(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

/// The target with query parameter `name` set to `value` (added when absent), others untouched.
pub fn with_param(target: &str, name: &str, value: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut found = false;
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.split('=').next() == Some(name) {
                found = true;
                format!("{name}={value}")
            } else {
                p.to_string()
            }
        })
        .collect();
    if !found {
        parts.push(format!("{name}={value}"));
    }
    format!("{path}?{}", parts.join("&"))
}

/// The target without query parameter `name`.
pub fn without_param(target: &str, name: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = query.split('&').filter(|p| p.split('=').next() != Some(name)).collect();
    format!("{path}?{}", parts.join("&"))
}

/// The value of query parameter `name` in `target`, still encoded.
pub fn param<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|p| p.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

/// A presigned URL target made by the test's own SigV4 code, for query shapes the SDK does not
/// produce: `params` are extra (decoded) query parameters, signed in; `signed` lists signed header
/// names besides `host`, with values from `headers`.
pub fn presign(
    addr: SocketAddr,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    expires: u64,
) -> String {
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let scope = canonical::scope(&date[..8], REGION, "s3");
    let mut names: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.push("host".into());
    names.sort();
    let signed = names.join(";");
    let enc = |s: &str| canonical::uri_encode(s.as_bytes(), true);
    let mut query: Vec<String> = vec![
        "X-Amz-Algorithm=AWS4-HMAC-SHA256".into(),
        format!("X-Amz-Credential={}", enc(&format!("{AK}/{scope}"))),
        format!("X-Amz-Date={date}"),
        format!("X-Amz-Expires={expires}"),
        format!("X-Amz-SignedHeaders={}", enc(&signed)),
    ];
    query.extend(params.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))));
    let raw_query = query.join("&");
    let host = addr.to_string();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let block = canonical::canonical_headers(&name_refs, |n| {
        if n == "host" {
            vec![host.as_str()]
        } else {
            headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| *v).collect()
        }
    });
    let creq = canonical::canonical_request(
        method,
        &canonical::canonical_uri(path),
        &canonical::canonical_query(&raw_query),
        &block,
        &signed,
        "UNSIGNED-PAYLOAD",
    );
    let sts = canonical::string_to_sign(&date, &scope, &creq);
    let sig = canonical::sign(&canonical::signing_key(SK, &date[..8], REGION, "s3"), &sts);
    format!("{path}?{raw_query}&X-Amz-Signature={sig}")
}

/// Status, `Code` and `Message` of an SDK call's error.
pub fn sdk_error<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    err: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> (u16, String, String) {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or_default();
    (status, err.code().unwrap_or_default().to_string(), err.message().unwrap_or_default().to_string())
}

/// A presigned GET made by `client`, valid for `secs`.
pub async fn presigned_get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    secs: u64,
) -> aws_sdk_s3::presigning::PresignedRequest {
    let conf = aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(secs)).unwrap();
    client.get_object().bucket(bucket).key(key).presigned(conf).await.unwrap()
}

/// A presigned PUT made by `client`, valid for an hour.
pub async fn presigned_put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> aws_sdk_s3::presigning::PresignedRequest {
    let conf = aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(3600)).unwrap();
    client.put_object().bucket(bucket).key(key).presigned(conf).await.unwrap()
}

/// Uploads `body` as the only part of upload `upload_id` and completes the upload.
pub async fn complete_with_one_part(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    body: &[u8],
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    let part = c
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(1)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
    let done = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(done)
        .send()
        .await
        .unwrap()
}

/// A request to the admin API with a JSON body; the parsed answer.
pub async fn admin(s: &TestServer, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let r = s.raw(method, &format!("/_s3strict{path}"), &[("content-type", "application/json")], body.as_bytes()).await;
    let v = serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, v)
}

/// A running `s3strict` process and the address it printed.
pub struct Proc {
    pub child: Child,
    pub addr: SocketAddr,
    /// The startup lines: `listening on …`, `console on …` (or `console off …`), the region and key.
    pub first_lines: Vec<String>,
}

impl Proc {
    pub fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3strict"));
        cmd.args(args).stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Proc::spawn_cmd(cmd)
    }

    /// Runs the binary with its stderr (the log) to `log`.
    pub fn spawn_logged(args: &[&str], envs: &[(&str, &str)], log: &std::path::Path) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3strict"));
        cmd.args(args).stderr(std::fs::File::create(log).unwrap());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Proc::spawn_cmd(cmd)
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.child.wait().unwrap()
    }

    /// Runs the binary under `ulimit -n` settings (`-Sn 64`, `-n 48`), its stderr to `log`.
    pub fn spawn_limited(ulimit: &str, args: &[&str], log: &std::path::Path) -> Proc {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit {ulimit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_s3strict"))
            .args(args)
            .stderr(std::fs::File::create(log).unwrap());
        Proc::spawn_cmd(cmd)
    }

    pub fn spawn_cmd(mut cmd: Command) -> Proc {
        cmd.stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn s3strict");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first_lines = Vec::new();
        for _ in 0..3 {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            first_lines.push(line.trim_end().to_string());
        }
        let addr = first_lines[0].strip_prefix("listening on http://").expect("startup line").parse().unwrap();
        Proc { child, addr, first_lines }
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User plus system CPU time of process `pid`, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}
