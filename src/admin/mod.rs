//! The server's own endpoints under `/_s3strict/` (never a valid bucket name, since `_` cannot
//! start one): `health`, `ready`, `clock`, `auth-log`, `sessions`, `users` (module `users`), `reset`,
//! on both listeners; and who may use them and the console ([`gatekeep`]).
//!
//! - Open on a loopback listener; on any other address they require `Authorization: Bearer
//!   <admin token>` or, on the console's listener, the console's session cookie. Wrong tokens are
//!   slowed per client ([`Backoff`](crate::gate::Backoff)) and, across all clients, limited to a
//!   few a second ([`GuessRate`](crate::gate::GuessRate)): `429` with `Retry-After` while one waits.
//! - Without a token a request must name this server in `Host` (its address, `localhost`, or the
//!   configured domain), which defeats DNS rebinding.
//! - A state-changing request must be JSON (`Content-Type: application/json`, which another
//!   site's page can only send after a CORS preflight that is never granted).
//! - On the S3 port every object is served as S3 serves it, HTML as HTML, so a page there runs on
//!   the S3 origin: "same-origin" means nothing there. Every endpoint but `health` and `ready`
//!   refuses any request a browser marks as made by a page (`Sec-Fetch-Site`, `Origin`); curl,
//!   SDKs and test code send neither. Browsers use the console's own origin, where object bytes
//!   are never a live page and requests from other origins are refused. Browsers mark requests
//!   only to names they hold secure (`localhost`, loopback addresses), so on the S3 port a request
//!   without the token must be addressed to one of those ([`Refusal::UnmarkedHost`]).
//! - Their answers are never cached (`Cache-Control: no-store`, set by the server for every
//!   `/_s3strict/` answer): a page on the S3 port could read the browser's cache of its origin.

mod users;

use std::net::SocketAddr;
use std::time::Duration;

use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::Deserialize;

use crate::access::PeerAddr;
use crate::auth::clock::{iso8601, ClockSetting};
use crate::body::{Body, ReqBody};
use crate::gate::Listener;
use crate::iam::{Holder, MAX_SESSION_SECS};
use crate::jsonapi::{error, json, read_body};
use crate::state::AppState;

/// The path prefix of the admin endpoints.
pub const PREFIX: &str = "/_s3strict";

/// Where the console's page is on its listener.
pub const CONSOLE_PAGE: &str = "/_s3strict/console/";

/// What `PUT /_s3strict/clock` takes, for its error messages.
const CLOCK_FORMS: &str = r#"send one of {"offset_seconds": 3600}, {"frozen_at": "2026-01-01T00:00:00Z"} (RFC 3339, with a time and a zone) or {"real": true}"#;

/// Reads a clock change (`PUT /_s3strict/clock`); the message names what was expected.
fn parse_clock_change(body: &[u8]) -> Result<ClockSetting, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e}); {CLOCK_FORMS}"))?;
    let Some(fields) = value.as_object() else {
        return Err(format!("the body must be a JSON object; {CLOCK_FORMS}"));
    };
    if let Some(unknown) = fields.keys().find(|k| !matches!(k.as_str(), "offset_seconds" | "frozen_at" | "real")) {
        return Err(format!("unknown field {unknown:?}; {CLOCK_FORMS}"));
    }
    if fields.len() != 1 {
        return Err(format!("give exactly one of offset_seconds, frozen_at or real: true; {CLOCK_FORMS}"));
    }
    if let Some(v) = fields.get("offset_seconds") {
        return v
            .as_i64()
            .map(ClockSetting::Offset)
            .ok_or_else(|| format!("offset_seconds must be a whole number of seconds (may be negative), got {v}"));
    }
    if let Some(v) = fields.get("frozen_at") {
        let text = v.as_str().ok_or_else(|| format!("frozen_at must be a string, got {v}; {CLOCK_FORMS}"))?;
        return chrono::DateTime::parse_from_rfc3339(text).map(|t| ClockSetting::Frozen(t.to_utc())).map_err(|e| {
            format!("frozen_at {text:?} is not an RFC 3339 instant ({e}): write it like \"2026-01-01T00:00:00Z\"")
        });
    }
    match fields.get("real") {
        Some(serde_json::Value::Bool(true)) => Ok(ClockSetting::Real),
        _ => Err(format!("real must be true; {CLOCK_FORMS}")),
    }
}

