//! The one way every S3 request flows: **route** once into a typed operation, **authenticate**
//! (every scheme, POST forms included) into a verified principal, **authorize** it for the
//! operation, **dispatch** to the handler, and turn an error, if any, into S3's response here.
//! CORS wraps all of it: a cross-origin request gets the bucket's `Access-Control-*` headers on
//! whatever the pipeline answered, errors included.

use crate::body::ReqBody;
use http::{Request, Response};

use crate::access;
use crate::auth::log::{AuthLogEntry, Decision};
use crate::auth::{self, AuthRequest, AuthTrace, AuthType, Presented};
use crate::body::Body;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::request::RequestView;
use crate::router::{self, Op, Routed};
use crate::s3::{cors, dispatch, post_object, Ctx, RequestBody};
use crate::state::AppState;

/// The largest request line and header section S3 accepts: 8 KiB.
pub const MAX_HEADER_SECTION: usize = 8192;

/// The size of the request line and header section, as sent.
fn header_section_size(parts: &http::request::Parts) -> usize {
    let line = parts.method.as_str().len() + parts.uri.to_string().len() + 12;
    parts.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>() + line
}

/// Serves one S3 request and returns S3's response for it, success or error.
pub async fn serve(state: &AppState, req: Request<ReqBody>, request_id: &str) -> Response<Body> {
    let (parts, body) = req.into_parts();
    if header_section_size(&parts) > MAX_HEADER_SECTION {
        return S3Error::new(ErrorCode::RequestHeaderSectionTooLarge).into_response(&parts.method, request_id);
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let mut query = auth::parse_query(raw_query);
    let host = parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok());
    // A request signed the Tencent COS way gets COS's error documents and request-id header, and
    // its query is read as COS signs it: form-decoded, '+' a space (cos-auth.md §2).
    let cos =
        auth::cos::presented(&parts.headers, &query).then(|| format!("{}{}", host.unwrap_or(""), parts.uri.path()));
    if cos.is_some() {
        query = auth::cos::form_query(raw_query);
    }
    // The request's values, read once; routing, authorization and the handler all read these.
    let view = RequestView::from_headers(&parts.headers, &query);
    let routed = router::route_request(&parts.method, host, parts.uri.path(), &view, state.config.domain.as_deref());
    if let Ok(Op::Sts) = routed.op {
        // Read before authentication: whole within the head's deadline (see `ReqBody::deadline`).
        let _deadline = body.deadline(state.config.idle_timeout);
        return crate::sts::serve(state, parts, body, request_id).await;
    }
    // Cross-origin requests get the bucket's CORS headers on whatever is answered, errors too.
    let cors_bucket = match (&routed.op, parts.headers.contains_key(http::header::ORIGIN)) {
        (Ok(Op::CorsPreflight), _) | (_, false) => None,
        _ => routed.bucket().map(str::to_string),
    };
    let mut summary = RequestSummary {
        bucket: routed.bucket().map(str::to_string),
        key: routed.key().map(str::to_string),
        ..RequestSummary::default()
    };
    let mut resp = match (process(state, &parts, view, body, routed, request_id, &mut summary).await, &cos) {
        (Ok(r), _) => r,
        (Err(mut e), cos) => {
            e.cause_in_body = state.config.error_cause;
            summary.error_code = Some(e.code_name());
            match cos {
                Some(resource) => e.into_cos_response(&parts.method, request_id, resource),
                None => e.into_response(&parts.method, request_id),
            }
        }
    };
    resp.extensions_mut().insert(summary);
    if cos.is_some() {
        if let Ok(v) = http::HeaderValue::from_str(request_id) {
            resp.headers_mut().insert("x-cos-request-id", v);
        }
    }
    if let Some(bucket) = cors_bucket {
        cors::decorate(state, &parts.method, &parts.headers, &bucket, &mut resp).await;
    }
    resp
}

/// What the request log line says of a request beside its method, status and sizes; put on the
/// response for the server to log.
#[derive(Debug, Clone, Default)]
pub struct RequestSummary {
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// `header`, `query`, `form`, `anonymous`… (the auth log's mechanism), once known.
    pub mechanism: Option<&'static str>,
    /// `allowed`, `denied`, or none when the request never reached authentication.
    pub verdict: Option<&'static str>,
    pub error_code: Option<&'static str>,
}

