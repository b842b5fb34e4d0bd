//! Access keys and their secrets, and the cache of derived signing keys.

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

/// The known credentials.
#[derive(Debug)]
pub struct Credentials {
    secrets: HashMap<String, String>,
    cache: Mutex<HashMap<ScopeId, [u8; 32]>>,
}

impl Credentials {
    /// Credentials holding one key pair.
    pub fn single(access_key: &str, secret_key: &str) -> Self {
        let mut secrets = HashMap::new();
        secrets.insert(access_key.to_string(), secret_key.to_string());
        Credentials { secrets, cache: Mutex::new(HashMap::new()) }
    }

    /// Whether `access_key` is known.
    pub fn contains(&self, access_key: &str) -> bool {
        self.secrets.contains_key(access_key)
    }

    /// The secret of `access_key` (SigV2 signs with it directly).
    pub fn secret(&self, access_key: &str) -> Option<&str> {
        self.secrets.get(access_key).map(String::as_str)
    }

    /// The signing key of `access_key` for a (date, region, service) scope, derived once per scope.
    pub fn signing_key(&self, access_key: &str, date: &str, region: &str, service: &str) -> Option<[u8; 32]> {
        let secret = self.secrets.get(access_key)?;
        let id = (access_key.to_string(), date.to_string(), region.to_string(), service.to_string());
        let mut cache = match self.cache.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(k) = cache.get(&id) {
            return Some(*k);
        }
        let key = signing_key(secret, date, region, service);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(id, key);
        Some(key)
    }
}
