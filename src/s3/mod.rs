//! The S3 operations, one file per API area: [`bucket`] (create, head, delete, list buckets,
//! location), [`object`] (put, get, head, delete, copy, delete many), [`list`] (ListObjects v1 and
//! v2), [`multipart`] (multipart uploads), [`post_object`] (browser form uploads), [`cors`]
//! (bucket CORS rules, preflight, cross-origin response headers); [`upload`] is the kit the
//! writing handlers share, [`payload`] reads bodies as their authentication says, and
//! [`conditional`] evaluates `If-*` headers. Each `handle_*` takes the request context and
//! returns a response or an [`S3Error`]; [`dispatch`] picks the handler of a routed operation.

pub mod acl;
pub mod attributes;
pub mod bucket;
pub mod conditional;
pub mod cors;
pub mod ctx;
mod dispatch;
pub mod list;
pub mod multipart;
pub mod object;
pub mod payload;
pub mod policy;
pub mod post_object;
pub mod respond;
pub mod seed;
pub mod tagging;
pub mod upload;

pub use ctx::Ctx;
pub use dispatch::{dispatch, RequestBody};
