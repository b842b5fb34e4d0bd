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
//! `public.rs` S3's meaning of a public policy, `principals.rs` principals bound to unique ids;
//! this file evaluates a document for a request.
//! Children never import this file: what they share lives in the files below it.

pub mod actions;
pub mod condition;
mod document;
mod parse;
mod principals;
mod public;
mod wildcard;

use std::collections::BTreeMap;

pub use condition::ConditionKeys;
pub use document::{Condition, Effect, Policy, PolicyError, PolicyKind, Principals, Statement};
pub use principals::shown_with_ids;
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
    /// `aws:userid`: a user's unique id (`AIDA…`), a session's role id and session name
    /// (`AROA…:name`), the account id of a root user. A statement entry bound to a unique id
    /// (see [`Policy::principal_ids`]) names only the identity that has it.
    pub user_id: Option<&'a str>,
}

impl PrincipalRef<'_> {
    /// The unique id of the role an assumed-role session belongs to.
    fn role_id(&self) -> Option<&str> {
        self.role_arn.and(self.user_id).and_then(|u| u.split(':').next())
    }
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
            let principal = s.principal_match(&req.principal, &self.principal_ids);
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
    ///
    /// `NotPrincipal` applies the statement to every principal it does not exempt, and it exempts
    /// a request only when each identity the request acts as is listed: a user's ARN and its
    /// account; a session's ARN, its role's ARN and its account; a root user's account (its id,
    /// root ARN or canonical id). IAM User Guide, "NotPrincipal" (with `Deny`): "If an
    /// assumed-role user … is being evaluated, AWS might validate the account first, then the
    /// role, and then the assumed-role user"; "If the NotPrincipal element was missing the ARN of
    /// the role, the effect of the policy might be to explicitly deny access to the role.
    /// Similarly, if the NotPrincipal element was missing the ARN of the AWS account that the role
    /// belongs to, the effect of the policy might be to explicitly deny access to the AWS account
    /// and all entities in that account"; and its examples list the user with its account, and
    /// the session with its role and account. So naming an account does not exempt its users or
    /// sessions, and naming a role does not exempt its sessions. The same set is exempt from an
    /// `Allow` (which "allows all principals except the one named", the same page): the
    /// statement applies to everyone else, anonymous requests included, as to `*` — which is why
    /// S3 calls such a statement public ([`Statement::is_public`]).
    fn principal_match(&self, p: &PrincipalRef<'_>, ids: &BTreeMap<String, String>) -> PrincipalMatch {
        let Some(principals) = &self.principals else { return PrincipalMatch::Direct };
        match (self.not_principal, principals.exempts(p, ids)) {
            (false, _) => principals.matches(p, ids),
            (true, true) => PrincipalMatch::None,
            (true, false) => PrincipalMatch::Direct,
        }
    }
}

/// Whether `entry` names the identity with ARN `arn` and unique id `id`: the same ARN and, when
/// the entry was bound to a unique id when the policy was put, the same id.
fn names(entry: &str, ids: &BTreeMap<String, String>, arn: Option<&str>, id: Option<&str>) -> bool {
    Some(entry) == arn && ids.get(entry).is_none_or(|bound| Some(bound.as_str()) == id)
}

impl Principals {
    fn matches(&self, p: &PrincipalRef<'_>, ids: &BTreeMap<String, String>) -> PrincipalMatch {
        if self.everyone {
            return PrincipalMatch::Direct;
        }
        let Some(account) = p.account else { return PrincipalMatch::None };
        let root = format!("arn:aws:iam::{account}:root");
        let mut best = PrincipalMatch::None;
        for entry in &self.aws {
            let m = if names(entry, ids, p.arn, p.user_id) {
                PrincipalMatch::Direct
            } else if names(entry, ids, p.role_arn, p.role_id()) {
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

    /// Whether a `NotPrincipal` of these principals exempts `p`: every identity `p` acts as is
    /// listed (see [`Statement::principal_match`]). Only `*` lists anonymous requesters.
    fn exempts(&self, p: &PrincipalRef<'_>, ids: &BTreeMap<String, String>) -> bool {
        if self.everyone {
            return true;
        }
        let Some(account) = p.account else { return false };
        let root = format!("arn:aws:iam::{account}:root");
        let account_listed = self.aws.iter().any(|e| e == account || *e == root)
            || p.canonical_id.is_some_and(|c| self.canonical.iter().any(|e| e == c));
        let listed = |arn: Option<&str>, id: Option<&str>| self.aws.iter().any(|e| names(e, ids, arn, id));
        account_listed
            && (p.arn == Some(root.as_str())
                || match p.role_arn {
                    Some(role) => listed(p.arn, p.user_id) && listed(Some(role), p.role_id()),
                    None => listed(p.arn, p.user_id),
                })
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

    const ACCOUNT: &str = "111122223333";
    const ROLE: &str = "arn:aws:iam::111122223333:role/auditor";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/auditor/s";
    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

    fn alice() -> PrincipalRef<'static> {
        PrincipalRef { account: Some(ACCOUNT), arn: Some(ALICE), user_id: Some("AIDAALICE"), ..Default::default() }
    }

    fn session() -> PrincipalRef<'static> {
        PrincipalRef {
            account: Some(ACCOUNT),
            arn: Some(SESSION),
            role_arn: Some(ROLE),
            user_id: Some("AROAAUDITOR:s"),
            ..Default::default()
        }
    }

    fn root() -> PrincipalRef<'static> {
        PrincipalRef {
            account: Some(ACCOUNT),
            arn: Some("arn:aws:iam::111122223333:root"),
            user_id: Some(ACCOUNT),
            ..Default::default()
        }
    }

    /// Whether a `Deny` with `NotPrincipal` of `entries` applies to `p`.
    fn denied(entries: &[&str], p: PrincipalRef<'_>) -> bool {
        let list: Vec<String> = entries.iter().map(|e| format!("{e:?}")).collect();
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":[{}]}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}]}}"#,
            list.join(",")
        );
        let policy = Policy::parse(&text, &PolicyKind::Bucket("b".into()), &|_| true).unwrap();
        let k = keys(&[]);
        let req = RequestContext {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            principal: p,
            keys: &k,
            resource_account: None,
        };
        policy.evaluate(&req).denied_by.is_some()
    }

