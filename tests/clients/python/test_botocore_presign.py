"""Presigned URLs made by botocore's generate_presigned_url, sent raw, judged as S3 judges them.
One case per failure mode; time moves on the server clock, never by sleeping."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import AK, REGION

MISMATCH = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
NOT_SIGNED = "There were headers present in the request which were not signed"
KEYS = ["plain.txt", "dir/a b+c~é.txt", "//double//slash", "sym $&=:@,;", "日本/語"]


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="pre")
    s3.put_object(Bucket="pre", Key="obj", Body=b"presigned body")
    return "pre"


def url(s3, op, expires=300, **params):
    return s3.generate_presigned_url(op, Params={"Bucket": "pre", **params}, ExpiresIn=expires)


@pytest.mark.parametrize("key", KEYS)
def test_get_and_put_awkward_keys(server, s3, bucket, key):
    r = server.send_url(url(s3, "put_object", Key=key), "PUT", body=key.encode())
    assert r.status == 200, r.body
    r = server.send_url(url(s3, "get_object", Key=key))
    assert (r.status, r.body) == (200, key.encode())


def test_expired_on_the_server_clock(server, s3, bucket):
    u = url(s3, "get_object", expires=60, Key="obj")
    server.clock(offset_seconds=55)
    assert server.send_url(u).status == 200
    server.clock(offset_seconds=61 + 2)  # presigning may have happened up to 2 s before now
    elements = server.send_url(u).assert_error(403, "AccessDenied", "Request has expired")
    assert [n for n, _ in elements[2:5]] == ["X-Amz-Expires", "Expires", "ServerTime"]
    assert dict(elements)["X-Amz-Expires"] == "60"


def test_not_yet_valid(server, s3, bucket):
    u = url(s3, "get_object", Key="obj")
    server.clock(offset_seconds=-3600)
    elements = server.send_url(u).assert_error(403, "AccessDenied", "Request is not yet valid")
    assert [n for n, _ in elements[2:5]] == ["X-Amz-Date", "Expires", "ServerTime"]
    assert dict(elements)["X-Amz-Date"].isdigit()


def test_wrong_region(server, bucket):
    other = server.client(region="eu-west-1")
    u = other.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "obj"}, ExpiresIn=60)
    elements = server.send_url(u).assert_error(
        400,
        "AuthorizationQueryParametersError",
        "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
    )
    assert dict(elements)["Region"] == REGION


def test_unknown_key_and_wrong_secret(server, bucket):
    stranger = server.client(ak="AKIASTRANGER", sk="secret")
    u = stranger.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "obj"})
    elements = server.send_url(u).assert_error(
        403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
    )
    assert dict(elements)["AWSAccessKeyId"] == "AKIASTRANGER"
    wrong = server.client(sk="not-the-secret")
    u = wrong.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "obj"})
    elements = server.send_url(u).assert_error(403, "SignatureDoesNotMatch", MISMATCH)
    names = [n for n, _ in elements]
    assert names == [
        "Code", "Message", "AWSAccessKeyId", "StringToSign", "SignatureProvided",
        "StringToSignBytes", "CanonicalRequest", "CanonicalRequestBytes", "RequestId", "HostId", "S3strictCause",
    ]
    d = dict(elements)
    assert d["S3strictCause"].startswith("no known presigner mistake explains the mismatch")
    assert d["AWSAccessKeyId"] == AK
    assert d["CanonicalRequest"].startswith("GET\n/pre/obj\nX-Amz-Algorithm=AWS4-HMAC-SHA256&")
    assert d["StringToSignBytes"].startswith("41 57 53 34 2d")
    # The auth log has the same canonical request.
    entry = server.auth_log(1)[0]
    assert entry["error_code"] == "SignatureDoesNotMatch"
    assert entry["canonical_request"] == d["CanonicalRequest"]


def test_parameters_added_after_signing(server, s3, bucket):
    u = url(s3, "get_object", Key="obj")
    for extra in ["&x-id=GetObject", "&utm_source=mail", "&response-content-type=text%2Fhtml"]:
        server.send_url(u + extra).assert_error(403, "SignatureDoesNotMatch", MISMATCH)


def test_signed_in_overrides_apply(server, s3, bucket):
    u = url(s3, "get_object", Key="obj", ResponseContentType="text/html", ResponseCacheControl="no-store")
    r = server.send_url(u)
    assert r.status == 200
    assert r.headers["content-type"] == "text/html"
    assert r.headers["cache-control"] == "no-store"


def test_unsigned_headers(server, s3, bucket):
    u = url(s3, "get_object", Key="obj")
    elements = server.send_url(u, headers={"x-amz-meta-extra": "1", "x-amz-acl": "private"}).assert_error(
        403, "AccessDenied", NOT_SIGNED
    )
    assert dict(elements)["HeadersNotSigned"] == "x-amz-acl, x-amz-meta-extra"
    # Ordinary headers outside the signature are ignored.
    assert server.send_url(u, headers={"Range": "bytes=0-3", "Content-Type": "x/y"}).status == 206


def test_signed_metadata_and_content_type_must_be_sent(server, s3, bucket):
    u = url(s3, "put_object", Key="meta", Metadata={"colour": "blue"}, ContentType="text/plain")
    server.send_url(u, "PUT", body=b"x").assert_error(403, "SignatureDoesNotMatch", MISMATCH)
    server.send_url(u, "PUT", {"x-amz-meta-colour": "red", "Content-Type": "text/plain"}, b"x").assert_error(
        403, "SignatureDoesNotMatch", MISMATCH
    )
    r = server.send_url(u, "PUT", {"x-amz-meta-colour": "blue", "Content-Type": "text/plain"}, b"x")
    assert r.status == 200, r.body
    head = s3.head_object(Bucket="pre", Key="meta")
    assert head["Metadata"] == {"colour": "blue"}
    assert head["ContentType"] == "text/plain"


def test_expires_longer_than_a_week(server, s3, bucket):
    # botocore does not refuse it; S3 does (aws-cli#5464).
    u = url(s3, "get_object", expires=604801, Key="obj")
    server.send_url(u).assert_error(
        400,
        "AuthorizationQueryParametersError",
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    )
    assert server.send_url(url(s3, "get_object", expires=604800, Key="obj")).status == 200


def test_host_must_match(server, s3, bucket):
    u = url(s3, "get_object", Key="obj")
    server.send_url(u, headers={"Host": "127.0.0.1"}).assert_error(403, "SignatureDoesNotMatch", MISMATCH)
    server.send_url(u, headers={"Host": f"localhost:{server.port}"}).assert_error(403, "SignatureDoesNotMatch", MISMATCH)


def test_header_auth_and_query_auth_together(server, s3, bucket):
    u = url(s3, "get_object", Key="obj")
    elements = server.send_url(u, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"}).assert_error(
        400,
        "InvalidArgument",
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
    )
    assert dict(elements)["ArgumentName"] == "Authorization"


def test_double_encoded_credential(server, s3, bucket):
    u = url(s3, "get_object", Key="obj").replace("%2F", "%252F")
    server.send_url(u).assert_error(
        400,
        "AuthorizationQueryParametersError",
        'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    )


@pytest.mark.server_args("--sigv2-buckets", "pre")
def test_sigv2_presign_default_in_us_east_1(server, bucket):
    """botocore's default presigner in us-east-1 is SigV2 (AWSAccessKeyId, Expires, Signature)."""
    v2 = server.client(signature_version="s3")
    u = v2.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "obj"}, ExpiresIn=60)
    assert "Signature=" in u and "X-Amz-" not in u
    r = server.send_url(u)
    assert (r.status, r.body) == (200, b"presigned body")
    # Metadata moved into the query by botocore's SigV2 presigner is signed and stored.
    u = v2.generate_presigned_url("put_object", Params={"Bucket": "pre", "Key": "v2", "Metadata": {"k": "v"}}, ExpiresIn=60)
    assert server.send_url(u, "PUT", body=b"v2 put").status == 200
    assert server.client().head_object(Bucket="pre", Key="v2")["Metadata"] == {"k": "v"}
    elements = server.send_url(u.replace("Signature=", "Signature=A")).assert_error(403, "SignatureDoesNotMatch", MISMATCH)
    assert [n for n, _ in elements][2:6] == ["AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"]
    server.clock(offset_seconds=120)
    elements = server.send_url(u, "PUT", body=b"late").assert_error(403, "AccessDenied", "Request has expired")
    assert [n for n, _ in elements][2:4] == ["Expires", "ServerTime"]


