//! The decision itself, a pure function: whether a principal may perform an action on a
//! resource, given the request's condition keys and the resource's side (its owner, the
//! resource-based policy over it, the ACL that applies, Block Public Access), as S3 decides it.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html>
//!
//! - An explicit `Deny` in any policy that applies (the principal's identity policies, its session
//!   policy, the bucket policy) wins.
//! - Within the resource owner's account, an `Allow` from the identity policies (limited by a
//!   session policy, when there is one) or a resource-based policy statement that names the
//!   principal itself suffices. The account's root user needs no identity policy. A statement
//!   naming the **role** a session was assumed from is limited by the session's session policy;
//!   only one naming the assumed-role **session** ARN is not ("Session policies", IAM User Guide:
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session>).
//! - Across accounts both sides must allow: the requester's identity policies (and session
//!   policy) and the resource side (naming the principal or its account).
//! - Anonymous requests are allowed only by a resource-side grant to everyone.
//! - Where Object Ownership leaves ACLs enabled, an ACL grant counts as the resource's allow.
//!   Block Public Access ignores public ACLs (`IgnorePublicAcls`) and keeps public bucket
//!   policies to the owner's account (`RestrictPublicBuckets`).
//!
//! Denials carry the messages S3 gives for same-account requests ("User: … is not authorized to
//! perform: … because no identity-based policy allows …"); cross-account and anonymous denials
//! say only "Access Denied", as S3 does.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html>

use super::acl::{Acl, Permission};
use crate::error::{ErrorCode, S3Error};
use crate::iam::{Principal, PrincipalKind};
use crate::policy::{ConditionKeys, Evaluation, Policy, PrincipalMatch, PrincipalRef, RequestContext};
use crate::storage::PublicAccessBlock;

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    ExplicitIdentity,
    ExplicitSession,
    ExplicitResource,
    NoIdentityAllow,
    NoSessionAllow,
    /// A public ACL where Block Public Access blocks them.
    BlockedPublicAcls,
    /// A public bucket policy where Block Public Access blocks them.
    BlockedPublicPolicy,
    /// Cross-account or anonymous: S3 says no more than "Access Denied".
    Opaque,
}

/// A refusal and the rule behind it.
#[derive(Debug, Clone)]
pub struct Denial {
    pub reason: Reason,
    pub decided_by: String,
}

/// S3's `AccessDenied` for `principal` refused `action` on `resource`.
pub fn access_denied(principal: &Principal, action: &str, resource: &str, reason: Reason) -> S3Error {
    let Some(arn) = principal.arn.as_deref().filter(|_| reason != Reason::Opaque) else {
        return S3Error::new(ErrorCode::AccessDenied);
    };
    let on = if resource == "*" { String::new() } else { format!(" on resource: \"{resource}\"") };
    let why = match reason {
        Reason::ExplicitIdentity => "with an explicit deny in an identity-based policy".to_string(),
        Reason::ExplicitSession => "with an explicit deny in a session policy".to_string(),
        Reason::ExplicitResource => "with an explicit deny in a resource-based policy".to_string(),
        Reason::NoIdentityAllow => format!("because no identity-based policy allows the {action} action"),
        Reason::NoSessionAllow => format!("because no session policy allows the {action} action"),
        Reason::BlockedPublicAcls => {
            "because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting."
                .to_string()
        }
        Reason::BlockedPublicPolicy => {
            "because public policies are blocked by the BlockPublicPolicy block public access setting.".to_string()
        }
        Reason::Opaque => String::new(),
    };
    S3Error::with_message(
        ErrorCode::AccessDenied,
        format!("User: {arn} is not authorized to perform: {action}{on} {why}"),
    )
}

/// The combined verdict of several policies of one kind.
fn evaluate_all<'p>(
    policies: impl IntoIterator<Item = &'p Policy>,
    req: &RequestContext<'_>,
) -> (Option<String>, Option<(String, PrincipalMatch)>) {
    let mut deny = None;
    let mut allow: Option<(String, PrincipalMatch)> = None;
    for (n, p) in policies.into_iter().enumerate() {
        let Evaluation { denied_by, allowed_by } = p.evaluate(req);
        if let (None, Some(i)) = (&deny, denied_by) {
            deny = Some(format!("policy {}, {}", n + 1, p.statement_name(i)));
        }
        if let Some((i, m)) = allowed_by {
            if allow.as_ref().is_none_or(|(_, best)| m > *best) {
                allow = Some((format!("policy {}, {}", n + 1, p.statement_name(i)), m));
            }
        }
    }
    (deny, allow)
}

/// The resource's side of a decision: who owns it, the resource-based policy of its container (a
/// bucket policy, a role's trust policy) and who owns that, the ACL that applies and Block
/// Public Access.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSide<'a> {
    /// The resource's owner (an object's may differ from its bucket's).
    pub owner: &'a str,
    pub policy: Option<&'a Policy>,
    /// The account the policy belongs to; its `Allow`s reach only what that account owns.
    pub policy_owner: &'a str,
    /// What the policy is called in the auth log: `bucket`, `trust`.
    pub policy_name: &'static str,
    /// The ACL that may grant the action, and the permission it must grant.
    pub acl: Option<(&'a Acl, Permission)>,
    pub public_access_block: PublicAccessBlock,
}

