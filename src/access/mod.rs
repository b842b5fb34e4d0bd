//! Authorization: the one place that decides whether a principal may perform an operation, as
//! S3 decides it.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html>
//!
//! - An explicit `Deny` in any policy that applies (the principal's identity policies, its session
//!   policy, the bucket policy) wins.
//! - Within the bucket owner's account, an `Allow` from the identity policies (limited by a
//!   session policy, when there is one) or a bucket policy statement that names the principal
//!   itself suffices. The account's root user needs no identity policy.
//! - Across accounts both sides must allow: the requester's identity policies and the bucket
//!   policy (naming the principal or its account).
//! - Anonymous requests are allowed only by a bucket policy statement for everyone.
//!
//! - Where Object Ownership leaves ACLs enabled, an ACL grant counts as the resource's allow; an
//!   object another account owns is reached only through its ACL (the bucket policy can still
//!   deny it). Block Public Access ignores public ACLs (`IgnorePublicAcls`) and keeps public bucket
//!   policies to the owner's account (`RestrictPublicBuckets`).
//!
//! Denials carry the messages S3 gives for same-account requests ("User: … is not authorized to
//! perform: … because no identity-based policy allows …"); cross-account and anonymous denials
//! say only "Access Denied", as S3 does.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html>

pub mod acl;
mod keys;

pub use keys::{request_keys, PeerAddr};

use std::sync::Arc;

use crate::auth::{SignatureVersion, Verified};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::iam::{Principal, PrincipalKind};
use crate::policy::{ConditionKeys, Evaluation, Policy, PolicyKind, PrincipalMatch, PrincipalRef, RequestContext};
use crate::router::{Op, Routed};
use crate::state::AppState;
use crate::storage::PublicAccessBlock;
use acl::{Acl, Permission};

/// The Object Ownership setting that disables ACLs.
pub const BUCKET_OWNER_ENFORCED: &str = "BucketOwnerEnforced";
/// The Object Ownership settings S3 knows.
pub const OWNERSHIPS: [&str; 3] = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"];

/// What authorization needs of a bucket: its owner, policy, Object Ownership, Block Public
/// Access and ACL.
#[derive(Debug, Clone)]
pub struct BucketAccess {
    pub name: String,
    pub owner: String,
    pub policy: Option<Arc<Policy>>,
    /// `None`: no ownership controls, which S3 treats as `ObjectWriter`.
    pub ownership: Option<String>,
    /// No configuration blocks nothing.
    pub public_access_block: PublicAccessBlock,
    pub acl: Acl,
    /// Whether the bucket takes SigV2 requests (created "before 24 June 2020").
    pub accepts_sigv2: bool,
}

impl BucketAccess {
    /// The bucket `name`, if it exists.
    pub async fn load(state: &AppState, name: &str) -> S3Result<Option<BucketAccess>> {
        let Some(row) = state.store.bucket(name).await? else { return Ok(None) };
        let policy = match &row.policy {
            // A stored policy was valid when it was put; principals deleted since still parse.
            Some(text) => Some(Arc::new(
                Policy::parse(text, &PolicyKind::Bucket(row.name.clone()), &|_| true).map_err(S3Error::internal)?,
            )),
            None => None,
        };
        let acl = Acl::from_stored(row.acl.as_deref(), &row.owner_account)?;
        let accepts_sigv2 = row.accepts_sigv2 || state.config.sigv2_buckets.contains(&row.name);
        Ok(Some(BucketAccess {
            name: row.name,
            owner: row.owner_account,
            policy,
            ownership: row.ownership,
            public_access_block: row.public_access_block.unwrap_or_default(),
            acl,
            accepts_sigv2,
        }))
    }

    /// Whether Object Ownership leaves ACLs in force.
    pub fn acls_enabled(&self) -> bool {
        self.ownership.as_deref() != Some(BUCKET_OWNER_ENFORCED)
    }
}

/// What authorization needs of an object when ACLs are in force: its owner and ACL.
#[derive(Debug, Clone)]
pub struct ObjectAccess {
    pub owner: String,
    pub acl: Acl,
}