def test_sigv2_refused_on_new_buckets(server, bucket):
    """A bucket S3 created after 24 June 2020 refuses SigV2: botocore's default us-east-1 presign
    and its SigV2 header signing both get S3's 400 InvalidRequest."""
    v2 = server.client(signature_version="s3")
    u = v2.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "obj"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in u
    server.send_url(u).assert_error(
        400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    )
    with pytest.raises(ClientError) as e:
        v2.get_object(Bucket="pre", Key="obj")
    assert e.value.response["Error"]["Code"] == "InvalidRequest"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Bucket-level calls too, once the SigV2 resource /pre/ matches.
    with pytest.raises(ClientError) as e:
        v2.list_objects(Bucket="pre")
    assert e.value.response["Error"]["Code"] == "InvalidRequest"


@pytest.mark.server_args("--sigv2-buckets", "pre,v2made")
def test_sigv2_bucket_level_calls(server, bucket):
    """botocore signs a path-style bucket as /bucket/; S3 accepts its bucket-level SigV2 calls."""
    v2 = server.client(signature_version="s3")
    v2.create_bucket(Bucket="v2made")
    v2.head_bucket(Bucket="v2made")
    assert v2.get_bucket_location(Bucket="v2made")["LocationConstraint"] is None
    assert [o["Key"] for o in v2.list_objects(Bucket="pre")["Contents"]] == ["obj"]
    assert v2.list_objects_v2(Bucket="pre")["KeyCount"] == 1


@pytest.mark.server_args("--sigv2-buckets", "pre")
def test_sigv2_header_auth(server, bucket):
    v2 = server.client(signature_version="s3")
    v2.put_object(Bucket="pre", Key="hdr-v2", Body=b"signed with SigV2", ContentType="text/plain")
    got = v2.get_object(Bucket="pre", Key="hdr-v2")
    assert got["Body"].read() == b"signed with SigV2"
    assert got["ContentType"] == "text/plain"


def test_session_token_shorter_than_url(server, bucket):
    """Gotcha 12: a presigned URL stops working when its session expires (ExpiredToken)."""
    creds = json.loads(server.request("POST", "/_s3strict/sessions", {"Content-Type": "application/json"}, b'{"duration_seconds": 60}').body)
    temp = server.client(ak=creds["access_key_id"], sk=creds["secret_access_key"], token=creds["session_token"])
    u = temp.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "obj"}, ExpiresIn=3600)
    assert "X-Amz-Security-Token=" in u
    assert server.send_url(u).status == 200
    server.clock(offset_seconds=120)
    server.send_url(u).assert_error(400, "ExpiredToken", "The provided token has expired.")
