//! The small pieces of S3 responses every handler writes: XML and empty responses, headers, and
//! the two date forms S3 uses.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use crate::body::{full, Body};
use crate::xml::XmlWriter;

/// A 200 response carrying an XML document.
pub fn xml_response(doc: XmlWriter) -> Response<Body> {
    xml_bytes_response(doc.finish())
}

/// A 200 answering an XML document already rendered.
pub fn xml_bytes_response(body: Bytes) -> Response<Body> {
    let mut resp = Response::new(full(body.clone()));
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    resp.headers_mut().insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    resp
}

/// An empty response with `status`.
pub fn empty_response(status: StatusCode) -> Response<Body> {
    let mut resp = Response::new(crate::body::empty());
    *resp.status_mut() = status;
    resp
}

/// Sets a header from a string, skipping values HTTP cannot carry.
pub fn set_header(resp: &mut Response<Body>, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        resp.headers_mut().insert(n, v);
    }
}

/// `2013-05-24T00:00:00.000Z`, the form of dates in S3 XML documents.
pub fn xml_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `Fri, 24 May 2013 00:00:00 GMT`, the form of `Last-Modified`.
pub fn http_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000).max(0) as u64;
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}
