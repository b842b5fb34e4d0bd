//! Block Public Access against what an attacker writes: bucket policy statements S3 calls public
//! although a condition seems to narrow them (`…IfExists`, `Null`, `0.0.0.0/0`, wildcards,
//! negations, keys outside S3's list) are refused by `BlockPublicPolicy`, stopped by
//! `RestrictPublicBuckets` when they were put before it, and reported by GetBucketPolicyStatus;
//! statements S3 calls non-public (fixed networks, accounts, organizations) are accepted and keep
//! working. Public ACL grants (`AllUsers`, `AuthenticatedUsers`) likewise.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, ObjectOwnership, PublicAccessBlockConfiguration};
use s3strict::config::{AccountSettings, PolicyText, UserSettings};

use crate::common::*;

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "444455556666";
const CAROL: (&str, &str) = ("AKIACAROL00000000000", "carol-secret");

/// A server with carol, a user of another account whose own policy allows her everything.
async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.accounts = vec![AccountSettings { id: OTHER.into(), access_key: None, secret_key: None }];
        c.users = vec![UserSettings {
            name: "carol".into(),
            account: Some(OTHER.into()),
            access_key: CAROL.0.into(),
            secret_key: CAROL.1.into(),
            status: None,
            policies: vec![PolicyText::Json(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#.into(),
            )],
        }];
    })
    .await
}

fn carol(s: &TestServer) -> aws_sdk_s3::Client {
    client_for(&s.endpoint(), CAROL.0, CAROL.1, REGION)
}

/// A bucket policy of one statement allowing `s3:GetObject` on `bucket` to `principal` (a JSON
/// member) under `condition` (a JSON object, or empty for none).
fn policy(bucket: &str, principal: &str, condition: &str) -> String {
    let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"{condition}}}]}}"#
    )
}

const EVERYONE: &str = r#""Principal":"*""#;