/// The admin endpoints (other than the console and users) and the methods each takes.
const ENDPOINTS: &[(&str, &str)] = &[
    ("/health", "GET, HEAD"),
    ("/ready", "GET, HEAD"),
    ("/clock", "GET, PUT"),
    ("/auth-log", "GET, DELETE"),
    ("/sessions", "POST"),
    ("/reset", "POST"),
];

/// 405 for a known endpoint asked with a method it does not take, with `Allow`; `None` otherwise.
fn method_not_allowed(path: &str, method: &Method) -> Option<Response<Body>> {
    let (_, allow) = ENDPOINTS.iter().find(|(p, _)| *p == path)?;
    if allow.split(", ").any(|m| m == method.as_str()) {
        return None;
    }
    let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, &format!("{PREFIX}{path} takes {allow}, not {method}"));
    resp.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    Some(resp)
}

/// `health` (the process answers) and `ready` (the store is open, identities loaded: the server
/// does not listen before) are open to every client on every address, so that container and
/// orchestrator probes need no token; they tell nothing but that.
fn probe(req: &Request<ReqBody>, path: &str) -> Option<Response<Body>> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let resp = match path {
        "/health" => json(StatusCode::OK, serde_json::json!({ "status": "ok" })),
        "/ready" => json(StatusCode::OK, serde_json::json!({ "ready": true })),
        _ => return None,
    };
    Some(resp)
}

/// A request for temporary credentials (`POST /_s3strict/sessions`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    duration_seconds: Option<i64>,
}

fn clock_json(state: &AppState) -> serde_json::Value {
    let setting = state.auth.clock.setting();
    let (mode, offset, frozen) = match setting {
        ClockSetting::Real => ("real", 0, None),
        ClockSetting::Offset(s) => ("offset", s, None),
        ClockSetting::Frozen(at) => ("frozen", 0, Some(iso8601(at))),
    };
    serde_json::json!({ "mode": mode, "offset_seconds": offset, "frozen_at": frozen, "now": iso8601(state.auth.clock.now()) })
}

/// How a request may use the admin endpoints and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// With the admin token.
    Token,
    /// With a console session cookie (console listener only).
    Cookie,
    /// On a loopback listener, without a token.
    Loopback,
    Refused,
}

/// The address `listener` is bound to.
pub fn listener_addr(state: &AppState, listener: Listener) -> SocketAddr {
    match listener {
        Listener::S3 => state.config.addr,
        // The console listener exists only when bound; its address then is in the config.
        Listener::Console => state.config.console_addr.bound().unwrap_or(state.config.addr),
    }
}

/// The name of the console's session cookie: the port is part of it because browsers do not
/// keep cookies apart by port, and several servers (each with a console) often run side by side.
pub fn cookie_name(state: &AppState) -> String {
    let port = state.config.console_addr.bound().map_or(0, |a| a.port());
    format!("s3strict_console_{port}")
}

/// The most cookies of the console's name looked at in one request (a browser sends one per
/// path it was set for; more is someone's doing).
const MAX_SESSION_COOKIES: usize = 16;

/// The console session ids the request's cookies of the console's name carry, in the order sent.
/// There may be several: cookies ignore ports, so any page on the S3 port (an object) can set a
/// cookie of that name for this host, with a longer path that browsers send first; the server
/// looks at each ([`live_session`]), so such a cookie cannot hide the real one.
pub fn session_cookies(state: &AppState, req: &Request<ReqBody>) -> Vec<String> {
    let name = cookie_name(state);
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
        .take(MAX_SESSION_COOKIES)
        .collect()
}

/// Whether any console session cookie of the request is a live session.
pub fn live_session(state: &AppState, req: &Request<ReqBody>) -> bool {
    session_cookies(state, req).iter().any(|id| state.gate.sessions.is_live(id))
}

/// Why a request may not use an endpoint with authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// On the S3 port, a browser marked it as sent by a page (the mark; the console's URL).
    FromPage { mark: String, console: Option<String> },
    /// On the console's listener, a browser sent it from another origin.
    CrossOrigin,
    /// No admission: no token, cookie or loopback.
    TokenRequired,
    /// On loopback without a token, `Host` names another server (DNS rebinding).
    ForeignHost,
    /// On the S3 port without a token, `Host` is this server's (the `--domain`) but a name to
    /// which browsers send no fetch metadata (the name; where to go instead).
    UnmarkedHost { name: String, instead: String },
    /// The client is backing off after wrong tokens, for this much longer.
    BackingOff(Duration),
    /// All clients together have made too many wrong tokens lately: none is checked for this
    /// much longer.
    TooManyGuesses(Duration),
}

