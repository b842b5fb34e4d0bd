//! The server's own endpoints under `/_s3strict/` (never a valid bucket name, since `_` cannot
//! start one): `health`, `ready`, `clock`, `auth-log`, `sessions`, `users` (module `users`), `reset`.
//! Open on loopback; on any other address they require `Authorization: Bearer <admin token>`.
//! A browser page on another site can never use them: without the token a request must name this
//! server in `Host` (its address, `localhost`, or the configured domain), which defeats DNS
//! rebinding; and a state-changing request must be JSON (`Content-Type: application/json`,
//! which a page can only send after a CORS preflight that is never granted) and must not come
//! from another `Origin` or be marked cross-site by the browser.

mod users;

use crate::console;

use crate::body::ReqBody;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use serde::Deserialize;

use crate::auth::clock::{iso8601, ClockSetting};
use crate::body::{full, Body};
use crate::iam::{Holder, MAX_SESSION_SECS};
use crate::state::AppState;

/// The path prefix of the admin endpoints.
pub const PREFIX: &str = "/_s3strict";

pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full(Bytes::from(value.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response<Body> {
    json(status, serde_json::json!({ "error": message }))
}

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

/// How a request may use the admin endpoints.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// With the admin token.
    Token,
    /// With the console's session cookie, which stands for the token.
    Cookie,
    /// On loopback, without a token.
    Loopback,
    Refused,
}

fn admission(state: &AppState, req: &Request<ReqBody>) -> Admission {
    let given = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = given.and_then(|v| v.strip_prefix("Bearer "));
    if let (Some(expected), Some(token)) = (&state.config.admin_token, token) {
        if crate::auth::canonical::signatures_equal(token, expected) {
            return Admission::Token;
        }
    }
    if crate::console::has_session(state, req) {
        return Admission::Cookie;
    }
    if state.config.addr.ip().is_loopback() {
        Admission::Loopback
    } else {
        Admission::Refused
    }
}

/// Whether `Host` names this server: a loopback name or its bound address, or the configured
/// domain, with the bound port (or none). A page that rebinds its own name to 127.0.0.1 sends
/// its own name here.
fn own_host(state: &AppState, req: &Request<ReqBody>) -> bool {
    let Some(host) = req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !n.ends_with(':') => (n, Some(p)),
        _ => (host, None),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let addr = state.config.addr;
    let port_ok = port.is_none_or(|p| p == addr.port().to_string());
    let name_ok = matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1")
        || name == addr.ip().to_string()
        || state.config.domain.as_deref().is_some_and(|d| name == d.to_ascii_lowercase());
    port_ok && name_ok
}

/// Whether a browser sent this request from another site: `Sec-Fetch-Site` says so, or the
/// `Origin` is not the host the request was sent to.
fn cross_site(req: &Request<ReqBody>) -> bool {
    let header = |n: http::header::HeaderName| req.headers().get(n).and_then(|v| v.to_str().ok());
    if matches!(header(http::header::HeaderName::from_static("sec-fetch-site")), Some("cross-site" | "same-site")) {
        return true;
    }
    match header(http::header::ORIGIN) {
        None => false,
        Some(origin) => {
            let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            header(http::header::HOST) != Some(authority)
        }
    }
}

/// Reads a small JSON body (at most `limit` bytes); the error response when it cannot.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    req: Request<ReqBody>,
    limit: usize,
    what: &str,
) -> Result<T, Response<Body>> {
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(error(StatusCode::BAD_REQUEST, "body too large or unreadable")),
    };
    serde_json::from_slice(&body).map_err(|e| error(StatusCode::BAD_REQUEST, &format!("invalid {what}: {e}")))
}

/// The refusal of a state-changing request that another site's page could have sent: one marked
/// cross-site, or one that is not JSON (which a page can only send after a CORS preflight, never
/// granted here).
fn refuse_forgery(req: &Request<ReqBody>) -> Option<Response<Body>> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return None;
    }
    if cross_site(req) {
        return Some(error(StatusCode::FORBIDDEN, "cross-site request refused"));
    }
    let is_json = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    if !is_json {
        return Some(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "state-changing requests must be Content-Type: application/json",
        ));
    }
    None
}

/// Serves one admin request.
pub async fn handle(state: &AppState, req: Request<ReqBody>) -> Response<Body> {
    let path = req.uri().path().strip_prefix(PREFIX).unwrap_or("").to_string();
    // The console's page and its login form are open to all; everything else needs admission.
    if path == "/console" {
        return console::redirect_to_page();
    }
    if let Some(rest) = path.strip_prefix("/console") {
        if let (&Method::GET | &Method::HEAD, Some((body, content_type))) = (req.method(), console::asset(rest)) {
            return console::serve_asset(req.method(), body, content_type);
        }
        if rest == "/login" {
            if *req.method() != Method::POST {
                return error(StatusCode::METHOD_NOT_ALLOWED, "use POST with {\"token\": \"…\"}");
            }
            if let Some(refusal) = refuse_forgery(&req) {
                return refusal;
            }
            return console::login(state, req).await;
        }
    }
    if let Some(resp) = probe(&req, &path) {
        return resp;
    }
    let admission = admission(state, &req);
    if admission == Admission::Refused {
        return error(StatusCode::UNAUTHORIZED, "admin token required");
    }
    if admission == Admission::Loopback && !own_host(state, &req) {
        return error(StatusCode::FORBIDDEN, "the Host header does not name this server");
    }
    if let Some(resp) = method_not_allowed(&path, req.method()) {
        return resp;
    }
    if let Some(refusal) = refuse_forgery(&req) {
        return refusal;
    }
    if let Some(rest) = path.strip_prefix("/console/") {
        let rest = format!("/{rest}");
        return console::handle(state, req, &rest, admission == Admission::Cookie).await;
    }
    if path == "/users" || path.starts_with("/users/") {
        return users::handle(state, req, &path["/users".len()..]).await;
    }
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/clock") => json(StatusCode::OK, clock_json(state)),
        (Method::PUT, "/clock") => {
            let body = match Limited::new(req.into_body(), 4096).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => return error(StatusCode::BAD_REQUEST, "body too large or unreadable"),
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
            let body = match Limited::new(req.into_body(), 4096).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => return error(StatusCode::BAD_REQUEST, "body too large or unreadable"),
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