/// Authenticate, authorize and dispatch a routed request. `view` holds the request's headers;
/// once authentication has said how the request was signed, it becomes the view authorization
/// and the handler share: with a presigned URL's signed query parameters standing in for absent
/// headers, or a POST form's fields in place of the headers.
async fn process(
    state: &AppState,
    parts: &http::request::Parts,
    view: RequestView<'_>,
    body: ReqBody,
    mut routed: Routed,
    request_id: &str,
    summary: &mut RequestSummary,
) -> S3Result<Response<Body>> {
    let query = view.query_pairs();
    // A preflight is never signed: the bucket's CORS rules alone answer it.
    if let (Ok(Op::CorsPreflight), Some(bucket)) = (&routed.op, routed.bucket()) {
        return cors::handle_preflight(state, &parts.headers, bucket, routed.key().is_some()).await;
    }
    // A form upload carries its authentication in the form: read the fields before the file,
    // within the head's deadline however slowly they trickle in (a byte every few seconds would
    // otherwise hold the connection forever). The key it names is the operation's target,
    // authorized like a PUT's.
    let (form_fields, body) = match (&routed.op, routed.bucket()) {
        (Ok(Op::PostObject), Some(_)) => {
            let form = post_object::read_request_form(state, &parts.headers, body).await?;
            if let Ok(target) = &mut routed.target {
                target.key = Some(form.key);
            }
            summary.key = routed.key().map(str::to_string);
            (Some(form.fields), RequestBody::Form(Box::new(form.file)))
        }
        _ => (None, RequestBody::Raw(body)),
    };
    let mut trace = AuthTrace::default();
    let verified = {
        let presented = match (&form_fields, routed.bucket()) {
            (Some(fields), Some(bucket)) => Presented::PostForm { fields, bucket },
            _ => Presented::Request(AuthRequest::s3(
                &parts.method,
                parts.uri.path(),
                parts.uri.query().unwrap_or(""),
                query,
                &parts.headers,
                routed.target.as_ref().ok().filter(|t| t.virtual_host).and_then(|t| t.bucket.as_deref()),
            )),
        };
        auth::authenticate(&state.auth, &presented, &mut trace)
    };
    let verified = match verified {
        Ok(v) => v,
        Err(error) => {
            log_decision(
                state,
                request_id,
                &parts.method,
                &routed,
                trace,
                Decision { error: Some(&error), ..Decision::default() },
                summary,
            );
            return Err(error);
        }
    };
    let view = match &form_fields {
        Some(fields) => RequestView::from_form(fields, query),
        None if verified.auth_type == AuthType::Query => {
            let mut view = view;
            view.hoist_query();
            view
        }
        None => view,
    };
    let access = match access::authorize(state, &verified, &routed, parts, &view).await {
        Ok(a) => {
            let d = Decision {
                principal: a.principal.arn.clone(),
                decided_by: Some(a.decided_by.clone()),
                ..Decision::default()
            };
            log_decision(state, request_id, &parts.method, &routed, trace, d, summary);
            a
        }
        Err(refusal) => {
            let refusal = *refusal;
            let d = Decision {
                principal: refusal.principal,
                decided_by: Some(refusal.decided_by),
                error: Some(&refusal.error),
                ..Decision::default()
            };
            log_decision(state, request_id, &parts.method, &routed, trace, d, summary);
            return Err(refusal.error);
        }
    };
    let target = routed.target?;
    let op = routed.op?;
    let ctx = Ctx { state, method: &parts.method, verified: &verified, view: &view, access: &access };
    dispatch(&ctx, op, &target, body).await
}

/// Records one request's authentication and authorization decision in the auth log.
fn log_decision(
    state: &AppState,
    request_id: &str,
    method: &http::Method,
    routed: &Routed,
    trace: AuthTrace,
    decision: Decision<'_>,
    summary: &mut RequestSummary,
) {
    summary.mechanism = trace.mechanism;
    summary.verdict = Some(if decision.error.is_some() { "denied" } else { "allowed" });
    let d = Decision {
        request_id,
        method: method.as_str(),
        bucket: routed.bucket().map(str::to_string),
        key: routed.key().map(str::to_string),
        action: routed.op.as_ref().ok().map(|op| op.action()).filter(|a| !a.is_empty()),
        resource: routed.target.as_ref().ok().map(|t| t.resource_arn()),
        ..decision
    };
    state.auth_log.record(AuthLogEntry::new(auth::clock::iso8601(state.auth.clock.now()), trace, d));
}
