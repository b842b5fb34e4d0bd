// Who may do what, through the AWS SDK for JavaScript v3: its own STS client assumes a role on
// s3strict's STS endpoint, and presigned URLs made with the role's credentials carry the role's
// permissions (a least-privilege user's URL fails with S3's message).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const ROOT = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const DEV = { accessKeyId: "AKIADEV0000000000000", secretAccessKey: "dev-secret" };
const ROLE = "arn:aws:iam::123456789012:role/reader";
const CONFIG = `
[[users]]
name = "dev"
access_key = "AKIADEV0000000000000"
secret_key = "dev-secret"
policies = ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"${ROLE}"}]}']

[[roles]]
name = "reader"
trust_policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'
policies = ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::jsdata/*"}]}']
`;

let server;
let endpoint;
let dir;
const s3For = (credentials) => new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials });

before(async () => {
  const bin = process.env.S3STRICT_BIN ?? "../../../target/debug/s3strict";
  dir = mkdtempSync(join(tmpdir(), "s3strict-js-access-"));
  writeFileSync(join(dir, "s3strict.toml"), CONFIG);
  server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data", join(dir, "d"), "--config", join(dir, "s3strict.toml")], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: server.stdout });
    rl.once("line", resolve);
    server.once("exit", (code) => reject(new Error(`s3strict exited with ${code}`)));
  });
  endpoint = line.replace("listening on ", "");
  const root = s3For(ROOT);
  await root.send(new CreateBucketCommand({ Bucket: "jsdata" }));
  await root.send(new PutObjectCommand({ Bucket: "jsdata", Key: "k", Body: "hello" }));
});

after(() => {
  server?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the SDK's STS client assumes a role; its presigned URLs carry the role's permissions", async () => {
  const sts = new STSClient({ endpoint, region: "us-east-1", credentials: DEV });
  const me = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, "arn:aws:iam::123456789012:user/dev");
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "js" }));
  assert.equal(out.AssumedRoleUser.Arn, "arn:aws:sts::123456789012:assumed-role/reader/js");
  const creds = {
    accessKeyId: out.Credentials.AccessKeyId,
    secretAccessKey: out.Credentials.SecretAccessKey,
    sessionToken: out.Credentials.SessionToken,
  };
  const role = s3For(creds);
  const url = await getSignedUrl(role, new GetObjectCommand({ Bucket: "jsdata", Key: "k" }), { expiresIn: 300 });
  const ok = await fetch(url);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "hello");
  const put = await getSignedUrl(role, new PutObjectCommand({ Bucket: "jsdata", Key: "nope" }), { expiresIn: 300 });
  const refused = await fetch(put, { method: "PUT", body: "x" });
  assert.equal(refused.status, 403);
  const text = await refused.text();
  assert.match(text, /<Code>AccessDenied<\/Code>/);
  assert.ok(
    text.includes(
      'User: arn:aws:sts::123456789012:assumed-role/reader/js is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::jsdata/nope" because no identity-based policy allows the s3:PutObject action',
    ),
    text,
  );
  // The user's own URL: no s3:GetObject of its own.
  const own = await getSignedUrl(s3For(DEV), new GetObjectCommand({ Bucket: "jsdata", Key: "k" }), { expiresIn: 300 });
  assert.equal((await fetch(own)).status, 403);
});
