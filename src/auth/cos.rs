//! Tencent Cloud COS "q-sign" authentication (XML API v5), as the COS SDKs sign: the same seven
//! fields in the `Authorization` header or as presigned-URL query parameters.
//! <https://www.tencentcloud.com/document/product/436/7778>
//!
//! ```text
//! SignKey      = hex(HMAC-SHA1(SecretKey, q-key-time))
//! HttpString   = lower(method) \n decoded path \n listed params \n listed headers \n
//! StringToSign = sha1 \n q-sign-time \n hex(SHA1(HttpString)) \n
//! q-signature  = hex(HMAC-SHA1(SignKey, StringToSign))
//! ```
//!
//! Listed parameters and headers are `enc(lower(name))=enc(value)` pairs sorted by name, `enc`
//! percent-encoding every byte but `A-Za-z0-9-_.~` in upper-case hex. Only what the lists name is
//! signed; a header or parameter the lists leave out is refused when this server would act on it
//! ([`check_all_signed`]), and otherwise passes unread, as on COS. Checks run in the order parse,
//! algorithm, key, session, time (`q-sign-time`, then `q-key-time`, which must contain it),
//! signature, unsigned parts. Messages COS is not known to use are this server's choice and say
//! so here: an incomplete or malformed authorization, an algorithm other than sha1 (COS documents
//! only that sha1 is the one algorithm), a signature window outside its key's, unsigned parts.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha1::{Digest, Sha1};

use super::canonical::{percent_decode, signatures_equal, uri_encode};
use super::canonical_v2::SUBRESOURCES;
use super::checks::check_session;
use super::clock::iso8601;
use super::log::AuthTrace;
use super::types::{AuthConfig, AuthRequest, AuthType, Payload, SignatureVersion, Verified};
use crate::error::{ErrorCode, S3Error, S3Result};

/// The fields of the authorization string, in the order the SDKs write them.
pub const FIELDS: [&str; 7] =
    ["q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list", "q-url-param-list", "q-signature"];

/// COS's message for a signature that does not match.
pub const MISMATCH: &str = "The Signature you specified is invalid.";

/// Where the authorization string was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Header,
    Query,
}

/// Whether an `Authorization` header value is a COS authorization string.
pub fn is_header(value: &[u8]) -> bool {
    value.trim_ascii_start().starts_with(b"q-sign-algorithm=")
}

/// Whether a decoded query carries COS authorization parameters.
pub fn is_query(params: &[(String, String)]) -> bool {
    params.iter().any(|(n, _)| FIELDS.contains(&n.as_str()))
}

/// Whether the request presents COS authentication: its errors then follow COS's format.
pub fn presented(headers: &HeaderMap, params: &[(String, String)]) -> bool {
    headers.get(http::header::AUTHORIZATION).is_some_and(|v| is_header(v.as_bytes())) || is_query(params)
}

/// The query decoded form-style, as the COS SDKs write it (`+` is a space; a literal `+` arrives
/// as `%2B`), hex of either case.
pub fn form_query(raw: &str) -> Vec<(String, String)> {
    let decode = |s: &str| String::from_utf8_lossy(&percent_decode(&s.replace('+', " "))).into_owned();
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
        .collect()
}

fn hmac_sha1_hex(key: &[u8], data: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = match Hmac::<Sha1>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// The strings a COS signature is computed over, and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub http_string: String,
    pub string_to_sign: String,
    pub signature: String,
}

/// Computes the signature of `http_string` for the two times and the secret key.
pub fn sign(secret_key: &str, key_time: &str, sign_time: &str, http_string: String) -> Signed {
    let sign_key = hmac_sha1_hex(secret_key.as_bytes(), key_time.as_bytes());
    let string_to_sign = format!("sha1\n{sign_time}\n{}\n", hex::encode(Sha1::digest(http_string.as_bytes())));
    let signature = hmac_sha1_hex(sign_key.as_bytes(), string_to_sign.as_bytes());
    Signed { http_string, string_to_sign, signature }
}