impl<'a> ResourceSide<'a> {
    /// A resource governed by `policy` alone.
    pub fn with_policy(owner: &'a str, policy: &'a Policy, policy_name: &'static str) -> Self {
        ResourceSide {
            owner,
            policy: Some(policy),
            policy_owner: owner,
            policy_name,
            acl: None,
            public_access_block: PublicAccessBlock::default(),
        }
    }
}

/// Whether `p` may perform `action` on `resource`, given the request's condition `keys` and the
/// resource's side (none for actions without a resource, such as `s3:ListAllMyBuckets`).
pub fn decide(
    p: &Principal,
    keys: &ConditionKeys,
    action: &str,
    resource: &str,
    side: Option<ResourceSide<'_>>,
) -> Result<String, Denial> {
    let canonical = p.canonical_id();
    let req = RequestContext {
        action,
        resource,
        principal: PrincipalRef {
            account: p.account_id.as_deref(),
            canonical_id: canonical.as_deref(),
            arn: p.arn.as_deref(),
            role_arn: p.role_arn.as_deref(),
            user_id: p.user_id.as_deref(),
        },
        keys,
        resource_account: side.map(|s| s.owner),
    };
    let deny = |reason, decided_by: String| Err(Denial { reason, decided_by });
    let (identity_deny, identity_allow) = evaluate_all(p.identity_policies.iter().map(|p| &**p), &req);
    let (session_deny, session_allow) = evaluate_all(p.session_policy.as_deref(), &req);
    let (resource_deny, policy_allow) = evaluate_all(side.and_then(|s| s.policy), &req);
    let name = side.map_or("resource", |s| s.policy_name);
    if let Some(s) = identity_deny {
        return deny(Reason::ExplicitIdentity, format!("explicit deny in identity-based {s}"));
    }
    if let Some(s) = session_deny {
        return deny(Reason::ExplicitSession, format!("explicit deny in session {s}"));
    }
    if let Some(s) = resource_deny {
        return deny(Reason::ExplicitResource, format!("explicit deny in {name} {s}"));
    }
    // The resource side's allow: a policy statement (for what its account owns; not for outsiders
    // when RestrictPublicBuckets meets a public policy), or an ACL grant.
    let outsider = side.is_some_and(|s| p.account_id.as_deref() != Some(s.policy_owner));
    let mut resource_allow = policy_allow.filter(|_| {
        let side = side.as_ref();
        let restricted = side.is_some_and(|s| {
            s.public_access_block.restrict_public_buckets && outsider && s.policy.is_some_and(|p| p.is_public())
        });
        side.is_none_or(|s| s.owner == s.policy_owner) && !restricted
    });
    if let Some((acl, permission)) = side.and_then(|s| s.acl) {
        let ignore_public = side.is_some_and(|s| s.public_access_block.ignore_public_acls);
        let m = acl.grants_to(p, permission, ignore_public);
        if m != PrincipalMatch::None && resource_allow.as_ref().is_none_or(|(_, best)| m > *best) {
            resource_allow = Some((format!("ACL grant of {}", permission.name()), m));
        }
    }
    let is_root = p.kind == PrincipalKind::Root;
    let identity = if is_root { Some("account root user".to_string()) } else { identity_allow.map(|(s, _)| s) };
    let session_ok = p.session_policy.is_none() || session_allow.is_some();
    if p.kind == PrincipalKind::Anonymous {
        return match resource_allow {
            Some((s, PrincipalMatch::Direct)) => Ok(format!("{name} {s} (public)")),
            _ => deny(Reason::Opaque, format!("anonymous: nothing on the {name} side allows everyone")),
        };
    }
    let same_account = side.is_none_or(|s| Some(s.owner) == p.account_id.as_deref());
    if same_account {
        match resource_allow {
            Some((s, PrincipalMatch::Direct)) => return Ok(format!("{name} {s}")),
            // Naming the role, not the session: the session policy still limits it.
            Some((s, PrincipalMatch::Role)) if session_ok => return Ok(format!("{name} {s} (the session's role)")),
            Some((_, PrincipalMatch::Role)) => {
                return deny(
                    Reason::NoSessionAllow,
                    format!("the {name} policy names the session's role, and no session policy statement allows"),
                )
            }
            _ => {}
        }
        return match (identity, session_ok) {
            (Some(s), true) => Ok(format!("identity-based {s}")),
            (Some(_), false) => deny(Reason::NoSessionAllow, "no session policy statement allows".into()),
            (None, _) => deny(Reason::NoIdentityAllow, "no identity-based policy statement allows".into()),
        };
    }
    match (identity, session_ok, resource_allow) {
        (Some(i), true, Some((r, _))) => Ok(format!("cross-account: identity-based {i} and {name} {r}")),
        (None, _, _) => deny(Reason::Opaque, "cross-account: no identity-based policy statement allows".into()),
        (_, false, _) => deny(Reason::Opaque, "cross-account: no session policy statement allows".into()),
        (_, _, None) => deny(Reason::Opaque, format!("cross-account: nothing on the {name} side allows")),
    }
}
