//! Who a bucket policy's principals are: `NotPrincipal` exempts a request only when each identity
//! it acts as is listed (IAM User Guide, "NotPrincipal"), and a user or role named by ARN is the
//! one that had that ARN when the policy was put (IAM binds it to its unique id), so a user
//! deleted and made again with the same name is not named, and GetBucketPolicy then shows the
//! deleted user's id.

use aws_sdk_s3::primitives::ByteStream;
use s3strict::config::{AccountSettings, PolicyText, RoleSettings, UserSettings};

use crate::common::*;

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "444455556666";
const OTHER_ROOT: (&str, &str) = ("AKIAOTHERROOT0000000", "other-root-secret");
const ROOT_ARN: &str = "arn:aws:iam::123456789012:root";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/auditor";
const EVERYTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":"*"}]}"#;

fn user(name: &str, policies: &[&str]) -> UserSettings {
    UserSettings {
        name: name.into(),
        account: None,
        access_key: format!("AKIA{:0<16}", name.to_ascii_uppercase()),
        secret_key: format!("{name}-secret"),
        status: None,
        policies: policies.iter().map(|p| PolicyText::Json(p.to_string())).collect(),
    }
}

fn client_of(s: &TestServer, name: &str) -> aws_sdk_s3::Client {
    client_for(&s.endpoint(), &format!("AKIA{:0<16}", name.to_ascii_uppercase()), &format!("{name}-secret"), REGION)
}

/// alice may do everything; bob has no policy of his own; role `auditor` (trusting the account)
/// may use S3; the other account's root may sign. Bucket `vault` holds `k`.
async fn server() -> TestServer {
    let s = TestServer::start_with(|c| {
        c.accounts = vec![AccountSettings {
            id: OTHER.into(),
            access_key: Some(OTHER_ROOT.0.into()),
            secret_key: Some(OTHER_ROOT.1.into()),
        }];
        c.users = vec![user("alice", &[EVERYTHING]), user("bob", &[])];
        c.roles = vec![RoleSettings {
            name: "auditor".into(),
            account: None,
            trust_policy: PolicyText::Json(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ROOT_ARN}"}},"Action":"sts:AssumeRole"}}]}}"#
            )),
            policies: vec![PolicyText::Json(EVERYTHING.into())],
            max_session_duration: None,
        }];
    })
    .await;
    s.create_bucket("vault").await;
    s.client().put_object().bucket("vault").key("k").body(ByteStream::from_static(b"vault")).send().await.unwrap();
    s
}

/// An S3 client of a session of `auditor` named `name`, assumed by alice.
async fn auditor(s: &TestServer, name: &str) -> aws_sdk_s3::Client {
    let sts = sts_client(s, "AKIAALICE00000000000", "alice-secret", None);
    let out = sts.assume_role().role_arn(ROLE_ARN).role_session_name(name).send().await.unwrap();
    s3_with_session(s, out.credentials().unwrap())
}

async fn put_policy(s: &TestServer, bucket: &str, policy: &str) {
    s.client().put_bucket_policy().bucket(bucket).policy(policy).send().await.unwrap();
}

/// A bucket policy denying everything on `vault` to everyone but `listed`.
fn deny_all_but(listed: &[&str]) -> String {
    let listed: Vec<String> = listed.iter().map(|a| format!("{a:?}")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"OnlyListed","Effect":"Deny","NotPrincipal":{{"AWS":[{}]}},"Action":"s3:*","Resource":["arn:aws:s3:::vault","arn:aws:s3:::vault/*"]}}]}}"#,
        listed.join(",")
    )
}

async fn get(c: &aws_sdk_s3::Client) -> Result<(), (u16, String, String)> {
    c.get_object().bucket("vault").key("k").send().await.map(|_| ()).map_err(sdk_error)
}

fn explicitly_denied(who: &str) -> Result<(), (u16, String, String)> {
    Err((
        403,
        "AccessDenied".into(),
        format!("User: {who} is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::vault/k\" with an explicit deny in a resource-based policy"),
    ))
}

