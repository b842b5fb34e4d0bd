"""Browser form uploads (PostObject) with policies made by botocore's generate_presigned_post,
sent as multipart/form-data; every failure answered as S3 answers it, nothing stored on failure."""

import base64
import datetime
import hashlib
import hmac
import json
import uuid
import xml.etree.ElementTree as ET

import pytest

from conftest import AK, SK

MISMATCH = "The request signature we calculated does not match the signature you provided. Check your key and signing method."


def form(fields, data=b"file body", filename="photo.jpg", after=None):
    boundary = "----s3strict" + uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    if data is not None:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode() + data + b"\r\n"
    for k, v in (after or {}).items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def post(server, fields, **kw):
    body, headers = form(fields, **kw)
    return server.request("POST", "/forms", headers, body)


@pytest.fixture
def presign(s3):
    s3.create_bucket(Bucket="forms")

    def make(key="uploads/${filename}", fields=None, conditions=None, expires=300, client=None):
        p = (client or s3).generate_presigned_post(
            "forms", key, Fields=fields or {}, Conditions=conditions or [], ExpiresIn=expires
        )
        return p["fields"]

    return make


def stored_keys(s3):
    return [o["Key"] for o in s3.list_objects_v2(Bucket="forms").get("Contents", [])]


def test_upload_and_responses(server, s3, presign, record):
    fields = presign(
        fields={"Content-Type": "image/jpeg", "x-amz-meta-origin": "browser"},
        conditions=[["starts-with", "$key", "uploads/"], ["starts-with", "$Content-Type", "image/"], {"x-amz-meta-origin": "browser"}],
    )
    r = post(server, fields, data=b"jpeg bytes")
    assert r.status == 204, r.body
    assert r.headers["location"] == "/forms/uploads/photo.jpg"
    head = s3.head_object(Bucket="forms", Key="uploads/photo.jpg")
    assert head["ContentType"] == "image/jpeg" and head["Metadata"] == {"origin": "browser"}
    assert r.headers["etag"] == head["ETag"]
    # 201 with a PostResponse document.
    # Fields botocore prefills still need their own condition (S3 requires every field covered).
    fields = presign(key="doc.txt", fields={"success_action_status": "201"}, conditions=[{"success_action_status": "201"}])
    r = post(server, fields, data=b"created")
    assert r.status == 201, r.body
    root = ET.fromstring(r.body)
    assert [c.tag for c in root] == ["Location", "Bucket", "Key", "ETag"]
    assert root.find("Key").text == "doc.txt"
    # 303 to success_action_redirect with bucket, key and etag.
    fields = presign(
        key="redir.txt",
        fields={"success_action_redirect": "http://example.test/done"},
        conditions=[{"success_action_redirect": "http://example.test/done"}],
    )
    r = post(server, fields, data=b"redirected")
    assert r.status == 303
    assert r.headers["location"].startswith("http://example.test/done?bucket=forms&key=redir.txt&etag=%22")
    # Fields after the file are ignored.
    fields = presign(key="after.txt")
    assert post(server, fields, data=b"x", after={"x-amz-meta-late": "1"}).status == 204
    assert s3.head_object(Bucket="forms", Key="after.txt")["Metadata"] == {}
    record("botocore", "generate_presigned_post + form upload (204, 201, 303)", "")


@pytest.mark.server_args("--sigv2-buckets", "forms")
def test_sigv2_post(server, presign):
    v2 = server.client(signature_version="s3")
    fields = presign(key="v2.txt", client=v2)
    assert "signature" in fields and "AWSAccessKeyId" in fields
    assert post(server, fields, data=b"v2 form").status == 204


def test_form_errors(server, s3, presign):
    fields = presign(key="k.txt")
    r = server.request("POST", "/forms", {"Content-Type": "application/json"}, b"{}")
    elements = r.assert_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
    assert dict(elements)["Condition"] == "Bucket POST must be of the enclosure-type multipart/form-data"
    no_key = {k: v for k, v in fields.items() if k != "key"}
    elements = post(server, no_key).assert_error(
        400, "InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."
    )
    assert dict(elements)["ArgumentName"] == "key"
    no_sig = {k: v for k, v in fields.items() if k != "x-amz-signature"}
    elements = post(server, no_sig).assert_error(
        400,
        "InvalidArgument",
        "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields.",
    )
    assert dict(elements)["ArgumentName"] == "X-Amz-Signature"
    only_policy = {"key": "k.txt", "policy": fields["policy"]}
    post(server, only_policy).assert_error(403, "AccessDenied", "Access Denied")
    post(server, {"key": "k.txt"}).assert_error(403, "AccessDenied", "Access Denied")
    tampered = dict(fields, policy=fields["policy"][:-4] + "AAAA")
    elements = post(server, tampered).assert_error(403, "SignatureDoesNotMatch", MISMATCH)
    assert [n for n, _ in elements][2:6] == ["AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"]
    assert dict(elements)["StringToSign"] == tampered["policy"]
    r = post(server, fields, data=None)
    assert r.assert_error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    assert stored_keys(s3) == []


