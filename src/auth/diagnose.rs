//! Why a signature did not match: the known presigner mistakes, tried on the server's side only
//! to explain a refusal, never to accept a request. A mismatch stays S3's `SignatureDoesNotMatch`
//! with S3's own elements; the cause found here goes into one extra element, a response header,
//! the auth log and `check-url`. That a request was signed with another identity's secret is told
//! only where an administrator looks (auth log, console, `check-url`); the caller gets the answer
//! of an unexplained mismatch: see [`Cause`].
//!
//! Each candidate redoes the signature as the mistaken presigner would have computed it (another
//! host, another key encoding, a parameter it did not see, another secret…) and compares it with
//! the signature sent; the first that matches is the cause. Two mistakes at once are not tried.
//! The search costs about a millisecond, so it is rate-limited: an unauthenticated client cannot
//! buy server time with bad signatures.

use std::sync::Mutex;
use std::time::Instant;

use super::canonical::{
    canonical_headers, canonical_query, canonical_request, percent_decode, scope, sign, signatures_equal, signing_key,
    string_to_sign, uri_encode, EMPTY_SHA256,
};
use super::canonical_v2;
use super::log::AuthTrace;
use super::types::AuthConfig;
use crate::error::S3Error;

/// Why a signature did not match, as the client is told it and, when that must say less, as an
/// administrator reads it. That a request was signed with another identity's secret is for the
/// administrator only (auth log, console, `check-url`): the client is told exactly what it is told
/// when nothing explains the mismatch ([`UNEXPLAINED`]). Told anything else — even only "a secret
/// of this server" — a mismatch would be an oracle: sign with a guessed secret under any known key
/// and read whether the guess is some identity's real secret. A well-known published default
/// (the AWS documentation's example, `minioadmin`) is no one's secret, and is named to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub told: String,
    pub admin: Option<String>,
}

impl From<String> for Cause {
    fn from(told: String) -> Cause {
        Cause { told, admin: None }
    }
}

impl Cause {
    /// Puts the cause where each reader finds it: what the client is told on `error`, the
    /// administrator's version in `trace` (the auth log).
    pub fn attach(self, error: &mut S3Error, trace: &mut AuthTrace) {
        error.cause = Some(self.told);
        trace.admin_cause = self.admin;
    }
}

/// Whose a secret other than the signer's is.
#[derive(Debug, Clone)]
pub(super) enum Whose {
    /// Another identity of this server: its access key.
    Identity(String),
    /// A secret from documentation or a tool's defaults, described.
    WellKnown(&'static str),
}

/// The cause for a request signed with `whose` secret instead of `access_key`'s.
fn another_secret(access_key: &str, whose: &Whose) -> Cause {
    let said = |whose: &str| {
        format!("the request is what was signed, but with another secret key than {access_key}'s: {whose}")
    };
    match whose {
        Whose::Identity(other) => {
            Cause { told: UNEXPLAINED.to_string(), admin: Some(said(&format!("the secret of access key {other}"))) }
        }
        Whose::WellKnown(what) => said(what).into(),
    }
}

/// What is said when no known mistake explains a mismatch.
pub const UNEXPLAINED: &str = "no known presigner mistake explains the mismatch (a different secret key, or a request changed in transit in a way not tried); compare what the server computed (CanonicalRequest, or StringToSign for SigV2, FormatString for COS) with your presigner's, e.g. with s3strict check-url --canonical-request; reordering query parameters is never a cause";

/// At most this many searches per second; past it a mismatch is not explained.
const SEARCHES_PER_SECOND: u32 = 50;

static BUDGET: Mutex<Option<(Instant, u32)>> = Mutex::new(None);

/// Whether a search may run now.
pub(super) fn allowed() -> bool {
    let Ok(mut b) = BUDGET.lock() else { return false };
    let now = Instant::now();
    match b.as_mut() {
        Some((start, n)) if now.duration_since(*start).as_secs() < 1 => {
            *n += 1;
            *n <= SEARCHES_PER_SECOND
        }
        _ => {
            *b = Some((now, 1));
            true
        }
    }
}

/// Everything one SigV4 signature is computed over.
#[derive(Debug, Clone)]
pub struct Signing {
    pub method: String,
    pub uri: String,
    pub query: String,
    /// Signed headers and their canonical values, in the order of `signed_headers`.
    pub headers: Vec<(String, Vec<String>)>,
    pub signed_headers: String,
    pub payload: String,
    pub amz_date: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

impl Signing {
    pub fn canonical_request(&self) -> String {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let block = canonical_headers(&names, |n| {
            self.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.iter().map(String::as_str).collect())
                .unwrap_or_default()
        });
        canonical_request(&self.method, &self.uri, &self.query, &block, &self.signed_headers, &self.payload)
    }

