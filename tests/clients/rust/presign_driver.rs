//! The Rust presigners of the presigner matrix (`tests/clients/python/test_presigner_matrix.py`):
//! one JSON request per line on stdin, one JSON answer per line on stdout; see
//! `tests/clients/js/presign-driver.js` for the fields. SDKs: `rust-sdk` (aws-sdk-s3's
//! `presigned()`) and `object_store` (`Signer::signed_url`, which signs no headers and no extra
//! parameters).

use std::io::{BufRead, Write};
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::signer::Signer;
use serde_json::{json, Value};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn field<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    r.get(name).and_then(Value::as_str)
}

async fn rust_sdk(r: &Value) -> Result<Value, String> {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(field(r, "region").unwrap_or("us-east-1").to_string()))
        .endpoint_url(field(r, "endpoint").unwrap_or_default())
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "matrix"))
        .force_path_style(field(r, "style") == Some("path"))
        .build();
    let client = aws_sdk_s3::Client::from_conf(conf);
    let expires = Duration::from_secs(r["expires"].as_u64().unwrap_or(60));
    let presigning = PresigningConfig::expires_in(expires).map_err(|e| e.to_string())?;
    let (bucket, key) = (field(r, "bucket").unwrap_or_default(), field(r, "key").unwrap_or_default());
    let presigned = match field(r, "op") {
        Some("get") => client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_response_content_type(field(r, "response_content_type").map(str::to_string))
            .presigned(presigning)
            .await
            .map_err(|e| format!("{e:?}"))?,
        Some("put") => client
            .put_object()
            .bucket(bucket)
            .key(key)
            .set_content_type(field(r, "content_type").map(str::to_string))
            .presigned(presigning)
            .await
            .map_err(|e| format!("{e:?}"))?,
        _ => return Ok(json!({"unsupported": "the SDK has no POST presigner"})),
    };
    let headers: serde_json::Map<String, Value> = presigned
        .headers()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
        .map(|(n, v)| (n.to_string(), json!(v)))
        .collect();
    Ok(json!({"url": presigned.uri(), "headers": headers}))
}

async fn object_store(r: &Value) -> Result<Value, String> {
    let method = match field(r, "op") {
        Some("get") if field(r, "response_content_type").is_some() => {
            return Ok(json!({"unsupported": "signed_url signs no extra query parameters"}))
        }
        Some("put") if field(r, "content_type").is_some() => {
            return Ok(json!({"unsupported": "signed_url signs no headers"}))
        }
        Some("get") => http::Method::GET,
        Some("put") => http::Method::PUT,
        _ => return Ok(json!({"unsupported": "no POST presigner"})),
    };
    // Virtual-hosted, object_store takes the endpoint as the bucket's own address.
    let endpoint = field(r, "endpoint").unwrap_or_default();
    let virtual_hosted = field(r, "style") == Some("virtual");
    let endpoint = match (virtual_hosted, endpoint.split_once("://")) {
        (true, Some((scheme, host))) => format!("{scheme}://{}.{host}", field(r, "bucket").unwrap_or_default()),
        _ => endpoint.to_string(),
    };
    let store = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(field(r, "bucket").unwrap_or_default())
        .with_region(field(r, "region").unwrap_or("us-east-1"))
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(virtual_hosted)
        .build()
        .map_err(|e| e.to_string())?;
    // `Path::parse` keeps the key as given; `Path::from` would percent-encode `~` and non-ASCII
    // into the key itself.
    let path = Path::parse(field(r, "key").unwrap_or_default()).map_err(|e| e.to_string())?;
    let expires = Duration::from_secs(r["expires"].as_u64().unwrap_or(60));
    let url = store.signed_url(method, &path, expires).await.map_err(|e| e.to_string())?;
    Ok(json!({"url": url.to_string(), "headers": {}}))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(r) => match field(&r, "sdk") {
                Some("rust-sdk") => rust_sdk(&r).await,
                Some("object_store") => object_store(&r).await,
                other => Err(format!("unknown sdk {other:?}")),
            },
            Err(e) => Err(e.to_string()),
        };
        let answer = answer.unwrap_or_else(|e| json!({ "error": e }));
        if writeln!(out, "{answer}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}
