//! Every operation of `router::Op`, walked: for each, a request that routes to it, the action and
//! resource authorization must judge (the operation's own, and the further ones its request asks
//! for: ACL headers, a copy source, tags, …), and proof that they are the ones judged and the
//! ones the handler touches. For each judged (action, resource) a user allowed everything but
//! that is refused with S3's explicit-deny message naming exactly that action and resource; a
//! user allowed everything succeeds, the auth log records the operation's own action and
//! resource, and the handler's effect lands there. A new `Op` variant does not compile until it
//! has a case here ([`variant`]).
//!
//! And every header with an S3 condition key is seen by the condition evaluator from each place
//! a request can carry it: a header, a presigned URL's signed query, a POST form's field.

use s3strict::access::HEADER_KEYS;
use s3strict::config::{PolicyText, UserSettings};
use s3strict::presign::{presign_post, presign_url, FormConditions, PresignInput};
use s3strict::router::{BucketDefault, Op};

use crate::common::*;

const ACCOUNT: &str = "123456789012";
const EVERYTHING: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;

/// The variants of [`Op`]; [`variant`] numbers them `0..VARIANTS`.
const VARIANTS: usize = 51;

/// A distinct number for each variant of [`Op`]: exhaustive, so a new variant needs a case.
fn variant(op: &Op) -> usize {
    match op {
        Op::ListBuckets => 0,
        Op::CreateBucket => 1,
        Op::HeadBucket => 2,
        Op::DeleteBucket => 3,
        Op::GetBucketLocation => 4,
        Op::ListObjectsV2 => 5,
        Op::ListObjectsV1 => 6,
        Op::DeleteObjects => 7,
        Op::PutObject => 8,
        Op::CopyObject { .. } => 9,
        Op::GetObject { .. } => 10,
        Op::HeadObject { .. } => 11,
        Op::DeleteObject { .. } => 12,
        Op::CreateMultipartUpload => 13,
        Op::UploadPart { .. } => 14,
        Op::UploadPartCopy { .. } => 15,
        Op::CompleteMultipartUpload { .. } => 16,
        Op::AbortMultipartUpload { .. } => 17,
        Op::ListParts { .. } => 18,
        Op::ListMultipartUploads => 19,
        Op::PostObject => 20,
        Op::PutBucketCors => 21,
        Op::GetBucketCors => 22,
        Op::DeleteBucketCors => 23,
        Op::PutBucketAcl => 24,
        Op::PutObjectAcl { .. } => 25,
        Op::PutBucketOwnershipControls => 26,
        Op::GetBucketOwnershipControls => 27,
        Op::DeleteBucketOwnershipControls => 28,
        Op::PutPublicAccessBlock => 29,
        Op::GetPublicAccessBlock => 30,
        Op::DeletePublicAccessBlock => 31,
        Op::PutBucketPolicy => 32,
        Op::GetBucketPolicy => 33,
        Op::DeleteBucketPolicy => 34,
        Op::GetBucketPolicyStatus => 35,
        Op::CorsPreflight => 36,
        Op::Sts => 37,
        Op::GetBucketVersioning => 38,
        Op::PutBucketVersioning => 39,
        Op::GetBucketAcl => 40,
        Op::GetObjectAcl { .. } => 41,
        Op::GetBucketTagging => 42,
        Op::PutBucketTagging => 43,
        Op::DeleteBucketTagging => 44,
        Op::GetObjectTagging { .. } => 45,
        Op::PutObjectTagging { .. } => 46,
        Op::DeleteObjectTagging { .. } => 47,
        Op::ListObjectVersions => 48,
        Op::GetObjectAttributes { .. } => 49,
        Op::GetBucketDefault(_) => 50,
    }
}

