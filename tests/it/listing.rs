//! ListObjectsV2 and ListObjects (v1): prefixes, delimiters, pagination, encoding.

use crate::common::*;

async fn seeded(keys: &[&str]) -> TestServer {
    let s = TestServer::start().await;
    s.create_bucket("list").await;
    let c = s.client();
    for k in keys {
        c.put_object().bucket("list").key(*k).body(b"x".to_vec().into()).send().await.unwrap();
    }
    s
}

const TREE: &[&str] = &[
    "a.txt",
    "photos/2024/jan.jpg",
    "photos/2024/feb.jpg",
    "photos/2025/mar.jpg",
    "photos/index.html",
    "videos/v.mp4",
    "z",
];

#[tokio::test]
async fn v2_prefix_and_delimiter() {
    let s = seeded(TREE).await;
    let c = s.client();
    let out = c.list_objects_v2().bucket("list").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["a.txt", "z"]);
    assert_eq!(prefixes, ["photos/", "videos/"]);
    assert_eq!(out.key_count(), Some(4));
    assert_eq!(out.is_truncated(), Some(false));
    let out = c.list_objects_v2().bucket("list").prefix("photos/").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["photos/index.html"]);
    assert_eq!(prefixes, ["photos/2024/", "photos/2025/"]);
    let o = &c.list_objects_v2().bucket("list").prefix("a").send().await.unwrap().contents()[0].clone();
    assert_eq!(o.size(), Some(1));
    assert_eq!(o.e_tag(), Some(format!("\"{}\"", md5_hex(b"x")).as_str()));
    assert!(o.owner().is_none(), "owner only with fetch-owner");
    let out = c.list_objects_v2().bucket("list").prefix("a").fetch_owner(true).send().await.unwrap();
    assert!(out.contents()[0].owner().and_then(|o| o.id()).is_some());
}

#[tokio::test]
async fn v2_pagination_walks_everything_once() {
    let s = seeded(TREE).await;
    let c = s.client();
    for (max, delimiter) in [(1, None), (2, None), (1, Some("/")), (3, Some("/"))] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = c.list_objects_v2().bucket("list").max_keys(max).set_continuation_token(token.clone());
            if let Some(d) = delimiter {
                req = req.delimiter(d);
            }
            let out = req.send().await.unwrap();
            assert!(out.key_count().unwrap() <= max);
            seen.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_string)));
            seen.extend(out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
            if out.is_truncated() != Some(true) {
                break;
            }
            token = out.next_continuation_token().map(str::to_string);
            assert!(token.is_some());
        }
        let expected: Vec<&str> = match delimiter {
            None => {
                let mut all = TREE.to_vec();
                all.sort();
                all
            }
            Some(_) => vec!["a.txt", "photos/", "videos/", "z"],
        };
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "max {max} delimiter {delimiter:?}");
        assert_eq!(seen.len(), expected.len());
    }
    let out = c.list_objects_v2().bucket("list").start_after("photos/2024/jan.jpg").max_keys(2).send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["photos/2025/mar.jpg", "photos/index.html"]);
    assert_eq!(out.start_after(), Some("photos/2024/jan.jpg"));
    let out = c.list_objects_v2().bucket("list").max_keys(0).send().await.unwrap();
    assert_eq!(out.key_count(), Some(0));
}

#[tokio::test]
async fn v2_errors() {
    let s = seeded(&[]).await;
    let r = s.signed(SignedRequest::new("GET", "/list").query("list-type=2&max-keys=abc")).await;
    let doc = r.assert_error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
    assert_eq!(doc.get("ArgumentName"), Some("max-keys"));
    assert_eq!(doc.get("ArgumentValue"), Some("abc"));
    let r = s.signed(SignedRequest::new("GET", "/list").query("list-type=2&encoding-type=xml")).await;
    r.assert_error(400, "InvalidArgument", "Invalid Encoding Method specified in Request");
    let r = s.signed(SignedRequest::new("GET", "/list").query("continuation-token=%21%21&list-type=2")).await;
    r.assert_error(400, "InvalidArgument", "The continuation token provided is incorrect");
}

#[tokio::test]
async fn v2_url_encoding() {
    let s = seeded(&["sp ace/a+b", "é/x"]).await;
    let r = s.signed(SignedRequest::new("GET", "/list").query("delimiter=%2F&encoding-type=url&list-type=2")).await;
    assert_eq!(r.status, 200);
    let body = r.text();
    assert!(body.contains("<Prefix>sp%20ace/</Prefix>"), "{body}");
    assert!(body.contains("<Prefix>%C3%A9/</Prefix>"), "{body}");
    assert!(body.contains("<EncodingType>url</EncodingType>"), "{body}");
    // The SDK asks for url encoding and decodes it back.
    let out = s
        .client()
        .list_objects_v2()
        .bucket("list")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 2);
}

#[tokio::test]
async fn v1_markers() {
    let s = seeded(TREE).await;
    let c = s.client();
    let out = c.list_objects().bucket("list").max_keys(3).send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a.txt", "photos/2024/feb.jpg", "photos/2024/jan.jpg"]);
    assert_eq!(out.is_truncated(), Some(true));
    assert_eq!(out.next_marker(), None, "NextMarker only with a delimiter");
    assert!(out.contents()[0].owner().is_some(), "v1 always lists the owner");
    let out = c.list_objects().bucket("list").marker("photos/2024/jan.jpg").max_keys(100).send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["photos/2025/mar.jpg", "photos/index.html", "videos/v.mp4", "z"]);
    let out = c.list_objects().bucket("list").delimiter("/").max_keys(2).send().await.unwrap();
    assert_eq!(out.next_marker(), Some("photos/"));
    let out = c.list_objects().bucket("list").delimiter("/").marker("photos/").send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["z"]);
    assert_eq!(prefixes, ["videos/"]);
}

