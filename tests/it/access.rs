//! Who may do what: IAM users with identity policies, bucket policies with S3's condition keys,
//! accounts, deactivated keys. A presigned URL works only if its creator may perform the
//! operation, exactly as on S3, and every refusal carries S3's message.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use s3strict::config::{AccountSettings, PolicyText, UserSettings};

use crate::common::*;

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "444455556666";
const OTHER_ROOT: (&str, &str) = ("AKIAOTHERROOT0000000", "other-root-secret");

const ALICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},
    {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data"},
    {"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data/uploads/*"},
    {"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/secret/*"}]}"#;
const DAVE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#;
const EVERYTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

fn user(name: &str, account: Option<&str>, policies: &[&str]) -> UserSettings {
    UserSettings {
        name: name.into(),
        account: account.map(Into::into),
        access_key: key_of(name),
        secret_key: format!("{name}-secret"),
        status: None,
        policies: policies.iter().map(|p| PolicyText::Json(p.to_string())).collect(),
    }
}

fn key_of(name: &str) -> String {
    format!("AKIA{:0<16}", name.to_ascii_uppercase())
}

/// A server with users alice, bob (nothing), dave (GetObject only) in the default account, carol
/// (everything) and erin (nothing) in another account, and a bucket `data` with two objects.
async fn server() -> TestServer {
    let s = TestServer::start_with(|c| {
        c.accounts = vec![AccountSettings {
            id: OTHER.into(),
            access_key: Some(OTHER_ROOT.0.into()),
            secret_key: Some(OTHER_ROOT.1.into()),
        }];
        c.users = vec![
            user("alice", None, &[ALICE_POLICY]),
            user("bob", None, &[]),
            user("dave", None, &[DAVE_POLICY]),
            user("carol", Some(OTHER), &[EVERYTHING]),
            user("erin", Some(OTHER), &[]),
        ];
    })
    .await;
    s.create_bucket("data").await;
    let root = s.client();
    for (k, v) in [("k", "hello"), ("secret/s", "classified")] {
        root.put_object().bucket("data").key(k).body(ByteStream::from(v.as_bytes().to_vec())).send().await.unwrap();
    }
    s
}

fn as_user(s: &TestServer, name: &str) -> aws_sdk_s3::Client {
    client_for(&s.endpoint(), &key_of(name), &format!("{name}-secret"), REGION)
}

fn denied(who: &str, action: &str, resource: &str, why: &str) -> String {
    let arn = if who == "root" {
        format!("arn:aws:iam::{ACCOUNT}:root")
    } else {
        format!("arn:aws:iam::{ACCOUNT}:user/{who}")
    };
    format!("User: {arn} is not authorized to perform: {action} on resource: \"{resource}\" {why}")
}

fn no_identity_allows(action: &str) -> String {
    format!("because no identity-based policy allows the {action} action")
}

async fn put_policy(s: &TestServer, bucket: &str, policy: &str) {
    s.client().put_bucket_policy().bucket(bucket).policy(policy).send().await.unwrap();
}

#[tokio::test]
async fn presigned_urls_carry_their_creators_permissions() {
    let s = server().await;
    let alice = as_user(&s, "alice");
    let r = send_presigned(&s, &presigned_get(&alice, "data", "k", 3600).await, &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));

    // The same URL from a key without s3:GetObject fails, naming the missing permission.
    let bob = as_user(&s, "bob");
    let r = send_presigned(&s, &presigned_get(&bob, "data", "k", 3600).await, &[], b"").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied("bob", "s3:GetObject", "arn:aws:s3:::data/k", &no_identity_allows("s3:GetObject")),
    );

    let r = send_presigned(&s, &presigned_put(&alice, "data", "uploads/a").await, &[], b"up").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send_presigned(&s, &presigned_put(&alice, "data", "k").await, &[], b"over").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied("alice", "s3:PutObject", "arn:aws:s3:::data/k", &no_identity_allows("s3:PutObject")),
    );

    // An explicit Deny wins over the Allow for data/*.
    let r = send_presigned(&s, &presigned_get(&alice, "data", "secret/s", 3600).await, &[], b"").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied(
            "alice",
            "s3:GetObject",
            "arn:aws:s3:::data/secret/s",
            "with an explicit deny in an identity-based policy",
        ),
    );
    let log = auth_log(&s, 1).await;
    assert_eq!(log[0]["verdict"], "denied");
    assert_eq!(log[0]["action"], "s3:GetObject");
    assert!(log[0]["decided_by"].as_str().unwrap().contains("Sid NoSecrets"), "{log:?}");
    // Header-signed requests are judged the same way.
    let (status, code, message) = sdk_error(bob.get_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(message, denied("bob", "s3:GetObject", "arn:aws:s3:::data/k", &no_identity_allows("s3:GetObject")));
}