/// An authorized request: who sent it and what its policies see, so that handlers can ask
/// further questions of the same kind (each key of a DeleteObjects, `s3:ListBucket` for a
/// missing key).
#[derive(Debug, Clone)]
pub struct Authorization {
    pub principal: Principal,
    keys: ConditionKeys,
    /// The addressed bucket, when it exists.
    pub bucket: Option<BucketAccess>,
    /// The addressed object, when ACLs are in force and it exists.
    pub object: Option<ObjectAccess>,
    /// Which rule decided, for the auth log.
    pub decided_by: String,
}

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
        if let Some((s, PrincipalMatch::Direct)) = resource_allow {
            return Ok(format!("{name} {s}"));
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

impl BucketAccess {
    /// The side of a decision about `action` on this bucket or, with `object`, on one of its
    /// objects.
    pub fn side<'a>(&'a self, action: &str, object: Option<&'a ObjectAccess>) -> ResourceSide<'a> {
        let acls = self.acls_enabled();
        // Object reads and ACL operations are the object ACL's; the rest the bucket ACL's. Setting
        // the ACL of an object a write creates is part of the write: the bucket's WRITE grant.
        let acl = match (acls, object, Permission::for_action(action, true)) {
            (false, _, _) => None,
            (true, Some(o), Some(perm)) => Some((&o.acl, perm)),
            (true, None, Some(Permission::WriteAcp)) => Some((&self.acl, Permission::Write)),
            (true, _, _) => Permission::for_action(action, false).map(|perm| (&self.acl, perm)),
        };
        ResourceSide {
            owner: object.map_or(&self.owner, |o| &o.owner),
            policy: self.policy.as_deref(),
            policy_owner: &self.owner,
            policy_name: "bucket",
            acl,
            public_access_block: self.public_access_block,
        }
    }
}

impl Authorization {
    /// Whether the principal may perform `action` on `resource` (an ARN in `bucket`, or `*`),
    /// with `object`'s owner and ACL when ACLs are in force.
    pub fn check(
        &self,
        action: &str,
        resource: &str,
        bucket: Option<&BucketAccess>,
        object: Option<&ObjectAccess>,
    ) -> Result<String, Denial> {
        decide(&self.principal, &self.keys, action, resource, bucket.map(|b| b.side(action, object)))
    }

    /// [`Authorization::check`] for the request's own bucket, as S3's error.
    pub fn require(&self, action: &str, resource: &str) -> S3Result<()> {
        self.check(action, resource, self.bucket.as_ref(), None)
            .map(|_| ())
            .map_err(|d| access_denied(&self.principal, action, resource, d.reason))
    }

    /// S3's refusal of `action` on `resource` for a Block Public Access `reason`: the full message
    /// within the bucket owner's account, "Access Denied" to anyone else.
    pub fn blocked(&self, action: &str, resource: &str, reason: Reason) -> S3Error {
        let insider = self.bucket.as_ref().is_some_and(|b| Some(&b.owner) == self.principal.account_id.as_ref());
        access_denied(&self.principal, action, resource, if insider { reason } else { Reason::Opaque })
    }

    /// The account that owns what the request creates or lists: the bucket's owner, or the
    /// principal's account when there is no bucket.
    pub fn owner_account(&self) -> &str {
        match &self.bucket {
            Some(b) => &b.owner,
            None => self.principal.account_id.as_deref().unwrap_or_default(),
        }
    }
}

/// Checks `x-amz-expected-bucket-owner` (and the copy source's) against the bucket's owner.
fn check_expected_owner(parts: &http::request::Parts, header: &str, owner: &str) -> S3Result<()> {
    let Some(expected) = parts.headers.get(header) else { return Ok(()) };
    let expected = String::from_utf8_lossy(expected.as_bytes());
    if expected != owner {
        return Err(S3Error::new(ErrorCode::AccessDenied));
    }
    Ok(())
}

/// Refuses an `x-amz-expected-bucket-owner` that is not an account id, as S3 does before
/// anything else.
fn check_expected_owner_format(parts: &http::request::Parts) -> S3Result<()> {
    for header in ["x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"] {
        if let Some(v) = parts.headers.get(header) {
            let v = String::from_utf8_lossy(v.as_bytes());
            if !crate::iam::is_account_id(&v) {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidBucketOwnerAWSAccountID,
                    format!("The value of the expected bucket owner parameter must be an AWS Account ID... [{v}]"),
                ));
            }
        }
    }
    Ok(())
}

/// The further permissions an operation needs for what its headers (or, presigned, its signed
/// query) ask: ACL headers need the ACL permission, Object Ownership at creation needs
/// `s3:PutBucketOwnershipControls`. The condition keys already hold those headers.
fn extra_actions(op: &Op, keys: &ConditionKeys) -> Vec<&'static str> {
    let acl_headers = keys.keys().any(|k| k == "s3:x-amz-acl" || k.starts_with("s3:x-amz-grant-"));
    let mut out = Vec::new();
    match op {
        Op::PutObject | Op::CopyObject { .. } | Op::CreateMultipartUpload if acl_headers => out.push("s3:PutObjectAcl"),
        Op::CreateBucket => {
            if acl_headers {
                out.push("s3:PutBucketAcl");
            }
            if keys.contains_key("s3:x-amz-object-ownership") {
                out.push("s3:PutBucketOwnershipControls");
            }
        }
        _ => {}
    }
    out
}