/// `Deny` with `NotPrincipal` spares a request only when each identity it acts as is listed: the
/// root user by its account; a user by its ARN and its account; a session by its ARN, its role's
/// and its account. Naming the account spares none of its users and sessions; naming the role
/// spares none of its sessions.
#[tokio::test]
async fn not_principal_with_deny_spares_only_what_it_lists_in_full() {
    let s = server().await;
    let alice = client_of(&s, "alice");
    let session = auditor(&s, "anysession").await;
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/auditor/anysession");

    put_policy(&s, "vault", &deny_all_but(&[ROOT_ARN, ROLE_ARN])).await;
    s.client().get_object().bucket("vault").key("k").send().await.unwrap();
    assert_eq!(get(&alice).await, explicitly_denied(&alice_arn));
    assert_eq!(get(&session).await, explicitly_denied(&session_arn));

    // The session's ARN with its role's and its account's: spared. Alice is not.
    put_policy(&s, "vault", &deny_all_but(&[session_arn.as_str(), ROLE_ARN, ROOT_ARN])).await;
    get(&session).await.unwrap();
    assert_eq!(get(&alice).await, explicitly_denied(&alice_arn));
    // Without the role's ARN, or without the account's, the session is denied.
    put_policy(&s, "vault", &deny_all_but(&[session_arn.as_str(), ROOT_ARN])).await;
    assert_eq!(get(&session).await, explicitly_denied(&session_arn));
    put_policy(&s, "vault", &deny_all_but(&[session_arn.as_str(), ROLE_ARN])).await;
    assert_eq!(get(&session).await, explicitly_denied(&session_arn));

    // A user: its ARN and its account (by id here) spare it; its ARN alone does not.
    put_policy(&s, "vault", &deny_all_but(&[alice_arn.as_str(), ACCOUNT])).await;
    get(&alice).await.unwrap();
    put_policy(&s, "vault", &deny_all_but(&[alice_arn.as_str()])).await;
    assert_eq!(get(&alice).await, explicitly_denied(&alice_arn));
}

/// `Allow` with `NotPrincipal` grants to everyone it does not spare, as `*` does (S3 calls it
/// public): anonymous requests, and bob — who has no policy of his own — while only his account is
/// listed; not bob once he is listed in full.
#[tokio::test]
async fn not_principal_with_allow_grants_to_everyone_not_listed_in_full() {
    let s = server().await;
    let c = s.client();
    c.delete_public_access_block().bucket("vault").send().await.unwrap();
    let bob = client_of(&s, "bob");
    let bob_arn = format!("arn:aws:iam::{ACCOUNT}:user/bob");
    let allow_all_but = |listed: &[&str]| {
        let listed: Vec<String> = listed.iter().map(|a| format!("{a:?}")).collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","NotPrincipal":{{"AWS":[{}]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::vault/*"}}]}}"#,
            listed.join(",")
        )
    };
    put_policy(&s, "vault", &allow_all_but(&[ROOT_ARN])).await;
    let status = c.get_bucket_policy_status().bucket("vault").send().await.unwrap();
    assert_eq!(status.policy_status().and_then(|p| p.is_public()), Some(true));
    get(&bob).await.unwrap();
    let anonymous = s.raw("GET", "/vault/k", &[], b"").await;
    assert_eq!((anonymous.status, anonymous.body.as_slice()), (200, &b"vault"[..]));

    put_policy(&s, "vault", &allow_all_but(&[ROOT_ARN, bob_arn.as_str()])).await;
    assert_eq!(
        get(&bob).await,
        Err((
            403,
            "AccessDenied".into(),
            format!("User: {bob_arn} is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::vault/k\" because no identity-based policy allows the s3:GetObject action"),
        ))
    );
}

