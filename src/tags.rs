//! Tag sets, as S3 takes them with writes (`x-amz-tagging`, a POST form's `tagging` field) and
//! in tagging documents, and S3's rules for them: at most 10 tags on an object ("`BadRequest`:
//! Object tags cannot be greater than 10", observed) and 50 on a bucket; keys of 1 to 128 and
//! values of 0 to 256 characters, counted in UTF-16 units; letters, digits, spaces and
//! `_ . : / = + @ -` only; unique keys; no `aws:` prefix. A tag set is kept and answered in key
//! order. Parsed once per request: authorization judges the tag set a write names (it needs
//! `s3:PutObjectTagging` and gives `s3:RequestObjectTag/<key>`), and the handler stores that set.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>

use crate::error::{ErrorCode, S3Error, S3Result};
use crate::xml::read_flat;

/// A tag set: (key, value) pairs in key order.
pub type Tags = Vec<(String, String)>;

/// The most tags an object may carry.
pub const MAX_OBJECT_TAGS: usize = 10;
/// The most tags a bucket may carry.
pub const MAX_BUCKET_TAGS: usize = 50;

/// The largest tagging document read.
pub const MAX_DOCUMENT: usize = 64 * 1024;

fn invalid_tag(message: &str) -> S3Error {
    S3Error::with_message(ErrorCode::InvalidTag, message)
}

/// Letters, digits, white space and `_ . : / = + @ -`, as S3's tag rules allow.
fn allowed_chars(s: &str) -> bool {
    s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+@-".contains(c))
}

/// Checks a tag set against S3's rules and puts it in key order.
pub fn validate(mut tags: Tags, max: usize) -> S3Result<Tags> {
    if tags.len() > max {
        return Err(if max == MAX_OBJECT_TAGS {
            S3Error::with_message(ErrorCode::BadRequest, "Object tags cannot be greater than 10")
        } else {
            invalid_tag("Bucket tag count cannot be greater than 50")
        });
    }
    for (key, value) in &tags {
        let units = |s: &str| s.encode_utf16().count();
        if key.is_empty() || units(key) > 128 || !allowed_chars(key) {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if units(value) > 256 || !allowed_chars(value) {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if key.starts_with("aws:") {
            return Err(invalid_tag("Your TagKey cannot be prefixed with aws:"));
        }
    }
    tags.sort();
    if tags.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(invalid_tag("Cannot provide multiple Tags with the same key"));
    }
    Ok(tags)
}

/// The `x-amz-tagging` header (or the same in a query): URL query parameters, `k1=v1&k2`, a key
/// without `=` holding the empty value.
pub fn parse_header(value: &str) -> S3Result<Tags> {
    let malformed = || {
        S3Error::invalid_argument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
            "x-amz-tagging",
            value,
        )
    };
    let decode = |s: &str| -> S3Result<String> {
        let plus = s.replace('+', " ");
        String::from_utf8(crate::auth::canonical::percent_decode(&plus)).map_err(|_| malformed())
    };
    let mut tags = Vec::new();
    for pair in value.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if v.contains('=') {
            return Err(malformed());
        }
        tags.push((decode(k)?, decode(v)?));
    }
    let mut keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(malformed());
    }
    validate(tags, MAX_OBJECT_TAGS)
}

/// A `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` document.
pub fn parse_document(doc: &[u8], max: usize) -> S3Result<Tags> {
    let flat = read_flat(doc)?;
    if flat.last().is_none_or(|(p, _)| p != "Tagging") || !flat.iter().any(|(p, _)| p == "Tagging/TagSet") {
        return Err(S3Error::new(ErrorCode::MalformedXML));
    }
    let mut tags = Vec::new();
    let (mut key, mut value) = (None, None);
    for (path, text) in flat.iter() {
        match path {
            "Tagging/TagSet/Tag/Key" => key = Some(text.to_string()),
            "Tagging/TagSet/Tag/Value" => value = Some(text.to_string()),
            "Tagging/TagSet/Tag" => match (key.take(), value.take()) {
                (Some(k), Some(v)) => tags.push((k, v)),
                _ => return Err(S3Error::new(ErrorCode::MalformedXML)),
            },
            _ => {}
        }
    }
    validate(tags, max)
}

/// The tag set a write names, from the request's view: the `tagging` field (a Tagging document)
/// of a POST form, else `x-amz-tagging` (or the same parameter signed into a presigned URL's
/// query). `None` when it names none.
pub fn from_view(view: &crate::request::RequestView<'_>) -> S3Result<Option<Tags>> {
    if view.is_form() {
        return view.header("tagging").map(|doc| parse_document(doc.as_bytes(), MAX_OBJECT_TAGS)).transpose();
    }
    view.header("x-amz-tagging").map(parse_header).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        assert_eq!(parse_header("foo=bar&bar").unwrap(), [("bar".into(), "".into()), ("foo".into(), "bar".into())]);
        assert_eq!(parse_header("a%20b=c+d").unwrap(), [("a b".into(), "c d".into())]);
        assert_eq!(parse_header("TagSet=[{Key=string,Value=string}]").unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(parse_header("a=1&a=2").unwrap_err().code, ErrorCode::InvalidArgument);
        let e = parse_header("TagSet%3D%5B%7BKey%3Dstring%2CValue%3Dstring%7D%5D").unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::InvalidTag, "The TagKey you have provided is invalid"));
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        let e = parse_header(&eleven.join("&")).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::BadRequest, "Object tags cannot be greater than 10"));
    }

    #[test]
    fn documents() {
        let doc = b"<Tagging><TagSet><Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value></Value></Tag></TagSet></Tagging>";
        assert_eq!(parse_document(doc, 10).unwrap(), [("a".into(), "".into()), ("b".into(), "2".into())]);
        assert_eq!(parse_document(b"<Tagging><TagSet/></Tagging>", 10).unwrap(), []);
        assert_eq!(parse_document(b"<Tagging/>", 10).unwrap_err().code, ErrorCode::MalformedXML);
        let no_value = b"<Tagging><TagSet><Tag><Key>b</Key></Tag></TagSet></Tagging>";
        assert_eq!(parse_document(no_value, 10).unwrap_err().code, ErrorCode::MalformedXML);
        let dup = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>";
        let e = parse_document(dup, 10).unwrap_err();
        assert_eq!(e.message, "Cannot provide multiple Tags with the same key");
        let long =
            format!("<Tagging><TagSet><Tag><Key>{}</Key><Value>v</Value></Tag></TagSet></Tagging>", "k".repeat(129));
        assert_eq!(parse_document(long.as_bytes(), 10).unwrap_err().code, ErrorCode::InvalidTag);
        let ok = format!(
            "<Tagging><TagSet><Tag><Key>{}</Key><Value>{}</Value></Tag></TagSet></Tagging>",
            "k".repeat(128),
            "v".repeat(256)
        );
        assert!(parse_document(ok.as_bytes(), 10).is_ok());
    }
}
