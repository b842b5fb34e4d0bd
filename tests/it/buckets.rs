//! Bucket operations through the Rust SDK, and their S3 errors.

use crate::common::*;

#[tokio::test]
async fn create_head_list_locate_delete() {
    let s = TestServer::start().await;
    let c = s.client();
    c.create_bucket().bucket("alpha").send().await.unwrap();
    c.create_bucket().bucket("beta.2").send().await.unwrap();
    let head = c.head_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let list = c.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta.2"]);
    assert!(list.buckets()[0].creation_date().is_some());
    assert!(list.owner().and_then(|o| o.id()).is_some_and(|id| id.len() == 64));
    let loc = c.get_bucket_location().bucket("alpha").send().await.unwrap();
    assert!(loc.location_constraint().is_none_or(|l| l.as_str().is_empty()), "{loc:?}");
    c.delete_bucket().bucket("alpha").send().await.unwrap();
    let list = c.list_buckets().send().await.unwrap();
    assert_eq!(list.buckets().len(), 1);
}

#[tokio::test]
async fn create_twice_is_already_owned() {
    let s = TestServer::start().await;
    s.create_bucket("dup").await;
    let r = s.signed(SignedRequest::new("PUT", "/dup")).await;
    let doc = r.assert_error(
        409,
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    );
    assert_eq!(doc.get("BucketName"), Some("dup"));
    assert_eq!(doc.names(), ["Code", "Message", "BucketName", "RequestId", "HostId"]);
}

#[tokio::test]
async fn invalid_bucket_names() {
    let s = TestServer::start().await;
    for name in ["ab", "UPPER", "-lead", "trail-", "a..b", "192.168.1.1", "under_score", "xn--punycode", "x-s3alias"] {
        let path = format!("/{name}");
        let r = s.signed(SignedRequest::new("PUT", &path)).await;
        let doc = r.assert_error(400, "InvalidBucketName", "The specified bucket is not valid.");
        assert_eq!(doc.get("BucketName"), Some(name));
    }
    let long = "a".repeat(64);
    let path = format!("/{long}");
    s.signed(SignedRequest::new("PUT", &path)).await.assert_error(
        400,
        "InvalidBucketName",
        "The specified bucket is not valid.",
    );
}

#[tokio::test]
async fn location_constraint_must_match_region() {
    let s = TestServer::start().await;
    let body = b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    let r = s.signed(SignedRequest::new("PUT", "/wrongregion").body(body)).await;
    r.assert_error(
        400,
        "IllegalLocationConstraintException",
        "The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to.",
    );
    let body =
        b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>";
    let r = s.signed(SignedRequest::new("PUT", "/explicit").body(body)).await;
    r.assert_error(400, "InvalidLocationConstraint", "The specified location-constraint is not valid");
    let r = s.signed(SignedRequest::new("PUT", "/badxml").body(b"<CreateBucketConfiguration>")).await;
    r.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    // An empty configuration is fine in us-east-1.
    let body = b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
    assert_eq!(s.signed(SignedRequest::new("PUT", "/emptycfg").body(body)).await.status, 200);
}

#[tokio::test]
async fn other_region_server() {
    let s = TestServer::start_with(|c| c.region = "eu-central-1".into()).await;
    let c = client_for(&s.endpoint(), AK, SK, "eu-central-1");
    c.create_bucket()
        .bucket("euro")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let loc = c.get_bucket_location().bucket("euro").send().await.unwrap();
    assert_eq!(loc.location_constraint().map(|l| l.as_str()), Some("eu-central-1"));
    let mut req = SignedRequest::new("PUT", "/nocfg");
    req.region = "eu-central-1";
    s.signed(req).await.assert_error(
        400,
        "IllegalLocationConstraintException",
        "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
    );
}

#[tokio::test]
async fn missing_and_non_empty_buckets() {
    let s = TestServer::start().await;
    let c = s.client();
    let err = c.head_bucket().bucket("nope").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    let r = s.signed(SignedRequest::new("HEAD", "/nope")).await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    let r = s.signed(SignedRequest::new("DELETE", "/nope")).await;
    let doc = r.assert_error(404, "NoSuchBucket", "The specified bucket does not exist");
    assert_eq!(doc.get("BucketName"), Some("nope"));
    s.signed(SignedRequest::new("GET", "/nope").query("list-type=2")).await.assert_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
    s.create_bucket("full").await;
    c.put_object().bucket("full").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    let r = s.signed(SignedRequest::new("DELETE", "/full")).await;
    let doc = r.assert_error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty");
    assert_eq!(doc.get("BucketName"), Some("full"));
    c.delete_object().bucket("full").key("k").send().await.unwrap();
    c.delete_bucket().bucket("full").send().await.unwrap();
}

#[tokio::test]
async fn unsupported_apis_say_not_implemented() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for (method, path, query) in
        [("PUT", "/bkt", "versioning"), ("PUT", "/bkt", "lifecycle"), ("PUT", "/bkt/k", "tagging")]
    {
        let r = s.signed(SignedRequest::new(method, path).query(query)).await;
        r.assert_error(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
    }
    let r = s.signed(SignedRequest::new("PATCH", "/bkt/k")).await;
    r.assert_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
}

/// Tools probe versioning, ACLs and tags: s3strict answers what is true of it (never versioned,
/// owner FULL_CONTROL, no tags) and refuses to change them.
#[tokio::test]
async fn read_only_defaults_for_unmodelled_features() {
    let s = TestServer::start().await;
    s.create_bucket("plain").await;
    let c = s.client();
    c.put_object().bucket("plain").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    let v = c.get_bucket_versioning().bucket("plain").send().await.unwrap();
    assert!(v.status().is_none());
    let acl = c.get_bucket_acl().bucket("plain").send().await.unwrap();
    let grant = &acl.grants()[0];
    assert_eq!(grant.permission().map(|p| p.as_str()), Some("FULL_CONTROL"));
    assert_eq!(grant.grantee().and_then(|g| g.id()), acl.owner().and_then(|o| o.id()));
    let acl = c.get_object_acl().bucket("plain").key("k").send().await.unwrap();
    assert_eq!(acl.grants().len(), 1);
    let tags = c.get_object_tagging().bucket("plain").key("k").send().await.unwrap();
    assert!(tags.tag_set().is_empty());
    let r = s.signed(SignedRequest::new("GET", "/plain").query("tagging")).await;
    let doc = r.assert_error(404, "NoSuchTagSet", "The TagSet does not exist");
    assert_eq!(doc.get("BucketName"), Some("plain"));
    let r = s.signed(SignedRequest::new("GET", "/plain/missing").query("acl")).await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    let r = s.signed(SignedRequest::new("GET", "/nobucket").query("versioning")).await;
    r.assert_error(404, "NoSuchBucket", "The specified bucket does not exist");
    let r = s.signed(SignedRequest::new("PUT", "/plain").query("versioning").body(b"<VersioningConfiguration/>")).await;
    r.assert_error(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
}
