//! Places where s3strict said yes and S3 says no (an adversarial pass against 9f28187), each
//! through a real client where one sends the request, asserting S3's status, code and message:
//! anonymous `response-*` overrides, grant and copy-source headers the condition keys did not
//! see, versions authorized with the current version's ACL, missing keys hidden from readers who
//! may list through a bucket ACL, and a bucket policy naming a session's role that ignored the
//! session policy.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketVersioningStatus, ObjectCannedAcl, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, VersioningConfiguration,
};
use s3strict::config::{PolicyText, RoleSettings, UserSettings};

use crate::common::*;

const ACCOUNT: &str = "123456789012";

fn user(name: &str, policies: &[&str]) -> UserSettings {
    UserSettings {
        name: name.into(),
        account: None,
        access_key: key_of(name),
        secret_key: format!("{name}-secret"),
        status: None,
        policies: policies.iter().map(|p| PolicyText::Json(p.to_string())).collect(),
    }
}

fn key_of(name: &str) -> String {
    format!("AKIA{:0<16}", name.to_ascii_uppercase())
}

fn as_user(s: &TestServer, name: &str) -> aws_sdk_s3::Client {
    client_for(&s.endpoint(), &key_of(name), &format!("{name}-secret"), REGION)
}

fn denied(who: &str, action: &str, resource: &str, why: &str) -> String {
    format!("User: {who} is not authorized to perform: {action} on resource: \"{resource}\" {why}")
}

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

/// A bucket whose ACLs are in force and whose public access is not blocked, so that ACLs and
/// policies alone decide.
async fn open_bucket(s: &TestServer, name: &str) {
    s.create_bucket(name).await;
    let c = s.client();
    let rule = OwnershipControlsRule::builder().object_ownership(ObjectOwnership::ObjectWriter).build().unwrap();
    let controls = OwnershipControls::builder().rules(rule).build().unwrap();
    c.put_bucket_ownership_controls().bucket(name).ownership_controls(controls).send().await.unwrap();
    c.delete_public_access_block().bucket(name).send().await.unwrap();
}

async fn put(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: &'static [u8],
    acl: Option<ObjectCannedAcl>,
) -> String {
    let out =
        c.put_object().bucket(bucket).key(key).set_acl(acl).body(ByteStream::from_static(body)).send().await.unwrap();
    out.version_id().unwrap_or_default().to_string()
}

/// Sends a signed request carrying header `name` with `value`'s bytes as they are, signed as S3
/// reads header bytes (ISO-8859-1), so that the signature holds: what an attacker with their own
/// signer can always send.
async fn signed_with_raw_header(s: &TestServer, req: SignedRequest<'_>, name: &str, value: &str) -> RawResponse {
    let as_read: String = value.bytes().map(char::from).collect();
    let (method, body) = (req.method, req.body);
    let (target, mut headers) = req.header(name, as_read).sign(s.addr);
    for (n, v) in headers.iter_mut() {
        if n == name {
            *v = value.to_string();
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    raw(s.addr, method, &target, &headers, body).await
}

#[tokio::test]
async fn anonymous_readers_cannot_override_response_headers() {
    let s = TestServer::start().await;
    open_bucket(&s, "pub").await;
    put(&s.client(), "pub", "page.txt", b"<script>alert(1)</script>", Some(ObjectCannedAcl::PublicRead)).await;
    let message = "Request specific response headers cannot be used for anonymous GET requests.";
    // Browsers and curl send these; no SDK sends an unsigned GetObject.
    let r = s.raw("GET", "/pub/page.txt?response-content-type=text/html", &[], b"").await;
    r.assert_error(400, "InvalidRequest", message);
    let r = s.raw("GET", "/pub/page.txt?response-content-disposition=inline", &[], b"").await;
    r.assert_error(400, "InvalidRequest", message);
    let r = s.raw("HEAD", "/pub/page.txt?response-cache-control=no-cache", &[], b"").await;
    assert_eq!(r.status, 400);
    // Without overrides the public object is served as stored; signed readers may override.
    let r = s.raw("GET", "/pub/page.txt", &[], b"").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("application/octet-stream")));
    let got =
        s.client().get_object().bucket("pub").key("page.txt").response_content_type("text/plain").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
}

