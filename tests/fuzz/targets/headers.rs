//! The request headers parsed outside authentication: `Range` against objects of any size,
//! conditional headers against any object, `x-amz-copy-source`, part numbers and version ids.
//! Input: the object size (8 bytes), then `Range`, `If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since`, copy source, part number and version id, one per
//! line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3strict::router::{parse_copy_source, parse_part_number, parse_version_id};
use s3strict::s3::conditional::{parse_range, Conditions};
use s3strict::storage::meta::ObjectMeta;

fuzz_target!(|data: &[u8]| {
    let Some((size, rest)) = data.split_first_chunk::<8>() else { return };
    let size = u64::from_le_bytes(*size) >> (size[0] % 64);
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut lines = text.split('\n');
    let mut next = || lines.next().filter(|l| !l.is_empty());
    let range = next();
    if let Ok(Some(r)) = parse_range(range, size) {
        assert!(r.start <= r.end && r.end < size, "a range within the object: {r:?} of {size}");
        assert_eq!(r.len(), r.end - r.start + 1);
    }
    let conditions =
        Conditions { if_match: next(), if_none_match: next(), if_modified_since: next(), if_unmodified_since: next() };
    let meta = ObjectMeta {
        etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
        last_modified_ms: 1_369_353_600_000,
        size,
        ..Default::default()
    };
    let _ = conditions.evaluate(&meta);
    let _ = conditions.check(&meta);
    if let Some(source) = next() {
        let _ = parse_copy_source(source);
    }
    if let Some(n) = next() {
        let _ = parse_part_number(n);
    }
    if let Some(v) = next() {
        let _ = parse_version_id(v);
    }
});
