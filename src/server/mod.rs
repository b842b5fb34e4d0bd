//! The HTTP server: two listeners (the S3 API, and the console with the admin API it uses, on
//! its own origin), the accept loop, hyper service, graceful shutdown. Each request gets its id
//! and goes, by listener, to the S3 [`pipeline`](crate::pipeline) or the admin endpoints (S3
//! port), or to the [`console`](crate::console) (console port).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Extensions, HeaderValue, Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

use crate::access::PeerAddr;
use crate::body::{Body, ReqBody};
use crate::config::{Config, ConsoleAddr};
use crate::error::host_id;
use crate::gate::Listener;
use crate::iam::Iam;
pub use crate::state::AppState;
use crate::storage::Store;

mod case;
pub mod conn;

/// The most a connection buffers of a request's head.
const MAX_BUF: usize = 64 * 1024;

/// A server bound to its addresses, not yet serving.
pub struct Server {
    listener: TcpListener,
    console: Option<TcpListener>,
    /// Why the console is not where it was asked to be (the default port was busy).
    console_note: Option<String>,
    state: Arc<AppState>,
    max_connections: usize,
    /// Put on every response so that header names are written in S3's case.
    header_case: Extensions,
}

/// The error of a listener that cannot be bound, naming the setting and a likely fix.
fn bind_error(addr: SocketAddr, setting: &str, e: &std::io::Error) -> std::io::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => "; another process listens there: pick another port, or 0 for a free one",
        std::io::ErrorKind::AddrNotAvailable => "; that address is not one of this machine's",
        std::io::ErrorKind::PermissionDenied => "; ports below 1024 need privileges",
        _ => "",
    };
    std::io::Error::new(e.kind(), format!("cannot listen on {addr} ({setting}): {e}{hint}"))
}

/// Binds the console's listener as `config` asks, next to the S3 listener at `s3`: `None` when
/// off; the default address, when it cannot be bound (busy: tests and CI jobs start several
/// servers at once), gives way to a free port on the same host, with the reason returned.
async fn bind_console(console: ConsoleAddr, s3: SocketAddr) -> std::io::Result<(Option<TcpListener>, Option<String>)> {
    const SETTING: &str = "--console-addr / S3STRICT_CONSOLE_ADDR";
    let Some((addr, chosen)) = console.target(s3) else { return Ok((None, None)) };
    match TcpListener::bind(addr).await {
        Ok(l) => Ok((Some(l), None)),
        Err(e) if chosen => Err(bind_error(addr, SETTING, &e)),
        Err(e) => {
            let any = SocketAddr::new(addr.ip(), 0);
            let l = TcpListener::bind(any).await.map_err(|e| bind_error(any, SETTING, &e))?;
            let note = format!("{addr} was not free: {e}");
            tracing::warn!(
                wanted = %addr,
                got = %l.local_addr()?,
                error = %e,
                "the console's default address is taken; it listens on a free port instead (set --console-addr to choose)"
            );
            Ok((Some(l), Some(note)))
        }
    }
}

impl Server {
    /// Opens the data directory, loads the identities and binds the addresses of `config`.
    pub async fn bind(config: Config) -> std::io::Result<Server> {
        let open_files = conn::raise_open_file_limit();
        let max_connections = config.max_connections.unwrap_or_else(|| conn::default_max_connections(open_files));
        if config.data.exists() && !config.data.is_dir() {
            return Err(std::io::Error::other(format!(
                "cannot use the data directory {} (--data / S3STRICT_DATA): it exists and is not a directory",
                config.data.display()
            )));
        }
        let store = Store::open(&config.data, config.fsync).await.map_err(|e| {
            std::io::Error::other(format!(
                "cannot use the data directory {} (--data / S3STRICT_DATA): {}",
                config.data.display(),
                e.detail()
            ))
        })?;
        let iam = load_identities(&config, &store).await.map_err(std::io::Error::other)?;
        let listener =
            TcpListener::bind(config.addr).await.map_err(|e| bind_error(config.addr, "--addr / S3STRICT_ADDR", &e))?;
        let mut config = config;
        config.addr = listener.local_addr()?;
        let (console, console_note) = bind_console(config.console_addr, config.addr).await?;
        config.console_addr = match &console {
            Some(l) => ConsoleAddr::At(l.local_addr()?),
            None => ConsoleAddr::Off,
        };
        let header_case = case::s3_header_case().await;
        Ok(Server {
            listener,
            console,
            console_note,
            state: Arc::new(AppState::new(config, store, Arc::new(iam))),
            max_connections,
            header_case,
        })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.state.config.addr
    }

