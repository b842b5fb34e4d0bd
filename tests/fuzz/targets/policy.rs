//! Policy documents as IAM and S3 read them (identity, bucket and trust policies), then
//! evaluated for a request. Input: action, resource, principal ARN and condition key values on
//! the first lines (`key=value`, until an empty line), the document after.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3strict::policy::condition::ConditionKeys;
use s3strict::policy::{Policy, PolicyKind, PrincipalRef, RequestContext};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(4, '\n');
    let (Some(action), Some(resource), Some(arn), Some(rest)) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return;
    };
    let (keys_text, document) = rest.split_once("\n\n").unwrap_or(("", rest));
    let mut keys = ConditionKeys::new();
    for line in keys_text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            keys.entry(k.to_ascii_lowercase()).or_default().push(v.to_string());
        }
    }
    let account = arn.split(':').nth(4).filter(|a| !a.is_empty());
    let principal = PrincipalRef { account, arn: Some(arn), ..Default::default() };
    let req = RequestContext { action, resource, principal, keys: &keys, resource_account: Some("123456789012") };
    for kind in [PolicyKind::Identity, PolicyKind::Bucket("examplebucket".into()), PolicyKind::Trust] {
        if let Ok(policy) = Policy::parse(document, &kind, &|a| a.contains("123456789012")) {
            let e = policy.evaluate(&req);
            if let Some(i) = e.denied_by.or(e.allowed_by.map(|(i, _)| i)) {
                let _ = policy.statement_name(i);
            }
            let _ = policy.is_public();
        }
    }
});
