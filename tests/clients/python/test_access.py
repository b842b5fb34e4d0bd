"""Who may do what, through boto3, botocore's presigners, boto3's own STS client and the AWS CLI:
least-privilege users from a config file, presigned URLs (SigV4 and SigV2) that carry their
creator's permissions, a bucket policy on s3:signatureversion, AssumeRole with a session policy,
presigned STS URLs that do only what was signed."""

import json
import os
import subprocess
import textwrap
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import AK, REGION, SK, Server

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/uploader"
ALICE = ("AKIAALICE00000000000", "alice-secret")
BOB = ("AKIABOB0000000000000", "bob-secret")

CONFIG = textwrap.dedent(
    """
    # The SigV2 cases need a bucket S3 created before 24 June 2020.
    sigv2_buckets = ["data"]

    [[users]]
    name = "alice"
    access_key = "AKIAALICE00000000000"
    secret_key = "alice-secret"
    policies = ['''{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/uploader"}]}''']

    [[users]]
    name = "bob"
    access_key = "AKIABOB0000000000000"
    secret_key = "bob-secret"

    [[roles]]
    name = "uploader"
    trust_policy = '''{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}'''
    policies = ['''{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"}]}''']
    """
)


@pytest.fixture
def srv(tmp_path):
    path = tmp_path / "s3strict.toml"
    path.write_text(CONFIG)
    s = Server(tmp_path, "--config", str(path))
    root = s.client()
    root.create_bucket(Bucket="data")
    root.put_object(Bucket="data", Key="k", Body=b"hello")
    yield s
    s.stop()


def denied(user, action, resource, why):
    return f'User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: {action} on resource: "{resource}" {why}'


def no_identity_allows(action):
    return f"because no identity-based policy allows the {action} action"


def test_presigned_urls_carry_their_creators_permissions(srv, record):
    for version in ("s3v4", "s3"):
        alice = srv.client(ak=ALICE[0], sk=ALICE[1], signature_version=version)
        url = alice.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "k"}, ExpiresIn=300)
        r = srv.send_url(url)
        assert (r.status, r.body) == (200, b"hello")
        bob = srv.client(ak=BOB[0], sk=BOB[1], signature_version=version)
        url = bob.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "k"}, ExpiresIn=300)
        srv.send_url(url).assert_error(
            403, "AccessDenied", denied("bob", "s3:GetObject", "arn:aws:s3:::data/k", no_identity_allows("s3:GetObject"))
        )
        url = alice.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": "new"}, ExpiresIn=300)
        srv.send_url(url, "PUT", body=b"x").assert_error(
            403, "AccessDenied", denied("alice", "s3:PutObject", "arn:aws:s3:::data/new", no_identity_allows("s3:PutObject"))
        )
        record("botocore", f"presigned GET/PUT by least-privilege keys ({version})", "403 names the missing action")


def test_a_bucket_policy_can_refuse_sigv2(srv, record):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SigV4Only",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::data/*",
                "Condition": {"StringNotEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}},
            }
        ],
    }
    srv.client().put_bucket_policy(Bucket="data", Policy=json.dumps(policy))
    v2 = srv.client(ak=ALICE[0], sk=ALICE[1], signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "k"}, ExpiresIn=300)
    srv.send_url(url).assert_error(
        403, "AccessDenied", denied("alice", "s3:GetObject", "arn:aws:s3:::data/k", "with an explicit deny in a resource-based policy")
    )
    v4 = srv.client(ak=ALICE[0], sk=ALICE[1])
    url = v4.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "k"}, ExpiresIn=300)
    assert srv.send_url(url).status == 200
    assert json.loads(srv.client().get_bucket_policy(Bucket="data")["Policy"]) == policy
    log = srv.auth_log(5)
    assert any("SigV4Only" in (e.get("decided_by") or "") for e in log), log
    record("boto3", "put_bucket_policy on s3:signatureversion", "SigV2 URL refused, SigV4 allowed")


def test_boto3_sts_assume_role_with_a_session_policy(srv, record):
    sts = boto3.client(
        "sts",
        endpoint_url=srv.endpoint,
        region_name=REGION,
        aws_access_key_id=ALICE[0],
        aws_secret_access_key=ALICE[1],
    )
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    only_uploads = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/uploads/*"}],
    }
    out = sts.assume_role(RoleArn=ROLE, RoleSessionName="ci", Policy=json.dumps(only_uploads), DurationSeconds=900)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/uploader/ci"
    c = out["Credentials"]
    role = srv.client(ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["SessionToken"])
    url = role.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": "uploads/a"}, ExpiresIn=3600)
    assert srv.send_url(url, "PUT", body=b"a").status == 200
    url = role.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "k"}, ExpiresIn=3600)
    srv.send_url(url).assert_error(
        403,
        "AccessDenied",
        f'User: arn:aws:sts::{ACCOUNT}:assumed-role/uploader/ci is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::data/k" because no session policy allows the s3:GetObject action',
    )
    # The URL outlives the session: it stops when the session does.
    url = role.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": "uploads/b"}, ExpiresIn=3600)
    srv.clock(offset_seconds=901)
    srv.send_url(url, "PUT", body=b"b").assert_error(400, "ExpiredToken", "The provided token has expired.")
    record("boto3-sts", "assume_role with a session policy + presigned PUT/GET", "narrowed, then ExpiredToken")


def sts_error(r):
    """(status, Type, Code, Message) of an STS error document."""
    ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
    error = ET.fromstring(r.body).find("s:Error", ns)
    assert error is not None, r.body
    return (r.status, *(error.find(f"s:{n}", ns).text for n in ("Type", "Code", "Message")))


MISMATCH = (
    403,
    "Sender",
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details.",
)


def test_botocore_presigned_sts_urls_do_what_was_signed(srv, record):
    """botocore's STS presigner signs the body's hash, as STS checks it: its GetCallerIdentity URL
    (the identity proof EKS and Vault use) works as signed, and a body it did not sign cannot turn
    it into GetSessionToken. S3's presigner (UNSIGNED-PAYLOAD) does not make STS URLs."""
    sts = boto3.client(
        "sts",
        endpoint_url=srv.endpoint,
        region_name=REGION,
        aws_access_key_id=ALICE[0],
        aws_secret_access_key=ALICE[1],
    )
    # STS's operations are POSTs; botocore presigns them so.
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=300)
    r = srv.send_url(url, "POST")
    assert r.status == 200, r.body
    assert f"<Arn>arn:aws:iam::{ACCOUNT}:user/alice</Arn>".encode() in r.body
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    take_token = b"Action=GetSessionToken&Version=2011-06-15"
    assert sts_error(srv.send_url(url, "POST", form, take_token)) == MISMATCH
    for extra in ("", "&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"):
        req = AWSRequest(method="POST", url=f"{srv.endpoint}/?Action=GetCallerIdentity&Version=2011-06-15{extra}")
        S3SigV4QueryAuth(Credentials(*ALICE), "sts", REGION, expires=300).add_auth(req)
        assert sts_error(srv.send_url(req.url, "POST", form, b"")) == MISMATCH
        assert sts_error(srv.send_url(req.url, "POST", form, take_token)) == MISMATCH
    record("botocore", "presigned sts get_caller_identity", "as signed; an unsigned body or payload refused")


def test_aws_cli_sts(srv, tmp_path, record):
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\n")
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=AK,
        AWS_SECRET_ACCESS_KEY=SK,
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    out = subprocess.run(
        ["aws", "--endpoint-url", srv.endpoint, "sts", "get-caller-identity", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    record("aws-cli", "sts get-caller-identity", "root of the default account")
