//! Identities in SQLite: IAM users (with their keys and inline policy documents) and temporary
//! sessions, so both survive a restart. Policy documents are stored as the text they were given;
//! what they mean is not the store's business.

use rusqlite::{params, Connection};

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

/// Sessions that have not expired at `now_ms`; expired ones are removed.
pub fn live_sessions(conn: &Connection, now_ms: i64) -> rusqlite::Result<Vec<SessionRow>> {
    conn.execute("DELETE FROM sessions WHERE expires_ms < ?1", [now_ms])?;
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

pub fn insert_session(conn: &Connection, s: &SessionRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sessions (access_key, secret_key, token, expires_ms, holder, policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.access_key, s.secret_key, s.token, s.expires_ms, s.holder, s.policy],
    )?;
    Ok(())
}
