//! PostObject: browser uploads with an HTML form (`multipart/form-data`), authenticated by a signed
//! policy in the form itself (see [`crate::auth::post_policy`]).
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>
//!
//! The fields before `file` are read (bounded) by [`read_form`] before authentication, which
//! checks the policy against them; the handler then streams the file to a blob. Fields after
//! `file` are ignored, as on S3.
//!
//! Before authentication a form may cost the server only so much: every byte before the file
//! (each part's boundary and headers, empty names included) counts towards S3's 1 MiB, at most
//! [`MAX_FIELDS`] fields, the fields whole within the head's deadline (and the connection given
//! up at the cap while they trickle), and all forms together within a memory budget
//! ([`FormBudget`]).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::body::{BodyError, ReqBody};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::{Response, StatusCode};
use tokio::sync::OwnedSemaphorePermit;

use super::ctx::Ctx;
use super::respond::{set_header, xml_response};
use super::upload::{headers_from_request, validate_key};
use crate::auth::post_policy::missing_field;
use crate::auth::Payload;
use crate::body::Body;
use crate::checksum::{Algorithm, BodyChecksum};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::gate::{FormBudget, FORM_ALLOWANCE};
use crate::state::AppState;
use crate::storage::{ObjectMeta, PutCondition};
use crate::xml::XmlWriter;

/// The most bytes of form fields accepted before the file: every part's boundary line, headers
/// and value.
const MAX_PRE_DATA: usize = 1024 * 1024;
/// The most fields before the file. Our choice (S3 documents only the 1 MiB, within which a form
/// of empty parts could have 20 000): a browser form has a few dozen at most (the policy, its
/// signature, the key, one per header or metadata entry), and every field is matched against the
/// policy's conditions. More is answered like too many bytes, `MaxPostPreDataLengthExceededError`.
pub const MAX_FIELDS: usize = 1000;
/// What the form parser may hold of a form before its file beyond [`MAX_PRE_DATA`] counted part
/// by part: the piece of the stream it is working on (hyper hands bodies over in pieces of at most
/// a few hundred KiB). A part's headers are buffered until their blank line, so without this one
/// part header that never ends would be held whole.
const MAX_BUFFERED: usize = MAX_PRE_DATA + 512 * 1024;
/// Largest upload through POST, as for PUT.
const MAX_POST_BYTES: u64 = 5 * 1024 * 1024 * 1024;

fn bad_form() -> S3Error {
    S3Error::new(ErrorCode::MalformedPOSTRequest)
}

fn too_much() -> S3Error {
    S3Error::new(ErrorCode::MaxPostPreDataLengthExceededError)
}

/// The error for a form that could not be read: `RequestTimeout` when the client stopped
/// sending (or was too slow), the limits' own errors, else a malformed form.
fn form_error(e: multer::Error) -> S3Error {
    match &e {
        multer::Error::StreamReadFailed(source) if BodyError::is_stall(source.as_ref()) => {
            S3Error::new(ErrorCode::RequestTimeout)
        }
        multer::Error::StreamReadFailed(source) => match source.downcast_ref::<Refused>() {
            Some(Refused::TooLarge) => too_much(),
            Some(Refused::Busy) => S3Error::new(ErrorCode::SlowDown),
            None => bad_form(),
        },
        _ => bad_form(),
    }
}

/// Why the stream under the form parser stopped it.
#[derive(Debug)]
enum Refused {
    /// More than [`MAX_BUFFERED`] before the file.
    TooLarge,
    /// The shared [`FormBudget`] has no room for this form's fields.
    Busy,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::TooLarge => "form fields beyond the limit",
            Refused::Busy => "no room for more form fields",
        })
    }
}

