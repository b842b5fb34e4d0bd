"""boto3/botocore with their defaults (flexible checksums on, as since boto3 1.36) and with
request_checksum_calculation=when_required: every round trip compares bytes and ETag."""

import hashlib
import io
import os

import boto3.s3.transfer
import pytest

MIB = 1024 * 1024


def md5(data):
    return hashlib.md5(data).hexdigest()


def multipart_etag(data, part_size):
    digests = b"".join(hashlib.md5(data[i : i + part_size]).digest() for i in range(0, len(data), part_size))
    return f'"{hashlib.md5(digests).hexdigest()}-{(len(data) + part_size - 1) // part_size}"'


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="interop")
    return "interop"


@pytest.mark.parametrize("calc", ["when_supported", "when_required"])
def test_put_get_bytes_and_file_objects(server, bucket, record, calc):
    s3 = server.client(request_checksum_calculation=calc, response_checksum_validation=calc)
    data = os.urandom(300_000)
    put = s3.put_object(Bucket=bucket, Key="bytes", Body=data)
    assert put["ETag"] == f'"{md5(data)}"'
    put = s3.put_object(Bucket=bucket, Key="fileobj", Body=io.BytesIO(data))
    assert put["ETag"] == f'"{md5(data)}"'
    for key in ["bytes", "fileobj"]:
        got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        assert got["Body"].read() == data
        assert got["ETag"] == f'"{md5(data)}"'
    record("boto3", f"put_object bytes + file object ({calc})", "300 KB")
    record("boto3", f"get_object ChecksumMode=ENABLED ({calc})", "checksum validated by botocore")


@pytest.mark.parametrize("calc", ["when_supported", "when_required"])
def test_upload_and_download_file(server, bucket, record, tmp_path, calc):
    s3 = server.client(request_checksum_calculation=calc, response_checksum_validation=calc)
    small = os.urandom(10_000)
    big = os.urandom(20 * MIB)
    (tmp_path / "small").write_bytes(small)
    (tmp_path / "big").write_bytes(big)
    s3.upload_file(str(tmp_path / "small"), bucket, "small")
    s3.upload_file(str(tmp_path / "big"), bucket, "big")
    assert s3.head_object(Bucket=bucket, Key="small")["ETag"] == f'"{md5(small)}"'
    head = s3.head_object(Bucket=bucket, Key="big")
    # s3transfer's default part size is 8 MiB.
    assert head["ETag"] == multipart_etag(big, 8 * MIB)
    assert head["ContentLength"] == len(big)
    s3.download_file(bucket, "big", str(tmp_path / "big.down"))
    s3.download_file(bucket, "small", str(tmp_path / "small.down"))
    assert (tmp_path / "big.down").read_bytes() == big
    assert (tmp_path / "small.down").read_bytes() == small
    record("boto3", f"upload_file 10 KB + 20 MiB multipart ({calc})", head["ETag"])
    record("boto3", f"download_file ({calc})", "")


def test_multipart_with_explicit_checksum(server, bucket, record):
    s3 = server.client()
    data = os.urandom(12 * MIB)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "sha", ExtraArgs={"ChecksumAlgorithm": "SHA256"}, Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    assert head["ETag"] == multipart_etag(data, 5 * MIB)
    assert head["ChecksumSHA256"].endswith("-3")
    got = s3.get_object(Bucket=bucket, Key="sha")["Body"].read()
    assert got == data
    record("boto3", "upload_fileobj 12 MiB, SHA256 composite", head["ChecksumSHA256"])


def test_listing_copy_delete(server, bucket, record):
    s3 = server.client()
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"dir/{i}", Body=b"x")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="dir/", PaginationConfig={"PageSize": 2})
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert keys == [f"dir/{i}" for i in range(5)]
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "dir/0"})
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys + ["copy"]]})
    assert len(out["Deleted"]) == 6
    record("boto3", "list_objects_v2 paginator, copy_object, delete_objects", "")
