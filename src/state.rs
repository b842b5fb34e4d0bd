//! The server's shared state: settings, the authentication setup (keys, sessions, clock), the
//! store and the auth decision log. It sits below the server so that handlers (`s3/`), the admin
//! endpoints and the server itself all reach it without importing one another.

use std::sync::Arc;

use crate::auth::log::AuthLog;
use crate::auth::{AuthConfig, Clock, Credentials};
use crate::config::Config;
use crate::iam::Iam;
use crate::storage::Store;

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub auth: AuthConfig,
    pub store: Store,
    pub auth_log: AuthLog,
    /// Drawn at startup; console session cookies are derived from it (see `console`).
    pub console_secret: String,
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
        AppState { config, auth, store, auth_log: AuthLog::default(), console_secret: crate::iam::new_secret() }
    }

    /// The identity registry.
    pub fn iam(&self) -> &Arc<Iam> {
        self.auth.credentials.iam()
    }

    /// A new request id: 16 uppercase hex digits, like S3's.
    pub fn next_request_id(&self) -> String {
        format!("{:016X}", uuid::Uuid::new_v4().as_u64_pair().0)
    }
}