    /// NotPrincipal exempts a request only when each identity it acts as is listed.
    #[test]
    fn not_principal_exempts_only_what_it_lists_in_full() {
        let root_arn = "arn:aws:iam::111122223333:root";
        // The account alone exempts its root user, not its users or sessions.
        for account in [root_arn, ACCOUNT] {
            assert!(!denied(&[account], root()));
            assert!(denied(&[account], alice()));
            assert!(denied(&[account, ROLE], session()));
        }
        // A user: its ARN and its account.
        assert!(denied(&[ALICE], alice()));
        assert!(!denied(&[ALICE, root_arn], alice()));
        // A session: its ARN, its role's and its account.
        assert!(denied(&[SESSION, ROLE], session()));
        assert!(denied(&[SESSION, root_arn], session()));
        assert!(denied(&[ROLE, root_arn], session()));
        assert!(!denied(&[SESSION, ROLE, root_arn], session()));
        // Anonymous requests are listed by nothing.
        assert!(denied(&[root_arn, ALICE], PrincipalRef::default()));

        // With Allow, the same set is left out: everyone else is allowed, as by `*`.
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","NotPrincipal":{{"AWS":["{root_arn}","{ALICE}"]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
        );
        let policy = Policy::parse(&text, &PolicyKind::Bucket("b".into()), &|_| true).unwrap();
        assert!(policy.is_public());
        let k = keys(&[]);
        let allowed = |p| {
            let req = RequestContext {
                action: "s3:GetObject",
                resource: "arn:aws:s3:::b/k",
                principal: p,
                keys: &k,
                resource_account: None,
            };
            policy.evaluate(&req).allowed_by.map(|(_, m)| m)
        };
        assert_eq!(allowed(alice()), None);
        assert_eq!(allowed(root()), None);
        assert_eq!(allowed(session()), Some(PrincipalMatch::Direct));
        assert_eq!(allowed(PrincipalRef::default()), Some(PrincipalMatch::Direct));
    }

    /// An entry bound to a unique id names only the identity with that id.
    #[test]
    fn bound_principals_name_only_their_identity() {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{ALICE}","{ROLE}"]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
        );
        let mut policy = Policy::parse(&text, &PolicyKind::Bucket("b".into()), &|_| true).unwrap();
        let k = keys(&[]);
        let how = |policy: &Policy, p| {
            let req = RequestContext {
                action: "s3:GetObject",
                resource: "arn:aws:s3:::b/k",
                principal: p,
                keys: &k,
                resource_account: None,
            };
            policy.evaluate(&req).allowed_by.map(|(_, m)| m)
        };
        // Unbound (policies put before binding): by ARN.
        assert_eq!(how(&policy, alice()), Some(PrincipalMatch::Direct));
        policy.bind_principals(&|arn| match arn {
            ALICE => Some("AIDAALICE".into()),
            ROLE => Some("AROAAUDITOR".into()),
            _ => None,
        });
        assert_eq!(how(&policy, alice()), Some(PrincipalMatch::Direct));
        assert_eq!(how(&policy, session()), Some(PrincipalMatch::Role));
        let other_alice = PrincipalRef { user_id: Some("AIDANEWALICE"), ..alice() };
        assert_eq!(how(&policy, other_alice), None);
        let other_role = PrincipalRef { user_id: Some("AROANEWROLE:s"), ..session() };
        assert_eq!(how(&policy, other_role), None);
    }
}
