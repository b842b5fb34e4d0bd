//! The IAM policy language, written for s3strict: parsing and validating the JSON documents AWS
//! users write (identity policies, bucket policies, session policies, role trust policies) and
//! evaluating them against one request.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html>
//!
//! Validation speaks S3's words: a bucket policy S3 would refuse at PutBucketPolicy fails here with
//! the `MalformedPolicy` message S3 gives (see [`PolicyError`]). Evaluation answers, for one
//! policy, which statement explicitly denies the request and which allows it; combining the
//! policies of a request (identity, bucket, session) is [`crate::access`]'s business.

pub mod actions;
pub mod condition;

use serde_json::Value;

use actions::ResourceKind;
pub use condition::ConditionKeys;
use condition::{Operator, ValueError};

/// What a policy document is for; decides which elements it must and must not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user or role: no `Principal`; any service's actions.
    Identity,
    /// A bucket policy: `Principal` required, S3 actions only, resources in this bucket.
    Bucket(String),
    /// A role's trust policy: `Principal` required, STS actions.
    Trust,
}

/// Why a policy document is refused: the message S3 (or IAM) gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

fn err<T>(message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(message.into()))
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The principals a statement names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous requests included.
    pub everyone: bool,
    /// `AWS` entries: account ids, account root ARNs, user, role and assumed-role ARNs.
    pub aws: Vec<String>,
    /// `CanonicalUser` entries: account canonical ids.
    pub canonical: Vec<String>,
    /// `Service` and `Federated` entries (never the requester of an S3 call here).
    pub other: Vec<String>,
}

