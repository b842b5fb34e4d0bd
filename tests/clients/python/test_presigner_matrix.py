"""The presigner matrix: every real S3 presigner of the project, each case judged by s3strict and
sent with a plain HTTP client; prints one table, SDK x case.

Presigners run in their own languages behind one line protocol (a JSON request per line, a JSON
answer per line; see tests/clients/js/presign-driver.js): botocore (SigV4 and SigV2), the AWS CLI
and minio-py in this process; the JS SDK v3 and minio-js (node), the Ruby SDK, the Go SDK v2 and
minio-go, the Java SDK 2.x, the Rust SDK and object_store through their drivers.

Cases: `keys` (PUT then GET of keys with a space, `+`, `~`, unicode, `//` and `%`), `ct sent`
(Content-Type signed and sent), `ct missing` (signed, not sent: S3's SignatureDoesNotMatch),
`query` (a signed response-content-type override, then a parameter added after signing),
`expiry` (through the server's clock), `virtual` (virtual-hosted style), `post` (a form upload).
"""

import datetime
import json
import os
import shutil
import subprocess
import urllib.parse
import uuid

import pytest

from conftest import AK, MATRIX, MATRIX_CASES as CASES, QUIRKS, REGION, ROOT, SK, Driver, Server, built, build_go, build_java, build_rust

BUCKET = "matrix"
KEYS = ["plain.txt", "a b.txt", "a+b.txt", "a~b.txt", "日本/é.txt", "a//b.txt", "100%.txt"]
MISMATCH = "The request signature we calculated does not match the signature you provided. Check your key and signing method."


@pytest.fixture(scope="module")
def drivers():
    node = Driver(["node", "presign-driver.js"], cwd=os.path.join(ROOT, "tests", "clients", "js"))
    ruby = Driver(["ruby", os.path.join(ROOT, "tests", "clients", "ruby", "presign-driver.rb")])
    go = Driver([built("S3STRICT_GO_PRESIGN", build_go)])
    java = Driver(["java", "-cp", built("S3STRICT_JAVA_CP", build_java), "Presign"])
    rust = Driver([built("S3STRICT_RUST_PRESIGN", build_rust)])
    yield {"js-v3": node, "minio-js": node, "ruby-sdk": ruby, "go-v2": go, "minio-go": go, "java-v2": java,
           "rust-sdk": rust, "object_store": rust}
    for d in {id(d): d for d in (node, ruby, go, java, rust)}.values():
        d.close()


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory):
    # The SigV2 presigners (botocore's default in us-east-1, AWS CLI v1) need a bucket S3 created
    # before 24 June 2020: newer ones refuse SigV2.
    s = Server(tmp_path_factory.mktemp("matrix"), "--domain", "localhost", "--sigv2-buckets", BUCKET)
    s.client().create_bucket(Bucket=BUCKET)
    yield s
    s.stop()


# --- the presigners that run in this process ------------------------------------------------


def botocore_presigner(version):
    def presign(r):
        import boto3
        from botocore.config import Config

        style = "virtual" if r["style"] == "virtual" else "path"
        s3 = boto3.client("s3", endpoint_url=r["endpoint"], region_name=r["region"], aws_access_key_id=AK,
                          aws_secret_access_key=SK,
                          config=Config(signature_version=version, s3={"addressing_style": style}))
        if r["op"] == "post":
            fields, conditions = {}, []
            if r.get("content_type"):
                fields["Content-Type"] = r["content_type"]
                conditions.append({"Content-Type": r["content_type"]})
            post = s3.generate_presigned_post(r["bucket"], r["key"], Fields=fields, Conditions=conditions,
                                              ExpiresIn=r["expires"])
            return {"url": post["url"], "fields": post["fields"]}
        params = {"Bucket": r["bucket"], "Key": r["key"]}
        if r.get("content_type"):
            params["ContentType"] = r["content_type"]
        if r.get("response_content_type"):
            params["ResponseContentType"] = r["response_content_type"]
        op = "put_object" if r["op"] == "put" else "get_object"
        url = s3.generate_presigned_url(op, Params=params, ExpiresIn=r["expires"])
        return {"url": url, "headers": {"content-type": r["content_type"]} if r.get("content_type") else {}}

    return presign