impl std::error::Error for Refused {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What [`Metered`] counts, shared with [`read_form`].
#[derive(Default)]
struct Meter {
    /// Bytes handed to the parser before the file.
    pulled: AtomicUsize,
    /// The file has begun: nothing more is counted.
    file: AtomicBool,
    /// The form's share of the budget, for what it pulled beyond its allowance.
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Meter {
    /// Counts `n` more bytes before the file, drawing on `budget` beyond the allowance.
    fn count(&self, n: usize, budget: Option<&FormBudget>) -> Result<(), Refused> {
        let before = self.pulled.load(Ordering::Acquire);
        let after = before.saturating_add(n);
        if after > MAX_BUFFERED {
            return Err(Refused::TooLarge);
        }
        let more = after.saturating_sub(FORM_ALLOWANCE) - before.saturating_sub(FORM_ALLOWANCE);
        if let (Some(budget), true) = (budget, more > 0) {
            let permit = budget.take(more).ok_or(Refused::Busy)?;
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            match held.as_mut() {
                Some(h) => h.merge(permit),
                None => *held = Some(permit),
            }
        }
        self.pulled.store(after, Ordering::Release);
        Ok(())
    }

    /// The file begins: the fields are read, their share of the budget goes back.
    fn file_begins(&self) {
        self.file.store(true, Ordering::Release);
        self.held.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// The form's stream as the parser sees it: until the file, one piece at a time (the parser
/// otherwise takes all the client has sent before it looks at any of it) and counted by its
/// [`Meter`]; from the file on, as it comes.
struct Metered {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>,
    meter: Arc<Meter>,
    budget: Option<FormBudget>,
    /// A piece was just handed over: let the parser work on it before the next.
    paused: bool,
}

impl Stream for Metered {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.meter.file.load(Ordering::Acquire) {
            return this.inner.as_mut().poll_next(cx);
        }
        if this.paused {
            this.paused = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => match this.meter.count(piece.len(), this.budget.as_ref()) {
                Ok(()) => {
                    this.paused = true;
                    Poll::Ready(Some(Ok(piece)))
                }
                Err(refused) => Poll::Ready(Some(Err(Box::new(refused)))),
            },
            other => other,
        }
    }
}

/// The bytes a part took before its value: its boundary line, its headers and the blank line.
fn part_head_len(boundary: &str, headers: &http::HeaderMap) -> usize {
    let lines: usize = headers.iter().map(|(n, v)| n.as_str().len() + 2 + v.len() + 2).sum();
    2 + boundary.len() + 2 + lines + 2
}

/// A form read up to its file: the fields before it (lowercase names; `key` with `${filename}`
/// substituted), which authentication checks and which stand as the request's headers for
/// authorization and the handler ([`crate::request::RequestView::from_form`]), the key it names,
/// and the file still to be streamed.
pub struct PostForm {
    pub fields: Vec<(String, String)>,
    /// The object key the form names.
    pub key: String,
    pub file: FormFile,
}

/// The `file` field of a form, still to be read.
pub struct FormFile {
    file: multer::Field<'static>,
    /// The form stream the file is read from; kept alive with it.
    _form: multer::Multipart<'static>,
}

impl FormFile {
    /// The next piece of the file, `None` at its end.
    pub async fn chunk(&mut self) -> S3Result<Option<bytes::Bytes>> {
        self.file.chunk().await.map_err(form_error)
    }
}

/// Reads the form of a POST request before authentication (see [`read_form`]), under the
/// head's deadline (`--idle-timeout`) and within the server's [`FormBudget`].
pub async fn read_request_form(state: &AppState, headers: &http::HeaderMap, body: ReqBody) -> S3Result<PostForm> {
    let within = state.config.idle_timeout;
    let _deadline = body.deadline(within);
    let reading = read_form_within(headers, http_body_util::BodyDataStream::new(body), Some(state.gate.forms.clone()));
    // The body's deadline ends a wait for the client; this one, parsing too.
    tokio::time::timeout(within, reading).await.map_err(|_| S3Error::new(ErrorCode::RequestTimeout))?
}

/// Reads a `multipart/form-data` body up to its `file` field (bounded), before authentication.
pub async fn read_form<S, O, E>(headers: &http::HeaderMap, body: S) -> S3Result<PostForm>
where
    S: futures_util::Stream<Item = Result<O, E>> + Send + 'static,
    O: Into<bytes::Bytes> + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    read_form_within(headers, body, None).await
}

/// [`read_form`], drawing on `budget` (when given) for what the fields take beyond the form's
/// allowance.
async fn read_form_within<S, O, E>(headers: &http::HeaderMap, body: S, budget: Option<FormBudget>) -> S3Result<PostForm>
where
    S: futures_util::Stream<Item = Result<O, E>> + Send + 'static,
    O: Into<bytes::Bytes> + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let boundary = match multer::parse_boundary(content_type) {
        Ok(b) if content_type.trim().to_ascii_lowercase().starts_with("multipart/form-data") => b,
        _ => {
            return Err(S3Error::new(ErrorCode::PreconditionFailed)
                .extra("Condition", "Bucket POST must be of the enclosure-type multipart/form-data"))
        }
    };
    let meter = Arc::new(Meter::default());
    let inner =
        body.map(|piece: Result<O, E>| -> Result<Bytes, BoxError> { piece.map(Into::into).map_err(Into::into) });
    let metered = Metered { inner: Box::pin(inner), meter: meter.clone(), budget, paused: false };
    let mut form = multer::Multipart::new(metered, boundary.clone());
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut pre_data = 0usize;
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_ascii_lowercase();
        if name == "file" {
            meter.file_begins();
            file = Some(field);
            break;
        }
        if fields.len() == MAX_FIELDS {
            return Err(too_much());
        }
        // Every byte of the part counts, its boundary and headers too (a part with an empty
        // name and value is 40-odd bytes, not none); the value is read as it streams, stopping
        // at the limit: never more than it in memory.
        pre_data += part_head_len(&boundary, field.headers()) + 2;
        let mut value = Vec::new();
        let mut field = field;
        loop {
            if pre_data > MAX_PRE_DATA {
                return Err(too_much());
            }
            let Some(chunk) = field.chunk().await.map_err(form_error)? else { break };
            pre_data += chunk.len();
            if pre_data <= MAX_PRE_DATA {
                value.extend_from_slice(&chunk);
            }
        }
        let text = String::from_utf8(value).map_err(|_| bad_form())?;
        fields.push((name, text));
    }
    let Some(file) = file else {
        return Err(S3Error::invalid_argument("POST requires exactly one file upload per request.", "file", "0"));
    };
    let Some(raw_key) = fields.iter().find(|(n, _)| n == "key").map(|(_, v)| v.clone()) else {
        return Err(missing_field("key"));
    };
    let key = raw_key.replace("${filename}", file.file_name().unwrap_or_default());
    if key.is_empty() {
        // Seen in peers' tests written against S3 (cloudserver, s3rver).
        return Err(S3Error::invalid_argument("User key must have a length greater than 0.", "key", ""));
    }
    if let Some(k) = fields.iter_mut().find(|(n, _)| n == "key") {
        k.1 = key.clone();
    }
    Ok(PostForm { fields, key, file: FormFile { file, _form: form } })
}