def test_policy_errors(server, s3, presign):
    fields = presign(key="p.txt", expires=60)
    server.clock(offset_seconds=120)
    post(server, fields).assert_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    server.clock(real=True)
    fields = presign(key="p.txt", fields={"Content-Type": "text/plain"}, conditions=[["starts-with", "$Content-Type", "image/"]])
    post(server, fields).assert_error(
        403, "AccessDenied", 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]'
    )
    fields = presign(key="p.txt")
    post(server, dict(fields, **{"x-amz-meta-extra": "1"})).assert_error(
        403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-extra"
    )
    post(server, dict(fields, key="other.txt")).assert_error(
        403, "AccessDenied", 'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "p.txt"]'
    )
    fields = presign(key="sized.bin", conditions=[["content-length-range", 5, 10]])
    elements = post(server, fields, data=b"x" * 12).assert_error(
        400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
    )
    assert dict(elements)["MaxSizeAllowed"] == "10"
    elements = post(server, fields, data=b"x").assert_error(
        400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
    )
    assert (dict(elements)["ProposedSize"], dict(elements)["MinSizeAllowed"]) == ("1", "5")
    assert post(server, fields, data=b"x" * 7).status == 204
    assert stored_keys(s3) == ["sized.bin"]


def signed_form(policy, key="doc.txt"):
    """A SigV4 form for a policy document written by hand (no SDK writes a malformed one)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    date, stamp = now.strftime("%Y%m%d"), now.strftime("%Y%m%dT%H%M%SZ")
    credential = f"{AK}/{date}/us-east-1/s3/aws4_request"
    doc = dict(policy)
    doc["conditions"] = policy["conditions"] + [
        {"bucket": "forms"}, {"key": key}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-credential": credential}, {"x-amz-date": stamp},
    ]
    b64 = base64.b64encode(json.dumps(doc).encode()).decode()
    k = ("AWS4" + SK).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, b64.encode(), hashlib.sha256).hexdigest()
    return {"key": key, "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": credential, "x-amz-date": stamp,
            "policy": b64, "x-amz-signature": signature}


def test_policy_document_errors(server, s3, presign):
    """What S3 refuses with 400 before looking at the upload: an expiration that is not an ISO 8601
    instant in UTC, content-length-range bounds that cannot be a range; and a SigV2 form without its
    signature. Nothing is stored."""
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    ok = signed_form({"expiration": later.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "conditions": []})
    assert post(server, ok).status == 204
    for expiration in [str(later), later.strftime("%Y-%m-%dT%H:%M:%S"), later.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                       later.strftime("%a, %d %b %Y %H:%M:%S GMT")]:
        fields = signed_form({"expiration": expiration, "conditions": []}, key="bad.txt")
        post(server, fields).assert_error(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid 'expiration' value: '{expiration}'")
    for lo, hi in ([-1, 0], [10, 5]):
        fields = presign(key="bad.txt", conditions=[["content-length-range", lo, hi]])
        text = f'["content-length-range", "{lo}", "{hi}"]'
        post(server, fields).assert_error(
            400, "InvalidPolicyDocument",
            f"Invalid Policy: Invalid content-length-range: the bounds must be 0 or more and the first no larger than the second: {text}",
        )
    v2 = presign(key="bad.txt", client=server.client(signature_version="s3"))
    elements = post(server, {k: v for k, v in v2.items() if k != "signature"}).assert_error(
        400, "InvalidArgument",
        "Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of the fields.",
    )
    assert dict(elements)["ArgumentName"] == "Signature"
    assert stored_keys(s3) == ["doc.txt"]


def test_anonymous_form(server, s3, presign):
    """A form with no policy and no signature is an anonymous upload: a missing bucket is told as
    such, a private bucket refuses it."""
    presign()
    r = server.request("POST", "/no-such-forms", *reversed(form({"key": "k"})))
    r.assert_error(404, "NoSuchBucket", "The specified bucket does not exist")
    post(server, {"key": "k"}).assert_error(403, "AccessDenied", "Access Denied")
    assert stored_keys(s3) == []


def test_form_acls_follow_object_ownership(server, s3, presign, record):
    # The new bucket has ACLs disabled: a public-read form is refused, bucket-owner-full-control kept.
    fields = presign(key="a.txt", fields={"acl": "public-read"}, conditions=[{"acl": "public-read"}])
    post(server, fields).assert_error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")
    fields = presign(key="b.txt", fields={"acl": "bucket-owner-full-control"}, conditions=[{"acl": "bucket-owner-full-control"}])
    assert post(server, fields).status == 204
    # With ACLs enabled and public access allowed, the form's public-read ACL is stored and honoured.
    s3.put_bucket_ownership_controls(Bucket="forms", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket="forms")
    fields = presign(key="c.txt", fields={"acl": "public-read"}, conditions=[{"acl": "public-read"}])
    assert post(server, fields, data=b"for everyone").status == 204
    grants = s3.get_object_acl(Bucket="forms", Key="c.txt")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") and g["Permission"] == "READ" for g in grants), grants
    r = server.request("GET", "/forms/c.txt")
    assert (r.status, r.body) == (200, b"for everyone")
    record("botocore", "generate_presigned_post with an acl field", "refused, then public-read honoured")
