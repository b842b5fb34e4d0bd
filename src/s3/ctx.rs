//! What every handler gets besides its own arguments: the request context ([`Ctx`]) — the shared
//! state, the request's method and its parsed view, how it was authenticated and what
//! authorization decided.

use crate::access::Authorization;
use crate::auth::Verified;
use crate::request::RequestView;
use crate::state::AppState;

/// What every handler gets besides its own arguments. A handler reads the request only through
/// `view` (and the method): the headers, query and form fields it acts on are the ones
/// authorization judged.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub method: &'a http::Method,
    pub verified: &'a Verified,
    /// The request's values (headers, hoisted query parameters, form fields), parsed once.
    pub view: &'a RequestView<'a>,
    /// Who may do what: the principal and its policies, for the questions handlers still ask.
    pub access: &'a Authorization,
}

impl Ctx<'_> {
    /// Whether the request was signed the Tencent COS way.
    pub fn is_cos(&self) -> bool {
        self.verified.signature_version == Some(crate::auth::SignatureVersion::Cos)
    }

    /// The prefix of user metadata in responses: `x-cos-meta-` for requests signed the COS way.
    pub fn metadata_prefix(&self) -> &'static str {
        if self.is_cos() {
            "x-cos-meta-"
        } else {
            "x-amz-meta-"
        }
    }

    /// A value of the request's view: a header, or for presigned URLs the signed query parameter
    /// that stands in for it, or a POST form's field ([`crate::request::RequestView`]) — the same
    /// values authorization judged.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.view.header(name)
    }

    /// Every `x-amz-meta-*` entry of the view (name lowercase, prefix removed), and on requests
    /// signed the COS way every `x-cos-meta-*` one.
    pub fn user_metadata(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        // Tencent COS SDKs send metadata as `x-cos-meta-*`; S3 stores only `x-amz-meta-*`, so on
        // a SigV4 or SigV2 request an `x-cos-meta-*` header is no metadata (issue #21).
        let cos = self.is_cos();
        for (name, value) in self.view.fields() {
            let meta = name.strip_prefix("x-amz-meta-").or_else(|| name.strip_prefix("x-cos-meta-").filter(|_| cos));
            let Some(n) = meta else { continue };
            match out.iter_mut().find(|(k, _)| k == n) {
                Some((_, existing)) => {
                    existing.push(',');
                    existing.push_str(value);
                }
                None => out.push((n.to_string(), value.to_string())),
            }
        }
        out
    }

    /// The account that owns what the request reads or creates: the bucket's owner, or the
    /// requester's account for requests without a bucket.
    pub fn owner_account(&self) -> &str {
        self.access.owner_account()
    }

    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.view.query(name)
    }

    /// The server's now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.state.auth.clock.now().timestamp_millis()
    }
}
