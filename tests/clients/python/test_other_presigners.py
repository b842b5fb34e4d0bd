"""Presigned URLs from other real presigners (see presigners.md): the AWS SDK for Ruby. The same
keys and failure modes as for botocore: S3 encodes keys one way, and so must every presigner."""

import os
import subprocess

import pytest

RUBY = os.path.join(os.path.dirname(__file__), "..", "ruby", "presign.rb")
KEYS = ["plain.txt", "dir/a b+c~é.txt", "//double//slash", "sym $&=:@,;", "日本/語"]
MISMATCH = "The request signature we calculated does not match the signature you provided. Check your key and signing method."


def ruby_url(server, op, key, expires=300):
    out = subprocess.run(
        ["ruby", RUBY, server.endpoint, op, "rubybkt", key, str(expires)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="rubybkt")


@pytest.mark.parametrize("key", KEYS)
def test_ruby_put_and_get(server, bucket, record, key):
    r = server.send_url(ruby_url(server, "put_object", key), "PUT", body=key.encode())
    assert r.status == 200, r.body
    r = server.send_url(ruby_url(server, "get_object", key))
    assert (r.status, r.body) == (200, key.encode())
    if key == KEYS[-1]:
        record("ruby-sdk", "Presigner put_object/get_object, awkward keys", f"{len(KEYS)} keys")


def test_ruby_failures(server, bucket):
    url = ruby_url(server, "get_object", "plain.txt", expires=60)
    server.send_url(url + "&x-id=GetObject").assert_error(403, "SignatureDoesNotMatch", MISMATCH)
    server.clock(offset_seconds=3600)
    server.send_url(url).assert_error(403, "AccessDenied", "Request has expired")
