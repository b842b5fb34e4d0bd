//! Authorization: the one place that decides whether a principal may perform an operation, as
//! S3 decides it, from the same parsed request ([`crate::request::RequestView`]) the handler then
//! acts on. Handlers do not decide: they act on what [`authorize`] decided (the tag set and ACL a
//! write may set, whether a missing key may be told) and ask it the further questions only the
//! handler can pose (each key of a DeleteObjects, the ACL or policy document a request body holds).
//!
//! - [`decide`]: the decision itself, a pure function of principal, condition keys, action,
//!   resource and the resource's side (policy, ACL, Block Public Access).
//! - [`keys`](request_keys): the condition keys of a request.
//! - `resources`: what is known of the addressed bucket and object (or version).
//! - `write`: the owner and ACL a write may give, as Object Ownership and Block Public Access
//!   allow.
//! - [`acl`]: the ACL model.

pub mod acl;
mod decide;
mod keys;
mod resources;
mod write;

pub use decide::{access_denied, decide, Denial, Reason, ResourceSide};
pub use keys::{request_keys, PeerAddr, HEADER_KEYS};
pub use resources::{object_exists, BucketAccess, ObjectAccess, BUCKET_OWNER_ENFORCED, OWNERSHIPS};
pub use write::{check_new_bucket_acl, requested_acl, WriteAcl};

use crate::auth::{SignatureVersion, Verified};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::iam::{Principal, PrincipalKind};
use crate::policy::{ConditionKeys, Policy};
use crate::request::{RequestView, RESPONSE_OVERRIDES};
use crate::router::{Op, Routed};
use crate::state::AppState;
use crate::tags::Tags;
use acl::Acl;
use write::AclRefusal;

