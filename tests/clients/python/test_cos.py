"""Tencent COS: the official Python SDK (cos-python-sdk-v5) against s3strict started with
`--domain cos.local`. Ordinary requests sign in the Authorization header; presigned URLs are sent
with a plain HTTP client. The SDK addresses buckets host-style only: it connects to 127.0.0.1 and
sends `Host: BUCKET.cos.local:PORT` itself (its `IP` option); presigned URLs are sent the same way."""

import urllib.parse

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from conftest import AK, SK, Server

BUCKET = "media-1250000000"
KEYS = ["plain.txt", "dir/a b+c~é.txt", "a//b", "tilde~plus+space here", "日本/語.txt"]
MISMATCH = "The Signature you specified is invalid."


@pytest.fixture
def cos_server(tmp_path):
    s = Server(tmp_path, "--domain", "cos.local")
    s.client().create_bucket(Bucket=BUCKET)
    yield s
    s.stop()


def sdk(server, secret_key=SK):
    """The SDK for ordinary requests: connects to 127.0.0.1, addresses BUCKET.cos.local:PORT."""
    config = CosConfig(IP="127.0.0.1", Port=server.port, Endpoint=f"cos.local:{server.port}", Scheme="http",
                       SecretId=AK, SecretKey=secret_key, Region="ap-guangzhou")
    return CosS3Client(config, retry=0)


def presigner(server):
    config = CosConfig(Endpoint=f"cos.local:{server.port}", Scheme="http", SecretId=AK, SecretKey=SK,
                       Region="ap-guangzhou")
    return CosS3Client(config, retry=0)


def send(server, url, method="GET", headers=None, body=b""):
    """Sends a presigned URL to the server with the URL's own host as Host."""
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    headers["Host"] = parts.netloc
    return server.send_url(url, method, headers, body)


def cos_error(r, status, code, message=None):
    assert r.status == status, (r.status, r.body)
    d = dict(r.error())
    for name in ("Code", "Message", "Resource", "RequestId", "TraceId"):
        assert d.get(name), (name, r.body)
    assert d["Code"] == code, r.body
    if message is not None:
        assert d["Message"] == message, r.body
    assert r.headers["x-cos-request-id"] == d["RequestId"]
    return d


@pytest.mark.parametrize("key", KEYS)
def test_header_auth_round_trip(cos_server, record, key):
    c = sdk(cos_server)
    body = f"body of {key}".encode()
    c.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="text/plain", Metadata={"x-cos-meta-author": "A B"})
    head = {k.lower(): v for k, v in c.head_object(Bucket=BUCKET, Key=key).items()}
    assert (head["x-cos-meta-author"], head["content-type"]) == ("A B", "text/plain")
    got = c.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == body
    # The same object through the S3 API.
    assert cos_server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read() == body
    c.delete_object(Bucket=BUCKET, Key=key)
    with pytest.raises(CosServiceError) as e:
        c.head_object(Bucket=BUCKET, Key=key)
    assert e.value.get_status_code() == 404
    if key == KEYS[-1]:
        record("cos-python-sdk-v5", "put/head/get/delete (Authorization header)", f"{len(KEYS)} keys")


def test_sdk_reads_cos_errors(cos_server):
    with pytest.raises(CosServiceError) as e:
        sdk(cos_server, secret_key="not-the-key").put_object(Bucket=BUCKET, Key="k", Body=b"x")
    assert (e.value.get_status_code(), e.value.get_error_code()) == (403, "SignatureDoesNotMatch")
    assert e.value.get_error_msg() == MISMATCH
    assert e.value.get_request_id()
    with pytest.raises(CosServiceError) as e:
        sdk(cos_server).get_object(Bucket=BUCKET, Key="missing")
    assert (e.value.get_status_code(), e.value.get_error_code()) == (404, "NoSuchKey")


@pytest.mark.parametrize("key", KEYS)
def test_presigned_put_and_get(cos_server, record, key):
    p = presigner(cos_server)
    url = p.get_presigned_url(Bucket=BUCKET, Key=key, Method="PUT", Expired=60)
    r = send(cos_server, url, "PUT", body=key.encode())
    assert r.status == 200, r.body
    url = p.get_presigned_url(Bucket=BUCKET, Key=key, Method="GET", Expired=60)
    r = send(cos_server, url)
    assert (r.status, r.body) == (200, key.encode())
    if key == KEYS[-1]:
        record("cos-python-sdk-v5", "get_presigned_url PUT/GET", f"{len(KEYS)} keys")