    pub fn string_to_sign(&self, canonical_request: &str) -> String {
        string_to_sign(&self.amz_date, &scope(&self.date, &self.region, &self.service), canonical_request)
    }

    fn signature(&self, secret: &str) -> String {
        let key = signing_key(secret, &self.date, &self.region, &self.service);
        sign(&key, &self.string_to_sign(&self.canonical_request()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.first()).map(String::as_str)
    }

    fn with_header(&self, name: &str, value: &str) -> Signing {
        let mut s = self.clone();
        if let Some(h) = s.headers.iter_mut().find(|(n, _)| n == name) {
            h.1 = vec![value.to_string()];
        }
        s
    }
}

/// What the search knows of the request besides the signing inputs.
pub struct Request<'a> {
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub access_key: &'a str,
    pub provided: &'a str,
    /// Whether the signature is in the query string (a presigned URL).
    pub presigned: bool,
}

/// Candidate host names and ports a URL may have been signed for.
const HOST_NAMES: [&str; 9] = [
    "localhost",
    "127.0.0.1",
    "[::1]",
    "0.0.0.0",
    "host.docker.internal",
    "minio",
    "s3",
    "localstack",
    "s3.amazonaws.com",
];
pub(super) const HOST_PORTS: [&str; 13] =
    ["80", "443", "9000", "9001", "4566", "8000", "8080", "8333", "3900", "7480", "9090", "10000", "3000"];
/// Path prefixes reverse proxies commonly add or strip.
const PROXY_PREFIXES: [&str; 5] = ["/s3", "/minio", "/storage", "/api", "/proxy"];
/// Query parameters SDKs sign and a proxy or hand-written code may drop.
const SDK_PARAMS: [(&str, &str); 9] = [
    ("x-id", "GetObject"),
    ("x-id", "PutObject"),
    ("x-id", "HeadObject"),
    ("x-id", "DeleteObject"),
    ("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"),
    ("x-amz-checksum-mode", "ENABLED"),
    ("x-amz-checksum-crc32", "AAAAAA=="),
    ("x-amz-sdk-checksum-algorithm", "CRC32"),
    ("x-amz-user-agent", ""),
];
/// Characters S3 encodes in paths that presigners get wrong, one at a time.
const RESERVED: [char; 12] = ['=', ':', '$', '!', '\'', '(', ')', '*', '@', ',', ';', '&'];
const CANNED_ACLS: [&str; 7] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];
/// Secrets that tutorials and tools use as defaults.
const WELL_KNOWN_SECRETS: [(&str, &str); 6] = [
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the AWS documentation's example secret"),
    ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "the AWS SigV4 test suite's example secret (with '+')"),
    ("minioadmin", "MinIO's default secret"),
    ("test", "LocalStack's default secret"),
    ("secret", "the secret 'secret'"),
    ("password", "the secret 'password'"),
];

