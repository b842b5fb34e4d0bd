//! What authentication asks of the identities: the secret of an access key that may sign now,
//! the session a token belongs to, and the cache of derived SigV4 signing keys. The identities
//! themselves live in [`crate::iam`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::canonical::signing_key;
pub use crate::iam::settings::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use crate::iam::{Iam, Session};

/// Cached signing keys are dropped wholesale past this many entries.
const CACHE_LIMIT: usize = 1024;

/// A signing-key scope: (access key, secret, date, region, service). The secret is part of it so
/// that a key whose secret changed never signs with the old one.
type ScopeId = (String, String, String, String, String);

/// The known credentials.
#[derive(Debug)]
pub struct Credentials {
    iam: Arc<Iam>,
    cache: Mutex<HashMap<ScopeId, [u8; 32]>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Credentials {
    /// Credentials backed by `iam`.
    pub fn new(iam: Arc<Iam>) -> Self {
        Credentials { iam, cache: Mutex::new(HashMap::new()) }
    }

    /// Credentials holding one key pair, the root of one account.
    pub fn single(access_key: &str, secret_key: &str) -> Self {
        Self::new(Arc::new(Iam::single(access_key, secret_key)))
    }

    /// The identity registry.
    pub fn iam(&self) -> &Arc<Iam> {
        &self.iam
    }

    /// Whether `access_key` may sign requests now.
    pub fn contains(&self, access_key: &str) -> bool {
        self.secret(access_key).is_some()
    }

    /// The secret of `access_key` (SigV2 signs with it directly); `None` for unknown and
    /// deactivated keys.
    pub fn secret(&self, access_key: &str) -> Option<String> {
        self.iam.secret(access_key)
    }

    /// The session a token belongs to.
    pub fn session(&self, token: &str) -> Option<Session> {
        self.iam.session_by_token(token)
    }

    /// Whether `access_key` belongs to a session (and so needs its token).
    pub fn is_session_key(&self, access_key: &str) -> bool {
        self.iam.is_session_key(access_key)
    }

    /// The signing key of `access_key` for a (date, region, service) scope, derived once per scope.
    pub fn signing_key(&self, access_key: &str, date: &str, region: &str, service: &str) -> Option<[u8; 32]> {
        let secret = self.secret(access_key)?;
        let id = (access_key.to_string(), secret, date.to_string(), region.to_string(), service.to_string());
        if let Some(k) = lock(&self.cache).get(&id) {
            return Some(*k);
        }
        let key = signing_key(&id.1, date, region, service);
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(id, key);
        Some(key)
    }
}
