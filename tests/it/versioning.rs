//! Versioning through the SDK: enabling and suspending, versions and their ids, delete markers,
//! reads and deletes of one version, ListObjectVersions, DeleteObjects with versions, versioned
//! copy sources, and what a restart keeps.

use aws_sdk_s3::types::{BucketVersioningStatus, Delete, ObjectIdentifier, VersioningConfiguration};

use crate::common::*;

async fn enable(c: &aws_sdk_s3::Client, bucket: &str, status: BucketVersioningStatus) {
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

async fn body(c: &aws_sdk_s3::Client, bucket: &str, key: &str, version: Option<&str>) -> Vec<u8> {
    let got = c.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_string)).send().await.unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn versions_markers_and_listing() {
    let s = TestServer::start().await;
    s.create_bucket("ver").await;
    let c = s.client();
    // Before versioning: no version header, one null version.
    let before = c.put_object().bucket("ver").key("k").body(b"v0".to_vec().into()).send().await.unwrap();
    assert_eq!(before.version_id(), None);
    enable(&c, "ver", BucketVersioningStatus::Enabled).await;
    let status = c.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Enabled));

    let v1 = c.put_object().bucket("ver").key("k").body(b"v1".to_vec().into()).send().await.unwrap();
    let v2 = c.put_object().bucket("ver").key("k").body(b"v2".to_vec().into()).send().await.unwrap();
    let (id1, id2) = (v1.version_id().unwrap().to_string(), v2.version_id().unwrap().to_string());
    assert_eq!(id1.len(), 32);
    assert_ne!(id1, id2);
    assert_eq!(body(&c, "ver", "k", None).await, b"v2");
    assert_eq!(body(&c, "ver", "k", Some(&id1)).await, b"v1");
    assert_eq!(body(&c, "ver", "k", Some("null")).await, b"v0", "the version from before versioning");
    let head = c.head_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(head.version_id(), Some(id2.as_str()));

    // A delete puts a marker on top: the key is gone, its versions stay.
    let del = c.delete_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_string();
    let r = s.signed(SignedRequest::new("GET", "/ver/k")).await;
    r.assert_error(404, "NoSuchKey", "The specified key does not exist.");
    assert_eq!((r.header("x-amz-delete-marker"), r.header("x-amz-version-id")), (Some("true"), Some(marker.as_str())));
    assert_eq!(body(&c, "ver", "k", Some(&id2)).await, b"v2");
    let r = s.signed(SignedRequest::new("GET", "/ver/k").query(&format!("versionId={marker}"))).await;
    let doc = r.assert_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    assert_eq!((doc.get("Method"), doc.get("ResourceType")), (Some("GET"), Some("DeleteMarker")));
    assert_eq!((r.header("x-amz-delete-marker"), r.header("allow")), (Some("true"), Some("DELETE")));
    // So do its tags, ACL and attributes.
    for (query, attrs) in [("tagging", ""), ("acl", ""), ("attributes", "ETag")] {
        let q = format!("{query}&versionId={marker}");
        let mut req = SignedRequest::new("GET", "/ver/k").query(&q);
        if !attrs.is_empty() {
            req = req.header("x-amz-object-attributes", attrs);
        }
        let r = s.signed(req).await;
        let doc = r.assert_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
        assert_eq!(doc.get("ResourceType"), Some("DeleteMarker"), "{query}");
        assert_eq!(r.header("x-amz-version-id"), Some(marker.as_str()), "{query}");
    }
    // The listing of current objects no longer has the key; the versions listing has everything.
    assert_eq!(c.list_objects_v2().bucket("ver").send().await.unwrap().key_count(), Some(0));
    let list = c.list_object_versions().bucket("ver").send().await.unwrap();
    let versions: Vec<(String, bool)> =
        list.versions().iter().map(|v| (v.version_id().unwrap().to_string(), v.is_latest().unwrap())).collect();
    assert_eq!(versions, [(id2.clone(), false), (id1.clone(), false), ("null".to_string(), false)]);
    let markers: Vec<(String, bool)> =
        list.delete_markers().iter().map(|m| (m.version_id().unwrap().to_string(), m.is_latest().unwrap())).collect();
    assert_eq!(markers, [(marker.clone(), true)]);

    // Deleting the marker brings the newest version back.
    let undo = c.delete_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap();
    assert_eq!((undo.delete_marker(), undo.version_id()), (Some(true), Some(marker.as_str())));
    assert_eq!(body(&c, "ver", "k", None).await, b"v2");
    // Deleting the current version makes the one before current.
    c.delete_object().bucket("ver").key("k").version_id(&id2).send().await.unwrap();
    assert_eq!(body(&c, "ver", "k", None).await, b"v1");
    let err = c.get_object().bucket("ver").key("k").version_id(&id2).send().await.unwrap_err();
    assert_eq!(sdk_error(err), (404, "NoSuchVersion".into(), "The specified version does not exist.".into()));

    // Pages of one entry walk all versions, key by key.
    c.put_object().bucket("ver").key("a").body(b"a".to_vec().into()).send().await.unwrap();
    let mut seen = Vec::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = c
            .list_object_versions()
            .bucket("ver")
            .max_keys(1)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .unwrap();
        for v in page.versions() {
            seen.push(format!("{}@{}", v.key().unwrap(), v.version_id().unwrap()));
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[0].starts_with("a@") && seen[1] == format!("k@{id1}") && seen[2] == "k@null", "{seen:?}");

    // A bucket with versions is not empty.
    let err = c.delete_bucket().bucket("ver").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "BucketNotEmpty");

    // Everything survives a restart.
    let s = s.restart().await;
    let c = s.client();
    assert_eq!(body(&c, "ver", "k", Some(&id1)).await, b"v1");
    assert_eq!(c.list_object_versions().bucket("ver").send().await.unwrap().versions().len(), 3);
}