def awscli_presign(r):
    if r["op"] != "get":
        return {"unsupported": "`aws s3 presign` makes GET URLs only"}
    if r.get("response_content_type") or r["style"] == "virtual":
        return {"unsupported": "`aws s3 presign` takes no parameters or addressing style"}
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=r["region"],
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    aws = shutil.which("aws") or os.path.join(os.path.dirname(os.sys.executable), "aws")
    out = subprocess.run([aws, "s3", "presign", f"s3://{r['bucket']}/{r['key']}", "--expires-in", str(r["expires"]),
                          "--endpoint-url", r["endpoint"]], env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return {"error": out.stderr}
    return {"url": out.stdout.strip(), "headers": {}}


def minio_py_presign(r):
    from minio import Minio
    from minio.datatypes import PostPolicy

    if r["style"] == "virtual":
        return {"unsupported": "virtual-hosted style only for AWS hosts"}
    u = urllib.parse.urlsplit(r["endpoint"])
    client = Minio(u.netloc, access_key=AK, secret_key=SK, secure=False, region=r["region"])
    expires = datetime.timedelta(seconds=r["expires"])
    if r["op"] == "post":
        policy = PostPolicy(r["bucket"], datetime.datetime.now(datetime.timezone.utc) + expires)
        policy.add_equals_condition("key", r["key"])
        if r.get("content_type"):
            policy.add_equals_condition("Content-Type", r["content_type"])
        fields = client.presigned_post_policy(policy)
        fields["key"] = r["key"]
        if r.get("content_type"):
            fields["Content-Type"] = r["content_type"]
        return {"url": f"{r['endpoint']}/{r['bucket']}", "fields": fields}
    if r["op"] == "put":
        if r.get("content_type"):
            return {"unsupported": "presigned_put_object signs no headers"}
        return {"url": client.presigned_put_object(r["bucket"], r["key"], expires), "headers": {}}
    headers = {"response-content-type": r["response_content_type"]} if r.get("response_content_type") else None
    return {"url": client.presigned_get_object(r["bucket"], r["key"], expires, response_headers=headers),
            "headers": {}}


LOCAL = {"botocore-v4": botocore_presigner("s3v4"), "botocore-v2": botocore_presigner("s3"),
         "aws-cli": awscli_presign, "minio-py": minio_py_presign}
SDKS = ["botocore-v4", "botocore-v2", "aws-cli", "js-v3", "ruby-sdk", "rust-sdk", "go-v2", "java-v2", "minio-py",
        "minio-js", "minio-go", "object_store"]


# --- the cases -------------------------------------------------------------------------------


class NotApplicable(Exception):
    pass


STANDARD_PARAMS = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                   "X-Amz-Signature", "AWSAccessKeyId", "Expires", "Signature"}


def quirk(sdk, text):
    if text not in QUIRKS.setdefault(sdk, []):
        QUIRKS[sdk].append(text)


