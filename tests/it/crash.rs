//! Crash trials: a server process under a random mix of writes (PUT, overwrites, multipart
//! uploads, CopyObject, DeleteObjects, DELETE) is killed with SIGKILL at a random moment, a
//! hundred times over one data directory, from a fixed seed. After each kill: the database passes
//! `PRAGMA integrity_check`; after each restart: every acknowledged write is there (a write that
//! was cut off may or may not have happened, but nothing else), no temporary file is left, every
//! body file belongs to an object, a version or a part, and each key's versions list newest first
//! with the one `IsLatest` being what a GET finds. The second half of the trials runs with
//! versioning enabled.
//!
//! `S3STRICT_CRASH_TRIALS` and `S3STRICT_CRASH_SEED` change the number of trials and the seed;
//! a failure prints the seed and the trial.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};

use crate::common::*;

const DEFAULT_TRIALS: u64 = 100;
const DEFAULT_SEED: u64 = 0x5eed_0009;
const BUCKET: &str = "crash";
const WORKERS: usize = 3;
const KEYS_PER_WORKER: usize = 4;

/// SplitMix64: a tiny generator whose sequence never changes with a crate's version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn body(&mut self, len: usize) -> Arc<Vec<u8>> {
        let mut v = Vec::with_capacity(len + 8);
        while v.len() < len {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(len);
        Arc::new(v)
    }
}

/// What a key may hold: one state once a write was acknowledged, two while a cut-off write may
/// or may not have happened.
type Possible = Vec<Option<Arc<Vec<u8>>>>;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// An SDK client that never retries: a request cut off by the kill must fail, not be repeated
/// against the restarted server.
fn no_retry_client(p: &Proc) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(format!("http://{}", p.addr))
        .credentials_provider(Credentials::new(AK, SK, None, None, "test"))
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn put(c: &aws_sdk_s3::Client, key: &str, body: &Arc<Vec<u8>>) -> bool {
    c.put_object().bucket(BUCKET).key(key).body(body.as_ref().clone().into()).send().await.is_ok()
}

async fn multipart(c: &aws_sdk_s3::Client, key: &str, body: &Arc<Vec<u8>>) -> bool {
    let Ok(up) = c.create_multipart_upload().bucket(BUCKET).key(key).send().await else { return false };
    let Some(id) = up.upload_id() else { return false };
    let mut parts = Vec::new();
    for (i, chunk) in body.chunks(5 << 20).enumerate() {
        let n = i as i32 + 1;
        let r = c.upload_part().bucket(BUCKET).key(key).upload_id(id).part_number(n).body(chunk.to_vec().into());
        let Ok(done) = r.send().await else { return false };
        parts.push(CompletedPart::builder().part_number(n).set_e_tag(done.e_tag().map(str::to_string)).build());
    }
    let completed = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
    c.complete_multipart_upload().bucket(BUCKET).key(key).upload_id(id).multipart_upload(completed).send().await.is_ok()
}

/// One worker's writes on its own keys until the first failure (the kill); its keys' states.
async fn work(
    c: aws_sdk_s3::Client,
    mut rng: Rng,
    mut keys: BTreeMap<String, Possible>,
    killed: Arc<AtomicBool>,
) -> BTreeMap<String, Possible> {
    let names: Vec<String> = keys.keys().cloned().collect();
    loop {
        let key = names[rng.below(names.len() as u64) as usize].clone();
        let dice = rng.below(100);
        let ok = match dice {
            // PUT, new or overwrite: mostly small, sometimes a megabyte.
            0..=44 => {
                let len = if rng.below(8) == 0 { (1 << 20) + rng.below(4096) } else { rng.below(64 * 1024) };
                let body = rng.body(len as usize);
                let ok = put(&c, &key, &body).await;
                settle(&mut keys, &key, Some(body), ok)
            }
            // Multipart: a 5 MiB part and a short last part.
            45..=54 => {
                let len = (5 << 20) + 1 + rng.below(100_000) as usize;
                let body = rng.body(len);
                let ok = multipart(&c, &key, &body).await;
                settle(&mut keys, &key, Some(body), ok)
            }
            // CopyObject from another key of this worker that surely holds something.
            55..=69 => {
                let source = names[rng.below(names.len() as u64) as usize].clone();
                // (Copying an object onto itself unchanged is refused, as S3 refuses it.)
                let Some(body) = certain(&keys, &source).filter(|_| source != key) else { continue };
                let ok = c
                    .copy_object()
                    .bucket(BUCKET)
                    .key(&key)
                    .copy_source(format!("{BUCKET}/{source}"))
                    .send()
                    .await
                    .is_ok();
                settle(&mut keys, &key, Some(body), ok)
            }
            // DeleteObjects of one to all of this worker's keys.
            70..=84 => {
                let chosen: Vec<String> = names.iter().filter(|_| rng.below(2) == 0).cloned().collect();
                let chosen = if chosen.is_empty() { vec![key.clone()] } else { chosen };
                let ids: Vec<ObjectIdentifier> =
                    chosen.iter().map(|k| ObjectIdentifier::builder().key(k).build().unwrap()).collect();
                let delete = Delete::builder().set_objects(Some(ids)).quiet(true).build().unwrap();
                let r = c.delete_objects().bucket(BUCKET).delete(delete).send().await;
                let ok = r.is_ok_and(|out| out.errors().is_empty());
                let mut all = true;
                for k in &chosen {
                    all &= settle(&mut keys, k, None, ok);
                }
                all
            }
            _ => {
                let ok = c.delete_object().bucket(BUCKET).key(&key).send().await.is_ok();
                settle(&mut keys, &key, None, ok)
            }
        };
        if !ok {
            assert!(killed.load(Ordering::SeqCst), "a write on {key} failed before the kill (dice {dice})");
            return keys;
        }
    }
}

