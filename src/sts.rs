//! STS on the same port: `GetCallerIdentity`, `GetSessionToken` and `AssumeRole`, as the AWS
//! Query protocol has them (a form-encoded `POST /` signed for service `sts`, XML answers and STS's
//! own error documents), so that the SDKs' own STS clients work with only an endpoint override.
//! <https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html>
//!
//! Sessions act as their holder: a GetSessionToken session as its user (or root), an AssumeRole
//! session as the role, narrowed by the session policy given with it. A presigned URL made from
//! session credentials stops working when the session ends. Every session, STS's or
//! `/_s3strict/sessions`', starts through [`start_session`]: at most [`MAX_SESSIONS`] unexpired
//! ones per identity (past that, STS's `Throttling`).
//!
//! A request's parameters come from what its signature covers: STS signs the body (see
//! [`process`]), so an unsigned body cannot add or override one.

use crate::body::{BodyError, ReqBody};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use sha2::{Digest, Sha256};

use crate::access::{decide, request_keys, ResourceSide};
use crate::auth::log::{AuthLogEntry, Decision};
use crate::auth::{self, AuthRequest, AuthTrace, Presented, STS_SERVICE};
use crate::body::{full, Body};
use crate::error::{ErrorCode, S3Error};
use crate::iam::{Holder, Principal, PrincipalKind, Role, Session, SessionRefused, MAX_SESSIONS, MAX_SESSION_SECS};
use crate::policy::{Policy, PolicyKind, RequestContext};
use crate::request::RequestView;
use crate::state::AppState;
use crate::xml::XmlWriter;

/// STS's XML namespace.
const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The largest form accepted: the parameters plus a session policy of a few KiB.
const MAX_BODY: usize = 64 * 1024;
/// The longest role chain session: one hour.
const CHAINED_MAX_SECS: i64 = 3600;
/// The longest session policy AssumeRole takes, in characters: the `Policy` member's length
/// constraint in STS's API model ("Maximum length of 2048"; API_AssumeRole, Request Parameters).
const MAX_POLICY_CHARS: usize = 2048;

/// An STS error: `Sender` faults (the client's) unless `receiver`; `cause` is the verifier's error
/// in S3's terms, for the auth log.
#[derive(Debug)]
struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
    receiver: bool,
    cause: Option<Box<S3Error>>,
}

