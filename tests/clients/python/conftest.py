"""Fixtures for the Python client suites: a real s3strict process on an ephemeral port (the
binary named by S3STRICT_BIN), boto3 clients pointed at it, a raw HTTP sender for presigned URLs,
and S3 error-document parsing."""

import http.client
import json
import os
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"


class Server:
    def __init__(self, tmp_path, *args):
        binary = os.environ.get("S3STRICT_BIN", "target/debug/s3strict")
        self.data = tmp_path / "data"
        self.proc = subprocess.Popen(
            [binary, "serve", "--addr", "127.0.0.1:0", "--data", str(self.data), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        self.endpoint = line.removeprefix("listening on ")
        self.host, port = self.endpoint.removeprefix("http://").split(":")
        self.port = int(port)

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=10) == 0

    def client(self, region=REGION, ak=AK, sk=SK, token=None, **config):
        # SigV4 unless a test asks otherwise (botocore presigns with SigV2 by default in us-east-1).
        config.setdefault("signature_version", "s3v4")
        cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config)
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=ak,
            aws_secret_access_key=sk,
            aws_session_token=token,
            config=cfg,
        )

    def request(self, method, target, headers=None, body=b""):
        """Sends `target` (path and query) exactly as given."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        headers = dict(headers or {})
        headers.setdefault("Host", f"{self.host}:{self.port}")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def send_url(self, url, method="GET", headers=None, body=b""):
        parts = urllib.parse.urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        return self.request(method, target, headers, body)

    def clock(self, **setting):
        r = self.request("PUT", "/_s3strict/clock", {"Content-Type": "application/json"}, json.dumps(setting).encode())
        assert r.status == 200, r.body
        return json.loads(r.body)

    def auth_log(self, limit=10):
        return json.loads(self.request("GET", f"/_s3strict/auth-log?limit={limit}").body)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def error(self):
        root = ET.fromstring(self.body)
        assert root.tag == "Error", self.body
        return [(child.tag, child.text or "") for child in root]

    def assert_error(self, status, code, message):
        assert self.status == status, (self.status, self.body)
        elements = self.error()
        d = dict(elements)
        assert d["Code"] == code, self.body
        assert d["Message"] == message, self.body
        assert d["RequestId"] == self.headers.get("x-amz-request-id")
        return elements


class Driver:
    """A presigner process speaking the line protocol."""

    def __init__(self, argv, cwd=None, env=None):
        # stderr is left to pytest's capture, shown when a test fails.
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")

    def __call__(self, request):
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise AssertionError(f"presigner {request['sdk']} exited")
        line = self.proc.stdout.readline()
        assert line, f"presigner {request['sdk']} exited"
        return json.loads(line)

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def built(env_name, build):
    """The path an earlier build step exported in `env_name`, else built now."""
    return os.environ.get(env_name) or build()


def build_go():
    out = os.path.join(ROOT, "target", "clients", "go-presign")
    subprocess.run(["go", "build", "-o", out, "."], cwd=os.path.join(ROOT, "tests", "clients", "go"), check=True)
    return out


def build_java():
    script = os.path.join(ROOT, "tests", "clients", "java", "build")
    return subprocess.run([script], check=True, capture_output=True, text=True).stdout.strip()


def build_rust():
    subprocess.run(["cargo", "build", "--locked", "--example", "presign-driver"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "debug", "examples", "presign-driver")


def pytest_configure(config):
    config.addinivalue_line("markers", "server_args(*args): extra `s3strict serve` arguments for the server fixture")


@pytest.fixture
def server(tmp_path, request):
    marker = request.node.get_closest_marker("server_args")
    s = Server(tmp_path, *(marker.args if marker else ()))
    yield s
    s.stop()


@pytest.fixture
def s3(server):
    return server.client()


# Per-client interop table, printed at the end of the run.
INTEROP = []


@pytest.fixture
def record():
    """record(client, operation, detail): notes a round trip that passed."""

    def add(client, operation, detail=""):
        INTEROP.append((client, operation, detail))

    return add


# The presigner matrix (test_presigner_matrix.py): sdk -> {case: "pass" | "FAIL …" | "n/a (…)"},
# and sdk -> quirks seen; printed as one table at the end.
MATRIX_CASES = ["keys", "ct sent", "ct missing", "query", "expiry", "virtual", "post"]
MATRIX = {}
QUIRKS = {}


def matrix_summary(terminalreporter):
    if not MATRIX:
        return
    terminalreporter.section("presigner matrix (each case sent raw to s3strict)")
    width = max(len(s) for s in MATRIX)
    terminalreporter.write_line(" " * width + "  " + "  ".join(f"{c:<10}" for c in MATRIX_CASES))
    notes = []
    for sdk, row in MATRIX.items():
        cells = []
        for case in MATRIX_CASES:
            v = row.get(case, "")
            cells.append(f"{v.split(' ')[0]:<10}")
            if v != "pass":
                notes.append(f"{sdk} / {case}: {v}")
        terminalreporter.write_line(f"{sdk:<{width}}  " + "  ".join(cells))
    for sdk, quirks in QUIRKS.items():
        notes.extend(f"{sdk}: {q}" for q in quirks)
    for n in notes:
        terminalreporter.write_line(f"  {n}")


def pytest_terminal_summary(terminalreporter):
    matrix_summary(terminalreporter)
    if not INTEROP:
        return
    terminalreporter.section("interop round trips (bytes and ETag compared)")
    width = max(len(c) for c, _, _ in INTEROP)
    op_width = max(len(o) for _, o, _ in INTEROP)
    for client, op, detail in INTEROP:
        terminalreporter.write_line(f"{client:<{width}}  {op:<{op_width}}  ok  {detail}")
