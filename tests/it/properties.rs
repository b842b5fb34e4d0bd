//! Invariants of the authorization core (`access::decide`), checked with proptest over generated
//! principals, identity, session and bucket policies, ACLs, Block Public Access settings and
//! requests — what example tests miss:
//! - adding a `Deny` statement anywhere never allows more;
//! - removing an `Allow` statement never allows more;
//! - with all four Block Public Access settings on, no anonymous or other-account request is
//!   allowed through a bucket policy S3 calls public or an ACL grant to everyone;
//! - a session is never allowed more than its identity (with the resource's grants) allows, nor
//!   more than its session policy allows — except through a statement naming the session itself,
//!   as the IAM User Guide's "Session policies" says, or everyone (a policy's `*`, an ACL grant
//!   to AllUsers or AuthenticatedUsers), which reaches any caller whatever its credentials.
//!
//! Policies are built from small vocabularies of principals, actions, resources and conditions
//! (S3's keys, the operators that matter for Block Public Access) and parsed by the server's own
//! parser, so every document is one S3 would accept.

use std::sync::Arc;

use proptest::prelude::*;
use s3strict::access::acl::{Acl, Grant, Grantee, Permission, ALL_USERS, AUTHENTICATED_USERS};
use s3strict::access::{decide, ResourceSide};
use s3strict::iam::{Principal, PrincipalKind};
use s3strict::policy::{ConditionKeys, Policy, PolicyKind, PrincipalMatch, PrincipalRef, RequestContext};
use s3strict::storage::PublicAccessBlock;

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const SESSION_ARN: &str = "arn:aws:sts::111122223333:assumed-role/r/s";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/r";

