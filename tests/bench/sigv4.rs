//! Criterion micro-benchmark: verifying one presigned SigV4 request (the S3 documentation's
//! example URL, judged at its own time), alone — canonical request, string to sign, signing key
//! (cached after the first), HMAC and the comparison. `cargo bench --bench sigv4`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue, Method};
use s3strict::auth::clock::ClockSetting;
use s3strict::auth::{self, AuthConfig, AuthRequest, AuthTrace, Clock, Credentials};

const QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

fn presigned_get(c: &mut Criterion) {
    let at = chrono::DateTime::parse_from_rfc3339("2013-05-24T00:10:00Z").unwrap().to_utc();
    let cfg = AuthConfig {
        region: "us-east-1".into(),
        credentials: Credentials::single("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        clock: Clock::new(ClockSetting::Frozen(at)),
        domain: None,
    };
    let mut headers = HeaderMap::new();
    headers.insert(http::header::HOST, HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
    let query = auth::parse_query(QUERY);
    let method = Method::GET;
    let req = AuthRequest::s3(&method, "/test.txt", QUERY, &query, &headers, Some("examplebucket"));
    let mut trace = AuthTrace::default();
    let verified = auth::verify(&cfg, &req, &mut trace).expect("the documentation's URL verifies");
    assert_eq!(verified.access_key.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
    c.bench_function("verify presigned GET (SigV4)", |b| {
        b.iter(|| {
            let mut trace = AuthTrace::default();
            auth::verify(&cfg, std::hint::black_box(&req), &mut trace).unwrap()
        })
    });
}

criterion_group!(benches, presigned_get);
criterion_main!(benches);