/// Records a write's outcome: acknowledged, it is the one state; cut off, one more possibility.
fn settle(keys: &mut BTreeMap<String, Possible>, key: &str, state: Option<Arc<Vec<u8>>>, acknowledged: bool) -> bool {
    let possible = keys.get_mut(key).expect("a key of this worker");
    if acknowledged {
        *possible = vec![state];
    } else {
        possible.push(state);
    }
    acknowledged
}

fn certain(keys: &BTreeMap<String, Possible>, key: &str) -> Option<Arc<Vec<u8>>> {
    match keys.get(key).map(Vec::as_slice) {
        Some([Some(body)]) => Some(body.clone()),
        _ => None,
    }
}

/// Checks the restarted server against the model and narrows every key to what it holds.
/// Returns how many cut-off writes turned out to have happened and how many not.
async fn verify(
    p: &Proc,
    data: &std::path::Path,
    model: &mut BTreeMap<String, Possible>,
    context: &str,
) -> (usize, usize) {
    let c = no_retry_client(p);
    let (mut happened, mut not) = (0, 0);
    for (key, possible) in model.iter_mut() {
        let actual = match c.get_object().bucket(BUCKET).key(key).send().await {
            Ok(out) => Some(out.body.collect().await.expect("body").into_bytes().to_vec()),
            Err(e) => {
                let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e).map(str::to_string);
                assert_eq!(code.as_deref(), Some("NoSuchKey"), "{context}: GET {key}: {e:?}");
                None
            }
        };
        let matched = possible.iter().find(|s| s.as_ref().map(|b| b.as_slice()) == actual.as_deref());
        let describe =
            |s: &Option<Arc<Vec<u8>>>| s.as_ref().map_or("absent".to_string(), |b| format!("{} bytes", b.len()));
        let Some(matched) = matched.cloned() else {
            panic!(
                "{context}: {key} holds {:?}, expected one of {:?}",
                actual.as_ref().map(Vec::len),
                possible.iter().map(describe).collect::<Vec<_>>()
            );
        };
        if possible.len() > 1 && possible.first() != possible.last() {
            if possible.last() == Some(&matched) {
                happened += 1;
            } else {
                not += 1;
            }
        }
        *possible = vec![matched];
    }
    let tmp: Vec<_> = std::fs::read_dir(data.join("tmp")).unwrap().collect();
    assert!(tmp.is_empty(), "{context}: {} temporary files left", tmp.len());
    let mut files = HashSet::new();
    for shard in std::fs::read_dir(data.join("blobs")).unwrap() {
        for blob in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            files.insert(blob.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    let db =
        rusqlite::Connection::open_with_flags(data.join("s3strict.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = db
        .prepare(
            "SELECT blob_id FROM objects WHERE body IS NULL UNION SELECT blob_id FROM parts
             UNION SELECT blob_id FROM versions WHERE blob_id IS NOT NULL",
        )
        .unwrap();
    let referenced: HashSet<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let missing: Vec<_> = referenced.difference(&files).collect();
    assert!(missing.is_empty(), "{context}: referenced bodies missing: {missing:?}");
    let orphans: Vec<_> = files.difference(&referenced).collect();
    assert!(orphans.is_empty(), "{context}: body files nothing refers to: {orphans:?}");
    check_version_order(&c, model, context).await;
    (happened, not)
}

/// Versions list newest first per key with exactly the first one `IsLatest`, and the latest is
/// what a GET of the key finds: the object, or nothing when it is a delete marker.
async fn check_version_order(c: &aws_sdk_s3::Client, model: &BTreeMap<String, Possible>, context: &str) {
    let mut entries: Vec<(String, String, bool, bool)> = Vec::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = c
            .list_object_versions()
            .bucket(BUCKET)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .expect("list versions");
        for v in page.versions() {
            let (key, id) = (v.key().unwrap_or_default(), v.version_id().unwrap_or_default());
            entries.push((key.into(), id.into(), v.is_latest() == Some(true), false));
        }
        for m in page.delete_markers() {
            let (key, id) = (m.key().unwrap_or_default(), m.version_id().unwrap_or_default());
            entries.push((key.into(), id.into(), m.is_latest() == Some(true), true));
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
    for key in model.keys() {
        let latest: Vec<&(String, String, bool, bool)> = entries.iter().filter(|e| &e.0 == key && e.2).collect();
        let any = entries.iter().any(|e| &e.0 == key);
        assert!(!any || latest.len() == 1, "{context}: {key} has {} latest versions", latest.len());
        if let Some(latest) = latest.first() {
            let found = c.head_object().bucket(BUCKET).key(key).send().await.is_ok();
            assert_eq!(found, !latest.3, "{context}: {key}: the latest version and GET disagree");
        }
    }
}

fn integrity_check(data: &std::path::Path, context: &str) {
    let db = rusqlite::Connection::open(data.join("s3strict.db")).unwrap();
    let verdict: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(verdict, "ok", "{context}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_trials() {
    let trials = env_u64("S3STRICT_CRASH_TRIALS", DEFAULT_TRIALS);
    let seed = env_u64("S3STRICT_CRASH_SEED", DEFAULT_SEED);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let args = ["--addr", "127.0.0.1:0", "--data", data.to_str().unwrap()];
    let mut rng = Rng(seed);
    let mut model: BTreeMap<String, Possible> = BTreeMap::new();
    for w in 0..WORKERS {
        for k in 0..KEYS_PER_WORKER {
            model.insert(format!("w{w}/k{k}"), vec![None]);
        }
    }
    let (mut happened, mut not) = (0, 0);
    for trial in 0..=trials {
        let context = format!("seed {seed:#x}, after trial {trial}");
        let p = Proc::spawn(&args, &[]);
        if trial == 0 {
            no_retry_client(&p).create_bucket().bucket(BUCKET).send().await.unwrap();
        }
        let (h, n) = verify(&p, &data, &mut model, &context).await;
        (happened, not) = (happened + h, not + n);
        if trial == trials {
            break;
        }
        // Half the trials run on a versioned bucket: writes become versions, deletes markers.
        if trial == trials / 2 {
            let conf = aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build();
            no_retry_client(&p)
                .put_bucket_versioning()
                .bucket(BUCKET)
                .versioning_configuration(conf)
                .send()
                .await
                .unwrap();
        }
        // Each worker gets its own keys and generator; the kill comes at a random moment.
        let mut tasks = Vec::new();
        let killed = Arc::new(AtomicBool::new(false));
        for w in 0..WORKERS {
            let prefix = format!("w{w}/");
            let keys: BTreeMap<String, Possible> =
                model.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(k, v)| (k.clone(), v.clone())).collect();
            tasks.push(tokio::spawn(work(no_retry_client(&p), Rng(rng.next()), keys, killed.clone())));
        }
        tokio::time::sleep(Duration::from_millis(20 + rng.below(400))).await;
        killed.store(true, Ordering::SeqCst);
        p.signal("KILL");
        drop(p);
        for t in tasks {
            let keys = t.await.expect("worker");
            model.extend(keys);
        }
        integrity_check(&data, &format!("seed {seed:#x}, trial {trial}, right after the kill"));
    }
    eprintln!(
        "{trials} kill -9 trials from seed {seed:#x}: every acknowledged write kept; of the writes cut off, {happened} had happened and {not} had not"
    );
    assert!(happened > 0 && not > 0, "the kills land both before and after writes take effect");
}
