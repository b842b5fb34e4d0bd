//! Settings: command-line flags, then `S3STRICT_*` environment variables, then a TOML file
//! (`--config`), then built-in defaults, in that precedence. The only reader of the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

use crate::auth::clock::ClockSetting;
use crate::iam::settings::{
    is_account_id, IdentitySettings, DEFAULT_ACCESS_KEY, DEFAULT_ACCOUNT_ID, DEFAULT_SECRET_KEY,
};
pub use crate::iam::settings::{AccountSettings, PolicyText, RoleSettings, UserSettings};

/// Command line of the `s3strict` binary.
#[derive(Debug, Parser)]
#[command(
    name = "s3strict",
    version,
    about = "An S3-compatible object store as strict as Amazon S3 about SigV4 and presigned URLs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the S3 API (the default).
    Serve(ServeArgs),
    /// Judge a presigned URL offline as S3 would, and say why it would be refused.
    CheckUrl(CheckArgs),
    /// Make a presigned URL (or with --post a POST form) with s3strict's own signer.
    Presign(PresignArgs),
    /// Exit 0 when a running server answers its health endpoint (for container health checks).
    Health(HealthArgs),
}

/// Flags of `health`.
#[derive(Debug, Args, Clone)]
pub struct HealthArgs {
    /// The server's address, HOST:PORT (0.0.0.0 is reached on 127.0.0.1).
    #[arg(long, env = "S3STRICT_ADDR", default_value = "127.0.0.1:9000")]
    pub addr: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

/// Flags of `presign`.
#[derive(Debug, Args, Clone)]
pub struct PresignArgs {
    /// The object: s3://bucket/key.
    pub url: String,
    /// The HTTP method the URL is for.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// Seconds the URL stays valid.
    #[arg(long, default_value_t = 3600)]
    pub expires: u64,
    /// A header to sign, `Name: value` (repeatable); the client must send it.
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// A query parameter to sign, `name=value` (repeatable).
    #[arg(long = "query")]
    pub query: Vec<String>,
    /// Addressing: `path` (endpoint/bucket/key) or `virtual` (bucket.endpoint/key).
    #[arg(long, default_value = "path", value_parser = ["path", "virtual"])]
    pub style: String,
    /// Sign with Signature Version 2 instead of SigV4.
    #[arg(long)]
    pub sigv2: bool,
    /// The server's address.
    #[arg(long, env = "S3STRICT_ENDPOINT", default_value = "http://127.0.0.1:9000")]
    pub endpoint: String,
    /// Access key to sign with.
    #[arg(long, env = "S3STRICT_ACCESS_KEY", default_value = DEFAULT_ACCESS_KEY)]
    pub access_key: String,
    /// Its secret key.
    #[arg(long, env = "S3STRICT_SECRET_KEY", default_value = DEFAULT_SECRET_KEY, hide_default_value = true, hide_env_values = true)]
    pub secret_key: String,
    /// A session token to include (temporary credentials).
    #[arg(long, env = "S3STRICT_SESSION_TOKEN", hide_env_values = true)]
    pub session_token: Option<String>,
    /// The region to sign for.
    #[arg(long, env = "S3STRICT_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Sign as of this instant (RFC 3339) instead of now, for reproducible output.
    #[arg(long)]
    pub at: Option<String>,
    /// Print a POST form (URL and fields, as JSON) instead of a URL.
    #[arg(long)]
    pub post: bool,
    /// With --post: a field sent with the form and required by the policy, `name=value`.
    #[arg(long = "field")]
    pub fields: Vec<String>,
    /// With --post: a `starts-with` condition, `name=prefix`.
    #[arg(long = "starts-with")]
    pub starts_with: Vec<String>,
    /// With --post: the allowed file size, `MIN,MAX` bytes.
    #[arg(long)]
    pub content_length_range: Option<String>,
}

/// Flags of `check-url`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// The presigned URL.
    pub url: String,
    /// The HTTP method the client will use.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// A header the client will send, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// Access key the URL must be signed with.
    #[arg(long, env = "S3STRICT_ACCESS_KEY", default_value = DEFAULT_ACCESS_KEY)]
    pub access_key: String,
    /// Its secret key.
    #[arg(long, env = "S3STRICT_SECRET_KEY", default_value = DEFAULT_SECRET_KEY, hide_default_value = true, hide_env_values = true)]
    pub secret_key: String,
    /// The region the endpoint serves.
    #[arg(long, env = "S3STRICT_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Domain of virtual-hosted-style URLs.
    #[arg(long, env = "S3STRICT_DOMAIN")]
    pub domain: Option<String>,
    /// Judge at this instant (RFC 3339) instead of now.
    #[arg(long)]
    pub at: Option<String>,
    /// File with the canonical request your presigner computed: the first difference is shown.
    #[arg(long)]
    pub canonical_request: Option<std::path::PathBuf>,
    /// Print the verdict as one JSON document (stable field names, for CI).
    #[arg(long)]
    pub json: bool,
}

