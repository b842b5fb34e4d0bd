//! The auth decision log: every S3 request's authentication outcome, kept in a bounded ring
//! (newest first from `GET /_s3strict/auth-log?limit=N`, cleared by `DELETE`) and sent to
//! `tracing` at debug. Never a secret or a signature.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::S3Error;

/// Entries kept; the oldest go first.
pub const CAPACITY: usize = 1000;

/// What verification learned about a request as it went; filled in by [`super::verify`].
#[derive(Debug, Default, Clone)]
pub struct AuthTrace {
    /// `header`, `query` or `anonymous`; `None` before the mechanism is known.
    pub mechanism: Option<&'static str>,
    pub access_key: Option<String>,
    pub signed_headers: Option<String>,
    /// When a presigned URL stops being valid (ISO 8601).
    pub expires: Option<String>,
    /// The SigV4 canonical request and string to sign the server computed, once it did (kept
    /// also when a later check, such as expiry, refuses the request).
    pub canonical_request: Option<String>,
    pub string_to_sign: Option<String>,
    /// The cause of a mismatch as an administrator reads it, when it says more than the cause the
    /// client is told (which identity's secret signed the request); the log shows this one.
    pub admin_cause: Option<String>,
}

/// One request's decision.
#[derive(Debug, Clone, Serialize)]
pub struct AuthLogEntry {
    pub time: String,
    pub request_id: String,
    pub method: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The IAM action and resource ARN authorization judged.
    pub action: Option<&'static str>,
    pub resource: Option<String>,
    /// The principal's ARN, once known.
    pub principal: Option<String>,
    /// The rule that decided: the policy statement, the root user, a missing bucket…
    pub decided_by: Option<String>,
    pub mechanism: Option<&'static str>,
    pub access_key: Option<String>,
    pub signed_headers: Option<String>,
    pub expires: Option<String>,
    /// `allowed` or `denied`.
    pub verdict: &'static str,
    pub error_code: Option<&'static str>,
    pub error_message: Option<String>,
    /// What the server computed for a SigV4 request (also when it was allowed, or refused later,
    /// for instance as expired).
    pub canonical_request: Option<String>,
    pub string_to_sign: Option<String>,
    /// On a signature mismatch: the presigner mistake that explains it, when one does, as an
    /// administrator reads it (naming the identity whose secret signed, which the client is not
    /// told).
    pub cause: Option<String>,
}

/// What was decided about one request, besides what authentication traced.
#[derive(Debug, Default)]
pub struct Decision<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub action: Option<&'static str>,
    pub resource: Option<String>,
    pub principal: Option<String>,
    pub decided_by: Option<String>,
    /// The refusal, when the request was refused.
    pub error: Option<&'a S3Error>,
}

impl AuthLogEntry {
    /// The entry for a decision made at `time`.
    pub fn new(time: String, trace: AuthTrace, d: Decision<'_>) -> AuthLogEntry {
        let error = d.error;
        let extra = |name: &str| error.and_then(|e| e.extras.iter().find(|(n, _)| *n == name)).map(|(_, v)| v.clone());
        AuthLogEntry {
            time,
            request_id: d.request_id.to_string(),
            method: d.method.to_string(),
            bucket: d.bucket,
            key: d.key,
            action: d.action,
            resource: d.resource,
            principal: d.principal,
            decided_by: d.decided_by,
            mechanism: trace.mechanism,
            access_key: trace.access_key,
            signed_headers: trace.signed_headers,
            expires: trace.expires,
            verdict: if error.is_some() { "denied" } else { "allowed" },
            error_code: error.map(|e| e.code_name()),
            error_message: error.map(|e| e.message.clone()),
            canonical_request: trace.canonical_request.or_else(|| extra("CanonicalRequest")),
            string_to_sign: trace.string_to_sign.or_else(|| extra("StringToSign")),
            cause: trace.admin_cause.or_else(|| error.and_then(|e| e.cause.clone())),
        }
    }
}

/// The bounded in-memory ring of decisions.
#[derive(Debug, Default)]
pub struct AuthLog {
    entries: Mutex<VecDeque<AuthLogEntry>>,
}

impl AuthLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<AuthLogEntry>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Records a decision, dropping the oldest past [`CAPACITY`].
    pub fn record(&self, entry: AuthLogEntry) {
        tracing::debug!(
            request_id = %entry.request_id,
            method = %entry.method,
            bucket = entry.bucket.as_deref().unwrap_or(""),
            key = entry.key.as_deref().unwrap_or(""),
            mechanism = entry.mechanism.unwrap_or(""),
            access_key = entry.access_key.as_deref().unwrap_or(""),
            signed_headers = entry.signed_headers.as_deref().unwrap_or(""),
            expires = entry.expires.as_deref().unwrap_or(""),
            verdict = entry.verdict,
            decided_by = entry.decided_by.as_deref().unwrap_or(""),
            error_code = entry.error_code.unwrap_or(""),
            "auth decision"
        );
        let mut entries = self.lock();
        if entries.len() == CAPACITY {
            entries.pop_back();
        }
        entries.push_front(entry);
    }

    /// Up to `limit` decisions, newest first.
    pub fn recent(&self, limit: usize) -> Vec<AuthLogEntry> {
        self.lock().iter().take(limit).cloned().collect()
    }

    /// Forgets every decision.
    pub fn clear(&self) {
        self.lock().clear();
    }
}
