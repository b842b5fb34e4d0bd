"""A browser form upload (PostObject) is authorized as S3 authorizes it: `s3:PutObject` on the
object the form names (its `key` field, after `${filename}`), with the form's fields standing as
the request's headers — an `acl` field needs `s3:PutObjectAcl` and is what `s3:x-amz-acl` sees, a
`tagging` field needs `s3:PutObjectTagging`. Forms made by botocore's generate_presigned_post with
each user's own credentials."""

import textwrap

import pytest

from conftest import Server
from test_post_object import form

ACCOUNT = "123456789012"


def user(name, statements):
    policy = '{"Version": "2012-10-17", "Statement": [' + ", ".join(statements) + "]}"
    return textwrap.dedent(
        f"""
        [[users]]
        name = "{name}"
        access_key = "{key_of(name)}"
        secret_key = "{name}-secret"
        policies = ['''{policy}''']
        """
    )


def key_of(name):
    return "AKIA" + name.upper().ljust(16, "0")


def allow(actions, resource):
    return f'{{"Effect": "Allow", "Action": {actions}, "Resource": "{resource}"}}'


CONFIG = "".join(
    [
        # Writes anywhere in the bucket except under protected/.
        user(
            "uploader",
            [
                allow('"s3:PutObject"', "arn:aws:s3:::forms/*"),
                '{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::forms/protected/*"}',
            ],
        ),
        # A grant on the bucket's ARN alone grants no object.
        user("bucketonly", [allow('"s3:PutObject"', "arn:aws:s3:::forms")]),
        # A grant scoped to a prefix.
        user("scoped", [allow('"s3:PutObject"', "arn:aws:s3:::forms/uploads/*")]),
        # May write, but may not set ACLs or tags.
        user("writer", [allow('"s3:PutObject"', "arn:aws:s3:::forms/*")]),
        # May write and set ACLs, except public-read ones.
        user(
            "nopublic",
            [
                allow('["s3:PutObject", "s3:PutObjectAcl"]', "arn:aws:s3:::forms/*"),
                '{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::forms/*",'
                ' "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}}}',
            ],
        ),
    ]
)


@pytest.fixture
def srv(tmp_path):
    path = tmp_path / "s3strict.toml"
    path.write_text(CONFIG)
    s = Server(tmp_path, "--config", str(path))
    root = s.client()
    root.create_bucket(Bucket="forms")
    # ACLs in force and public ACLs allowed, so that only the policies decide.
    root.put_bucket_ownership_controls(Bucket="forms", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    root.delete_public_access_block(Bucket="forms")
    yield s
    s.stop()


def presign(srv, name, key, fields=None):
    client = srv.client(ak=key_of(name), sk=f"{name}-secret")
    conditions = [{k: v} for k, v in (fields or {}).items()]
    return client.generate_presigned_post("forms", key, Fields=fields or {}, Conditions=conditions, ExpiresIn=300)["fields"]


def post(srv, fields, filename="photo.jpg"):
    body, headers = form(fields, filename=filename)
    return srv.request("POST", "/forms", headers, body)


def denied(name, action, key, why):
    return (
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: {action} "
        f'on resource: "arn:aws:s3:::forms/{key}" {why}'
    )


def no_identity_allows(action):
    return f"because no identity-based policy allows the {action} action"


def stored(srv):
    return sorted(o["Key"] for o in srv.client().list_objects_v2(Bucket="forms").get("Contents", []))


def test_a_deny_on_a_prefix_holds_for_forms(srv):
    assert post(srv, presign(srv, "uploader", "open/a.txt")).status == 204
    post(srv, presign(srv, "uploader", "protected/a.txt")).assert_error(
        403,
        "AccessDenied",
        denied("uploader", "s3:PutObject", "protected/a.txt", "with an explicit deny in an identity-based policy"),
    )
    # `${filename}` is substituted before the key is judged.
    post(srv, presign(srv, "uploader", "protected/${filename}"), filename="x.bin").assert_error(
        403,
        "AccessDenied",
        denied("uploader", "s3:PutObject", "protected/x.bin", "with an explicit deny in an identity-based policy"),
    )
    assert stored(srv) == ["open/a.txt"]


def test_forms_need_a_grant_on_the_object(srv):
    post(srv, presign(srv, "bucketonly", "k.txt")).assert_error(
        403, "AccessDenied", denied("bucketonly", "s3:PutObject", "k.txt", no_identity_allows("s3:PutObject"))
    )
    assert post(srv, presign(srv, "scoped", "uploads/${filename}")).status == 204
    post(srv, presign(srv, "scoped", "elsewhere/k.txt")).assert_error(
        403, "AccessDenied", denied("scoped", "s3:PutObject", "elsewhere/k.txt", no_identity_allows("s3:PutObject"))
    )
    assert stored(srv) == ["uploads/photo.jpg"]


def test_an_acl_field_is_an_acl_header(srv):
    # No s3:PutObjectAcl: the acl field is refused, as an x-amz-acl header would be.
    post(srv, presign(srv, "writer", "a.txt", {"acl": "public-read"})).assert_error(
        403, "AccessDenied", denied("writer", "s3:PutObjectAcl", "a.txt", no_identity_allows("s3:PutObjectAcl"))
    )
    # s3:x-amz-acl reads the field: a Deny on public-read holds, another ACL passes.
    post(srv, presign(srv, "nopublic", "b.txt", {"acl": "public-read"})).assert_error(
        403,
        "AccessDenied",
        denied("nopublic", "s3:PutObject", "b.txt", "with an explicit deny in an identity-based policy"),
    )
    assert post(srv, presign(srv, "nopublic", "c.txt", {"acl": "authenticated-read"})).status == 204
    assert stored(srv) == ["c.txt"]


def test_a_tagging_field_needs_put_object_tagging(srv):
    tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    post(srv, presign(srv, "writer", "t.txt", {"tagging": tagging})).assert_error(
        403, "AccessDenied", denied("writer", "s3:PutObjectTagging", "t.txt", no_identity_allows("s3:PutObjectTagging"))
    )
    assert stored(srv) == []


def test_a_field_sent_twice_counts_once(srv):
    """The signed policy is checked against a field's first value; what is stored is that value,
    never one the policy did not allow."""
    fields = list(presign(srv, "writer", "meta.txt", {"x-amz-meta-a": "1"}).items())
    # A second x-amz-meta-a before the file, which the policy never saw.
    fields.append(("x-amz-meta-a", "2"))
    body = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields)
    body += b'--B\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nbody\r\n--B--\r\n'
    r = srv.request("POST", "/forms", {"Content-Type": "multipart/form-data; boundary=B"}, body)
    assert r.status == 204, r.body
    head = srv.client().head_object(Bucket="forms", Key="meta.txt")
    assert head["Metadata"] == {"a": "1"}
