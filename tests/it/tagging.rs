//! Object and bucket tags through the SDK: the `x-amz-tagging` header on PutObject,
//! CreateMultipartUpload and CopyObject (with its directive), Put/Get/DeleteObjectTagging,
//! `x-amz-tagging-count`, Put/Get/DeleteBucketTagging, and S3's limits with its exact errors.

use aws_sdk_s3::types::{Tag, Tagging, TaggingDirective};

use crate::common::*;

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    let tags = pairs.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap()).collect();
    Tagging::builder().set_tag_set(Some(tags)).build().unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

fn owned(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn object_tags_from_writes_and_tagging_calls() {
    let s = TestServer::start().await;
    s.create_bucket("tags").await;
    let c = s.client();
    c.put_object().bucket("tags").key("o").tagging("b=2&a=1&empty").body(b"x".to_vec().into()).send().await.unwrap();
    let got = c.get_object_tagging().bucket("tags").key("o").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("a", "1"), ("b", "2"), ("empty", "")]), "in key order");
    let head = s.signed(SignedRequest::new("HEAD", "/tags/o")).await;
    assert_eq!(head.header("x-amz-tagging-count"), Some("3"));
    let obj = c.get_object().bucket("tags").key("o").send().await.unwrap();
    assert_eq!(obj.tag_count(), Some(3));

    c.put_object_tagging().bucket("tags").key("o").tagging(tagging(&[("team", "storage")])).send().await.unwrap();
    let got = c.get_object_tagging().bucket("tags").key("o").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("team", "storage")]));
    let r = s.signed(SignedRequest::new("DELETE", "/tags/o").query("tagging")).await;
    assert_eq!(r.status, 204);
    assert!(c.get_object_tagging().bucket("tags").key("o").send().await.unwrap().tag_set().is_empty());
    let head = s.signed(SignedRequest::new("HEAD", "/tags/o")).await;
    assert_eq!(head.header("x-amz-tagging-count"), None, "no header without tags");

    // Multipart: the tags given at creation are the object's.
    let up = c.create_multipart_upload().bucket("tags").key("mp").tagging("stage=upload").send().await.unwrap();
    complete_with_one_part(&c, "tags", "mp", up.upload_id().unwrap(), b"p").await;
    let got = c.get_object_tagging().bucket("tags").key("mp").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("stage", "upload")]));

    // CopyObject copies the tags by default, or replaces them.
    c.copy_object().bucket("tags").key("copy").copy_source("tags/mp").send().await.unwrap();
    let got = c.get_object_tagging().bucket("tags").key("copy").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("stage", "upload")]));
    c.copy_object()
        .bucket("tags")
        .key("copy2")
        .copy_source("tags/mp")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("stage=copied")
        .send()
        .await
        .unwrap();
    let got = c.get_object_tagging().bucket("tags").key("copy2").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("stage", "copied")]));
    let r = s
        .signed(
            SignedRequest::new("PUT", "/tags/copy3")
                .header("x-amz-copy-source", "/tags/mp")
                .header("x-amz-tagging-directive", "MERGE"),
        )
        .await;
    let doc = r.assert_error(400, "InvalidArgument", "Unknown tagging directive.");
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-tagging-directive"));

    // Tags survive a restart.
    let s = s.restart().await;
    let got = s.client().get_object_tagging().bucket("tags").key("copy2").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("stage", "copied")]));
    let err =
        s.client().put_object_tagging().bucket("tags").key("missing").tagging(tagging(&[])).send().await.unwrap_err();
    assert_eq!(sdk_error(err), (404, "NoSuchKey".into(), "The specified key does not exist.".into()));
}