impl Refusal {
    /// The answer: a JSON error with its status (`Retry-After` on a 429).
    pub fn response(&self) -> Response<Body> {
        match self {
            Refusal::FromPage { mark, console } => {
                let start = format!(
                    "refused: a web page sent this request ({mark}), and any object served on this port could be \
                     that page, so {PREFIX}/ here answers only clients that are not browsers (curl, SDKs, test code)"
                );
                match console {
                    Some(url) => json(
                        StatusCode::FORBIDDEN,
                        serde_json::json!({
                            "error": format!("{start}: use the console's origin, {url}, or such a client"),
                            "console": url,
                        }),
                    ),
                    None => error(
                        StatusCode::FORBIDDEN,
                        &format!("{start}: start the console (--console-addr; it is off) or use such a client"),
                    ),
                }
            }
            Refusal::CrossOrigin => error(StatusCode::FORBIDDEN, "cross-site request refused"),
            Refusal::TokenRequired => error(StatusCode::UNAUTHORIZED, "admin token required"),
            Refusal::ForeignHost => error(StatusCode::FORBIDDEN, "the Host header does not name this server"),
            Refusal::UnmarkedHost { name, instead } => error(
                StatusCode::FORBIDDEN,
                &format!(
                    "refused: browsers send no Sec-Fetch-Site to http://{name} (not a secure context), so on this port \
                     a page served from a bucket under that name could not be told from curl; without the admin \
                     token, {PREFIX}/ here answers only requests addressed to localhost or a loopback address: use \
                     {instead} (or the admin token)"
                ),
            ),
            Refusal::BackingOff(wait) => {
                too_many(*wait, |secs| format!("too many wrong admin tokens from this address: try again in {secs} s"))
            }
            Refusal::TooManyGuesses(wait) => too_many(*wait, |secs| {
                format!("too many wrong admin tokens from all clients lately: try again in {secs} s")
            }),
        }
    }
}

/// A `429` with `Retry-After` in whole seconds (rounded up) and the message `say` makes of them.
fn too_many(wait: Duration, say: impl Fn(u64) -> String) -> Response<Body> {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = error(StatusCode::TOO_MANY_REQUESTS, &say(secs));
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    resp
}

/// Whether `given` is the admin token `expected`, in time that depends on neither: both are
/// hashed first, so not even the token's length shows in how long the comparison takes.
fn token_matches(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let (given, expected) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    bool::from(given.as_slice().ct_eq(expected.as_slice()))
}

/// The client's address (the server puts it on every request).
pub fn peer(req: &Request<ReqBody>) -> Option<std::net::IpAddr> {
    req.extensions().get::<PeerAddr>().map(|p| p.0)
}

/// Checks a token or console login against the admin token, with back-off per client and a
/// limit on the wrong tokens of all clients together ([`GuessRate`](crate::gate::GuessRate)):
/// while the client waits, or while all wait, its guess is not even looked at (`Err` with the
/// 429), so a right guess cannot be told from a wrong one any faster than they allow.
pub fn check_token(state: &AppState, ip: Option<std::net::IpAddr>, given: &str) -> Result<bool, Refusal> {
    let Some(expected) = &state.config.admin_token else { return Ok(false) };
    if let Some(wait) = ip.and_then(|ip| state.gate.backoff.wait(ip)) {
        return Err(Refusal::BackingOff(wait));
    }
    state.gate.guesses.take().map_err(Refusal::TooManyGuesses)?;
    if token_matches(given, expected) {
        state.gate.guesses.give_back();
        if let Some(ip) = ip {
            state.gate.backoff.succeeded(ip);
        }
        return Ok(true);
    }
    let wait = ip.and_then(|ip| state.gate.backoff.failed(ip));
    tracing::warn!(client = ?ip, backoff_seconds = wait.map(|w| w.as_secs()), "wrong admin token");
    Ok(false)
}