/// Flags of `serve`; each also reads an environment variable.
#[derive(Debug, Args, Default, Clone)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (a name such as localhost is resolved); port 0 picks a
    /// free one. [default: 127.0.0.1:9000]
    #[arg(long, env = "S3STRICT_ADDR")]
    pub addr: Option<String>,
    /// Where the web console and the admin API it uses listen: their own origin, apart from the
    /// objects. HOST:PORT, `:PORT` (the S3 address's host), port 0 for a free one, or `off`.
    /// [default: 127.0.0.1:9001, or a free port when that one is busy]
    #[arg(long, env = "S3STRICT_CONSOLE_ADDR")]
    pub console_addr: Option<String>,
    /// Data directory (SQLite database and object files). [default: ./data]
    #[arg(long, env = "S3STRICT_DATA")]
    pub data: Option<PathBuf>,
    /// The region this endpoint serves. [default: us-east-1]
    #[arg(long, env = "S3STRICT_REGION")]
    pub region: Option<String>,
    /// Access key id. [default: AKIAIOSFODNN7EXAMPLE]
    #[arg(long, env = "S3STRICT_ACCESS_KEY")]
    pub access_key: Option<String>,
    /// Secret access key. [default: the AWS documentation example]
    #[arg(long, env = "S3STRICT_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Domain for virtual-hosted-style addressing (`bucket.<domain>`).
    #[arg(long, env = "S3STRICT_DOMAIN")]
    pub domain: Option<String>,
    /// Start with the clock offset by this many seconds.
    #[arg(long, env = "S3STRICT_CLOCK_OFFSET", allow_hyphen_values = true)]
    pub clock_offset: Option<i64>,
    /// Start with the clock frozen at this instant (RFC 3339).
    #[arg(long, env = "S3STRICT_CLOCK_FROZEN")]
    pub clock_frozen: Option<String>,
    /// Token required by `/_s3strict/` when listening on a non-loopback address.
    #[arg(long, env = "S3STRICT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Flush every acknowledged write to the disk (survives power loss; slower).
    #[arg(long, env = "S3STRICT_FSYNC", num_args = 0..=1, default_missing_value = "true")]
    pub fsync: Option<bool>,
    /// New buckets as older S3 buckets: ACLs enabled (no ownership controls, as ObjectWriter),
    /// Block Public Access off (before April 2023) and SigV2 accepted (before 24 June 2020).
    #[arg(long, env = "S3STRICT_LEGACY_BUCKET_DEFAULTS", num_args = 0..=1, default_missing_value = "true")]
    pub legacy_bucket_defaults: Option<bool>,
    /// Buckets that accept SigV2 whenever they are created, as buckets S3 created before
    /// 24 June 2020 do (comma-separated names).
    #[arg(long, env = "S3STRICT_SIGV2_BUCKETS", value_delimiter = ',')]
    pub sigv2_buckets: Option<Vec<String>>,
    /// Account id of the access key above (its root user). [default: 123456789012]
    #[arg(long, env = "S3STRICT_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Seconds a connection may wait for a complete request head: idle keep-alive connections
    /// and clients sending headers slowly are closed after it. [default: 30]
    #[arg(long, env = "S3STRICT_IDLE_TIMEOUT")]
    pub idle_timeout: Option<u64>,
    /// Seconds a request body or a response may go without a byte moving before the request
    /// fails with `RequestTimeout` or the connection is closed. [default: 20]
    #[arg(long, env = "S3STRICT_STALL_TIMEOUT")]
    pub stall_timeout: Option<u64>,
    /// Connections served at once; more wait to be accepted. [default: 1024, or fewer when the
    /// open-file limit is lower]
    #[arg(long, env = "S3STRICT_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Add the cause of a signature mismatch to the error document (an element after S3's own);
    /// `false` keeps error bodies byte-for-byte S3's. The `x-s3strict-cause` header stays. [default: true]
    #[arg(long, env = "S3STRICT_ERROR_CAUSE", num_args = 0..=1, default_missing_value = "true")]
    pub error_cause: Option<bool>,
    /// Keep the data in a new temporary directory, removed when the server stops (instead of
    /// --data).
    #[arg(long, env = "S3STRICT_EPHEMERAL", num_args = 0..=1, default_missing_value = "true")]
    pub ephemeral: Option<bool>,
    /// Buckets to create at start, owned by the default account (comma-separated; existing ones
    /// are kept as they are).
    #[arg(long, env = "S3STRICT_BUCKETS", value_delimiter = ',')]
    pub buckets: Option<Vec<String>>,
    /// A folder to load at start: each folder in it becomes a bucket, each file below that an
    /// object (its path relative to the bucket's folder, with `/`, is the key).
    #[arg(long, env = "S3STRICT_SEED")]
    pub seed: Option<PathBuf>,
    /// Once serving, write the endpoint, region and credentials as JSON to this file (written
    /// whole, then renamed into place, so its presence means ready).
    #[arg(long, env = "S3STRICT_READY_FILE")]
    pub ready_file: Option<PathBuf>,
    /// Log format on stderr: `text` (colours only on a terminal) or `json` (one object a line).
    /// Filter with S3STRICT_LOG or RUST_LOG (e.g. `warn`, `s3strict::request=off`). [default: text]
    #[arg(long, env = "S3STRICT_LOG_FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    /// TOML file with any of the settings above (snake_case names), and the identities:
    /// `[[accounts]]`, `[[users]]`, `[[roles]]`.
    #[arg(long, env = "S3STRICT_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The same settings as read from a TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    addr: Option<String>,
    console_addr: Option<String>,
    data: Option<PathBuf>,
    region: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    domain: Option<String>,
    clock_offset: Option<i64>,
    clock_frozen: Option<String>,
    admin_token: Option<String>,
    fsync: Option<bool>,
    legacy_bucket_defaults: Option<bool>,
    sigv2_buckets: Option<Vec<String>>,
    account_id: Option<String>,
    idle_timeout: Option<u64>,
    stall_timeout: Option<u64>,
    max_connections: Option<usize>,
    error_cause: Option<bool>,
    ephemeral: Option<bool>,
    buckets: Option<Vec<String>>,
    seed: Option<PathBuf>,
    ready_file: Option<PathBuf>,
    log_format: Option<String>,
    #[serde(default)]
    accounts: Vec<AccountSettings>,
    #[serde(default)]
    users: Vec<UserSettings>,
    #[serde(default)]
    roles: Vec<RoleSettings>,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Where the console listens; after [`Server::bind`](crate::server::Server::bind), the
    /// address bound (or `Off`).
    pub console_addr: ConsoleAddr,
    pub data: PathBuf,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub domain: Option<String>,
    pub clock: ClockSetting,
    pub admin_token: Option<String>,
    /// Flush writes to the disk before acknowledging them.
    pub fsync: bool,
    /// New buckets with ACLs enabled and Block Public Access off (S3 before April 2023), taking
    /// SigV2 (S3 before 24 June 2020).
    pub legacy_bucket_defaults: bool,
    /// Buckets that take SigV2 whenever created (the others do only under the legacy defaults).
    pub sigv2_buckets: Vec<String>,
    /// The account of `access_key`, whose root user it is.
    pub account_id: String,
    /// How long a connection may wait for a whole request head (idle or slow headers).
    pub idle_timeout: Duration,
    /// How long a request body or response may go without progress.
    pub stall_timeout: Duration,
    /// Connections served at once; `None` derives it from the open-file limit.
    pub max_connections: Option<usize>,
    /// Whether error documents carry the cause of a signature mismatch.
    pub error_cause: bool,
    /// Data in a temporary directory removed at exit (`data` is then set by the binary).
    pub ephemeral: bool,
    /// Buckets created at start.
    pub buckets: Vec<String>,
    /// A folder of buckets and objects loaded at start.
    pub seed: Option<PathBuf>,
    /// Where to write the endpoint as JSON once serving.
    pub ready_file: Option<PathBuf>,
    /// One JSON object per log line instead of text.
    pub log_json: bool,
    /// Further accounts, users and roles (from the config file).
    pub accounts: Vec<AccountSettings>,
    pub users: Vec<UserSettings>,
    pub roles: Vec<RoleSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 9000)),
            console_addr: ConsoleAddr::Default,
            data: PathBuf::from("data"),
            region: "us-east-1".into(),
            access_key: DEFAULT_ACCESS_KEY.into(),
            secret_key: DEFAULT_SECRET_KEY.into(),
            domain: None,
            clock: ClockSetting::Real,
            admin_token: None,
            fsync: false,
            legacy_bucket_defaults: false,
            sigv2_buckets: Vec::new(),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            idle_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(20),
            max_connections: None,
            error_cause: true,
            ephemeral: false,
            buckets: Vec::new(),
            seed: None,
            ready_file: None,
            log_json: false,
            accounts: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
        }
    }
}

