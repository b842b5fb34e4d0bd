//! The one S3 error type and the single place that turns it into an HTTP response.
//!
//! Handlers and auth return `Result<_, S3Error>`; only [`S3Error::into_response`] writes the XML
//! error document (`Code`, `Message`, extra elements, `RequestId`, `HostId`). Like S3's own
//! responses (e.g. `NoSuchKey`: `Code, Message, Key, RequestId, HostId`), no generic `Resource`
//! element is written; an error that names its resource does so with its own extra element.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};

use crate::body::{full, Body};
use crate::xml::XmlWriter;

/// Every S3 error code s3strict can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    AccessDenied,
    AccessForbidden,
    AuthorizationHeaderMalformed,
    AuthorizationQueryParametersError,
    BadDigest,
    BadRequest,
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    EntityTooLarge,
    EntityTooSmall,
    ExpiredToken,
    IllegalLocationConstraintException,
    IncompleteBody,
    InternalError,
    InvalidAccessKeyId,
    InvalidArgument,
    InvalidBucketName,
    InvalidBucketOwnerAWSAccountID,
    InvalidDigest,
    InvalidPart,
    InvalidPolicyDocument,
    InvalidPartNumber,
    InvalidPartOrder,
    InvalidLocationConstraint,
    InvalidRange,
    InvalidRequest,
    InvalidToken,
    InvalidURI,
    KeyTooLongError,
    MalformedPOSTRequest,
    MalformedPolicy,
    MalformedXML,
    MaxPostPreDataLengthExceededError,
    MethodNotAllowed,
    MissingContentLength,
    NoSuchBucket,
    NoSuchBucketPolicy,
    NoSuchCORSConfiguration,
    NoSuchKey,
    NoSuchTagSet,
    InvalidTag,
    NoSuchUpload,
    NoSuchLifecycleConfiguration,
    NoSuchWebsiteConfiguration,
    ObjectLockConfigurationNotFoundError,
    ReplicationConfigurationNotFoundError,
    /// An analytics, metrics, inventory or Intelligent-Tiering configuration id that is not there.
    NoSuchConfiguration,
    NotImplemented,
    /// 304: sent without a body, like S3.
    NotModified,
    PreconditionFailed,
    RequestTimeTooSkewed,
    SignatureDoesNotMatch,
    AccessControlListNotSupported,
    InvalidBucketAclWithBlockPublicAccessError,
    InvalidBucketAclWithObjectOwnership,
    MalformedACLError,
    MissingSecurityHeader,
    NoSuchPublicAccessBlockConfiguration,
    OwnershipControlsNotFoundError,
    UnexpectedContent,
    UnresolvableGrantByEmailAddress,
    MalformedTrailerError,
    NoSuchVersion,
    MetadataTooLarge,
    RequestHeaderSectionTooLarge,
    RequestTimeout,
    SlowDown,
    XAmzContentSHA256Mismatch,
}

