//! The web console on its own listener (`--console-addr`): a page embedded in the binary (HTML,
//! CSS and plain JavaScript in `assets/`, no build step), the few calls it needs besides the
//! admin endpoints it shares with scripts (`auth-log`, `clock`), and the S3 API forwarded to it.
//!
//! **Its own origin.** Objects are served on the S3 port as S3 serves them, an HTML object as a
//! live page; anything with authority therefore lives on another origin, this one (as MinIO's
//! console has its own port). The page does S3 work through the S3 API itself: it asks `presign`
//! for presigned URLs signed with the default account's key (the administrator) and sends the
//! requests to its own origin under [`S3_PREFIX`], which hands them to the same
//! [`pipeline`](crate::pipeline) in-process, as if sent to the S3 port: listing, uploading,
//! downloading and deleting go through the same authentication, routing and handlers as any
//! SDK's requests and appear in the auth log like them. Whatever comes back that way leaves as an
//! attachment under `Content-Security-Policy: sandbox` with `nosniff`: object bytes never become
//! a page of this origin. (Calling the S3 port from the page instead would need CORS headers on
//! S3's responses, which must stay exactly S3's.)
//!
//! **Who may use it.** The admin endpoints' rules (see [`crate::admin`]): open on a loopback
//! listener; elsewhere the page asks for the admin token once ([`login`]) and keeps a session
//! cookie (`HttpOnly`, `SameSite=Strict`, path `/_s3strict`): a random id the server keeps for
//! twelve hours at most, ended by logging out. Cookies ignore ports, so pages on the S3 port can
//! set cookies of that name too: every one sent is looked at, and logging out ends every session
//! they name. Requests from other origins (the S3 port included: another port of the same host is
//! "same-site") are refused. The static assets are served to anyone: they hold no data.

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::Deserialize;

use crate::admin::{self, Admission, CONSOLE_PAGE};
use crate::auth::clock::iso8601;
use crate::body::{full, Body, ReqBody};
use crate::gate::{Listener, SESSION_LIFETIME};
use crate::jsonapi::{error, json, read_json};
use crate::state::AppState;

/// Where the console's origin takes S3 requests: `/_s3strict/console/s3/bucket/key?…` is
/// `/bucket/key?…` on the S3 port.
pub const S3_PREFIX: &str = "/_s3strict/console/s3";

/// Whether `path` is an S3 request forwarded by the console's origin (under [`S3_PREFIX`]).
pub fn forwards(path: &str) -> bool {
    path.strip_prefix(S3_PREFIX).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The longest a URL signed for the console may live: SigV4's limit of 7 days. (The page itself
/// keeps shared URLs to the S3 console's 12 hours.)
const MAX_EXPIRES: u64 = 7 * 24 * 3600;

/// The most URLs one `presign` call signs.
const MAX_BATCH: usize = 1000;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// What the browser may do with the console's documents: only this origin's own scripts, styles
/// and requests, never inside a frame (clickjacking), no form posts elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What object bytes get on this origin: a sandbox (no script, no same-origin access, no
/// forms, no plugins) and nothing loaded, never framed.
const OBJECT_CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

/// The static asset at `path` (below `/_s3strict/console`), if there is one.
pub fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/" | "/index.html" => Some((INDEX_HTML, "text/html; charset=utf-8")),
        "/app.js" => Some((APP_JS, "text/javascript; charset=utf-8")),
        "/style.css" => Some((STYLE_CSS, "text/css; charset=utf-8")),
        _ => None,
    }
}

