//! Response header names in S3's case: standard HTTP headers capitalised (`Content-Type`,
//! `ETag`, `Last-Modified`), `x-amz-*` and `x-cos-*` in lower case. HTTP says names are
//! case-insensitive, but some clients compare them exactly: the Tencent COS Java SDK finds an
//! object's type only under `Content-Type` and its metadata only under `x-cos-meta-`. hyper writes
//! names in lower case unless a response carries its header-case extension, which it documents for
//! `preserve_header_case` ("it will also look for and use such an extension in any provided
//! Response") but does not let callers construct; so the extension is taken once, at startup,
//! from a request with the wanted names that hyper itself parses.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::{Extensions, Request, Response};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The names S3 capitalises; any other header keeps hyper's lower case.
const CAPITALISED: [&str; 24] = [
    "Accept-Ranges",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Range",
    "Content-Type",
    "Date",
    "ETag",
    "Expires",
    "Last-Modified",
    "Location",
    "Server",
    "Vary",
    "WWW-Authenticate",
    "Retry-After",
];

/// The header-case extension to put on every response; empty (lower case) if hyper would not
/// produce one.
pub async fn s3_header_case() -> Extensions {
    let captured = Arc::new(Mutex::new(Extensions::new()));
    let (client, server) = tokio::io::duplex(8192);
    let sink = captured.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        if let Ok(mut slot) = sink.lock() {
            *slot = req.extensions().clone();
        }
        async { Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new())) }
    });
    let conn = http1::Builder::new().preserve_header_case(true).serve_connection(TokioIo::new(server), service);
    let mut head = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for name in CAPITALISED {
        let value = match name {
            "Content-Length" => "0",
            "Connection" => "close",
            _ => "x",
        };
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let talk = async move {
        let mut client = client;
        client.write_all(head.as_bytes()).await?;
        let mut sink = Vec::new();
        client.read_to_end(&mut sink).await
    };
    let (served, talked) = tokio::join!(conn, talk);
    if served.is_err() || talked.is_err() {
        tracing::warn!("response header names stay in lower case");
    }
    // What hyper kept of the request besides the names' case is nothing a response would use.
    captured.lock().map(|e| e.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn responses_are_written_with_s3_names() {
        let case = s3_header_case().await;
        assert_eq!(case.len(), 1, "the header-case map");
        let (client, server) = tokio::io::duplex(8192);
        let service = service_fn(move |_req: Request<Incoming>| {
            let case = case.clone();
            async move {
                let mut resp = Response::new(Empty::<Bytes>::new());
                let h = resp.headers_mut();
                h.insert("content-type", http::HeaderValue::from_static("text/plain"));
                h.insert("etag", http::HeaderValue::from_static("\"e\""));
                h.insert("x-amz-request-id", http::HeaderValue::from_static("1"));
                h.insert("x-cos-meta-a", http::HeaderValue::from_static("b"));
                resp.extensions_mut().extend(case);
                Ok::<_, Infallible>(resp)
            }
        });
        let conn = http1::Builder::new().serve_connection(TokioIo::new(server), service);
        let talk = async move {
            let mut client = client;
            client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
            let mut out = Vec::new();
            client.read_to_end(&mut out).await.unwrap();
            String::from_utf8(out).unwrap()
        };
        let (_, text) = tokio::join!(conn, talk);
        for line in
            ["Content-Type: text/plain\r\n", "ETag: \"e\"\r\n", "x-amz-request-id: 1\r\n", "x-cos-meta-a: b\r\n"]
        {
            assert!(text.contains(line), "{line:?} in {text}");
        }
    }
}