async fn auth_log(s: &TestServer, limit: usize) -> Vec<serde_json::Value> {
    let r = s.raw("GET", &format!("/_s3strict/auth-log?limit={limit}"), &[], b"").await;
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn missing_keys_are_told_only_to_who_may_list() {
    let s = server().await;
    let r = send_presigned(&s, &presigned_get(&as_user(&s, "alice"), "data", "nope", 60).await, &[], b"").await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    let r = send_presigned(&s, &presigned_get(&as_user(&s, "dave"), "data", "nope", 60).await, &[], b"").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied("dave", "s3:ListBucket", "arn:aws:s3:::data", &no_identity_allows("s3:ListBucket")),
    );
    let r = send_presigned(&s, &presigned_get(&as_user(&s, "dave"), "data", "k", 60).await, &[], b"").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn accounts_list_their_own_buckets() {
    let s = server().await;
    let (status, code, message) = sdk_error(as_user(&s, "bob").list_buckets().send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        format!("User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action")
    );
    let other_root = client_for(&s.endpoint(), OTHER_ROOT.0, OTHER_ROOT.1, REGION);
    other_root.create_bucket().bucket("theirs").send().await.unwrap();
    let names = |out: aws_sdk_s3::operation::list_buckets::ListBucketsOutput| -> Vec<String> {
        out.buckets().iter().filter_map(|b| b.name().map(str::to_string)).collect()
    };
    assert_eq!(names(s.client().list_buckets().send().await.unwrap()), ["data"]);
    assert_eq!(names(other_root.list_buckets().send().await.unwrap()), ["theirs"]);
    // A name is one namespace for every account.
    let (status, code, _) = sdk_error(s.client().create_bucket().bucket("theirs").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (409, "BucketAlreadyExists"));
}

#[tokio::test]
async fn a_bucket_policy_limits_signature_age() {
    let s = server().await;
    put_policy(
        &s,
        "data",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"TenMinutes","Effect":"Deny","Principal":"*","Action":"s3:*",
            "Resource":"arn:aws:s3:::data/*","Condition":{"NumericGreaterThan":{"s3:signatureAge":"600000"}}}]}"#,
    )
    .await;
    let root = s.client();
    let url = presigned_get(&root, "data", "k", 3600).await;
    assert_eq!(send_presigned(&s, &url, &[], b"").await.status, 200);
    // Eleven minutes later the hour-long URL is still unexpired, but too old for the policy.
    s.set_clock(r#"{"offset_seconds": 660}"#).await;
    let r = send_presigned(&s, &url, &[], b"").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied("root", "s3:GetObject", "arn:aws:s3:::data/k", "with an explicit deny in a resource-based policy"),
    );
    assert!(auth_log(&s, 1).await[0]["decided_by"].as_str().unwrap().contains("Sid TenMinutes"));
    // A URL signed now (at the server's time) works.
    let start = SystemTime::now() + Duration::from_secs(660);
    let conf = PresigningConfig::builder().start_time(start).expires_in(Duration::from_secs(3600)).build().unwrap();
    let fresh = root.get_object().bucket("data").key("k").presigned(conf).await.unwrap();
    assert_eq!(send_presigned(&s, &fresh, &[], b"").await.status, 200);
}

