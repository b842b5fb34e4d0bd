//! `s3strict presign`: presigned URLs and POST forms made by s3strict's own signer, the same
//! canonicalisation the server checks with. For comparing with another presigner's output, and
//! for shell-based tests.

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::auth::canonical::{self, uri_encode};
use crate::auth::sigv2;

/// What to presign.
#[derive(Debug, Clone)]
pub struct PresignInput {
    pub method: String,
    pub bucket: String,
    pub key: String,
    pub expires: u64,
    /// Headers to sign (and for the client to send), names as given.
    pub headers: Vec<(String, String)>,
    /// Extra query parameters, decoded; signed.
    pub query: Vec<(String, String)>,
    /// `path` or `virtual`.
    pub virtual_hosted: bool,
    pub sigv2: bool,
    /// `http://host:port`.
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    pub region: String,
    pub at: DateTime<Utc>,
}

/// Parses `s3://bucket/key`.
pub fn parse_s3_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| format!("expected s3://bucket/key, got {url:?}"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("no bucket in {url:?}"));
    }
    Ok((bucket.to_string(), key.to_string()))
}

/// The scheme and host of the endpoint, and the host the request goes to.
fn endpoint(input: &PresignInput) -> Result<(String, String), String> {
    let uri: http::Uri = input.endpoint.parse().map_err(|e| format!("invalid --endpoint: {e}"))?;
    let scheme = uri.scheme_str().unwrap_or("http").to_string();
    let authority = uri.authority().ok_or("the endpoint has no host")?.as_str().to_string();
    let host = if input.virtual_hosted { format!("{}.{authority}", input.bucket) } else { authority };
    Ok((scheme, host))
}

/// The encoded path of the object.
fn object_path(input: &PresignInput) -> String {
    let key = uri_encode(input.key.as_bytes(), false);
    if input.virtual_hosted {
        format!("/{key}")
    } else if input.key.is_empty() {
        format!("/{}", input.bucket)
    } else {
        format!("/{}/{key}", input.bucket)
    }
}

fn amz_date(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A presigned URL.
pub fn presign_url(input: &PresignInput) -> Result<String, String> {
    let (scheme, host) = endpoint(input)?;
    let path = object_path(input);
    let enc = |s: &str| uri_encode(s.as_bytes(), true);
    if input.sigv2 {
        let expires = (input.at.timestamp() + input.expires as i64).to_string();
        let header = |name: &str| {
            input.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        let mut amz: Vec<(String, String)> = input
            .headers
            .iter()
            .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-amz-"))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        if let Some(t) = &input.session_token {
            amz.push(("x-amz-security-token".into(), t.clone()));
        }
        let mut query: Vec<String> = input.query.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))).collect();
        let resource_path = if input.virtual_hosted { format!("/{}{path}", input.bucket) } else { path.clone() };
        let resource = sigv2::canonical_resource(None, &resource_path, &query.join("&"));
        let sts = sigv2::string_to_sign(
            &input.method,
            &header("content-md5"),
            &header("content-type"),
            &expires,
            &amz,
            &resource,
        );
        let signature = sigv2::sign(&input.secret_key, &sts);
        query.push(format!("AWSAccessKeyId={}", enc(&input.access_key)));
        query.push(format!("Expires={expires}"));
        if let Some(t) = &input.session_token {
            query.push(format!("x-amz-security-token={}", enc(t)));
        }
        query.push(format!("Signature={}", enc(&signature)));
        return Ok(format!("{scheme}://{host}{path}?{}", query.join("&")));
    }
    let date = amz_date(input.at);
    let scope = canonical::scope(&date[..8], &input.region, "s3");
    let mut names: Vec<String> = input.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.push("host".into());
    names.sort();
    names.dedup();
    let signed = names.join(";");
    let mut query: Vec<String> = vec![
        "X-Amz-Algorithm=AWS4-HMAC-SHA256".into(),
        format!("X-Amz-Credential={}", enc(&format!("{}/{scope}", input.access_key))),
        format!("X-Amz-Date={date}"),
        format!("X-Amz-Expires={}", input.expires),
        format!("X-Amz-SignedHeaders={}", enc(&signed)),
    ];
    if let Some(t) = &input.session_token {
        query.push(format!("X-Amz-Security-Token={}", enc(t)));
    }
    query.extend(input.query.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))));
    let raw_query = query.join("&");
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let block = canonical::canonical_headers(&name_refs, |n| {
        if n == "host" {
            vec![host.as_str()]
        } else {
            input.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str()).collect()
        }
    });
    // Signed over the x-amz-content-sha256 header when one is given, as S3 reads a presigned
    // URL (`auth::presigned`); the body must then hash to it.
    let payload = input
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map_or("UNSIGNED-PAYLOAD", |(_, v)| v.trim());
    let creq = canonical::canonical_request(
        &input.method,
        &canonical::canonical_uri(&path),
        &canonical::canonical_query(&raw_query),
        &block,
        &signed,
        payload,
    );
    let sts = canonical::string_to_sign(&date, &scope, &creq);
    let key = canonical::signing_key(&input.secret_key, &date[..8], &input.region, "s3");
    Ok(format!("{scheme}://{host}{path}?{raw_query}&X-Amz-Signature={}", canonical::sign(&key, &sts)))
}

