//! The request as authorization and the handlers both read it, parsed once: the values S3 acts
//! on, by lowercase name. For a REST request they are its headers, and for a presigned URL also
//! the signed query parameters that stand in for absent `x-amz-*` and `If-*` headers (but those
//! S3 reads from headers only: [`RequestView::hoist_query`]); for a POST
//! form upload they are the form's fields. The condition keys a policy compares
//! ([`crate::access`]) and the handlers ([`crate::s3`]) read the same values through
//! [`RequestView::header`], so no header can be acted on without being seen by authorization.
//!
//! Header bytes are read with one rule, everywhere: as UTF-8 when they are valid UTF-8, and as
//! ISO-8859-1 (each byte one character) when they are not, so no value is ever dropped or replaced
//! by a lossy substitute. S3 reads header bytes as ISO-8859-1; the two readings differ only for
//! non-ASCII UTF-8, which S3's signature check refuses whenever such a header is signed (SDKs sign
//! the UTF-8 bytes, S3 canonicalises the ISO-8859-1 reading: see `tests/it/objects.rs`
//! `non_ascii_metadata`), while an unsigned one (a browser's `Content-Disposition`) is kept and
//! given back byte for byte. Several values of one header are joined with commas, as HTTP
//! allows and as SigV4 canonicalises them.

use std::borrow::Cow;

use http::HeaderMap;

/// `response-*` query parameters and the headers they override.
pub const RESPONSE_OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

/// A header value's text, by the one rule above.
pub fn header_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

/// Checksum values signed into a presigned URL's query are not applied. JS SDK v3 (≥ 3.729)
/// signs `x-amz-checksum-crc32=AAAAAA==` (the CRC of an empty body) into every PutObject URL; a
/// LocalStack test validated against AWS shows S3 accepting such a URL with a non-empty body and
/// storing no CRC32, so S3 ignores them. Other reports say S3 rejects it (seaweedfs#10216,
/// aws-sdk-js-v3#6994); the evidence conflicts and this is the one place to change if live S3
/// shows otherwise. The values are still signed: changing one breaks the signature.
fn is_query_checksum(name: &str) -> bool {
    name.starts_with("x-amz-checksum-") || name == "x-amz-sdk-checksum-algorithm"
}

/// Query parameters S3 does not read as the headers they are named like, though signed:
/// - `x-amz-copy-source`: S3 decides whether a PUT is a copy from the header alone. A presigned
///   PUT with the copy source only in its query (the AWS SDK for PHP's presigned CopyObject, the
///   JS SDK v3's hoisting) is a plain PutObject of the request's body on S3: a 0-byte object
///   where the caller meant a copy (aws-sdk-php#1275, with the ETag of an empty body; minio#4167,
///   reproduced against S3 by a MinIO maintainer: "AWS S3 is interpreting the request a simple
///   PUT object and not as a PUT object copy"). Routing reads the header only
///   ([`crate::router`]); so do authorization (`s3:x-amz-copy-source`, the source's read) and the
///   handlers, which is why it is not hoisted here.
/// - `x-amz-content-sha256`: a presigned request's payload hash comes from the header alone (see
///   `auth::presigned::payload_hash`), so `s3:x-amz-content-sha256` does too.
fn is_never_hoisted(name: &str) -> bool {
    name == "x-amz-copy-source" || name == "x-amz-content-sha256"
}

/// The request's values by lowercase name, and its decoded query.
#[derive(Debug, Clone)]
pub struct RequestView<'a> {
    fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    query: &'a [(String, String)],
    form: bool,
}

impl<'a> RequestView<'a> {
    /// A REST request: its headers.
    pub fn from_headers(headers: &'a HeaderMap, query: &'a [(String, String)]) -> Self {
        let mut fields = Vec::with_capacity(headers.keys_len());
        for name in headers.keys() {
            let mut values = headers.get_all(name).iter();
            let Some(first) = values.next() else { continue };
            let mut text = header_text(first.as_bytes());
            for more in values {
                let joined = text.to_mut();
                joined.push(',');
                joined.push_str(&header_text(more.as_bytes()));
            }
            fields.push((Cow::Borrowed(name.as_str()), text));
        }
        RequestView { fields, query, form: false }
    }