impl From<&Config> for IdentitySettings {
    /// The identities the settings declare, for [`crate::iam::Iam::load`].
    fn from(c: &Config) -> Self {
        IdentitySettings {
            access_key: c.access_key.clone(),
            secret_key: c.secret_key.clone(),
            account_id: c.account_id.clone(),
            accounts: c.accounts.clone(),
            users: c.users.clone(),
            roles: c.roles.clone(),
        }
    }
}

/// Where the console listens (`--console-addr`, `S3STRICT_CONSOLE_ADDR`, `console_addr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleAddr {
    /// `off`: no console listener.
    Off,
    /// Not set: [`DEFAULT_CONSOLE_ADDR`]. Tests and CI jobs start several servers at once, so
    /// when that port is busy the console takes a free port on the same host (with a warning and
    /// a note on the startup line) instead of stopping the server.
    Default,
    /// Set: exactly this address (port 0 for a free one); a startup error when it cannot be bound.
    At(SocketAddr),
    /// `:PORT`: the S3 listener's host (`--addr`) with this port (0 for a free one). The S3
    /// address's host, because the console then answers wherever the S3 API does.
    Port(u16),
}

/// The console's address when none is set (MinIO's console sits next to its API the same way).
pub const DEFAULT_CONSOLE_ADDR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9001);

