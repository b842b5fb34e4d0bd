//! ACLs, Object Ownership and Block Public Access as S3 has them today: new buckets with ACLs
//! disabled and public access blocked, the settings that open them, public reads exactly where
//! an ACL or a public bucket policy allows them and Block Public Access does not forbid them, and
//! objects owned by the account that wrote them.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketCannedAcl, ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration,
};
use s3strict::config::{AccountSettings, PolicyText, UserSettings};

use crate::common::*;

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "444455556666";
const CAROL: (&str, &str) = ("AKIACAROL00000000000", "carol-secret");

fn canonical(account: &str) -> String {
    s3strict::iam::canonical_id(account)
}

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

async fn put(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    acl: Option<ObjectCannedAcl>,
) -> Result<(), (u16, String, String)> {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .set_acl(acl)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .map(|_| ())
        .map_err(sdk_error)
}

async fn anonymous_get(s: &TestServer, bucket: &str, key: &str) -> RawResponse {
    s.raw("GET", &format!("/{bucket}/{key}"), &[], b"").await
}

async fn open_to_acls(s: &TestServer, bucket: &str, ownership: ObjectOwnership) {
    let c = s.client();
    c.create_bucket().bucket(bucket).object_ownership(ownership).send().await.unwrap();
    c.delete_public_access_block().bucket(bucket).send().await.unwrap();
}