/// One condition: an operator, a key and the values it compares against.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written in the policy.
    pub key: String,
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` or, with `not_principal`, `NotPrincipal`; `None` in identity policies.
    pub principals: Option<Principals>,
    pub not_principal: bool,
    pub actions: Vec<String>,
    pub not_action: bool,
    pub resources: Vec<String>,
    pub not_resource: bool,
    pub conditions: Vec<Condition>,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The document as it was given (GetBucketPolicy returns it unchanged).
    pub text: String,
    pub version: String,
    pub statements: Vec<Statement>,
}

/// How a request's principal relates to the principals a statement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Not named.
    None,
    /// Its account is named (an account id, root ARN or canonical id): the account's own policies
    /// must also allow, as for any delegation to an account.
    Account,
    /// Named itself, or everyone is.
    Direct,
}

/// The request's principal, as statements name principals.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrincipalRef<'a> {
    /// `None` for anonymous requests.
    pub account: Option<&'a str>,
    pub canonical_id: Option<&'a str>,
    /// The principal's ARN (`arn:aws:iam::…:user/alice`, `…:root`, `arn:aws:sts::…:assumed-role/r/s`).
    pub arn: Option<&'a str>,
    /// For an assumed-role session, the role's ARN (a statement naming the role names its sessions).
    pub role_arn: Option<&'a str>,
}

/// One request as a policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'a str,
    pub principal: PrincipalRef<'a>,
    pub keys: &'a ConditionKeys,
}

/// Which statements of one policy apply to a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// The first `Deny` statement that applies (index), if any.
    pub denied_by: Option<usize>,
    /// The first `Allow` statement that applies (index) and how it names the principal.
    pub allowed_by: Option<(usize, PrincipalMatch)>,
}

/// Whether `value` matches `pattern`, where `*` matches any run of characters and `?` any one.
pub fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let eq = |a: char, b: char| if ignore_case { a.to_lowercase().eq(b.to_lowercase()) } else { a == b };
    // Iterative matching with backtracking to the last `*`: linear memory, no recursion.
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && eq(p[pi], v[vi]))) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
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

impl Policy {
    /// Parses and validates a document of `kind`; `accounts_exist` tells whether a principal ARN
    /// names a known identity (S3 refuses policies naming principals that do not exist).
    pub fn parse(
        text: &str,
        kind: &PolicyKind,
        principal_exists: &dyn Fn(&str) -> bool,
    ) -> Result<Policy, PolicyError> {
        if !text.starts_with('{') {
            return err("Policies must be valid JSON and the first byte must be '{'");
        }
        let doc: Value =
            serde_json::from_str(text).map_err(|_| PolicyError("This policy contains invalid Json".into()))?;
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
        Ok(Policy { text: text.to_string(), version, statements })
    }

    /// Which statements deny and allow `req`.
    pub fn evaluate(&self, req: &RequestContext<'_>) -> Evaluation {
        let mut out = Evaluation::default();
        for (i, s) in self.statements.iter().enumerate() {
            let principal = s.principal_match(&req.principal);
            if principal == PrincipalMatch::None
                || !s.action_matches(req.action)
                || !self.resource_matches(s, req)
                || !self.conditions_hold(s, req)
            {
                continue;
            }
            match s.effect {
                Effect::Deny => {
                    out.denied_by.get_or_insert(i);
                }
                Effect::Allow => {
                    let better = out.allowed_by.is_none_or(|(_, m)| principal > m);
                    if better {
                        out.allowed_by = Some((i, principal));
                    }
                }
            }
        }
        out
    }

    /// A statement's name for logs: its `Sid`, or its position.
    pub fn statement_name(&self, index: usize) -> String {
        match self.statements.get(index).and_then(|s| s.sid.as_deref()) {
            Some(sid) => format!("Sid {sid}"),
            None => format!("statement {}", index + 1),
        }
    }

    /// Whether any statement grants `Allow` to everyone (the bucket policy is public). A statement
    /// narrowed by conditions on the requester's account or network is not public.
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && !s.not_principal
                && s.principals.as_ref().is_some_and(|p| p.everyone)
                && !s.conditions.iter().any(|c| {
                    let key = c.key.to_ascii_lowercase();
                    matches!(
                        key.as_str(),
                        "aws:sourceip"
                            | "aws:sourcevpc"
                            | "aws:sourcevpce"
                            | "aws:sourceaccount"
                            | "aws:sourcearn"
                            | "aws:principalaccount"
                            | "aws:principalarn"
                            | "aws:principalorgid"
                            | "aws:userid"
                            | "aws:username"
                            | "s3:dataaccesspointaccount"
                            | "s3:dataaccesspointarn"
                    ) && !c.operator.negated
                })
        })
    }

    fn resource_matches(&self, s: &Statement, req: &RequestContext<'_>) -> bool {
        let any = s.resources.iter().any(|pattern| match self.substitute(pattern, req.keys) {
            Some(p) => wildcard_match(&p, req.resource, false),
            None => false,
        });
        any != s.not_resource
    }

    fn conditions_hold(&self, s: &Statement, req: &RequestContext<'_>) -> bool {
        s.conditions.iter().all(|c| {
            let values: Option<Vec<String>> = c.values.iter().map(|v| self.substitute(v, req.keys)).collect();
            let Some(values) = values else { return false };
            let request = req.keys.get(&c.key.to_ascii_lowercase()).map(Vec::as_slice);
            c.operator.evaluate(request, &values)
        })
    }

    /// Replaces policy variables (`${aws:username}`, `${*}`, …) in version 2012-10-17 documents;
    /// `None` when a variable's key is not in the request, which makes the element not match.
    fn substitute(&self, text: &str, keys: &ConditionKeys) -> Option<String> {
        if self.version != "2012-10-17" || !text.contains("${") {
            return Some(text.to_string());
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Some(out);
            };
            let name = &after[..end];
            match name {
                "*" | "?" | "$" => out.push_str(name),
                _ => {
                    let value = keys.get(&name.trim().to_ascii_lowercase()).and_then(|v| v.first())?;
                    out.push_str(value);
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

impl Statement {
    fn action_matches(&self, action: &str) -> bool {
        let any = self.actions.iter().any(|p| wildcard_match(p, action, true));
        any != self.not_action
    }

    /// How the statement names `p` (identity policies name nobody: they apply to their holder).
    fn principal_match(&self, p: &PrincipalRef<'_>) -> PrincipalMatch {
        let Some(principals) = &self.principals else { return PrincipalMatch::Direct };
        let named = principals.matches(p);
        match (self.not_principal, named) {
            (false, m) => m,
            (true, PrincipalMatch::None) => PrincipalMatch::Direct,
            (true, _) => PrincipalMatch::None,
        }
    }
}

impl Principals {
    fn matches(&self, p: &PrincipalRef<'_>) -> PrincipalMatch {
        if self.everyone {
            return PrincipalMatch::Direct;
        }
        let Some(account) = p.account else { return PrincipalMatch::None };
        let root = format!("arn:aws:iam::{account}:root");
        let mut best = PrincipalMatch::None;
        for entry in &self.aws {
            let m = if Some(entry.as_str()) == p.arn || Some(entry.as_str()) == p.role_arn {
                PrincipalMatch::Direct
            } else if entry == account || *entry == root {
                PrincipalMatch::Account
            } else {
                PrincipalMatch::None
            };
            best = best.max(m);
        }
        if p.canonical_id.is_some_and(|c| self.canonical.iter().any(|e| e == c)) {
            best = best.max(PrincipalMatch::Account);
        }
        // The root user is its account: naming the account names the root directly.
        if best == PrincipalMatch::Account && p.arn == Some(root.as_str()) {
            best = PrincipalMatch::Direct;
        }
        best
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

/// Checks an action pattern for a policy of `kind`.
fn valid_action(pattern: &str, kind: &PolicyKind) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some((service, name)) = pattern.split_once(':') else { return false };
    if service.is_empty() || name.is_empty() || !service.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return false;
    }
    if service.eq_ignore_ascii_case("s3") {
        return actions::expand(pattern).next().is_some();
    }
    match kind {
        PolicyKind::Identity | PolicyKind::Trust => true,
        PolicyKind::Bucket(_) => false,
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
        Some(c) => parse_conditions(c, &named_s3, not_action || !only_s3)?,
    };
    Ok(Statement { sid, effect, principals, not_principal, actions, not_action, resources, not_resource, conditions })
}

fn parse_conditions(
    v: &Value,
    named_s3: &[(&str, ResourceKind)],
    any_action: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let Some(block) = v.as_object() else { return err("This policy contains invalid Json") };
    let mut out = Vec::new();
    for (op_name, entries) in block {
        let operator =
            Operator::parse(op_name).ok_or_else(|| PolicyError(format!("Invalid Condition type : {op_name}")))?;
        let Some(entries) = entries.as_object() else { return err("This policy contains invalid Json") };
        for (key, values) in entries {
            if !actions::is_known_key(key) {
                return err("Policy has an invalid condition key");
            }
            if !any_action && !named_s3.iter().any(|(a, _)| actions::key_applies(key, a)) {
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

    fn keys(pairs: &[(&str, &str)]) -> ConditionKeys {
        let mut k = ConditionKeys::new();
        for (n, v) in pairs {
            k.entry(n.to_ascii_lowercase()).or_default().push(v.to_string());
        }
        k
    }

    const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:Get*", "s3:getobject", true));
        assert!(!wildcard_match("s3:Get*", "s3:getobject", false));
        assert!(wildcard_match("a?c*", "abcdef", false));
        assert!(wildcard_match("*", "", false));
        assert!(!wildcard_match("a*b", "acbx", false));
        assert!(wildcard_match("*a*a*a*", "xaaxa", false));
    }

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
        let ok = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:Get*","sts:GetCallerIdentity"],"Resource":"*"}}"#;
        assert!(Policy::parse(ok, &PolicyKind::Identity, &|_| false).is_ok());
    }

    #[test]
    fn evaluation() {
        let p = bucket_policy(PUBLIC_READ).unwrap();
        let k = keys(&[]);
        let anonymous = RequestContext {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/x",
            principal: PrincipalRef::default(),
            keys: &k,
        };
        assert_eq!(
            p.evaluate(&anonymous),
            Evaluation { denied_by: None, allowed_by: Some((0, PrincipalMatch::Direct)) }
        );
        assert_eq!(p.evaluate(&RequestContext { action: "s3:PutObject", ..anonymous }), Evaluation::default());
        assert!(p.is_public());

        let text = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Old","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"NumericGreaterThan":{"s3:signatureAge":"600000"}}},
            {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}"#;
        let p = bucket_policy(text).unwrap();
        let alice = PrincipalRef {
            account: Some("111122223333"),
            arn: Some("arn:aws:iam::111122223333:user/alice"),
            ..Default::default()
        };
        let k = keys(&[("s3:signatureAge", "1000"), ("aws:username", "alice")]);
        let req = RequestContext {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/home/alice/a",
            principal: alice,
            keys: &k,
        };
        assert_eq!(p.evaluate(&req), Evaluation { denied_by: None, allowed_by: Some((1, PrincipalMatch::Account)) });
        assert_eq!(p.evaluate(&RequestContext { resource: "arn:aws:s3:::b/home/bob/a", ..req }).allowed_by, None);
        let old = keys(&[("s3:signatureAge", "700000"), ("aws:username", "alice")]);
        assert_eq!(p.evaluate(&RequestContext { keys: &old, ..req }).denied_by, Some(0));
        assert_eq!(p.statement_name(0), "Sid Old");
        assert!(!p.is_public());
    }
}