/// Searches the known mistakes; the cause of the first that reproduces the signature sent.
pub fn sigv4(cfg: &AuthConfig, computed: &Signing, r: &Request<'_>) -> Option<Cause> {
    let secret = cfg.credentials.secret(r.access_key)?;
    let provided = r.provided.to_ascii_lowercase();
    let matches = |s: &Signing| signatures_equal(&s.signature(&secret), &provided);
    let found = method(computed, &matches)
        .or_else(|| host(cfg, computed, &matches))
        .or_else(|| path(computed, r, &matches))
        .or_else(|| query(computed, r, &matches))
        .or_else(|| payload(computed, r, &matches))
        .or_else(|| headers(computed, &matches))
        .or_else(|| time(computed, &matches))
        .or_else(|| region(computed, &matches));
    if found.is_some() {
        return found.map(Cause::from);
    }
    signed_with(other_secrets(cfg, r.access_key), |other| signatures_equal(&computed.signature(other), &provided))
        .map(|whose| another_secret(r.access_key, &whose))
}

/// Whose of `secrets` `signed` recognises, trying every one: the search costs the same whether a
/// guessed secret is some identity's or no one's, so its time tells a caller nothing either.
fn signed_with(secrets: Vec<(String, Whose)>, signed: impl Fn(&str) -> bool) -> Option<Whose> {
    secrets.into_iter().fold(None, |found, (secret, whose)| {
        let hit = signed(&secret);
        found.or(hit.then_some(whose))
    })
}

/// Other identities' secrets and the well-known example ones.
pub(super) fn other_secrets(cfg: &AuthConfig, access_key: &str) -> Vec<(String, Whose)> {
    let mut out: Vec<(String, Whose)> = cfg
        .credentials
        .iam()
        .key_pairs()
        .into_iter()
        .filter(|(ak, _)| ak != access_key)
        .map(|(ak, sk)| (sk, Whose::Identity(ak)))
        .collect();
    out.extend(WELL_KNOWN_SECRETS.iter().map(|(s, w)| (s.to_string(), Whose::WellKnown(w))));
    out
}

fn method(c: &Signing, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    ["GET", "PUT", "HEAD", "DELETE", "POST"].into_iter().filter(|m| *m != c.method).find_map(|m| {
        let s = Signing { method: m.to_string(), ..c.clone() };
        matches(&s).then(|| format!("the URL was signed for {m} and used for {}", c.method))
    })
}

/// `host:port` split; the port without its colon.
fn split_host(host: &str) -> (&str, Option<&str>) {
    if let Some(end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        let (name, rest) = host.split_at(end + 2);
        return (name, rest.strip_prefix(':'));
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (name, Some(port)),
        _ => (host, None),
    }
}

fn host(cfg: &AuthConfig, c: &Signing, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    let received = c.header("host")?.to_string();
    let (name, port) = split_host(&received);
    let mut names: Vec<String> = vec![name.to_string()];
    names.extend(HOST_NAMES.iter().map(|s| s.to_string()));
    names.push(format!("s3.{}.amazonaws.com", cfg.region));
    if let Some(d) = &cfg.domain {
        names.push(d.clone());
    }
    let mut ports: Vec<Option<String>> = vec![None];
    ports.extend(port.map(|p| Some(p.to_string())));
    ports.extend(HOST_PORTS.iter().map(|p| Some(p.to_string())));
    for n in &names {
        for p in &ports {
            let candidate = match p {
                Some(p) => format!("{n}:{p}"),
                None => n.clone(),
            };
            if candidate == received {
                continue;
            }
            if matches(&c.with_header("host", &candidate)) {
                return Some(format!("the URL was signed for host {candidate}, received {received}"));
            }
        }
    }
    // Path-style rewritten to virtual-hosted, or back.
    let segments: Vec<&str> = c.uri.trim_start_matches('/').splitn(2, '/').collect();
    let mut domains = vec![name.to_string(), "s3.amazonaws.com".to_string()];
    domains.extend(cfg.domain.iter().cloned());
    if let [bucket, rest] = segments.as_slice() {
        for n in &domains {
            for p in [None, port] {
                let host = match p {
                    Some(p) => format!("{bucket}.{n}:{p}"),
                    None => format!("{bucket}.{n}"),
                };
                let s = Signing { uri: format!("/{rest}"), ..c.with_header("host", &host) };
                if matches(&s) {
                    return Some(format!(
                        "the URL was signed virtual-hosted style for {host}/{rest} and sent path-style to {received}{}",
                        c.uri
                    ));
                }
            }
        }
    }
    if let Some((bucket, domain)) = name.split_once('.') {
        let mut hosts: Vec<String> = vec![domain.to_string()];
        hosts.extend(HOST_NAMES.iter().map(|s| s.to_string()));
        for h in &hosts {
            for p in [port, None] {
                let host = match p {
                    Some(p) => format!("{h}:{p}"),
                    None => h.clone(),
                };
                let s = Signing { uri: format!("/{bucket}{}", c.uri), ..c.with_header("host", &host) };
                if matches(&s) {
                    return Some(format!(
                        "the URL was signed path-style for {host}/{bucket}{} and sent virtual-hosted to {received}",
                        c.uri
                    ));
                }
            }
        }
    }
    None
}