impl ConsoleAddr {
    /// Reads `--console-addr`: `off`, `:PORT`, or HOST:PORT as `--addr` takes it.
    pub fn parse(text: &str) -> Result<ConsoleAddr, String> {
        const SETTING: &str = "--console-addr / S3STRICT_CONSOLE_ADDR";
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(ConsoleAddr::Off);
        }
        if let Some(port) = text.strip_prefix(':') {
            return port
                .parse::<u16>()
                .map(ConsoleAddr::Port)
                .map_err(|_| format!("invalid {SETTING} {text:?}: {port:?} is not a port number (0 to 65535)"));
        }
        resolve_setting(text, SETTING).map(ConsoleAddr::At)
    }

    /// The address to bind given the S3 address, and whether the user chose it; `None` when off.
    pub fn target(self, s3: SocketAddr) -> Option<(SocketAddr, bool)> {
        match self {
            ConsoleAddr::Off => None,
            ConsoleAddr::Default => Some((DEFAULT_CONSOLE_ADDR, false)),
            ConsoleAddr::At(addr) => Some((addr, true)),
            ConsoleAddr::Port(port) => Some((SocketAddr::new(s3.ip(), port), true)),
        }
    }

    /// The bound address, once the server has bound it.
    pub fn bound(self) -> Option<SocketAddr> {
        match self {
            ConsoleAddr::At(addr) => Some(addr),
            _ => None,
        }
    }
}

/// `--addr`: an IP address and port, or a host name and port (resolved; the first address
/// wins, IPv4 before IPv6, so `localhost:9000` listens where clients of `localhost` connect first).
pub fn resolve_addr(text: &str) -> Result<SocketAddr, String> {
    resolve_setting(text, "--addr / S3STRICT_ADDR")
}

