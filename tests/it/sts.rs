//! STS on the same port, through the Rust SDK's own STS client: AssumeRole with trust policies
//! and session policies, GetSessionToken, GetCallerIdentity, and STS's own errors.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sts::error::ProvideErrorMetadata;
use s3strict::config::{PolicyText, RoleSettings, UserSettings};

use crate::common::*;

const ACCOUNT: &str = "123456789012";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/reader";

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

const MAY_ASSUME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/reader"}]}"#;

/// alice may assume `reader` (the trust policy names the account, her policy allows it); bob is
/// named by the trust policy itself; carl has no permission of his own; the role reads and writes
/// `data`.
async fn server() -> TestServer {
    let s = TestServer::start_with(|c| {
        c.users = vec![user("alice", &[MAY_ASSUME]), user("bob", &[]), user("carl", &[])];
        c.roles = vec![RoleSettings {
            name: "reader".into(),
            account: None,
            trust_policy: PolicyText::Json(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{ACCOUNT}:root","arn:aws:iam::{ACCOUNT}:user/bob"]}},"Action":"sts:AssumeRole"}}]}}"#
            )),
            policies: vec![PolicyText::Json(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/*"}]}"#.into(),
            )],
            max_session_duration: Some(7200),
        }];
    })
    .await;
    s.create_bucket("data").await;
    s.client().put_object().bucket("data").key("k").body(ByteStream::from_static(b"hello")).send().await.unwrap();
    s
}

fn sts_as(s: &TestServer, name: &str) -> aws_sdk_sts::Client {
    sts_client(s, &format!("AKIA{:0<16}", name.to_ascii_uppercase()), &format!("{name}-secret"), None)
}

fn sts_error<E: ProvideErrorMetadata>(
    err: aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
) -> (u16, String, String) {
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or_default();
    (status, err.code().unwrap_or_default().to_string(), err.message().unwrap_or_default().to_string())
}

#[tokio::test]
async fn the_sdks_sts_client_assumes_a_role() {
    let s = server().await;
    let alice = sts_as(&s, "alice");
    let me = alice.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::123456789012:user/alice"));
    assert_eq!(me.account(), Some(ACCOUNT));
    assert!(me.user_id().unwrap().starts_with("AIDA"));

    let out = alice.assume_role().role_arn(ROLE_ARN).role_session_name("ci-run").send().await.unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(user.arn(), "arn:aws:sts::123456789012:assumed-role/reader/ci-run");
    assert!(user.assumed_role_id().starts_with("AROA") && user.assumed_role_id().ends_with(":ci-run"));
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    let as_role = s3_with_session(&s, creds);
    let got = as_role.get_object().bucket("data").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello");
    as_role.put_object().bucket("data").key("by-role").body(ByteStream::from_static(b"r")).send().await.unwrap();
    // The role may do nothing else.
    let (status, code, message) = sdk_error(as_role.list_buckets().send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(message, "User: arn:aws:sts::123456789012:assumed-role/reader/ci-run is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action");
    let who = sts_client(&s, creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token()));
    let me = who.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:sts::123456789012:assumed-role/reader/ci-run"));

    // A trust policy that names bob lets him in without a policy of his own.
    sts_as(&s, "bob").assume_role().role_arn(ROLE_ARN).role_session_name("bob").send().await.unwrap();
}

#[tokio::test]
async fn a_session_policy_narrows_the_role() {
    let s = server().await;
    let only_get =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let out = sts_as(&s, "alice")
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("narrow")
        .policy(only_get)
        .send()
        .await
        .unwrap();
    assert!(out.session_token_utilization().is_some_and(|p| p > 0));
    let c = s3_with_session(&s, out.credentials().unwrap());
    c.get_object().bucket("data").key("k").send().await.unwrap();
    // Its presigned URLs are narrowed alike.
    let url = presigned_put(&c, "data", "x").await;
    send_presigned(&s, &url, &[], b"x").await.assert_error(
        403,
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/reader/narrow is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::data/x\" because no session policy allows the s3:PutObject action",
    );
    let (status, code, message) = sts_error(
        sts_as(&s, "alice")
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name("bad")
            .policy("{")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (400, "MalformedPolicyDocument", "This policy contains invalid Json")
    );
}

#[tokio::test]
async fn assume_role_refusals() {
    let s = server().await;
    let refused = |who: &str| {
        format!("User: arn:aws:iam::123456789012:user/{who} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}")
    };
    // Trusted through the account, but carl's own policies do not allow it.
    let (status, code, message) = sts_error(
        sts_as(&s, "carl").assume_role().role_arn(ROLE_ARN).role_session_name("c1").send().await.unwrap_err(),
    );
    assert_eq!((status, code.as_str(), message), (403, "AccessDenied", refused("carl")));
    let missing = "arn:aws:iam::123456789012:role/missing";
    let (status, code, message) = sts_error(
        sts_as(&s, "alice").assume_role().role_arn(missing).role_session_name("a1").send().await.unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(message, format!("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: {missing}"));
    let root = sts_client(&s, AK, SK, None);
    let (status, code, message) =
        sts_error(root.assume_role().role_arn(ROLE_ARN).role_session_name("r1").send().await.unwrap_err());
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "AccessDenied", "Roles may not be assumed by root accounts.")
    );
    let alice = sts_as(&s, "alice");
    let (status, code, message) =
        sts_error(alice.assume_role().role_arn(ROLE_ARN).role_session_name("a b").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (400, "ValidationError"));
    assert_eq!(message, "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    let (status, code, message) = sts_error(
        alice
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name("long")
            .duration_seconds(10_000)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    );
    let (status, code, message) = sts_error(
        alice
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name("short")
            .duration_seconds(60)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (400, "ValidationError"));
    assert_eq!(message, "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
}

#[tokio::test]
async fn session_tokens_act_as_their_user_and_end_on_time() {
    let s = server().await;
    let out = sts_as(&s, "alice").get_session_token().duration_seconds(900).send().await.unwrap();
    let creds = out.credentials().unwrap();
    let who = sts_client(&s, creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token()));
    assert_eq!(who.get_caller_identity().send().await.unwrap().arn(), Some("arn:aws:iam::123456789012:user/alice"));
    let (status, code, message) = sts_error(who.get_session_token().send().await.unwrap_err());
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
    );
    // A presigned URL made from the session stops when the session does, whatever X-Amz-Expires says.
    let root_out = sts_client(&s, AK, SK, None).get_session_token().send().await.unwrap();
    let c = s3_with_session(&s, root_out.credentials().unwrap());
    let url = presigned_get(&c, "data", "k", 7200).await;
    assert_eq!(send_presigned(&s, &url, &[], b"").await.status, 200);
    s.set_clock(r#"{"offset_seconds": 3700}"#).await;
    send_presigned(&s, &url, &[], b"").await.assert_error(400, "ExpiredToken", "The provided token has expired.");
}

#[tokio::test]
async fn sts_errors_are_sts_documents() {
    let s = server().await;
    let (status, code, message) =
        sts_error(sts_client(&s, "AKIANOBODY", "x", None).get_caller_identity().send().await.unwrap_err());
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    );
    let (status, code, _) = sts_error(
        sts_client(&s, &format!("AKIA{:0<16}", "ALICE"), "wrong", None).get_caller_identity().send().await.unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let r = s.raw("POST", "/", &form, b"Action=GetCallerIdentity&Version=2011-06-15").await;
    assert_eq!(r.status, 403);
    let text = r.text();
    assert!(text.contains("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error><RequestId>"), "{text}");
    let mut req = SignedRequest::new("POST", "/").body(b"Action=Nope&Version=2011-06-15");
    req.service = "sts";
    req.headers.push(("content-type", "application/x-www-form-urlencoded".into()));
    let r = s.signed(req).await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains(
            "<Code>InvalidAction</Code><Message>Could not find operation Nope for version 2011-06-15</Message>"
        ),
        "{}",
        r.text()
    );
}

const EVERYTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

/// The admin API's body for a user `name` with the keys [`sts_as`] signs with.
fn user_json(name: &str, policies: &str) -> String {
    format!(
        r#"{{"name":"{name}","access_key":"AKIA{:0<16}","secret_key":"{name}-secret","policies":[{policies}]}}"#,
        name.to_ascii_uppercase()
    )
}

/// `InvalidAccessKeyId`, as S3 answers a key it does not know.
fn assert_unknown_key(err: (u16, String, String)) {
    assert_eq!(
        (err.0, err.1.as_str(), err.2.as_str()),
        (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    );
}

/// `InvalidClientTokenId`, as STS answers credentials it does not know.
fn assert_unknown_to_sts(err: (u16, String, String)) {
    assert_eq!(
        (err.0, err.1.as_str(), err.2.as_str()),
        (403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    );
}

/// Sessions belong to the user's unique id, not its name: deleting a user ends its sessions, and
/// a new user of the same name, keys and rights, made through the admin API, does not inherit
/// them — for a user made at run time and for one the configuration declares.
#[tokio::test]
async fn a_deleted_users_sessions_end_with_it() {
    let s = server().await;
    let (status, _) = admin(&s, "POST", "/users", &user_json("dora", EVERYTHING)).await;
    assert_eq!(status, 201);
    for name in ["dora", "carl"] {
        let out = sts_as(&s, name).get_session_token().send().await.unwrap();
        let creds = out.credentials().unwrap();
        let old = s3_with_session(&s, creds);
        let old_sts = sts_client(&s, creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token()));
        assert_eq!(
            old_sts.get_caller_identity().send().await.unwrap().arn(),
            Some(format!("arn:aws:iam::{ACCOUNT}:user/{name}").as_str())
        );
        let (status, _) = admin(&s, "DELETE", &format!("/users/{name}"), "").await;
        assert_eq!(status, 200);
        assert_unknown_key(sdk_error(old.get_object().bucket("data").key("k").send().await.unwrap_err()));
        // The same name, the same keys, every right: the old session stays ended.
        let (status, _) = admin(&s, "POST", "/users", &user_json(name, EVERYTHING)).await;
        assert_eq!(status, 201);
        assert_unknown_key(sdk_error(old.get_object().bucket("data").key("k").send().await.unwrap_err()));
        assert_unknown_to_sts(sts_error(old_sts.get_caller_identity().send().await.unwrap_err()));
        // The new user's own sessions work.
        let out = sts_as(&s, name).get_session_token().send().await.unwrap();
        let got =
            s3_with_session(&s, out.credentials().unwrap()).get_object().bucket("data").key("k").send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello");
    }
}

/// A user the configuration declares comes back at the next start after being deleted at run
/// time (the configuration declares it again), but the sessions its deletion ended do not: they
/// were removed from the store too.
#[tokio::test]
async fn ended_sessions_stay_ended_after_a_restart() {
    let s = server().await;
    let out = sts_as(&s, "alice").get_session_token().send().await.unwrap();
    let creds = out.credentials().unwrap().clone();
    let (status, _) = admin(&s, "DELETE", "/users/alice", "").await;
    assert_eq!(status, 200);
    let s = s.restart().await;
    sts_as(&s, "alice").get_caller_identity().send().await.unwrap();
    assert_unknown_key(sdk_error(
        s3_with_session(&s, &creds).get_object().bucket("data").key("k").send().await.unwrap_err(),
    ));
}

/// Roles live in the configuration: a role missing at a start ends its sessions, which do not
/// come back when a later start declares the role again.
#[tokio::test]
async fn a_removed_roles_sessions_do_not_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = |with_role: bool| {
        let data = data.clone();
        TestServer::start_with(move |c| {
            c.data = data;
            c.users = vec![user("alice", &[MAY_ASSUME])];
            if with_role {
                c.roles = vec![RoleSettings {
                    name: "reader".into(),
                    account: None,
                    trust_policy: PolicyText::Json(format!(
                        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
                    )),
                    policies: vec![PolicyText::Json(EVERYTHING.into())],
                    max_session_duration: None,
                }];
            }
        })
    };
    let s = start(true).await;
    s.create_bucket("data").await;
    let out = sts_as(&s, "alice").assume_role().role_arn(ROLE_ARN).role_session_name("r1").send().await.unwrap();
    let creds = out.credentials().unwrap().clone();
    s3_with_session(&s, &creds).list_objects_v2().bucket("data").send().await.unwrap();
    s.stop().await;
    let s = start(false).await;
    assert_unknown_key(sdk_error(
        s3_with_session(&s, &creds).list_objects_v2().bucket("data").send().await.unwrap_err(),
    ));
    s.stop().await;
    let s = start(true).await;
    assert_unknown_key(sdk_error(
        s3_with_session(&s, &creds).list_objects_v2().bucket("data").send().await.unwrap_err(),
    ));
    // The role itself is back.
    sts_as(&s, "alice").assume_role().role_arn(ROLE_ARN).role_session_name("r2").send().await.unwrap();
}

/// Mints `n` sessions of the default account's root through `/_s3strict/sessions`, eight at a
/// time; their access keys.
async fn mint_root_sessions(s: &TestServer, n: usize, secs: i64) -> Vec<String> {
    use futures_util::StreamExt;
    let body = format!(r#"{{"duration_seconds": {secs}}}"#);
    futures_util::stream::iter(0..n)
        .map(|_| async {
            let r = s.raw("POST", "/_s3strict/sessions", JSON, body.as_bytes()).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            v["access_key_id"].as_str().unwrap().to_string()
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// One identity holds at most a thousand unexpired sessions: past that STS answers its own
/// `Throttling` and the admin API a 429, while other identities are not affected; sessions that
/// ended give way to new ones (the earliest-ended first), so what is held stays bounded, in memory
/// and in the store.
#[tokio::test]
async fn sessions_per_identity_are_capped() {
    let s = server().await;
    let first = mint_root_sessions(&s, s3strict::iam::MAX_SESSIONS, 60).await;
    let r = s.raw("POST", "/_s3strict/sessions", JSON, br#"{"duration_seconds": 60}"#).await;
    assert_eq!(r.status, 429);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        v["error"],
        "too many sessions: an identity may hold 1000 unexpired sessions at once; wait for some to expire"
    );
    // STS's own answer, through its SDK (without the retries it makes of throttling).
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .credentials_provider(aws_sdk_sts::config::Credentials::new(AK, SK, None, None, "test"))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    let root = aws_sdk_sts::Client::from_conf(conf);
    let (status, code, message) = sts_error(root.get_session_token().send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (400, "Throttling", "Rate exceeded"));
    // The document as STS sends it.
    let mut req = SignedRequest::new("POST", "/").body(b"Action=GetSessionToken&Version=2011-06-15");
    req.service = "sts";
    req.headers.push(("content-type", "application/x-www-form-urlencoded".into()));
    let r = s.signed(req).await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"),
        "{}",
        r.text()
    );
    // Another identity is not affected.
    sts_as(&s, "alice").get_session_token().send().await.unwrap();
    let iam = s.lib().state().iam().clone();
    assert_eq!(iam.session_count(), s3strict::iam::MAX_SESSIONS + 1);

    // Once they have expired (on the server's clock), new sessions take their places.
    s.set_clock(r#"{"offset_seconds": 120}"#).await;
    let second = mint_root_sessions(&s, 10, 60).await;
    root.get_session_token().send().await.unwrap();
    assert_eq!(iam.session_count(), s3strict::iam::MAX_SESSIONS + 1);
    let now_ms = s.lib().clock().now().timestamp_millis();
    let stored = s.lib().state().store.sessions(now_ms).await.unwrap();
    assert_eq!(stored.rows.len(), s3strict::iam::MAX_SESSIONS + 1);
    for key in &second {
        assert!(iam.is_session_key(key));
    }
    // Those that gave way are gone; the others still answer that they expired.
    let gone = first.iter().filter(|k| !iam.is_session_key(k)).count();
    assert_eq!(gone, 11);
}

/// A session policy longer than STS's 2048 characters is refused, as STS's model constrains it.
#[tokio::test]
async fn a_session_policy_has_at_most_2048_characters() {
    let s = server().await;
    let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let padded = |n: usize| format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]{}}}"#, " ".repeat(n));
    let policy = padded(2049 - padded(0).len());
    assert_eq!(policy.len(), 2049);
    let (status, code, message) = sts_error(
        sts_as(&s, "alice")
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name("long")
            .policy(&policy)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (400, "ValidationError"));
    assert_eq!(message, format!("1 validation error detected: Value '{policy}' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"));
    let fits = padded(2048 - padded(0).len());
    sts_as(&s, "alice").assume_role().role_arn(ROLE_ARN).role_session_name("fits").policy(&fits).send().await.unwrap();
}

/// A URL for STS presigned by the `aws-sigv4` crate (a signer independent of the server's) with
/// alice's key: `query` (already encoded) is signed in, and the payload hash is the SHA-256 of
/// `body`, or with `None` `UNSIGNED-PAYLOAD`, as S3's presigners sign.
fn presign_sts(s: &TestServer, method: &str, query: &str, body: Option<&[u8]>) -> String {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
    let identity =
        aws_sdk_sts::config::Credentials::new(format!("AKIA{:0<16}", "ALICE"), "alice-secret", None, None, "test")
            .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(std::time::Duration::from_secs(300));
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("sts")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("{}/?{query}", s.endpoint());
    let body = match body {
        Some(b) => SignableBody::Bytes(b),
        None => SignableBody::UnsignedPayload,
    };
    let signable = SignableRequest::new(method, &url, std::iter::empty(), body).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().uri(&url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.uri().path_and_query().unwrap().to_string()
}

/// A presigned STS request does what its signature covers, no more. STS signs the body: its
/// canonical request ends with the SHA-256 of the body it received, presigned or not, so a body
/// other than the one signed does not match, and neither does a URL signed with S3's
/// `UNSIGNED-PAYLOAD`, whether or not its `X-Amz-Content-Sha256` parameter says so. Otherwise a
/// URL presigned for GetCallerIdentity (an identity proof, as EKS and Vault use them) would hand
/// whoever holds it the signer's session credentials through `Action=GetSessionToken` in a body.
#[tokio::test]
async fn a_presigned_sts_request_is_what_was_signed() {
    let s = server().await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let caller = "Action=GetCallerIdentity&Version=2011-06-15";
    let take_token = b"Action=GetSessionToken&Version=2011-06-15";
    // What STS presigners make (botocore's, the Go SDK's): the empty body's hash signed.
    let url = presign_sts(&s, "POST", caller, Some(b""));
    let r = s.raw("POST", &url, &form, b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Arn>arn:aws:iam::123456789012:user/alice</Arn>"), "{}", r.text());
    let mismatch = |r: RawResponse| {
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(
            r.text().contains("<Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error>"),
            "{}",
            r.text()
        );
    };
    mismatch(s.raw("POST", &url, &form, take_token).await);
    for query in [caller.to_string(), format!("{caller}&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD")] {
        let url = presign_sts(&s, "POST", &query, None);
        mismatch(s.raw("POST", &url, &form, b"").await);
        mismatch(s.raw("POST", &url, &form, take_token).await);
    }
    // No session was made on the way.
    assert_eq!(s.lib().state().iam().session_count(), 0);
}

const ASSUME_ANY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn role(name: &str, trusted: &str, policies: &[&str]) -> RoleSettings {
    RoleSettings {
        name: name.into(),
        account: None,
        trust_policy: PolicyText::Json(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{trusted}"}},"Action":"sts:AssumeRole"}}]}}"#
        )),
        policies: policies.iter().map(|p| PolicyText::Json(p.to_string())).collect(),
        max_session_duration: None,
    }
}

/// alice's own policy denies sts:AssumeRole though `target` trusts her by name; bob may assume
/// `r1` (which may do everything); `r2` trusts role `r1`; `r3` trusts r1's session `named`.
async fn chain_server() -> TestServer {
    let alice_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    TestServer::start_with(|c| {
        c.users = vec![user("alice", &[alice_policy]), user("bob", &[ASSUME_ANY])];
        c.roles = vec![
            role("target", &format!("arn:aws:iam::{ACCOUNT}:user/alice"), &[EVERYTHING]),
            role("r1", &format!("arn:aws:iam::{ACCOUNT}:user/bob"), &[ALLOW_ALL]),
            role("r2", &format!("arn:aws:iam::{ACCOUNT}:role/r1"), &[EVERYTHING]),
            role("r3", &format!("arn:aws:sts::{ACCOUNT}:assumed-role/r1/named"), &[EVERYTHING]),
        ];
    })
    .await
}

/// STS's refusal of AssumeRole: the caller, the action and the role, whatever the reason.
fn assert_refused(err: (u16, String, String), caller: &str, role: &str) {
    assert_eq!(
        (err.0, err.1.as_str(), err.2),
        (
            403,
            "AccessDenied",
            format!("User: {caller} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/{role}")
        )
    );
}

/// bob's session of `r1` named `name`, with `policy` as its session policy.
async fn r1_session(s: &TestServer, name: &str, policy: Option<&str>) -> aws_sdk_sts::Client {
    let out = sts_as(s, "bob")
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/r1"))
        .role_session_name(name)
        .set_policy(policy.map(str::to_string))
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    sts_client(s, c.access_key_id(), c.secret_access_key(), Some(c.session_token()))
}

/// An explicit Deny in the caller's identity or session policy refuses AssumeRole even when the
/// trust policy names the caller or its role; a trust policy naming the caller's role is limited
/// by the session policy; only one naming the session itself is not (but its Deny still wins).
#[tokio::test]
async fn assume_role_honours_denies_and_session_policies_whoever_is_trusted() {
    let s = chain_server().await;
    let assume = |c: &aws_sdk_sts::Client, role: &str, name: &str| {
        c.assume_role().role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}")).role_session_name(name).send()
    };
    let alice = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    assert_refused(sts_error(assume(&sts_as(&s, "alice"), "target", "xx").await.unwrap_err()), &alice, "target");

    // Chaining from r1 to r2, which trusts role r1: allowed without a session policy…
    let plain = r1_session(&s, "plain", None).await;
    assume(&plain, "r2", "s2").await.unwrap();
    // …refused when the session policy does not allow sts:AssumeRole…
    let only_get =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let narrow = r1_session(&s, "narrow", Some(only_get)).await;
    let caller = |name: &str| format!("arn:aws:sts::{ACCOUNT}:assumed-role/r1/{name}");
    assert_refused(sts_error(assume(&narrow, "r2", "s2").await.unwrap_err()), &caller("narrow"), "r2");
    // …or explicitly denies it.
    let deny_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    let denying = r1_session(&s, "denying", Some(deny_assume)).await;
    assert_refused(sts_error(assume(&denying, "r2", "s2").await.unwrap_err()), &caller("denying"), "r2");

    // A trust policy naming the session itself is not limited by its session policy…
    let named = r1_session(&s, "named", Some(only_get)).await;
    let out = assume(&named, "r3", "s3").await.unwrap();
    assert_eq!(out.assumed_role_user().unwrap().arn(), format!("arn:aws:sts::{ACCOUNT}:assumed-role/r3/s3"));
    // …but an explicit Deny in it still wins; and other sessions are not the named one.
    let named_denying = r1_session(&s, "named", Some(deny_assume)).await;
    assert_refused(sts_error(assume(&named_denying, "r3", "s3").await.unwrap_err()), &caller("named"), "r3");
    assert_refused(sts_error(assume(&plain, "r3", "s3").await.unwrap_err()), &caller("plain"), "r3");
}

/// A trust policy names the user it was written for by unique id, as IAM binds it: deleting bob
/// and making a user of the same name and keys at run time does not make the new one trusted. The
/// configuration is the trust policy's put, and a declared user is its declaration: at the next
/// start bob is declared (and trusted) again.
#[tokio::test]
async fn a_trust_policy_does_not_trust_a_user_made_again() {
    let s = chain_server().await;
    let assume = |s: &TestServer| {
        sts_as(s, "bob")
            .assume_role()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/r1"))
            .role_session_name("bb")
            .send()
    };
    assume(&s).await.unwrap();
    let (status, _) = admin(&s, "DELETE", "/users/bob", "").await;
    assert_eq!(status, 200);
    let (status, _) = admin(&s, "POST", "/users", &user_json("bob", ASSUME_ANY)).await;
    assert_eq!(status, 201);
    let bob = format!("arn:aws:iam::{ACCOUNT}:user/bob");
    assert_refused(sts_error(assume(&s).await.unwrap_err()), &bob, "r1");
    let s = s.restart().await;
    assume(&s).await.unwrap();
}
