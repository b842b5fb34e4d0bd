//! Access keys and their secrets, temporary session credentials (minted through
//! `POST /_s3strict/sessions`, like STS), and the cache of derived signing keys.

use std::collections::HashMap;
use std::sync::Mutex;

use super::canonical::signing_key;

/// The AWS documentation example access key, the default.
pub const DEFAULT_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// The AWS documentation example secret key, the default.
pub const DEFAULT_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Cached signing keys are dropped wholesale past this many entries.
const CACHE_LIMIT: usize = 1024;

/// A signing-key scope: (access key, date, region, service).
type ScopeId = (String, String, String, String);

/// Temporary credentials: valid only with their session token, until they expire.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key: String,
    pub secret_key: String,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The known credentials.
#[derive(Debug)]
pub struct Credentials {
    secrets: HashMap<String, String>,
    /// Sessions by token (in memory: they end with the process, like the clock setting).
    sessions: Mutex<HashMap<String, Session>>,
    cache: Mutex<HashMap<ScopeId, [u8; 32]>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// `n` random characters from `alphabet`.
fn random_string(alphabet: &[u8], n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in uuid::Uuid::new_v4().into_bytes() {
            if out.len() < n {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

impl Credentials {
    /// Credentials holding one key pair.
    pub fn single(access_key: &str, secret_key: &str) -> Self {
        let mut secrets = HashMap::new();
        secrets.insert(access_key.to_string(), secret_key.to_string());
        Credentials { secrets, sessions: Mutex::new(HashMap::new()), cache: Mutex::new(HashMap::new()) }
    }

    /// Whether `access_key` is known (a long-term key or a session's).
    pub fn contains(&self, access_key: &str) -> bool {
        self.secret(access_key).is_some()
    }

    /// The secret of `access_key` (SigV2 signs with it directly).
    pub fn secret(&self, access_key: &str) -> Option<String> {
        if let Some(s) = self.secrets.get(access_key) {
            return Some(s.clone());
        }
        lock(&self.sessions).values().find(|s| s.access_key == access_key).map(|s| s.secret_key.clone())
    }

    /// Mints temporary credentials valid until `expires_at`.
    pub fn create_session(&self, expires_at: chrono::DateTime<chrono::Utc>) -> Session {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let session = Session {
            access_key: format!("ASIA{}", random_string(UPPER, 16)),
            secret_key: random_string(SECRET, 40),
            token: random_string(SECRET, 256),
            expires_at,
        };
        lock(&self.sessions).insert(session.token.clone(), session.clone());
        session
    }

    /// The session a token belongs to.
    pub fn session(&self, token: &str) -> Option<Session> {
        lock(&self.sessions).get(token).cloned()
    }

    /// Whether `access_key` belongs to a session (and so needs its token).
    pub fn is_session_key(&self, access_key: &str) -> bool {
        !self.secrets.contains_key(access_key) && self.contains(access_key)
    }

    /// The signing key of `access_key` for a (date, region, service) scope, derived once per scope.
    pub fn signing_key(&self, access_key: &str, date: &str, region: &str, service: &str) -> Option<[u8; 32]> {
        let id = (access_key.to_string(), date.to_string(), region.to_string(), service.to_string());
        if let Some(k) = lock(&self.cache).get(&id) {
            return Some(*k);
        }
        let key = signing_key(&self.secret(access_key)?, date, region, service);
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(id, key);
        Some(key)
    }
}