/// The canonical URI with the bytes of the decoded path changed by `f`.
fn reencoded(raw_path: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> String {
    uri_encode(&f(&percent_decode(raw_path)), false)
}

fn path(c: &Signing, r: &Request<'_>, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    let raw = r.raw_path;
    let decoded = percent_decode(raw);
    let try_uri = |uri: String| matches(&Signing { uri, ..c.clone() });
    if decoded.contains(&b'+')
        && try_uri(reencoded(raw, |b| b.iter().map(|&c| if c == b'+' { b' ' } else { c }).collect()))
    {
        return Some("the key was signed with a space where the URL has '+': S3 reads '+' in a path literally; send a space as %20 and a plus as %2B".into());
    }
    if decoded.contains(&b' ')
        && try_uri(reencoded(raw, |b| b.iter().map(|&c| if c == b' ' { b'+' } else { c }).collect()))
    {
        return Some(
            "the key was signed with '+' where the URL has a space (%20): encode a '+' in a key as %2B".into(),
        );
    }
    if raw.contains('%') && try_uri(uri_encode(raw.as_bytes(), false)) {
        return Some("the presigner encoded the path twice in its canonical request (%2B became %252B)".into());
    }
    if raw.contains("%25") {
        let once = String::from_utf8_lossy(&decoded).into_owned();
        if try_uri(reencoded(&once, |b| b.to_vec())) {
            return Some("the URL was encoded again after signing (%2B became %252B): send the presigned URL exactly as it was made".into());
        }
    }
    if raw != c.uri && try_uri(raw.to_string()) {
        return Some("the presigner put the path into the canonical request as sent instead of decoding and re-encoding each byte as S3 does".into());
    }
    let lower = lowercase_escapes(&c.uri);
    if lower != c.uri && try_uri(lower) {
        return Some("the presigner wrote lowercase percent-escapes in the path (%2b); S3's canonical request uses uppercase (%2B)".into());
    }
    for ch in RESERVED {
        let escaped = format!("%{:02X}", ch as u32);
        if c.uri.contains(&escaped) && try_uri(c.uri.replace(&escaped, &ch.to_string())) {
            return Some(format!("the presigner left '{ch}' unencoded in the path; S3 encodes it as {escaped}"));
        }
    }
    let all_raw =
        RESERVED.iter().fold(c.uri.clone(), |u, ch| u.replace(&format!("%{:02X}", *ch as u32), &ch.to_string()));
    if all_raw != c.uri && try_uri(all_raw) {
        return Some(
            "the presigner left reserved characters (= : $ ! ' ( ) * @ , ; &) unencoded in the path; S3 encodes them"
                .into(),
        );
    }
    if c.uri.contains('~') && try_uri(c.uri.replace('~', "%7E")) {
        return Some("the presigner encoded '~' as %7E in the path; S3 leaves '~' as it is".into());
    }
    if c.uri.len() > 1 && c.uri.ends_with('/') && try_uri(c.uri.trim_end_matches('/').to_string()) {
        return Some("the key was signed without the trailing slash the URL has".into());
    }
    if !c.uri.ends_with('/') && try_uri(format!("{}/", c.uri)) {
        return Some("the key was signed with a trailing slash the URL does not have".into());
    }
    if c.uri.contains("//") {
        let mut collapsed = c.uri.clone();
        while collapsed.contains("//") {
            collapsed = collapsed.replace("//", "/");
        }
        if try_uri(collapsed) {
            return Some("the presigner collapsed '//' in the key; S3 keeps every slash".into());
        }
    }
    // A proxy prefix added to the path after signing, or removed.
    let trimmed = c.uri.trim_start_matches('/');
    if let Some((first, rest)) = trimmed.split_once('/') {
        if !rest.is_empty() && try_uri(format!("/{rest}")) {
            return Some(format!(
                "the path was signed without its first segment /{first}: a proxy added that prefix after signing"
            ));
        }
    }
    PROXY_PREFIXES.into_iter().find_map(|p| {
        try_uri(format!("{p}{}", c.uri)).then(|| {
            format!("the path was signed with the prefix {p}, which a proxy removed before the request arrived")
        })
    })
}

fn lowercase_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        out.push(ch);
        if ch == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

/// The raw query's `name=value` pieces, without the signature itself.
fn pieces(raw_query: &str) -> Vec<&str> {
    raw_query.split('&').filter(|p| !p.is_empty()).filter(|p| !p.starts_with("X-Amz-Signature=")).collect()
}

fn query(c: &Signing, r: &Request<'_>, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    let all = pieces(r.raw_query);
    let try_query = |q: String| matches(&Signing { query: canonical_query(&q), ..c.clone() });
    let auth_param = |p: &str| {
        (p.starts_with("X-Amz-") && !p.starts_with("X-Amz-Content-Sha256")) || p.starts_with("x-amz-security-token")
    };
    for (i, p) in all.iter().enumerate() {
        if r.presigned && auth_param(p) {
            continue;
        }
        let rest: Vec<&str> = all.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| *p).collect();
        if try_query(rest.join("&")) {
            let name = p.split('=').next().unwrap_or(p);
            let name = String::from_utf8_lossy(&percent_decode(name)).into_owned();
            return Some(format!("the query parameter {name} was added after signing"));
        }
    }
    for (name, value) in SDK_PARAMS {
        if all.iter().any(|p| p.split('=').next() == Some(name)) {
            continue;
        }
        let mut with = all.clone();
        let piece = format!("{name}={}", uri_encode(value.as_bytes(), true));
        with.push(&piece);
        if try_query(with.join("&")) {
            return Some(format!("the signed query parameter {name}={value} was removed from the URL"));
        }
    }
    if r.raw_query.contains('+') && try_query(r.raw_query.replace('+', "%20")) {
        return Some(
            "a '+' in the query was meant as a space (form encoding); S3 reads '+' literally: send a space as %20"
                .into(),
        );
    }
    let spaces = c.query.replace("%20", "+");
    if spaces != c.query && matches(&Signing { query: spaces, ..c.clone() }) {
        return Some("the presigner encoded spaces in the query as '+' in its canonical request; S3 uses %20".into());
    }
    let lower = lowercase_escapes(&c.query);
    if lower != c.query && matches(&Signing { query: lower, ..c.clone() }) {
        return Some(
            "the presigner wrote lowercase percent-escapes in the query; S3's canonical request uses uppercase".into(),
        );
    }
    None
}

