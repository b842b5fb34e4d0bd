//! A browser form upload up to and through its file: the multipart/form-data parser with the
//! bounded fields before the file, then POST-policy authentication. Starting with `!`, the
//! harness signs the form's policy correctly (SigV4), so that the policy's conditions are checked.

#![no_main]

use std::sync::LazyLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use s3strict::auth::canonical::{sign, signing_key};
use s3strict::auth::clock::{Clock, ClockSetting};
use s3strict::auth::credentials::Credentials;
use s3strict::auth::log::AuthTrace;
use s3strict::auth::post_policy;
use s3strict::auth::AuthConfig;
use s3strict::s3::post_object::read_form;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

static CONFIG: LazyLock<AuthConfig> = LazyLock::new(|| AuthConfig {
    region: "us-east-1".into(),
    credentials: Credentials::single(AK, SK),
    clock: Clock::new(ClockSetting::Frozen(
        chrono::DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z").unwrap().with_timezone(&chrono::Utc),
    )),
    domain: None,
});

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().build().expect("runtime");
}

fuzz_target!(|data: &[u8]| {
    let (sign_it, data) = match data.strip_prefix(b"!") {
        Some(rest) => (true, rest),
        None => (false, data),
    };
    let [piece, body @ ..] = data else { return };
    let piece = usize::from(*piece % 128) + 1;
    let pieces: Vec<Result<Bytes, std::io::Error>> =
        body.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("multipart/form-data; boundary=B"));
    RUNTIME.with(|rt| {
        rt.block_on(async {
            let Ok(mut form) = read_form(&headers, futures_util::stream::iter(pieces)).await else { return };
            let mut file = 0usize;
            while let Ok(Some(chunk)) = form.file.chunk().await {
                file += chunk.len();
            }
            let _ = file;
            let mut fields = form.fields.clone();
            if sign_it {
                if let Some(policy) = fields.iter().find(|(n, _)| n == "policy").map(|(_, v)| v.clone()) {
                    fields.retain(|(n, _)| !n.starts_with("x-amz-") || n.starts_with("x-amz-meta-"));
                    let key = signing_key(SK, "20130524", "us-east-1", "s3");
                    fields.push(("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()));
                    fields.push(("x-amz-credential".into(), format!("{AK}/20130524/us-east-1/s3/aws4_request")));
                    fields.push(("x-amz-date".into(), "20130524T000000Z".into()));
                    fields.push(("x-amz-signature".into(), sign(&key, &policy)));
                }
            }
            let mut trace = AuthTrace::default();
            let _ = post_policy::verify(&CONFIG, &fields, "examplebucket", &mut trace);
            if let Some((_, b64)) = fields.iter().find(|(n, _)| n == "policy") {
                if let Ok(policy) = post_policy::parse_policy(b64) {
                    let _ = policy.check(&fields, "examplebucket", CONFIG.clock.now());
                }
            }
        })
    });
});