/// An address as [`resolve_addr`] reads it; errors name `setting`.
fn resolve_setting(text: &str, setting: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bad = |why: String| format!("invalid {setting} {text:?}: {why}");
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(bad("expected HOST:PORT, such as 127.0.0.1:9000, localhost:9000 or 0.0.0.0:0".into()));
    };
    if port.parse::<u16>().is_err() {
        return Err(bad(format!("{port:?} is not a port number (0 to 65535)")));
    }
    let found: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(text)
        .map_err(|e| bad(format!("cannot resolve {host:?}: {e}")))?
        .collect();
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| bad(format!("{host:?} resolves to no address")))
}

impl Config {
    /// Merges flags/env over the config file over the defaults and validates the result.
    pub fn from_args(args: ServeArgs) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str::<FileSettings>(&text).map_err(|e| format!("invalid {}: {e}", path.display()))?
            }
            None => FileSettings::default(),
        };
        let d = Config::default();
        let clock_frozen = args.clock_frozen.or(file.clock_frozen);
        let clock_offset = args.clock_offset.or(file.clock_offset);
        let clock = match (clock_frozen, clock_offset) {
            (Some(_), Some(_)) => return Err("--clock-frozen and --clock-offset exclude each other".into()),
            (Some(at), None) => ClockSetting::Frozen(
                chrono::DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| format!("invalid --clock-frozen {at:?}: {e}"))?
                    .with_timezone(&chrono::Utc),
            ),
            (None, Some(secs)) => ClockSetting::Offset(secs),
            (None, None) => ClockSetting::Real,
        };
        let addr = match args.addr.or(file.addr) {
            Some(text) => resolve_addr(&text)?,
            None => d.addr,
        };
        let console_addr = match args.console_addr.or(file.console_addr) {
            Some(text) => ConsoleAddr::parse(&text)?,
            None => d.console_addr,
        };
        let log_format = args.log_format.or(file.log_format).unwrap_or_else(|| "text".into());
        if !matches!(log_format.as_str(), "text" | "json") {
            return Err(format!("invalid log format {log_format:?} (log_format): use text or json"));
        }
        let config = Config {
            addr,
            console_addr,
            data: args.data.or(file.data).unwrap_or(d.data),
            region: args.region.or(file.region).unwrap_or(d.region),
            access_key: args.access_key.or(file.access_key).unwrap_or(d.access_key),
            secret_key: args.secret_key.or(file.secret_key).unwrap_or(d.secret_key),
            domain: args.domain.or(file.domain),
            clock,
            admin_token: args.admin_token.or(file.admin_token),
            fsync: args.fsync.or(file.fsync).unwrap_or(d.fsync),
            legacy_bucket_defaults: args
                .legacy_bucket_defaults
                .or(file.legacy_bucket_defaults)
                .unwrap_or(d.legacy_bucket_defaults),
            sigv2_buckets: args.sigv2_buckets.or(file.sigv2_buckets).unwrap_or(d.sigv2_buckets),
            account_id: args.account_id.or(file.account_id).unwrap_or(d.account_id),
            idle_timeout: args.idle_timeout.or(file.idle_timeout).map_or(d.idle_timeout, Duration::from_secs),
            stall_timeout: args.stall_timeout.or(file.stall_timeout).map_or(d.stall_timeout, Duration::from_secs),
            max_connections: args.max_connections.or(file.max_connections),
            error_cause: args.error_cause.or(file.error_cause).unwrap_or(d.error_cause),
            ephemeral: args.ephemeral.or(file.ephemeral).unwrap_or(false),
            buckets: args.buckets.or(file.buckets).unwrap_or_default().into_iter().filter(|b| !b.is_empty()).collect(),
            seed: args.seed.or(file.seed),
            ready_file: args.ready_file.or(file.ready_file),
            log_json: log_format == "json",
            accounts: file.accounts,
            users: file.users,
            roles: file.roles,
        };
        if !is_account_id(&config.account_id) {
            return Err(format!("invalid account id {:?}: an account id is 12 digits", config.account_id));
        }
        if config.access_key.is_empty() || config.access_key.contains('/') {
            return Err("the access key must be non-empty and contain no '/'".into());
        }
        if config.secret_key.is_empty() {
            return Err("the secret key must be non-empty".into());
        }
        if config.idle_timeout.is_zero() || config.stall_timeout.is_zero() {
            return Err("the idle and stall timeouts must be at least one second".into());
        }
        if config.max_connections == Some(0) {
            return Err("--max-connections must be at least 1".into());
        }
        if config.region.is_empty() {
            return Err("the region must be non-empty".into());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "region = \"eu-west-1\"\naddr = \"127.0.0.1:9100\"\nclock_offset = 60\n").unwrap();
        let args = ServeArgs { config: Some(path), addr: Some("127.0.0.1:0".into()), ..Default::default() };
        let c = Config::from_args(args).unwrap();
        assert_eq!(c.addr.port(), 0);
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.clock, ClockSetting::Offset(60));
        assert_eq!(c.access_key, DEFAULT_ACCESS_KEY);
    }

    #[test]
    fn identities_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let text = r#"