def test_presigned_failures(cos_server):
    p = presigner(cos_server)
    sdk(cos_server).put_object(Bucket=BUCKET, Key="k", Body=b"v")
    url = p.get_presigned_url(Bucket=BUCKET, Key="k", Method="GET", Expired=60)
    assert send(cos_server, url).status == 200
    # Tampered signature; another key; a signed header sent with another value.
    d = cos_error(send(cos_server, url.replace("q-signature=", "q-signature=0")), 403, "SignatureDoesNotMatch", MISMATCH)
    assert d["FormatString"].startswith("get\n/k\n")
    cos_error(send(cos_server, url.replace("/k?", "/j?")), 403, "SignatureDoesNotMatch", MISMATCH)
    typed = p.get_presigned_url(Bucket=BUCKET, Key="up", Method="PUT", Expired=60,
                                Headers={"Content-Type": "text/plain"})
    assert send(cos_server, typed, "PUT", {"Content-Type": "text/plain"}, b"x").status == 200
    cos_error(send(cos_server, typed, "PUT", {"Content-Type": "image/png"}, b"x"), 403, "SignatureDoesNotMatch")
    # Response parameters are signed: changing one fails, as does leaving it out.
    params = {"response-content-type": "application/json"}
    signed = p.get_presigned_url(Bucket=BUCKET, Key="k", Method="GET", Expired=60, Params=params)
    r = send(cos_server, signed)
    assert (r.status, r.headers["content-type"]) == (200, "application/json")
    cos_error(send(cos_server, signed.replace("application%2Fjson", "text%2Fhtml")), 403, "SignatureDoesNotMatch")
    # Expired through the server's clock.
    cos_server.clock(offset_seconds=120)
    d = cos_error(send(cos_server, url), 403, "AccessDenied", "Request has expired")
    assert d["ServerTime"]
    # A URL from an SDK whose clock runs ahead is not yet valid.
    cos_server.clock(offset_seconds=-600)
    cos_error(send(cos_server, url), 403, "RequestTimeTooSkewed",
              "The difference between the request time and the server's time is too large.")
    entry = cos_server.auth_log(1)[0]
    assert (entry["mechanism"], entry["access_key"]) == ("cos-query", AK)


def test_response_overrides_read_as_signed(cos_server):
    """The SDK writes presigned values form-encoded ('+' for a space) and signs them decoded: the
    server reads them the same way, so the header is the one that was signed."""
    sdk(cos_server).put_object(Bucket=BUCKET, Key="k", Body=b"v")
    disposition = 'attachment; filename="a b+c.txt"'
    url = presigner(cos_server).get_presigned_url(Bucket=BUCKET, Key="k", Method="GET", Expired=60,
                                                  Params={"response-content-disposition": disposition})
    assert "+filename" in url, url
    r = send(cos_server, url)
    assert (r.status, r.headers["content-disposition"]) == (200, disposition), r.body


def test_unsigned_parts_are_refused(cos_server):
    """The SDK signs only x-cos-* and a few standard headers, and every parameter it is given: an
    x-amz-* header passed through it, or a parameter added to its URL, is not signed, and the server
    refuses to act on it (AccessDenied, this server's words: COS documents none)."""
    c = sdk(cos_server)
    with pytest.raises(CosServiceError) as e:
        c.put_object(Bucket=BUCKET, Key="k", Body=b"v", Metadata={"x-amz-tagging": "a=b"})
    assert (e.value.get_status_code(), e.value.get_error_code()) == (403, "AccessDenied")
    assert e.value.get_error_msg() == "There were headers present in the request which were not signed: x-amz-tagging"
    c.put_object(Bucket=BUCKET, Key="k", Body=b"v", Metadata={"x-cos-meta-author": "A B"})
    url = presigner(cos_server).get_presigned_url(Bucket=BUCKET, Key="k", Method="GET", Expired=60)
    assert send(cos_server, url).status == 200
    assert send(cos_server, url + "&foo=bar").status == 200
    for extra, name in [("acl", "acl"), ("response-content-type=text%2Fhtml", "response-content-type")]:
        cos_error(send(cos_server, f"{url}&{extra}"), 403, "AccessDenied",
                  f"There were query parameters present in the request which were not signed: {name}")


