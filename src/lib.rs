//! s3strict: an S3-compatible object store on one machine, as strict as Amazon S3 about SigV4
//! and presigned URLs.
//!
//! Layout, one module per concern:
//! - [`config`]: flags, `S3STRICT_*` env and a TOML file → [`config::Config`].
//! - [`server`]: listener, hyper service, graceful shutdown, request ids.
//! - [`state`]: the shared state every handler reaches ([`state::AppState`]).
//! - [`pipeline`]: every S3 request's one way: route → authenticate → authorize → dispatch; errors
//!   become responses here; CORS wraps it.
//! - [`request`]: the request's values (headers, a presigned URL's hoisted query parameters, a
//!   POST form's fields), parsed once for routing, authorization and the handler.
//! - [`router`]: request → bucket/key and a typed [`router::Op`] with its IAM action.
//! - [`access`]: authorization, the one place that decides whether a principal may do an operation.
//! - [`iam`]: identities: accounts, users, roles, sessions. [`policy`]: the IAM policy language.
//! - [`sts`]: STS (GetCallerIdentity, GetSessionToken, AssumeRole) on the same port.
//! - [`s3`]: one file per API area (`bucket`, `object`, `list`, `multipart`, `post_object`,
//!   `cors`) with the `handle_*` functions, the shared upload kit and `dispatch`.
//! - [`auth`]: SigV4 header and presigned-query verification, aws-chunked, POST policies, SigV2,
//!   credentials and sessions, clock, the auth decision log.
//! - [`storage`]: SQLite metadata and object files; the only code that touches disk.
//! - [`check`]: `s3strict check-url`, the offline conformance checker for presigner authors.
//! - [`admin`]: the `/_s3strict/` endpoints (health, ready, clock, auth-log, sessions, reset).
//! - [`console`]: the web console on its own listener: its embedded page, its calls, and the S3
//!   API forwarded to it with object bytes made inert. [`gate`]: console sessions, the
//!   back-off of failed admin tokens, the limit on all clients' wrong tokens, the budget of
//!   unauthenticated POST form fields. [`jsonapi`]: the JSON answers both give.
//! - [`checksum`]: flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), composite and
//!   full-object multipart checksums.
//! - [`tags`]: tag sets and S3's rules for them.
//! - [`xml`], [`body`], [`error`]: S3 XML documents, response bodies, the one error type.
//! - [`testing`]: [`TestServer`], s3strict embedded in users' own Rust tests.

pub mod access;
pub mod admin;
pub mod auth;
pub mod body;
pub mod check;
pub mod checksum;
pub mod config;
pub mod console;
pub mod error;
pub mod gate;
pub mod iam;
pub mod jsonapi;
pub mod pipeline;
pub mod policy;
pub mod presign;
pub mod request;
pub mod router;
pub mod s3;
pub mod server;
pub mod state;
pub mod storage;
pub mod sts;
pub mod tags;
pub mod testing;
pub mod xml;

pub use testing::TestServer;