#[tokio::test]
async fn tag_limits_answer_as_s3() {
    let s = TestServer::start().await;
    s.create_bucket("limits").await;
    let c = s.client();
    c.put_object().bucket("limits").key("o").body(b"x".to_vec().into()).send().await.unwrap();
    let put = |p: Vec<(String, String)>| {
        let c = c.clone();
        async move {
            let tags: Vec<Tag> = p.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap()).collect();
            let t = Tagging::builder().set_tag_set(Some(tags)).build().unwrap();
            c.put_object_tagging().bucket("limits").key("o").tagging(t).send().await
        }
    };
    let ten: Vec<(String, String)> = (0..10).map(|i| (format!("{i}{}", "k".repeat(127)), "v".repeat(256))).collect();
    put(ten.clone()).await.unwrap();
    let mut eleven = ten.clone();
    eleven.push(("extra".into(), "1".into()));
    assert_eq!(
        sdk_error(put(eleven).await.unwrap_err()),
        (400, "BadRequest".into(), "Object tags cannot be greater than 10".into())
    );
    for (tags, message) in [
        (owned(&[(&"k".repeat(129), "v")]), "The TagKey you have provided is invalid"),
        (owned(&[("k", &"v".repeat(257))]), "The TagValue you have provided is invalid"),
        (owned(&[("bad{char}", "v")]), "The TagKey you have provided is invalid"),
        (owned(&[("aws:owner", "v")]), "Your TagKey cannot be prefixed with aws:"),
        (owned(&[("a", "1"), ("a", "2")]), "Cannot provide multiple Tags with the same key"),
    ] {
        assert_eq!(sdk_error(put(tags).await.unwrap_err()), (400, "InvalidTag".into(), message.into()));
    }
    // UTF-16 units: 128 of them is the most a key may have; 64 letters outside the BMP are 128.
    put(owned(&[(&"𝐀".repeat(64), "v")])).await.unwrap();
    assert_eq!(sdk_error(put(owned(&[(&"𝐀".repeat(65), "v")])).await.unwrap_err()).1, "InvalidTag");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/limits/h")
                .header("x-amz-tagging", "TagSet=[{Key=string,Value=string}]")
                .body(b"x"),
        )
        .await;
    let doc = r.assert_error(
        400,
        "InvalidArgument",
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
    );
    assert_eq!(doc.get("ArgumentName"), Some("x-amz-tagging"));
    let err = c
        .put_object()
        .bucket("limits")
        .key("h")
        .tagging("a=1&a=2")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error(err).1, "InvalidArgument");
    let r = s
        .signed(
            SignedRequest::new("PUT", "/limits/o")
                .query("tagging")
                .body(b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>"),
        )
        .await;
    r.assert_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    // Nothing was stored by a refused write.
    assert!(c.head_object().bucket("limits").key("h").send().await.is_err());
}

#[tokio::test]
async fn bucket_tags() {
    let s = TestServer::start().await;
    s.create_bucket("tagged").await;
    let c = s.client();
    let err = c.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!(sdk_error(err), (404, "NoSuchTagSet".into(), "The TagSet does not exist".into()));
    let r = s
        .signed(SignedRequest::new("PUT", "/tagged").query("tagging").body(b"<Tagging><TagSet><Tag><Key>z</Key><Value>1</Value></Tag><Tag><Key>cost-center</Key><Value>42</Value></Tag></TagSet></Tagging>"))
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let got = c.get_bucket_tagging().bucket("tagged").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), owned(&[("cost-center", "42"), ("z", "1")]));
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    let tags: Vec<Tag> = many.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap()).collect();
    let err = c
        .put_bucket_tagging()
        .bucket("tagged")
        .tagging(Tagging::builder().set_tag_set(Some(tags[..50].to_vec())).build().unwrap())
        .send()
        .await;
    assert!(err.is_ok(), "50 tags are allowed on a bucket");
    let err = c
        .put_bucket_tagging()
        .bucket("tagged")
        .tagging(Tagging::builder().set_tag_set(Some(tags)).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error(err), (400, "InvalidTag".into(), "Bucket tag count cannot be greater than 50".into()));
    c.delete_bucket_tagging().bucket("tagged").send().await.unwrap();
    let err = c.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "NoSuchTagSet");
    let err = c.get_bucket_tagging().bucket("absent").send().await.unwrap_err();
    assert_eq!(sdk_error(err).1, "NoSuchBucket");
}