/// `k=v&…` over the names of `list` (encoded, lower-case, `;`-separated), each looked up in
/// `available` (encoded lower-case name, raw value); sorted by name. A listed name the request
/// does not have is left out, which then fails the signature.
fn pairs(list: &str, available: &[(String, Vec<u8>)]) -> String {
    let mut items: Vec<(String, String)> = list
        .split(';')
        .filter(|n| !n.is_empty())
        .filter_map(|n| {
            let n = n.to_ascii_lowercase();
            available.iter().find(|(k, _)| *k == n).map(|(_, v)| (n, uri_encode(v, true)))
        })
        .collect();
    items.sort();
    items.dedup_by(|a, b| a.0 == b.0);
    items.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn incomplete(detail: &str) -> S3Error {
    S3Error::with_message(ErrorCode::AccessDenied, format!("Authorization is incomplete: {detail}"))
}

/// A validity window: its first and last instant, both included.
type Window = (DateTime<Utc>, DateTime<Utc>);

/// Parses `t0;t1` (Unix seconds).
fn parse_window(raw: &str) -> Option<Window> {
    let (a, b) = raw.split_once(';')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    Some((DateTime::from_timestamp(a, 0)?, DateTime::from_timestamp(b, 0)?))
}

/// The time checks, after the key and session: `now` must lie in `q-sign-time`, whose end is
/// "Request has expired" and whose start "RequestTimeTooSkewed" (COS's codes, cos-auth.md §6), and
/// in `q-key-time`, the validity of the key (`SignKey = HMAC(SecretKey, q-key-time)`) the
/// signature was made with; and the signature may not outlive or predate its key, so `q-sign-time`
/// must lie within `q-key-time`. COS's documentation writes the one KeyTime into both fields and
/// the SDKs always do (cos-auth.md §1), so for them this never refuses anything; a hand-made
/// signature whose key has expired is refused as COS refuses an expired signature. Both ends are
/// inclusive, as for `q-sign-time` (`negative-cases.json` "last-valid-second"). The message for a
/// signature window outside its key's is this server's own: COS documents none.
fn check_times(now: DateTime<Utc>, sign: Window, key: Window) -> S3Result<()> {
    for (from, until) in [sign, key] {
        if now > until {
            return Err(
                S3Error::with_message(ErrorCode::AccessDenied, "Request has expired").extra("ServerTime", iso8601(now))
            );
        }
        if now < from {
            return Err(S3Error::with_message(
                ErrorCode::RequestTimeTooSkewed,
                "The difference between the request time and the server's time is too large.",
            )
            .extra("ServerTime", iso8601(now)));
        }
    }
    if sign.0 < key.0 || sign.1 > key.1 {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "q-sign-time must lie within q-key-time"));
    }
    Ok(())
}

/// The session token: checked on its own against the key (`check_session`), so it need not be
/// signed, and the Node SDK adds it after signing (as a header, or after `q-signature`).
const SECURITY_TOKEN: &str = "x-cos-security-token";

/// COS's own names for what S3 carries in `x-amz-*` headers: metadata, the copy source and its
/// conditions, ACL and grants, tags, the metadata and tagging directives, storage class,
/// encryption, and COS's refusal to overwrite. This server reads `x-cos-meta-*`; the rest are
/// what a COS request does on COS, so none of them is taken unsigned either.
const COS_ACTION_HEADERS: [&str; 9] = [
    "x-cos-meta-",
    "x-cos-copy-source",
    "x-cos-acl",
    "x-cos-grant-",
    "x-cos-tagging",
    "x-cos-metadata-directive",
    "x-cos-storage-class",
    "x-cos-server-side-encryption",
    "x-cos-forbid-overwrite",
];

/// Whether a header of that (lowercase) name changes what the request does or may do: every
/// `x-amz-*` header (copy source, tagging, ACL and grants, metadata and its directive, storage
/// class, checksums, conditions on the copy source…), as SigV4 requires every `x-amz-*` header to
/// be signed, and COS's own names for the same ([`COS_ACTION_HEADERS`]). Other `x-cos-*` headers
/// are the SDKs' own, some added after signing (the Java SDK's `x-cos-sdk-log-debug`, the Node
/// SDK's session token), and ordinary HTTP headers (Content-Type, Cache-Control, Range, If-*) may
/// go unsigned, as in SigV4: the Node SDK sends an empty Cache-Control unsigned (cos-auth.md §5).
fn acted_on_header(name: &str) -> bool {
    name.starts_with("x-amz-") || COS_ACTION_HEADERS.iter().any(|p| name.starts_with(p))
}