    /// A POST form upload: its fields before the file (lowercase names), standing as the
    /// request's headers. The canned ACL is the `acl` field, which is `x-amz-acl` here; the
    /// request's own HTTP headers (its `multipart/form-data` type among them) are not the
    /// object's and are not read as fields (`aws:UserAgent` and `aws:Referer` come from them).
    /// A field named twice counts once, with its first value: the one the signed policy was
    /// checked against (`crate::auth::post_policy`), so nothing is stored that the policy did not
    /// allow.
    pub fn from_form(fields: &'a [(String, String)], query: &'a [(String, String)]) -> Self {
        let mut view = RequestView { fields: Vec::with_capacity(fields.len()), query, form: true };
        for (n, v) in fields {
            let name = if n == "acl" { Cow::Borrowed("x-amz-acl") } else { Cow::Borrowed(n.as_str()) };
            if view.header(&name).is_none() {
                view.fields.push((name, Cow::Borrowed(v.as_str())));
            }
        }
        view
    }

    /// For a presigned URL: the signed query parameters named like `x-amz-*` or `If-*` headers
    /// stand in for absent headers, as on S3 (SDK presigners move metadata, ACLs, storage class,
    /// tagging and conditionals into the query). Checksums, the copy source and the payload hash
    /// are the exceptions (see [`is_query_checksum`], [`is_never_hoisted`]).
    pub fn hoist_query(&mut self) {
        for (name, value) in self.query {
            let lower = name.to_ascii_lowercase();
            let hoistable = (lower.starts_with("x-amz-") || lower.starts_with("if-"))
                && !is_query_checksum(&lower)
                && !is_never_hoisted(&lower);
            if hoistable && self.header(&lower).is_none() {
                self.fields.push((Cow::Owned(lower), Cow::Borrowed(value.as_str())));
            }
        }
    }

    /// Whether the values are a POST form's fields.
    pub fn is_form(&self) -> bool {
        self.form
    }

    /// The value of `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_ref())
    }

    /// Every (name, value), names lowercase.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    /// A query parameter (exact name).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The whole decoded query.
    pub fn query_pairs(&self) -> &'a [(String, String)] {
        self.query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reading_of_header_bytes() {
        let mut h = HeaderMap::new();
        h.insert("x-amz-acl", http::HeaderValue::from_static("private"));
        h.append("x-amz-grant-read", http::HeaderValue::from_bytes(b"uri=\"a\"\xc2\xa0").unwrap());
        h.append("x-amz-meta-l", http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
        h.append("if-match", http::HeaderValue::from_static("\"a\""));
        h.append("if-match", http::HeaderValue::from_static("\"b\""));
        let q = vec![
            ("X-Amz-Acl".to_string(), "public-read".to_string()),
            ("x-amz-tagging".to_string(), "a=b".to_string()),
            ("x-amz-checksum-crc32".to_string(), "AAAAAA==".to_string()),
            ("x-amz-copy-source".to_string(), "b/k".to_string()),
            ("X-Amz-Content-Sha256".to_string(), "UNSIGNED-PAYLOAD".to_string()),
        ];
        let mut v = RequestView::from_headers(&h, &q);
        assert_eq!(v.header("x-amz-grant-read"), Some("uri=\"a\"\u{a0}"));
        assert_eq!(v.header("x-amz-meta-l"), Some("café"));
        assert_eq!(v.header("if-match"), Some("\"a\",\"b\""));
        assert_eq!(v.header("x-amz-tagging"), None);
        v.hoist_query();
        // A header wins over the query; checksums, the copy source and the payload hash are never
        // hoisted.
        assert_eq!(v.header("x-amz-acl"), Some("private"));
        assert_eq!(v.header("x-amz-tagging"), Some("a=b"));
        assert_eq!(v.header("x-amz-checksum-crc32"), None);
        assert_eq!((v.header("x-amz-copy-source"), v.header("x-amz-content-sha256")), (None, None));
        let form = vec![("acl".to_string(), "public-read".to_string()), ("key".to_string(), "k".to_string())];
        let v = RequestView::from_form(&form, &q);
        assert_eq!((v.header("x-amz-acl"), v.header("acl"), v.header("key")), (Some("public-read"), None, Some("k")));
    }
}