fn headers(c: &Signing, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    // The list unsorted, the signature over the sorted list.
    let mut sorted = c.headers.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    if sorted.iter().map(|(n, _)| n).ne(c.headers.iter().map(|(n, _)| n)) {
        let list = sorted.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
        let s = Signing { headers: sorted, signed_headers: list.clone(), ..c.clone() };
        if matches(&s) {
            return Some(format!(
                "X-Amz-SignedHeaders lists the headers unsorted ({}) while the signature was computed over the sorted list ({list}); S3 uses the list as given, so it must be sorted (older AWS SDK for PHP versions do this with two or more x-amz-* headers)",
                c.signed_headers
            ));
        }
    }
    for (name, values) in &c.headers {
        if name == "host" {
            continue;
        }
        let sent = values.first().cloned().unwrap_or_default();
        let missing = values.is_empty() || (values.len() == 1 && sent.is_empty());
        for candidate in header_candidates(name, &sent) {
            if candidate == sent {
                continue;
            }
            if matches(&c.with_header(name, &candidate)) {
                return Some(if missing {
                    format!("the signed header {name} was not sent; it was signed as {candidate:?}")
                } else {
                    format!("the header {name} was signed as {candidate:?} but sent as {sent:?}")
                });
            }
        }
        if missing {
            return Some(format!("the signed header {name} was not sent"));
        }
    }
    None
}

