//! Identities in SQLite: IAM users (with their keys and inline policy documents) and temporary
//! sessions, so both survive a restart. Policy documents and who a session acts as are stored as
//! the text they were given; what they mean is not the store's business. Which sessions end
//! (their user deleted, their identity gone, too many) is the registry's ([`crate::iam`]): it
//! says which rows to remove, with the write that goes with it.

use rusqlite::{params, Connection};

use super::store::Store;
use crate::error::S3Result;

/// How long the row of a session that ended (expired) is kept, in milliseconds of the server's
/// clock: a week, the longest a presigned URL lives. Until then a request with the session's
/// token is still answered `ExpiredToken`, as S3 answers it (its tokens carry their expiry), and
/// after it the key is unknown (`InvalidAccessKeyId`). The registry keeps sessions in memory as
/// long; what bounds both is its cap on sessions per identity.
pub const ENDED_SESSION_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

/// A stored IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub account_id: String,
    pub name: String,
    pub access_key: String,
    pub secret_key: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// The stable unique id (`AIDA…`).
    pub user_id: String,
    /// Inline policy documents, as given.
    pub policies: Vec<String>,
    pub created_ms: i64,
}

/// A stored session (temporary credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub access_key: String,
    pub secret_key: String,
    pub token: String,
    pub expires_ms: i64,
    /// Who the session acts as, serialised by its owner module.
    pub holder: String,
    /// The session policy document, if any.
    pub policy: Option<String>,
}

pub fn list_users(conn: &Connection) -> rusqlite::Result<Vec<UserRow>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, name, access_key, secret_key, status, user_id, policies, created_ms
         FROM users ORDER BY account_id, name",
    )?;
    let rows = stmt.query_map([], |r| {
        let policies: String = r.get(6)?;
        let policies: Vec<String> = serde_json::from_str(&policies)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e)))?;
        Ok(UserRow {
            account_id: r.get(0)?,
            name: r.get(1)?,
            access_key: r.get(2)?,
            secret_key: r.get(3)?,
            status: r.get(4)?,
            user_id: r.get(5)?,
            policies,
            created_ms: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// Inserts or replaces a user (by account and name).
pub fn upsert_user(conn: &Connection, u: &UserRow) -> rusqlite::Result<()> {
    let policies =
        serde_json::to_string(&u.policies).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute(
        "INSERT OR REPLACE INTO users (account_id, name, access_key, secret_key, status, user_id, policies, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![u.account_id, u.name, u.access_key, u.secret_key, u.status, u.user_id, policies, u.created_ms],
    )?;
    Ok(())
}

/// Deletes a user; false when there was none.
pub fn delete_user(conn: &Connection, account_id: &str, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE account_id = ?1 AND name = ?2", params![account_id, name])? == 1)
}

/// Every session that did not end before `ended_before_ms`; those that did are removed.
pub fn kept_sessions(conn: &Connection, ended_before_ms: i64) -> rusqlite::Result<Vec<SessionRow>> {
    conn.execute("DELETE FROM sessions WHERE expires_ms < ?1", [ended_before_ms])?;
    let mut stmt = conn.prepare("SELECT access_key, secret_key, token, expires_ms, holder, policy FROM sessions")?;
    let rows = stmt.query_map([], |r| {
        Ok(SessionRow {
            access_key: r.get(0)?,
            secret_key: r.get(1)?,
            token: r.get(2)?,
            expires_ms: r.get(3)?,
            holder: r.get(4)?,
            policy: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// Removes the sessions of these access keys (those missing are no error).
pub fn delete_sessions(conn: &Connection, access_keys: &[String]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("DELETE FROM sessions WHERE access_key = ?1")?;
    for key in access_keys {
        stmt.execute([key])?;
    }
    Ok(())
}

pub fn insert_session(conn: &Connection, s: &SessionRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sessions (access_key, secret_key, token, expires_ms, holder, policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.access_key, s.secret_key, s.token, s.expires_ms, s.holder, s.policy],
    )?;
    Ok(())
}

/// The sessions a store kept, as read at startup, with the way back to it for those the registry
/// does not take (their identity is gone, or their row no longer reads).
#[derive(Debug, Default)]
pub struct StoredSessions {
    /// The rows, in no particular order.
    pub rows: Vec<SessionRow>,
    store: Option<Store>,
}

impl From<Vec<SessionRow>> for StoredSessions {
    /// Rows from elsewhere (tests, `check-url`): nothing to forget them in.
    fn from(rows: Vec<SessionRow>) -> Self {
        StoredSessions { rows, store: None }
    }
}

impl StoredSessions {
    /// Removes the rows of these sessions from the store. The removal is queued on the writer,
    /// not waited for: it commits before any later write is answered (so before the server
    /// serves), and a failure is logged; the registry no longer has them either way, and the
    /// next start would find them again.
    pub fn forget(&self, access_keys: Vec<String>) {
        let Some(store) = &self.store else { return };
        if access_keys.is_empty() {
            return;
        }
        store.writer.queue("removing sessions whose identity is gone", move |c| Ok(delete_sessions(c, &access_keys)?));
    }
}

/// Users and sessions.
impl Store {
    pub async fn users(&self) -> S3Result<Vec<UserRow>> {
        self.with_db(|c, _| Ok(list_users(c)?)).await
    }

    pub async fn save_user(&self, user: UserRow) -> S3Result<()> {
        self.with_db(move |c, _| Ok(upsert_user(c, &user)?)).await
    }

    /// Deletes a user and, in the same transaction, the sessions it held (`sessions`, their
    /// access keys); false when there was no such user.
    pub async fn delete_user(&self, account_id: &str, name: &str, sessions: Vec<String>) -> S3Result<bool> {
        let (account_id, name) = (account_id.to_string(), name.to_string());
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            let deleted = delete_user(&tx, &account_id, &name)?;
            delete_sessions(&tx, &sessions)?;
            tx.commit()?;
            Ok(deleted)
        })
        .await
    }

    /// The stored sessions at `now_ms` (the server's clock); those that ended more than
    /// [`ENDED_SESSION_RETENTION_MS`] before are removed.
    pub async fn sessions(&self, now_ms: i64) -> S3Result<StoredSessions> {
        let ended_before = now_ms.saturating_sub(ENDED_SESSION_RETENTION_MS);
        let rows = self.with_db(move |c, _| Ok(kept_sessions(c, ended_before)?)).await?;
        Ok(StoredSessions { rows, store: Some(self.clone()) })
    }

    /// Stores a new session and, in the same transaction, removes the sessions that ended to make
    /// room for it (`ended`, their access keys).
    pub async fn save_session(&self, session: SessionRow, ended: Vec<String>) -> S3Result<()> {
        self.with_db(move |c, _| {
            let tx = c.savepoint()?;
            delete_sessions(&tx, &ended)?;
            insert_session(&tx, &session)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