[[users]]
name = "alice"
access_key = "AKIAALICE"
secret_key = "s"
policies = ['{"Version":"2012-10-17","Statement":[]}']

[[users]]
name = "bob"
access_key = "AKIABOB"
secret_key = "s"
status = "Inactive"
[[users.policies]]
Version = "2012-10-17"
Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
"#;
        std::fs::write(&path, text).unwrap();
        let c = Config::from_args(ServeArgs { config: Some(path), ..Default::default() }).unwrap();
        assert_eq!(c.users.len(), 2);
        assert_eq!(c.users[0].policies[0].text(), r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert!(c.users[1].policies[0].text().contains(r#""Effect":"Allow""#), "{}", c.users[1].policies[0].text());
        assert_eq!(c.account_id, DEFAULT_ACCOUNT_ID);
    }

    #[test]
    fn addresses_by_name_or_number() {
        assert_eq!(resolve_addr("127.0.0.1:9000").unwrap().to_string(), "127.0.0.1:9000");
        assert_eq!(resolve_addr("[::1]:0").unwrap().to_string(), "[::1]:0");
        assert_eq!(resolve_addr("localhost:9000").unwrap().to_string(), "127.0.0.1:9000");
        assert_eq!(
            resolve_addr("localhost").unwrap_err(),
            "invalid --addr / S3STRICT_ADDR \"localhost\": expected HOST:PORT, such as 127.0.0.1:9000, localhost:9000 or 0.0.0.0:0"
        );
        assert_eq!(
            resolve_addr("localhost:http").unwrap_err(),
            "invalid --addr / S3STRICT_ADDR \"localhost:http\": \"http\" is not a port number (0 to 65535)"
        );
        assert!(resolve_addr("no-such-host.invalid:9000")
            .unwrap_err()
            .contains("cannot resolve \"no-such-host.invalid\""));
    }

    #[test]
    fn console_addresses() {
        assert_eq!(ConsoleAddr::parse("off"), Ok(ConsoleAddr::Off));
        assert_eq!(ConsoleAddr::parse(":0"), Ok(ConsoleAddr::Port(0)));
        assert_eq!(ConsoleAddr::parse("127.0.0.1:9101"), Ok(ConsoleAddr::At("127.0.0.1:9101".parse().unwrap())));
        assert_eq!(ConsoleAddr::parse("localhost:0"), Ok(ConsoleAddr::At("127.0.0.1:0".parse().unwrap())));
        assert_eq!(
            ConsoleAddr::parse(":x").unwrap_err(),
            "invalid --console-addr / S3STRICT_CONSOLE_ADDR \":x\": \"x\" is not a port number (0 to 65535)"
        );
        assert_eq!(
            ConsoleAddr::parse("9001").unwrap_err(),
            "invalid --console-addr / S3STRICT_CONSOLE_ADDR \"9001\": expected HOST:PORT, such as 127.0.0.1:9000, localhost:9000 or 0.0.0.0:0"
        );
        let s3: SocketAddr = "0.0.0.0:9000".parse().unwrap();
        assert_eq!(ConsoleAddr::Port(0).target(s3), Some(("0.0.0.0:0".parse().unwrap(), true)));
        assert_eq!(ConsoleAddr::Default.target(s3), Some((DEFAULT_CONSOLE_ADDR, false)));
        assert_eq!(ConsoleAddr::Off.target(s3), None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "console_addr = \"off\"\n").unwrap();
        let c = Config::from_args(ServeArgs { config: Some(path), ..Default::default() }).unwrap();
        assert_eq!(c.console_addr, ConsoleAddr::Off);
    }

    #[test]
    fn rejects_conflicting_clock() {
        let args = ServeArgs {
            clock_offset: Some(1),
            clock_frozen: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        assert!(Config::from_args(args).is_err());
    }
}