#[tokio::test]
async fn suspended_versioning_writes_null_versions() {
    let s = TestServer::start().await;
    s.create_bucket("sus").await;
    let c = s.client();
    enable(&c, "sus", BucketVersioningStatus::Enabled).await;
    let kept = c.put_object().bucket("sus").key("k").body(b"kept".to_vec().into()).send().await.unwrap();
    enable(&c, "sus", BucketVersioningStatus::Suspended).await;
    let status = c.get_bucket_versioning().bucket("sus").send().await.unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Suspended));
    let n1 = c.put_object().bucket("sus").key("k").body(b"null 1".to_vec().into()).send().await.unwrap();
    assert_eq!(n1.version_id(), Some("null"));
    c.put_object().bucket("sus").key("k").body(b"null 2".to_vec().into()).send().await.unwrap();
    let list = c.list_object_versions().bucket("sus").send().await.unwrap();
    let ids: Vec<&str> = list.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids, ["null", kept.version_id().unwrap()], "the null version is replaced, not stacked");
    assert_eq!(body(&c, "sus", "k", None).await, b"null 2");
    // A delete writes the null delete marker in place of the null version.
    let del = c.delete_object().bucket("sus").key("k").send().await.unwrap();
    assert_eq!((del.delete_marker(), del.version_id()), (Some(true), Some("null")));
    let list = c.list_object_versions().bucket("sus").send().await.unwrap();
    assert_eq!(list.versions().len(), 1);
    assert_eq!(list.delete_markers()[0].version_id(), Some("null"));
}

