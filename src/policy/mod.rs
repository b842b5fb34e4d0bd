//! The IAM policy language, written for s3strict: parsing and validating the JSON documents AWS
//! users write (identity policies, bucket policies, session policies, role trust policies) and
//! evaluating them against one request.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html>
//!
//! Validation speaks S3's words: a bucket policy S3 would refuse at PutBucketPolicy fails here with
//! the `MalformedPolicy` message S3 gives (see [`PolicyError`]). Evaluation answers, for one
//! policy, which statement explicitly denies the request and which allows it; combining the
//! policies of a request (identity, bucket, session) is [`crate::access`]'s business.
//!
//! Files: `document.rs` the parsed shape, `parse.rs` parsing and validation, `condition.rs` the
//! condition operators, `actions.rs` S3's actions and keys, `wildcard.rs` wildcard matching,
//! `public.rs` S3's meaning of a public policy; this file evaluates a document for a request.
//! Children never import this file: what they share lives in the files below it.

pub mod actions;
pub mod condition;
mod document;
mod parse;
mod public;
mod wildcard;

pub use condition::ConditionKeys;
pub use document::{Condition, Effect, Policy, PolicyError, PolicyKind, Principals, Statement};
pub use wildcard::wildcard_match;

/// How a request's principal relates to the principals a statement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Not named.
    None,
    /// Its account is named (an account id, root ARN or canonical id): the account's own policies
    /// must also allow, as for any delegation to an account.
    Account,
    /// The role an assumed-role session belongs to is named: the role's grant reaches its
    /// sessions, limited by each session's session policy (only naming the session ARN is not).
    Role,
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
    /// `s3:ResourceAccount`: the account that owns the resource, when there is one.
    pub resource_account: Option<&'a str>,
}

impl RequestContext<'_> {
    /// The request's values of condition key `lowercase` (absent keys: `None`).
    fn values(&self, lowercase: &str) -> Option<std::borrow::Cow<'_, [String]>> {
        match (lowercase, self.resource_account) {
            ("s3:resourceaccount", Some(account)) => Some(std::borrow::Cow::Owned(vec![account.to_string()])),
            _ => self.keys.get(lowercase).map(|v| std::borrow::Cow::Borrowed(v.as_slice())),
        }
    }
}

/// Which statements of one policy apply to a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// The first `Deny` statement that applies (index), if any.
    pub denied_by: Option<usize>,
    /// The first `Allow` statement that applies (index) and how it names the principal.
    pub allowed_by: Option<(usize, PrincipalMatch)>,
}

impl Policy {
    /// Parses and validates a document of `kind`; `principal_exists` tells whether a principal
    /// ARN names a known identity (S3 refuses policies naming principals that do not exist).
    pub fn parse(
        text: &str,
        kind: &PolicyKind,
        principal_exists: &dyn Fn(&str) -> bool,
    ) -> Result<Policy, PolicyError> {
        parse::document(text, kind, principal_exists)
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

    fn resource_matches(&self, s: &Statement, req: &RequestContext<'_>) -> bool {
        let any = s.resources.iter().any(|pattern| match self.substitute(pattern, req) {
            Some(p) => wildcard_match(&p, req.resource, false),
            None => false,
        });
        any != s.not_resource
    }

    fn conditions_hold(&self, s: &Statement, req: &RequestContext<'_>) -> bool {
        s.conditions.iter().all(|c| {
            let values: Option<Vec<String>> = c.values.iter().map(|v| self.substitute(v, req)).collect();
            let Some(values) = values else { return false };
            let request = req.values(&c.key.to_ascii_lowercase());
            c.operator.evaluate(request.as_deref(), &values)
        })
    }

    /// Replaces policy variables (`${aws:username}`, `${*}`, …) in version 2012-10-17 documents;
    /// `None` when a variable's key is not in the request, which makes the element not match.
    fn substitute(&self, text: &str, req: &RequestContext<'_>) -> Option<String> {
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
                    let value = req.values(&name.trim().to_ascii_lowercase())?;
                    out.push_str(value.first()?);
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
            let m = if Some(entry.as_str()) == p.arn {
                PrincipalMatch::Direct
            } else if Some(entry.as_str()) == p.role_arn {
                PrincipalMatch::Role
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_policy(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, &PolicyKind::Bucket("b".into()), &|arn| arn.ends_with(":user/alice"))
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
    fn evaluation() {
        let p = bucket_policy(PUBLIC_READ).unwrap();
        let k = keys(&[]);
        let anonymous = RequestContext {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/x",
            principal: PrincipalRef::default(),
            keys: &k,
            resource_account: None,
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
            resource_account: None,
        };
        assert_eq!(p.evaluate(&req), Evaluation { denied_by: None, allowed_by: Some((1, PrincipalMatch::Account)) });
        assert_eq!(p.evaluate(&RequestContext { resource: "arn:aws:s3:::b/home/bob/a", ..req }).allowed_by, None);
        let old = keys(&[("s3:signatureAge", "700000"), ("aws:username", "alice")]);
        assert_eq!(p.evaluate(&RequestContext { keys: &old, ..req }).denied_by, Some(0));
        assert_eq!(p.statement_name(0), "Sid Old");
        let own = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:ResourceAccount":"111122223333"}}}]}"#;
        let own = bucket_policy(own).unwrap();
        assert_eq!(own.evaluate(&RequestContext { resource_account: Some("111122223333"), ..req }).denied_by, None);
        assert_eq!(own.evaluate(&RequestContext { resource_account: Some("444455556666"), ..req }).denied_by, Some(0));
        assert!(!p.is_public());
    }
}
