//! The integration tests: one binary, one module per area. Each test starts a real server on an
//! ephemeral port and talks to it with real clients.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod acls;
mod attacks;
mod attributes;
mod auth_header;
mod authz;
mod buckets;
mod causes;
mod checksums;
mod ci;
mod cli;
mod common;
mod console;
mod cors;
mod cos;
mod crash;
mod errors;
mod hardening;
mod listing;
mod multipart;
mod objects;
mod presigned;
mod principals;
mod process;
mod properties;
mod public;
mod sessions;
mod sigv2;
mod sts;
mod tagging;
mod vectors;
mod versioning;
mod walk;