impl ErrorCode {
    /// The S3 name and HTTP status of each code: the one table of them.
    pub fn name_and_status(self) -> (&'static str, StatusCode) {
        use ErrorCode::*;
        match self {
            AccessDenied => ("AccessDenied", StatusCode::FORBIDDEN),
            AccessForbidden => ("AccessForbidden", StatusCode::FORBIDDEN),
            BadRequest => ("BadRequest", StatusCode::BAD_REQUEST),
            NoSuchCORSConfiguration => ("NoSuchCORSConfiguration", StatusCode::NOT_FOUND),
            AuthorizationHeaderMalformed => ("AuthorizationHeaderMalformed", StatusCode::BAD_REQUEST),
            AuthorizationQueryParametersError => ("AuthorizationQueryParametersError", StatusCode::BAD_REQUEST),
            BadDigest => ("BadDigest", StatusCode::BAD_REQUEST),
            BucketAlreadyExists => ("BucketAlreadyExists", StatusCode::CONFLICT),
            BucketAlreadyOwnedByYou => ("BucketAlreadyOwnedByYou", StatusCode::CONFLICT),
            BucketNotEmpty => ("BucketNotEmpty", StatusCode::CONFLICT),
            EntityTooLarge => ("EntityTooLarge", StatusCode::BAD_REQUEST),
            EntityTooSmall => ("EntityTooSmall", StatusCode::BAD_REQUEST),
            ExpiredToken => ("ExpiredToken", StatusCode::BAD_REQUEST),
            IllegalLocationConstraintException => ("IllegalLocationConstraintException", StatusCode::BAD_REQUEST),
            IncompleteBody => ("IncompleteBody", StatusCode::BAD_REQUEST),
            InternalError => ("InternalError", StatusCode::INTERNAL_SERVER_ERROR),
            InvalidAccessKeyId => ("InvalidAccessKeyId", StatusCode::FORBIDDEN),
            InvalidArgument => ("InvalidArgument", StatusCode::BAD_REQUEST),
            InvalidBucketName => ("InvalidBucketName", StatusCode::BAD_REQUEST),
            InvalidBucketOwnerAWSAccountID => ("InvalidBucketOwnerAWSAccountID", StatusCode::BAD_REQUEST),
            InvalidDigest => ("InvalidDigest", StatusCode::BAD_REQUEST),
            InvalidPart => ("InvalidPart", StatusCode::BAD_REQUEST),
            InvalidPolicyDocument => ("InvalidPolicyDocument", StatusCode::BAD_REQUEST),
            InvalidPartNumber => ("InvalidPartNumber", StatusCode::RANGE_NOT_SATISFIABLE),
            InvalidPartOrder => ("InvalidPartOrder", StatusCode::BAD_REQUEST),
            InvalidLocationConstraint => ("InvalidLocationConstraint", StatusCode::BAD_REQUEST),
            InvalidRange => ("InvalidRange", StatusCode::RANGE_NOT_SATISFIABLE),
            InvalidRequest => ("InvalidRequest", StatusCode::BAD_REQUEST),
            InvalidToken => ("InvalidToken", StatusCode::BAD_REQUEST),
            InvalidURI => ("InvalidURI", StatusCode::BAD_REQUEST),
            KeyTooLongError => ("KeyTooLongError", StatusCode::BAD_REQUEST),
            MalformedPOSTRequest => ("MalformedPOSTRequest", StatusCode::BAD_REQUEST),
            MalformedPolicy => ("MalformedPolicy", StatusCode::BAD_REQUEST),
            MalformedXML => ("MalformedXML", StatusCode::BAD_REQUEST),
            MaxPostPreDataLengthExceededError => ("MaxPostPreDataLengthExceededError", StatusCode::BAD_REQUEST),
            MethodNotAllowed => ("MethodNotAllowed", StatusCode::METHOD_NOT_ALLOWED),
            MissingContentLength => ("MissingContentLength", StatusCode::LENGTH_REQUIRED),
            NoSuchBucket => ("NoSuchBucket", StatusCode::NOT_FOUND),
            NoSuchBucketPolicy => ("NoSuchBucketPolicy", StatusCode::NOT_FOUND),
            NoSuchKey => ("NoSuchKey", StatusCode::NOT_FOUND),
            NoSuchTagSet => ("NoSuchTagSet", StatusCode::NOT_FOUND),
            InvalidTag => ("InvalidTag", StatusCode::BAD_REQUEST),
            NoSuchUpload => ("NoSuchUpload", StatusCode::NOT_FOUND),
            NoSuchLifecycleConfiguration => ("NoSuchLifecycleConfiguration", StatusCode::NOT_FOUND),
            NoSuchWebsiteConfiguration => ("NoSuchWebsiteConfiguration", StatusCode::NOT_FOUND),
            ObjectLockConfigurationNotFoundError => ("ObjectLockConfigurationNotFoundError", StatusCode::NOT_FOUND),
            ReplicationConfigurationNotFoundError => ("ReplicationConfigurationNotFoundError", StatusCode::NOT_FOUND),
            NoSuchConfiguration => ("NoSuchConfiguration", StatusCode::NOT_FOUND),
            NotImplemented => ("NotImplemented", StatusCode::NOT_IMPLEMENTED),
            NotModified => ("NotModified", StatusCode::NOT_MODIFIED),
            PreconditionFailed => ("PreconditionFailed", StatusCode::PRECONDITION_FAILED),
            RequestTimeTooSkewed => ("RequestTimeTooSkewed", StatusCode::FORBIDDEN),
            SignatureDoesNotMatch => ("SignatureDoesNotMatch", StatusCode::FORBIDDEN),
            AccessControlListNotSupported => ("AccessControlListNotSupported", StatusCode::BAD_REQUEST),
            InvalidBucketAclWithBlockPublicAccessError => {
                ("InvalidBucketAclWithBlockPublicAccessError", StatusCode::BAD_REQUEST)
            }
            InvalidBucketAclWithObjectOwnership => ("InvalidBucketAclWithObjectOwnership", StatusCode::BAD_REQUEST),
            MalformedACLError => ("MalformedACLError", StatusCode::BAD_REQUEST),
            MissingSecurityHeader => ("MissingSecurityHeader", StatusCode::BAD_REQUEST),
            NoSuchPublicAccessBlockConfiguration => ("NoSuchPublicAccessBlockConfiguration", StatusCode::NOT_FOUND),
            OwnershipControlsNotFoundError => ("OwnershipControlsNotFoundError", StatusCode::NOT_FOUND),
            UnexpectedContent => ("UnexpectedContent", StatusCode::BAD_REQUEST),
            UnresolvableGrantByEmailAddress => ("UnresolvableGrantByEmailAddress", StatusCode::BAD_REQUEST),
            MalformedTrailerError => ("MalformedTrailerError", StatusCode::BAD_REQUEST),
            NoSuchVersion => ("NoSuchVersion", StatusCode::NOT_FOUND),
            MetadataTooLarge => ("MetadataTooLarge", StatusCode::BAD_REQUEST),
            RequestHeaderSectionTooLarge => ("RequestHeaderSectionTooLarge", StatusCode::BAD_REQUEST),
            RequestTimeout => ("RequestTimeout", StatusCode::BAD_REQUEST),
            SlowDown => ("SlowDown", StatusCode::SERVICE_UNAVAILABLE),
            XAmzContentSHA256Mismatch => ("XAmzContentSHA256Mismatch", StatusCode::BAD_REQUEST),
        }
    }