/// Values a header is commonly signed with when the request sends another.
pub(super) fn header_candidates(name: &str, sent: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    match name {
        "content-type" => {
            let bare = sent.split(';').next().unwrap_or("").trim().to_string();
            for v in [
                bare.clone(),
                format!("{bare}; charset=utf-8"),
                format!("{bare};charset=UTF-8"),
                format!("{bare}; charset=UTF-8"),
                "application/octet-stream".into(),
                "binary/octet-stream".into(),
                "text/plain".into(),
                "application/x-www-form-urlencoded".into(),
                "multipart/form-data".into(),
            ] {
                out.push(v);
            }
        }
        "x-amz-acl" => out.extend(CANNED_ACLS.iter().map(|s| s.to_string())),
        "content-md5" => out.push("1B2M2Y8AsgTpgAmY7PhCfg==".into()),
        "x-amz-checksum-crc32" | "x-amz-checksum-crc32c" => out.push("AAAAAA==".into()),
        "x-amz-checksum-crc64nvme" => out.push("AAAAAAAAAAA=".into()),
        "x-amz-checksum-sha256" => out.push("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
        _ => {}
    }
    // Header bytes signed as UTF-8 text and received as ISO-8859-1 (or the reverse).
    if !sent.is_ascii() {
        let bytes: Vec<u8> = sent.chars().map(|ch| ch as u32 as u8).collect();
        if let Ok(utf8) = String::from_utf8(bytes) {
            out.push(utf8);
        }
        out.push(sent.bytes().map(char::from).collect::<String>());
    }
    out
}

fn payload(c: &Signing, r: &Request<'_>, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    if r.presigned {
        return presigned_payload(c, r, matches);
    }
    let candidates = ["UNSIGNED-PAYLOAD", EMPTY_SHA256, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"];
    candidates.into_iter().filter(|p| *p != c.payload).find_map(|p| {
        // Header auth signs the value as a header too.
        let base = if c.header("x-amz-content-sha256").is_some() {
            c.with_header("x-amz-content-sha256", p)
        } else {
            c.clone()
        };
        matches(&Signing { payload: p.to_string(), ..base })
            .then(|| format!("the signature covers x-amz-content-sha256 {p}, but the header says {}", c.payload))
    })
}

/// A presigned URL is signed over its `x-amz-content-sha256` header, or `UNSIGNED-PAYLOAD` without
/// one (see `presigned::payload_hash`); presigners that signed the hash of an
/// `X-Amz-Content-Sha256` query parameter, or `UNSIGNED-PAYLOAD` beside a header, do not match.
fn presigned_payload(c: &Signing, r: &Request<'_>, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    let in_query = pieces(r.raw_query).into_iter().find_map(|p| {
        let (name, value) = p.split_once('=')?;
        (percent_decode(name) == b"X-Amz-Content-Sha256")
            .then(|| String::from_utf8_lossy(&percent_decode(value)).into_owned())
    });
    let said = if c.payload == "UNSIGNED-PAYLOAD" {
        "a presigned URL sent without an x-amz-content-sha256 header is signed over UNSIGNED-PAYLOAD".to_string()
    } else {
        format!("the x-amz-content-sha256 header says {}", c.payload)
    };
    if let Some(p) = in_query.filter(|p| *p != c.payload) {
        if matches(&Signing { payload: p.clone(), ..c.clone() }) {
            return Some(format!("the signature covers the payload hash {p} of the X-Amz-Content-Sha256 query parameter, but S3 takes a presigned URL's payload hash from an x-amz-content-sha256 header only, and {said}: send the hash in that header"));
        }
    }
    ["UNSIGNED-PAYLOAD", EMPTY_SHA256, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"]
        .into_iter()
        .filter(|p| *p != c.payload)
        .find_map(|p| {
            matches(&Signing { payload: p.to_string(), ..c.clone() })
                .then(|| format!("the signature covers the payload hash {p}, but {said}"))
        })
}

