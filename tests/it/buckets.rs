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

/// S3's error documentation: re-creating a bucket you own answers 200 OK in North Virginia (for
/// legacy compatibility, resetting its ACL) and 409 `BucketAlreadyOwnedByYou` everywhere else.
#[tokio::test]
async fn create_twice_is_ok_in_us_east_1() {
    let s = TestServer::start_with(|c| c.legacy_bucket_defaults = true).await;
    let c = s.client();
    c.create_bucket().bucket("dup").acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead).send().await.unwrap();
    let grants = c.get_bucket_acl().bucket("dup").send().await.unwrap();
    assert_eq!(grants.grants().len(), 2, "owner and AllUsers");
    c.put_object().bucket("dup").key("kept").body(b"x".to_vec().into()).send().await.unwrap();
    let r = s.signed(SignedRequest::new("PUT", "/dup")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("location"), Some("/dup"));
    let grants = c.get_bucket_acl().bucket("dup").send().await.unwrap();
    assert_eq!(grants.grants().len(), 1, "the ACL is reset to private: {grants:?}");
    assert_eq!(c.list_objects_v2().bucket("dup").send().await.unwrap().key_count(), Some(1), "objects stay");
}

#[tokio::test]
async fn create_twice_elsewhere_is_already_owned() {
    let s = TestServer::start_with(|c| c.region = "eu-west-1".into()).await;
    let body =
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    let put = || {
        let mut req = SignedRequest::new("PUT", "/dup").body(body);
        req.region = "eu-west-1";
        req
    };
    assert_eq!(s.signed(put()).await.status, 200);
    let r = s.signed(put()).await;
    let doc = r.assert_error(
        409,
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    );
    assert_eq!(doc.get("BucketName"), Some("dup"));
    assert_eq!(doc.names(), ["Code", "Message", "BucketName", "RequestId", "HostId"]);
}

/// A bucket whose only content is multipart uploads in progress is deleted, uploads and all.
#[tokio::test]
async fn delete_bucket_with_only_uploads_in_progress() {
    let s = TestServer::start().await;
    let c = s.client();
    s.create_bucket("pending").await;
    let up = c.create_multipart_upload().bucket("pending").key("big").send().await.unwrap();
    let id = up.upload_id().unwrap();
    c.upload_part()
        .bucket("pending")
        .key("big")
        .upload_id(id)
        .part_number(1)
        .body(vec![1u8; 1024].into())
        .send()
        .await
        .unwrap();
    let files_before = count_files(&s.data_dir().join("blobs"));
    c.delete_bucket().bucket("pending").send().await.unwrap();
    let err = c.head_bucket().bucket("pending").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_eq!(count_files(&s.data_dir().join("blobs")), files_before - 1, "the part's body is removed");
    // Created again, the bucket has no trace of the upload.
    s.create_bucket("pending").await;
    let uploads = c.list_multipart_uploads().bucket("pending").send().await.unwrap();
    assert!(uploads.uploads().is_empty());
    let err = c.list_parts().bucket("pending").key("big").upload_id(id).send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "NoSuchUpload");
}