    /// S3's usual message for the code, used when the failure has nothing more specific to say.
    pub fn default_message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            AccessDenied => "Access Denied",
            AccessForbidden => "CORSResponse: This CORS request is not allowed.",
            BadRequest => "Bad Request",
            NoSuchCORSConfiguration => "The CORS configuration does not exist",
            BadDigest => "The Content-MD5 you specified did not match what we received.",
            BucketAlreadyExists => {
                "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."
            }
            BucketAlreadyOwnedByYou => {
                "Your previous request to create the named bucket succeeded and you already own it."
            }
            BucketNotEmpty => "The bucket you tried to delete is not empty",
            EntityTooLarge => "Your proposed upload exceeds the maximum allowed size",
            EntityTooSmall => "Your proposed upload is smaller than the minimum allowed size",
            ExpiredToken => "The provided token has expired.",
            InvalidPart => {
                "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
            }
            InvalidPartNumber => "The requested partnumber is not satisfiable",
            InvalidPolicyDocument => "The content of the form does not meet the conditions specified in the policy document.",
            MalformedPOSTRequest => "The body of your POST request is not well-formed multipart/form-data.",
            MaxPostPreDataLengthExceededError => "Your POST request fields preceding the upload file were too large.",
            InvalidPartOrder => {
                "The list of parts was not in ascending order. The parts list must be specified in order by part number."
            }
            NoSuchUpload => {
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
            }
            IncompleteBody => {
                "You did not provide the number of bytes specified by the Content-Length HTTP header."
            }
            InternalError => "We encountered an internal error. Please try again.",
            InvalidAccessKeyId => "The AWS Access Key Id you provided does not exist in our records.",
            InvalidBucketName => "The specified bucket is not valid.",
            InvalidDigest => "The Content-MD5 you specified was not valid.",
            InvalidRange => "The requested range is not satisfiable",
            KeyTooLongError => "Your key is too long",
            MalformedXML => {
                "The XML you provided was not well-formed or did not validate against our published schema"
            }
            MethodNotAllowed => "The specified method is not allowed against this resource.",
            MissingContentLength => "You must provide the Content-Length HTTP header.",
            NoSuchBucket => "The specified bucket does not exist",
            NoSuchBucketPolicy => "The bucket policy does not exist",
            MalformedPolicy => "Policies must be valid JSON and the first byte must be '{'",
            NoSuchKey => "The specified key does not exist.",
            NoSuchTagSet => "The TagSet does not exist",
            InvalidTag => "Your request contains tag input that is not valid.",
            NoSuchLifecycleConfiguration => "The lifecycle configuration does not exist",
            NoSuchWebsiteConfiguration => "The specified bucket does not have a website configuration",
            ObjectLockConfigurationNotFoundError => "Object Lock configuration does not exist for this bucket",
            ReplicationConfigurationNotFoundError => "The replication configuration was not found",
            NoSuchConfiguration => "The specified configuration does not exist.",
            NotImplemented => "A header you provided implies functionality that is not implemented",
            NotModified => "Not Modified",
            PreconditionFailed => "At least one of the pre-conditions you specified did not hold",
            RequestTimeTooSkewed => {
                "The difference between the request time and the current time is too large."
            }
            SignatureDoesNotMatch => {
                "The request signature we calculated does not match the signature you provided. Check your key and signing method."
            }
            AccessControlListNotSupported => "The bucket does not allow ACLs",
            InvalidBucketAclWithBlockPublicAccessError => "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
            InvalidBucketAclWithObjectOwnership => "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            MalformedACLError => "The XML you provided was not well-formed or did not validate against our published schema",
            MissingSecurityHeader => "Your request was missing a required header",
            NoSuchPublicAccessBlockConfiguration => "The public access block configuration was not found",
            OwnershipControlsNotFoundError => "The bucket ownership controls were not found",
            UnexpectedContent => "This request does not support content",
            UnresolvableGrantByEmailAddress => "The e-mail address you provided does not match any account on record.",
            MalformedTrailerError => "The request contained trailing data that was not well-formed or did not conform to our published schema.",
            NoSuchVersion => "The specified version does not exist.",
            MetadataTooLarge => "Your metadata headers exceed the maximum allowed metadata size",
            RequestHeaderSectionTooLarge => "The request header and query parameters used to make the request exceed the maximum allowed size.",
            RequestTimeout => {
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."
            }
            SlowDown => "Please reduce your request rate.",
            XAmzContentSHA256Mismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            }
            InvalidLocationConstraint => "The specified location-constraint is not valid",
            IllegalLocationConstraintException => {
                "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
            }
            InvalidURI => "Couldn't parse the specified URI.",
            InvalidToken => "The provided token is malformed or otherwise invalid.",
            // These always carry a message specific to the failure.
            AuthorizationHeaderMalformed => "The authorization header is malformed",
            InvalidBucketOwnerAWSAccountID => "The value of the expected bucket owner parameter must be an AWS Account ID...",
            AuthorizationQueryParametersError => "Error parsing the query-string authentication",
            InvalidArgument => "Invalid Argument",
            InvalidRequest => "Invalid Request",
        }
    }
}