/// Statements S3 calls public although a condition seems to narrow them: the four the
/// adversarial pass got through, then others of the same kinds.
const PUBLIC: &[(&str, &str)] = &[
    (EVERYONE, r#"{"StringEqualsIfExists":{"aws:PrincipalAccount":"123456789012"}}"#),
    (EVERYONE, r#"{"Null":{"aws:PrincipalAccount":"true"}}"#),
    (EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#),
    (EVERYONE, r#"{"StringLike":{"aws:PrincipalArn":"*"}}"#),
    (EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#),
    (EVERYONE, r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/24","::/0"]}}"#),
    (EVERYONE, r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
    (EVERYONE, r#"{"StringNotEquals":{"aws:SourceAccount":"123456789012"}}"#),
    (EVERYONE, r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#),
    (EVERYONE, r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#),
    (EVERYONE, r#"{"StringEquals":{"aws:SourceArn":"${aws:PrincipalArn}"}}"#),
    (EVERYONE, r#"{"StringEquals":{"aws:username":"alice"}}"#),
    (EVERYONE, r#"{"Bool":{"aws:SecureTransport":"false"}}"#),
    (r#""Principal":{"AWS":"*"}"#, r#"{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}"#),
    (r#""NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"}"#, ""),
];

fn blocked_policy_message(bucket: &str) -> String {
    format!(
        "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{bucket}\" because public policies are blocked by the BlockPublicPolicy block public access setting."
    )
}

async fn put_object(s: &TestServer, bucket: &str, key: &str) {
    let body = ByteStream::from_static(b"private");
    s.client().put_object().bucket(bucket).key(key).body(body).send().await.unwrap();
}

async fn is_public(s: &TestServer, bucket: &str) -> Option<bool> {
    let status = s.client().get_bucket_policy_status().bucket(bucket).send().await.unwrap();
    status.policy_status().and_then(|p| p.is_public())
}

async fn block_all(s: &TestServer, bucket: &str) {
    let all = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s.client().put_public_access_block().bucket(bucket).public_access_block_configuration(all).send().await.unwrap();
}

/// GetObject of `bucket/private`, anonymously or as carol: `Err` holds status, code and message.
async fn read(
    s: &TestServer,
    carol: &aws_sdk_s3::Client,
    bucket: &str,
    anonymous: bool,
) -> Result<(), (u16, String, String)> {
    if !anonymous {
        return carol.get_object().bucket(bucket).key("private").send().await.map(|_| ()).map_err(sdk_error);
    }
    let r = s.raw("GET", &format!("/{bucket}/private"), &[], b"").await;
    if r.status == 200 {
        return Ok(());
    }
    let doc = r.error();
    let field = |name: &str| doc.get(name).unwrap_or_default().to_string();
    Err((r.status, field("Code"), field("Message")))
}

#[tokio::test]
async fn block_public_policy_refuses_statements_s3_calls_public() {
    let s = server().await;
    let c = s.client();
    // A new bucket has all four settings on.
    s.create_bucket("locked").await;
    put_object(&s, "locked", "k").await;
    for (principal, condition) in PUBLIC {
        let text = policy("locked", principal, condition);
        let err = c.put_bucket_policy().bucket("locked").policy(&text).send().await.unwrap_err();
        assert_eq!(
            sdk_error(err),
            (403, "AccessDenied".to_string(), blocked_policy_message("locked")),
            "{principal} {condition}"
        );
    }
    // Nothing was stored, and nothing opened.
    let (status, code, _) = sdk_error(c.get_bucket_policy().bucket("locked").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "NoSuchBucketPolicy"));
    s.raw("GET", "/locked/k", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
}

#[tokio::test]
async fn restrict_public_buckets_stops_public_policies_put_before_it() {
    let s = server().await;
    let c = s.client();
    let carol = carol(&s);
    // Each of the four statements the adversarial pass got through, with the reader it served.
    let seen: [(&str, bool); 4] = [
        (PUBLIC[0].1, true),  // StringEqualsIfExists aws:PrincipalAccount: anonymous
        (PUBLIC[1].1, true),  // Null aws:PrincipalAccount true: anonymous
        (PUBLIC[2].1, true),  // IpAddress aws:SourceIp 0.0.0.0/0: anonymous
        (PUBLIC[3].1, false), // StringLike aws:PrincipalArn *: another account
    ];
    for (i, (condition, anonymous)) in seen.into_iter().enumerate() {
        let bucket = format!("open{i}");
        s.create_bucket(&bucket).await;
        put_object(&s, &bucket, "private").await;
        c.delete_public_access_block().bucket(&bucket).send().await.unwrap();
        c.put_bucket_policy().bucket(&bucket).policy(policy(&bucket, EVERYONE, condition)).send().await.unwrap();
        assert_eq!(is_public(&s, &bucket).await, Some(true), "{condition}");
        // Without Block Public Access the statement serves its reader, as it does on S3.
        assert_eq!(read(&s, &carol, &bucket, anonymous).await, Ok(()), "{condition}");
        block_all(&s, &bucket).await;
        let refused = Err((403, "AccessDenied".to_string(), "Access Denied".to_string()));
        assert_eq!(read(&s, &carol, &bucket, anonymous).await, refused, "{condition}");
        // The owner's account still reads.
        c.get_object().bucket(&bucket).key("private").send().await.unwrap();
    }
}

#[tokio::test]
async fn statements_s3_calls_non_public_are_accepted_and_keep_working() {
    let s = server().await;
    let c = s.client();
    s.create_bucket("fixed").await;
    put_object(&s, "fixed", "k").await;
    for condition in [
        r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}"#,
        r#"{"StringEquals":{"aws:SourceAccount":"444455556666"}}"#,
        r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#,
    ] {
        c.put_bucket_policy().bucket("fixed").policy(policy("fixed", EVERYONE, condition)).send().await.unwrap();
        assert_eq!(is_public(&s, "fixed").await, Some(false), "{condition}");
        // None of them lets an anonymous reader from 127.0.0.1 in.
        s.raw("GET", "/fixed/k", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    }
    // A /8 is not broader than /8: not public, so RestrictPublicBuckets leaves it in force.
    let loopback = policy("fixed", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#);
    c.put_bucket_policy().bucket("fixed").policy(&loopback).send().await.unwrap();
    assert_eq!(is_public(&s, "fixed").await, Some(false));
    let r = s.raw("GET", "/fixed/k", &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "private"));

    // S3's own example: a policy granting a fixed account is not public, and RestrictPublicBuckets
    // leaves it in force; one public statement beside it makes the whole policy public, and then
    // the other account loses its access too.
    let carol = carol(&s);
    let account = policy("fixed", &format!(r#""Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}}"#), "");
    c.put_bucket_policy().bucket("fixed").policy(&account).send().await.unwrap();
    carol.get_object().bucket("fixed").key("k").send().await.unwrap();
    let both = account.replace(
        "]}",
        r#",{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::fixed/*","Condition":{"Null":{"aws:PrincipalAccount":"false"}}}]}"#,
    );
    let err = c.put_bucket_policy().bucket("fixed").policy(&both).send().await.unwrap_err();
    assert_eq!(sdk_error(err), (403, "AccessDenied".to_string(), blocked_policy_message("fixed")));
    let restrict_only = PublicAccessBlockConfiguration::builder().restrict_public_buckets(true).build();
    c.put_public_access_block().bucket("fixed").public_access_block_configuration(restrict_only).send().await.unwrap();
    c.put_bucket_policy().bucket("fixed").policy(&both).send().await.unwrap();
    assert_eq!(is_public(&s, "fixed").await, Some(true));
    let (status, code, message) = sdk_error(carol.get_object().bucket("fixed").key("k").send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (403, "AccessDenied", "Access Denied"));
    c.get_object().bucket("fixed").key("k").send().await.unwrap();
}

#[tokio::test]
async fn public_acl_grants_include_every_signed_request() {
    let s = server().await;
    let c = s.client();
    let carol = carol(&s);
    c.create_bucket().bucket("acl").object_ownership(ObjectOwnership::ObjectWriter).send().await.unwrap();
    // BlockPublicAcls refuses a grant to AuthenticatedUsers as it refuses one to AllUsers.
    let blocked = format!(
        "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::acl/k\" because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting."
    );
    let grant = "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"";
    let err = c.put_object().bucket("acl").key("k").grant_read(grant).body(ByteStream::from_static(b"x")).send().await;
    assert_eq!(sdk_error(err.unwrap_err()), (403, "AccessDenied".to_string(), blocked.clone()));
    let err = c
        .put_object()
        .bucket("acl")
        .key("k")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(sdk_error(err.unwrap_err()), (403, "AccessDenied".to_string(), blocked));
    // Put while nothing blocks it, the grant lets any signed request read, anonymous ones not.
    c.delete_public_access_block().bucket("acl").send().await.unwrap();
    c.put_object().bucket("acl").key("k").grant_read(grant).body(ByteStream::from_static(b"x")).send().await.unwrap();
    carol.get_object().bucket("acl").key("k").send().await.unwrap();
    s.raw("GET", "/acl/k", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    // IgnorePublicAcls makes it count for nothing.
    block_all(&s, "acl").await;
    let (status, code, message) = sdk_error(carol.get_object().bucket("acl").key("k").send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (403, "AccessDenied", "Access Denied"));
    c.get_object().bucket("acl").key("k").send().await.unwrap();
}