/// ListObjectVersions on a never-versioned bucket: every object is its one `null` version.
#[tokio::test]
async fn object_versions_of_an_unversioned_bucket() {
    let s = seeded(TREE).await;
    let c = s.client();
    let out = c.list_object_versions().bucket("list").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = out.versions().iter().filter_map(|v| v.key()).collect();
    assert_eq!(keys, ["a.txt", "z"]);
    assert!(out.versions().iter().all(|v| v.version_id() == Some("null") && v.is_latest() == Some(true)));
    let prefixes: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["photos/", "videos/"]);
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out =
            c.list_object_versions().bucket("list").max_keys(3).set_key_marker(marker.clone()).send().await.unwrap();
        seen.extend(out.versions().iter().filter_map(|v| v.key().map(str::to_string)));
        if out.is_truncated() != Some(true) {
            break;
        }
        marker = out.next_key_marker().map(str::to_string);
    }
    let mut all = TREE.to_vec();
    all.sort();
    assert_eq!(seen, all);
}

/// Pages longer than the store reads at once (256 rows): 600 keys, objects and common prefixes
/// interleaved across those reads, listed whole and walked in pages of 250.
#[tokio::test]
async fn long_listings_cross_the_store_batches() {
    let s = TestServer::start().await;
    s.create_bucket("long").await;
    let mut keys = Vec::new();
    for i in 0..600 {
        // Every seventh key is a "folder" of two keys.
        if i % 7 == 0 {
            keys.push(format!("k{i:04}/a"));
            keys.push(format!("k{i:04}/b"));
        } else {
            keys.push(format!("k{i:04}"));
        }
    }
    let mut writers = Vec::new();
    for chunk in keys.chunks(100) {
        let (c, chunk) = (s.client(), chunk.to_vec());
        writers.push(tokio::spawn(async move {
            for k in chunk {
                c.put_object().bucket("long").key(k).body(Vec::new().into()).send().await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let c = s.client();
    let out = c.list_objects_v2().bucket("long").send().await.unwrap();
    let listed: Vec<_> = out.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();
    assert_eq!(listed, keys, "every key once, in order");
    assert_eq!(out.is_truncated(), Some(false));
    let out = c.list_objects_v2().bucket("long").delimiter("/").send().await.unwrap();
    let plain: Vec<_> = out.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();
    let folders: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)).collect();
    assert_eq!(plain, (0..600).filter(|i| i % 7 != 0).map(|i| format!("k{i:04}")).collect::<Vec<_>>());
    assert_eq!(folders, (0..600).filter(|i| i % 7 == 0).map(|i| format!("k{i:04}/")).collect::<Vec<_>>());
    assert_eq!(out.key_count(), Some(600));
    for delimiter in [None, Some("/")] {
        let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let req = c.list_objects_v2().bucket("long").max_keys(250).set_delimiter(delimiter.map(str::to_string));
            let out = req.set_continuation_token(token.clone()).send().await.unwrap();
            seen.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_string)));
            seen.extend(out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
            pages += 1;
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        seen.sort();
        let expected = if delimiter.is_some() { 600 } else { keys.len() };
        assert_eq!((seen.len(), pages), (expected, expected.div_ceil(250)), "{delimiter:?}");
        seen.dedup();
        assert_eq!(seen.len(), expected, "no entry twice ({delimiter:?})");
    }
}

/// A listing answered again while nothing was written comes from the pages kept since the last
/// write, byte for byte; any write (a new key, a deletion, a replaced object) makes the next
/// listing read the bucket anew.
#[tokio::test]
async fn repeated_listings_follow_every_write() {
    let s = seeded(&["a", "b"]).await;
    let c = s.client();
    let target = "/list?list-type=2&fetch-owner=true";
    let first = s.signed(SignedRequest::new("GET", "/list").query("list-type=2&fetch-owner=true")).await;
    assert_eq!(first.status, 200);
    let again = s.signed(SignedRequest::new("GET", "/list").query("list-type=2&fetch-owner=true")).await;
    assert_eq!(again.body, first.body, "{target}: the same page");
    let keys = |c: aws_sdk_s3::Client| async move {
        let out = c.list_objects_v2().bucket("list").send().await.unwrap();
        out.contents().iter().map(|o| (o.key().unwrap().to_string(), o.size().unwrap())).collect::<Vec<_>>()
    };
    assert_eq!(keys(c.clone()).await, [("a".to_string(), 1), ("b".to_string(), 1)]);
    c.put_object().bucket("list").key("c").body(b"new".to_vec().into()).send().await.unwrap();
    assert_eq!(keys(c.clone()).await, [("a".to_string(), 1), ("b".to_string(), 1), ("c".to_string(), 3)]);
    c.put_object().bucket("list").key("a").body(b"longer".to_vec().into()).send().await.unwrap();
    assert_eq!(keys(c.clone()).await, [("a".to_string(), 6), ("b".to_string(), 1), ("c".to_string(), 3)]);
    c.delete_object().bucket("list").key("b").send().await.unwrap();
    assert_eq!(keys(c.clone()).await, [("a".to_string(), 6), ("c".to_string(), 3)]);
    // Another form of the same listing is its own page.
    let out = c.list_objects_v2().bucket("list").max_keys(1).send().await.unwrap();
    assert_eq!(out.contents().len(), 1);
    assert_eq!(out.is_truncated(), Some(true));
    let r = s.signed(SignedRequest::new("GET", "/list").query("list-type=2&fetch-owner=true")).await;
    assert_ne!(r.body, first.body, "after writes, not the first page");
    assert!(r.text().contains("<Key>c</Key>") && !r.text().contains("<Key>b</Key>"), "{}", r.text());
}