const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"*"}"#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/r"}"#,
    r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s"}"#,
    r#"{"AWS":"444455556666"}"#,
    r#"{"AWS":"arn:aws:iam::444455556666:user/olga"}"#,
];
const ACTIONS: &[&str] = &[r#""s3:GetObject""#, r#""s3:*""#, r#""s3:Get*""#, r#""s3:PutObject""#, r#""s3:ListBucket""#];
const OBJECTS: &[&str] = &[r#""arn:aws:s3:::b/*""#, r#""arn:aws:s3:::b/k""#, r#""arn:aws:s3:::b/other/*""#];
const BUCKETS: &[&str] = &[r#""arn:aws:s3:::b""#];
const ANY_BUCKET_RESOURCE: &[&str] =
    &[r#""arn:aws:s3:::b/*""#, r#""arn:aws:s3:::b/k""#, r#""arn:aws:s3:::b""#, r#""arn:aws:s3:::b/other/*""#];
const IDENTITY_OBJECTS: &[&str] = &[r#""arn:aws:s3:::b/*""#, r#""*""#, r#""arn:aws:s3:::x/*""#];
const IDENTITY_BUCKETS: &[&str] = &[r#""arn:aws:s3:::b""#, r#""*""#];
const ANY_IDENTITY_RESOURCE: &[&str] =
    &[r#""arn:aws:s3:::b/*""#, r#""*""#, r#""arn:aws:s3:::b""#, r#""arn:aws:s3:::x/*""#];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
    r#","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
    r#","Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}"#,
    r#","Condition":{"Null":{"aws:PrincipalAccount":"true"}}"#,
    r#","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}"#,
    r#","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"false"}}"#,
    r#","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
];

/// The conditions of [`CONDITIONS`] that narrow a statement for everyone to non-public in S3's
/// meaning ("The meaning of public", S3 User Guide): fixed values of its listed keys with an
/// operator an anonymous request cannot satisfy. `0.0.0.0/0`, `…IfExists`, `Null`, a wildcard,
/// `aws:SecureTransport`, `s3:x-amz-acl` and negations do not.
const NARROWING: &[usize] = &[1, 3, 7];

/// Whether a generated statement is public: an Allow to everyone not narrowed.
fn public_statement(s: &Stmt) -> bool {
    !s.deny && s.principal <= 1 && !NARROWING.contains(&s.condition)
}

/// One generated statement: indexes into the vocabularies.
#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    principal: usize,
    action: usize,
    resource: usize,
    condition: usize,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (any::<bool>(), 0..PRINCIPALS.len(), 0..ACTIONS.len(), 0..4usize, 0..CONDITIONS.len()).prop_map(
        |(deny, principal, action, resource, condition)| Stmt { deny, principal, action, resource, condition },
    )
}

fn stmts(max: usize) -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(stmt(), 0..=max)
}

fn text(s: &Stmt, bucket: bool) -> String {
    let effect = if s.deny { "Deny" } else { "Allow" };
    let principal = if bucket { format!(r#""Principal":{},"#, PRINCIPALS[s.principal]) } else { String::new() };
    // Resources the statement's action applies to (S3 refuses a statement whose action applies
    // to none of its resources).
    let choices = match (ACTIONS[s.action], bucket) {
        (r#""s3:GetObject""# | r#""s3:PutObject""#, true) => OBJECTS,
        (r#""s3:ListBucket""#, true) => BUCKETS,
        (_, true) => ANY_BUCKET_RESOURCE,
        (r#""s3:GetObject""# | r#""s3:PutObject""#, false) => IDENTITY_OBJECTS,
        (r#""s3:ListBucket""#, false) => IDENTITY_BUCKETS,
        (_, false) => ANY_IDENTITY_RESOURCE,
    };
    let resource = choices[s.resource % choices.len()];
    // `s3:x-amz-acl` applies only to writes.
    let condition = match (CONDITIONS[s.condition], ACTIONS[s.action]) {
        (c, r#""s3:PutObject""# | r#""s3:*""#) => c,
        (c, _) if c.contains("s3:x-amz-acl") => "",
        (c, _) => c,
    };
    format!(r#"{{"Effect":"{effect}",{principal}"Action":{},"Resource":{resource}{condition}}}"#, ACTIONS[s.action])
}

/// The policy of `statements`, or `None` when there are none.
fn policy(statements: &[Stmt], bucket: bool) -> Option<Arc<Policy>> {
    if statements.is_empty() {
        return None;
    }
    let body: Vec<String> = statements.iter().map(|s| text(s, bucket)).collect();
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, body.join(","));
    let kind = if bucket { PolicyKind::Bucket("b".into()) } else { PolicyKind::Identity };
    Some(Arc::new(Policy::parse(&doc, &kind, &|_| true).unwrap_or_else(|e| panic!("{doc}: {e:?}"))))
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Root,
    Alice,
    Session,
    Olga,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![Just(Who::Anonymous), Just(Who::Root), Just(Who::Alice), Just(Who::Session), Just(Who::Olga)]
}

fn principal(who: Who, identity: &[Stmt], session: Option<&[Stmt]>) -> Principal {
    let mut p = Principal::anonymous();
    let (kind, account, arn) = match who {
        Who::Anonymous => return p,
        Who::Root => (PrincipalKind::Root, OWNER, format!("arn:aws:iam::{OWNER}:root")),
        Who::Alice => (PrincipalKind::User, OWNER, format!("arn:aws:iam::{OWNER}:user/alice")),
        Who::Session => (PrincipalKind::AssumedRole, OWNER, SESSION_ARN.to_string()),
        Who::Olga => (PrincipalKind::User, OTHER, format!("arn:aws:iam::{OTHER}:user/olga")),
    };
    p.kind = kind;
    p.account_id = Some(account.into());
    p.arn = Some(arn);
    if who == Who::Session {
        p.role_arn = Some(ROLE_ARN.into());
        p.session_policy = session.and_then(|s| policy(s, false)).or_else(|| {
            // A session policy that allows nothing still limits.
            session.map(|_| deny_nothing_policy())
        });
    }
    if who != Who::Root {
        p.identity_policies = policy(identity, false).into_iter().collect();
    }
    p
}

fn deny_nothing_policy() -> Arc<Policy> {
    let doc =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
    Arc::new(Policy::parse(doc, &PolicyKind::Identity, &|_| true).unwrap())
}

const REQUESTS: &[(&str, &str)] = &[
    ("s3:GetObject", "arn:aws:s3:::b/k"),
    ("s3:PutObject", "arn:aws:s3:::b/k"),
    ("s3:GetObject", "arn:aws:s3:::b/other/x"),
    ("s3:ListBucket", "arn:aws:s3:::b"),
];

/// The request's condition keys, as `access::request_keys` puts them.
fn keys(p: &Principal, from_private_net: bool, acl_header: bool) -> ConditionKeys {
    let mut k = ConditionKeys::new();
    let mut put = |n: &str, v: &str| k.entry(n.into()).or_default().push(v.to_string());
    put("aws:sourceip", if from_private_net { "10.1.2.3" } else { "203.0.113.9" });
    put("aws:securetransport", "false");
    if let (Some(account), Some(arn)) = (&p.account_id, p.role_arn.as_ref().or(p.arn.as_ref())) {
        put("aws:principalaccount", account);
        put("aws:principalarn", arn);
    }
    if acl_header {
        put("s3:x-amz-acl", "public-read");
    }
    k
}

#[derive(Debug, Clone)]
struct Grants(Vec<(u8, u8)>);

fn grants() -> impl Strategy<Value = Grants> {
    prop::collection::vec((0u8..4, 0u8..3), 0..3).prop_map(Grants)
}

fn acl(g: &Grants) -> Acl {
    let mut acl = Acl::private(OWNER);
    for (grantee, permission) in &g.0 {
        let grantee = match grantee {
            0 => Grantee::Group(ALL_USERS.into()),
            1 => Grantee::Group(AUTHENTICATED_USERS.into()),
            2 => Grantee::Account(OWNER.into()),
            _ => Grantee::Account(OTHER.into()),
        };
        let permission = [Permission::Read, Permission::Write, Permission::FullControl][*permission as usize];
        acl.grants.push(Grant { grantee, permission });
    }
    acl
}

fn bpa(bits: u8) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: bits & 1 != 0,
        ignore_public_acls: bits & 2 != 0,
        block_public_policy: bits & 4 != 0,
        restrict_public_buckets: bits & 8 != 0,
    }
}

/// Everything one decision depends on.
#[derive(Debug, Clone)]
struct Case {
    who: Who,
    identity: Vec<Stmt>,
    session: Option<Vec<Stmt>>,
    bucket: Vec<Stmt>,
    grants: Grants,
    bpa: u8,
    request: usize,
    private_net: bool,
    acl_header: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        who(),
        stmts(3),
        prop::option::of(stmts(2)),
        stmts(4),
        grants(),
        0u8..16,
        0..REQUESTS.len(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(who, identity, session, bucket, grants, bpa, request, private_net, acl_header)| Case {
            who,
            identity,
            session,
            bucket,
            grants,
            bpa,
            request,
            private_net,
            acl_header,
        })
}

impl Case {
    fn principal(&self) -> Principal {
        principal(self.who, &self.identity, self.session.as_deref())
    }

    /// The decision for this case, with the ACL and bucket policy given.
    fn decide_with(&self, p: &Principal, bucket: Option<&Policy>, acl: &Acl) -> bool {
        let (action, resource) = REQUESTS[self.request];
        let permission = Permission::for_action(action, true).or_else(|| Permission::for_action(action, false));
        let side = ResourceSide {
            owner: OWNER,
            policy: bucket,
            policy_owner: OWNER,
            policy_name: "bucket",
            acl: permission.map(|perm| (acl, perm)),
            public_access_block: bpa(self.bpa),
        };
        decide(p, &keys(p, self.private_net, self.acl_header), action, resource, Some(side)).is_ok()
    }

    fn decide(&self) -> bool {
        self.decide_with(&self.principal(), policy(&self.bucket, true).as_deref(), &acl(&self.grants))
    }
}

/// Whether an `Allow` of `policy` applies to the case's request for a principal named only by
/// its own ARN (never through its role or account).
fn names_itself(policy: &Policy, case: &Case, p: &Principal) -> bool {
    let (action, resource) = REQUESTS[case.request];
    let k = keys(p, case.private_net, case.acl_header);
    let req = RequestContext {
        action,
        resource,
        principal: PrincipalRef {
            account: p.account_id.as_deref(),
            canonical_id: None,
            arn: p.arn.as_deref(),
            role_arn: None,
            user_id: None,
        },
        keys: &k,
        resource_account: Some(OWNER),
    };
    // Without the role, only "*" and the ARN itself name the principal directly.
    policy.evaluate(&req).allowed_by.is_some_and(|(_, m)| m == PrincipalMatch::Direct)
}

/// Whether the case's ACL grants its request to everyone or every signed request (which reaches
/// a session as a statement for everyone does), and Block Public Access leaves such grants in
/// force.
fn public_acl_grant(case: &Case) -> bool {
    let (action, _) = REQUESTS[case.request];
    let Some(permission) = Permission::for_action(action, true).or_else(|| Permission::for_action(action, false))
    else {
        return false;
    };
    !bpa(case.bpa).ignore_public_acls
        && acl(&case.grants).grants.iter().any(|g| {
            matches!(&g.grantee, Grantee::Group(_))
                && (g.permission == permission || g.permission == Permission::FullControl)
        })
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn adding_a_deny_never_allows_more(c in case(), extra in stmt(), place in 0u8..3) {
        let before = c.decide();
        let mut c2 = c.clone();
        let deny = Stmt { deny: true, ..extra };
        match place {
            0 => c2.identity.push(deny),
            1 => c2.session.get_or_insert_with(Vec::new).push(deny),
            _ => c2.bucket.push(deny),
        }
        // A session policy added to a principal without one narrows by itself; compare like with like.
        if place == 1 && c.session.is_none() {
            let mut with_empty = c.clone();
            with_empty.session = Some(Vec::new());
            prop_assert!(!c2.decide() || with_empty.decide());
        } else {
            prop_assert!(!c2.decide() || before, "a Deny widened access: {c2:?}");
        }
    }

    #[test]
    fn removing_an_allow_never_allows_more(c in case(), which in 0u8..3, index in 0usize..4) {
        let before = c.decide();
        let mut c2 = c.clone();
        let list = match which {
            0 => &mut c2.identity,
            1 => match &mut c2.session { Some(s) => s, None => return Ok(()) },
            _ => &mut c2.bucket,
        };
        let allows: Vec<usize> = list.iter().enumerate().filter(|(_, s)| !s.deny).map(|(i, _)| i).collect();
        if allows.is_empty() {
            return Ok(());
        }
        list.remove(allows[index % allows.len()]);
        prop_assert!(!c2.decide() || before, "removing an Allow widened access: {c2:?}");
    }

    #[test]
    fn block_public_access_stops_public_grants_to_outsiders(mut c in case(), outsider in prop_oneof![Just(Who::Anonymous), Just(Who::Olga)]) {
        c.who = outsider;
        c.bpa = 15;
        if !c.decide() {
            return Ok(());
        }
        // Allowed: never through a bucket policy S3 calls public (none of its grants, public or
        // to specific accounts, reach outsiders: "public and cross-account access within any
        // public bucket policy … is blocked", PublicAccessBlockConfiguration), never through an
        // ACL grant to everyone or every signed request.
        // Which statements are public is judged here from the vocabulary, independently of the
        // server's `Policy::is_public`.
        let mut without = c.clone();
        if c.bucket.iter().any(public_statement) {
            without.bucket.retain(|s| s.deny);
        }
        let mut private = acl(&c.grants);
        private.grants.retain(|g| !matches!(&g.grantee, Grantee::Group(_)));
        let reduced = policy(&without.bucket, true);
        prop_assert!(
            c.decide_with(&c.principal(), reduced.as_deref(), &private),
            "a public grant reached an outsider: {c:?}"
        );
    }

    #[test]
    fn a_session_never_exceeds_its_identity_or_its_session_policy(mut c in case(), session in stmts(2)) {
        c.who = Who::Session;
        c.session = Some(session);
        let p = c.principal();
        if !c.decide() {
            return Ok(());
        }
        // Within what the role (with the resource's grants) may do.
        let mut unbounded = p.clone();
        unbounded.session_policy = None;
        let bucket = policy(&c.bucket, true);
        prop_assert!(c.decide_with(&unbounded, bucket.as_deref(), &acl(&c.grants)), "a session exceeded its role: {c:?}");
        // And within its session policy, unless a statement names the session itself.
        let (action, resource) = REQUESTS[c.request];
        let k = keys(&p, c.private_net, c.acl_header);
        let req = RequestContext {
            action,
            resource,
            principal: PrincipalRef { account: p.account_id.as_deref(), canonical_id: None, arn: p.arn.as_deref(), role_arn: p.role_arn.as_deref(), user_id: None },
            keys: &k,
            resource_account: Some(OWNER),
        };
        let session_allows = p.session_policy.as_ref().is_some_and(|s| s.evaluate(&req).allowed_by.is_some());
        let named = bucket.as_ref().is_some_and(|b| names_itself(b, &c, &p));
        prop_assert!(session_allows || named || public_acl_grant(&c), "a session exceeded its session policy: {c:?}");
    }
}