#[tokio::test]
async fn a_bucket_policy_can_require_presigned_urls() {
    let s = server().await;
    put_policy(
        &s,
        "data",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::data/*","Condition":{"StringNotEquals":{"s3:authType":"REST-QUERY-STRING"}}}]}"#,
    )
    .await;
    let root = s.client();
    let (status, code, message) = sdk_error(root.get_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied("root", "s3:GetObject", "arn:aws:s3:::data/k", "with an explicit deny in a resource-based policy")
    );
    assert_eq!(send_presigned(&s, &presigned_get(&root, "data", "k", 60).await, &[], b"").await.status, 200);
}

#[tokio::test]
async fn a_bucket_policy_can_require_a_source_network() {
    let s = server().await;
    let policy = |net: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"],
                "Condition":{{"NotIpAddress":{{"aws:SourceIp":"{net}"}}}}}}]}}"#
        )
    };
    put_policy(&s, "data", &policy("10.0.0.0/8")).await;
    let alice = as_user(&s, "alice");
    let r = send_presigned(&s, &presigned_get(&alice, "data", "k", 60).await, &[], b"").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied("alice", "s3:GetObject", "arn:aws:s3:::data/k", "with an explicit deny in a resource-based policy"),
    );
    // The owner's root may always replace the policy, even one that denies it.
    put_policy(&s, "data", &policy("127.0.0.0/8")).await;
    assert_eq!(send_presigned(&s, &presigned_get(&alice, "data", "k", 60).await, &[], b"").await.status, 200);
}

#[tokio::test]
async fn deactivated_and_deleted_keys_kill_their_urls() {
    let s = server().await;
    let body = format!(r#"{{"name":"frank","policies":[{DAVE_POLICY}]}}"#);
    let (status, created) = admin(&s, "POST", "/users", &body).await;
    assert_eq!(status, 201, "{created}");
    let (ak, sk) = (created["access_key_id"].as_str().unwrap(), created["secret_access_key"].as_str().unwrap());
    assert!(ak.starts_with("AKIA") && ak.len() == 20);
    assert_eq!(created["arn"], "arn:aws:iam::123456789012:user/frank");
    let frank = client_for(&s.endpoint(), ak, sk, REGION);
    let url = presigned_get(&frank, "data", "k", 3600).await;
    assert_eq!(send_presigned(&s, &url, &[], b"").await.status, 200);

    let (status, _) = admin(&s, "PATCH", "/users/frank", r#"{"status":"Inactive"}"#).await;
    assert_eq!(status, 200);
    let r = send_presigned(&s, &url, &[], b"").await;
    let doc =
        r.assert_error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    assert_eq!(doc.get("AWSAccessKeyId"), Some(ak));
    let (status, _) = admin(&s, "PATCH", "/users/frank", r#"{"status":"Active"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(send_presigned(&s, &url, &[], b"").await.status, 200);

    // Users made at run time survive a restart (the port changes, so the URL is signed anew).
    let s = s.restart().await;
    let frank = client_for(&s.endpoint(), ak, sk, REGION);
    let url = presigned_get(&frank, "data", "k", 3600).await;
    let r = send_presigned(&s, &url, &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (status, _) = admin(&s, "DELETE", "/users/frank", "").await;
    assert_eq!(status, 200);
    send_presigned(&s, &url, &[], b"").await.assert_error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    );
    let (status, _) = admin(&s, "DELETE", "/users/frank", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn admin_users_refuse_bad_input_and_cross_site_requests() {
    let s = server().await;
    let (status, v) = admin(&s, "POST", "/users", r#"{"name":"bad name"}"#).await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = admin(&s, "POST", "/users", r#"{"name":"x","policies":[{"Statement":[]}]}"#).await;
    assert_eq!(
        (status, v["error"].as_str().unwrap()),
        (400, "user x: policy 1: Could not parse the policy: Statement is empty!")
    );
    let (status, _) = admin(&s, "POST", "/users", r#"{"name":"alice"}"#).await;
    assert_eq!(status, 409);
    let (status, v) = admin(&s, "GET", "/users", "").await;
    assert_eq!(status, 200);
    assert_eq!(v["users"].as_array().unwrap().len(), 5);
    assert!(!v.to_string().contains("secret_access_key"), "{v}");
    let r = s
        .raw(
            "POST",
            "/_s3strict/users",
            &[("origin", "http://evil.test"), ("content-type", "text/plain")],
            br#"{"name":"mallory"}"#,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = s.raw("POST", "/_s3strict/reset", &[("sec-fetch-site", "cross-site")], b"").await;
    assert_eq!(r.status, 403, "{}", r.text());
}

#[tokio::test]
async fn cross_account_access_needs_both_sides() {
    let s = server().await;
    let carol = as_user(&s, "carol");
    let url = presigned_get(&carol, "data", "k", 3600).await;
    // Another account's users get S3's plain refusal.
    send_presigned(&s, &url, &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    put_policy(
        &s,
        "data",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}}]}}"#
        ),
    )
    .await;
    assert_eq!(send_presigned(&s, &url, &[], b"").await.status, 200);
    // The bucket side allows the account; erin's own account does not allow her.
    let erin = as_user(&s, "erin");
    send_presigned(&s, &presigned_get(&erin, "data", "k", 60).await, &[], b"").await.assert_error(
        403,
        "AccessDenied",
        "Access Denied",
    );
    // Nobody outside the owner's account manages its policy, whatever the policy says.
    let (status, code, _) = sdk_error(carol.get_bucket_policy().bucket("data").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn expected_bucket_owner() {
    let s = server().await;
    let root = s.client();
    root.get_object().bucket("data").key("k").expected_bucket_owner(ACCOUNT).send().await.unwrap();
    let (status, code, message) =
        sdk_error(root.get_object().bucket("data").key("k").expected_bucket_owner(OTHER).send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (403, "AccessDenied", "Access Denied"));
    let r = s.signed(SignedRequest::new("GET", "/data/k").header("x-amz-expected-bucket-owner", "abcd")).await;
    r.assert_error(
        400,
        "InvalidBucketOwnerAWSAccountID",
        "The value of the expected bucket owner parameter must be an AWS Account ID... [abcd]",
    );
    let (status, code, _) = sdk_error(
        root.copy_object()
            .bucket("data")
            .key("copy")
            .copy_source("data/k")
            .expected_source_bucket_owner(OTHER)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn bucket_policy_crud() {
    let s = server().await;
    let root = s.client();
    let (status, code, message) = sdk_error(root.get_bucket_policy().bucket("data").send().await.unwrap_err());
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (404, "NoSuchBucketPolicy", "The bucket policy does not exist")
    );
    let (status, code, _) = sdk_error(root.get_bucket_policy_status().bucket("data").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "NoSuchBucketPolicy"));
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#;
    put_policy(&s, "data", text).await;
    assert_eq!(root.get_bucket_policy().bucket("data").send().await.unwrap().policy(), Some(text));
    // Bucket policies survive a restart.
    let s = s.restart().await;
    let root = s.client();
    assert_eq!(root.get_bucket_policy().bucket("data").send().await.unwrap().policy(), Some(text));
    let status = root.get_bucket_policy_status().bucket("data").send().await.unwrap();
    assert_eq!(status.policy_status().and_then(|p| p.is_public()), Some(false));
    // A bucket policy naming bob allows him directly, with no identity policy of his own.
    let bob = as_user(&s, "bob");
    assert_eq!(send_presigned(&s, &presigned_get(&bob, "data", "k", 60).await, &[], b"").await.status, 200);
    root.delete_bucket_policy().bucket("data").send().await.unwrap();
    let (status, code, _) = sdk_error(root.get_bucket_policy().bucket("data").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "NoSuchBucketPolicy"));
}

#[tokio::test]
async fn malformed_bucket_policies_are_refused_as_s3_refuses_them() {
    let s = server().await;
    let st = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#);
    let cases = [
        ("", "Policies must be valid JSON and the first byte must be '{'".to_string()),
        ("not json", "Policies must be valid JSON and the first byte must be '{'".to_string()),
        ("{\"Statement\":", "This policy contains invalid Json".to_string()),
        ("{}", "Missing required field Statement".to_string()),
        (r#"{"Statement":[]}"#, "Could not parse the policy: Statement is empty!".to_string()),
        (r#"{"Version":"2099-01-01","Statement":[]}"#, "The policy must contain a valid version string".to_string()),
        (
            &st(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}"#,
            ),
            "Invalid principal in policy".to_string(),
        ),
        (
            &st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObjects","Resource":"arn:aws:s3:::data/*"}"#),
            "Policy has invalid action".to_string(),
        ),
        (
            &st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*"}"#),
            "Policy has invalid resource".to_string(),
        ),
        (
            &st(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data"}"#),
            "Action does not apply to any resource(s) in statement".to_string(),
        ),
        (
            &st(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*","Condition":{"StringEquals":{"s3:x-acl":"private"}}}"#,
            ),
            "Policy has an invalid condition key".to_string(),
        ),
        (
            &st(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*","Condition":{"StringEqualz":{"s3:authType":"POST"}}}"#,
            ),
            "Invalid Condition type : StringEqualz".to_string(),
        ),
    ];
    for (policy, message) in cases {
        let r = s.signed(SignedRequest::new("PUT", "/data").query("policy").body(policy.as_bytes())).await;
        r.assert_error(400, "MalformedPolicy", &message);
    }
    let (status, code, message) =
        sdk_error(s.client().put_bucket_policy().bucket("data").policy("{}").send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (400, "MalformedPolicy", "Missing required field Statement"));
}

#[tokio::test]
async fn delete_objects_authorizes_each_key() {
    let s = server().await;
    let alice = as_user(&s, "alice");
    alice.put_object().bucket("data").key("uploads/a").body(ByteStream::from_static(b"a")).send().await.unwrap();
    let ids = ["uploads/a", "k"].map(|k| ObjectIdentifier::builder().key(k).build().unwrap());
    let out = alice
        .delete_objects()
        .bucket("data")
        .delete(Delete::builder().set_objects(Some(ids.to_vec())).build().unwrap())
        .send()
        .await
        .unwrap();
    let deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["uploads/a"]);
    let e = &out.errors()[0];
    assert_eq!((e.key(), e.code()), (Some("k"), Some("AccessDenied")));
    assert_eq!(
        e.message(),
        Some(
            denied("alice", "s3:DeleteObject", "arn:aws:s3:::data/k", &no_identity_allows("s3:DeleteObject")).as_str()
        )
    );
    assert!(s.client().head_object().bucket("data").key("k").send().await.is_ok());
}

#[tokio::test]
async fn copies_need_read_permission_on_the_source() {
    let s = server().await;
    let alice = as_user(&s, "alice");
    alice.copy_object().bucket("data").key("uploads/c").copy_source("data/k").send().await.unwrap();
    let (status, code, message) = sdk_error(
        alice.copy_object().bucket("data").key("uploads/d").copy_source("data/secret/s").send().await.unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            "alice",
            "s3:GetObject",
            "arn:aws:s3:::data/secret/s",
            "with an explicit deny in an identity-based policy"
        )
    );
}

#[tokio::test]
async fn conditions_on_the_payload_hash_and_the_listing_prefix() {
    let s = server().await;
    put_policy(
        &s,
        "data",
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"SignedBodies","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::data/*",
             "Condition":{"StringEquals":{"s3:x-amz-content-sha256":"UNSIGNED-PAYLOAD"}}},
            {"Sid":"ReportsOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:ListBucket",
             "Resource":"arn:aws:s3:::data","Condition":{"StringLike":{"s3:prefix":"reports/*"}}}]}"#,
    )
    .await;
    // A presigned PUT carries no payload hash: UNSIGNED-PAYLOAD.
    let url = presigned_put(&s.client(), "data", "unsigned").await;
    send_presigned(&s, &url, &[], b"x").await.assert_error(
        403,
        "AccessDenied",
        &denied(
            "root",
            "s3:PutObject",
            "arn:aws:s3:::data/unsigned",
            "with an explicit deny in a resource-based policy",
        ),
    );
    let r = s.signed(SignedRequest::new("PUT", "/data/signed").body(b"x")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let bob = as_user(&s, "bob");
    bob.list_objects_v2().bucket("data").prefix("reports/2026").send().await.unwrap();
    let (status, code, message) = sdk_error(bob.list_objects_v2().bucket("data").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(message, denied("bob", "s3:ListBucket", "arn:aws:s3:::data", &no_identity_allows("s3:ListBucket")));
}