impl StsError {
    fn sender(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        StsError { status, code, message: message.into(), receiver: false, cause: None }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::sender(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn access_denied(message: impl Into<String>) -> Self {
        Self::sender(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    /// STS's throttling answer, as it sends it: `400`, `Sender`, `Throttling`, "Rate exceeded"
    /// (the document quoted in jlevers/selling-partner-api#278; status 400 and the same code
    /// and message in aws/aws-sdk-go-v2#2481 and lakekeeper/lakekeeper#1397). SDKs retry it.
    fn throttling() -> Self {
        Self::sender(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded")
    }

    /// STS's answer to an authentication failure the verifier reported in S3's terms.
    fn from_auth(e: S3Error) -> Self {
        let mut out = Self::translate(&e);
        out.cause = Some(Box::new(e));
        out
    }

    fn translate(e: &S3Error) -> Self {
        use ErrorCode::*;
        let forbidden = StatusCode::FORBIDDEN;
        match e.code {
            InvalidAccessKeyId | InvalidToken => {
                Self::sender(forbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
            }
            ExpiredToken => Self::sender(forbidden, "ExpiredToken", "The security token included in the request is expired"),
            SignatureDoesNotMatch => Self::sender(
                forbidden,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ),
            RequestTimeTooSkewed => {
                let get = |n: &str| e.extras.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str()).unwrap_or("");
                Self::sender(
                    forbidden,
                    "SignatureDoesNotMatch",
                    format!("Signature not yet current or expired: request time {}, server time {}", get("RequestTime"), get("ServerTime")),
                )
            }
            InternalError => StsError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "InternalFailure",
                message: "The request processing has failed because of an unknown error, exception or failure.".into(),
                receiver: true,
                cause: None,
            },
            _ => Self::sender(StatusCode::BAD_REQUEST, "IncompleteSignature", e.message.clone()),
        }
    }

    fn into_response(self, request_id: &str) -> Response<Body> {
        let mut w = XmlWriter::new();
        w.open_with("ErrorResponse", &[("xmlns", NS)]);
        w.open("Error");
        w.elem("Type", if self.receiver { "Receiver" } else { "Sender" });
        w.elem("Code", self.code);
        w.elem("Message", &self.message);
        w.close("Error");
        w.elem("RequestId", request_id);
        w.close("ErrorResponse");
        xml(self.status, w)
    }
}

fn xml(status: StatusCode, w: XmlWriter) -> Response<Body> {
    let body = w.finish();
    let len = body.len();
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    crate::s3::respond::set_header(&mut resp, "content-type", "text/xml");
    crate::s3::respond::set_header(&mut resp, "content-length", &len.to_string());
    resp
}

/// Decodes `application/x-www-form-urlencoded` pairs (`+` is a space).
fn form_pairs(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| String::from_utf8_lossy(&auth::canonical::percent_decode(&s.replace('+', " "))).into_owned();
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
        .collect()
}

/// A request's parameters, from the query string and the form body.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A required parameter; STS's validation error when it is missing.
    fn required(&self, name: &str, member: &str) -> Result<&str, StsError> {
        self.get(name).ok_or_else(|| {
            StsError::validation(format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// `DurationSeconds`, between 900 and `max` (STS's own ceiling `ceiling`), or `default`.
    fn duration(&self, default: i64, ceiling: i64) -> Result<i64, StsError> {
        let Some(raw) = self.get("DurationSeconds") else { return Ok(default) };
        let n: i64 = raw.parse().map_err(|_| {
            StsError::sender(
                StatusCode::BAD_REQUEST,
                "MalformedInput",
                format!("Invalid value for DurationSeconds: {raw}"),
            )
        })?;
        let constraint = |c: &str| {
            StsError::validation(format!(
                "1 validation error detected: Value '{n}' at 'durationSeconds' failed to satisfy constraint: Member must have value {c}"
            ))
        };
        if n < 900 {
            return Err(constraint("greater than or equal to 900"));
        }
        if n > ceiling {
            return Err(constraint(&format!("less than or equal to {ceiling}")));
        }
        Ok(n)
    }
}

/// Serves one STS request; errors are STS's documents.
pub async fn serve(state: &AppState, parts: http::request::Parts, body: ReqBody, request_id: &str) -> Response<Body> {
    let mut trace = AuthTrace::default();
    let mut decision = Decision { request_id, method: parts.method.as_str(), ..Decision::default() };
    let result = process(state, &parts, body, &mut trace, &mut decision).await;
    let (resp, error) = match result {
        Ok(w) => (xml(StatusCode::OK, w), None),
        Err(mut e) => {
            let cause = e.cause.take().map(|c| *c);
            let log_error = cause.unwrap_or_else(|| S3Error::with_message(ErrorCode::AccessDenied, e.message.clone()));
            (e.into_response(request_id), Some(log_error))
        }
    };
    decision.error = error.as_ref();
    let entry = AuthLogEntry::new(auth::clock::iso8601(state.auth.clock.now()), trace, decision);
    state.auth_log.record(entry);
    resp
}

type StsResult<T> = Result<T, StsError>;

fn sts_err<T>(e: StsError) -> StsResult<T> {
    Err(e)
}

async fn process(
    state: &AppState,
    parts: &http::request::Parts,
    body: ReqBody,
    trace: &mut AuthTrace,
    decision: &mut Decision<'_>,
) -> StsResult<XmlWriter> {
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if BodyError::is_stall(e.as_ref()) => {
            return sts_err(StsError::sender(
                StatusCode::BAD_REQUEST,
                "RequestTimeout",
                ErrorCode::RequestTimeout.default_message(),
            ))
        }
        // Our choice: STS's answer to an oversized form is unconfirmed.
        Err(_) => {
            return sts_err(StsError::sender(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "Request body is too large",
            ))
        }
    };
    let body_sha256 = hex::encode(Sha256::digest(&body));
    let raw_query = parts.uri.query().unwrap_or("");
    let query = auth::parse_query(raw_query);
    let mut params = form_pairs(raw_query);
    params.extend(form_pairs(&String::from_utf8_lossy(&body)));
    let params = Params(params);
    // STS signs the body. Its canonical request ends with the SHA-256 of the body it received,
    // presigned or not: its SignatureDoesNotMatch for a presigned GetCallerIdentity shows the
    // empty body's hash where S3 would have UNSIGNED-PAYLOAD (boto/boto3#756), and a presigner
    // signing UNSIGNED-PAYLOAD for STS is refused until it signs the body's hash
    // (rusoto/rusoto#1439); STS knows no `X-Amz-Content-Sha256` parameter. The verifier takes the
    // body's hash for every service but S3 (an `X-Amz-Content-Sha256` parameter stays in the
    // canonical query string, signed like any other, and names no payload), so the signature
    // must cover the body, or the answer is STS's SignatureDoesNotMatch. Otherwise a URL
    // presigned for GetCallerIdentity with UNSIGNED-PAYLOAD would take `Action=GetSessionToken`
    // from an unsigned POST body (the body's parameters come after the query's).
    let mut req = AuthRequest::s3(&parts.method, parts.uri.path(), raw_query, &query, &parts.headers, None);
    req.service = STS_SERVICE;
    req.body_sha256 = Some(&body_sha256);
    let verified = match auth::authenticate(&state.auth, &Presented::Request(req), trace) {
        Ok(v) => v,
        Err(e) => return Err(StsError::from_auth(e)),
    };
    let Some(principal) = state.iam().principal(verified.access_key.as_deref()) else {
        return Err(StsError::from_auth(S3Error::new(ErrorCode::InvalidAccessKeyId)));
    };
    if principal.kind == PrincipalKind::Anonymous {
        return sts_err(StsError::sender(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    }
    decision.principal = principal.arn.clone();
    let action = params.get("Action").unwrap_or("");
    match action {
        "GetCallerIdentity" => {
            decision.action = Some("sts:GetCallerIdentity");
            decision.decided_by = Some("anyone may ask who they are".into());
            Ok(get_caller_identity(&principal, decision.request_id))
        }
        "GetSessionToken" => {
            decision.action = Some("sts:GetSessionToken");
            get_session_token(state, &principal, verified.access_key.as_deref(), &params, decision).await
        }
        "AssumeRole" => {
            decision.action = Some("sts:AssumeRole");
            let keys =
                request_keys(state, &verified, &principal, parts, &RequestView::from_headers(&parts.headers, &query));
            assume_role(state, &principal, &keys, &params, decision).await
        }
        other => sts_err(StsError::sender(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}

/// Starts `<{Action}Response><{Action}Result>`.
fn result_doc(action: &str) -> XmlWriter {
    let mut w = XmlWriter::new();
    w.open_with(&format!("{action}Response"), &[("xmlns", NS)]);
    w.open(&format!("{action}Result"));
    w
}

/// Closes the result, adds `ResponseMetadata` and the root.
fn finish_doc(mut w: XmlWriter, action: &str, request_id: &str) -> XmlWriter {
    w.close(&format!("{action}Result"));
    w.open("ResponseMetadata");
    w.elem("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close(&format!("{action}Response"));
    w
}

fn get_caller_identity(p: &Principal, request_id: &str) -> XmlWriter {
    let mut w = result_doc("GetCallerIdentity");
    w.elem("Arn", p.arn.as_deref().unwrap_or_default());
    w.elem("UserId", p.user_id.as_deref().unwrap_or_default());
    w.elem("Account", p.account_id.as_deref().unwrap_or_default());
    finish_doc(w, "GetCallerIdentity", request_id)
}

fn write_credentials(w: &mut XmlWriter, s: &Session) {
    w.open("Credentials");
    w.elem("AccessKeyId", &s.access_key);
    w.elem("SecretAccessKey", &s.secret_key);
    w.elem("SessionToken", &s.token);
    w.elem("Expiration", &auth::clock::iso8601(s.expires_at));
    w.close("Credentials");
}

/// Why [`start_session`] started no session.
#[derive(Debug)]
pub enum NoSession {
    /// The identity holds [`MAX_SESSIONS`] unexpired sessions.
    TooMany,
    /// The identity was deleted while the request was on its way.
    Gone,
    /// The store could not keep the session.
    Store(S3Error),
}

impl NoSession {
    /// The status the admin API answers it with.
    pub fn status(&self) -> StatusCode {
        match self {
            NoSession::TooMany => StatusCode::TOO_MANY_REQUESTS,
            NoSession::Gone => StatusCode::NOT_FOUND,
            NoSession::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// STS's answer.
    fn into_sts(self) -> StsError {
        match self {
            NoSession::TooMany => StsError::throttling(),
            // The caller's credentials stopped existing: what STS says of unknown ones.
            NoSession::Gone => StsError::from_auth(S3Error::new(ErrorCode::InvalidAccessKeyId)),
            NoSession::Store(e) => StsError::from_auth(e),
        }
    }
}

impl std::fmt::Display for NoSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoSession::TooMany => write!(
                f,
                "too many sessions: an identity may hold {MAX_SESSIONS} unexpired sessions at once; wait for some to expire"
            ),
            NoSession::Gone => write!(f, "the identity the session was for no longer exists"),
            NoSession::Store(e) => write!(f, "the session could not be stored: {e}"),
        }
    }
}

/// Starts a session for `holder` until `expires_at`: registers it (judged on the server's clock:
/// see [`crate::iam::Iam::start_session`]), then stores it, removing in the same transaction the
/// sessions that ended to make room. Its credentials are handed out only after both, so nobody
/// holds a session the store lost.
pub async fn start_session(
    state: &AppState,
    holder: Holder,
    policy: Option<std::sync::Arc<Policy>>,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<Session, NoSession> {
    let iam = state.iam();
    let (session, ended) =
        iam.start_session(holder, policy, expires_at, state.auth.clock.now()).map_err(|refused| match refused {
            SessionRefused::TooMany => NoSession::TooMany,
            SessionRefused::Gone => NoSession::Gone,
        })?;
    if let Err(e) = state.store.save_session(session.to_row(), ended).await {
        iam.abandon_session(&session.access_key);
        return Err(NoSession::Store(e));
    }
    Ok(session)
}

async fn get_session_token(
    state: &AppState,
    p: &Principal,
    access_key: Option<&str>,
    params: &Params,
    decision: &mut Decision<'_>,
) -> StsResult<XmlWriter> {
    let iam = state.iam();
    if access_key.is_some_and(|k| iam.is_session_key(k)) {
        return sts_err(StsError::access_denied("Cannot call GetSessionToken with session credentials"));
    }
    let account_id = p.account_id.clone().unwrap_or_default();
    let (holder, default, ceiling) = match (p.kind, &p.username, &p.user_id) {
        (PrincipalKind::User, Some(name), Some(user_id)) => {
            (Holder::User { account_id, name: name.clone(), user_id: user_id.clone() }, 43_200, MAX_SESSION_SECS)
        }
        // The root user's sessions last at most an hour.
        _ => (Holder::Root { account_id }, 3600, 3600),
    };
    let secs = params.duration(default, MAX_SESSION_SECS)?.min(ceiling);
    let expires_at = state.auth.clock.now() + chrono::Duration::seconds(secs);
    let session = start_session(state, holder, None, expires_at).await.map_err(NoSession::into_sts)?;
    decision.decided_by = Some("GetSessionToken needs no permission".into());
    let mut w = result_doc("GetSessionToken");
    write_credentials(&mut w, &session);
    Ok(finish_doc(w, "GetSessionToken", decision.request_id))
}

/// `[\w+=,.@-]{2,64}`, IAM's rule for session names.
fn check_session_name(name: &str) -> Result<(), StsError> {
    let failed = |c: &str| {
        StsError::validation(format!(
            "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must {c}"
        ))
    };
    if !(2..=64).contains(&name.len()) {
        return Err(failed(if name.len() < 2 {
            "have length greater than or equal to 2"
        } else {
            "have length less than or equal to 64"
        }));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)) {
        return Err(failed("satisfy regular expression pattern: [\\w+=,.@-]*"));
    }
    Ok(())
}

/// Whether `p` may assume `role`, decided as any request on a resource with a resource-based
/// policy is ([`decide`], with the trust policy as the resource's policy): an explicit `Deny` in
/// the caller's identity policies, in its session policy or in the trust policy refuses, whoever
/// the trust policy names ("Policy evaluation logic", IAM User Guide). Within the role's account,
/// a trust statement naming the caller itself suffices; one naming the caller's role (role
/// chaining) is limited by the caller's session policy, as only a statement naming the session
/// ARN is not ("Session policies", IAM User Guide); one naming the account needs the caller's
/// own policies to allow `sts:AssumeRole`. Across accounts both sides must allow. And, unlike
/// other resources, a role is assumed only through its trust policy: some statement of it must
/// allow the caller, whatever the caller's own policies say.
///
/// Every refusal gets the same answer from STS (see [`assume_role`]): its AccessDenied for
/// AssumeRole names the caller, the action and the role, and no policy type (every report we
/// found — trust policy missing, identity policy missing — has that one form).
fn may_assume(p: &Principal, keys: &crate::policy::ConditionKeys, role: &Role) -> Result<String, String> {
    let role_arn = role.arn();
    let side = ResourceSide::with_policy(&role.account_id, &role.trust, "trust");
    let verdict = decide(p, keys, "sts:AssumeRole", &role_arn, Some(side)).map_err(|d| d.decided_by)?;
    let canonical = p.canonical_id();
    let req = RequestContext {
        action: "sts:AssumeRole",
        resource: &role_arn,
        principal: p.policy_ref(canonical.as_deref()),
        keys,
        resource_account: Some(&role.account_id),
    };
    if role.trust.evaluate(&req).allowed_by.is_none() {
        return Err("no trust policy statement allows".into());
    }
    Ok(verdict)
}

async fn assume_role(
    state: &AppState,
    p: &Principal,
    keys: &crate::policy::ConditionKeys,
    params: &Params,
    decision: &mut Decision<'_>,
) -> StsResult<XmlWriter> {
    let role_arn = params.required("RoleArn", "roleArn")?.to_string();
    let session_name = params.required("RoleSessionName", "roleSessionName")?.to_string();
    check_session_name(&session_name)?;
    decision.resource = Some(role_arn.clone());
    if p.kind == PrincipalKind::Root {
        return sts_err(StsError::access_denied("Roles may not be assumed by root accounts."));
    }
    let iam = state.iam();
    let refused = || {
        StsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            p.arn.as_deref().unwrap_or_default()
        ))
    };
    let Some(role) = iam.role_by_arn(&role_arn).cloned() else {
        decision.decided_by = Some("no such role".into());
        return sts_err(refused());
    };
    match may_assume(p, keys, &role) {
        Ok(why) => decision.decided_by = Some(why),
        Err(why) => {
            decision.decided_by = Some(why);
            return sts_err(refused());
        }
    }
    let chained = p.kind == PrincipalKind::AssumedRole;
    let secs = params.duration(3600, 43_200)?;
    if secs > role.max_session_secs {
        return sts_err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    if chained && secs > CHAINED_MAX_SECS {
        return sts_err(StsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    let policy = match params.get("Policy") {
        None => None,
        Some(text) if text.chars().count() > MAX_POLICY_CHARS => {
            return sts_err(StsError::validation(format!(
                "1 validation error detected: Value '{text}' at 'policy' failed to satisfy constraint: Member must have length less than or equal to {MAX_POLICY_CHARS}"
            )))
        }
        Some(text) => match Policy::parse(text, &PolicyKind::Identity, &|_| true) {
            Ok(policy) => Some(std::sync::Arc::new(policy)),
            Err(e) => return sts_err(StsError::sender(StatusCode::BAD_REQUEST, "MalformedPolicyDocument", e.0)),
        },
    };
    let packed = policy.as_ref().map(|p| (p.text.len() * 100).div_ceil(2048));
    let expires_at = state.auth.clock.now() + chrono::Duration::seconds(secs);
    let holder = Holder::Role {
        account_id: role.account_id.clone(),
        name: role.name.clone(),
        role_id: role.role_id.clone(),
        session_name: session_name.clone(),
    };
    let session = start_session(state, holder, policy, expires_at).await.map_err(NoSession::into_sts)?;
    let mut w = result_doc("AssumeRole");
    w.open("AssumedRoleUser");
    w.elem("AssumedRoleId", &format!("{}:{session_name}", role.role_id));
    w.elem("Arn", &format!("arn:aws:sts::{}:assumed-role/{}/{session_name}", role.account_id, role.name));
    w.close("AssumedRoleUser");
    write_credentials(&mut w, &session);
    // How full the session token is with the session policy, in percent: PackedPolicySize, and
    // SessionTokenUtilization that newer SDK models read instead. Our tokens are not packed, so
    // this is the policy's share of STS's 2048-character limit.
    if let Some(size) = packed {
        w.elem("PackedPolicySize", &size.to_string());
        w.elem("SessionTokenUtilization", &size.to_string());
    }
    Ok(finish_doc(w, "AssumeRole", decision.request_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        let p = form_pairs("Action=AssumeRole&Policy=%7B%22a%22%3A+1%7D&RoleSessionName=s+1");
        assert_eq!(p[1], ("Policy".into(), "{\"a\": 1}".into()));
        assert_eq!(p[2].1, "s 1");
    }

    #[test]
    fn session_names() {
        assert!(check_session_name("ci-run_42@x").is_ok());
        assert!(check_session_name("a").unwrap_err().message.ends_with("have length greater than or equal to 2"));
        assert!(check_session_name("a b").unwrap_err().message.contains("regular expression"));
    }
}