/// A POST form's conditions, besides bucket, key and credentials.
#[derive(Debug, Clone, Default)]
pub struct FormConditions {
    /// Fields sent with the form, each an exact-match condition (`Content-Type`, `acl`, …).
    pub fields: Vec<(String, String)>,
    /// `starts-with` conditions: field name (with or without `$`) and prefix.
    pub starts_with: Vec<(String, String)>,
    pub content_length_range: Option<(u64, u64)>,
}

/// A POST form (SigV4 policy): the URL and the fields to send before the file. A key ending in
/// `${filename}` is signed as a `starts-with` condition on what precedes it.
pub fn presign_post(input: &PresignInput, conditions: &FormConditions) -> Result<serde_json::Value, String> {
    let (scheme, host) = endpoint(input)?;
    let url = if input.virtual_hosted {
        format!("{scheme}://{host}/")
    } else {
        format!("{scheme}://{host}/{}", input.bucket)
    };
    let date = amz_date(input.at);
    let credential = format!("{}/{}", input.access_key, canonical::scope(&date[..8], &input.region, "s3"));
    let expiration = (input.at + chrono::Duration::seconds(input.expires as i64)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let mut conds = vec![serde_json::json!({"bucket": input.bucket})];
    match input.key.strip_suffix("${filename}") {
        Some(prefix) => conds.push(serde_json::json!(["starts-with", "$key", prefix])),
        None => conds.push(serde_json::json!({"key": input.key})),
    }
    let mut fields = serde_json::Map::new();
    fields.insert("key".into(), input.key.clone().into());
    for (n, v) in &conditions.fields {
        conds.push(serde_json::json!({ n.as_str(): v }));
        fields.insert(n.clone(), v.clone().into());
    }
    for (n, prefix) in &conditions.starts_with {
        let name = if n.starts_with('$') { n.clone() } else { format!("${n}") };
        conds.push(serde_json::json!(["starts-with", name, prefix]));
    }
    if let Some((min, max)) = conditions.content_length_range {
        conds.push(serde_json::json!(["content-length-range", min, max]));
    }
    if let Some(t) = &input.session_token {
        conds.push(serde_json::json!({"x-amz-security-token": t}));
        fields.insert("x-amz-security-token".into(), t.clone().into());
    }
    conds.push(serde_json::json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}));
    conds.push(serde_json::json!({"x-amz-credential": credential}));
    conds.push(serde_json::json!({"x-amz-date": date}));
    let policy = serde_json::json!({"expiration": expiration.to_string(), "conditions": conds});
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let key = canonical::signing_key(&input.secret_key, &date[..8], &input.region, "s3");
    fields.insert("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into());
    fields.insert("x-amz-credential".into(), credential.into());
    fields.insert("x-amz-date".into(), date.into());
    fields.insert("policy".into(), b64.clone().into());
    fields.insert("x-amz-signature".into(), canonical::sign(&key, &b64).into());
    Ok(serde_json::json!({"url": url, "fields": fields}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PresignInput {
        PresignInput {
            method: "GET".into(),
            bucket: "examplebucket".into(),
            key: "test.txt".into(),
            expires: 86400,
            headers: vec![],
            query: vec![],
            virtual_hosted: true,
            sigv2: false,
            endpoint: "https://s3.amazonaws.com".into(),
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
            at: DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z").unwrap().with_timezone(&Utc),
        }
    }

    /// The S3 documentation's presigned URL, reproduced.
    #[test]
    fn documentation_example() {
        let url = presign_url(&input()).unwrap();
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    /// The SigV2 documentation example (behaviour spec 7.8): `Expires=1175139620`.
    #[test]
    fn sigv2_documentation_example() {
        let i = PresignInput {
            bucket: "johnsmith".into(),
            key: "photos/puppy.jpg".into(),
            sigv2: true,
            expires: 1175139620 - 1175000000,
            at: DateTime::from_timestamp(1175000000, 0).unwrap(),
            endpoint: "http://s3.amazonaws.com".into(),
            ..input()
        };
        let url = presign_url(&i).unwrap();
        assert!(url.ends_with("Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"), "{url}");
        assert!(url.starts_with("http://johnsmith.s3.amazonaws.com/photos/puppy.jpg?"), "{url}");
    }

    #[test]
    fn s3_urls() {
        assert_eq!(parse_s3_url("s3://b/dir/k").unwrap(), ("b".into(), "dir/k".into()));
        assert!(parse_s3_url("http://b/k").is_err());
    }
}