/// How the request may use the admin endpoints; the 429 of a client backing off.
fn admission(state: &AppState, req: &Request<ReqBody>, listener: Listener) -> Result<Admission, Refusal> {
    let given = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = given.and_then(|v| v.strip_prefix("Bearer "));
    // The cookie counts on the console's origin only: on the S3 port, a page served from a
    // bucket would carry it.
    let cookie = listener == Listener::Console && live_session(state, req);
    let loopback = listener_addr(state, listener).ip().is_loopback();
    if let Some(token) = token {
        if !(cookie || loopback) {
            // The token alone decides: a wrong one counts towards the back-off.
            return Ok(if check_token(state, peer(req), token)? { Admission::Token } else { Admission::Refused });
        }
        if state.config.admin_token.as_deref().is_some_and(|expected| token_matches(token, expected)) {
            return Ok(Admission::Token);
        }
    }
    Ok(if cookie {
        Admission::Cookie
    } else if loopback {
        Admission::Loopback
    } else {
        Admission::Refused
    })
}

/// The host name in a `Host` value (brackets kept for IPv6), if it is a plain authority: names,
/// addresses and a port only, so that it can go into a URL as it is.
fn host_name(host: &str) -> Option<&str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b".-_[]:".contains(&b);
    if host.is_empty() || !host.bytes().all(plain) {
        return None;
    }
    if host.starts_with('[') {
        return host.find(']').and_then(|end| host.get(..=end));
    }
    Some(host.rsplit_once(':').map_or(host, |(name, _)| name)).filter(|name| !name.is_empty())
}

/// The authority (`host:port`) by which a browser that reached this server as `host` reaches
/// the listener bound to `bound`: the bound address, unless that is 0.0.0.0 or `::` (every
/// address), where the name the browser used is the one that reaches it.
pub fn authority(bound: SocketAddr, host: Option<&str>) -> String {
    match host.and_then(host_name) {
        Some(name) if bound.ip().is_unspecified() => format!("{name}:{}", bound.port()),
        _ if bound.ip().is_unspecified() => {
            let local: std::net::IpAddr = if bound.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            SocketAddr::new(local, bound.port()).to_string()
        }
        _ => bound.to_string(),
    }
}

/// The console's page URL as seen from a request with this `Host`, or `None` when the console
/// is off.
pub fn console_url(state: &AppState, req: &Request<ReqBody>) -> Option<String> {
    let bound = state.config.console_addr.bound()?;
    let host = req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok());
    Some(format!("http://{}{CONSOLE_PAGE}", authority(bound, host)))
}

/// Whether `Host` names this listener: a loopback name or its bound address, or the configured
/// domain, with the bound port (or none). A page that rebinds its own name to 127.0.0.1 sends
/// its own name here.
fn own_host(state: &AppState, req: &Request<ReqBody>, listener: Listener) -> bool {
    let Some(host) = req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !n.ends_with(':') => (n, Some(p)),
        _ => (host, None),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let addr = listener_addr(state, listener);
    let port_ok = port.is_none_or(|p| p == addr.port().to_string());
    let name_ok = matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1")
        || name == addr.ip().to_string()
        || state.config.domain.as_deref().is_some_and(|d| name == d.to_ascii_lowercase());
    port_ok && name_ok
}

/// The host name of `Host` (lower case, without port or brackets) when browsers do not send
/// fetch metadata (`Sec-Fetch-Site`) to it over plain http: they send it only to "potentially
/// trustworthy" origins (the Secure Contexts spec: `localhost` and names under `.localhost`,
/// 127.0.0.0/8, `::1`; Chromium and Firefox alike), so a page on any other name (`--domain
/// s3.test`, `lvh.me`, a `nip.io` name) makes requests with no mark: measured in Chromium with
/// `--host-resolver-rules="MAP s3.test 127.0.0.1"`, a same-origin `fetch("/_s3strict/users")`
/// carries neither `Sec-Fetch-Site` nor `Origin`, exactly like curl.
fn unmarked_host(req: &Request<ReqBody>) -> Option<String> {
    let host = header(req, "host")?;
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(rest, |(n, _)| n),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    }
    .to_ascii_lowercase();
    let trustworthy = name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (!trustworthy).then_some(name)
}