fn count_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            n += count_files(&path);
        } else {
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn invalid_bucket_names() {
    let s = TestServer::start().await;
    for name in [
        "ab",
        "UPPER",
        "-lead",
        "trail-",
        "a..b",
        "a.-b",
        "a-.b",
        "192.168.1.1",
        "under_score",
        "xn--punycode",
        "sthree-x",
        "amzn-s3-demo-bucket",
        "x-s3alias",
        "x--ol-s3",
        "x.mrap",
        "x--x-s3",
        "x--table-s3",
    ] {
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
        [("PUT", "/bkt", "replication"), ("PUT", "/bkt", "lifecycle"), ("PUT", "/bkt/k", "retention")]
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
    // A configuration without a Status changes nothing.
    let r = s.signed(SignedRequest::new("PUT", "/plain").query("versioning").body(b"<VersioningConfiguration/>")).await;
    assert_eq!(r.status, 200);
    assert!(c.get_bucket_versioning().bucket("plain").send().await.unwrap().status().is_none());
}

/// Reads of bucket settings s3strict does not model answer as S3 does for a bucket that never had
/// them: through the SDK, and raw for S3's exact codes and messages. Writes stay 501.
#[tokio::test]
async fn unmodelled_bucket_settings_read_as_s3_defaults() {
    let s = TestServer::start().await;
    s.create_bucket("plain").await;
    let c = s.client();
    let n = c.get_bucket_notification_configuration().bucket("plain").send().await.unwrap();
    assert!(
        n.topic_configurations().is_empty()
            && n.queue_configurations().is_empty()
            && n.event_bridge_configuration().is_none()
    );
    let e = c.get_bucket_encryption().bucket("plain").send().await.unwrap();
    let rule = &e.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm().as_str(), "AES256");
    assert_eq!(rule.bucket_key_enabled(), Some(false));
    assert!(c.get_bucket_logging().bucket("plain").send().await.unwrap().logging_enabled().is_none());
    let payer = c.get_bucket_request_payment().bucket("plain").send().await.unwrap();
    assert_eq!(payer.payer().map(|p| p.as_str()), Some("BucketOwner"));
    assert!(c.get_bucket_accelerate_configuration().bucket("plain").send().await.unwrap().status().is_none());
    let a = c.list_bucket_analytics_configurations().bucket("plain").send().await.unwrap();
    assert!(a.analytics_configuration_list().is_empty() && a.is_truncated() == Some(false));
    let m = c.list_bucket_metrics_configurations().bucket("plain").send().await.unwrap();
    assert!(m.metrics_configuration_list().is_empty());
    let i = c.list_bucket_inventory_configurations().bucket("plain").send().await.unwrap();
    assert!(i.inventory_configuration_list().is_empty());
    let t = c.list_bucket_intelligent_tiering_configurations().bucket("plain").send().await.unwrap();
    assert!(t.intelligent_tiering_configuration_list().is_empty());
    let err = c.get_bucket_lifecycle_configuration().bucket("plain").send().await.unwrap_err();
    assert_eq!(
        sdk_error(err),
        (404, "NoSuchLifecycleConfiguration".into(), "The lifecycle configuration does not exist".into())
    );
    let err = c.get_bucket_website().bucket("plain").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "NoSuchWebsiteConfiguration");
    let err = c.get_object_lock_configuration().bucket("plain").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "ObjectLockConfigurationNotFoundError");
    let err = c.get_bucket_replication().bucket("plain").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "ReplicationConfigurationNotFoundError");
    let err = c.get_bucket_analytics_configuration().bucket("plain").id("x").send().await.unwrap_err();
    assert_eq!(
        sdk_error(err),
        (404, "NoSuchConfiguration".into(), "The specified configuration does not exist.".into())
    );

    for (query, code, message) in [
        ("lifecycle", "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
        ("website", "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
        (
            "object-lock",
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        ),
        ("replication", "ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
    ] {
        let doc = s.signed(SignedRequest::new("GET", "/plain").query(query)).await.assert_error(404, code, message);
        assert_eq!(doc.get("BucketName"), Some("plain"), "{query}");
    }
    let r = s.signed(SignedRequest::new("GET", "/plain").query("requestPayment")).await;
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RequestPaymentConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>"
    );
    s.signed(SignedRequest::new("GET", "/missing").query("encryption")).await.assert_error(
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
    for query in ["lifecycle", "encryption", "notification", "website"] {
        let r = s.signed(SignedRequest::new("PUT", "/plain").query(query).body(b"<x/>")).await;
        r.assert_error(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
    }
}

/// ListBuckets pages, filters by prefix and region, and echoes the prefix (S3's 2024 additions),
/// through the SDK's paginator fields; bad bounds and tokens are S3's InvalidArgument.
#[tokio::test]
async fn list_buckets_pages_and_filters() {
    let s = TestServer::start().await;
    for name in ["app-a", "app-b", "app-c", "other"] {
        s.create_bucket(name).await;
    }
    let c = s.client();
    let first = c.list_buckets().max_buckets(2).send().await.unwrap();
    let names = |l: &aws_sdk_s3::operation::list_buckets::ListBucketsOutput| {
        l.buckets().iter().map(|b| b.name().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&first), ["app-a", "app-b"]);
    assert_eq!(first.buckets()[0].bucket_region(), Some("us-east-1"));
    let token = first.continuation_token().unwrap().to_string();
    let second = c.list_buckets().max_buckets(2).continuation_token(&token).send().await.unwrap();
    assert_eq!(names(&second), ["app-c", "other"]);
    assert_eq!(second.continuation_token(), None, "the last page");
    let filtered = c.list_buckets().prefix("app-").max_buckets(10).send().await.unwrap();
    assert_eq!(names(&filtered), ["app-a", "app-b", "app-c"]);
    assert_eq!(filtered.prefix(), Some("app-"));
    assert!(c.list_buckets().bucket_region("eu-west-1").send().await.unwrap().buckets().is_empty());
    assert_eq!(c.list_buckets().bucket_region("us-east-1").send().await.unwrap().buckets().len(), 4);
    let all = c.list_buckets().send().await.unwrap();
    assert_eq!((names(&all).len(), all.continuation_token(), all.prefix()), (4, None, None));

    for (query, message, name, value) in [
        ("max-buckets=0", "Argument max-buckets must be an integer between 1 and 10000.", "max-buckets", "0"),
        ("max-buckets=10001", "Argument max-buckets must be an integer between 1 and 10000.", "max-buckets", "10001"),
        ("continuation-token=%25%25", "The continuation token provided is incorrect", "continuation-token", "%%"),
    ] {
        let doc =
            s.signed(SignedRequest::new("GET", "/").query(query)).await.assert_error(400, "InvalidArgument", message);
        assert_eq!((doc.get("ArgumentName"), doc.get("ArgumentValue")), (Some(name), Some(value)));
    }
}