fn time(c: &Signing, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    let t = chrono::NaiveDateTime::parse_from_str(&c.amz_date, "%Y%m%dT%H%M%SZ").ok()?;
    let mut offsets: Vec<i64> = (1..=14).flat_map(|h| [h * 3600, -h * 3600]).collect();
    offsets.extend([1, -1, 1800, -1800]);
    offsets.into_iter().find_map(|secs| {
        let other = (t + chrono::Duration::seconds(secs)).format("%Y%m%dT%H%M%SZ").to_string();
        // The signed x-amz-date header, if any, carried the same time.
        let base = if c.header("x-amz-date").is_some() { c.with_header("x-amz-date", &other) } else { c.clone() };
        let s = Signing { amz_date: other.clone(), ..base };
        matches(&s).then(|| {
            format!(
                "the string to sign used the time {other}, {} from the request's {} (a local-time clock instead of UTC?)",
                describe_offset(secs),
                c.amz_date
            )
        })
    })
}

/// Regions a presigner may have signed for while the credential names another.
const REGIONS: [&str; 10] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "auto",
    "",
];

fn region(c: &Signing, matches: &dyn Fn(&Signing) -> bool) -> Option<String> {
    REGIONS.into_iter().filter(|r| *r != c.region).find_map(|r| {
        matches(&Signing { region: r.to_string(), ..c.clone() }).then(|| {
            format!("the signature was computed for region {r:?} while the credential scope says {:?}", c.region)
        })
    })
}

fn describe_offset(secs: i64) -> String {
    let (sign, secs) = if secs < 0 { ("-", -secs) } else { ("+", secs) };
    if secs % 3600 == 0 {
        format!("{sign}{} h", secs / 3600)
    } else if secs % 60 == 0 {
        format!("{sign}{} min", secs / 60)
    } else {
        format!("{sign}{secs} s")
    }
}

/// Everything one SigV2 signature is computed over.
#[derive(Debug, Clone)]
pub struct V2Signing {
    pub method: String,
    pub content_md5: String,
    pub content_type: String,
    pub date_or_expires: String,
    pub amz: Vec<(String, String)>,
    pub resource: String,
}

impl V2Signing {
    pub fn string_to_sign(&self) -> String {
        canonical_v2::string_to_sign(
            &self.method,
            &self.content_md5,
            &self.content_type,
            &self.date_or_expires,
            &self.amz,
            &self.resource,
        )
    }
}

/// The SigV2 mistakes: method, Content-Type and Content-MD5, the bucket in the resource
/// (virtual-hosted versus path-style), a proxy prefix, key encoding, another secret.
pub fn sigv2(cfg: &AuthConfig, computed: &V2Signing, access_key: &str, provided: &str, host: &str) -> Option<Cause> {
    let secret = cfg.credentials.secret(access_key)?;
    if let Some(found) = sigv2_mistake(computed, &secret, provided, host) {
        return Some(found.into());
    }
    let sts = computed.string_to_sign();
    signed_with(other_secrets(cfg, access_key), |other| signatures_equal(&canonical_v2::sign(other, &sts), provided))
        .map(|whose| another_secret(access_key, &whose))
}