/// Query parameters the router and handlers read besides S3's sub-resources
/// ([`SUBRESOURCES`], which hold `acl`, `tagging`, `versionId`, `uploadId`, `partNumber`,
/// `response-*`…): the other operation selectors, and the listing parameters.
const OPERATION_PARAMS: &[&str] = &[
    "attributes",
    "ownershipControls",
    "publicAccessBlock",
    "policyStatus",
    "encryption",
    "intelligent-tiering",
    "legal-hold",
    "retention",
    "metadataTable",
    "id",
    "list-type",
    "prefix",
    "delimiter",
    "marker",
    "max-keys",
    "encoding-type",
    "continuation-token",
    "fetch-owner",
    "start-after",
    "key-marker",
    "version-id-marker",
    "upload-id-marker",
    "max-uploads",
    "max-parts",
    "part-number-marker",
    "max-buckets",
    "bucket-region",
];

/// Whether this server acts on a query parameter of that name: a sub-resource or operation
/// selector, a listing parameter, a response override, or a header a presigned request may carry
/// in its query (`x-amz-*` and `If-*`, which stand in for missing headers, and COS's action
/// headers). Compared without case, so that a second spelling cannot slip past. Other parameters
/// (`foo=bar`, a tracker's, the session token) are read by nobody else and may go unsigned, as
/// COS allows (`negative-cases.json` "unsigned-extra-param-ok").
fn acted_on_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["response-", "if-"].iter().any(|p| lower.starts_with(p))
        || acted_on_header(&lower)
        || SUBRESOURCES.iter().chain(OPERATION_PARAMS).any(|s| s.eq_ignore_ascii_case(name))
}

/// The names, among `items` (name, as sent), that `acts` says are acted on but the signature does
/// not cover: not in `list`, or not the first of their (encoded, lowercase) name, which is the one
/// the signature took ([`pairs`]). Sorted, each once.
fn unsigned_names<'a>(items: impl Iterator<Item = &'a str>, list: &str, acts: fn(&str) -> bool) -> Vec<String> {
    let listed: HashSet<String> = list.split(';').filter(|n| !n.is_empty()).map(str::to_ascii_lowercase).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for name in items {
        let key = uri_encode(name.to_lowercase().as_bytes(), true);
        let signed = listed.contains(&key) && !seen.contains(&key);
        seen.insert(key);
        if acts(name) && !signed {
            out.push(name.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A COS signature covers only what `q-header-list` and `q-url-param-list` name; COS lets the
/// rest through unverified. This server acts only on what was signed, as the issue (#21) asks:
/// whoever holds a signed request or presigned URL must not be able to make it copy another
/// object, read another version, set an ACL or tags, or answer as a web page. Refused rather than
/// ignored, so the sender learns at once (as SigV4's "headers … which were not signed" does);
/// COS has an optional strict-signature mode that likewise refuses requests whose headers are not
/// signed (PicGo/PicGo-Core#182), but documents no code or text for it: `AccessDenied` (403) and
/// S3's words for the same fault are this server's choice. Both COS SDKs sign every query
/// parameter and every `x-cos-*` header they send (cos-auth.md §5), so none of their requests is
/// refused.
fn check_all_signed(
    headers: &HeaderMap,
    query: &[(String, String)],
    header_list: &str,
    param_list: &str,
) -> S3Result<()> {
    let names = unsigned_names(headers.iter().map(|(n, _)| n.as_str()), header_list, acted_on_header);
    if !names.is_empty() {
        let names = names.join(", ");
        let mut e = S3Error::with_message(
            ErrorCode::AccessDenied,
            format!("There were headers present in the request which were not signed: {names}"),
        );
        e.cause = Some(format!(
            "a COS signature covers only the headers q-header-list names, and the COS SDKs list only x-cos-* and a few standard headers: sign {names}, send the x-cos-* equivalent, or do not send it"
        ));
        return Err(e);
    }
    let names = unsigned_names(query.iter().map(|(n, _)| n.as_str()), param_list, acted_on_param);
    if !names.is_empty() {
        let names = names.join(", ");
        let mut e = S3Error::with_message(
            ErrorCode::AccessDenied,
            format!("There were query parameters present in the request which were not signed: {names}"),
        );
        e.cause = Some(format!(
            "a COS signature covers only the parameters q-url-param-list names: sign {names} (the COS SDKs sign every parameter they are given) or do not send it"
        ));
        return Err(e);
    }
    Ok(())
}

/// Verifies a COS-signed request; `header` is the `Authorization` value for the header form.
pub(super) fn verify(
    cfg: &AuthConfig,
    req: &AuthRequest<'_>,
    header: Option<&str>,
    trace: &mut AuthTrace,
) -> S3Result<Verified> {
    let form = if header.is_some() { Form::Header } else { Form::Query };
    let query = form_query(req.raw_query);
    let fields: Vec<(String, String)> = match header {
        Some(value) => value
            .trim()
            .split('&')
            .map(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                (n.trim().to_string(), v.to_string())
            })
            .collect(),
        None => query.iter().filter(|(n, _)| FIELDS.contains(&n.as_str())).cloned().collect(),
    };
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if let Some(missing) = FIELDS.iter().find(|f| get(f).is_none()) {
        return Err(incomplete(&format!("{missing} is missing")));
    }
    let [Some(algorithm), Some(access_key), Some(sign_time), Some(key_time), Some(header_list), Some(param_list), Some(provided)] =
        FIELDS.map(get)
    else {
        return Err(incomplete("a field is missing"));
    };
    trace.access_key = Some(access_key.to_string());
    trace.signed_headers = Some(header_list.to_string());
    if algorithm != "sha1" {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "q-sign-algorithm must be sha1"));
    }
    let Some((from, until)) = parse_window(sign_time) else {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "q-sign-time is malformed"));
    };
    let Some(key_window) = parse_window(key_time) else {
        return Err(S3Error::with_message(ErrorCode::AccessDenied, "q-key-time is malformed"));
    };
    trace.expires = Some(iso8601(until));
    let Some(secret) = cfg.credentials.secret(access_key) else {
        return Err(S3Error::with_message(
            ErrorCode::InvalidAccessKeyId,
            "The Access Key Id you provided does not exist in our records",
        ));
    };
    let token = match req.headers.get(SECURITY_TOKEN) {
        Some(v) => std::str::from_utf8(v.as_bytes()).ok(),
        None => query.iter().find(|(n, _)| n == SECURITY_TOKEN).map(|(_, v)| v.as_str()),
    };
    check_session(cfg, access_key, token)?;
    check_times(cfg.clock.now(), (from, until), key_window)?;
    check_signature(req, &query, &secret, key_time, sign_time, header_list, param_list, provided)?;
    check_all_signed(req.headers, &query, header_list, param_list)?;
    let auth_type = match form {
        Form::Header => AuthType::Header,
        Form::Query => AuthType::Query,
    };
    Ok(Verified::signed(access_key.to_string(), auth_type, SignatureVersion::Cos, Some(from), Payload::Unsigned))
}

