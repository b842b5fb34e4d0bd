//! Parsing and validating policy documents, refusing what S3 refuses with S3's words: the
//! `MalformedPolicy` messages of PutBucketPolicy (and the same checks for identity, session and
//! trust policies).

use serde_json::Value;

use super::actions::{self, ResourceKind};
use super::condition::{Operator, ValueError};
use super::document::{Condition, Effect, Policy, PolicyError, PolicyKind, Principals, Statement};
use super::wildcard::wildcard_match;

fn err<T>(message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(message.into()))
}

/// Parses and validates a document of `kind` (see [`Policy::parse`]).
pub(super) fn document(
    text: &str,
    kind: &PolicyKind,
    principal_exists: &dyn Fn(&str) -> bool,
) -> Result<Policy, PolicyError> {
    if !text.starts_with('{') {
        return err("Policies must be valid JSON and the first byte must be '{'");
    }
    let doc: Value = serde_json::from_str(text).map_err(|_| PolicyError("This policy contains invalid Json".into()))?;
    let Some(obj) = doc.as_object() else { return err("This policy contains invalid Json") };
    // Unknown top-level elements are refused (our choice: IAM refuses them as syntax errors).
    if let Some(unknown) = obj.keys().find(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement")) {
        return err(format!("Unknown field {unknown}"));
    }
    let version = match obj.get("Version") {
        None => "2008-10-17".to_string(),
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => v.clone(),
        Some(_) => return err("The policy must contain a valid version string"),
    };
    let raw = match obj.get("Statement") {
        None => return err("Missing required field Statement"),
        Some(Value::Array(items)) => items.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        Some(_) => return err("This policy contains invalid Json"),
    };
    if raw.is_empty() {
        return err("Could not parse the policy: Statement is empty!");
    }
    let mut statements = Vec::with_capacity(raw.len());
    for s in &raw {
        statements.push(parse_statement(s, kind, principal_exists)?);
    }
    Ok(Policy { text: text.to_string(), version, statements, principal_ids: Default::default() })
}

/// The values of a JSON element that may be a string or an array of strings.
fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// A condition value: strings, numbers and booleans, alone or in an array.
fn condition_values(v: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|s| vec![s]),
    }
}

/// Parses one principal entry of `AWS`: an account id, or an IAM/STS ARN.
fn valid_aws_principal(entry: &str, principal_exists: &dyn Fn(&str) -> bool) -> bool {
    if entry == "*" {
        return true;
    }
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let Some(rest) = entry.strip_prefix("arn:aws:iam::").or_else(|| entry.strip_prefix("arn:aws:sts::")) else {
        return false;
    };
    let Some((account, resource)) = rest.split_once(':') else { return false };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    resource == "root" || principal_exists(entry)
}

fn parse_principals(v: &Value, principal_exists: &dyn Fn(&str) -> bool) -> Result<Principals, PolicyError> {
    let invalid = || PolicyError("Invalid principal in policy".into());
    let mut out = Principals::default();
    match v {
        Value::String(s) if s == "*" => out.everyone = true,
        Value::Object(map) if !map.is_empty() => {
            for (kind, value) in map {
                let entries = strings(value).filter(|e| !e.is_empty()).ok_or_else(invalid)?;
                match kind.as_str() {
                    "AWS" => {
                        for e in entries {
                            if !valid_aws_principal(&e, principal_exists) {
                                return Err(invalid());
                            }
                            if e == "*" {
                                out.everyone = true;
                            } else {
                                out.aws.push(e);
                            }
                        }
                    }
                    "CanonicalUser" => out.canonical.extend(entries),
                    "Service" | "Federated" => out.other.extend(entries),
                    _ => return Err(invalid()),
                }
            }
        }
        _ => return Err(invalid()),
    }
    Ok(out)
}

/// Checks an action pattern for a policy of `kind`. A bucket policy may name only S3 actions S3
/// knows, as S3 checks; identity, session and trust policies need only the `service:Action` form,
/// as IAM accepts actions it does not know (a team's real policies may name newer ones).
fn valid_action(pattern: &str, kind: &PolicyKind) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some((service, name)) = pattern.split_once(':') else { return false };
    if service.is_empty() || name.is_empty() || !service.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return false;
    }
    match kind {
        PolicyKind::Identity | PolicyKind::Trust => true,
        PolicyKind::Bucket(_) => service.eq_ignore_ascii_case("s3") && actions::expand(pattern).next().is_some(),
    }
}

