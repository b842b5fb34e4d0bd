//! The HTTP server: accept loop, hyper service, graceful shutdown, and the dispatch from a routed
//! request to its handler. The only place an `S3Error` becomes a response.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderValue, Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::auth::log::{AuthLog, AuthLogEntry};
use crate::auth::{self, AuthConfig, AuthRequest, AuthTrace, Clock, Credentials};
use crate::body::Body;
use crate::config::Config;
use crate::error::{host_id, S3Error, S3Result};
use crate::router::{self, Op};
use crate::s3::{bucket, cors, list, multipart, object, Ctx};
use crate::storage::Store;

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub auth: AuthConfig,
    pub store: Store,
    pub auth_log: AuthLog,
}

impl AppState {
    /// State for `config` over an opened store.
    pub fn new(config: Config, store: Store) -> Self {
        let auth = AuthConfig {
            region: config.region.clone(),
            credentials: Credentials::single(&config.access_key, &config.secret_key),
            clock: Clock::new(config.clock),
        };
        AppState { config, auth, store, auth_log: AuthLog::default() }
    }

    /// A new request id: 16 uppercase hex digits, like S3's.
    fn next_request_id(&self) -> String {
        format!("{:016X}", uuid::Uuid::new_v4().as_u64_pair().0)
    }
}

/// A server bound to its address, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Server {
    /// Opens the data directory and binds the address of `config`.
    pub async fn bind(config: Config) -> std::io::Result<Server> {
        let store = Store::open(&config.data, config.fsync).await.map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(config.addr).await?;
        let mut config = config;
        config.addr = listener.local_addr()?;
        Ok(Server { listener, state: Arc::new(AppState::new(config, store)) })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.state.config.addr
    }

    /// Shared state, for embedding.
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then stops accepting and waits for in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            continue;
                        }
                    };
                    let state = self.state.clone();
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(state, req).await) }
                    });
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    });
                }
                _ = &mut shutdown => break,
            }
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
}

/// Serves one request.
pub async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let request_id = state.next_request_id();
    let span =
        tracing::debug_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path());
    async move {
        let mut resp = if req.uri().path() == crate::admin::PREFIX || req.uri().path().starts_with("/_s3strict/") {
            crate::admin::handle(&state, req).await
        } else {
            let method = req.method().clone();
            // Cross-origin requests get the bucket's CORS headers, on errors too.
            let cors_request = match req.headers().contains_key(http::header::ORIGIN) {
                true => {
                    let host = req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok());
                    let target = router::target(host, req.uri().path(), state.config.domain.as_deref());
                    target.ok().and_then(|t| t.bucket).map(|bucket| (req.headers().clone(), bucket))
                }
                false => None,
            };
            let mut resp = match handle_s3(&state, req, &request_id).await {
                Ok(r) => r,
                Err(e) => e.into_response(&method, &request_id),
            };
            if let Some((headers, bucket)) = cors_request {
                if method != http::Method::OPTIONS {
                    cors::decorate(&state, &method, &headers, &bucket, &mut resp).await;
                }
            }
            resp
        };
        let h = resp.headers_mut();
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