/// The path COS signs: the request path percent-decoded once, as UTF-8.
fn signed_path(raw_path: &str) -> Option<String> {
    String::from_utf8(percent_decode(raw_path)).ok()
}

/// Recomputes the signature with the `Host` header as received and, when that fails and the host
/// has a port, without the port (one SDK signs the host with its port, the other without).
#[allow(clippy::too_many_arguments)]
fn check_signature(
    req: &AuthRequest<'_>,
    query: &[(String, String)],
    secret: &str,
    key_time: &str,
    sign_time: &str,
    header_list: &str,
    param_list: &str,
    provided: &str,
) -> S3Result<()> {
    let params: Vec<(String, Vec<u8>)> =
        query.iter().map(|(n, v)| (uri_encode(n.to_lowercase().as_bytes(), true), v.as_bytes().to_vec())).collect();
    let mut headers: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|(n, v)| (uri_encode(n.as_str().as_bytes(), true), v.as_bytes().trim_ascii().to_vec()))
        .collect();
    let path = signed_path(req.raw_path);
    let compute = |headers: &[(String, Vec<u8>)]| {
        let http_string = format!(
            "{}\n{}\n{}\n{}\n",
            req.method.as_str().to_lowercase(),
            path.as_deref().unwrap_or(req.raw_path),
            pairs(param_list, &params),
            pairs(header_list, headers)
        );
        sign(secret, key_time, sign_time, http_string)
    };
    let provided = provided.to_ascii_lowercase();
    let first = compute(&headers);
    let received_headers = headers.clone();
    if path.is_some() && signatures_equal(&first.signature, &provided) {
        return Ok(());
    }
    let host = req.headers.get(http::header::HOST).map(|h| h.as_bytes().to_vec());
    if let Some(without_port) = host.as_deref().and_then(strip_port) {
        if let Some(h) = headers.iter_mut().find(|(n, _)| n == "host") {
            h.1 = without_port.to_vec();
        }
        if path.is_some() && signatures_equal(&compute(&headers).signature, &provided) {
            return Ok(());
        }
    }
    tracing::debug!(http_string = %first.http_string, string_to_sign = %first.string_to_sign, "COS signature mismatch");
    let cause = super::diagnose::allowed().then(|| {
        let variant = |method: &str, path: &str, headers: &[(String, Vec<u8>)], secret: &str| {
            let http_string = format!(
                "{}\n{path}\n{}\n{}\n",
                method.to_lowercase(),
                pairs(param_list, &params),
                pairs(header_list, headers)
            );
            signatures_equal(&sign(secret, key_time, sign_time, http_string).signature, &provided)
        };
        let path = path.clone().unwrap_or_else(|| req.raw_path.to_string());
        explain(req, &path, &received_headers, header_list, secret, &variant)
            .unwrap_or_else(|| super::diagnose::UNEXPLAINED.to_string())
    });
    let mut e = S3Error::with_message(ErrorCode::SignatureDoesNotMatch, MISMATCH)
        .extra("StringToSign", first.string_to_sign)
        .extra("FormatString", withhold_cos_browser_credentials(&first.http_string));
    e.cause = cause;
    Err(e)
}

