//! CORS: PutBucketCors, GetBucketCors, DeleteBucketCors, the unauthenticated `OPTIONS` preflight,
//! and `Access-Control-*` headers on cross-origin responses, so a page on another origin can
//! upload with a presigned PUT or a POST form.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html>

use crate::body::ReqBody;
use http::{HeaderMap, Method, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::ctx::Ctx;
use super::payload::PayloadReader;
use super::respond::{empty_response, set_header, xml_response};
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::state::AppState;
use crate::xml::{read_flat, XmlWriter};

/// The most rules a configuration may hold.
const MAX_RULES: usize = 100;
const METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// One `CORSRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<u64>,
}

/// Whether `value` matches `pattern`, where `*` stands for any run of characters.
fn wildcard(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) || value.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

impl CorsRule {
    fn allows(&self, origin: &str, method: &str, headers: &[String]) -> bool {
        self.allowed_origins.iter().any(|o| wildcard(o, origin))
            && self.allowed_methods.iter().any(|m| m == method)
            && headers.iter().all(|h| self.allowed_headers.iter().any(|a| wildcard(&a.to_ascii_lowercase(), h)))
    }

    /// The `Access-Control-*` headers for an allowed request from `origin`.
    fn apply(&self, resp: &mut Response<Body>, origin: &str, request_headers: Option<&str>) {
        let any_origin = self.allowed_origins.iter().any(|o| o == "*");
        set_header(resp, "access-control-allow-origin", if any_origin { "*" } else { origin });
        if !any_origin {
            set_header(resp, "access-control-allow-credentials", "true");
        }
        set_header(resp, "access-control-allow-methods", &self.allowed_methods.join(", "));
        if let Some(h) = request_headers.filter(|h| !h.is_empty()) {
            set_header(resp, "access-control-allow-headers", h);
        }
        if !self.expose_headers.is_empty() {
            set_header(resp, "access-control-expose-headers", &self.expose_headers.join(", "));
        }
        if let Some(age) = self.max_age_seconds {
            set_header(resp, "access-control-max-age", &age.to_string());
        }
        set_header(resp, "vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    }
}

/// Parses a `CORSConfiguration` document.
pub fn parse_config(doc: &[u8]) -> S3Result<Vec<CorsRule>> {
    let malformed = || S3Error::new(ErrorCode::MalformedXML);
    let flat = read_flat(doc)?;
    if flat.last().is_none_or(|(p, _)| p != "CORSConfiguration") {
        return Err(malformed());
    }
    let mut rules = Vec::new();
    let mut rule = CorsRule::default();
    for (path, value) in flat.iter() {
        let Some(field) = path.strip_prefix("CORSConfiguration/CORSRule") else { continue };
        let value = value.trim().to_string();
        match field {
            "/AllowedOrigin" => rule.allowed_origins.push(value),
            "/AllowedMethod" => rule.allowed_methods.push(value),
            "/AllowedHeader" => rule.allowed_headers.push(value),
            "/ExposeHeader" => rule.expose_headers.push(value),
            "/MaxAgeSeconds" => rule.max_age_seconds = Some(value.parse().map_err(|_| malformed())?),
            "/ID" => rule.id = Some(value),
            "" => rules.push(std::mem::take(&mut rule)),
            _ => return Err(malformed()),
        }
    }
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(malformed());
    }
    for r in &rules {
        if r.allowed_origins.is_empty() || r.allowed_methods.is_empty() {
            return Err(malformed());
        }
        if let Some(m) = r.allowed_methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(S3Error::with_message(
                ErrorCode::InvalidRequest,
                format!("Found unsupported HTTP method in CORS config. Unsupported method is {m}"),
            ));
        }
        if let Some(o) = r.allowed_origins.iter().find(|o| o.matches('*').count() > 1) {
            return Err(S3Error::with_message(
                ErrorCode::InvalidRequest,
                format!("AllowedOrigin \"{o}\" can not have more than one wildcard."),
            ));
        }
    }
    Ok(rules)
}

async fn load(state: &AppState, bucket: &str) -> S3Result<Option<Vec<CorsRule>>> {
    Ok(state.store.bucket_cors(bucket).await?.and_then(|json| serde_json::from_str(&json).ok()))
}