#[tokio::test]
async fn delete_objects_and_copy_with_versions() {
    let s = TestServer::start().await;
    s.create_bucket("multi").await;
    let c = s.client();
    enable(&c, "multi", BucketVersioningStatus::Enabled).await;
    let a1 = c.put_object().bucket("multi").key("a").body(b"a1".to_vec().into()).send().await.unwrap();
    c.put_object().bucket("multi").key("a").body(b"a2".to_vec().into()).send().await.unwrap();
    c.put_object().bucket("multi").key("b").body(b"b".to_vec().into()).send().await.unwrap();
    // Copy from a noncurrent version.
    let copy = c
        .copy_object()
        .bucket("multi")
        .key("c")
        .copy_source(format!("multi/a?versionId={}", a1.version_id().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(copy.copy_source_version_id(), a1.version_id());
    assert!(copy.version_id().is_some());
    assert_eq!(body(&c, "multi", "c", None).await, b"a1");

    let ids = |k: &str, v: Option<&str>| {
        ObjectIdentifier::builder().key(k).set_version_id(v.map(str::to_string)).build().unwrap()
    };
    let out = c
        .delete_objects()
        .bucket("multi")
        .delete(Delete::builder().objects(ids("a", a1.version_id())).objects(ids("b", None)).build().unwrap())
        .send()
        .await
        .unwrap();
    let deleted: Vec<String> = out
        .deleted()
        .iter()
        .map(|d| {
            format!(
                "{:?} {:?} {:?} {}",
                d.key(),
                d.version_id(),
                d.delete_marker(),
                d.delete_marker_version_id().is_some()
            )
        })
        .collect();
    let a1_id = a1.version_id().unwrap();
    assert_eq!(
        deleted,
        [format!("Some(\"a\") Some(\"{a1_id}\") None false"), "Some(\"b\") None Some(true) true".to_string()]
    );
    assert_eq!(body(&c, "multi", "a", None).await, b"a2");
    assert!(c.head_object().bucket("multi").key("b").send().await.is_err());
}

#[tokio::test]
async fn versioning_configuration_errors() {
    let s = TestServer::start().await;
    s.create_bucket("cfg").await;
    let put = |body: &'static str| {
        let s = &s;
        async move { s.signed(SignedRequest::new("PUT", "/cfg").query("versioning").body(body.as_bytes())).await }
    };
    put("<VersioningConfiguration><Status>On</Status></VersioningConfiguration>").await.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    put("<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>")
        .await
        .assert_error(403, "AccessDenied", "Mfa Authentication must be used for this request");
    let r = s.signed(SignedRequest::new("GET", "/cfg").query("versions&version-id-marker=null")).await;
    let doc = r.assert_error(400, "InvalidArgument", "A version-id marker cannot be specified without a key marker.");
    assert_eq!(doc.get("ArgumentName"), Some("version-id-marker"));
}

/// Presigned GET and DELETE of one version: `versionId` is a signed query parameter.
#[tokio::test]
async fn presigned_versioned_get_and_delete() {
    let s = TestServer::start().await;
    s.create_bucket("pver").await;
    let c = s.client();
    enable(&c, "pver", BucketVersioningStatus::Enabled).await;
    let old = c.put_object().bucket("pver").key("k").body(b"old".to_vec().into()).send().await.unwrap();
    c.put_object().bucket("pver").key("k").body(b"new".to_vec().into()).send().await.unwrap();
    let id = old.version_id().unwrap();
    let conf = || aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300)).unwrap();
    let get = c.get_object().bucket("pver").key("k").version_id(id).presigned(conf()).await.unwrap();
    assert!(get.uri().contains(&format!("versionId={id}")));
    let (target, headers) = presigned_parts(&get);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("GET", &target, &headers, b"").await;
    assert_eq!((r.status, r.body.as_slice(), r.header("x-amz-version-id")), (200, &b"old"[..], Some(id)));
    // The signature covers the version: another id is a mismatch.
    let other = target.replace(id, "null");
    assert_eq!(s.raw("GET", &other, &headers, b"").await.error().get("Code"), Some("SignatureDoesNotMatch"));
    let del = c.delete_object().bucket("pver").key("k").version_id(id).presigned(conf()).await.unwrap();
    let (target, headers) = presigned_parts(&del);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = s.raw("DELETE", &target, &headers, b"").await;
    assert_eq!((r.status, r.header("x-amz-version-id")), (204, Some(id)));
    assert_eq!(c.list_object_versions().bucket("pver").send().await.unwrap().versions().len(), 1);
}

