"""Answers that once differed from S3's, through boto3 as applications and conformance suites send
them: listings with encoding-type=url added by botocore, empty delimiters, teardowns that abort
nothing, re-creating a bucket in us-east-1."""

import pytest


def test_listing_prefixes_round_trip_through_botocore(s3):
    s3.create_bucket(Bucket="lists")
    for key in ["a\nb/c", "a\nb/d", "plain"]:
        s3.put_object(Bucket="lists", Key=key, Body=b"x")
    # botocore adds encoding-type=url and decodes what it knows to decode; the caller sees the
    # prefix it sent, in v1 and v2 alike.
    v2 = s3.list_objects_v2(Bucket="lists", Prefix="a\nb/")
    assert v2["Prefix"] == "a\nb/"
    assert [o["Key"] for o in v2["Contents"]] == ["a\nb/c", "a\nb/d"]
    v1 = s3.list_objects(Bucket="lists", Prefix="a\n", Delimiter="/")
    assert v1["Prefix"] == "a\n"
    assert v1["CommonPrefixes"] == [{"Prefix": "a\nb/"}]
    assert v1["Delimiter"] == "/"
    # An empty delimiter is no delimiter: not echoed.
    for listing in (s3.list_objects_v2(Bucket="lists", Delimiter=""), s3.list_objects(Bucket="lists", Delimiter="")):
        assert "Delimiter" not in listing
        assert len(listing["Contents"]) == 3 and "CommonPrefixes" not in listing


def test_delete_bucket_with_uploads_in_progress(s3):
    s3.create_bucket(Bucket="teardown")
    upload = s3.create_multipart_upload(Bucket="teardown", Key="big")
    s3.upload_part(Bucket="teardown", Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"p" * 1024)
    s3.delete_bucket(Bucket="teardown")
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.head_bucket(Bucket="teardown")
    assert e.value.response["Error"]["Code"] == "404"


def test_create_bucket_twice_in_us_east_1(s3):
    s3.create_bucket(Bucket="twice")
    again = s3.create_bucket(Bucket="twice")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert again["Location"] == "/twice"


def test_tags_through_boto3(s3):
    s3.create_bucket(Bucket="tagging")
    s3.put_object(Bucket="tagging", Key="k", Body=b"x", Tagging="project=apollo&stage=dev")
    assert s3.get_object_tagging(Bucket="tagging", Key="k")["TagSet"] == [
        {"Key": "project", "Value": "apollo"}, {"Key": "stage", "Value": "dev"}]
    assert s3.head_object(Bucket="tagging", Key="k")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    s3.put_object_tagging(Bucket="tagging", Key="k", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket="tagging", Key="k")["TagSet"] == [{"Key": "only", "Value": "one"}]
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.put_object_tagging(Bucket="tagging", Key="k",
                              Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    assert e.value.response["Error"] == {"Code": "BadRequest", "Message": "Object tags cannot be greater than 10"}
    s3.put_bucket_tagging(Bucket="tagging", Tagging={"TagSet": [{"Key": "team", "Value": "s3"}]})
    assert s3.get_bucket_tagging(Bucket="tagging")["TagSet"] == [{"Key": "team", "Value": "s3"}]


def test_form_upload_with_tagging(server, s3):
    s3.create_bucket(Bucket="formtags")
    doc = "<Tagging><TagSet><Tag><Key>source</Key><Value>form</Value></Tag></TagSet></Tagging>"
    post = s3.generate_presigned_post("formtags", "up.txt", Fields={"tagging": doc}, Conditions=[{"tagging": doc}])
    from test_post_object import form
    body, headers = form(post["fields"], data=b"tagged by a form")
    r = server.request("POST", "/formtags", headers, body)
    assert r.status == 204, r.body
    assert s3.get_object_tagging(Bucket="formtags", Key="up.txt")["TagSet"] == [{"Key": "source", "Value": "form"}]


def test_form_upload_to_a_versioned_bucket(server, s3):
    s3.create_bucket(Bucket="formvers")
    s3.put_bucket_versioning(Bucket="formvers", VersioningConfiguration={"Status": "Enabled"})
    post = s3.generate_presigned_post("formvers", "up.txt")
    from test_post_object import form
    body, headers = form(post["fields"], data=b"one")
    r = server.request("POST", "/formvers", headers, body)
    assert r.status == 204, r.body
    version = r.headers["x-amz-version-id"]
    assert s3.head_object(Bucket="formvers", Key="up.txt")["VersionId"] == version
    versions = s3.list_object_versions(Bucket="formvers")["Versions"]
    assert [v["VersionId"] for v in versions] == [version]
