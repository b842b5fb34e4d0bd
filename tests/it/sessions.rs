//! Temporary credentials (`POST /_s3strict/sessions`, like STS): the session token is checked
//! before the signature, and an expired session fails even inside a presigned URL's validity.

use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;

use crate::common::*;

struct Minted {
    access_key: String,
    secret: String,
    token: String,
}

async fn mint(s: &TestServer, secs: i64) -> Minted {
    let r = s.raw("POST", "/_s3strict/sessions", JSON, format!(r#"{{"duration_seconds": {secs}}}"#).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v["expiration"].as_str().unwrap().ends_with('Z'));
    Minted {
        access_key: v["access_key_id"].as_str().unwrap().into(),
        secret: v["secret_access_key"].as_str().unwrap().into(),
        token: v["session_token"].as_str().unwrap().into(),
    }
}

fn session_client(s: &TestServer, m: &Minted, token: Option<&str>) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(s.endpoint())
        .credentials_provider(Credentials::new(&m.access_key, &m.secret, token.map(str::to_string), None, "session"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

#[tokio::test]
async fn session_credentials_work_until_they_expire() {
    let s = TestServer::start().await;
    s.create_bucket("tmp").await;
    let m = mint(&s, 60).await;
    assert!(m.access_key.starts_with("ASIA"));
    let c = session_client(&s, &m, Some(&m.token));
    c.put_object().bucket("tmp").key("k").body(b"temp".to_vec().into()).send().await.unwrap();
    let url = c
        .get_object()
        .bucket("tmp")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(3600)).unwrap())
        .await
        .unwrap();
    let (target, _) = presigned_parts(&url);
    assert!(param(&target, "X-Amz-Security-Token").is_some());
    let r = send_presigned(&s, &url, &[], b"").await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"temp"[..]));
    // Past the session's end but inside the URL's hour: ExpiredToken.
    s.set_clock(r#"{"offset_seconds": 120}"#).await;
    send_presigned(&s, &url, &[], b"").await.assert_error(400, "ExpiredToken", "The provided token has expired.");
    let err = c.list_buckets().send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    let log = s.raw("GET", "/_s3strict/auth-log?limit=1", &[], b"").await;
    assert!(log.text().contains("\"error_code\":\"ExpiredToken\""), "{}", log.text());
}

#[tokio::test]
async fn bad_tokens() {
    let s = TestServer::start().await;
    s.create_bucket("tmp").await;
    let m = mint(&s, 600).await;
    // A token that is not the session's.
    let other = mint(&s, 600).await;
    let c = session_client(&s, &m, Some(&other.token));
    let url = c
        .get_object()
        .bucket("tmp")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    send_presigned(&s, &url, &[], b"").await.assert_error(
        400,
        "InvalidToken",
        "The provided token is malformed or otherwise invalid.",
    );
    // A tampered token: the token is checked before the signature.
    let good = session_client(&s, &m, Some(&m.token));
    let url = good
        .get_object()
        .bucket("tmp")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let (target, headers) = presigned_parts(&url);
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let tampered = with_param(&target, "X-Amz-Security-Token", "forged");
    s.raw("GET", &tampered, &h, b"").await.assert_error(
        400,
        "InvalidToken",
        "The provided token is malformed or otherwise invalid.",
    );
    // A session key without its token is unknown.
    let bare = session_client(&s, &m, None);
    let url = bare
        .get_object()
        .bucket("tmp")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let doc = send_presigned(&s, &url, &[], b"").await.assert_error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    );
    assert_eq!(doc.get("AWSAccessKeyId"), Some(m.access_key.as_str()));
    // Bad requests to the admin endpoint.
    for body in [r#"{"duration_seconds": 0}"#, r#"{"duration_seconds": 200000}"#, r#"{"ttl": 5}"#] {
        assert_eq!(s.raw("POST", "/_s3strict/sessions", JSON, body.as_bytes()).await.status, 400, "{body}");
    }
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let s = TestServer::start().await;
    s.create_bucket("tmp").await;
    let m = mint(&s, 600).await;
    let s = s.restart().await;
    let c = session_client(&s, &m, Some(&m.token));
    c.put_object().bucket("tmp").key("k").body(b"after".to_vec().into()).send().await.unwrap();
}

/// Ended sessions are purged on the server's clock: a week after its end a session is removed
/// from memory and from the store when the next session starts; until then its token still
/// answers `ExpiredToken`, and after it the key is unknown.
#[tokio::test]
async fn ended_sessions_are_purged_on_the_server_clock() {
    let s = TestServer::start().await;
    s.create_bucket("tmp").await;
    let old = mint(&s, 60).await;
    let c = session_client(&s, &old, Some(&old.token));
    c.list_objects_v2().bucket("tmp").send().await.unwrap();
    let expired = |e: (u16, String, String)| {
        assert_eq!((e.0, e.1.as_str(), e.2.as_str()), (400, "ExpiredToken", "The provided token has expired."))
    };
    // Eight days on the server's clock: expired, but not purged until a session starts.
    s.set_clock(r#"{"offset_seconds": 691200}"#).await;
    expired(sdk_error(c.list_objects_v2().bucket("tmp").send().await.unwrap_err()));
    let iam = s.lib().state().iam().clone();
    assert_eq!(iam.session_count(), 1);
    let new = mint(&s, 60).await;
    assert_eq!(iam.session_count(), 1);
    let now_ms = s.lib().clock().now().timestamp_millis();
    let stored = s.lib().state().store.sessions(now_ms).await.unwrap();
    assert_eq!(stored.rows.iter().map(|r| r.access_key.as_str()).collect::<Vec<_>>(), vec![new.access_key.as_str()]);
    let (status, code, message) = sdk_error(c.list_objects_v2().bucket("tmp").send().await.unwrap_err());
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    );
    // Within the week, an ended session is kept.
    s.set_clock(r#"{"offset_seconds": 691300}"#).await;
    mint(&s, 60).await;
    assert_eq!(iam.session_count(), 2);
    expired(sdk_error(session_client(&s, &new, Some(&new.token)).list_buckets().send().await.unwrap_err()));
}