fn header<'a>(req: &'a Request<ReqBody>, name: &'static str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// How a browser marked the request as made by a page (its script, a form, a link, an embed),
/// if it did: `Sec-Fetch-Site` with any value but `none` (which only the user's own navigation
/// produces: the address bar, a bookmark), or an `Origin` (sent by scripts' requests other than
/// same-origin GETs, and by form posts). Both are names a page cannot set or remove. curl and
/// the SDKs send neither; Node's `fetch` (undici) sends `Sec-Fetch-Mode: cors` but neither of
/// these (checked against Node 20; `tests/clients/js/origin.test.js` sets up with it), which is
/// why `Sec-Fetch-Mode` is not a mark here.
pub fn page_mark(req: &Request<ReqBody>) -> Option<String> {
    if let Some(site) = header(req, "sec-fetch-site").filter(|s| !s.eq_ignore_ascii_case("none")) {
        return Some(format!("Sec-Fetch-Site: {site}"));
    }
    if req.headers().contains_key(http::header::ORIGIN) {
        return Some(format!("Origin: {}", header(req, "origin").unwrap_or("(not text)")));
    }
    None
}

/// Whether a browser sent this request from another origin: `Sec-Fetch-Site` says so (another
/// port of the same host is `same-site`, and the S3 port is such a one), or the `Origin` is not
/// the host the request was sent to.
pub fn cross_origin(req: &Request<ReqBody>) -> bool {
    if matches!(header(req, "sec-fetch-site"), Some("cross-site" | "same-site")) {
        return true;
    }
    match header(req, "origin") {
        None => false,
        Some(origin) => {
            let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            header(req, "host") != Some(authority)
        }
    }
}

/// Lets a request through to an endpoint with authority, or gives the answer that stops it:
/// on the S3 port, any request a page made (403); on the console's, one from another origin
/// (403); then admission (401 without it, 429 while backing off), and the `Host` checks on
/// loopback (403: not this server's name; on the S3 port, a name browsers send no marks to).
pub fn gatekeep(state: &AppState, req: &Request<ReqBody>, listener: Listener) -> Result<Admission, Refusal> {
    match listener {
        Listener::S3 => {
            if let Some(mark) = page_mark(req) {
                return Err(Refusal::FromPage { mark, console: console_url(state, req) });
            }
        }
        Listener::Console => {
            if cross_origin(req) {
                return Err(Refusal::CrossOrigin);
            }
        }
    }
    let admission = admission(state, req, listener)?;
    if admission == Admission::Refused {
        return Err(Refusal::TokenRequired);
    }
    if admission == Admission::Loopback && !own_host(state, req, listener) {
        return Err(Refusal::ForeignHost);
    }
    // Only the token tells a page on the S3 port from curl when the browser marks nothing. The
    // S3 port alone: the console's serves no object as a page, and a page elsewhere reaching it
    // is cross-origin (its script's requests carry `Origin`, and what it may send without one,
    // a plain GET, comes back opaque).
    if admission == Admission::Loopback && listener == Listener::S3 {
        if let Some(name) = unmarked_host(req) {
            let instead = format!("http://{}{PREFIX}/", listener_addr(state, listener));
            return Err(Refusal::UnmarkedHost { name, instead });
        }
    }
    Ok(admission)
}

/// The refusal of a state-changing request that is not JSON (which another site's page can
/// only send after a CORS preflight, never granted here).
pub fn refuse_non_json(req: &Request<ReqBody>) -> Option<Response<Body>> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let is_json = header(req, "content-type")
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    if is_json {
        return None;
    }
    Some(error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "state-changing requests must be Content-Type: application/json"))
}

/// The answer on the S3 port to what is now on the console's origin: the page redirects there;
/// the console's calls get a 404 that names it.
fn console_elsewhere(state: &AppState, req: &Request<ReqBody>, path: &str) -> Response<Body> {
    let Some(url) = console_url(state, req) else {
        return error(StatusCode::NOT_FOUND, "the console is off (--console-addr off)");
    };
    let message = format!("the console and its API have their own origin, apart from the objects on this port: {url}");
    let mut resp = json(StatusCode::NOT_FOUND, serde_json::json!({ "error": message, "console": url }));
    if matches!(*req.method(), Method::GET | Method::HEAD) && matches!(path, "/console" | "/console/") {
        *resp.status_mut() = StatusCode::FOUND;
        if let Ok(v) = HeaderValue::from_str(&url) {
            resp.headers_mut().insert(http::header::LOCATION, v);
        }
    }
    resp
}