/// Checks a resource pattern for a policy of `kind`.
fn valid_resource(resource: &str, kind: &PolicyKind) -> bool {
    match kind {
        PolicyKind::Bucket(bucket) => {
            let Some(rest) = resource.strip_prefix("arn:aws:s3:::") else { return false };
            let bucket_part = rest.split('/').next().unwrap_or("");
            !bucket_part.is_empty() && wildcard_match(bucket_part, bucket, false)
        }
        PolicyKind::Identity | PolicyKind::Trust => resource == "*" || resource.starts_with("arn:"),
    }
}

/// The kind of resource a resource pattern can name: bucket ARNs, object ARNs, or both.
fn resource_kinds(resource: &str) -> (bool, bool) {
    if resource == "*" {
        return (true, true);
    }
    match resource.strip_prefix("arn:aws:s3:::") {
        Some(rest) => {
            let object = rest.contains('/');
            // `arn:aws:s3:::b*` can name buckets; a `*` in the bucket part of `b*/k` only objects.
            (!object, object || rest.ends_with('*'))
        }
        None => (false, false),
    }
}

fn parse_statement(
    v: &Value,
    kind: &PolicyKind,
    principal_exists: &dyn Fn(&str) -> bool,
) -> Result<Statement, PolicyError> {
    let Some(obj) = v.as_object() else { return err("This policy contains invalid Json") };
    const FIELDS: [&str; 10] = [
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "Id",
    ];
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return err(format!("Unknown field {unknown}"));
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return err("This policy contains invalid Json"),
    };
    let effect = match obj.get("Effect") {
        None => return err("Missing required field Effect"),
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(Value::String(e)) => return err(format!("Invalid effect: {e}")),
        Some(_) => return err("This policy contains invalid Json"),
    };
    let needs_principal = !matches!(kind, PolicyKind::Identity);
    let (principals, not_principal) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => return err("Invalid principal in policy"),
        (Some(p), None) | (None, Some(p)) if !needs_principal => {
            let _ = p;
            return err("Policy document should not specify a principal.");
        }
        (Some(p), None) => (Some(parse_principals(p, principal_exists)?), false),
        (None, Some(p)) => (Some(parse_principals(p, principal_exists)?), true),
        (None, None) if needs_principal => return err("Missing required field Principal"),
        (None, None) => (None, false),
    };
    let (actions, not_action) = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(a), None) => (a, false),
        (None, Some(a)) => (a, true),
        (Some(_), Some(_)) => return err("Policy has invalid action"),
        (None, None) => return err("Missing required field Action"),
    };
    let actions =
        strings(actions).filter(|a| !a.is_empty()).ok_or_else(|| PolicyError("Policy has invalid action".into()))?;
    if actions.iter().any(|a| !valid_action(a, kind)) {
        return err("Policy has invalid action");
    }
    let (resources, not_resource) = match (obj.get("Resource"), obj.get("NotResource"), kind) {
        (Some(r), None, _) => (strings(r), false),
        (None, Some(r), _) => (strings(r), true),
        (None, None, PolicyKind::Trust) => (Some(vec!["*".to_string()]), false),
        (Some(_), Some(_), _) => return err("Policy has invalid resource"),
        (None, None, _) => return err("Missing required field Resource"),
    };
    let resources =
        resources.filter(|r| !r.is_empty()).ok_or_else(|| PolicyError("Policy has invalid resource".into()))?;
    if !matches!(kind, PolicyKind::Trust) && resources.iter().any(|r| !valid_resource(r, kind)) {
        return err("Policy has invalid resource");
    }
    // Some S3 action the statement names must apply to some resource it names.
    let named_s3: Vec<(&str, ResourceKind)> =
        if not_action { Vec::new() } else { actions.iter().flat_map(|a| actions::expand(a)).collect() };
    let only_s3 = actions.iter().all(|a| a.to_ascii_lowercase().starts_with("s3:"));
    if matches!(kind, PolicyKind::Bucket(_)) && !not_action && !not_resource && only_s3 {
        let kinds: Vec<(bool, bool)> = resources.iter().map(|r| resource_kinds(r)).collect();
        let applies = named_s3.iter().any(|(_, k)| match k {
            ResourceKind::Service => resources.iter().any(|r| r == "*"),
            ResourceKind::Bucket => kinds.iter().any(|(b, _)| *b),
            ResourceKind::Object => kinds.iter().any(|(_, o)| *o),
        });
        if !applies {
            return err("Action does not apply to any resource(s) in statement");
        }
    }
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => {
            // Which keys apply to which actions is S3's check at PutBucketPolicy; IAM accepts any
            // key in identity, session and trust policies.
            let bucket = matches!(kind, PolicyKind::Bucket(_));
            let applies_to = (bucket && !not_action && only_s3).then_some(named_s3.as_slice());
            parse_conditions(c, bucket, applies_to)?
        }
    };
    Ok(Statement { sid, effect, principals, not_principal, actions, not_action, resources, not_resource, conditions })
}