def test_temporary_credentials(cos_server):
    import json
    r = cos_server.request("POST", "/_s3strict/sessions", {"Content-Type": "application/json"},
                           json.dumps({"duration_seconds": 900}).encode())
    creds = json.loads(r.body)
    config = CosConfig(IP="127.0.0.1", Port=cos_server.port, Endpoint=f"cos.local:{cos_server.port}", Scheme="http",
                       SecretId=creds["access_key_id"], SecretKey=creds["secret_access_key"],
                       Token=creds["session_token"], Region="ap-guangzhou")
    c = CosS3Client(config, retry=0)
    c.put_object(Bucket=BUCKET, Key="temp", Body=b"t")
    assert c.get_object(Bucket=BUCKET, Key="temp")["Body"].get_raw_stream().read() == b"t"
    # The SDK leaves the token out of presigned URLs; COS's documentation has the caller append it.
    signer = CosS3Client(CosConfig(Endpoint=f"cos.local:{cos_server.port}", Scheme="http",
                                   SecretId=creds["access_key_id"], SecretKey=creds["secret_access_key"],
                                   Token=creds["session_token"], Region="ap-guangzhou"))
    url = signer.get_presigned_url(Bucket=BUCKET, Key="temp", Method="GET", Expired=3600)
    token = urllib.parse.quote(creds["session_token"], safe="")
    assert send(cos_server, f"{url}&x-cos-security-token={token}").status == 200
    cos_error(send(cos_server, url), 403, "InvalidAccessKeyId")
    cos_server.clock(offset_seconds=1000)
    cos_error(send(cos_server, f"{url}&x-cos-security-token={token}"), 400, "ExpiredToken", "The provided token has expired.")
    with pytest.raises(CosServiceError) as e:
        c.get_object(Bucket=BUCKET, Key="temp")
    assert (e.value.get_status_code(), e.value.get_error_code()) == (400, "ExpiredToken")


# --- the COS Go and Java SDKs, through their drivers (tests/clients/go, tests/clients/java) -----

@pytest.fixture(scope="module")
def cos_drivers():
    from conftest import Driver, build_go, build_java, built

    go = Driver([built("S3STRICT_GO_PRESIGN", build_go)])
    java = Driver(["java", "-cp", built("S3STRICT_JAVA_CP", build_java), "Presign"])
    yield {"cos-go": go, "cos-java": java}
    go.close()
    java.close()


@pytest.fixture
def cos_call(cos_server, cos_drivers):
    def call(sdk, op, key, secret_key=SK, **extra):
        host = f"{BUCKET}.cos.local:{cos_server.port}"
        r = {"sdk": sdk, "op": op, "connect": f"127.0.0.1:{cos_server.port}", "host": host, "bucket": BUCKET,
             "key": key, "secret_id": AK, "secret_key": secret_key, "expires": 60, **extra}
        answer = cos_drivers[sdk](r)
        assert "error" not in answer, answer["error"]
        return answer

    return call


@pytest.mark.parametrize("sdk", ["cos-go", "cos-java"])
def test_other_cos_sdks_header_auth(cos_server, cos_call, record, sdk):
    for key in KEYS:
        body = f"{sdk} body of {key}"
        a = cos_call(sdk, "put", key, body=body, content_type="text/plain", meta={"author": "A B"})
        assert a["status"] == 200, (key, a)
        a = cos_call(sdk, "head", key)
        assert (a["status"], a["headers"]["x-cos-meta-author"], a["headers"]["content-type"]) == (200, "A B", "text/plain"), a
        a = cos_call(sdk, "get", key)
        assert (a["status"], a["body"]) == (200, body), (key, a)
        assert cos_server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read() == body.encode()
        assert cos_call(sdk, "delete", key)["status"] == 204
        a = cos_call(sdk, "get", key)
        assert (a["status"], a["code"]) == (404, "NoSuchKey"), a
    a = cos_call(sdk, "put", "k", secret_key="not-the-key", body="x")
    assert (a["status"], a["code"], a["message"]) == (403, "SignatureDoesNotMatch", MISMATCH), a
    assert a["request_id"]
    record(sdk, "put/head/get/delete (Authorization header), errors", f"{len(KEYS)} keys")


@pytest.mark.parametrize("sdk", ["cos-go", "cos-java"])
def test_other_cos_sdks_presigned(cos_server, cos_call, record, sdk):
    for key in KEYS:
        url = cos_call(sdk, "presign-put", key)["url"]
        r = send(cos_server, url, "PUT", body=key.encode())
        assert r.status == 200, (key, url, r.body)
        url = cos_call(sdk, "presign-get", key)["url"]
        r = send(cos_server, url)
        assert (r.status, r.body) == (200, key.encode()), (key, url, r.body)
    url = cos_call(sdk, "presign-get", "plain.txt")["url"]
    cos_error(send(cos_server, url.replace("q-signature=", "q-signature=0")), 403, "SignatureDoesNotMatch", MISMATCH)
    # The signed Host changed: the same URL sent for another bucket.
    other = url.replace(f"{BUCKET}.cos.local", "other-1250000000.cos.local")
    r = cos_server.send_url(url, "GET", {"Host": urllib.parse.urlsplit(other).netloc})
    cos_error(r, 403, "SignatureDoesNotMatch", MISMATCH)
    cos_server.clock(offset_seconds=120)
    try:
        cos_error(send(cos_server, url), 403, "AccessDenied", "Request has expired")
    finally:
        cos_server.clock(real=True)
    record(sdk, "presigned PUT/GET, tampered, other host, expired", f"{len(KEYS)} keys")