#[tokio::test]
async fn new_buckets_disable_acls_and_block_public_access() {
    let s = server().await;
    let c = s.client();
    c.create_bucket().bucket("fresh").send().await.unwrap();
    let own = c.get_bucket_ownership_controls().bucket("fresh").send().await.unwrap();
    let rule = &own.ownership_controls().unwrap().rules()[0];
    assert_eq!(rule.object_ownership(), &ObjectOwnership::BucketOwnerEnforced);
    let pab = c.get_public_access_block().bucket("fresh").send().await.unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let acl_error = (400, "AccessControlListNotSupported".to_string(), "The bucket does not allow ACLs".to_string());
    assert_eq!(put(&c, "fresh", "k", Some(ObjectCannedAcl::PublicRead)).await.unwrap_err(), acl_error);
    put(&c, "fresh", "k", Some(ObjectCannedAcl::BucketOwnerFullControl)).await.unwrap();
    let err = c.put_bucket_acl().bucket("fresh").acl(BucketCannedAcl::PublicRead).send().await.unwrap_err();
    assert_eq!(sdk_error(err), acl_error);
    // Reading ACLs still works: the owner's FULL_CONTROL.
    let acl = c.get_object_acl().bucket("fresh").key("k").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(canonical(ACCOUNT).as_str()));
    let grant = &acl.grants()[0];
    assert_eq!(grant.permission().map(|p| p.as_str()), Some("FULL_CONTROL"));
    assert_eq!(grant.grantee().and_then(|g| g.id()), Some(canonical(ACCOUNT).as_str()));

    let err = c.create_bucket().bucket("public").acl(BucketCannedAcl::PublicRead).send().await.unwrap_err();
    assert_eq!(
        sdk_error(err),
        (
            400,
            "InvalidBucketAclWithObjectOwnership".into(),
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting".into()
        )
    );
    let r = s.signed(SignedRequest::new("PUT", "/odd").header("x-amz-object-ownership", "Bogus")).await;
    let doc = r.assert_error(400, "InvalidArgument", "Invalid x-amz-object-ownership header: Bogus");
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-object-ownership"));
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::fresh/*"}]}"#;
    let err = c.put_bucket_policy().bucket("fresh").policy(public).send().await.unwrap_err();
    assert_eq!(
        sdk_error(err),
        (
            403,
            "AccessDenied".into(),
            format!("User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::fresh\" because public policies are blocked by the BlockPublicPolicy block public access setting.")
        )
    );
    anonymous_get(&s, "fresh", "k").await.assert_error(403, "AccessDenied", "Access Denied");
}

#[tokio::test]
async fn public_reads_where_acls_and_block_public_access_allow_them() {
    let s = server().await;
    let c = s.client();
    c.create_bucket().bucket("site").object_ownership(ObjectOwnership::ObjectWriter).send().await.unwrap();
    // Public access is still blocked.
    let blocked = put(&c, "site", "index.html", Some(ObjectCannedAcl::PublicRead)).await.unwrap_err();
    assert_eq!(
        blocked,
        (
            403,
            "AccessDenied".into(),
            format!("User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::site/index.html\" because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting.")
        )
    );
    c.delete_public_access_block().bucket("site").send().await.unwrap();
    let (status, code, _) = sdk_error(c.get_public_access_block().bucket("site").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "NoSuchPublicAccessBlockConfiguration"));
    put(&c, "site", "index.html", Some(ObjectCannedAcl::PublicRead)).await.unwrap();
    put(&c, "site", "private.html", None).await.unwrap();
    let r = anonymous_get(&s, "site", "index.html").await;
    assert_eq!((r.status, r.text().as_str()), (200, "data"));
    anonymous_get(&s, "site", "private.html").await.assert_error(403, "AccessDenied", "Access Denied");
    let acl = c.get_object_acl().bucket("site").key("index.html").send().await.unwrap();
    let public = acl.grants().iter().any(|g| {
        g.grantee().and_then(|g| g.uri()) == Some("http://acs.amazonaws.com/groups/global/AllUsers")
            && g.permission().map(|p| p.as_str()) == Some("READ")
    });
    assert!(public, "{acl:?}");

    // IgnorePublicAcls makes the public grant count for nothing.
    let ignore = PublicAccessBlockConfiguration::builder().ignore_public_acls(true).build();
    c.put_public_access_block().bucket("site").public_access_block_configuration(ignore).send().await.unwrap();
    anonymous_get(&s, "site", "index.html").await.assert_error(403, "AccessDenied", "Access Denied");

    // A public bucket policy opens every object, until RestrictPublicBuckets keeps it to the account.
    c.delete_public_access_block().bucket("site").send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#;
    c.put_bucket_policy().bucket("site").policy(policy).send().await.unwrap();
    let status = c.get_bucket_policy_status().bucket("site").send().await.unwrap();
    assert_eq!(status.policy_status().and_then(|p| p.is_public()), Some(true));
    assert_eq!(anonymous_get(&s, "site", "private.html").await.status, 200);
    let restrict = PublicAccessBlockConfiguration::builder().restrict_public_buckets(true).build();
    c.put_public_access_block().bucket("site").public_access_block_configuration(restrict).send().await.unwrap();
    anonymous_get(&s, "site", "private.html").await.assert_error(403, "AccessDenied", "Access Denied");
}

#[tokio::test]
async fn objects_belong_to_the_account_that_wrote_them() {
    let s = server().await;
    let root = s.client();
    open_to_acls(&s, "shared", ObjectOwnership::ObjectWriter).await;
    // The bucket ACL lets the other account write.
    let grant = format!("id=\"{}\"", canonical(OTHER));
    root.put_bucket_acl()
        .bucket("shared")
        .grant_write(&grant)
        .grant_full_control(format!("id=\"{}\"", canonical(ACCOUNT)))
        .send()
        .await
        .unwrap();
    let carol = client_for(&s.endpoint(), CAROL.0, CAROL.1, REGION);
    put(&carol, "shared", "theirs", None).await.unwrap();
    let acl = carol.get_object_acl().bucket("shared").key("theirs").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(canonical(OTHER).as_str()));
    // The bucket owner cannot read an object another account owns without a grant.
    let (status, code, message) = sdk_error(root.get_object().bucket("shared").key("theirs").send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (403, "AccessDenied", "Access Denied"));
    put(&carol, "shared", "given", Some(ObjectCannedAcl::BucketOwnerFullControl)).await.unwrap();
    root.get_object().bucket("shared").key("given").send().await.unwrap();

    // With BucketOwnerPreferred, bucket-owner-full-control hands the object to the bucket owner.
    let preferred = OwnershipControls::builder()
        .rules(
            OwnershipControlsRule::builder().object_ownership(ObjectOwnership::BucketOwnerPreferred).build().unwrap(),
        )
        .build()
        .unwrap();
    root.put_bucket_ownership_controls().bucket("shared").ownership_controls(preferred).send().await.unwrap();
    put(&carol, "shared", "handed", Some(ObjectCannedAcl::BucketOwnerFullControl)).await.unwrap();
    let acl = root.get_object_acl().bucket("shared").key("handed").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(canonical(ACCOUNT).as_str()));

    // ACLs that grant to others cannot stay when ACLs are disabled.
    let enforced = OwnershipControls::builder()
        .rules(OwnershipControlsRule::builder().object_ownership(ObjectOwnership::BucketOwnerEnforced).build().unwrap())
        .build()
        .unwrap();
    let err =
        root.put_bucket_ownership_controls().bucket("shared").ownership_controls(enforced).send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "InvalidBucketAclWithObjectOwnership");
}

#[tokio::test]
async fn acl_requests_are_refused_as_s3_refuses_them() {
    let s = server().await;
    open_to_acls(&s, "acls", ObjectOwnership::ObjectWriter).await;
    let put_acl = |extra: Vec<(&'static str, String)>, body: &'static [u8]| {
        let mut req = SignedRequest::new("PUT", "/acls").query("acl").body(body);
        req.headers.extend(extra);
        req
    };
    let r = s.signed(put_acl(vec![("x-amz-acl", "fake-acl".into())], b"")).await;
    assert_eq!(r.status, 400);
    let doc = r.error();
    assert_eq!((doc.code.as_str(), doc.get("Message")), ("InvalidArgument", None));
    assert_eq!((doc.get("ArgumentName"), doc.get("ArgumentValue")), (Some("x-amz-acl"), Some("fake-acl")));
    let both = vec![("x-amz-acl", "private".into()), ("x-amz-grant-read", format!("id=\"{}\"", canonical(OTHER)))];
    s.signed(put_acl(both, b"")).await.assert_error(
        400,
        "InvalidRequest",
        "Specifying both Canned ACLs and Header Grants is not allowed",
    );
    let r = s.signed(put_acl(vec![("x-amz-grant-write", "fakekey=\"1234\"".into())], b"")).await;
    let doc = r.assert_error(400, "InvalidArgument", "Argument format not recognized");
    assert_eq!(
        (doc.get("ArgumentName"), doc.get("ArgumentValue")),
        (Some("x-amz-grant-write"), Some("fakekey=\"1234\""))
    );
    let r = s.signed(put_acl(vec![("x-amz-grant-write", "id=\"wrong-id\"".into())], b"")).await;
    let doc = r.assert_error(400, "InvalidArgument", "Invalid id");
    assert_eq!((doc.get("ArgumentName"), doc.get("ArgumentValue")), (Some("id"), Some("wrong-id")));
    let r = s
        .signed(put_acl(vec![("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/s3/FakeGroup\"".into())], b""))
        .await;
    r.assert_error(400, "InvalidArgument", "Invalid group uri");
    let r = s.signed(put_acl(vec![], b"")).await;
    let doc = r.assert_error(400, "MissingSecurityHeader", "Your request was missing a required header");
    assert_eq!(doc.get("MissingHeaderName"), Some("x-amz-acl"));
    let acp = b"<AccessControlPolicy><AccessControlList></AccessControlList></AccessControlPolicy>";
    s.signed(put_acl(vec![("x-amz-acl", "private".into())], acp)).await.assert_error(
        400,
        "UnexpectedContent",
        "This request does not support content",
    );
    s.signed(put_acl(vec![], acp)).await.assert_error(
        400,
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    let root = s.client();
    let (status, code, message) =
        sdk_error(root.get_bucket_ownership_controls().bucket("missing").send().await.unwrap_err());
    assert_eq!((status, code.as_str(), message.as_str()), (404, "NoSuchBucket", "The specified bucket does not exist"));
    root.delete_bucket_ownership_controls().bucket("acls").send().await.unwrap();
    let (status, code, message) =
        sdk_error(root.get_bucket_ownership_controls().bucket("acls").send().await.unwrap_err());
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (404, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
    );
    let r = s
        .signed(
            SignedRequest::new("PUT", "/acls").query("ownershipControls").body(
                b"<OwnershipControls><Rule><ObjectOwnership>Whatever</ObjectOwnership></Rule></OwnershipControls>",
            ),
        )
        .await;
    r.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
}

#[tokio::test]
async fn legacy_bucket_defaults() {
    let s = TestServer::start_with(|c| c.legacy_bucket_defaults = true).await;
    let c = s.client();
    c.create_bucket().bucket("old").send().await.unwrap();
    let (status, code, _) = sdk_error(c.get_bucket_ownership_controls().bucket("old").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "OwnershipControlsNotFoundError"));
    let (status, code, _) = sdk_error(c.get_public_access_block().bucket("old").send().await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "NoSuchPublicAccessBlockConfiguration"));
    c.create_bucket().bucket("oldpublic").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    put(&c, "old", "k", Some(ObjectCannedAcl::PublicRead)).await.unwrap();
    assert_eq!(anonymous_get(&s, "old", "k").await.status, 200);
    // A public-read bucket lists to anyone.
    let r = s.raw("GET", "/oldpublic?list-type=2", &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A public-read-write bucket takes anonymous writes; a private one does not.
    c.create_bucket().bucket("dropbox").acl(BucketCannedAcl::PublicReadWrite).send().await.unwrap();
    let r = s.raw("PUT", "/dropbox/anon.txt", &[], b"from anyone").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = c.get_object().bucket("dropbox").key("anon.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"from anyone");
    s.raw("PUT", "/old/anon.txt", &[], b"x").await.assert_error(403, "AccessDenied", "Access Denied");
}
