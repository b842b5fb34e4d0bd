//! s3strict inside your own Rust tests: a real server on an ephemeral loopback port with its data
//! in a temporary directory, in the test's Tokio runtime, stopped when dropped.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let s3 = s3strict::TestServer::start().await?;
//! assert!(s3.endpoint().starts_with("http://127.0.0.1:"));
//! // The console and the admin endpoints its page uses, on their own origin.
//! assert_ne!(s3.console_addr().map(|a| a.port()), Some(s3.addr().port()));
//! assert_eq!((s3.access_key(), s3.region()), ("AKIAIOSFODNN7EXAMPLE", "us-east-1"));
//!
//! // Clock control, as through `PUT /_s3strict/clock`: presigned URLs expire on this clock.
//! s3.clock().offset_by(3600);
//! assert!(s3.clock().now() > chrono::Utc::now() + chrono::Duration::minutes(59));
//! s3.clock().real();
//!
//! // Every authentication decision, newest first.
//! assert!(s3.auth_log().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! With the `aws-sdk-s3` feature, `TestServer::s3_config` and `TestServer::s3_client` give an
//! SDK client already pointed at the server (path-style, its credentials and region).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::clock::ClockSetting;
use crate::auth::log::AuthLogEntry;
use crate::config::{Config, ConsoleAddr};
use crate::server::Server;
use crate::state::AppState;

/// A running server for a test; stopped when dropped (or with [`TestServer::stop`]).
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server with the default settings (the default key, `us-east-1`).
    pub async fn start() -> std::io::Result<TestServer> {
        Self::start_with(|_| {}).await
    }

    /// Starts a server with settings adjusted by `adjust` (identities, region, clock, timeouts…).
    /// It listens on `127.0.0.1:0`, its console on another free loopback port, and keeps its data
    /// in a new temporary directory unless `adjust` says otherwise.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> std::io::Result<TestServer> {
        let dir = tempfile::Builder::new().prefix("s3strict-test-").tempdir()?;
        let mut config = Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            console_addr: ConsoleAddr::At(SocketAddr::from(([127, 0, 0, 1], 0))),
            data: dir.path().join("data"),
            ..Config::default()
        };
        adjust(&mut config);
        Self::start_in(config, dir).await
    }

    async fn start_in(config: Config, dir: tempfile::TempDir) -> std::io::Result<TestServer> {
        let server = Server::bind(config).await?;
        let addr = server.local_addr();
        let state = server.state();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Ok(TestServer { addr, state, dir, shutdown: Some(tx), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The console's address (its own origin: the page, its calls and the admin endpoints the
    /// page uses), `None` when `console_addr` was set to `Off`.
    pub fn console_addr(&self) -> Option<SocketAddr> {
        self.state.config.console_addr.bound()
    }

    /// `http://127.0.0.1:PORT` of the console's listener, when it listens.
    pub fn console_endpoint(&self) -> Option<String> {
        self.console_addr().map(|a| format!("http://{a}"))
    }

    pub fn access_key(&self) -> &str {
        &self.state.config.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.state.config.secret_key
    }

    pub fn region(&self) -> &str {
        &self.state.config.region
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.state.config.data
    }

    /// The server's clock.
    pub fn clock(&self) -> TestClock<'_> {
        TestClock(&self.state)
    }

    /// The authentication decisions so far, newest first (what `GET /_s3strict/auth-log` gives).
    pub fn auth_log(&self) -> Vec<AuthLogEntry> {
        self.state.auth_log.recent(crate::auth::log::CAPACITY)
    }

    /// The shared state, for what the methods above do not cover.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting, waits for requests in flight and for the server to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.stop_in_place().await
    }

    /// Stops the server and starts a new one on the same data directory (what survives a
    /// restart), with the same settings.
    pub async fn restart(mut self) -> std::io::Result<TestServer> {
        self.stop_in_place().await?;
        let mut config = self.state.config.clone();
        config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        if let ConsoleAddr::At(console) = config.console_addr {
            config.console_addr = ConsoleAddr::At(SocketAddr::new(console.ip(), 0));
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir()?);
        drop(self);
        Self::start_in(config, dir).await
    }

    async fn stop_in_place(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }

    /// The temporary directory holding the data (removed when the server is dropped).
    pub fn temp_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The clock of a [`TestServer`]: presigned URL expiry, request-time skew, STS sessions and POST
/// policies are all judged on it.
pub struct TestClock<'a>(&'a AppState);

impl TestClock<'_> {
    /// The server's now.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.auth.clock.now()
    }

    /// Runs `seconds` ahead of real time (behind when negative).
    pub fn offset_by(&self, seconds: i64) {
        self.0.auth.clock.set(ClockSetting::Offset(seconds));
    }

    /// Stops at `at`.
    pub fn freeze_at(&self, at: DateTime<Utc>) {
        self.0.auth.clock.set(ClockSetting::Frozen(at));
    }

    /// Back to real time.
    pub fn real(&self) {
        self.0.auth.clock.set(ClockSetting::Real);
    }
}

#[cfg(feature = "aws-sdk-s3")]
impl TestServer {
    /// An `aws-sdk-s3` configuration for this server: its endpoint, credentials and region,
    /// path-style addressing (no DNS for bucket names on loopback).
    pub fn s3_config(&self) -> aws_sdk_s3::Config {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region().to_string()))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(self.access_key(), self.secret_key(), None, None, "s3strict"))
            .force_path_style(true)
            .build()
    }

    /// A client of [`TestServer::s3_config`].
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.s3_config())
    }
}
