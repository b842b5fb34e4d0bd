//! The database: opening its connections, and creating or migrating its schema.

use rusqlite::Connection;

/// The schema version this build writes.
const SCHEMA_VERSION: i64 = 13;

/// Opens (creating or migrating) the database at `path`. With `fsync`, every commit reaches the
/// disk (`synchronous = FULL`); otherwise commits survive a killed process but not a power loss.
pub fn open(path: &std::path::Path, fsync: bool) -> rusqlite::Result<Connection> {
    // Each connection is used by one thread at a time: SQLite's own locking is not needed.
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
            | rusqlite::OpenFlags::SQLITE_OPEN_URI
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", if fsync { "FULL" } else { "NORMAL" })?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&conn)?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version < 1 {
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE buckets (
                 name TEXT PRIMARY KEY,
                 region TEXT NOT NULL,
                 created_ms INTEGER NOT NULL
             );
             CREATE TABLE objects (
                 bucket TEXT NOT NULL REFERENCES buckets(name),
                 key BLOB NOT NULL,
                 blob_id TEXT NOT NULL,
                 size INTEGER NOT NULL,
                 etag TEXT NOT NULL,
                 last_modified_ms INTEGER NOT NULL,
                 headers TEXT NOT NULL,
                 user_meta TEXT NOT NULL,
                 PRIMARY KEY (bucket, key)
             ) WITHOUT ROWID;
             CREATE INDEX objects_blob ON objects(blob_id);
             COMMIT;",
        )?;
    }
    if version < 2 {
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE objects ADD COLUMN part_sizes TEXT NOT NULL DEFAULT '[]';
             CREATE TABLE uploads (
                 upload_id TEXT PRIMARY KEY,
                 bucket TEXT NOT NULL REFERENCES buckets(name),
                 key BLOB NOT NULL,
                 initiated_ms INTEGER NOT NULL,
                 headers TEXT NOT NULL,
                 user_meta TEXT NOT NULL
             );
             CREATE INDEX uploads_by_key ON uploads(bucket, key, initiated_ms);
             CREATE TABLE parts (
                 upload_id TEXT NOT NULL REFERENCES uploads(upload_id),
                 part_number INTEGER NOT NULL,
                 blob_id TEXT NOT NULL,
                 size INTEGER NOT NULL,
                 etag TEXT NOT NULL,
                 last_modified_ms INTEGER NOT NULL,
                 PRIMARY KEY (upload_id, part_number)
             ) WITHOUT ROWID;
             CREATE INDEX parts_blob ON parts(blob_id);
             COMMIT;",
        )?;
    }
    if version < 3 {
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE objects ADD COLUMN checksum TEXT;
             ALTER TABLE parts ADD COLUMN checksum TEXT;
             ALTER TABLE uploads ADD COLUMN checksum_algorithm TEXT;
             ALTER TABLE uploads ADD COLUMN checksum_type TEXT;
             COMMIT;",
        )?;
    }
    if version < 4 {
        conn.execute_batch("BEGIN; ALTER TABLE buckets ADD COLUMN cors TEXT; COMMIT;")?;
    }
    if version < 5 {
        // Buckets made before accounts existed have no owner until startup adopts them.
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE buckets ADD COLUMN owner_account TEXT;
             ALTER TABLE buckets ADD COLUMN policy TEXT;
             CREATE TABLE users (
                 account_id TEXT NOT NULL,
                 name TEXT NOT NULL,
                 access_key TEXT NOT NULL UNIQUE,
                 secret_key TEXT NOT NULL,
                 status TEXT NOT NULL,
                 user_id TEXT NOT NULL,
                 policies TEXT NOT NULL,
                 created_ms INTEGER NOT NULL,
                 PRIMARY KEY (account_id, name)
             );
             CREATE TABLE sessions (
                 access_key TEXT PRIMARY KEY,
                 secret_key TEXT NOT NULL,
                 token TEXT NOT NULL UNIQUE,
                 expires_ms INTEGER NOT NULL,
                 holder TEXT NOT NULL,
                 policy TEXT
             );
             COMMIT;",
        )?;
    }
    if version < 6 {
        // Buckets from before access control keep what they had: no ACLs, public access blocked.
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE buckets ADD COLUMN ownership TEXT;
             ALTER TABLE buckets ADD COLUMN public_access_block TEXT;
             ALTER TABLE buckets ADD COLUMN acl TEXT;
             UPDATE buckets SET ownership = 'BucketOwnerEnforced',
                 public_access_block = '{\"block_public_acls\":true,\"ignore_public_acls\":true,\"block_public_policy\":true,\"restrict_public_buckets\":true}';
             ALTER TABLE objects ADD COLUMN owner_account TEXT;
             ALTER TABLE objects ADD COLUMN acl TEXT;
             ALTER TABLE uploads ADD COLUMN owner_account TEXT;
             ALTER TABLE uploads ADD COLUMN acl TEXT;
             COMMIT;",
        )?;
    }
    if version < 7 {
        // Whether the bucket takes SigV2 requests, as buckets S3 created before 24 June 2020 do.
        // Buckets from before the column are treated as new ones.
        conn.execute_batch("BEGIN; ALTER TABLE buckets ADD COLUMN sigv2 INTEGER NOT NULL DEFAULT 0; COMMIT;")?;
    }
    if version < 8 {
        // Tag sets: objects' and uploads' (JSON pairs, empty by default), buckets' (none: NULL).
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE objects ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
             ALTER TABLE uploads ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
             ALTER TABLE buckets ADD COLUMN tags TEXT;
             COMMIT;",
        )?;
    }
    if version < 9 {
        // Each part's checksum of a completed multipart object, for GetObjectAttributes.
        conn.execute_batch("BEGIN; ALTER TABLE objects ADD COLUMN part_checksums TEXT NOT NULL DEFAULT '[]'; COMMIT;")?;
    }
    if version < 10 {
        // Versioning: the bucket's state, the current object's version id (NULL: the null
        // version) and order, and every other version (see `versions`).
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE buckets ADD COLUMN versioning TEXT;
             ALTER TABLE objects ADD COLUMN version_id TEXT;
             ALTER TABLE objects ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
             CREATE TABLE versions (
                 bucket TEXT NOT NULL REFERENCES buckets(name),
                 key BLOB NOT NULL,
                 version_id TEXT NOT NULL,
                 seq INTEGER NOT NULL,
                 delete_marker INTEGER NOT NULL,
                 doc TEXT NOT NULL,
                 blob_id TEXT,
                 PRIMARY KEY (bucket, key, version_id)
             ) WITHOUT ROWID;
             CREATE INDEX versions_order ON versions(bucket, key, seq);
             CREATE INDEX versions_blob ON versions(blob_id);
             COMMIT;",
        )?;
    }
    if version < 11 {
        // Small bodies kept in the row instead of a file of their own (see `ObjectMeta::body`).
        conn.execute_batch("BEGIN; ALTER TABLE objects ADD COLUMN body BLOB; COMMIT;")?;
    }
    if version < 12 {
        // Only bodies in files need finding by id (startup recovery): an index of every row's
        // random id put a random page of it into each small PUT's transaction (one page in five
        // of a new-key PUT's WAL frames, and reads once the index outgrew the cache).
        conn.execute_batch(
            "BEGIN;
             DROP INDEX objects_blob;
             CREATE INDEX objects_file ON objects(blob_id) WHERE body IS NULL;
             COMMIT;",
        )?;
    }
    if version < 13 {
        // The unique ids a bucket policy's principals were bound to when it was put (JSON: ARN to
        // id). Policies put before have none (NULL): their principals are matched by ARN.
        conn.execute_batch("BEGIN; ALTER TABLE buckets ADD COLUMN policy_principals TEXT; COMMIT;")?;
    }
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// A read-only connection to the database (WAL: it reads beside the writer).
pub fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Schema 12 to 13: a bucket policy put before keeps its text and gets no principal ids
    /// (NULL: matched by ARN, see `meta::StoredPolicy`); the new column takes them.
    #[test]
    fn schema_12_bucket_policies_get_a_principal_ids_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let conn = open(&path, false).unwrap();
        conn.execute_batch(
            "ALTER TABLE buckets DROP COLUMN policy_principals; PRAGMA user_version = 12;
             INSERT INTO buckets (name, region, created_ms, owner_account, policy) VALUES ('b', 'us-east-1', 0, '1', '{}');",
        )
        .unwrap();
        drop(conn);
        let conn = open(&path, false).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let row: (String, Option<String>) = conn
            .query_row("SELECT policy, policy_principals FROM buckets", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(row, ("{}".to_string(), None));
        let bucket = crate::storage::meta::get_bucket(&conn, "b").unwrap().unwrap();
        assert_eq!(
            bucket.policy,
            Some(crate::storage::StoredPolicy { text: "{}".into(), principal_ids: Default::default() })
        );
        let mut ids = std::collections::BTreeMap::new();
        ids.insert("arn:aws:iam::1:user/u".to_string(), "AIDAX".to_string());
        let stored = crate::storage::StoredPolicy { text: "{}".into(), principal_ids: ids };
        assert!(crate::storage::meta::set_bucket_policy(&conn, "b", Some(&stored)).unwrap());
        assert_eq!(crate::storage::meta::get_bucket(&conn, "b").unwrap().unwrap().policy, Some(stored));
        assert!(crate::storage::meta::set_bucket_policy(&conn, "b", None).unwrap());
        assert_eq!(crate::storage::meta::get_bucket(&conn, "b").unwrap().unwrap().policy, None);
    }
}