/// The format string as shown to the caller: the headers line (`name=value&…`) without the
/// values of the browser's own credentials (see `checks::withhold_browser_credentials`).
fn withhold_cos_browser_credentials(http_string: &str) -> String {
    let lines: Vec<&str> = http_string.split('\n').collect();
    lines
        .iter()
        .enumerate()
        .map(
            |(i, line)| {
                if i == 3 {
                    super::checks::withhold_browser_credentials(line, '=', '&')
                } else {
                    line.to_string()
                }
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a signature over (method, path, headers) with a secret is the one sent.
type Variant<'a> = dyn Fn(&str, &str, &[(String, Vec<u8>)], &str) -> bool + 'a;

/// The COS presigner mistakes: method, a Host signed with another port, a listed header sent with
/// another value, a '+' meant as a space in the key, another secret. `variant` tells whether a
/// signature over (method, path, headers) with a secret is the one sent.
fn explain(
    req: &AuthRequest<'_>,
    path: &str,
    headers: &[(String, Vec<u8>)],
    header_list: &str,
    secret: &str,
    variant: &Variant<'_>,
) -> Option<String> {
    let method = req.method.as_str();
    for m in ["GET", "PUT", "HEAD", "DELETE", "POST"] {
        if m != method && variant(m, path, headers, secret) {
            return Some(format!("the URL was signed for {m} and used for {method}"));
        }
    }
    let with = |name: &str, value: &[u8]| {
        let mut h = headers.to_vec();
        match h.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_vec(),
            None => h.push((name.to_string(), value.to_vec())),
        }
        h
    };
    let listed: Vec<String> = header_list.split(';').filter(|n| !n.is_empty()).map(str::to_ascii_lowercase).collect();
    if listed.iter().any(|n| n == "host") {
        let received = headers.iter().find(|(n, _)| n == "host").map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        let received = received.unwrap_or_default();
        let name =
            strip_port(received.as_bytes()).map_or(received.clone(), |h| String::from_utf8_lossy(h).into_owned());
        for port in super::diagnose::HOST_PORTS {
            let candidate = format!("{name}:{port}");
            if candidate != received && variant(method, path, &with("host", candidate.as_bytes()), secret) {
                return Some(format!("the URL was signed for host {candidate}, received {received}"));
            }
        }
    }
    for name in &listed {
        let sent = headers.iter().find(|(n, _)| n == name).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        for candidate in super::diagnose::header_candidates(name, sent.as_deref().unwrap_or("")) {
            if Some(&candidate) != sent.as_ref() && variant(method, path, &with(name, candidate.as_bytes()), secret) {
                return Some(match &sent {
                    Some(v) => format!("the header {name} was signed as {candidate:?} but sent as {v:?}"),
                    None => format!("the signed header {name} was not sent; it was signed as {candidate:?}"),
                });
            }
        }
        if sent.is_none() {
            return Some(format!("the header {name} is in q-header-list but was not sent"));
        }
    }
    if path.contains('+') && variant(method, &path.replace('+', " "), headers, secret) {
        return Some(
            "the key was signed with a space where the URL has '+': send a space as %20 and a plus as %2B".into(),
        );
    }
    None
}

/// `host:port` without `:port`; `None` when there is no port.
fn strip_port(host: &[u8]) -> Option<&[u8]> {
    if host.starts_with(b"[") {
        let end = host.iter().position(|b| *b == b']')?;
        return (end + 1 < host.len()).then(|| &host[..=end]);
    }
    let colon = host.iter().rposition(|b| *b == b':')?;
    (host.iter().filter(|b| **b == b':').count() == 1).then(|| &host[..colon])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_credentials_are_withheld_from_the_format_string() {
        let shown = withhold_cos_browser_credentials("get\n/k\n\ncookie=a%3Db&host=x\n");
        assert_eq!(
            shown,
            "get\n/k\n\ncookie=(withheld: a browser's credentials are not echoed; the auth log has them)&host=x\n"
        );
        assert_eq!(withhold_cos_browser_credentials("get\n/cookie=x\n\nhost=x\n"), "get\n/cookie=x\n\nhost=x\n");
    }

    #[test]
    fn worked_example_of_the_spec() {
        // cos-python-sdk-v5, key `dir/a b+c~é.txt` (vector py-get-unicode).
        let s = sign(
            "EXAMPLEcosSecretKey0123456789abcd",
            "1699999940;1700003600",
            "1699999940;1700003600",
            "get\n/dir/a b+c~é.txt\n\nhost=examplebucket-1250000000.127.0.0.1\n".into(),
        );
        assert_eq!(s.string_to_sign, "sha1\n1699999940;1700003600\n014f1c50a1b59a45d42c31691c5d65c0959bbe53\n");
        assert_eq!(s.signature, "d0a10505a3d26d0f315826d8579e637632962c86");
    }

    #[test]
    fn pairs_sign_only_what_is_listed() {
        let available = vec![
            ("host".to_string(), b"b-1.cos.local:9000".to_vec()),
            ("content-type".to_string(), b"text/plain".to_vec()),
            ("x-unlisted".to_string(), b"x".to_vec()),
        ];
        assert_eq!(pairs("host;content-type", &available), "content-type=text%2Fplain&host=b-1.cos.local%3A9000");
        assert_eq!(pairs("", &available), "");
    }

    #[test]
    fn what_must_be_signed() {
        for name in ["x-amz-copy-source", "x-amz-meta-a", "x-cos-copy-source", "x-cos-acl", "x-cos-meta-a"] {
            assert!(acted_on_header(name), "{name}");
        }
        for name in ["content-type", "cache-control", "x-cos-security-token", "x-cos-sdk-log-debug", "range"] {
            assert!(!acted_on_header(name), "{name}");
        }
        for name in ["versionId", "VERSIONID", "acl", "uploadId", "prefix", "response-content-type", "x-amz-acl"] {
            assert!(acted_on_param(name), "{name}");
        }
        for name in ["foo", "utm_source", "x-cos-security-token", "x-id"] {
            assert!(!acted_on_param(name), "{name}");
        }
        let names = |items: &[&str], list: &str| unsigned_names(items.iter().copied(), list, acted_on_param);
        assert_eq!(names(&["versionId", "foo", "acl"], "versionid"), ["acl"]);
        // Only the first of a name is what the signature took.
        assert_eq!(names(&["VersionID", "versionId"], "versionid"), ["versionId"]);
        assert_eq!(names(&["prefix", "prefix"], "prefix"), ["prefix"]);
        assert!(names(&["prefix", "foo"], "prefix").is_empty());
    }

    #[test]
    fn ports_and_forms() {
        assert_eq!(strip_port(b"b.cos.local:9000"), Some(&b"b.cos.local"[..]));
        assert_eq!(strip_port(b"b.cos.local"), None);
        assert_eq!(strip_port(b"[::1]:80"), Some(&b"[::1]"[..]));
        assert_eq!(form_query("a=x+y%2Bz&b=%c3%a9"), [("a".into(), "x y+z".into()), ("b".into(), "é".into())]);
        assert!(is_header(b"q-sign-algorithm=sha1&q-ak=x"));
        assert!(!is_header(b"AWS4-HMAC-SHA256 Credential=x"));
    }
}