/// Parses a `Condition` block; with `known_keys_only`, every key must be one S3 knows, and with
/// `applies_to`, apply to one of those S3 actions.
fn parse_conditions(
    v: &Value,
    known_keys_only: bool,
    applies_to: Option<&[(&str, ResourceKind)]>,
) -> Result<Vec<Condition>, PolicyError> {
    let Some(block) = v.as_object() else { return err("This policy contains invalid Json") };
    let mut out = Vec::new();
    for (op_name, entries) in block {
        let operator =
            Operator::parse(op_name).ok_or_else(|| PolicyError(format!("Invalid Condition type : {op_name}")))?;
        let Some(entries) = entries.as_object() else { return err("This policy contains invalid Json") };
        for (key, values) in entries {
            if known_keys_only && !actions::is_known_key(key) {
                return err("Policy has an invalid condition key");
            }
            if applies_to.is_some_and(|named| !named.iter().any(|(a, _)| actions::key_applies(key, a))) {
                return err("Conditions do not apply to combination of actions and resources in statement");
            }
            let values =
                condition_values(values).ok_or_else(|| PolicyError("This policy contains invalid Json".into()))?;
            for value in &values {
                match operator.check_value(value) {
                    Ok(()) => {}
                    Err(ValueError::IpAddress) => return err("Invalid IP address in Conditions"),
                    Err(ValueError::Other) => {
                        return err(format!("Invalid value in Conditions for operator {op_name}"))
                    }
                }
            }
            out.push(Condition { operator, key: key.clone(), values });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_policy(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, &PolicyKind::Bucket("b".into()), &|arn| arn.ends_with(":user/alice"))
    }

    fn msg(text: &str) -> String {
        bucket_policy(text).unwrap_err().0
    }

    const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn malformed_bucket_policies() {
        assert_eq!(msg(""), "Policies must be valid JSON and the first byte must be '{'");
        assert_eq!(msg("randomstring"), "Policies must be valid JSON and the first byte must be '{'");
        assert_eq!(msg("{"), "This policy contains invalid Json");
        assert_eq!(msg("{}"), "Missing required field Statement");
        assert_eq!(msg(r#"{"Statement":[]}"#), "Could not parse the policy: Statement is empty!");
        assert_eq!(msg(r#"{"Version":"2020-01-01","Statement":[]}"#), "The policy must contain a valid version string");
        let st = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#);
        assert_eq!(
            msg(&st(r#"{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#)),
            "Invalid effect: Maybe"
        );
        assert_eq!(
            msg(&st(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#)),
            "Missing required field Principal"
        );
        assert_eq!(
            msg(&st(
                r#"{"Effect":"Allow","Principal":{"AWS":"bogus"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#
            )),
            "Invalid principal in policy"
        );
        assert_eq!(
            msg(&st(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#
            )),
            "Invalid principal in policy"
        );
        assert_eq!(
            msg(&st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObjects","Resource":"arn:aws:s3:::b/*"}"#)),
            "Policy has invalid action"
        );
        assert_eq!(
            msg(&st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}"#)),
            "Policy has invalid resource"
        );
        assert_eq!(
            msg(&st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#)),
            "Policy has invalid resource"
        );
        assert_eq!(
            msg(&st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b"}"#)),
            "Action does not apply to any resource(s) in statement"
        );
        assert_eq!(
            msg(&st(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualz":{"s3:authType":"POST"}}}"#
            )),
            "Invalid Condition type : StringEqualz"
        );
        assert_eq!(
            msg(&st(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:x-acl":"private"}}}"#
            )),
            "Policy has an invalid condition key"
        );
        assert_eq!(
            msg(&st(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:prefix":"a/"}}}"#
            )),
            "Conditions do not apply to combination of actions and resources in statement"
        );
        assert_eq!(
            msg(&st(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.300"}}}"#
            )),
            "Invalid IP address in Conditions"
        );
        assert!(bucket_policy(PUBLIC_READ).is_ok());
    }

    #[test]
    fn identity_policies_name_no_principal() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            Policy::parse(text, &PolicyKind::Identity, &|_| false).unwrap_err().0,
            "Policy document should not specify a principal."
        );
        let ok = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:Get*","sts:GetCallerIdentity","s3:SomeNewerAction"],"Resource":"*"}}"#;
        assert!(Policy::parse(ok, &PolicyKind::Identity, &|_| false).is_ok());
        // IAM takes keys and combinations S3's bucket-policy check would refuse.
        let keys = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a/","s3:SomeNewKey":"x"}}}}"#;
        assert!(Policy::parse(keys, &PolicyKind::Identity, &|_| false).is_ok());
    }
}