/// Serves one admin request that came in on `listener`.
pub async fn handle(state: &AppState, req: Request<ReqBody>, listener: Listener) -> Response<Body> {
    let path = req.uri().path().strip_prefix(PREFIX).unwrap_or("").to_string();
    if let Some(resp) = probe(&req, &path) {
        return resp;
    }
    if listener == Listener::S3 && (path == "/console" || path.starts_with("/console/")) {
        return console_elsewhere(state, &req, &path);
    }
    if let Err(refusal) = gatekeep(state, &req, listener) {
        return refusal.response();
    }
    if let Some(resp) = method_not_allowed(&path, req.method()) {
        return resp;
    }
    if let Some(refusal) = refuse_non_json(&req) {
        return refusal;
    }
    if path == "/users" || path.starts_with("/users/") {
        return users::handle(state, req, &path["/users".len()..]).await;
    }
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/clock") => json(StatusCode::OK, clock_json(state)),
        (Method::PUT, "/clock") => {
            let body = match read_body(req, 4096).await {
                Ok(b) => b,
                Err(resp) => return resp,
            };
            let setting = match parse_clock_change(&body) {
                Ok(s) => s,
                Err(e) => return error(StatusCode::BAD_REQUEST, &format!("invalid clock setting: {e}")),
            };
            state.auth.clock.set(setting);
            tracing::info!(?setting, "clock changed");
            json(StatusCode::OK, clock_json(state))
        }
        (Method::GET, "/auth-log") => {
            let limit = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("limit=")))
                .map(|v| v.parse::<usize>());
            match limit {
                Some(Err(_)) => error(StatusCode::BAD_REQUEST, "limit must be a non-negative integer"),
                Some(Ok(n)) => json(StatusCode::OK, serde_json::json!(state.auth_log.recent(n))),
                None => json(StatusCode::OK, serde_json::json!(state.auth_log.recent(crate::auth::log::CAPACITY))),
            }
        }
        (Method::DELETE, "/auth-log") => {
            state.auth_log.clear();
            json(StatusCode::OK, serde_json::json!({ "cleared": true }))
        }
        (Method::POST, "/sessions") => {
            let body = match read_body(req, 4096).await {
                Ok(b) => b,
                Err(resp) => return resp,
            };
            let request: SessionRequest = if body.is_empty() {
                SessionRequest::default()
            } else {
                match serde_json::from_slice(&body) {
                    Ok(r) => r,
                    Err(e) => return error(StatusCode::BAD_REQUEST, &format!("invalid session request: {e}")),
                }
            };
            let secs = request.duration_seconds.unwrap_or(3600);
            if !(1..=MAX_SESSION_SECS).contains(&secs) {
                return error(StatusCode::BAD_REQUEST, "duration_seconds must be between 1 and 129600");
            }
            let expires_at = state.auth.clock.now() + chrono::Duration::seconds(secs);
            let holder = Holder::Root { account_id: state.iam().default_account().to_string() };
            let s = match crate::sts::start_session(state, holder, None, expires_at).await {
                Ok(s) => s,
                Err(e) => return error(e.status(), &e.to_string()),
            };
            json(
                StatusCode::OK,
                serde_json::json!({
                    "access_key_id": s.access_key,
                    "secret_access_key": s.secret_key,
                    "session_token": s.token,
                    "expiration": iso8601(s.expires_at),
                }),
            )
        }
        (Method::POST, "/reset") => match state.store.reset().await {
            Ok(()) => json(StatusCode::OK, serde_json::json!({ "reset": true })),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        _ => error(StatusCode::NOT_FOUND, "no such admin endpoint"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_whole() {
        assert!(token_matches("sesame", "sesame"));
        for wrong in ["", "s", "sesam", "sesamE", "sesame ", "sesame-and-more"] {
            assert!(!token_matches(wrong, "sesame"), "{wrong:?}");
        }
    }

    #[test]
    fn authority_follows_the_name_the_browser_used_on_every_address() {
        let any: SocketAddr = "0.0.0.0:9000".parse().unwrap();
        assert_eq!(authority(any, Some("myhost.lan:9001")), "myhost.lan:9000");
        assert_eq!(authority(any, Some("myhost.lan")), "myhost.lan:9000");
        assert_eq!(authority(any, Some("[::1]:9001")), "[::1]:9000");
        assert_eq!(authority(any, Some("evil\"><x:1")), "127.0.0.1:9000", "not a plain authority");
        assert_eq!(authority(any, Some(":9001")), "127.0.0.1:9000");
        assert_eq!(authority(any, None), "127.0.0.1:9000");
        let v6: SocketAddr = "[::]:9000".parse().unwrap();
        assert_eq!(authority(v6, None), "[::1]:9000");
        let lo: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(authority(lo, Some("localhost:9001")), "127.0.0.1:9000");
    }
}
