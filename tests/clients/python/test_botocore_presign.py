"""Presigned URLs made by botocore's generate_presigned_url, sent raw, judged as S3 judges them.
One case per failure mode; time moves on the server clock, never by sleeping."""

import hashlib
import json
import textwrap
import urllib.parse

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import AK, REGION, SK, Server

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


def signed_headers(u):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(u).query)["X-Amz-SignedHeaders"][0].split(";")


def test_signed_payload_hash_binds_the_body(server, s3, bucket):
    """A hash set as the x-amz-content-sha256 header before presigning: botocore signs the header
    and its value as the payload hash, as S3 reads a presigned URL; a body that does not hash to it
    is S3's XAmzContentSHA256Mismatch, as for header auth, and nothing is stored."""
    good = hashlib.sha256(b"good").hexdigest()

    def add_hash(request, **kwargs):
        request.headers["X-Amz-Content-SHA256"] = good

    s3.meta.events.register("before-sign.s3.PutObject", add_hash)
    u = url(s3, "put_object", Key="hashed")
    assert "x-amz-content-sha256" in signed_headers(u)
    sent = {"x-amz-content-sha256": good}
    elements = server.send_url(u, "PUT", sent, b"EVIL BODY").assert_error(
        400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."
    )
    assert [n for n, _ in elements][2:4] == ["ClientComputedContentSHA256", "S3ComputedContentSHA256"]
    assert dict(elements)["ClientComputedContentSHA256"] == good
    assert dict(elements)["S3ComputedContentSHA256"] == hashlib.sha256(b"EVIL BODY").hexdigest()
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket="pre", Key="hashed")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    r = server.send_url(u, "PUT", sent, b"good")
    assert r.status == 200, r.body
    assert s3.get_object(Bucket="pre", Key="hashed")["Body"].read() == b"good"


COPIER = ("AKIACOPIER0000000000", "copier-secret")
COPIER_CONFIG = textwrap.dedent(
    """
    [[users]]
    name = "copier"
    access_key = "AKIACOPIER0000000000"
    secret_key = "copier-secret"
    policies = ['''{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::dst/*",
         "Condition": {"StringLike": {"s3:x-amz-copy-source": "src/public/*"}}},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::src/public/*"}]}''']
    """
)


def test_copy_source_is_a_header(tmp_path):
    """botocore's presigned copy_object signs x-amz-copy-source as a header, which the client must
    send, and then copies. Moved into the query (as the PHP and JS v3 presigners do), S3 reads no
    copy source: the URL is a PutObject of its body (aws-sdk-php#1275), judged without one, so a
    user allowed to write only copies of public sources cannot store a body of their own."""
    config = tmp_path / "s3strict.toml"
    config.write_text(COPIER_CONFIG)
    srv = Server(tmp_path, "--config", str(config))
    try:
        root = srv.client()
        for b in ("src", "dst"):
            root.create_bucket(Bucket=b)
        root.put_object(Bucket="src", Key="public/a", Body=b"public")
        copier = srv.client(ak=COPIER[0], sk=COPIER[1])
        u = copier.generate_presigned_url(
            "copy_object", Params={"Bucket": "dst", "Key": "c", "CopySource": "src/public/a"}, ExpiresIn=300
        )
        assert "x-amz-copy-source" not in urllib.parse.parse_qs(urllib.parse.urlsplit(u).query)
        assert "x-amz-copy-source" in signed_headers(u)
        srv.send_url(u, "PUT").assert_error(403, "SignatureDoesNotMatch", MISMATCH)
        r = srv.send_url(u, "PUT", {"x-amz-copy-source": "src/public/a"})
        assert r.status == 200 and b"<CopyObjectResult" in r.body, r.body
        assert root.get_object(Bucket="dst", Key="c")["Body"].read() == b"public"

        def in_query(creds, key):
            req = AWSRequest(method="PUT", url=f"{srv.endpoint}/dst/{key}?x-amz-copy-source=src%2Fpublic%2Fa")
            S3SigV4QueryAuth(Credentials(*creds), "s3", REGION, expires=300).add_auth(req)
            return req.url

        srv.send_url(in_query(COPIER, "y"), "PUT", body=b"ARBITRARY BODY").assert_error(
            403,
            "AccessDenied",
            'User: arn:aws:iam::123456789012:user/copier is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::dst/y" because no identity-based policy allows the s3:PutObject action',
        )
        r = srv.send_url(in_query((AK, SK), "y"), "PUT", body=b"put body")
        assert (r.status, r.body) == (200, b""), r.body
        assert root.get_object(Bucket="dst", Key="y")["Body"].read() == b"put body"
    finally:
        srv.stop()
