//! The web console at `/_s3strict/console/`: a page embedded in the binary (HTML, CSS and plain
//! JavaScript in `assets/`, no build step) and the few calls it needs besides the S3 API and the
//! admin endpoints it shares with scripts (`auth-log`, `clock`).
//!
//! The page does S3 work through the S3 API itself: it asks `presign` for presigned URLs signed
//! with the default account's key (the administrator) and sends the S3 requests itself, so
//! listing, uploading, downloading and deleting go through the same authentication, routing and
//! handlers as any SDK's requests and appear in the auth log like them.
//!
//! Access is the admin endpoints' (see [`crate::admin`]): open on loopback; elsewhere the page asks
//! for the admin token once ([`login`]) and keeps a session cookie (`HttpOnly`, `SameSite=Strict`,
//! path `/_s3strict`) that stands for it until the server restarts. The static assets are served
//! to anyone: they hold no data.

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::Deserialize;

use crate::admin::{error, json, read_json};
use crate::auth::canonical::{hmac, signatures_equal};
use crate::auth::clock::iso8601;
use crate::body::{full, Body, ReqBody};
use crate::state::AppState;

/// The cookie that carries a console session off loopback.
pub const COOKIE: &str = "s3strict_console";

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

/// The static asset at `path` (below `/console`), if there is one.
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

/// `/_s3strict/console` without the slash: where the page is.
pub fn redirect_to_page() -> Response<Body> {
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    resp.headers_mut().insert(http::header::LOCATION, HeaderValue::from_static("/_s3strict/console/"));
    resp
}

/// The session cookie's value for this server run: an HMAC of the admin token under a secret
/// drawn at startup, so it proves the token was given without containing it, and stops working
/// when the server restarts or the token changes.
fn session_value(state: &AppState, token: &str) -> String {
    let mut data = b"s3strict console session\n".to_vec();
    data.extend_from_slice(token.as_bytes());
    hex::encode(hmac(state.console_secret.as_bytes(), &data))
}

/// Whether the request carries a valid console session cookie.
pub fn has_session(state: &AppState, req: &Request<ReqBody>) -> bool {
    let Some(token) = &state.config.admin_token else { return false };
    let expected = session_value(state, token);
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && signatures_equal(value, &expected))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    token: String,
}

/// `POST /_s3strict/console/login` `{"token": "…"}`: sets the session cookie when the token is the
/// admin token. The caller has already refused cross-site and non-JSON requests.
pub async fn login(state: &AppState, req: Request<ReqBody>) -> Response<Body> {
    let Some(expected) = state.config.admin_token.clone() else {
        return error(
            StatusCode::CONFLICT,
            "this server has no admin token (--admin-token); the console is open on loopback only",
        );
    };
    let login: Login = match read_json(req, 4096, "login").await {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    if !signatures_equal(&login.token, &expected) {
        tracing::warn!("console login with a wrong admin token");
        return error(StatusCode::UNAUTHORIZED, "that is not the admin token");
    }
    let mut resp = json(StatusCode::OK, serde_json::json!({ "authenticated": true }));
    let cookie = format!("{COOKIE}={}; Path=/_s3strict; HttpOnly; SameSite=Strict", session_value(state, &expected));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(http::header::SET_COOKIE, v);
    }
    resp
}

/// `POST /_s3strict/console/logout`: forgets the cookie.
pub fn logout() -> Response<Body> {
    let mut resp = json(StatusCode::OK, serde_json::json!({ "authenticated": false }));
    let cookie = format!("{COOKIE}=; Path=/_s3strict; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(http::header::SET_COOKIE, v);
    }
    resp
}

/// Serves the console's own calls (admission already granted): `session`, `buckets`, `presign`,
/// `check`, `logout`.
pub async fn handle(state: &AppState, req: Request<ReqBody>, path: &str, via_cookie: bool) -> Response<Body> {
    match (req.method().clone(), path) {
        (Method::GET, "/session") => json(
            StatusCode::OK,
            serde_json::json!({
                "authenticated": true,
                "via": if via_cookie { "cookie" } else if state.config.addr.ip().is_loopback() { "loopback" } else { "token" },
                "region": state.config.region,
                "access_key": state.config.access_key,
                "version": env!("CARGO_PKG_VERSION"),
            }),
        ),
        (Method::POST, "/logout") => logout(),
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

/// `POST /_s3strict/console/presign`: presigned SigV4 URLs, path-style, on the host the page was
/// loaded from, signed at the server's clock with the default account's key.
async fn presign(state: &AppState, req: Request<ReqBody>) -> Response<Body> {
    let host = req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string);
    let Some(host) = host.filter(|h| !h.is_empty() && !h.contains(['/', ' ', '@', '?', '#'])) else {
        return error(StatusCode::BAD_REQUEST, "the request has no usable Host header");
    };
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