/// One request and what authorization must judge of it.
struct Case {
    /// A sample of the operation the request routes to (its arguments do not matter).
    op: Op,
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// The (action, resource) pairs judged, the operation's own first.
    judged: Vec<(&'static str, String)>,
    /// Sent as a POST form with these fields instead (the key is the path's).
    form: Option<Vec<(String, String)>>,
}

fn arn(path: &str) -> String {
    format!("arn:aws:s3:::{}", path.trim_start_matches('/'))
}

fn case(op: Op, method: &'static str, path: &str, query: &str) -> Case {
    Case {
        op,
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
        judged: Vec::new(),
        form: None,
    }
}

impl Case {
    fn judged(mut self, action: &'static str, resource: &str) -> Self {
        self.judged.push((action, resource.to_string()));
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
}

fn user(name: &str, statements: &[String]) -> UserSettings {
    UserSettings {
        name: name.into(),
        account: None,
        access_key: key_of(name),
        secret_key: format!("{name}-secret"),
        status: None,
        policies: vec![PolicyText::Json(format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        ))],
    }
}

fn key_of(name: &str) -> String {
    format!("AKIA{:Z<16}", name.to_ascii_uppercase())
}

fn deny(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Deny","Action":"{action}","Resource":"{resource}"}}"#)
}

/// Sends `c` as user `name`.
async fn send(s: &TestServer, c: &Case, name: &str) -> RawResponse {
    let (access_key, secret_key) = (key_of(name), format!("{name}-secret"));
    if let Some(fields) = &c.form {
        let (bucket, key) = c.path.trim_start_matches('/').split_once('/').unwrap();
        let input = presign_input(s, "POST", bucket, key, &access_key, &secret_key, vec![]);
        let conditions = FormConditions { fields: fields.clone(), starts_with: vec![], content_length_range: None };
        let form = presign_post(&input, &conditions).unwrap();
        let mut body = Vec::new();
        for (n, v) in form["fields"].as_object().unwrap() {
            let part =
                format!("--B\r\ncontent-disposition: form-data; name=\"{n}\"\r\n\r\n{}\r\n", v.as_str().unwrap());
            body.extend_from_slice(part.as_bytes());
        }
        body.extend_from_slice(
            b"--B\r\ncontent-disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nform\r\n--B--\r\n",
        );
        return s
            .raw("POST", &format!("/{bucket}"), &[("content-type", "multipart/form-data; boundary=B")], &body)
            .await;
    }
    let mut req = SignedRequest {
        access_key: &access_key,
        secret_key: &secret_key,
        ..SignedRequest::new(c.method, &c.path).query(&c.query).body(&c.body)
    };
    for (n, v) in &c.headers {
        req = req.header(n, v.clone());
    }
    s.signed(req).await
}

fn presign_input(
    s: &TestServer,
    method: &str,
    bucket: &str,
    key: &str,
    access_key: &str,
    secret_key: &str,
    query: Vec<(String, String)>,
) -> PresignInput {
    PresignInput {
        method: method.into(),
        bucket: bucket.into(),
        key: key.into(),
        expires: 300,
        headers: vec![],
        query,
        virtual_hosted: false,
        sigv2: false,
        endpoint: s.endpoint(),
        access_key: access_key.into(),
        secret_key: secret_key.into(),
        session_token: None,
        region: REGION.into(),
        at: chrono::Utc::now(),
    }
}

fn explicit_deny(name: &str, action: &str, resource: &str) -> String {
    let on = if resource == "*" { String::new() } else { format!(" on resource: \"{resource}\"") };
    format!(
        "User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: {action}{on} with an explicit deny in an identity-based policy"
    )
}

/// The fixtures the cases act on, made by the root user; returns the version id of `walk/k`, the
/// upload ids of `up-part`, `up-copy`, `up-complete`, `up-abort`, `up-list`, and the ETag of the
/// part uploaded to `up-complete`.
async fn fixtures(s: &TestServer) -> (String, Vec<String>, String) {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let root = s.client();
    for b in ["walk", "walk-src", "walk-del"] {
        s.create_bucket(b).await;
    }
    root.delete_public_access_block().bucket("walk").send().await.unwrap();
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    root.put_bucket_versioning().bucket("walk").versioning_configuration(on).send().await.unwrap();
    for key in ["k", "del", "delv", "acl", "tag", "untag", "attrs"] {
        root.put_object().bucket("walk").key(key).body(ByteStream::from_static(b"walk")).send().await.unwrap();
    }
    let k_version = root.head_object().bucket("walk").key("k").send().await.unwrap().version_id().unwrap().to_string();
    root.put_object().bucket("walk-src").key("s").body(ByteStream::from_static(b"source")).send().await.unwrap();
    let mut uploads = Vec::new();
    for key in ["up-part", "up-copy", "up-complete", "up-abort", "up-list"] {
        let out = root.create_multipart_upload().bucket("walk").key(key).send().await.unwrap();
        uploads.push(out.upload_id().unwrap().to_string());
    }
    let part = root
        .upload_part()
        .bucket("walk")
        .key("up-complete")
        .upload_id(&uploads[2])
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    (k_version, uploads, part.e_tag().unwrap().to_string())
}

fn cases(version: &str, uploads: &[String], etag: &str) -> Vec<Case> {
    let b = arn("walk");
    let obj = |k: &str| arn(&format!("walk/{k}"));
    let none = || Op::GetObject { part_number: None, version_id: None };
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let cors = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ACCOUNT}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::walk/*"}}]}}"#
    );
    let ownership =
        "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>";
    let pab =
        "<PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>";
    let versioning = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
    let delete = "<Delete><Object><Key>k2</Key></Object></Delete>";
    let v = format!("versionId={version}");
    vec![
        case(Op::ListBuckets, "GET", "/", "").judged("s3:ListAllMyBuckets", "*"),
        case(Op::CreateBucket, "PUT", "/walk-new", "").judged("s3:CreateBucket", &arn("walk-new")),
        // ACL and Object Ownership headers at creation ask for more.
        case(Op::CreateBucket, "PUT", "/walk-new2", "")
            .header("x-amz-object-ownership", "ObjectWriter")
            .header("x-amz-acl", "private")
            .judged("s3:CreateBucket", &arn("walk-new2"))
            .judged("s3:PutBucketAcl", &arn("walk-new2"))
            .judged("s3:PutBucketOwnershipControls", &arn("walk-new2")),
        case(Op::HeadBucket, "HEAD", "/walk", "").judged("s3:ListBucket", &b),
        case(Op::DeleteBucket, "DELETE", "/walk-del", "").judged("s3:DeleteBucket", &arn("walk-del")),
        case(Op::GetBucketLocation, "GET", "/walk", "location").judged("s3:GetBucketLocation", &b),
        case(Op::ListObjectsV2, "GET", "/walk", "list-type=2").judged("s3:ListBucket", &b),
        case(Op::ListObjectsV1, "GET", "/walk", "").judged("s3:ListBucket", &b),
        case(Op::DeleteObjects, "POST", "/walk", "delete")
            .header("content-md5", md5_b64(delete.as_bytes()))
            .body(delete)
            .judged("s3:DeleteObject", &obj("k2")),
        case(Op::PutObject, "PUT", "/walk/put", "").body("put").judged("s3:PutObject", &obj("put")),
        case(Op::PutObject, "PUT", "/walk/put-acl", "")
            .header("x-amz-acl", "bucket-owner-full-control")
            .header("x-amz-tagging", "a=1")
            .body("put")
            .judged("s3:PutObject", &obj("put-acl"))
            .judged("s3:PutObjectAcl", &obj("put-acl"))
            .judged("s3:PutObjectTagging", &obj("put-acl")),
        case(none(), "GET", "/walk/k", "").judged("s3:GetObject", &obj("k")),
        case(none(), "GET", "/walk/k", &v).judged("s3:GetObjectVersion", &obj("k")),
        case(Op::CopyObject { source: copy_source() }, "PUT", "/walk/copied", "")
            .header("x-amz-copy-source", "walk-src/s")
            .header("x-amz-acl", "private")
            .judged("s3:PutObject", &obj("copied"))
            .judged("s3:PutObjectAcl", &obj("copied"))
            .judged("s3:GetObject", &arn("walk-src/s")),
        case(Op::CopyObject { source: copy_source() }, "PUT", "/walk/copied-v", "")
            .header("x-amz-copy-source", format!("walk/k?versionId={version}"))
            .judged("s3:PutObject", &obj("copied-v"))
            .judged("s3:GetObjectVersion", &obj("k")),
        case(Op::HeadObject { part_number: None, version_id: None }, "HEAD", "/walk/k", "")
            .judged("s3:GetObject", &obj("k")),
        case(Op::DeleteObject { version_id: None }, "DELETE", "/walk/del", "").judged("s3:DeleteObject", &obj("del")),
        case(Op::CreateMultipartUpload, "POST", "/walk/mpu", "uploads")
            .header("x-amz-tagging", "a=1")
            .judged("s3:PutObject", &obj("mpu"))
            .judged("s3:PutObjectTagging", &obj("mpu")),
        case(
            Op::UploadPart { upload_id: String::new(), part_number: 1 },
            "PUT",
            "/walk/up-part",
            &format!("partNumber=1&uploadId={}", uploads[0]),
        )
        .body("part")
        .judged("s3:PutObject", &obj("up-part")),
        case(
            Op::UploadPartCopy { upload_id: String::new(), part_number: 1, source: copy_source() },
            "PUT",
            "/walk/up-copy",
            &format!("partNumber=1&uploadId={}", uploads[1]),
        )
        .header("x-amz-copy-source", "walk-src/s")
        .judged("s3:PutObject", &obj("up-copy"))
        .judged("s3:GetObject", &arn("walk-src/s")),
        case(
            Op::CompleteMultipartUpload { upload_id: String::new() },
            "POST",
            "/walk/up-complete",
            &format!("uploadId={}", uploads[2]),
        )
        .body(complete)
        .judged("s3:PutObject", &obj("up-complete")),
        case(
            Op::AbortMultipartUpload { upload_id: String::new() },
            "DELETE",
            "/walk/up-abort",
            &format!("uploadId={}", uploads[3]),
        )
        .judged("s3:AbortMultipartUpload", &obj("up-abort")),
        case(Op::ListParts { upload_id: String::new() }, "GET", "/walk/up-list", &format!("uploadId={}", uploads[4]))
            .judged("s3:ListMultipartUploadParts", &obj("up-list")),
        case(Op::ListMultipartUploads, "GET", "/walk", "uploads").judged("s3:ListBucketMultipartUploads", &b),
        Case {
            form: Some(vec![("acl".into(), "private".into())]),
            ..case(Op::PostObject, "POST", "/walk/form", "")
                .judged("s3:PutObject", &obj("form"))
                .judged("s3:PutObjectAcl", &obj("form"))
        },
        case(Op::PutBucketCors, "PUT", "/walk", "cors")
            .header("content-md5", md5_b64(cors.as_bytes()))
            .body(cors)
            .judged("s3:PutBucketCORS", &b),
        case(Op::GetBucketCors, "GET", "/walk", "cors").judged("s3:GetBucketCORS", &b),
        case(Op::DeleteBucketCors, "DELETE", "/walk", "cors").judged("s3:PutBucketCORS", &b),
        case(Op::PutBucketOwnershipControls, "PUT", "/walk", "ownershipControls")
            .header("content-md5", md5_b64(ownership.as_bytes()))
            .body(ownership)
            .judged("s3:PutBucketOwnershipControls", &b),
        case(Op::PutBucketAcl, "PUT", "/walk", "acl").header("x-amz-acl", "private").judged("s3:PutBucketAcl", &b),
        case(Op::PutObjectAcl { version_id: None }, "PUT", "/walk/acl", "acl")
            .header("x-amz-acl", "private")
            .judged("s3:PutObjectAcl", &obj("acl")),
        case(Op::GetBucketOwnershipControls, "GET", "/walk", "ownershipControls")
            .judged("s3:GetBucketOwnershipControls", &b),
        case(Op::DeleteBucketOwnershipControls, "DELETE", "/walk", "ownershipControls")
            .judged("s3:PutBucketOwnershipControls", &b),
        case(Op::PutPublicAccessBlock, "PUT", "/walk", "publicAccessBlock")
            .header("content-md5", md5_b64(pab.as_bytes()))
            .body(pab)
            .judged("s3:PutBucketPublicAccessBlock", &b),
        case(Op::GetPublicAccessBlock, "GET", "/walk", "publicAccessBlock").judged("s3:GetBucketPublicAccessBlock", &b),
        case(Op::DeletePublicAccessBlock, "DELETE", "/walk", "publicAccessBlock")
            .judged("s3:PutBucketPublicAccessBlock", &b),
        case(Op::PutBucketPolicy, "PUT", "/walk", "policy").body(policy).judged("s3:PutBucketPolicy", &b),
        case(Op::GetBucketPolicy, "GET", "/walk", "policy").judged("s3:GetBucketPolicy", &b),
        case(Op::GetBucketPolicyStatus, "GET", "/walk", "policyStatus").judged("s3:GetBucketPolicyStatus", &b),
        case(Op::DeleteBucketPolicy, "DELETE", "/walk", "policy").judged("s3:DeleteBucketPolicy", &b),
        case(Op::GetBucketVersioning, "GET", "/walk", "versioning").judged("s3:GetBucketVersioning", &b),
        case(Op::PutBucketVersioning, "PUT", "/walk", "versioning")
            .header("content-md5", md5_b64(versioning.as_bytes()))
            .body(versioning)
            .judged("s3:PutBucketVersioning", &b),
        case(Op::GetBucketAcl, "GET", "/walk", "acl").judged("s3:GetBucketAcl", &b),
        case(Op::GetObjectAcl { version_id: None }, "GET", "/walk/k", "acl").judged("s3:GetObjectAcl", &obj("k")),
        case(Op::GetObjectAcl { version_id: None }, "GET", "/walk/k", &format!("acl&{v}"))
            .judged("s3:GetObjectVersionAcl", &obj("k")),
        case(Op::PutBucketTagging, "PUT", "/walk", "tagging")
            .header("content-md5", md5_b64(tagging.as_bytes()))
            .body(tagging)
            .judged("s3:PutBucketTagging", &b),
        case(Op::GetBucketTagging, "GET", "/walk", "tagging").judged("s3:GetBucketTagging", &b),
        case(Op::DeleteBucketTagging, "DELETE", "/walk", "tagging").judged("s3:PutBucketTagging", &b),
        case(Op::PutObjectTagging { version_id: None }, "PUT", "/walk/tag", "tagging")
            .header("content-md5", md5_b64(tagging.as_bytes()))
            .body(tagging)
            .judged("s3:PutObjectTagging", &obj("tag")),
        case(Op::GetObjectTagging { version_id: None }, "GET", "/walk/tag", "tagging")
            .judged("s3:GetObjectTagging", &obj("tag")),
        case(Op::DeleteObjectTagging { version_id: None }, "DELETE", "/walk/untag", "tagging")
            .judged("s3:DeleteObjectTagging", &obj("untag")),
        case(Op::ListObjectVersions, "GET", "/walk", "versions").judged("s3:ListBucketVersions", &b),
        case(Op::GetObjectAttributes { version_id: None }, "GET", "/walk/attrs", "attributes")
            .header("x-amz-object-attributes", "ETag")
            .judged("s3:GetObjectAttributes", &obj("attrs"))
            .judged("s3:GetObject", &obj("attrs")),
        case(Op::GetBucketDefault(BucketDefault::Encryption), "GET", "/walk", "encryption")
            .judged("s3:GetEncryptionConfiguration", &b),
    ]
}

fn copy_source() -> s3strict::router::CopySource {
    s3strict::router::CopySource { bucket: String::new(), key: String::new(), version_id: None }
}

fn md5_b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(md5_bytes(data))
}

#[tokio::test]
async fn every_operation_is_judged_on_what_it_touches() {
    // Which variants are not authorized as S3 operations at all, and why.
    let unjudged = [
        (Op::CorsPreflight, "a preflight is never signed: the bucket's CORS rules alone answer it"),
        (Op::Sts, "STS requests are authorized by STS's own rules (tests/it/sts.rs)"),
    ];
    let probe = cases("v", &[String::new(), String::new(), String::new(), String::new(), String::new()], "e");
    let mut seen: Vec<usize> =
        probe.iter().map(|c| variant(&c.op)).chain(unjudged.iter().map(|(op, _)| variant(op))).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, (0..VARIANTS).collect::<Vec<_>>(), "every Op variant has a case or a reason");

    // One user allowed everything, and for each judged pair one allowed everything but it.
    let mut users = vec![user("free", &[EVERYTHING.into()])];
    for (i, c) in probe.iter().enumerate() {
        for (j, (action, resource)) in c.judged.iter().enumerate() {
            users.push(user(&format!("deny{i}x{j}"), &[EVERYTHING.into(), deny(action, resource)]));
        }
    }
    let s = TestServer::start_with(|c| c.users = users).await;
    let (version, uploads, etag) = fixtures(&s).await;
    for (i, c) in cases(&version, &uploads, &etag).iter().enumerate() {
        let what = format!("case {i} ({:?} {} {}?{})", c.op, c.method, c.path, c.query);
        for (j, (action, resource)) in c.judged.iter().enumerate() {
            let name = format!("deny{i}x{j}");
            let r = send(&s, c, &name).await;
            if matches!(c.op, Op::DeleteObjects) {
                // Each key of a DeleteObjects is judged on its own and refused in the result.
                assert_eq!(r.status, 200, "{what}");
                let text = r.text();
                assert!(text.contains("<Code>AccessDenied</Code>"), "{what}: {text}");
                assert!(text.contains(&explicit_deny(&name, action, resource)), "{what}: {text}");
                continue;
            }
            if c.method == "HEAD" {
                assert_eq!(r.status, 403, "{what} as {name}");
                continue;
            }
            r.assert_error(403, "AccessDenied", &explicit_deny(&name, action, resource));
        }
        let r = send(&s, c, "free").await;
        assert!(r.status < 300, "{what} as free: {} {}", r.status, r.text());
        let log = s.lib().auth_log();
        let entry = log.first().unwrap();
        let (action, resource) = &c.judged[0];
        if !matches!(c.op, Op::DeleteObjects) {
            assert_eq!((entry.action, entry.resource.as_deref()), (Some(*action), Some(resource.as_str())), "{what}");
        }
    }
    // The handlers acted where authorization judged: the objects written exist under those keys.
    let root = s.client();
    for key in ["put", "put-acl", "copied", "copied-v", "up-complete", "form"] {
        root.head_object().bucket("walk").key(key).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
    }
    let tags = root.get_object_tagging().bucket("walk").key("put-acl").send().await.unwrap();
    assert_eq!(tags.tag_set().len(), 1);
    assert!(root.head_bucket().bucket("walk-del").send().await.is_err());
}

/// For a header with an S3 condition key: a request that carries it and the value it carries.
fn carrier(name: &str) -> (&'static str, &'static str, &'static str, String) {
    let canonical = s3strict::iam::canonical_id(ACCOUNT);
    match name {
        "x-amz-copy-source" => ("PUT", "walk", "copied", "walk-src/s".into()),
        "x-amz-metadata-directive" => ("PUT", "walk", "k", "REPLACE".into()),
        "x-amz-object-ownership" => ("PUT", "walk-made", "", "ObjectWriter".into()),
        "x-amz-acl" => ("PUT", "walk", "h", "private".into()),
        n if n.starts_with("x-amz-grant-") => ("PUT", "walk", "h", format!("id=\"{canonical}\"")),
        "x-amz-server-side-encryption" => ("PUT", "walk", "h", "AES256".into()),
        "x-amz-storage-class" => ("PUT", "walk", "h", "STANDARD".into()),
        _ => ("PUT", "walk", "h", "x".into()),
    }
}

#[tokio::test]
async fn every_header_with_a_condition_key_is_seen_wherever_it_is_carried() {
    let users: Vec<UserSettings> = HEADER_KEYS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let present = format!(
                r#"{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"Null":{{"s3:{name}":"false"}}}}}}"#
            );
            user(&format!("cond{i}"), &[EVERYTHING.into(), present])
        })
        .collect();
    let s = TestServer::start_with(|c| c.users = users).await;
    fixtures(&s).await;
    for (i, name) in HEADER_KEYS.iter().enumerate() {
        let user = format!("cond{i}");
        let (access_key, secret_key) = (key_of(&user), format!("{user}-secret"));
        let (method, bucket, key, value) = carrier(name);
        let path = if key.is_empty() { format!("/{bucket}") } else { format!("/{bucket}/{key}") };
        let resource = arn(&path);
        let action = match (*name, key) {
            (_, "") => "s3:CreateBucket",
            _ => "s3:PutObject",
        };
        let refused = explicit_deny(&user, action, &resource);
        // As a header.
        let req =
            SignedRequest { access_key: &access_key, secret_key: &secret_key, ..SignedRequest::new(method, &path) }
                .header(name, value.clone());
        s.signed(req).await.assert_error(403, "AccessDenied", &refused);
        // Signed into a presigned URL's query, where it stands for the header; except the copy
        // source, which S3 reads from the header alone: there the URL is a PutObject of its body,
        // judged without it (presigned::a_copy_source_in_the_query_makes_no_copy).
        let input =
            presign_input(&s, method, bucket, key, &access_key, &secret_key, vec![(name.to_string(), value.clone())]);
        let url = presign_url(&input).unwrap();
        let target = url.split_once(&s.endpoint()).map(|(_, t)| t.to_string()).unwrap();
        let r = s.raw(method, &target, &[], b"").await;
        match *name {
            "x-amz-copy-source" => assert_eq!((r.status, r.text()), (200, String::new())),
            _ => _ = r.assert_error(403, "AccessDenied", &refused),
        }
        // As a POST form's field (the canned ACL is the `acl` field), for what a form may carry.
        if key == "h" {
            let field = if *name == "x-amz-acl" { "acl".to_string() } else { name.to_string() };
            let c = Case { form: Some(vec![(field, value.clone())]), ..case(Op::PostObject, "POST", &path, "") };
            send(&s, &c, &user).await.assert_error(403, "AccessDenied", &refused);
        }
    }
}