/// Tagging and GetObjectAttributes of one version.
#[tokio::test]
async fn tags_and_attributes_of_a_version() {
    use aws_sdk_s3::types::{ObjectAttributes, Tag, Tagging};
    let s = TestServer::start().await;
    s.create_bucket("vtags").await;
    let c = s.client();
    enable(&c, "vtags", BucketVersioningStatus::Enabled).await;
    let old =
        c.put_object().bucket("vtags").key("k").tagging("gen=1").body(b"first".to_vec().into()).send().await.unwrap();
    c.put_object().bucket("vtags").key("k").tagging("gen=2").body(b"second!".to_vec().into()).send().await.unwrap();
    let id = old.version_id().unwrap();
    let tags = |t: &[Tag]| t.iter().map(|t| format!("{}={}", t.key(), t.value())).collect::<Vec<_>>();
    let got = c.get_object_tagging().bucket("vtags").key("k").version_id(id).send().await.unwrap();
    assert_eq!((tags(got.tag_set()), got.version_id()), (vec!["gen=1".to_string()], Some(id)));
    let t = Tagging::builder().tag_set(Tag::builder().key("gen").value("one").build().unwrap()).build().unwrap();
    c.put_object_tagging().bucket("vtags").key("k").version_id(id).tagging(t).send().await.unwrap();
    let got = c.get_object_tagging().bucket("vtags").key("k").version_id(id).send().await.unwrap();
    assert_eq!(tags(got.tag_set()), ["gen=one"]);
    let current = c.get_object_tagging().bucket("vtags").key("k").send().await.unwrap();
    assert_eq!(tags(current.tag_set()), ["gen=2"], "the current version keeps its own tags");
    let a = c
        .get_object_attributes()
        .bucket("vtags")
        .key("k")
        .version_id(id)
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap();
    assert_eq!((a.object_size(), a.version_id()), (Some(5), Some(id)));
}

/// ACL calls on one version (a bucket with ACLs enabled).
#[tokio::test]
async fn acl_of_a_version() {
    let s = TestServer::start_with(|c| c.legacy_bucket_defaults = true).await;
    s.create_bucket("vacl").await;
    let c = s.client();
    enable(&c, "vacl", BucketVersioningStatus::Enabled).await;
    let old = c.put_object().bucket("vacl").key("k").body(b"1".to_vec().into()).send().await.unwrap();
    c.put_object().bucket("vacl").key("k").body(b"2".to_vec().into()).send().await.unwrap();
    let id = old.version_id().unwrap();
    c.put_object_acl()
        .bucket("vacl")
        .key("k")
        .version_id(id)
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let old_acl = c.get_object_acl().bucket("vacl").key("k").version_id(id).send().await.unwrap();
    assert_eq!(old_acl.grants().len(), 2, "owner and AllUsers");
    let current = c.get_object_acl().bucket("vacl").key("k").send().await.unwrap();
    assert_eq!(current.grants().len(), 1);
    let err = c
        .get_object_acl()
        .bucket("vacl")
        .key("k")
        .version_id("0123456789abcdefghijABCDEFGHIJ.-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error(err).1, "NoSuchVersion");
}

/// CompleteMultipartUpload on a versioned bucket answers the new version's id.
#[tokio::test]
async fn multipart_completion_makes_a_version() {
    let s = TestServer::start().await;
    s.create_bucket("vmp").await;
    let c = s.client();
    enable(&c, "vmp", BucketVersioningStatus::Enabled).await;
    let up = c.create_multipart_upload().bucket("vmp").key("k").send().await.unwrap();
    let out = complete_with_one_part(&c, "vmp", "k", up.upload_id().unwrap(), b"p").await;
    let version = out.version_id().unwrap();
    assert_eq!(c.head_object().bucket("vmp").key("k").send().await.unwrap().version_id(), Some(version));
}

/// A conditional delete on a versioned bucket puts a delete marker on top, like a plain one.
#[tokio::test]
async fn conditional_delete_on_a_versioned_bucket() {
    let s = TestServer::start().await;
    s.create_bucket("vcond").await;
    let c = s.client();
    enable(&c, "vcond", BucketVersioningStatus::Enabled).await;
    let put = c.put_object().bucket("vcond").key("k").body(b"v".to_vec().into()).send().await.unwrap();
    let del = c.delete_object().bucket("vcond").key("k").if_match(put.e_tag().unwrap()).send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(body(&c, "vcond", "k", put.version_id()).await, b"v", "the version stays");
    let list = c.list_object_versions().bucket("vcond").send().await.unwrap();
    assert_eq!((list.versions().len(), list.delete_markers().len()), (1, 1));
}