#[tokio::test]
async fn missing_keys_are_told_to_whoever_may_list_through_an_acl() {
    let s = TestServer::start_with(|c| c.users = vec![user("bob", &[])]).await;
    open_bucket(&s, "pub").await;
    open_bucket(&s, "shared").await;
    let root = s.client();
    root.put_bucket_acl().bucket("pub").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    root.put_bucket_acl().bucket("shared").acl(BucketCannedAcl::AuthenticatedRead).send().await.unwrap();
    put(&root, "pub", "there", b"x", None).await;
    put(&root, "shared", "there", b"x", None).await;
    // The bucket ACL's READ lets everyone list: a missing key is NoSuchKey, an existing private
    // object stays refused.
    let r = s.raw("GET", "/pub/missing", &[], b"").await;
    let doc = r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    assert_eq!(doc.get("Key"), Some("missing"));
    assert_eq!(s.raw("HEAD", "/pub/missing", &[], b"").await.status, 404);
    s.raw("GET", "/pub/there", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    // AuthenticatedUsers' READ lets bob list `shared`, not anonymous readers.
    let bob = as_user(&s, "bob");
    let (status, code, _) = sdk_error(bob.get_object().bucket("shared").key("missing").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    let (status, code, message) = sdk_error(bob.get_object().bucket("shared").key("there").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            &user_arn("bob"),
            "s3:GetObject",
            "arn:aws:s3:::shared/there",
            "because no identity-based policy allows the s3:GetObject action"
        )
    );
    s.raw("GET", "/shared/missing", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
}

#[tokio::test]
async fn a_version_is_authorized_with_its_own_acl() {
    let s = TestServer::start().await;
    open_bucket(&s, "versioned").await;
    let root = s.client();
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    root.put_bucket_versioning().bucket("versioned").versioning_configuration(on).send().await.unwrap();
    let private = put(&root, "versioned", "k", b"private v1", None).await;
    let public = put(&root, "versioned", "k", b"public v2", Some(ObjectCannedAcl::PublicRead)).await;
    // The current version is public: the older private one is not, whoever asks by its id.
    let r = s.raw("GET", &format!("/versioned/k?versionId={public}"), &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "public v2"));
    s.raw("GET", &format!("/versioned/k?versionId={private}"), &[], b"").await.assert_error(
        403,
        "AccessDenied",
        "Access Denied",
    );
    s.raw("GET", &format!("/versioned/k?versionId={private}&acl"), &[], b"").await.assert_error(
        403,
        "AccessDenied",
        "Access Denied",
    );
    // Made public by its own ACL, the old version is readable while the current one is private.
    root.put_object_acl()
        .bucket("versioned")
        .key("k")
        .version_id(&private)
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    root.put_object_acl().bucket("versioned").key("k").acl(ObjectCannedAcl::Private).send().await.unwrap();
    let r = s.raw("GET", &format!("/versioned/k?versionId={private}"), &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "private v1"));
    s.raw("GET", "/versioned/k", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
}

const WRITE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::data/*"},
    {"Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"StringLike":{"s3:x-amz-copy-source":"data/secret/*"}}}]}"#;

#[tokio::test]
async fn condition_keys_see_every_header_the_handler_acts_on() {
    let s = TestServer::start_with(|c| c.users = vec![user("writer", &[WRITE_ONLY])]).await;
    open_bucket(&s, "data").await;
    put(&s.client(), "data", "secret/é", b"classified", None).await;
    let as_writer = |method, path| SignedRequest {
        access_key: "AKIAWRITER0000000000",
        secret_key: "writer-secret",
        ..SignedRequest::new(method, path)
    };
    let all_users = "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"";
    // A grant header ending in a UTF-8 no-break space is still a grant header: it needs
    // s3:PutObjectAcl, which the writer lacks.
    let r = signed_with_raw_header(
        &s,
        as_writer("PUT", "/data/up").body(b"x"),
        "x-amz-grant-read",
        &format!("{all_users}\u{a0}"),
    )
    .await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied(
            &user_arn("writer"),
            "s3:PutObjectAcl",
            "arn:aws:s3:::data/up",
            "because no identity-based policy allows the s3:PutObjectAcl action",
        ),
    );
    // Whoever may set ACLs gets S3's refusal of the malformed grantee (S3 trims only ASCII
    // white space), never a public grant.
    let r = signed_with_raw_header(
        &s,
        SignedRequest::new("PUT", "/data/up").body(b"x"),
        "x-amz-grant-read",
        &format!("{all_users}\u{a0}"),
    )
    .await;
    let doc = r.assert_error(400, "InvalidArgument", "Invalid group uri");
    assert_eq!(doc.get("ArgumentName"), Some("uri"));
    s.raw("GET", "/data/up", &[], b"").await.assert_error(403, "AccessDenied", "Access Denied");
    // A raw UTF-8 copy source is what the Deny on s3:x-amz-copy-source sees, too.
    let r = signed_with_raw_header(&s, as_writer("PUT", "/data/copied"), "x-amz-copy-source", "data/secret/é").await;
    r.assert_error(
        403,
        "AccessDenied",
        &denied(
            &user_arn("writer"),
            "s3:PutObject",
            "arn:aws:s3:::data/copied",
            "with an explicit deny in an identity-based policy",
        ),
    );
    let (status, _, _) = sdk_error(s.client().head_object().bucket("data").key("copied").send().await.unwrap_err());
    assert_eq!(status, 404);
}

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

#[tokio::test]
async fn a_bucket_policy_naming_the_role_is_limited_by_the_session_policy() {
    let may_assume = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{ROLE}"}}]}}"#
    );
    let s = TestServer::start_with(|c| {
        c.users = vec![user("alice", &[&may_assume])];
        // The role has no permission of its own: only the bucket policy grants.
        c.roles = vec![RoleSettings {
            name: "r".into(),
            account: None,
            trust_policy: PolicyText::Json(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
            )),
            policies: vec![],
            max_session_duration: None,
        }];
    })
    .await;
    s.create_bucket("data").await;
    put(&s.client(), "data", "k", b"hello", None).await;
    let bucket_policy = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}}]}}"#
        )
    };
    s.client().put_bucket_policy().bucket("data").policy(bucket_policy(ROLE)).send().await.unwrap();
    let only_list =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    let sts = sts_client(&s, &key_of("alice"), "alice-secret", None);
    let narrow = sts.assume_role().role_arn(ROLE).role_session_name("narrow").policy(only_list).send().await.unwrap();
    let wide = sts.assume_role().role_arn(ROLE).role_session_name("wide").send().await.unwrap();
    let narrow = s3_with_session(&s, narrow.credentials().unwrap());
    let wide = s3_with_session(&s, wide.credentials().unwrap());
    // Naming the role reaches its sessions, each limited by its session policy.
    wide.get_object().bucket("data").key("k").send().await.unwrap();
    let (status, code, message) = sdk_error(narrow.get_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            &format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/narrow"),
            "s3:GetObject",
            "arn:aws:s3:::data/k",
            "because no session policy allows the s3:GetObject action"
        )
    );
    // Naming the session itself is not limited by its session policy.
    let session = format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/narrow");
    s.client().put_bucket_policy().bucket("data").policy(bucket_policy(&session)).send().await.unwrap();
    let got = narrow.get_object().bucket("data").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello");
    let (status, _, _) = sdk_error(wide.get_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!(status, 403);
}

const EVERYTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[tokio::test]
async fn recreating_a_bucket_is_judged_against_that_bucket() {
    let s = TestServer::start_with(|c| c.users = vec![user("alice", &[EVERYTHING])]).await;
    open_bucket(&s, "locked").await;
    let root = s.client();
    let only_root = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":["s3:PutBucketAcl","s3:PutBucketOwnershipControls"],"Resource":"arn:aws:s3:::locked","Condition":{{"ArnNotEquals":{{"aws:PrincipalArn":"arn:aws:iam::{ACCOUNT}:root"}}}}}}]}}"#
    );
    root.put_bucket_policy().bucket("locked").policy(only_root).send().await.unwrap();
    // Re-creating one's own bucket (us-east-1) resets its ACL: the ACL and ownership headers are
    // judged against the existing bucket's policy, which denies alice the ACL.
    let alice = as_user(&s, "alice");
    let grant = format!("id=\"{}\"", s3strict::iam::canonical_id("444455556666"));
    let err = alice
        .create_bucket()
        .bucket("locked")
        .object_ownership(ObjectOwnership::ObjectWriter)
        .grant_write(grant)
        .send()
        .await
        .unwrap_err();
    let (status, code, message) = sdk_error(err);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            &user_arn("alice"),
            "s3:PutBucketAcl",
            "arn:aws:s3:::locked",
            "with an explicit deny in a resource-based policy"
        )
    );
    let acl = root.get_bucket_acl().bucket("locked").send().await.unwrap();
    assert_eq!(acl.grants().len(), 1, "the ACL is unchanged: {acl:?}");
    // Whoever may set it meets the existing bucket's Block Public Access, not a new bucket's.
    let legacy = TestServer::start_with(|c| c.legacy_bucket_defaults = true).await;
    legacy.create_bucket("kept").await;
    let pab = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder().block_public_acls(true).build();
    let c = legacy.client();
    c.put_public_access_block().bucket("kept").public_access_block_configuration(pab).send().await.unwrap();
    let err = c.create_bucket().bucket("kept").acl(BucketCannedAcl::PublicReadWrite).send().await.unwrap_err();
    let (status, code, message) = sdk_error(err);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            400,
            "InvalidBucketAclWithBlockPublicAccessError",
            "Bucket cannot have public ACLs set with BlockPublicAccess enabled"
        )
    );
    legacy.raw("PUT", "/kept/x", &[], b"x").await.assert_error(403, "AccessDenied", "Access Denied");
}

#[tokio::test]
async fn a_sessions_principal_arn_is_its_roles() {
    let may_assume = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{ROLE}"}}]}}"#
    );
    let s = TestServer::start_with(|c| {
        c.users = vec![user("alice", &[&may_assume])];
        c.roles = vec![RoleSettings {
            name: "r".into(),
            account: None,
            trust_policy: PolicyText::Json(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
            )),
            policies: vec![PolicyText::Json(EVERYTHING.into())],
            max_session_duration: None,
        }];
    })
    .await;
    s.create_bucket("data").await;
    put(&s.client(), "data", "k", b"hello", None).await;
    // "For IAM roles, the request context returns the ARN of the role, not the ARN of the user
    // that assumed the role" (IAM global condition keys, aws:PrincipalArn).
    let deny_role = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data/*","Condition":{{"ArnEquals":{{"aws:PrincipalArn":"{ROLE}"}}}}}}]}}"#
    );
    s.client().put_bucket_policy().bucket("data").policy(deny_role).send().await.unwrap();
    let sts = sts_client(&s, &key_of("alice"), "alice-secret", None);
    let out = sts.assume_role().role_arn(ROLE).role_session_name("s1").send().await.unwrap();
    let session = s3_with_session(&s, out.credentials().unwrap());
    let (status, code, message) = sdk_error(session.get_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            &format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/s1"),
            "s3:GetObject",
            "arn:aws:s3:::data/k",
            "with an explicit deny in a resource-based policy"
        )
    );
}

#[tokio::test]
async fn tag_condition_keys_are_the_requests_and_the_objects() {
    let public_tags_only = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::data/*","Condition":{"StringEquals":{"s3:RequestObjectTag/class":"public"}}}]}"#;
    let s =
        TestServer::start_with(|c| c.users = vec![user("tagger", &[public_tags_only]), user("reader", &[EVERYTHING])])
            .await;
    s.create_bucket("data").await;
    let root = s.client();
    put(&root, "data", "k", b"hello", None).await;
    put(&root, "data", "secret", b"classified", None).await;
    let tagging = |class: &str| {
        let tag = aws_sdk_s3::types::Tag::builder().key("class").value(class).build().unwrap();
        aws_sdk_s3::types::Tagging::builder().tag_set(tag).build().unwrap()
    };
    // PutObjectTagging is judged with the tag set its body names.
    let tagger = as_user(&s, "tagger");
    tagger.put_object_tagging().bucket("data").key("k").tagging(tagging("public")).send().await.unwrap();
    let err = tagger.put_object_tagging().bucket("data").key("k").tagging(tagging("secret")).send().await.unwrap_err();
    let (status, code, message) = sdk_error(err);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            &user_arn("tagger"),
            "s3:PutObjectTagging",
            "arn:aws:s3:::data/k",
            "because no identity-based policy allows the s3:PutObjectTagging action"
        )
    );
    let tags = root.get_object_tagging().bucket("data").key("k").send().await.unwrap();
    assert_eq!(tags.tag_set()[0].value(), "public");
    // Reads see the object's own tags.
    root.put_object_tagging().bucket("data").key("secret").tagging(tagging("secret")).send().await.unwrap();
    let no_secrets = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"secret"}}}]}"#;
    root.put_bucket_policy().bucket("data").policy(no_secrets).send().await.unwrap();
    let reader = as_user(&s, "reader");
    reader.get_object().bucket("data").key("k").send().await.unwrap();
    let (status, code, message) = sdk_error(reader.get_object().bucket("data").key("secret").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        denied(
            &user_arn("reader"),
            "s3:GetObject",
            "arn:aws:s3:::data/secret",
            "with an explicit deny in a resource-based policy"
        )
    );
}

#[tokio::test]
async fn tag_counts_are_shown_to_whoever_may_read_tags() {
    let no_tags = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"s3:GetObjectTagging","Resource":"*"}]}"#;
    let s = TestServer::start_with(|c| c.users = vec![user("blind", &[no_tags])]).await;
    s.create_bucket("data").await;
    let root = s.client();
    root.put_object()
        .bucket("data")
        .key("k")
        .tagging("a=1&b=2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let got = root.get_object().bucket("data").key("k").send().await.unwrap();
    assert_eq!(got.tag_count(), Some(2));
    let got = as_user(&s, "blind").get_object().bucket("data").key("k").send().await.unwrap();
    assert_eq!(got.tag_count(), None, "S3 gives x-amz-tagging-count only to whoever may read the tags");
    let head = as_user(&s, "blind").head_object().bucket("data").key("k").send().await.unwrap();
    assert_eq!(head.tag_count(), None);
}

#[tokio::test]
async fn keys_present_in_every_aws_request_are_present() {
    let deny_region = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},
        {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*","Condition":{"Bool":{"aws:PrincipalIsAWSService":"false","aws:ViaAWSService":"false"}}}]}"#;
    let s = TestServer::start_with(|c| c.users = vec![user("regional", &[deny_region])]).await;
    s.create_bucket("data").await;
    put(&s.client(), "data", "k", b"x", None).await;
    let c = as_user(&s, "regional");
    let arn = "arn:aws:s3:::data/k";
    let why = "with an explicit deny in an identity-based policy";
    let (_, _, message) = sdk_error(c.get_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!(message, denied(&user_arn("regional"), "s3:GetObject", arn, why));
    let (_, _, message) = sdk_error(c.delete_object().bucket("data").key("k").send().await.unwrap_err());
    assert_eq!(message, denied(&user_arn("regional"), "s3:DeleteObject", arn, why));
}

#[tokio::test]
async fn a_missing_copy_source_is_told_only_to_whoever_may_list_it() {
    let other = "444455556666";
    let s = TestServer::start_with(|c| {
        c.accounts = vec![s3strict::config::AccountSettings { id: other.into(), access_key: None, secret_key: None }];
        c.users = vec![UserSettings { account: Some(other.into()), ..user("carol", &[EVERYTHING]) }];
    })
    .await;
    s.create_bucket("srcb").await;
    put(&s.client(), "srcb", "there", b"x", None).await;
    let read_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{other}:user/carol"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::srcb/*"}}]}}"#
    );
    s.client().put_bucket_policy().bucket("srcb").policy(read_only).send().await.unwrap();
    let carol = as_user(&s, "carol");
    carol.create_bucket().bucket("carols").send().await.unwrap();
    carol.copy_object().bucket("carols").key("c").copy_source("srcb/there").send().await.unwrap();
    // carol may read srcb's objects, not list them: a missing one is Access Denied, as a GET is.
    let (status, code, message) =
        sdk_error(carol.copy_object().bucket("carols").key("c").copy_source("srcb/missing").send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (403, "AccessDenied", "Access Denied"));
    let (status, code, _) = sdk_error(carol.get_object().bucket("srcb").key("missing").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn a_browsers_cookies_are_not_echoed_in_signature_errors() {
    let s = TestServer::start().await;
    s.create_bucket("data").await;
    // A page on this origin signs `cookie` into a URL; the browser sends every cookie it holds for
    // the host, other local apps' HttpOnly ones included. The mismatch's canonical request must
    // not hand them back.
    let target = presign(s.addr, "GET", "/data/k", &[], &[("cookie", "guess")], 300);
    let r = s.raw("GET", &target, &[("cookie", "notebook_session=s3cr3t-httponly")], b"").await;
    let doc = r.assert_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    let shown = doc.get("CanonicalRequest").unwrap().to_string();
    assert!(
        shown.contains("\ncookie:(withheld: a browser's credentials are not echoed; the auth log has them)\n"),
        "{shown}"
    );
    assert!(!r.text().contains("s3cr3t"), "{}", r.text());
    let hex: String = "s3cr3t".bytes().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    assert!(!r.text().contains(&hex), "the byte dump withholds it too");
    // The administrator's log keeps what was received.
    let log = s.lib().auth_log();
    assert!(log[0].canonical_request.as_deref().is_some_and(|c| c.contains("notebook_session=s3cr3t-httponly")));
}
