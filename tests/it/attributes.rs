//! GetObjectAttributes through the SDK: a plain object, a multipart object with a checksum
//! algorithm (each part's size and checksum, paged), one without, and the errors.

use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectAttributes};

use crate::common::*;

const ALL: [ObjectAttributes; 5] = [
    ObjectAttributes::Etag,
    ObjectAttributes::Checksum,
    ObjectAttributes::ObjectParts,
    ObjectAttributes::StorageClass,
    ObjectAttributes::ObjectSize,
];

#[tokio::test]
async fn object_attributes() {
    let s = TestServer::start().await;
    s.create_bucket("attrs").await;
    let c = s.client();
    let put = c.put_object().bucket("attrs").key("plain").body(b"hello".to_vec().into()).send().await.unwrap();
    let a = c
        .get_object_attributes()
        .bucket("attrs")
        .key("plain")
        .set_object_attributes(Some(ALL.to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(a.e_tag(), Some(put.e_tag().unwrap().trim_matches('"')), "unquoted");
    assert_eq!(a.object_size(), Some(5));
    assert_eq!(a.storage_class().map(|c| c.as_str()), Some("STANDARD"));
    let sum = a.checksum().unwrap();
    assert_eq!(sum.checksum_crc32(), put.checksum_crc32(), "the SDK's CRC32 of the upload");
    assert_eq!(sum.checksum_type().map(|t| t.as_str()), Some("FULL_OBJECT"));
    assert!(a.object_parts().is_none(), "a plain object has no parts");
    assert!(a.last_modified().is_some());

    // A multipart upload with CRC32: three parts, each listed with its size and checksum.
    let up = c
        .create_multipart_upload()
        .bucket("attrs")
        .key("mp")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, len) in [(1, 5 * 1024 * 1024), (2, 5 * 1024 * 1024), (3, 7)] {
        let r = c
            .upload_part()
            .bucket("attrs")
            .key("mp")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(vec![n as u8; len].into())
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .checksum_crc32(r.checksum_crc32().unwrap())
                .build(),
        );
    }
    let sums: Vec<String> = parts.iter().map(|p| p.checksum_crc32().unwrap().to_string()).collect();
    let done = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
    c.complete_multipart_upload().bucket("attrs").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    let a = c
        .get_object_attributes()
        .bucket("attrs")
        .key("mp")
        .set_object_attributes(Some(ALL.to_vec()))
        .max_parts(2)
        .send()
        .await
        .unwrap();
    let p = a.object_parts().unwrap();
    assert_eq!((p.total_parts_count(), p.max_parts(), p.is_truncated()), (Some(3), Some(2), Some(true)));
    assert_eq!(p.next_part_number_marker(), Some("2"));
    let listed: Vec<(Option<i32>, Option<i64>, Option<&str>)> =
        p.parts().iter().map(|x| (x.part_number(), x.size(), x.checksum_crc32())).collect();
    assert_eq!(
        listed,
        [(Some(1), Some(5 << 20), Some(sums[0].as_str())), (Some(2), Some(5 << 20), Some(sums[1].as_str()))]
    );
    assert_eq!(a.object_size(), Some(10 * 1024 * 1024 + 7));
    assert!(a.e_tag().unwrap().ends_with("-3"));
    let rest = c
        .get_object_attributes()
        .bucket("attrs")
        .key("mp")
        .object_attributes(ObjectAttributes::ObjectParts)
        .part_number_marker("2")
        .send()
        .await
        .unwrap();
    let p = rest.object_parts().unwrap();
    assert_eq!(p.parts().len(), 1);
    assert_eq!((p.parts()[0].part_number(), p.parts()[0].size(), p.is_truncated()), (Some(3), Some(7), Some(false)));
    assert!(rest.e_tag().is_none() && rest.object_size().is_none(), "only what was asked");

    // Errors.
    let r = s
        .signed(
            SignedRequest::new("GET", "/attrs/plain").query("attributes").header("x-amz-object-attributes", "Color"),
        )
        .await;
    r.assert_error(400, "InvalidArgument", "Invalid attribute name specified.");
    let r = s.signed(SignedRequest::new("GET", "/attrs/plain").query("attributes")).await;
    r.assert_error(400, "InvalidArgument", "Invalid attribute name specified.");
    let err = c
        .get_object_attributes()
        .bucket("attrs")
        .key("nope")
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error(err), (404, "NoSuchKey".into(), "The specified key does not exist.".into()));
}
