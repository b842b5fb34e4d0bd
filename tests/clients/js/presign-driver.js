// The JavaScript presigners for the presigner matrix (tests/clients/python/test_presigner_matrix.py):
// one JSON request per line on stdin, one JSON answer per line on stdout.
//   request: {sdk, op: "get"|"put"|"post", endpoint, region, bucket, key, expires,
//             content_type?, response_content_type?, style: "path"|"virtual"}
//   answer:  {url, headers?, fields?} or {unsupported: "why"} or {error: "..."}
// SDKs: "js-v3" (@aws-sdk/s3-request-presigner getSignedUrl, @aws-sdk/s3-presigned-post) and
// "minio-js" (presignedGetObject, presignedPutObject, presignedPostPolicy).

import { createInterface } from "node:readline";

import { S3Client, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import * as Minio from "minio";

const credentials = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

async function jsV3(r) {
  const client = new S3Client({ endpoint: r.endpoint, region: r.region, forcePathStyle: r.style === "path", credentials });
  if (r.op === "post") {
    const conditions = r.content_type ? [["eq", "$Content-Type", r.content_type]] : [];
    const fields = r.content_type ? { "Content-Type": r.content_type } : {};
    const post = await createPresignedPost(client, { Bucket: r.bucket, Key: r.key, Conditions: conditions, Fields: fields, Expires: r.expires });
    return { url: post.url, fields: post.fields };
  }
  const input = { Bucket: r.bucket, Key: r.key };
  if (r.content_type) input.ContentType = r.content_type;
  if (r.response_content_type) input.ResponseContentType = r.response_content_type;
  const command = r.op === "put" ? new PutObjectCommand(input) : new GetObjectCommand(input);
  const url = await getSignedUrl(client, command, { expiresIn: r.expires });
  return { url, headers: r.content_type ? { "content-type": r.content_type } : {} };
}

async function minioJs(r) {
  const u = new URL(r.endpoint);
  const client = new Minio.Client({
    endPoint: u.hostname,
    port: Number(u.port),
    useSSL: false,
    accessKey: credentials.accessKeyId,
    secretKey: credentials.secretAccessKey,
    region: r.region,
    pathStyle: r.style === "path",
  });
  if (r.op === "post") {
    const policy = client.newPostPolicy();
    policy.setBucket(r.bucket);
    policy.setKey(r.key);
    policy.setExpires(new Date(Date.now() + r.expires * 1000));
    if (r.content_type) policy.setContentType(r.content_type);
    const post = await client.presignedPostPolicy(policy);
    return { url: post.postURL, fields: post.formData };
  }
  if (r.op === "put") {
    if (r.content_type) return { unsupported: "presignedPutObject takes no headers to sign" };
    return { url: await client.presignedPutObject(r.bucket, r.key, r.expires), headers: {} };
  }
  const params = r.response_content_type ? { "response-content-type": r.response_content_type } : {};
  return { url: await client.presignedGetObject(r.bucket, r.key, r.expires, params), headers: {} };
}

const sdks = { "js-v3": jsV3, "minio-js": minioJs };

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    const r = JSON.parse(line);
    answer = await sdks[r.sdk](r);
  } catch (e) {
    answer = { error: String(e?.stack ?? e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