def note_quirks(sdk, op, key, answer):
    """Records what a presigner adds to its URLs and how it encodes keys, next to its row."""
    if "fields" in answer:
        return
    parts = urllib.parse.urlsplit(answer["url"])
    names = [n for n, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    extra = [n for n in names if n not in STANDARD_PARAMS and not n.startswith("response-")]
    if extra:
        signed = " (signed)" if sigv4(answer["url"]) else ""
        quirk(sdk, f"adds {', '.join(extra)} to {op.upper()} URLs{signed}")
    expected = urllib.parse.quote(key, safe="/~")
    if not parts.path.endswith("/" + expected):
        quirk(sdk, f"sends key {key.split('/', 2)[-1]!r} as {parts.path.split('/', 3)[-1]!r}")


def send(server, url, method="GET", headers=None, body=b""):
    """Sends the URL to the server with the URL's own host as Host."""
    headers = dict(headers or {})
    headers["Host"] = urllib.parse.urlsplit(url).netloc
    return server.send_url(url, method, headers, body)


def sigv4(url):
    return "X-Amz-Signature=" in url


def signs_content_type(url):
    """SigV2 always signs Content-Type; SigV4 when X-Amz-SignedHeaders names it."""
    if not sigv4(url):
        return True
    signed = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("X-Amz-SignedHeaders", [""])[0]
    return "content-type" in signed.split(";")


def expect(cond, detail):
    if not cond:
        raise AssertionError(detail)


def run_case(case, sdk, presign, server):
    endpoint = server.endpoint
    prefix = f"{sdk}/{uuid.uuid4().hex[:6]}/"

    def req(op, key, **extra):
        r = {"sdk": sdk, "op": op, "endpoint": endpoint, "region": REGION, "bucket": BUCKET, "key": prefix + key,
             "expires": 60, "style": "path"}
        r.update(extra)
        answer = presign(r)
        if "unsupported" in answer:
            raise NotApplicable(answer["unsupported"])
        expect("error" not in answer, f"presigner error: {answer.get('error', '')[:200]}")
        note_quirks(sdk, op, r["key"], answer)
        return answer

    s3 = server.client()
    if case == "keys":
        refused = []
        for key in KEYS:
            try:
                put = req("put", key)
                r = send(server, put["url"], "PUT", put.get("headers"), key.encode())
                expect(r.status == 200, f"PUT {key!r}: {r.status} {r.body[:300]!r}")
            except NotApplicable:
                s3.put_object(Bucket=BUCKET, Key=prefix + key, Body=key.encode())
            except AssertionError as e:
                if "presigner error" in str(e):
                    refused.append(key)
                    continue
                raise
            get = req("get", key)
            r = send(server, get["url"])
            expect((r.status, r.body) == (200, key.encode()), f"GET {key!r}: {r.status} {r.body[:300]!r}")
        if refused:
            QUIRKS.setdefault(sdk, []).append(f"refuses keys {', '.join(map(repr, refused))} client-side")
    elif case in ("ct sent", "ct missing"):
        put = req("put", "typed.txt", content_type="text/plain")
        headers = put.get("headers") or {"content-type": "text/plain"}
        sent = {k: v for k, v in headers.items() if k.lower() != "content-type" or case == "ct sent"}
        r = send(server, put["url"], "PUT", sent, b"typed")
        if case == "ct sent":
            expect(r.status == 200, f"{r.status} {r.body[:300]!r}")
            head = s3.head_object(Bucket=BUCKET, Key=prefix + "typed.txt")
            expect(head["ContentType"] == "text/plain", head["ContentType"])
        elif signs_content_type(put["url"]):
            r.assert_error(403, "SignatureDoesNotMatch", MISMATCH)
        else:
            expect(r.status == 200, f"an unsigned Content-Type left out: {r.status} {r.body[:300]!r}")
            return "unsigned (Content-Type is not signed, so leaving it out is accepted, as on S3)"
    elif case == "query":
        s3.put_object(Bucket=BUCKET, Key=prefix + "q.txt", Body=b"q")
        get = req("get", "q.txt", response_content_type="application/json")
        r = send(server, get["url"])
        expect((r.status, r.headers.get("content-type")) == (200, "application/json"), f"{r.status} {r.body[:300]!r}")
        r = send(server, get["url"] + "&x-added=1")
        if sigv4(get["url"]):
            r.assert_error(403, "SignatureDoesNotMatch", MISMATCH)
        else:
            # SigV2 signs only S3's sub-resources: S3 ignores an added parameter.
            expect(r.status == 200, f"SigV2 with an added parameter: {r.status}")
    elif case == "expiry":
        s3.put_object(Bucket=BUCKET, Key=prefix + "e.txt", Body=b"e")
        get = req("get", "e.txt")
        expect(send(server, get["url"]).status == 200, "fresh URL refused")
        server.clock(offset_seconds=120)
        try:
            r = send(server, get["url"])
        finally:
            server.clock(real=True)
        r.assert_error(403, "AccessDenied", "Request has expired")
    elif case == "virtual":
        s3.put_object(Bucket=BUCKET, Key=prefix + "v.txt", Body=b"v")
        endpoint = f"http://localhost:{server.port}"
        get = req("get", "v.txt", style="virtual")
        expect(urllib.parse.urlsplit(get["url"]).netloc == f"{BUCKET}.localhost:{server.port}", get["url"])
        r = send(server, get["url"])
        expect((r.status, r.body) == (200, b"v"), f"{r.status} {r.body[:300]!r}")
    elif case == "post":
        post = req("post", "form.txt", content_type="text/plain")
        boundary = "matrixboundary"
        parts = []
        for name, value in post["fields"].items():
            parts.append(f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="f.txt"\r\n'
                     f'content-type: text/plain\r\n\r\n'.encode() + b"form body\r\n" + f"--{boundary}--\r\n".encode())
        r = send(server, post["url"], "POST", {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                 b"".join(parts))
        expect(r.status in (200, 201, 204), f"{r.status} {r.body[:300]!r}")
        got = s3.get_object(Bucket=BUCKET, Key=prefix + "form.txt")
        expect(got["Body"].read() == b"form body", "stored body")
        expect(got["ContentType"] == "text/plain", got["ContentType"])


@pytest.mark.parametrize("sdk", SDKS)
def test_presigner(matrix_server, drivers, sdk):
    presign = LOCAL.get(sdk) or drivers[sdk]
    row = MATRIX.setdefault(sdk, {})
    for case in CASES:
        try:
            row[case] = run_case(case, sdk, presign, matrix_server) or "pass"
        except NotApplicable as e:
            row[case] = f"n/a ({e})"
        except AssertionError as e:
            row[case] = f"FAIL {e}"
    failed = {c: v for c, v in row.items() if v.startswith("FAIL")}
    assert not failed, failed