impl ObjectAccess {
    /// The object's owner and ACL, when they matter: ACLs in force and `action` one the object
    /// ACL governs. `None` when the object does not exist.
    async fn load(state: &AppState, bucket: &BucketAccess, key: &str, action: &str) -> S3Result<Option<ObjectAccess>> {
        if !bucket.acls_enabled() || Permission::for_action(action, true).is_none() {
            return Ok(None);
        }
        match state.store.head_object(&bucket.name, key).await {
            Ok(meta) => {
                let owner = meta.owner.unwrap_or_else(|| bucket.owner.clone());
                let acl = Acl::from_stored(meta.acl.as_deref(), &owner)?;
                Ok(Some(ObjectAccess { owner, acl }))
            }
            Err(e) if e.code == ErrorCode::NoSuchKey => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A refused request: S3's error, the rule that refused it and who asked, for the auth log.
#[derive(Debug)]
pub struct Refusal {
    pub error: S3Error,
    pub decided_by: String,
    pub principal: Option<String>,
}

/// Decides whether `verified` may perform `routed`. A request whose routing failed is judged
/// too, so that an anonymous one is refused before its routing error is told, as S3 does. On
/// success the [`Authorization`] goes to the handler; either way `decided_by` says why, for the
/// auth log.
pub async fn authorize(
    state: &AppState,
    verified: &Verified,
    routed: &Routed,
    parts: &http::request::Parts,
    query: &[(String, String)],
) -> Result<Authorization, Box<Refusal>> {
    let iam = state.auth.credentials.iam();
    let Some(principal) = iam.principal(verified.access_key.as_deref()) else {
        let key = verified.access_key.clone().unwrap_or_default();
        let error = S3Error::new(ErrorCode::InvalidAccessKeyId).extra("AWSAccessKeyId", key);
        return Err(Box::new(Refusal { error, decided_by: "unknown key".into(), principal: None }));
    };
    let keys = request_keys(state, verified, &principal, parts, query);
    let arn = principal.arn.clone();
    let mut auth = Authorization { principal, keys, bucket: None, object: None, decided_by: String::new() };
    let fail = |error: S3Error, why: &str| {
        Err(Box::new(Refusal { error, decided_by: why.to_string(), principal: arn.clone() }))
    };
    let op = match &routed.op {
        Ok(op) => op,
        Err(_) if auth.principal.kind == PrincipalKind::Anonymous => {
            // A missing bucket is told as NoSuchBucket to anyone, as S3 does, before anything else.
            if let Some(name) = routed.bucket() {
                if let Ok(None) = BucketAccess::load(state, name).await {
                    return fail(crate::storage::no_such_bucket(name), "no such bucket");
                }
            }
            return fail(S3Error::new(ErrorCode::AccessDenied), "anonymous request for no operation");
        }
        Err(_) => {
            auth.decided_by = "no operation to authorize".into();
            return Ok(auth);
        }
    };
    if let Err(e) = check_expected_owner_format(parts) {
        return fail(e, "malformed expected bucket owner");
    }
    let resource = routed.target.as_ref().map(|t| t.resource_arn()).unwrap_or_else(|_| "*".into());
    if let (Some(name), false) = (routed.bucket(), matches!(op, Op::CreateBucket)) {
        match BucketAccess::load(state, name).await {
            Ok(Some(b)) => auth.bucket = Some(b),
            // A missing bucket is told as NoSuchBucket to anyone, as S3 does.
            Ok(None) => {
                auth.decided_by = "no such bucket".into();
                return Ok(auth);
            }
            Err(e) => return fail(e, "bucket lookup failed"),
        }
    }
    if let Some(b) = &auth.bucket {
        // Buckets created after 24 June 2020 refuse SigV2 with the answer of SigV4-only regions.
        if verified.signature_version == Some(SignatureVersion::V2) && !b.accepts_sigv2 {
            let error = S3Error::with_message(
                ErrorCode::InvalidRequest,
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            );
            return fail(error, "SigV2 on a bucket created after 24 June 2020 (not a --sigv2-buckets bucket)");
        }
        if let Err(e) = check_expected_owner(parts, "x-amz-expected-bucket-owner", &b.owner) {
            return fail(e, "expected bucket owner differs");
        }
    }
    if auth.principal.kind == PrincipalKind::Anonymous && matches!(op, Op::ListBuckets | Op::CreateBucket) {
        return fail(S3Error::new(ErrorCode::AccessDenied), "anonymous request for an account operation");
    }
    // DeleteObjects authorizes s3:DeleteObject for each key it names; S3 answers the refused
    // ones with an error entry each.
    if matches!(op, Op::DeleteObjects) {
        auth.decided_by = "each key is authorized on its own".into();
        return Ok(auth);
    }
    // The bucket owner's root user may always manage the bucket policy, even one that denies it,
    // so that a policy can never lock its owner out (PutBucketPolicy documentation). Nobody
    // outside the owner's account may manage it, whatever the policy says: 405.
    let manages_policy = matches!(op, Op::PutBucketPolicy | Op::GetBucketPolicy | Op::DeleteBucketPolicy);
    let owner = auth.bucket.as_ref().map(|b| b.owner.clone());
    let own_account = owner.is_some() && owner == auth.principal.account_id;
    if manages_policy && own_account && auth.principal.kind == PrincipalKind::Root {
        auth.decided_by = "the bucket owner's root user may always manage the bucket policy".into();
        return Ok(auth);
    }
    let action = op.action();
    if let (Some(b), Some(key)) = (&auth.bucket, routed.key()) {
        match ObjectAccess::load(state, b, key, action).await {
            Ok(o) => auth.object = o,
            Err(e) => return fail(e, "object lookup failed"),
        }
    }
    for action in std::iter::once(action).chain(extra_actions(op, &auth.keys)) {
        let decision = auth.check(action, &resource, auth.bucket.as_ref(), auth.object.as_ref());
        match decision {
            Ok(why) => auth.decided_by = why,
            Err(d) => return fail(access_denied(&auth.principal, action, &resource, d.reason), &d.decided_by),
        }
    }
    if manages_policy && !own_account {
        let e = S3Error::new(ErrorCode::MethodNotAllowed)
            .extra("Method", parts.method.as_str())
            .extra("ResourceType", "BUCKETPOLICY");
        return fail(e, "only the bucket owner's account may manage its policy");
    }
    if let Some(source) = op.copy_source() {
        if auth.principal.kind == PrincipalKind::Anonymous {
            return fail(
                S3Error::with_message(
                    ErrorCode::AccessDenied,
                    "Anonymous users cannot copy objects. Please authenticate.",
                ),
                "anonymous copy",
            );
        }
        let source_bucket = match BucketAccess::load(state, &source.bucket).await {
            Ok(b) => b,
            Err(e) => return fail(e, "bucket lookup failed"),
        };
        if let Some(b) = &source_bucket {
            if let Err(e) = check_expected_owner(parts, "x-amz-source-expected-bucket-owner", &b.owner) {
                return fail(e, "expected source bucket owner differs");
            }
            let source_arn = format!("arn:aws:s3:::{}/{}", source.bucket, source.key);
            // A copy of a named version reads that version.
            let read = if source.version_id.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" };
            let object = match ObjectAccess::load(state, b, &source.key, read).await {
                Ok(o) => o,
                Err(e) => return fail(e, "object lookup failed"),
            };
            if let Err(d) = auth.check(read, &source_arn, Some(b), object.as_ref()) {
                let e = access_denied(&auth.principal, read, &source_arn, d.reason);
                return fail(e, &format!("copy source: {}", d.decided_by));
            }
        }
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denial_messages() {
        let mut alice = Principal::anonymous();
        alice.kind = PrincipalKind::User;
        alice.arn = Some("arn:aws:iam::123456789012:user/alice".into());
        let e = access_denied(&alice, "s3:GetObject", "arn:aws:s3:::b/k", Reason::NoIdentityAllow);
        assert_eq!(e.message, "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:GetObject action");
        let e = access_denied(&alice, "s3:ListAllMyBuckets", "*", Reason::NoIdentityAllow);
        assert_eq!(e.message, "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action");
        let e = access_denied(&alice, "s3:GetObject", "arn:aws:s3:::b/k", Reason::ExplicitResource);
        assert!(e.message.ends_with("\"arn:aws:s3:::b/k\" with an explicit deny in a resource-based policy"));
        assert_eq!(access_denied(&alice, "s3:GetObject", "x", Reason::Opaque).message, "Access Denied");
        assert_eq!(
            access_denied(&Principal::anonymous(), "s3:GetObject", "x", Reason::NoIdentityAllow).message,
            "Access Denied"
        );
    }
}
