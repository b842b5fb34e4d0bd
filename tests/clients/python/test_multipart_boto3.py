"""Multipart uploads driven by boto3: 100 MiB in 21 parts checked by MD5 and ETag, and the
browser pattern with presigned part URLs, one of which has expired on the server clock."""

import hashlib
import os
import xml.etree.ElementTree as ET

MIB = 1024 * 1024
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def test_hundred_mib_in_twenty_one_parts(server, s3, record):
    s3.create_bucket(Bucket="mpu")
    data = os.urandom(100 * MIB + 1)
    upload = s3.create_multipart_upload(Bucket="mpu", Key="big", ContentType="application/x-test")
    parts, digests = [], b""
    for n, start in enumerate(range(0, len(data), 5 * MIB), 1):
        chunk = data[start : start + 5 * MIB]
        out = s3.upload_part(Bucket="mpu", Key="big", UploadId=upload["UploadId"], PartNumber=n, Body=chunk)
        assert out["ETag"] == f'"{hashlib.md5(chunk).hexdigest()}"'
        parts.append({"PartNumber": n, "ETag": out["ETag"]})
        digests += hashlib.md5(chunk).digest()
    assert len(parts) == 21
    listed = s3.list_parts(Bucket="mpu", Key="big", UploadId=upload["UploadId"], MaxParts=10)
    assert listed["IsTruncated"] and listed["NextPartNumberMarker"] == 10
    done = s3.complete_multipart_upload(
        Bucket="mpu", Key="big", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    expected = f'"{hashlib.md5(digests).hexdigest()}-21"'
    assert done["ETag"] == expected
    got = s3.get_object(Bucket="mpu", Key="big")
    body = got["Body"].read()
    assert hashlib.md5(body).hexdigest() == hashlib.md5(data).hexdigest()
    assert got["ETag"] == expected and got["ContentType"] == "application/x-test"
    record("boto3", "multipart 100 MiB in 21 parts (low-level calls)", expected)


def test_presigned_parts(server, s3, record):
    s3.create_bucket(Bucket="mpu")
    upload_id = s3.create_multipart_upload(Bucket="mpu", Key="browser")["UploadId"]
    bodies = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"the last part"]
    urls = [
        s3.generate_presigned_url(
            "upload_part",
            Params={"Bucket": "mpu", "Key": "browser", "UploadId": upload_id, "PartNumber": n},
            ExpiresIn=60,
        )
        for n in (1, 2, 3)
    ]
    etags = []
    for url, body in zip(urls[:2], bodies[:2]):
        r = server.send_url(url, "PUT", body=body)
        assert r.status == 200, r.body
        etags.append(r.headers["etag"])
    # The third URL is used after it expired: only that step fails.
    server.clock(offset_seconds=3600)
    server.send_url(urls[2], "PUT", body=bodies[2]).assert_error(403, "AccessDenied", "Request has expired")
    server.clock(real=True)
    fresh = s3.generate_presigned_url(
        "upload_part", Params={"Bucket": "mpu", "Key": "browser", "UploadId": upload_id, "PartNumber": 3}, ExpiresIn=60
    )
    r = server.send_url(fresh, "PUT", body=bodies[2])
    etags.append(r.headers["etag"])
    complete = s3.generate_presigned_url(
        "complete_multipart_upload", Params={"Bucket": "mpu", "Key": "browser", "UploadId": upload_id}, ExpiresIn=60
    )
    doc = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1)
    ) + "</CompleteMultipartUpload>"
    r = server.send_url(complete, "POST", body=doc.encode())
    assert r.status == 200, r.body
    etag = ET.fromstring(r.body).find(f"{NS}ETag").text
    assert etag.endswith('-3"')
    assert s3.get_object(Bucket="mpu", Key="browser")["Body"].read() == b"".join(bodies)
    record("boto3", "presigned upload_part / complete URLs, one expired", etag)