/// Serves a static asset with headers that keep it out of frames and other sites' hands.
pub fn serve_asset(method: &Method, body: &'static str, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(if *method == Method::HEAD {
        full(Bytes::new())
    } else {
        full(Bytes::from_static(body.as_bytes()))
    });
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(http::header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(http::header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(http::header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        http::header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// A redirect to the page.
fn redirect_to_page() -> Response<Body> {
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = StatusCode::FOUND;
    resp.headers_mut().insert(http::header::LOCATION, HeaderValue::from_static(CONSOLE_PAGE));
    resp
}

/// Serves one request that came in on the console's listener: the page and its assets, the
/// login, the console's calls, S3 requests under [`S3_PREFIX`], and the admin endpoints. Nothing
/// else: this origin is not an S3 endpoint.
pub async fn serve(state: &AppState, req: Request<ReqBody>, request_id: &str) -> Response<Body> {
    let path = req.uri().path().to_string();
    if path == "/" || path == "/_s3strict/console" {
        return redirect_to_page();
    }
    if forwards(&path) {
        return forward_to_s3(state, req, request_id).await;
    }
    if let Some(rest) = path.strip_prefix("/_s3strict/console") {
        if let (&Method::GET | &Method::HEAD, Some((body, content_type))) = (req.method(), asset(rest)) {
            return serve_asset(req.method(), body, content_type);
        }
        return calls(state, req, rest).await;
    }
    if path.starts_with("/_s3strict/") {
        return admin::handle(state, req, Listener::Console).await;
    }
    let s3 = admin::authority(state.config.addr, req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok()));
    error(
        StatusCode::NOT_FOUND,
        &format!("this is the console's origin; the S3 API is at http://{s3} (the console is at {CONSOLE_PAGE})"),
    )
}

/// The console's calls: `login` and `logout` open to all (same-origin JSON only); the others
/// with admission.
async fn calls(state: &AppState, req: Request<ReqBody>, path: &str) -> Response<Body> {
    if path == "/login" || path == "/logout" {
        if *req.method() != Method::POST {
            let how = if path == "/login" { "use POST with {\"token\": \"…\"}" } else { "use POST" };
            return error(StatusCode::METHOD_NOT_ALLOWED, how);
        }
        if let Some(refusal) = refuse_forgery(&req) {
            return refusal;
        }
        return if path == "/login" { login(state, req).await } else { logout(state, &req) };
    }
    let admission = match admin::gatekeep(state, &req, Listener::Console) {
        Ok(a) => a,
        Err(refusal) => return refusal.response(),
    };
    if let Some(refusal) = admin::refuse_non_json(&req) {
        return refusal;
    }
    match path.strip_prefix('/') {
        Some(rest) => handle(state, req, &format!("/{rest}"), admission).await,
        None => error(StatusCode::NOT_FOUND, "no such console endpoint"),
    }
}

/// A login or logout from another origin, or not as JSON.
fn refuse_forgery(req: &Request<ReqBody>) -> Option<Response<Body>> {
    if admin::cross_origin(req) {
        return Some(admin::Refusal::CrossOrigin.response());
    }
    admin::refuse_non_json(req)
}

/// The `Set-Cookie` of a session (`id`), or of its removal (`None`).
fn session_cookie_header(state: &AppState, id: Option<&str>) -> Option<HeaderValue> {
    let name = admin::cookie_name(state);
    let text = match id {
        Some(id) => {
            format!("{name}={id}; Path=/_s3strict; HttpOnly; SameSite=Strict; Max-Age={}", SESSION_LIFETIME.as_secs())
        }
        None => format!("{name}=; Path=/_s3strict; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&text).ok()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    token: String,
}

/// `POST /_s3strict/console/login` `{"token": "…"}`: starts a session when the token is the
/// admin token, slowed per client like a wrong bearer token. The caller has already refused
/// cross-site and non-JSON requests.
pub async fn login(state: &AppState, req: Request<ReqBody>) -> Response<Body> {
    if state.config.admin_token.is_none() {
        return error(
            StatusCode::CONFLICT,
            "this server has no admin token (--admin-token); the console is open on loopback only",
        );
    }
    let client = admin::peer(&req);
    let login: Login = match read_json(req, 4096, "login").await {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    match admin::check_token(state, client, &login.token) {
        Err(refusal) => refusal.response(),
        Ok(false) => error(StatusCode::UNAUTHORIZED, "that is not the admin token"),
        Ok(true) => {
            let id = state.gate.sessions.create();
            tracing::info!(sessions = state.gate.sessions.count(), "console login");
            let mut resp = json(StatusCode::OK, serde_json::json!({ "authenticated": true }));
            if let Some(v) = session_cookie_header(state, Some(&id)) {
                resp.headers_mut().insert(http::header::SET_COOKIE, v);
            }
            resp
        }
    }
}

/// `POST /_s3strict/console/logout`: ends every session the request's cookies name, on the
/// server (a cookie an object page set beside the real one must not keep the real one alive),
/// and removes the cookie.
pub fn logout(state: &AppState, req: &Request<ReqBody>) -> Response<Body> {
    for id in admin::session_cookies(state, req) {
        state.gate.sessions.revoke(&id);
    }
    let mut resp = json(StatusCode::OK, serde_json::json!({ "authenticated": false }));
    if let Some(v) = session_cookie_header(state, None) {
        resp.headers_mut().insert(http::header::SET_COOKIE, v);
    }
    resp
}

/// Serves the console's own calls (admission granted): `session`, `buckets`, `presign`, `check`.
async fn handle(state: &AppState, req: Request<ReqBody>, path: &str, admission: Admission) -> Response<Body> {
    match (req.method().clone(), path) {
        (Method::GET, "/session") => json(
            StatusCode::OK,
            serde_json::json!({
                "authenticated": true,
                "via": match admission {
                    Admission::Cookie => "cookie",
                    Admission::Loopback => "loopback",
                    _ => "token",
                },
                "region": state.config.region,
                "access_key": state.config.access_key,
                "s3_endpoint": format!("http://{}", s3_authority(state, &req)),
                "version": env!("CARGO_PKG_VERSION"),
            }),
        ),
        (Method::GET, "/buckets") => buckets(state).await,
        (Method::POST, "/presign") => presign(state, req).await,
        (Method::POST, "/check") => check(state, req).await,
        _ => error(StatusCode::NOT_FOUND, "no such console endpoint"),
    }
}

/// Every bucket with its owner, region, creation time, object count and size.
async fn buckets(state: &AppState) -> Response<Body> {
    match state.store.bucket_usage().await {
        Ok(list) => {
            let list: Vec<serde_json::Value> = list
                .into_iter()
                .map(|u| {
                    let created = chrono::DateTime::from_timestamp_millis(u.bucket.created_ms).map(iso8601);
                    serde_json::json!({
                        "name": u.bucket.name,
                        "region": u.bucket.region,
                        "owner_account": u.bucket.owner_account,
                        "created": created,
                        "objects": u.objects,
                        "bytes": u.bytes,
                    })
                })
                .collect();
            json(StatusCode::OK, serde_json::json!({ "buckets": list }))
        }
        Err(e) => {
            tracing::error!(error = %e.message, "console bucket listing failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "could not read the buckets")
        }
    }
}

/// One S3 request the page wants to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wanted {
    method: String,
    #[serde(default)]
    bucket: String,
    #[serde(default)]
    key: String,
    /// Query parameters (decoded), signed into the URL: `uploads`, `partNumber`, `list-type`…
    #[serde(default)]
    query: Vec<(String, String)>,
    /// Headers the page will send and wants signed (`x-amz-*` headers must be).
    #[serde(default)]
    headers: Vec<(String, String)>,
    expires_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresignBatch {
    requests: Vec<Wanted>,
}

/// The S3 port's authority as the page's browser reaches it (see [`admin::authority`]): what
/// the console's URLs are signed for, and the `Host` its forwarded requests carry.
fn s3_authority(state: &AppState, req: &Request<ReqBody>) -> String {
    admin::authority(state.config.addr, req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok()))
}

/// `POST /_s3strict/console/presign`: presigned SigV4 URLs, path-style, for the S3 port (`url`,
/// what the page shares) and the same request on this origin (`console_path`, what the page
/// sends itself), signed at the server's clock with the default account's key.
async fn presign(state: &AppState, req: Request<ReqBody>) -> Response<Body> {
    let host = s3_authority(state, &req);
    let batch: PresignBatch = match read_json(req, 1 << 20, "presign request").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    if batch.requests.len() > MAX_BATCH {
        return error(StatusCode::BAD_REQUEST, &format!("at most {MAX_BATCH} URLs per call"));
    }
    let at = state.auth.clock.now();
    let mut urls = Vec::with_capacity(batch.requests.len());
    for wanted in batch.requests {
        if !(1..=MAX_EXPIRES).contains(&wanted.expires_seconds) {
            return error(
                StatusCode::BAD_REQUEST,
                "expires_seconds must be between 1 and 604800 (7 days, the longest SigV4 allows)",
            );
        }
        if wanted.method.parse::<Method>().is_err() || wanted.method.bytes().any(|b| !b.is_ascii_uppercase()) {
            return error(StatusCode::BAD_REQUEST, &format!("not an HTTP method: {:?}", wanted.method));
        }
        if wanted.bucket.is_empty() && !wanted.key.is_empty() {
            return error(StatusCode::BAD_REQUEST, "a key needs a bucket");
        }
        let input = crate::presign::PresignInput {
            method: wanted.method,
            bucket: wanted.bucket,
            key: wanted.key,
            expires: wanted.expires_seconds,
            headers: wanted.headers,
            query: wanted.query,
            virtual_hosted: false,
            sigv2: false,
            endpoint: format!("http://{host}"),
            access_key: state.config.access_key.clone(),
            secret_key: state.config.secret_key.clone(),
            session_token: None,
            region: state.config.region.clone(),
            at,
        };
        match crate::presign::presign_url(&input) {
            Ok(url) => urls.push(serde_json::json!({
                "console_path": url.strip_prefix(&input.endpoint).map(|rest| format!("{S3_PREFIX}{rest}")),
                "url": url,
                "expires_at": iso8601(at + chrono::Duration::seconds(input.expires as i64)),
            })),
            Err(e) => return error(StatusCode::BAD_REQUEST, &e),
        }
    }
    json(StatusCode::OK, serde_json::json!({ "signed_at": iso8601(at), "urls": urls }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    url: String,
    #[serde(default = "get")]
    method: String,
    /// Headers the client sends besides `Host`.
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// The canonical request the presigner computed, to find the first difference.
    #[serde(default)]
    canonical_request: Option<String>,
}

fn get() -> String {
    "GET".into()
}

/// `POST /_s3strict/console/check`: `s3strict check-url`'s verdict on a URL, judged with this
/// server's keys, sessions, region and clock.
async fn check(state: &AppState, req: Request<ReqBody>) -> Response<Body> {
    let request: CheckRequest = match read_json(req, 1 << 20, "check request").await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let input = crate::check::CheckInput {
        url: request.url,
        method: request.method.trim().to_ascii_uppercase(),
        headers: request.headers,
        access_key: String::new(),
        secret_key: String::new(),
        region: state.config.region.clone(),
        domain: state.config.domain.clone(),
        at: None,
        canonical_request: request.canonical_request.filter(|c| !c.trim().is_empty()),
    };
    match crate::check::check_with(&state.auth, &input) {
        Ok(report) => {
            let mut body = report.json;
            body["text"] = report.text.into();
            body["judged_at"] = iso8601(state.auth.clock.now()).into();
            json(StatusCode::OK, body)
        }
        Err(e) => error(StatusCode::BAD_REQUEST, &e),
    }
}

/// An S3 request sent to the console's origin under [`S3_PREFIX`]: with admission and from this
/// origin only, handed to the S3 pipeline as if sent to the S3 port (`Host` set to the
/// authority the console signs for, the prefix removed, the browser's cookie, its `Origin` and
/// an admin bearer token left out: they were meant for the console, not for S3), its answer
/// made inert.
async fn forward_to_s3(state: &AppState, req: Request<ReqBody>, request_id: &str) -> Response<Body> {
    if let Err(refusal) = admin::gatekeep(state, &req, Listener::Console) {
        return refusal.response();
    }
    let (mut parts, body) = req.into_parts();
    let rest = parts.uri.path().strip_prefix(S3_PREFIX).unwrap_or("");
    let target = match (rest, parts.uri.query()) {
        ("", None) => "/".to_string(),
        ("", Some(q)) => format!("/?{q}"),
        (path, None) => path.to_string(),
        (path, Some(q)) => format!("{path}?{q}"),
    };
    let Ok(uri) = target.parse::<http::Uri>() else {
        return error(StatusCode::BAD_REQUEST, "not a request target");
    };
    let authority =
        admin::authority(state.config.addr, parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()));
    let Ok(host) = HeaderValue::from_str(&authority) else {
        return error(StatusCode::BAD_REQUEST, "the request has no usable Host header");
    };
    parts.uri = uri;
    parts.headers.insert(http::header::HOST, host);
    parts.headers.remove(http::header::COOKIE);
    parts.headers.remove(http::header::ORIGIN);
    let bearer = parts.headers.get(http::header::AUTHORIZATION).is_some_and(|v| v.as_bytes().starts_with(b"Bearer "));
    if bearer {
        parts.headers.remove(http::header::AUTHORIZATION);
    }
    let head = parts.method == Method::HEAD;
    let mut resp = crate::pipeline::serve(state, Request::from_parts(parts, body), request_id).await;
    make_inert(&mut resp, head);
    resp
}

/// Object bytes on the console's origin: a sandboxed attachment, never a page of this origin.
/// A HEAD response keeps the object's own `Content-Disposition` (it carries no bytes, and the
/// page shows the object's headers from it).
fn make_inert(resp: &mut Response<Body>, head: bool) {
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(OBJECT_CSP));
    h.insert(http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(http::header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        http::header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if head {
        return;
    }
    // Kept when it already says attachment (with the filename the page asked for); anything
    // else (`inline`, an unknown type, several values) becomes a bare attachment.
    let attachment = h.get_all(http::header::CONTENT_DISPOSITION).iter().count() == 1
        && h.get(http::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("attachment"));
    if !attachment {
        h.insert(http::header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
}