/// An authorized request: who sent it and what its policies see, so that handlers can ask
/// further questions of the same kind (each key of a DeleteObjects), and what authorization
/// judged of the request for the handler to act on.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub principal: Principal,
    keys: ConditionKeys,
    /// The addressed bucket, when it exists.
    pub bucket: Option<BucketAccess>,
    /// The addressed object (or the version the request names), when ACLs are in force and it
    /// exists.
    pub object: Option<ObjectAccess>,
    /// Which rule decided, for the auth log.
    pub decided_by: String,
    /// For writes that create an object: its owner and ACL, as judged.
    write_acl: Option<WriteAcl>,
    /// For writes that name a tag set: the tag set, as judged.
    request_tags: Option<Tags>,
    /// For PutObjectTagging: S3 judges it with the `s3:RequestObjectTag` keys of the tag set its
    /// body names, which only the handler reads; set until [`Authorization::judge_tag_set`] has
    /// judged it, which the handler must call before acting.
    tag_set_pending: Option<(&'static str, String)>,
    /// Set when the request was let through only because the object it names does not exist
    /// and the principal may list the bucket (S3 then tells `NoSuchKey`): the refusal to answer
    /// if the object turns out to exist after all.
    missing_only: Option<(&'static str, String, Reason)>,
}

impl Authorization {
    fn new(principal: Principal, keys: ConditionKeys) -> Self {
        Authorization {
            principal,
            keys,
            bucket: None,
            object: None,
            decided_by: String::new(),
            write_acl: None,
            request_tags: None,
            tag_set_pending: None,
            missing_only: None,
        }
    }

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

    /// The owner and ACL of the object a write creates, as authorization judged them.
    pub fn write_acl(&self) -> WriteAcl {
        self.write_acl.clone().unwrap_or_default()
    }

    /// The tag set a write names, as authorization judged it; empty when it names none.
    pub fn request_tags(&self) -> Tags {
        self.request_tags.clone().unwrap_or_default()
    }

    /// Whether the principal may perform `action` on `resource` in the request's bucket (for what
    /// a response may show: S3 gives `x-amz-tagging-count` only to whoever may read the tags).
    pub fn may(&self, action: &str, resource: &str) -> bool {
        self.check(action, resource, self.bucket.as_ref(), self.object.as_ref()).is_ok()
    }

    /// Judges a PutObjectTagging with the tag set its body names (`s3:RequestObjectTagKeys`,
    /// `s3:RequestObjectTag/<key>`), as S3 does; the handler calls this before storing the tags.
    pub fn judge_tag_set(&self, tags: &[(String, String)]) -> S3Result<()> {
        let Some((action, resource)) = &self.tag_set_pending else { return Ok(()) };
        let mut judged = self.clone();
        keys::add_request_tags(&mut judged.keys, tags);
        judged
            .check(action, resource, self.bucket.as_ref(), self.object.as_ref())
            .map(|_| ())
            .map_err(|d| access_denied(&self.principal, action, resource, d.reason))
    }

    /// S3 tells a missing key as `NoSuchKey` only to whoever may list the bucket, by any route
    /// (identity or bucket policy, or a bucket ACL's READ); anyone else gets `AccessDenied`, so
    /// that a refusal does not reveal what the bucket holds.
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Permissions>
    pub fn missing_key(&self, bucket: &str, e: S3Error) -> S3Error {
        if e.code != ErrorCode::NoSuchKey {
            return e;
        }
        match self.require("s3:ListBucket", &format!("arn:aws:s3:::{bucket}")) {
            Ok(()) => e,
            Err(denied) => denied,
        }
    }

    /// To be called by a handler that found the object it reads: the refusal when the request
    /// was let through only to be told the object is missing.
    pub fn found_object(&self) -> S3Result<()> {
        match &self.missing_only {
            Some((action, resource, reason)) => Err(access_denied(&self.principal, action, resource, *reason)),
            None => Ok(()),
        }
    }

    /// Whether Block Public Access lets `acl` be put on `resource` by `action` (PutBucketAcl,
    /// PutObjectAcl): `BlockPublicAcls` refuses public ACLs.
    pub fn check_acl_put(&self, acl: &Acl, action: &str, resource: &str) -> S3Result<()> {
        let blocks = self.bucket.as_ref().is_some_and(|b| b.public_access_block.block_public_acls);
        if blocks && acl.is_public() {
            return Err(self.blocked(action, resource, Reason::BlockedPublicAcls));
        }
        Ok(())
    }

    /// Whether Block Public Access lets `policy` be the bucket's policy: `BlockPublicPolicy`
    /// refuses public ones.
    pub fn check_policy_put(&self, policy: &Policy, resource: &str) -> S3Result<()> {
        let blocks = self.bucket.as_ref().is_some_and(|b| b.public_access_block.block_public_policy);
        if blocks && policy.is_public() {
            return Err(self.blocked("s3:PutBucketPolicy", resource, Reason::BlockedPublicPolicy));
        }
        Ok(())
    }
}

/// Checks `x-amz-expected-bucket-owner` (and the copy source's) against the bucket's owner.
fn check_expected_owner(view: &RequestView<'_>, header: &str, owner: &str) -> S3Result<()> {
    match view.header(header) {
        Some(expected) if expected != owner => Err(S3Error::new(ErrorCode::AccessDenied)),
        _ => Ok(()),
    }
}

/// Refuses an `x-amz-expected-bucket-owner` that is not an account id, as S3 does before
/// anything else.
fn check_expected_owner_format(view: &RequestView<'_>) -> S3Result<()> {
    for header in ["x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"] {
        if let Some(v) = view.header(header) {
            if !crate::iam::is_account_id(v) {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidBucketOwnerAWSAccountID,
                    format!("The value of the expected bucket owner parameter must be an AWS Account ID... [{v}]"),
                ));
            }
        }
    }
    Ok(())
}

/// Whether the operation creates an object, whose owner and ACL a write may set.
fn creates_object(op: &Op) -> bool {
    matches!(op, Op::PutObject | Op::CopyObject { .. } | Op::CreateMultipartUpload | Op::PostObject)
}

/// Whether the operation names a tag set for the object it creates: `x-amz-tagging` (a POST
/// form's `tagging` field); for CopyObject only with `x-amz-tagging-directive: REPLACE`.
fn names_tags(op: &Op, view: &RequestView<'_>) -> bool {
    match op {
        Op::PutObject | Op::CreateMultipartUpload | Op::PostObject => true,
        Op::CopyObject { .. } => view.header("x-amz-tagging-directive") == Some("REPLACE"),
        _ => false,
    }
}

