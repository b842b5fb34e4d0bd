//! Pure SigV4 functions: S3's URI encoding, the canonical request, the string to sign, the signing
//! key and the signature. Nothing here reads a request or the clock.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only SigV4 algorithm S3 accepts for HMAC signatures.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The terminal element of every credential scope.
pub const TERMINAL: &str = "aws4_request";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SigV4 `UriEncode`: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay, every other byte becomes
/// `%XX` in uppercase hex; `/` stays unless `encode_slash`.
pub fn uri_encode(input: &[u8], encode_slash: bool) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    uri_encode_into(&mut out, input, encode_slash);
    out
}

/// [`uri_encode`], appended to `out`. Runs of unreserved bytes are copied whole.
pub fn uri_encode_into(out: &mut String, input: &[u8], encode_slash: bool) {
    let keep =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (b == b'/' && !encode_slash);
    let mut rest = input;
    loop {
        let run = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        // Unreserved bytes are ASCII, so the run is UTF-8.
        out.push_str(std::str::from_utf8(&rest[..run]).unwrap_or_default());
        let Some(&b) = rest.get(run) else { break };
        out.push('%');
        out.push(HEX_UPPER[(b >> 4) as usize] as char);
        out.push(HEX_UPPER[(b & 0xf) as usize] as char);
        rest = &rest[run + 1..];
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Percent-decodes `input` once. A `%` not followed by two hex digits is kept as it is; `+` stays
/// a plus (S3 does not treat the path or the query as form data for signing).
pub fn percent_decode(input: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(input).collect()
}

/// S3's canonical URI: the received path decoded once and re-encoded with `/` kept. No `.`/`..`
/// or `//` normalisation and no double encoding, unlike the generic SigV4 services.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_string();
    }
    uri_encode(&percent_decode(raw_path), false)
}

/// The canonical query string: every parameter except `X-Amz-Signature`, name and value decoded
/// once and re-encoded (slash included), sorted by name then value; a bare name becomes `name=`.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n, v),
            None => (p, ""),
        })
        .filter(|(n, _)| *n != "X-Amz-Signature")
        .map(|(n, v)| (uri_encode(&percent_decode(n), true), uri_encode(&percent_decode(v), true)))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// A header value as SigV4 canonicalises it: trimmed, inner runs of spaces and tabs folded to one
/// space.
pub fn trim_all(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The canonical headers block (each line `name:value\n`) for `signed` names, each looked up with
/// `values` (all values of that header, in order; joined by `,`). A missing header canonicalises to
/// an empty value, which then fails the signature as it does on S3.
pub fn canonical_headers<'a, F>(signed: &[&str], mut values: F) -> String
where
    F: FnMut(&str) -> Vec<&'a str>,
{
    let mut out = String::new();
    for name in signed {
        out.push_str(name);
        out.push(':');
        let vals: Vec<String> = values(name).into_iter().map(trim_all).collect();
        out.push_str(&vals.join(","));
        out.push('\n');
    }
    out
}

/// `Method\nURI\nQuery\nHeaders\nSignedHeaders\nPayload`.
pub fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}")
}

/// Bytes as ISO-8859-1 text: each byte the character of the same number.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// `date/region/service/aws4_request`.
pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{TERMINAL}")
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The signing key `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINAL.as_bytes())
}

/// Hex HMAC-SHA256 of `data` under `key`: a signature.
pub fn sign(key: &[u8], data: &str) -> String {
    hex::encode(hmac(key, data.as_bytes()))
}

/// HMAC-SHA256.
pub fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Whether `s` is 64 hex digits, the form of a SHA-256 payload hash.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares two signatures in constant time.
pub fn signatures_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Bytes as S3 writes them in `StringToSignBytes`/`CanonicalRequestBytes`: two lowercase hex
/// digits per byte, separated by single spaces.
pub fn spaced_hex(data: &str) -> String {
    let mut out = String::with_capacity(data.len() * 3);
    for (i, b) in data.bytes().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_follows_s3() {
        assert_eq!(canonical_uri("/test$file.text"), "/test%24file.text");
        assert_eq!(canonical_uri("/b/a%20b%2Bc~%c3%a9.txt"), "/b/a%20b%2Bc~%C3%A9.txt");
        assert_eq!(canonical_uri("/b/a+b"), "/b/a%2Bb");
        assert_eq!(canonical_uri("/b/%7E/./../x//y"), "/b/~/./../x//y");
        assert_eq!(canonical_uri("/%2Fb/k"), "//b/k");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn query_sorted_and_signature_dropped() {
        assert_eq!(canonical_query("max-keys=2&prefix=J"), "max-keys=2&prefix=J");
        assert_eq!(canonical_query("lifecycle"), "lifecycle=");
        assert_eq!(canonical_query("b=2&a=1&X-Amz-Signature=x&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("p=a%2fb c+d"), "p=a%2Fb%20c%2Bd");
    }

    #[test]
    fn trim_all_folds_whitespace() {
        assert_eq!(trim_all("  a   b \t c  "), "a b c");
    }

    #[test]
    fn spaced_hex_lowercase() {
        assert_eq!(spaced_hex("AWS4\n"), "41 57 53 34 0a");
    }
}
