//! The JSON side of the admin endpoints and the console: their answers (`{"error": "…"}` and
//! documents) and the reading of their small JSON bodies. A file of its own, below both `admin`
//! and `console`, so that neither reaches into the other for them.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};

use crate::body::{full, Body, BodyError, ReqBody};

/// A JSON document with `status`.
pub fn json(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full(Bytes::from(value.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}

/// `{"error": message}` with `status`.
pub fn error(status: StatusCode, message: &str) -> Response<Body> {
    json(status, serde_json::json!({ "error": message }))
}

/// Reads a small body (at most `limit` bytes) whole; the error response when it cannot: `408`
/// when the client was too slow (see [`BodyError`]), `400` when it is too large or the
/// connection failed.
pub async fn read_body(req: Request<ReqBody>, limit: usize) -> Result<Bytes, Response<Body>> {
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if BodyError::is_stall(e.as_ref()) => {
            Err(error(StatusCode::REQUEST_TIMEOUT, &format!("request body too slow: {e}")))
        }
        Err(_) => Err(error(StatusCode::BAD_REQUEST, "body too large or unreadable")),
    }
}

/// Reads a small JSON body (at most `limit` bytes); the error response when it cannot.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    req: Request<ReqBody>,
    limit: usize,
    what: &str,
) -> Result<T, Response<Body>> {
    let body = read_body(req, limit).await?;
    serde_json::from_slice(&body).map_err(|e| error(StatusCode::BAD_REQUEST, &format!("invalid {what}: {e}")))
}