    /// The console's address, when it listens.
    pub fn console_addr(&self) -> Option<SocketAddr> {
        self.state.config.console_addr.bound()
    }

    /// Why the console is not on the address asked for, when it is not (the default was busy).
    pub fn console_note(&self) -> Option<&str> {
        self.console_note.as_deref()
    }

    /// Shared state, for embedding.
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then stops accepting and waits for in-flight requests.
    /// At most `max_connections` are served at once, on both listeners together; at the cap, a
    /// new client gets the place of the connection idle the longest.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let connections = conn::Connections::new(self.max_connections);
        let mut backoff = conn::AcceptBackoff::new();
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                a = self.listener.accept() => a.map(|(s, p)| (s, p, Listener::S3)),
                a = accept(self.console.as_ref()) => a.map(|(s, p)| (s, p, Listener::Console)),
                _ = &mut shutdown => break,
            };
            let (stream, peer, listener) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or memory: pause instead of spinning on the error.
                    let pause = backoff.failed(&e);
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => continue,
                        _ = &mut shutdown => break,
                    }
                }
            };
            backoff.succeeded();
            let slot = tokio::select! {
                slot = connections.slot() => slot,
                _ = &mut shutdown => break,
            };
            self.serve_connection(stream, peer, listener, slot);
        }
        drop(self.listener);
        drop(self.console);
        connections.close_all();
        connections.ended().await;
        Ok(())
    }

    /// Serves one accepted connection in a task of its own, holding `slot` until it ends.
    fn serve_connection(&self, stream: TcpStream, peer: SocketAddr, listener: Listener, slot: conn::Slot) {
        // Small responses must not wait for the client's delayed ACK: with Nagle's algorithm
        // on, a response written in two pieces (head, then body) stalls ~40 ms on loopback.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let state = self.state.clone();
        let stall = state.config.stall_timeout;
        let header_case = self.header_case.clone();
        let track = slot.track().clone();
        let service_track = track.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let state = state.clone();
            let header_case = header_case.clone();
            let mut req = req.map(|b| ReqBody::new(b, stall));
            let busy = service_track.begin(req.body().watch().clone());
            req.extensions_mut().insert(PeerAddr(peer.ip()));
            async move {
                let mut resp = handle(state, req, listener).await;
                resp.extensions_mut().extend(header_case);
                Ok::<_, Infallible>(resp.map(|b| conn::TrackedBody::new(b, busy)))
            }
        });
        // A head is read into a buffer of at most `MAX_BUF`: hyper answers a bare 431 when a head
        // has not ended once the buffer holds that much, but the read that crosses the limit may
        // bring in more, so a head of up to about twice that which arrives at once is still read
        // (measured: 112 KiB sent in one write, 105 KiB in 1 KiB writes). S3's own limit (8 KiB,
        // `RequestHeaderSectionTooLarge`) is checked on what is read. The header-read timer runs
        // from when the server waits for a request head, so it also closes idle keep-alive
        // connections.
        let io = TokioIo::new(conn::WriteStall::new(stream, stall));
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.state.config.idle_timeout)
            .max_buf_size(MAX_BUF)
            .serve_connection(io, service);
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            let mut asked = false;
            loop {
                tokio::select! {
                    ended = conn.as_mut() => {
                        if let Err(e) = ended {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = track.close.notified(), if !asked => {
                        // Asked to make room or to shut down: an idle connection closes now,
                        // a busy one after its response.
                        asked = true;
                        if track.is_idle() {
                            break;
                        }
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
}

/// The next connection on `listener`; never, when there is none.
async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// The identities of `config` over what the store kept: the users the config declares are
/// written back, buckets from before accounts existed go to the default account.
async fn load_identities(config: &Config, store: &Store) -> Result<Iam, String> {
    let now_ms = crate::auth::Clock::new(config.clock).now().timestamp_millis();
    let users = store.users().await.map_err(|e| e.to_string())?;
    let sessions = store.sessions(now_ms).await.map_err(|e| e.to_string())?;
    let (iam, declared) = Iam::load(config, users, sessions, now_ms)?;
    for row in declared {
        store.save_user(row).await.map_err(|e| e.to_string())?;
    }
    store.adopt_buckets(&config.account_id).await.map_err(|e| e.to_string())?;
    Ok(iam)
}

/// Serves one request that came in on `listener`, and logs it in one line at info level.
pub async fn handle(state: Arc<AppState>, req: Request<ReqBody>, listener: Listener) -> Response<Body> {
    let started = std::time::Instant::now();
    let request_id = state.next_request_id();
    let span =
        tracing::debug_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path());
    async move {
        let method = req.method().clone();
        let bytes_in = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let admin = req.uri().path() == crate::admin::PREFIX || req.uri().path().starts_with("/_s3strict/");
        // The admin endpoints' and the console's own bodies are small JSON documents (a login
        // among them) read before or without authentication: each must arrive whole within the
        // head's deadline, and a connection still waiting for one gives way at the cap. (The S3
        // pipeline puts its own unauthenticated bodies, STS forms and POST form fields, under the
        // same deadline; S3 requests forwarded by the console are S3 uploads, not limited so.)
        let small_body = match listener {
            Listener::S3 => admin,
            Listener::Console => !crate::console::forwards(req.uri().path()),
        };
        let _deadline = small_body.then(|| req.body().deadline(state.config.idle_timeout));
        let (mut resp, admin_path) = match listener {
            Listener::S3 if admin => {
                let path = req.uri().path().to_string();
                (crate::admin::handle(&state, req, listener).await, Some(path))
            }
            Listener::S3 => (crate::pipeline::serve(&state, req, &request_id).await, None),
            Listener::Console => {
                let path = req.uri().path().to_string();
                (crate::console::serve(&state, req, &request_id).await, Some(path))
            }
        };
        log_request(&request_id, &method, admin_path.as_deref(), &resp, bytes_in, started);
        if admin_path.as_deref().is_some_and(|p| listener == Listener::S3 || !crate::console::forwards(p)) {
            not_for_caches(&mut resp);
        }
        let h = resp.headers_mut();
        // SDKs correct their clock skew from `Date`: it follows the server's clock when that is
        // moved (hyper writes the real time only when the header is absent).
        // A clock set outside what an HTTP date can say (before 1970, after 9999) keeps the real one.
        if !matches!(state.auth.clock.setting(), crate::auth::clock::ClockSetting::Real) {
            use chrono::Datelike as _;
            let now = state.auth.clock.now();
            if (1970..=9999).contains(&now.year()) {
                let text = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
                if let Ok(v) = HeaderValue::from_str(&text) {
                    h.insert(http::header::DATE, v);
                }
            }
        }
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("x-amz-request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&host_id(&request_id)) {
            h.insert("x-amz-id-2", v);
        }
        h.insert(http::header::SERVER, HeaderValue::from_static("s3strict"));
        resp
    }
    .instrument(span)
    .await
}

/// Keeps an answer of the admin endpoints or the console out of every cache. A page on the S3
/// port may read the browser's HTTP cache of its own origin (`fetch(url, {cache:
/// "only-if-cached", mode: "same-origin"})`) without the request reaching the server, so an
/// admin answer the user once opened by typing its URL (the clock, the auth log, the users) must
/// not be kept; `Vary` names the headers the answer depends on for any cache that keeps it
/// anyway. S3 answers forwarded by the console keep their own headers (the page shows an
/// object's `Cache-Control`): they come from the console's origin, which no object page can
/// read, under URLs signed for one use.
fn not_for_caches(resp: &mut Response<Body>) {
    let h = resp.headers_mut();
    h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(http::header::VARY, HeaderValue::from_static("Origin, Sec-Fetch-Site, Cookie, Authorization"));
}

/// The request log line: request id, method, bucket and key (or the admin path), status, how it
/// was authenticated and the verdict, the error code, bytes in and out, and the time to the
/// response head. Filter it with `S3STRICT_LOG=s3strict::request=warn` or the like.
fn log_request(
    request_id: &str,
    method: &http::Method,
    admin_path: Option<&str>,
    resp: &Response<Body>,
    bytes_in: u64,
    started: std::time::Instant,
) {
    use http_body::Body as _;
    let summary = resp.extensions().get::<crate::pipeline::RequestSummary>();
    let bytes_out = resp.body().size_hint().exact();
    tracing::info!(
        target: "s3strict::request",
        id = request_id,
        method = method.as_str(),
        bucket = summary.and_then(|s| s.bucket.as_deref()),
        key = summary.and_then(|s| s.key.as_deref()),
        admin = admin_path,
        status = resp.status().as_u16(),
        auth = summary.and_then(|s| s.mechanism),
        verdict = summary.and_then(|s| s.verdict),
        code = summary.and_then(|s| s.error_code),
        bytes_in,
        bytes_out,
        ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