/// An S3 error: a code, its message, the extra elements S3 sends with it, and an optional cause
/// that is logged but never shown to the client.
#[derive(Debug)]
pub struct S3Error {
    pub code: ErrorCode,
    pub message: String,
    /// Extra elements, in the order S3 writes them after `Message`.
    pub extras: Vec<(&'static str, String)>,
    /// Extra response headers (e.g. `x-amz-bucket-region`).
    pub headers: Vec<(&'static str, String)>,
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Why a signature did not match, when s3strict could tell: sent in an extra element after
    /// S3's own ones (unless `cause_in_body` is off) and in `x-s3strict-cause`.
    pub cause: Option<String>,
    pub cause_in_body: bool,
}

/// The element and header that carry a mismatch's cause.
pub const CAUSE_ELEMENT: &str = "S3strictCause";
pub const CAUSE_HEADER: &str = "x-s3strict-cause";

impl S3Error {
    /// An error with S3's default message for `code`.
    pub fn new(code: ErrorCode) -> Self {
        Self::with_message(code, code.default_message())
    }

    /// An error with a message of its own.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        S3Error {
            code,
            message: message.into(),
            extras: Vec::new(),
            headers: Vec::new(),
            source: None,
            cause: None,
            cause_in_body: true,
        }
    }

    /// Adds an extra XML element after `Message`.
    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extras.push((name, value.into()));
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// An `InternalError` caused by `source`; the cause is logged, never sent.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut e = Self::new(ErrorCode::InternalError);
        e.source = Some(source.into());
        e
    }

    /// `InvalidArgument` with `ArgumentName` and `ArgumentValue`.
    pub fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> Self {
        Self::with_message(ErrorCode::InvalidArgument, message)
            .extra("ArgumentName", name)
            .extra("ArgumentValue", value)
    }

    /// What went wrong, for an operator: the cause when there is one, else the message.
    pub fn detail(&self) -> String {
        match &self.source {
            Some(source) => source.to_string(),
            None => self.message.clone(),
        }
    }

    /// The S3 name of the code.
    pub fn code_name(&self) -> &'static str {
        self.code.name_and_status().0
    }

    /// Turns the error into S3's response; HEAD responses carry no body, as on S3.
    pub fn into_response(self, method: &Method, request_id: &str) -> Response<Body> {
        self.render(method, |e, name| {
            let mut w = XmlWriter::new();
            w.open("Error");
            w.elem("Code", name);
            // S3 sends some errors without a message (an unknown canned ACL, as recorded against AWS).
            if !e.message.is_empty() {
                w.elem("Message", &e.message);
            }
            for (k, v) in &e.extras {
                w.elem(k, v);
            }
            w.elem("RequestId", request_id);
            w.elem("HostId", &host_id(request_id));
            if let (Some(cause), true) = (&e.cause, e.cause_in_body) {
                w.elem(CAUSE_ELEMENT, cause);
            }
            w.close("Error");
            w.finish()
        })
    }

    /// Turns the error into Tencent COS's response, for requests signed the COS way: `Code`,
    /// `Message`, `Resource` (host and path), `RequestId`, `TraceId`, then the COS extras, with
    /// `x-cos-request-id` and `x-cos-trace-id` headers. The SDKs need every one of the five.
    /// <https://intl.cloud.tencent.com/document/api/436/7730>
    pub fn into_cos_response(self, method: &Method, request_id: &str, resource: &str) -> Response<Body> {
        let trace_id = host_id(request_id);
        let mut resp = self.render(method, |e, name| {
            let mut w = XmlWriter::new();
            w.open("Error");
            w.elem("Code", name);
            w.elem("Message", if e.message.is_empty() { name } else { &e.message });
            w.elem("Resource", resource);
            w.elem("RequestId", request_id);
            w.elem("TraceId", &trace_id);
            for (k, v) in e.extras.iter().filter(|(k, _)| COS_EXTRAS.contains(k)) {
                w.elem(k, v);
            }
            if let (Some(cause), true) = (&e.cause, e.cause_in_body) {
                w.elem(CAUSE_ELEMENT, cause);
            }
            w.close("Error");
            w.finish()
        });
        let h = resp.headers_mut();
        for (name, value) in [("x-cos-request-id", request_id), ("x-cos-trace-id", trace_id.as_str())] {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(name, v);
            }
        }
        resp
    }

    /// The response with the status, the headers and, unless HEAD or 304, the `document`.
    fn render(self, method: &Method, document: impl FnOnce(&S3Error, &'static str) -> Bytes) -> Response<Body> {
        let (name, status) = self.code.name_and_status();
        if status.is_server_error() {
            tracing::error!(code = name, message = %self.message, source = ?self.source, "request failed");
        } else {
            tracing::debug!(code = name, message = %self.message, "request rejected");
        }
        let body = if *method == Method::HEAD || status == StatusCode::NOT_MODIFIED {
            Bytes::new()
        } else {
            document(&self, name)
        };
        let mut resp = Response::new(full(body.clone()));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        if !body.is_empty() {
            h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        }
        h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
        if let Some(cause) = &self.cause {
            // Header values are visible ASCII: anything else is percent-encoded.
            let ascii: String = cause
                .chars()
                .map(|c| if c.is_ascii_graphic() || c == ' ' { c.to_string() } else { percent_encode_char(c) })
                .collect();
            if let Ok(v) = HeaderValue::from_str(&ascii) {
                h.insert(CAUSE_HEADER, v);
            }
        }
        resp
    }
}

fn percent_encode_char(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf).bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The extra elements a COS error document carries: the strings a signature was computed over,
/// and the server's time for time errors.
const COS_EXTRAS: [&str; 3] = ["StringToSign", "FormatString", "ServerTime"];

/// The `x-amz-id-2` / `HostId` value derived from the request id.
pub fn host_id(request_id: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(request_id.as_bytes()))
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code_name(), self.message)
    }
}

impl std::error::Error for S3Error {}

impl From<rusqlite::Error> for S3Error {
    fn from(e: rusqlite::Error) -> Self {
        S3Error::internal(e)
    }
}

impl From<crate::xml::Malformed> for S3Error {
    fn from(_: crate::xml::Malformed) -> Self {
        S3Error::new(ErrorCode::MalformedXML)
    }
}

impl From<std::io::Error> for S3Error {
    fn from(e: std::io::Error) -> Self {
        S3Error::internal(e)
    }
}

/// Shorthand for results of request handling.
pub type S3Result<T> = Result<T, S3Error>;
