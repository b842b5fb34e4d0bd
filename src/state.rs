//! The server's shared state: settings, the authentication setup (keys, sessions, clock), the
//! store, the auth decision log and the gate (console sessions, token back-off, form budget). It sits below the server so that handlers (`s3/`), the admin
//! endpoints and the server itself all reach it without importing one another.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::auth::log::AuthLog;
use crate::auth::{AuthConfig, Clock, Credentials};
use crate::config::Config;
use crate::gate::Gate;
use crate::iam::Iam;
use crate::storage::Store;

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub auth: AuthConfig,
    pub store: Store,
    pub auth_log: AuthLog,
    /// What keeps unauthenticated clients in check: console sessions, the back-off of failed
    /// admin tokens (per client and from all together), the memory POST forms may hold.
    pub gate: Gate,
    /// Request ids are this counter, started at a random point, scrambled.
    request_ids: AtomicU64,
}

impl AppState {
    /// State for `config` over an opened store and its identities.
    pub fn new(config: Config, store: Store, iam: Arc<Iam>) -> Self {
        let auth = AuthConfig {
            region: config.region.clone(),
            credentials: Credentials::new(iam),
            clock: Clock::new(config.clock),
            domain: config.domain.clone(),
        };
        AppState {
            config,
            auth,
            store,
            auth_log: AuthLog::default(),
            gate: Gate::default(),
            request_ids: AtomicU64::new(uuid::Uuid::new_v4().as_u64_pair().0),
        }
    }

    /// The identity registry.
    pub fn iam(&self) -> &Arc<Iam> {
        self.auth.credentials.iam()
    }

    /// A new request id: 16 uppercase hex digits, like S3's.
    /// Unique within a run without a system call for randomness per request (a profile of small
    /// GETs saw `getrandom` at 1.5%): SplitMix64's finaliser, a bijection, over a counter.
    pub fn next_request_id(&self) -> String {
        let mut z = self.request_ids.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        format!("{:016X}", z ^ (z >> 31))
    }
}