/// The further permissions an operation needs for what its request asks: ACL headers (a POST
/// form's `acl` field) need the ACL permission, a tag set needs `s3:PutObjectTagging`, Object
/// Ownership at creation needs `s3:PutBucketOwnershipControls`, GetObjectAttributes needs the
/// read permission of the object too. All of them are read from the view the handler acts on.
fn extra_actions(op: &Op, view: &RequestView<'_>, tags: Option<&Tags>) -> Vec<&'static str> {
    let acl_headers = view.fields().any(|(n, _)| n == "x-amz-acl" || n.starts_with("x-amz-grant-"));
    let mut out = Vec::new();
    match op {
        _ if creates_object(op) => {
            if acl_headers {
                out.push("s3:PutObjectAcl");
            }
            if tags.is_some_and(|t| !t.is_empty()) {
                out.push("s3:PutObjectTagging");
            }
        }
        Op::CreateBucket => {
            if acl_headers {
                out.push("s3:PutBucketAcl");
            }
            if view.header("x-amz-object-ownership").is_some() {
                out.push("s3:PutBucketOwnershipControls");
            }
        }
        Op::GetObjectAttributes { version_id: Some(_) } => out.push("s3:GetObjectVersion"),
        Op::GetObjectAttributes { version_id: None } => out.push("s3:GetObject"),
        _ => {}
    }
    out
}

/// Whether the handler of the operation tells a missing object as `NoSuchKey` (for those who
/// may list the bucket).
fn tells_missing_key(op: &Op) -> bool {
    matches!(
        op,
        Op::GetObject { version_id: None, .. }
            | Op::HeadObject { version_id: None, .. }
            | Op::GetObjectAcl { version_id: None }
            | Op::PutObjectAcl { version_id: None }
            | Op::GetObjectTagging { version_id: None }
            | Op::PutObjectTagging { version_id: None }
            | Op::DeleteObjectTagging { version_id: None }
            | Op::GetObjectAttributes { version_id: None }
    )
}

/// A refused request: S3's error, the rule that refused it and who asked, for the auth log.
#[derive(Debug)]
pub struct Refusal {
    pub error: S3Error,
    pub decided_by: String,
    pub principal: Option<String>,
}

/// Decides whether `verified` may perform `routed`, reading the request through `view` (the
/// same view the handler gets). A request whose routing failed is judged too, so that an
/// anonymous one is refused before its routing error is told, as S3 does. On success the
/// [`Authorization`] goes to the handler; either way `decided_by` says why, for the auth log.
pub async fn authorize(
    state: &AppState,
    verified: &Verified,
    routed: &Routed,
    parts: &http::request::Parts,
    view: &RequestView<'_>,
) -> Result<Authorization, Box<Refusal>> {
    let iam = state.auth.credentials.iam();
    let Some(principal) = iam.principal(verified.access_key.as_deref()) else {
        let key = verified.access_key.clone().unwrap_or_default();
        let error = S3Error::new(ErrorCode::InvalidAccessKeyId).extra("AWSAccessKeyId", key);
        return Err(Box::new(Refusal { error, decided_by: "unknown key".into(), principal: None }));
    };
    let keys = request_keys(state, verified, &principal, parts, view);
    let arn = principal.arn.clone();
    let mut auth = Authorization::new(principal, keys);
    let fail = |error: S3Error, why: &str| {
        Err(Box::new(Refusal { error, decided_by: why.to_string(), principal: arn.clone() }))
    };
    let anonymous = auth.principal.kind == PrincipalKind::Anonymous;
    let op = match &routed.op {
        Ok(op) => op,
        Err(_) if anonymous => {
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
    if let Err(e) = check_expected_owner_format(view) {
        return fail(e, "malformed expected bucket owner");
    }
    let resource = routed.target.as_ref().map(|t| t.resource_arn()).unwrap_or_else(|_| "*".into());
    // Re-creating a bucket one's own account owns resets its ACL (us-east-1): the ACL and
    // ownership headers are then judged against that bucket, its policy included.
    let mut existing: Option<BucketAccess> = None;
    match (routed.bucket(), matches!(op, Op::CreateBucket)) {
        (Some(name), false) => match BucketAccess::load(state, name).await {
            Ok(Some(b)) => auth.bucket = Some(b),
            // A missing bucket is told as NoSuchBucket to anyone, as S3 does.
            Ok(None) => {
                auth.decided_by = "no such bucket".into();
                return Ok(auth);
            }
            Err(e) => return fail(e, "bucket lookup failed"),
        },
        (Some(name), true) => match BucketAccess::load(state, name).await {
            Ok(b) => existing = b.filter(|b| Some(&b.owner) == auth.principal.account_id.as_ref()),
            Err(e) => return fail(e, "bucket lookup failed"),
        },
        (None, _) => {}
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
        if let Err(e) = check_expected_owner(view, "x-amz-expected-bucket-owner", &b.owner) {
            return fail(e, "expected bucket owner differs");
        }
    }
    if anonymous && matches!(op, Op::ListBuckets | Op::CreateBucket) {
        return fail(S3Error::new(ErrorCode::AccessDenied), "anonymous request for an account operation");
    }
    // S3 refuses `response-*` overrides from anonymous readers, whatever the object's access (so
    // that a public object cannot be served as another type, an HTML page say). Observed by
    // versitygw's tests against S3 (ErrAnonymousResponseHeaders, checked before access).
    let overrides = view.query_pairs().iter().any(|(n, _)| RESPONSE_OVERRIDES.iter().any(|(q, _)| q == n));
    if anonymous && overrides && matches!(op, Op::GetObject { .. } | Op::HeadObject { .. }) {
        let e = S3Error::with_message(
            ErrorCode::InvalidRequest,
            "Request specific response headers cannot be used for anonymous GET requests.",
        );
        return fail(e, "anonymous request with response-* overrides");
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
    // The tag set a write names, parsed once: judged here (`s3:PutObjectTagging`, the
    // `s3:RequestObjectTag/<key>` keys), stored by the handler.
    if names_tags(op, view) {
        match crate::tags::from_view(view) {
            Ok(tags) => {
                if let Some(tags) = &tags {
                    keys::add_request_tags(&mut auth.keys, tags);
                }
                auth.request_tags = tags;
            }
            Err(e) => return fail(e, "malformed tag set"),
        }
    }
    let action = op.action();
    if let (Some(b), Some(key)) = (&auth.bucket, routed.key()) {
        match ObjectAccess::load(state, b, key, action, op.version_id()).await {
            Ok(o) => auth.object = o,
            Err(e) => return fail(e, "object lookup failed"),
        }
    }
    if let (Some(b), Some(key)) = (&auth.bucket, routed.key()) {
        if policies_name_existing_tags(&auth, b) {
            match object_tags(state, &b.name, key, op.version_id()).await {
                Ok(tags) => keys::add_existing_tags(&mut auth.keys, &tags),
                Err(e) => return fail(e, "object lookup failed"),
            }
        }
    }
    if let (Op::PutObjectTagging { .. }, Some(_)) = (op, &auth.bucket) {
        // Judged with the body's tag set, by the handler (`judge_tag_set`).
        auth.tag_set_pending = Some((action, resource.clone()));
        auth.decided_by = "judged with the tag set its body names".into();
        return Ok(auth);
    }
    let extra = extra_actions(op, view, auth.request_tags.as_ref());
    for action in std::iter::once(action).chain(extra) {
        // Beyond the operation's own action, a re-created bucket's settings are the existing
        // bucket's to allow.
        let bucket = if action != op.action() && existing.is_some() { existing.as_ref() } else { auth.bucket.as_ref() };
        match auth.check(action, &resource, bucket, auth.object.as_ref()) {
            Ok(why) => auth.decided_by = why,
            Err(d) => {
                if action == op.action() && tells_missing_key(op) {
                    match missing_and_listable(state, &auth, routed, op).await {
                        Ok(true) => {
                            auth.decided_by = format!(
                                "{} refused ({}), but the object does not exist and the principal may list the bucket: NoSuchKey",
                                action, d.decided_by
                            );
                            auth.missing_only = Some((action, resource.clone(), d.reason));
                            continue;
                        }
                        Ok(false) => {}
                        Err(e) => return fail(e, "object lookup failed"),
                    }
                }
                return fail(access_denied(&auth.principal, action, &resource, d.reason), &d.decided_by);
            }
        }
    }
    if manages_policy && !own_account {
        let e = S3Error::new(ErrorCode::MethodNotAllowed)
            .extra("Method", parts.method.as_str())
            .extra("ResourceType", "BUCKETPOLICY");
        return fail(e, "only the bucket owner's account may manage its policy");
    }
    if creates_object(op) {
        if let Some(b) = &auth.bucket {
            match write::object_write_acl(view, b, auth.principal.account_id.as_deref(), iam) {
                Ok(w) => auth.write_acl = Some(w),
                Err(AclRefusal::Error(e)) => return fail(e, "the ACL the write asks for is refused"),
                Err(AclRefusal::BlockedPublicAcl) => {
                    let e = auth.blocked(op.action(), &resource, Reason::BlockedPublicAcls);
                    return fail(e, "BlockPublicAcls refuses the public ACL the write asks for");
                }
            }
        }
    }
    if let Some(source) = op.copy_source() {
        if anonymous {
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
            if let Err(e) = check_expected_owner(view, "x-amz-source-expected-bucket-owner", &b.owner) {
                return fail(e, "expected source bucket owner differs");
            }
            let source_arn = format!("arn:aws:s3:::{}/{}", source.bucket, source.key);
            // A copy of a named version reads that version, with that version's ACL.
            let read = if source.version_id.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" };
            let object = match ObjectAccess::load(state, b, &source.key, read, source.version_id.as_ref()).await {
                Ok(o) => o,
                Err(e) => return fail(e, "object lookup failed"),
            };
            if let Err(d) = auth.check(read, &source_arn, Some(b), object.as_ref()) {
                let e = access_denied(&auth.principal, read, &source_arn, d.reason);
                return fail(e, &format!("copy source: {}", d.decided_by));
            }
            // A missing source is told as NoSuchKey only to whoever may list its bucket.
            let list_arn = format!("arn:aws:s3:::{}", b.name);
            if let Err(d) = auth.check("s3:ListBucket", &list_arn, Some(b), None) {
                match object_exists(state, &b.name, &source.key, source.version_id.as_ref()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let e = access_denied(&auth.principal, "s3:ListBucket", &list_arn, d.reason);
                        return fail(e, "copy source does not exist, and the principal may not list its bucket");
                    }
                    Err(e) => return fail(e, "object lookup failed"),
                }
            }
        }
    }
    Ok(auth)
}

/// Whether any policy that applies to the principal or the bucket compares an
/// `s3:ExistingObjectTag/<key>` (only then are the object's tags read).
fn policies_name_existing_tags(auth: &Authorization, bucket: &BucketAccess) -> bool {
    let names = |p: &Policy| {
        p.statements
            .iter()
            .any(|s| s.conditions.iter().any(|c| c.key.to_ascii_lowercase().starts_with("s3:existingobjecttag/")))
    };
    auth.principal.identity_policies.iter().any(|p| names(p))
        || auth.principal.session_policy.as_deref().is_some_and(names)
        || bucket.policy.as_deref().is_some_and(names)
}

/// The tags of the object (or the version) a request names; none when it does not exist.
async fn object_tags(
    state: &AppState,
    bucket: &str,
    key: &str,
    version: Option<&crate::router::VersionId>,
) -> S3Result<Tags> {
    let found = match version {
        None => state.store.head_object(bucket, key).await.map(Some),
        Some(v) => state.store.version(bucket, key, v.stored()).await.map(|v| match v {
            crate::storage::Version::Object(meta) => Some(*meta),
            crate::storage::Version::Marker { .. } => None,
        }),
    };
    match found {
        Ok(meta) => Ok(meta.map(|m| m.tags).unwrap_or_default()),
        Err(e) if matches!(e.code, ErrorCode::NoSuchKey | ErrorCode::NoSuchVersion) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Whether the object `routed` names does not exist and the principal may list its bucket.
async fn missing_and_listable(state: &AppState, auth: &Authorization, routed: &Routed, op: &Op) -> S3Result<bool> {
    let (Some(b), Some(key)) = (&auth.bucket, routed.key()) else { return Ok(false) };
    let may_list = auth.check("s3:ListBucket", &format!("arn:aws:s3:::{}", b.name), Some(b), None).is_ok();
    Ok(may_list && !object_exists(state, &b.name, key, op.version_id()).await?)
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