/// Handles `POST /bucket` with a form whose policy authentication accepted and whose key
/// authorization judged: streams the file into a new object within the policy's content-length
/// range. The form's fields are the request's view (`ctx.header`).
pub async fn handle_post_object(ctx: &Ctx<'_>, bucket: &str, key: &str, file: FormFile) -> S3Result<Response<Body>> {
    let mut file = file;
    let range = match ctx.verified.payload {
        Payload::Form { length_range } => length_range,
        _ => None,
    };
    validate_key(key)?;
    let user_meta = ctx.user_metadata();
    super::upload::check_metadata_size(&user_meta)?;
    // The form's `tagging` field (a Tagging document), as authorization parsed and judged it.
    let tags = ctx.access.request_tags();
    ctx.state.store.require_bucket(bucket).await?;
    let written = ctx.access.write_acl();

    let max = range.map_or(MAX_POST_BYTES, |(_, max)| max.min(MAX_POST_BYTES));
    let mut writer = ctx.state.store.new_blob().await?;
    let mut sums = BodyChecksum::new(None, Algorithm::Crc64Nvme);
    while let Some(chunk) = file.chunk().await? {
        sums.update(&chunk);
        writer.write(chunk).await?;
        if writer.size() > max {
            return Err(too_large(writer.size(), max));
        }
    }
    if let Some((min, _)) = range {
        if writer.size() < min {
            return Err(S3Error::new(ErrorCode::EntityTooSmall)
                .extra("ProposedSize", writer.size().to_string())
                .extra("MinSizeAllowed", min.to_string()));
        }
    }
    let blob = writer.finish().await?;
    let meta = ObjectMeta {
        key: key.to_string(),
        etag: blob.etag(),
        last_modified_ms: ctx.now_ms(),
        headers: headers_from_request(ctx),
        user_meta,
        checksum: Some(sums.finish(&[])?),
        owner: written.owner,
        acl: written.acl,
        tags,
        ..Default::default()
    };
    let meta = ctx.state.store.put_object(bucket, meta, blob, PutCondition::default()).await?;
    tracing::debug!(bucket, key, principal = ctx.access.principal.arn.as_deref().unwrap_or(""), "POST object stored");
    let mut resp = success_response(ctx, bucket, key, &meta.etag);
    super::object::set_version_header(ctx, &mut resp, bucket, meta.version_id.as_deref()).await?;
    Ok(resp)
}

fn too_large(size: u64, max: u64) -> S3Error {
    S3Error::new(ErrorCode::EntityTooLarge)
        .extra("ProposedSize", size.to_string())
        .extra("MaxSizeAllowed", max.to_string())
}

/// The answer S3 gives: a 303 to `success_action_redirect`, or `success_action_status` 200, 201
/// (with a `PostResponse` document) or, by default, 204.
fn success_response(ctx: &Ctx<'_>, bucket: &str, key: &str, etag: &str) -> Response<Body> {
    let get = |n: &str| ctx.header(n);
    let location = format!("/{bucket}/{}", crate::auth::canonical::uri_encode(key.as_bytes(), false));
    if let Some(redirect) = get("success_action_redirect").or(get("redirect")).filter(|r| !r.is_empty()) {
        let enc = |s: &str| crate::auth::canonical::uri_encode(s.as_bytes(), true);
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let target = format!("{redirect}{sep}bucket={}&key={}&etag={}", enc(bucket), enc(key), enc(etag));
        let mut resp = super::respond::empty_response(StatusCode::SEE_OTHER);
        set_header(&mut resp, "location", &target);
        set_header(&mut resp, "etag", etag);
        return resp;
    }
    let mut resp = match get("success_action_status") {
        Some("201") => {
            let mut w = XmlWriter::new();
            w.open("PostResponse");
            w.elem("Location", &location);
            w.elem("Bucket", bucket);
            w.elem("Key", key);
            w.elem("ETag", etag);
            w.close("PostResponse");
            let mut r = xml_response(w);
            *r.status_mut() = StatusCode::CREATED;
            r
        }
        Some("200") => super::respond::empty_response(StatusCode::OK),
        _ => super::respond::empty_response(StatusCode::NO_CONTENT),
    };
    set_header(&mut resp, "etag", etag);
    set_header(&mut resp, "location", &location);
    resp
}
