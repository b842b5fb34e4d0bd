"""The AWS CLI from PyPI, as a user runs it: cp up and down (small and 20 MiB, which goes
multipart), ls, sync of a folder, presign + a plain HTTP GET."""

import hashlib
import os
import subprocess

import pytest

from conftest import AK, SK

MIB = 1024 * 1024


@pytest.fixture
def aws(server, tmp_path):
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

    def run(*args):
        out = subprocess.run(
            ["aws", "--endpoint-url", server.endpoint, *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    run("s3", "mb", "s3://cli")
    return run


def test_cp_up_and_down(aws, tmp_path, record, s3):
    small = os.urandom(5000)
    big = os.urandom(20 * MIB)
    (tmp_path / "small").write_bytes(small)
    (tmp_path / "big").write_bytes(big)
    aws("s3", "cp", str(tmp_path / "small"), "s3://cli/small")
    aws("s3", "cp", str(tmp_path / "big"), "s3://cli/big")
    aws("s3", "cp", "s3://cli/small", str(tmp_path / "small.down"))
    aws("s3", "cp", "s3://cli/big", str(tmp_path / "big.down"))
    assert (tmp_path / "small.down").read_bytes() == small
    assert (tmp_path / "big.down").read_bytes() == big
    assert s3.head_object(Bucket="cli", Key="small")["ETag"] == f'"{hashlib.md5(small).hexdigest()}"'
    # The CLI's default part size is 8 MiB: three parts.
    digests = b"".join(hashlib.md5(big[i : i + 8 * MIB]).digest() for i in range(0, len(big), 8 * MIB))
    assert s3.head_object(Bucket="cli", Key="big")["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-3"'
    listing = aws("s3", "ls", "s3://cli/")
    assert "small" in listing and "big" in listing and str(20 * MIB) in listing
    record("aws-cli", "s3 cp up/down 5 KB + 20 MiB, s3 ls", "")


def test_sync_folder(aws, tmp_path, record, s3):
    src = tmp_path / "tree"
    (src / "a" / "b").mkdir(parents=True)
    files = {"top.txt": b"top", "a/one.bin": os.urandom(1000), "a/b/two with space.txt": b"two"}
    for name, data in files.items():
        (src / name).write_bytes(data)
    aws("s3", "sync", str(src), "s3://cli/tree")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="cli", Prefix="tree/")["Contents"])
    assert keys == sorted(f"tree/{n}" for n in files)
    dest = tmp_path / "back"
    aws("s3", "sync", "s3://cli/tree", str(dest))
    for name, data in files.items():
        assert (dest / name).read_bytes() == data
    # A second sync has nothing to do.
    assert aws("s3", "sync", str(src), "s3://cli/tree").strip() == ""
    record("aws-cli", "s3 sync up and down", f"{len(files)} files")


@pytest.mark.server_args("--sigv2-buckets", "cli")
def test_presign_then_curl(aws, tmp_path, record):
    (tmp_path / "f").write_bytes(b"presigned by the CLI")
    aws("s3", "cp", str(tmp_path / "f"), "s3://cli/f")
    # With the CLI's defaults this is a SigV2 URL in us-east-1.
    url = aws("s3", "presign", "s3://cli/f", "--expires-in", "120").strip()
    assert "Signature=" in url
    out = subprocess.run(["curl", "-sS", "-f", url], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"presigned by the CLI"
    record("aws-cli", "s3 presign + curl GET", "")
