"""Block Public Access through boto3: bucket policy statements S3 calls public although a
condition seems to narrow them are refused by BlockPublicPolicy, stopped by RestrictPublicBuckets
when put before it, and reported by GetBucketPolicyStatus; statements S3 calls non-public are
accepted. S3 User Guide, "The meaning of "public"" (Block Public Access)."""

import json
import textwrap

import botocore.exceptions
import pytest

from conftest import Server

ACCOUNT = "123456789012"
OTHER = "444455556666"
CAROL = ("AKIACAROL00000000000", "carol-secret")

CONFIG = textwrap.dedent(
    """
    [[accounts]]
    id = "444455556666"

    [[users]]
    name = "carol"
    account = "444455556666"
    access_key = "AKIACAROL00000000000"
    secret_key = "carol-secret"
    policies = ['''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}''']
    """
)

ALL_FOUR = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

# The four statements the adversarial pass got through, with the reader each served.
SEEN = [
    ({"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}}, "anonymous"),
    ({"Null": {"aws:PrincipalAccount": "true"}}, "anonymous"),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, "anonymous"),
    ({"StringLike": {"aws:PrincipalArn": "*"}}, "carol"),
]

NON_PUBLIC = [
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}},
    {"StringEquals": {"aws:SourceAccount": OTHER}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
]


@pytest.fixture
def srv(tmp_path):
    path = tmp_path / "s3strict.toml"
    path.write_text(CONFIG)
    s = Server(tmp_path, "--config", str(path))
    yield s
    s.stop()


def policy(bucket, condition):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": condition,
                }
            ],
        }
    )


def blocked_message(bucket):
    return (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:PutBucketPolicy on resource: "
        f'"arn:aws:s3:::{bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.'
    )


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def is_public(s3, bucket):
    return s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"]


def test_block_public_policy_refuses_what_s3_calls_public(srv, record):
    s3 = srv.client()
    s3.create_bucket(Bucket="locked")
    for condition, _ in SEEN:
        assert error_of(lambda: s3.put_bucket_policy(Bucket="locked", Policy=policy("locked", condition))) == (
            403,
            "AccessDenied",
            blocked_message("locked"),
        ), condition
    for condition in NON_PUBLIC:
        s3.put_bucket_policy(Bucket="locked", Policy=policy("locked", condition))
        assert is_public(s3, "locked") is False, condition
    record("boto3", "PutBucketPolicy under BlockPublicPolicy", "public in S3's meaning refused, fixed values accepted")


def test_restrict_public_buckets_stops_public_policies_put_before_it(srv, record):
    s3 = srv.client()
    carol = srv.client(ak=CAROL[0], sk=CAROL[1])
    for i, (condition, reader) in enumerate(SEEN):
        bucket = f"open{i}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="private", Body=b"private")
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, condition))
        assert is_public(s3, bucket) is True, condition

        def read():
            if reader == "anonymous":
                return srv.request("GET", f"/{bucket}/private")
            return carol.get_object(Bucket=bucket, Key="private")

        # Open: the statement serves its reader, as on S3.
        if reader == "anonymous":
            r = read()
            assert (r.status, r.body) == (200, b"private"), condition
        else:
            assert read()["Body"].read() == b"private", condition
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_FOUR)
        if reader == "anonymous":
            read().assert_error(403, "AccessDenied", "Access Denied")
        else:
            assert error_of(read) == (403, "AccessDenied", "Access Denied"), condition
        assert s3.get_object(Bucket=bucket, Key="private")["Body"].read() == b"private"
    record("boto3", "RestrictPublicBuckets over a policy put before it", "anonymous and other-account reads 403")