/// Routes, authenticates and dispatches an S3 request.
async fn handle_s3(state: &AppState, req: Request<Incoming>, request_id: &str) -> S3Result<Response<Body>> {
    let (parts, body) = req.into_parts();
    let host = parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok());
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let target = router::target(host, raw_path, state.config.domain.as_deref());
    let query = auth::parse_query(raw_query);
    let mut trace = AuthTrace::default();
    let op = target.as_ref().ok().map(|t| router::route(&parts.method, t, &query, &parts.headers));
    if let (Ok(t), Some(op)) = (&target, &op) {
        let bucket = t.bucket.clone().unwrap_or_default();
        match op {
            // A form upload carries its own authentication (a signed policy in the form).
            Ok(Op::PostObject) => {
                let result =
                    crate::s3::post_object::handle_post_object(state, &parts.headers, &bucket, body, &mut trace).await;
                let denied = result.as_ref().err().filter(|e| is_auth_error(e));
                log_decision(state, request_id, &parts.method, Some(t), trace, denied);
                return result;
            }
            // Preflight requests are never signed.
            Ok(Op::CorsPreflight) => {
                return cors::handle_preflight(state, &parts.headers, &bucket, t.key.is_some()).await;
            }
            _ => {}
        }
    }
    let vhost_bucket = target.as_ref().ok().filter(|t| t.virtual_host).and_then(|t| t.bucket.as_deref());
    let verified = auth::verify(
        &state.auth,
        &AuthRequest {
            method: &parts.method,
            raw_path,
            raw_query,
            query: &query,
            headers: &parts.headers,
            vhost_bucket,
        },
        &mut trace,
    );
    log_decision(state, request_id, &parts.method, target.as_ref().ok(), trace, verified.as_ref().err());
    let verified = verified?;
    let target = target?;
    // `op` is known whenever the target is.
    let op = op.ok_or_else(|| S3Error::internal("no route for a resolved target"))??;
    let ctx = Ctx { state, parts: &parts, query: &query, verified: &verified };
    let b = target.bucket.as_deref().unwrap_or_default();
    let k = target.key.as_deref().unwrap_or_default();
    tracing::debug!(?op, bucket = b, key = k, "dispatch");
    match op {
        Op::ListBuckets => bucket::handle_list_buckets(&ctx).await,
        Op::CreateBucket => bucket::handle_create_bucket(&ctx, b, body).await,
        Op::HeadBucket => bucket::handle_head_bucket(&ctx, b).await,
        Op::DeleteBucket => bucket::handle_delete_bucket(&ctx, b).await,
        Op::GetBucketLocation => bucket::handle_get_bucket_location(&ctx, b).await,
        Op::ListObjectsV2 => list::handle_list_objects_v2(&ctx, b).await,
        Op::ListObjectsV1 => list::handle_list_objects_v1(&ctx, b).await,
        Op::DeleteObjects => object::handle_delete_objects(&ctx, b, body).await,
        Op::PutObject => object::handle_put_object(&ctx, b, k, body).await,
        Op::CopyObject { source } => object::handle_copy_object(&ctx, b, k, &source).await,
        Op::GetObject => object::handle_get_object(&ctx, b, k, false).await,
        Op::HeadObject => object::handle_get_object(&ctx, b, k, true).await,
        Op::DeleteObject => object::handle_delete_object(&ctx, b, k).await,
        Op::CreateMultipartUpload => multipart::handle_create_multipart_upload(&ctx, b, k).await,
        Op::UploadPart { upload_id, part_number } => {
            multipart::handle_upload_part(&ctx, b, k, &upload_id, &part_number, body).await
        }
        Op::UploadPartCopy { upload_id, part_number, source } => {
            multipart::handle_upload_part_copy(&ctx, b, k, &upload_id, &part_number, &source).await
        }
        Op::CompleteMultipartUpload { upload_id } => {
            multipart::handle_complete_multipart_upload(&ctx, b, k, &upload_id, body).await
        }
        Op::AbortMultipartUpload { upload_id } => {
            multipart::handle_abort_multipart_upload(&ctx, b, k, &upload_id).await
        }
        Op::ListParts { upload_id } => multipart::handle_list_parts(&ctx, b, k, &upload_id).await,
        Op::ListMultipartUploads => multipart::handle_list_multipart_uploads(&ctx, b).await,
        Op::PutBucketCors => cors::handle_put_bucket_cors(&ctx, b, body).await,
        Op::GetBucketCors => cors::handle_get_bucket_cors(&ctx, b).await,
        Op::DeleteBucketCors => cors::handle_delete_bucket_cors(&ctx, b).await,
        Op::GetBucketVersioning => bucket::handle_get_bucket_versioning(&ctx, b).await,
        Op::GetBucketAcl => bucket::handle_get_bucket_acl(&ctx, b).await,
        Op::GetBucketTagging => bucket::handle_get_bucket_tagging(&ctx, b).await,
        Op::GetObjectAcl => object::handle_get_object_acl(&ctx, b, k).await,
        Op::GetObjectTagging => object::handle_get_object_tagging(&ctx, b, k).await,
        Op::ListObjectVersions => list::handle_list_object_versions(&ctx, b).await,
        // Handled above, before header or query authentication.
        Op::PostObject | Op::CorsPreflight => Err(crate::error::S3Error::new(crate::error::ErrorCode::NotImplemented)),
    }
}

/// Whether a PostObject failure is an authentication decision (rather than a storage or form
/// error after the policy was accepted).
fn is_auth_error(e: &crate::error::S3Error) -> bool {
    use crate::error::ErrorCode::*;
    matches!(
        e.code,
        AccessDenied | SignatureDoesNotMatch | InvalidAccessKeyId | InvalidPolicyDocument | InvalidToken | ExpiredToken
    ) || e.code == AuthorizationQueryParametersError
}

/// Records one authentication decision in the auth log.
fn log_decision(
    state: &AppState,
    request_id: &str,
    method: &http::Method,
    target: Option<&router::Target>,
    trace: AuthTrace,
    error: Option<&crate::error::S3Error>,
) {
    let extra = |name: &str| error.and_then(|e| e.extras.iter().find(|(n, _)| *n == name)).map(|(_, v)| v.clone());
    state.auth_log.record(AuthLogEntry {
        time: auth::clock::iso8601(state.auth.clock.now()),
        request_id: request_id.to_string(),
        method: method.to_string(),
        bucket: target.and_then(|t| t.bucket.clone()),
        key: target.and_then(|t| t.key.clone()),
        mechanism: trace.mechanism,
        access_key: trace.access_key,
        signed_headers: trace.signed_headers,
        expires: trace.expires,
        verdict: if error.is_some() { "denied" } else { "allowed" },
        error_code: error.map(|e| e.code_name()),
        error_message: error.map(|e| e.message.clone()),
        canonical_request: extra("CanonicalRequest"),
        string_to_sign: extra("StringToSign"),
    });
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
