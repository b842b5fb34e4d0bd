//! Conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`) with S3's precedence, and byte ranges.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>
//! <https://www.rfc-editor.org/rfc/rfc9110#section-13.2.2>

use crate::error::{ErrorCode, S3Error, S3Result};
pub use crate::storage::etag_matches;
use crate::storage::ObjectMeta;

fn parse_date(value: Option<&str>) -> Option<i64> {
    let t = httpdate::parse_http_date(value?.trim()).ok()?;
    Some(chrono::DateTime::<chrono::Utc>::from(t).timestamp())
}

/// The four condition values of a request (or of `x-amz-copy-source-if-*`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
}

/// What the conditions decide.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    /// 304 (GET/HEAD only).
    NotModified,
    /// 412, naming the failed condition.
    Failed(&'static str),
}

impl Conditions<'_> {
    /// Evaluates against `meta` with S3's rules: `If-Match` true makes a false
    /// `If-Unmodified-Since` irrelevant; `If-None-Match` false (i.e. the ETag differs) makes a
    /// false `If-Modified-Since` irrelevant; 412 is decided before 304.
    pub fn evaluate(&self, meta: &ObjectMeta) -> Verdict {
        let modified = meta.last_modified_ms.div_euclid(1000);
        match self.if_match {
            Some(list) if !etag_matches(list, &meta.etag) => return Verdict::Failed("If-Match"),
            Some(_) => {}
            None => {
                if parse_date(self.if_unmodified_since).is_some_and(|t| modified > t) {
                    return Verdict::Failed("If-Unmodified-Since");
                }
            }
        }
        match self.if_none_match {
            Some(list) if etag_matches(list, &meta.etag) => return Verdict::NotModified,
            Some(_) => {}
            None => {
                if parse_date(self.if_modified_since).is_some_and(|t| modified <= t) {
                    return Verdict::NotModified;
                }
            }
        }
        Verdict::Proceed
    }

    /// The verdict as an error for GET/HEAD.
    pub fn check(&self, meta: &ObjectMeta) -> S3Result<()> {
        match self.evaluate(meta) {
            Verdict::Proceed => Ok(()),
            Verdict::NotModified => Err(S3Error::new(ErrorCode::NotModified)),
            Verdict::Failed(c) => Err(S3Error::new(ErrorCode::PreconditionFailed).extra("Condition", c)),
        }
    }
}

/// A satisfiable byte range, inclusive.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Parses a `Range` header against an object of `size` bytes. `Ok(None)` means "send the whole
/// object" (no header, a syntax S3 ignores, or several ranges, which S3 does not serve).
pub fn parse_range(value: Option<&str>, size: u64) -> S3Result<Option<ByteRange>> {
    let Some(value) = value else { return Ok(None) };
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else { return Ok(None) };
    let (first, last) = (first.trim(), last.trim());
    let unsatisfiable = || {
        S3Error::new(ErrorCode::InvalidRange)
            .extra("RangeRequested", value)
            .extra("ActualObjectSize", size.to_string())
            .header("content-range", format!("bytes */{size}"))
    };
    let range = if first.is_empty() {
        let Ok(n) = last.parse::<u64>() else { return Ok(None) };
        if n == 0 || size == 0 {
            return Err(unsatisfiable());
        }
        ByteRange { start: size.saturating_sub(n), end: size - 1 }
    } else {
        let Ok(start) = first.parse::<u64>() else { return Ok(None) };
        let end = if last.is_empty() {
            u64::MAX
        } else {
            match last.parse::<u64>() {
                Ok(e) if e >= start => e,
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(unsatisfiable());
        }
        ByteRange { start, end: end.min(size - 1) }
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ObjectMeta {
        ObjectMeta { etag: "\"abc\"".into(), last_modified_ms: 1_700_000_000_000, ..Default::default() }
    }

    #[test]
    fn precedence() {
        let m = meta();
        let early = "Tue, 14 Nov 2023 22:13:19 GMT"; // one second before
        let late = "Tue, 14 Nov 2023 22:13:21 GMT";
        let c = |im, inm, ims, ius| Conditions {
            if_match: im,
            if_none_match: inm,
            if_modified_since: ims,
            if_unmodified_since: ius,
        };
        assert_eq!(c(Some("\"abc\""), None, None, Some(early)).evaluate(&m), Verdict::Proceed);
        assert_eq!(c(Some("\"x\""), None, None, None).evaluate(&m), Verdict::Failed("If-Match"));
        assert_eq!(c(None, None, None, Some(early)).evaluate(&m), Verdict::Failed("If-Unmodified-Since"));
        assert_eq!(c(None, Some("abc"), None, None).evaluate(&m), Verdict::NotModified);
        assert_eq!(c(None, Some("\"x\""), Some(late), None).evaluate(&m), Verdict::Proceed);
        assert_eq!(c(None, None, Some(late), None).evaluate(&m), Verdict::NotModified);
        assert_eq!(c(None, None, Some(early), None).evaluate(&m), Verdict::Proceed);
        assert_eq!(c(Some("\"x\""), Some("abc"), None, None).evaluate(&m), Verdict::Failed("If-Match"));
        assert_eq!(c(None, Some("*"), None, None).evaluate(&m), Verdict::NotModified);
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(Some("bytes=0-9"), 100).unwrap(), Some(ByteRange { start: 0, end: 9 }));
        assert_eq!(parse_range(Some("bytes=90-"), 100).unwrap(), Some(ByteRange { start: 90, end: 99 }));
        assert_eq!(parse_range(Some("bytes=-10"), 100).unwrap(), Some(ByteRange { start: 90, end: 99 }));
        assert_eq!(parse_range(Some("bytes=-1000"), 100).unwrap(), Some(ByteRange { start: 0, end: 99 }));
        assert_eq!(parse_range(Some("bytes=50-1000"), 100).unwrap(), Some(ByteRange { start: 50, end: 99 }));
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100).unwrap(), None);
        assert_eq!(parse_range(Some("items=0-1"), 100).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=9-1"), 100).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=100-"), 100).unwrap_err().code, ErrorCode::InvalidRange);
        assert_eq!(parse_range(Some("bytes=-0"), 100).unwrap_err().code, ErrorCode::InvalidRange);
        assert_eq!(parse_range(Some("bytes=0-"), 0).unwrap_err().code, ErrorCode::InvalidRange);
    }
}