pub async fn handle_put_bucket_cors(ctx: &Ctx<'_>, bucket: &str, body: ReqBody) -> S3Result<Response<Body>> {
    let reader = PayloadReader::new(body, &ctx.verified.payload);
    let (doc, _) = reader.read_all(64 * 1024, || S3Error::new(ErrorCode::MalformedXML)).await?;
    let rules = parse_config(&doc)?;
    let json = serde_json::to_string(&rules).map_err(S3Error::internal)?;
    ctx.state.store.set_bucket_cors(bucket, Some(json)).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_bucket_cors(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    let Some(rules) = load(ctx.state, bucket).await? else {
        return Err(S3Error::new(ErrorCode::NoSuchCORSConfiguration).extra("BucketName", bucket));
    };
    let mut w = XmlWriter::new();
    w.open_root("CORSConfiguration");
    for r in &rules {
        w.open("CORSRule");
        if let Some(id) = &r.id {
            w.elem("ID", id);
        }
        for (name, values) in [
            ("AllowedHeader", &r.allowed_headers),
            ("AllowedMethod", &r.allowed_methods),
            ("AllowedOrigin", &r.allowed_origins),
            ("ExposeHeader", &r.expose_headers),
        ] {
            for v in values {
                w.elem(name, v);
            }
        }
        if let Some(age) = r.max_age_seconds {
            w.elem("MaxAgeSeconds", &age.to_string());
        }
        w.close("CORSRule");
    }
    w.close("CORSConfiguration");
    Ok(xml_response(w))
}

pub async fn handle_delete_bucket_cors(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Response<Body>> {
    ctx.state.store.set_bucket_cors(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

fn request_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect())
        .unwrap_or_default()
}

/// The unauthenticated preflight `OPTIONS` request.
pub async fn handle_preflight(
    state: &AppState,
    headers: &HeaderMap,
    bucket: &str,
    has_key: bool,
) -> S3Result<Response<Body>> {
    let Some(origin) = headers.get(http::header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Err(S3Error::with_message(
            ErrorCode::BadRequest,
            "Insufficient information. Origin request header needed.",
        ));
    };
    let Some(method) = headers.get("access-control-request-method").and_then(|v| v.to_str().ok()) else {
        return Err(S3Error::with_message(ErrorCode::BadRequest, "Invalid Access-Control-Request-Method: null"));
    };
    let forbidden = |message: &str| {
        S3Error::with_message(ErrorCode::AccessForbidden, message)
            .extra("Method", method)
            .extra("ResourceType", if has_key { "OBJECT" } else { "BUCKET" })
    };
    let rules = match state.store.bucket_cors(bucket).await {
        Ok(Some(json)) => serde_json::from_str::<Vec<CorsRule>>(&json).unwrap_or_default(),
        Ok(None) | Err(_) => return Err(forbidden("CORSResponse: CORS is not enabled for this bucket.")),
    };
    let wanted = request_headers(headers);
    let Some(rule) = rules.iter().find(|r| r.allows(origin, method, &wanted)) else {
        return Err(forbidden(
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        ));
    };
    let mut resp = empty_response(StatusCode::OK);
    let requested = headers.get("access-control-request-headers").and_then(|v| v.to_str().ok());
    rule.apply(&mut resp, origin, requested);
    Ok(resp)
}

/// Adds `Access-Control-*` headers to the response of a cross-origin request (one with `Origin`)
/// when a rule of the bucket allows it; nothing otherwise, as on S3.
pub async fn decorate(state: &AppState, method: &Method, headers: &HeaderMap, bucket: &str, resp: &mut Response<Body>) {
    let Some(origin) = headers.get(http::header::ORIGIN).and_then(|v| v.to_str().ok()) else { return };
    let Ok(Some(rules)) = load(state, bucket).await else { return };
    if let Some(rule) = rules.iter().find(|r| r.allows(origin, method.as_str(), &[])) {
        rule.apply(resp, origin, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("*", "http://a.test"));
        assert!(wildcard("http://*.example.com", "http://www.example.com"));
        assert!(!wildcard("http://*.example.com", "https://www.example.com"));
        assert!(wildcard("x-amz-*", "x-amz-meta-a"));
        assert!(!wildcard("a*b", "ab".get(..1).unwrap_or_default()));
        assert!(wildcard("http://localhost:8080", "http://localhost:8080"));
    }

    #[test]
    fn config_documents() {
        let doc = br#"<CORSConfiguration><CORSRule><AllowedOrigin>http://*.test</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
        let rules = parse_config(doc).unwrap();
        assert_eq!(rules[0].allowed_methods, ["PUT", "GET"]);
        assert!(rules[0].allows("http://a.test", "PUT", &["content-type".into()]));
        assert!(!rules[0].allows("http://a.test", "DELETE", &[]));
        let bad = br#"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"#;
        assert_eq!(
            parse_config(bad).unwrap_err().message,
            "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
        );
        assert_eq!(parse_config(b"<CORSConfiguration/>").unwrap_err().code, ErrorCode::MalformedXML);
    }
}
