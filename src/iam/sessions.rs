//! The sessions in memory, by access key, with three indexes: by token (a request's token is found
//! without scanning every session), by holder (what the per-identity cap counts, and what ends
//! with a deleted user) and by expiry (what the purge walks, oldest first). Every change goes
//! through [`SessionTable::insert`] and [`SessionTable::remove`], which keep the four in step.
//!
//! Bounds: an identity may hold [`MAX_SESSIONS`] unexpired sessions; a new one beyond that is
//! refused, and sessions that ended give way to new ones (the earliest-ended first), so an
//! identity never holds more than that many, expired or not. Sessions that ended longer ago than
//! the store keeps them ([`crate::storage::ENDED_SESSION_RETENTION_MS`]) are purged as sessions
//! start. "Expired" is judged on the server's clock, which the caller passes in.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::identity::Session;

/// The most unexpired sessions one identity (an account's root, a user, a role) may hold at once.
/// Our choice: STS itself caps no such number, only request rates (answered `Throttling`, "Rate
/// exceeded", as here). A thousand is far beyond what a test suite holds at once (SDKs reuse their
/// credentials until they expire), and bounds what one client can make the server keep: with
/// session policies of at most 2048 characters, a few megabytes per identity.
pub const MAX_SESSIONS: usize = 1000;

/// A session's end and access key, the order sessions are purged and given way in.
type Ending = (DateTime<Utc>, String);

/// The live (and recently ended) sessions.
#[derive(Debug, Default)]
pub struct SessionTable {
    by_key: HashMap<String, Session>,
    /// Token → access key.
    by_token: HashMap<String, String>,
    /// Holder id ([`super::Holder::id`]) → its sessions, earliest-ending first.
    by_holder: HashMap<String, BTreeSet<Ending>>,
    by_expiry: BTreeSet<Ending>,
}

/// The first possible entry at `at`: entries before it ended before `at`.
fn at(t: DateTime<Utc>) -> Ending {
    (t, String::new())
}

impl SessionTable {
    /// The session of an access key.
    pub fn get(&self, access_key: &str) -> Option<&Session> {
        self.by_key.get(access_key)
    }

    /// The session a token belongs to.
    pub fn by_token(&self, token: &str) -> Option<&Session> {
        self.by_token.get(token).and_then(|key| self.by_key.get(key))
    }

    /// How many sessions are held, ended or not.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Adds a session (replacing one with the same access key).
    pub fn insert(&mut self, session: Session) {
        self.remove(&session.access_key);
        let ending = (session.expires_at, session.access_key.clone());
        self.by_token.insert(session.token.clone(), session.access_key.clone());
        self.by_holder.entry(session.holder.id().to_string()).or_default().insert(ending.clone());
        self.by_expiry.insert(ending);
        self.by_key.insert(session.access_key.clone(), session);
    }

    /// Removes a session.
    pub fn remove(&mut self, access_key: &str) -> Option<Session> {
        let session = self.by_key.remove(access_key)?;
        let ending = (session.expires_at, session.access_key.clone());
        self.by_token.remove(&session.token);
        let holder = session.holder.id();
        if let Some(set) = self.by_holder.get_mut(holder) {
            set.remove(&ending);
            if set.is_empty() {
                self.by_holder.remove(holder);
            }
        }
        self.by_expiry.remove(&ending);
        Some(session)
    }

    /// The access keys of the sessions `holder_id` holds.
    pub fn keys_of(&self, holder_id: &str) -> Vec<String> {
        self.by_holder.get(holder_id).map(|set| set.iter().map(|(_, key)| key.clone()).collect()).unwrap_or_default()
    }

    /// Removes the sessions `holder_id` holds; their access keys.
    pub fn end_all(&mut self, holder_id: &str) -> Vec<String> {
        let keys = self.keys_of(holder_id);
        for key in &keys {
            self.remove(key);
        }
        keys
    }

    /// Removes the sessions that ended before `cutoff`; their access keys.
    pub fn purge_ended_before(&mut self, cutoff: DateTime<Utc>) -> Vec<String> {
        let keys: Vec<String> = self.by_expiry.range(..at(cutoff)).map(|(_, key)| key.clone()).collect();
        for key in &keys {
            self.remove(key);
        }
        keys
    }

    /// Makes room for one more session of `holder_id` at `now`: `None` when it already holds
    /// [`MAX_SESSIONS`] unexpired ones; otherwise removes its earliest-ended sessions until it
    /// holds fewer than that, and answers their access keys.
    pub fn make_room(&mut self, holder_id: &str, now: DateTime<Utc>) -> Option<Vec<String>> {
        let Some(set) = self.by_holder.get(holder_id) else { return Some(Vec::new()) };
        let ended = set.range(..at(now)).count();
        if set.len() - ended >= MAX_SESSIONS {
            return None;
        }
        let excess = (set.len() + 1).saturating_sub(MAX_SESSIONS);
        let keys: Vec<String> = set.iter().take(excess).map(|(_, key)| key.clone()).collect();
        for key in &keys {
            self.remove(key);
        }
        Some(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::Holder;

    fn session(n: usize, holder: &str, ends: DateTime<Utc>) -> Session {
        Session {
            access_key: format!("ASIA{n:016}"),
            secret_key: "s".into(),
            token: format!("token-{n}"),
            expires_at: ends,
            holder: Holder::Root { account_id: holder.into() },
            policy: None,
        }
    }

    #[test]
    fn indexes_follow_every_change() {
        let now = Utc::now();
        let mut t = SessionTable::default();
        t.insert(session(1, "111111111111", now));
        t.insert(session(2, "111111111111", now + chrono::Duration::hours(1)));
        t.insert(session(3, "222222222222", now));
        assert_eq!(t.by_token("token-2").map(|s| s.access_key.as_str()), Some("ASIA0000000000000002"));
        assert_eq!(t.keys_of("111111111111").len(), 2);
        assert!(t.remove("ASIA0000000000000002").is_some());
        assert!(t.by_token("token-2").is_none());
        assert_eq!(t.keys_of("111111111111"), vec!["ASIA0000000000000001".to_string()]);
        // Replacing a session under the same key drops its old token.
        let mut again = session(1, "222222222222", now);
        again.token = "token-new".into();
        t.insert(again);
        assert!(t.by_token("token-1").is_none());
        assert!(t.keys_of("111111111111").is_empty());
        assert_eq!(t.end_all("222222222222").len(), 2);
        assert!(t.is_empty() && t.by_holder.is_empty() && t.by_expiry.is_empty() && t.by_token.is_empty());
    }

    #[test]
    fn purge_and_room() {
        let now = Utc::now();
        let mut t = SessionTable::default();
        for n in 0..MAX_SESSIONS {
            t.insert(session(n, "111111111111", now + chrono::Duration::seconds(n as i64)));
        }
        // All unexpired: no room.
        assert_eq!(t.make_room("111111111111", now - chrono::Duration::seconds(1)), None);
        // Two have ended at `now + 2s`: one gives way.
        let later = now + chrono::Duration::seconds(2);
        assert_eq!(t.make_room("111111111111", later), Some(vec![format!("ASIA{:016}", 0)]));
        assert_eq!(t.len(), MAX_SESSIONS - 1);
        assert_eq!(t.make_room("222222222222", later), Some(vec![]));
        assert_eq!(t.purge_ended_before(later), vec![format!("ASIA{:016}", 1)]);
        assert_eq!(t.len(), MAX_SESSIONS - 2);
    }
}