/// The SigV2 mistakes made with the signer's own secret.
fn sigv2_mistake(computed: &V2Signing, secret: &str, provided: &str, host: &str) -> Option<String> {
    let matches = |s: &V2Signing| signatures_equal(&canonical_v2::sign(secret, &s.string_to_sign()), provided);
    let c = computed;
    for m in ["GET", "PUT", "HEAD", "DELETE", "POST"] {
        if m != c.method && matches(&V2Signing { method: m.into(), ..c.clone() }) {
            return Some(format!("the URL was signed for {m} and used for {}", c.method));
        }
    }
    for candidate in header_candidates("content-type", &c.content_type) {
        if candidate != c.content_type && matches(&V2Signing { content_type: candidate.clone(), ..c.clone() }) {
            return Some(if c.content_type.is_empty() {
                format!("the signed Content-Type {candidate:?} was not sent")
            } else {
                format!("the header content-type was signed as {candidate:?} but sent as {:?}", c.content_type)
            });
        }
    }
    for candidate in header_candidates("content-md5", &c.content_md5) {
        if candidate != c.content_md5 && matches(&V2Signing { content_md5: candidate.clone(), ..c.clone() }) {
            return Some(format!("Content-MD5 was signed as {candidate:?} but sent as {:?}", c.content_md5));
        }
    }
    let (path, subresources) = match c.resource.split_once('?') {
        Some((p, q)) => (p.to_string(), format!("?{q}")),
        None => (c.resource.clone(), String::new()),
    };
    let with_path = |p: String| V2Signing { resource: format!("{p}{subresources}"), ..c.clone() };
    // The bucket from a virtual host name, signed as if path-style; or the reverse.
    let name = split_host(host).0;
    if let Some((bucket, _)) = name.split_once('.') {
        // A one-segment path was read as a bucket and given its slash (`/k` → `/k/`); as a key
        // under a virtual-hosted bucket it has none.
        let sent = match path.strip_suffix('/') {
            Some(p) if p.len() > 1 && !p[1..].contains('/') => p.to_string(),
            _ => path.clone(),
        };
        if !path.starts_with(&format!("/{bucket}/")) && matches(&with_path(format!("/{bucket}{sent}"))) {
            let path = sent;
            return Some(format!("the string to sign names bucket {bucket} in the resource (virtual-hosted); the request was sent to {host}{path}"));
        }
    }
    let trimmed = path.trim_start_matches('/');
    if let Some((first, rest)) = trimmed.split_once('/') {
        if matches(&with_path(format!("/{rest}"))) {
            return Some(format!("the resource was signed without its first segment /{first}: the bucket in the host name, or a prefix a proxy added"));
        }
    }
    for p in PROXY_PREFIXES {
        if matches(&with_path(format!("{p}{path}"))) {
            return Some(format!("the resource was signed with the prefix {p}, which a proxy removed"));
        }
    }
    for (from, to, cause) in [
        ("+", "%20", "the key was signed with %20 where the URL has '+' (SigV2 signs the path as sent)"),
        ("%20", "+", "the key was signed with '+' where the URL has %20 (SigV2 signs the path as sent)"),
        ("%2B", "+", "the key was signed with a raw '+' where the URL has %2B (SigV2 signs the path as sent)"),
    ] {
        if path.contains(from) && matches(&with_path(path.replace(from, to))) {
            return Some(cause.into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_escapes() {
        assert_eq!(split_host("minio:9000"), ("minio", Some("9000")));
        assert_eq!(split_host("[::1]:9000"), ("[::1]", Some("9000")));
        assert_eq!(split_host("s3.amazonaws.com"), ("s3.amazonaws.com", None));
        assert_eq!(lowercase_escapes("/a%2Bb%C3%A9"), "/a%2bb%c3%a9");
        assert_eq!(describe_offset(-7200), "-2 h");
    }

    #[test]
    fn the_budget_runs_out() {
        let granted = (0..200).filter(|_| allowed()).count();
        assert!(granted <= SEARCHES_PER_SECOND as usize + 1, "{granted}");
    }
}