/// A user made through the admin API; its access key, secret and unique id.
async fn make_user(s: &TestServer, name: &str, account: &str, policies: &str) -> (String, String, String) {
    let (status, v) =
        admin(s, "POST", "/users", &format!(r#"{{"name":"{name}","account_id":"{account}","policies":[{policies}]}}"#))
            .await;
    assert_eq!(status, 201, "{v}");
    let field = |n: &str| v[n].as_str().unwrap().to_string();
    (field("access_key_id"), field("secret_access_key"), field("user_id"))
}

/// A bucket policy names the user that had the ARN when it was put: dave (of another account)
/// and erin (of the bucket's), deleted and made again with the same names, are refused as
/// strangers are; GetBucketPolicy shows the deleted users' unique ids where their ARNs were, as
/// S3 shows a deleted principal, and that document cannot be put back (the ids name nobody).
/// The binding survives a restart; putting the policy again binds it to the new users.
#[tokio::test]
async fn a_policy_does_not_name_a_user_made_again_with_the_same_name() {
    let s = server().await;
    let only_get =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let (dave_key, dave_secret, dave_id) = make_user(&s, "dave", OTHER, only_get).await;
    let (erin_key, erin_secret, erin_id) = make_user(&s, "erin", ACCOUNT, "").await;
    let dave_arn = format!("arn:aws:iam::{OTHER}:user/dave");
    let erin_arn = format!("arn:aws:iam::{ACCOUNT}:user/erin");
    let policy = format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{"Sid": "Named", "Effect": "Allow", "Principal": {{"AWS": ["{dave_arn}", "{erin_arn}"]}},
      "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vault/*",
      "Condition": {{"StringLike": {{"aws:PrincipalArn": ["{dave_arn}", "{erin_arn}"]}}}}}}
  ]
}}"#
    );
    put_policy(&s, "vault", &policy).await;
    get(&client_for(&s.endpoint(), &dave_key, &dave_secret, REGION)).await.unwrap();
    get(&client_for(&s.endpoint(), &erin_key, &erin_secret, REGION)).await.unwrap();

    for (name, account) in [("dave", OTHER), ("erin", ACCOUNT)] {
        let (status, _) = admin(&s, "DELETE", &format!("/users/{name}?account_id={account}"), "").await;
        assert_eq!(status, 200);
    }
    let (dave_key, dave_secret, _) = make_user(&s, "dave", OTHER, only_get).await;
    let (erin_key, erin_secret, _) = make_user(&s, "erin", ACCOUNT, "").await;
    let refused = |s: &TestServer| {
        let dave = client_for(&s.endpoint(), &dave_key, &dave_secret, REGION);
        let erin = client_for(&s.endpoint(), &erin_key, &erin_secret, REGION);
        let erin_arn = erin_arn.clone();
        async move {
            // Across accounts S3 says no more than "Access Denied".
            assert_eq!(get(&dave).await, Err((403, "AccessDenied".into(), "Access Denied".into())));
            assert_eq!(
                get(&erin).await,
                Err((
                    403,
                    "AccessDenied".into(),
                    format!("User: {erin_arn} is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::vault/k\" because no identity-based policy allows the s3:GetObject action"),
                ))
            );
        }
    };
    refused(&s).await;
    // The Principal entries show the old ids; the condition's values stay as written.
    let shown =
        policy.replacen(&format!(r#"["{dave_arn}", "{erin_arn}"]"#), &format!(r#"["{dave_id}", "{erin_id}"]"#), 1);
    assert_ne!(shown, policy);
    let got = s.client().get_bucket_policy().bucket("vault").send().await.unwrap();
    assert_eq!(got.policy(), Some(shown.as_str()));
    let err = sdk_error(s.client().put_bucket_policy().bucket("vault").policy(&shown).send().await.unwrap_err());
    assert_eq!(err, (400, "MalformedPolicy".into(), "Invalid principal in policy".into()));

    let s = s.restart().await;
    refused(&s).await;
    let got = s.client().get_bucket_policy().bucket("vault").send().await.unwrap();
    assert_eq!(got.policy(), Some(shown.as_str()));

    put_policy(&s, "vault", &policy).await;
    let got = s.client().get_bucket_policy().bucket("vault").send().await.unwrap();
    assert_eq!(got.policy(), Some(policy.as_str()));
    get(&client_for(&s.endpoint(), &dave_key, &dave_secret, REGION)).await.unwrap();
    get(&client_for(&s.endpoint(), &erin_key, &erin_secret, REGION)).await.unwrap();
}
