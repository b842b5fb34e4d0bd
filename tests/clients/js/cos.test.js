// Tencent COS: the official Node SDK (cos-nodejs-sdk-v5) against s3strict started with
// `--domain cos.local`. The SDK addresses buckets host-style only: ordinary requests connect to
// 127.0.0.1 (its `Ip` option) with `Host: BUCKET.cos.local:PORT`; presigned URLs are sent the
// same way with node:http, since fetch may not set Host. This SDK signs the host with its port.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";

import COS from "cos-nodejs-sdk-v5";
import { S3Client, CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";

const AK = "AKIAIOSFODNN7EXAMPLE";
const SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BUCKET = "media-1250000000";
const REGION = "ap-guangzhou";
// Node's SDK puts `./` raw into URLs, which HTTP clients collapse: no such keys here (spec §7).
const KEYS = ["plain.txt", "dir/a b+c~é.txt", "a//b", "tilde~plus+space here", "日本/語.txt"];
const MISMATCH = "The Signature you specified is invalid.";
let server;
let port;
let endpoint;

before(async () => {
  const bin = process.env.S3STRICT_BIN ?? "../../../target/debug/s3strict";
  // --ephemeral: the data directory goes when the server stops.
  server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--ephemeral", "--domain", "cos.local"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once("line", resolve);
    server.once("exit", (code) => reject(new Error(`s3strict exited with ${code}`)));
  });
  endpoint = line.replace("listening on ", "");
  port = Number(endpoint.split(":").pop());
  const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: SK } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(() => server?.kill("SIGTERM"));

const sdk = (secretKey = SK) =>
  new COS({ SecretId: AK, SecretKey: secretKey, Domain: `{Bucket}.cos.local:${port}`, Protocol: "http:", Ip: `127.0.0.1:${port}` });

/** Calls an SDK method and resolves with [err, data]. */
const call = (cos, method, params) =>
  new Promise((resolve) => cos[method]({ Bucket: BUCKET, Region: REGION, ...params }, (err, data) => resolve([err, data])));

/** Sends a URL to 127.0.0.1 with the URL's own host as Host. */
function send(url, { method = "GET", headers = {}, body } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path: u.pathname + u.search, headers: { host: u.host, ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The elements of a COS error document, after checking the five COS needs. */
function cosError(r, status, code, message) {
  assert.equal(r.status, status, r.body);
  const el = (name) => r.body.match(new RegExp(`<${name}>([^<]*)</${name}>`))?.[1];
  for (const name of ["Code", "Message", "Resource", "RequestId", "TraceId"]) assert.ok(el(name), `${name} in ${r.body}`);
  assert.equal(el("Code"), code, r.body);
  if (message) assert.equal(el("Message"), message, r.body);
  assert.equal(r.headers["x-cos-request-id"], el("RequestId"));
  return el;
}

test("put, head, get and delete with the Authorization header", async () => {
  const cos = sdk();
  for (const key of KEYS) {
    const body = `body of ${key}`;
    let [err] = await call(cos, "putObject", { Key: key, Body: body, ContentType: "text/plain", Headers: { "x-cos-meta-author": "A B" } });
    assert.ifError(err);
    let data;
    [err, data] = await call(cos, "headObject", { Key: key });
    assert.ifError(err);
    assert.equal(data.headers["x-cos-meta-author"], "A B");
    [err, data] = await call(cos, "getObject", { Key: key });
    assert.ifError(err);
    assert.equal(data.Body.toString(), body);
    [err] = await call(cos, "deleteObject", { Key: key });
    assert.ifError(err);
    [err] = await call(cos, "headObject", { Key: key });
    assert.equal(err.statusCode, 404, key);
  }
  console.log(`cos-nodejs-sdk-v5  putObject/headObject/getObject/deleteObject (Authorization header)  ok  ${KEYS.length} keys`);
});

test("the SDK reads COS's errors", async () => {
  let [err] = await call(sdk("not-the-key"), "putObject", { Key: "k", Body: "x" });
  assert.equal(err.statusCode, 403);
  assert.equal(err.code, "SignatureDoesNotMatch");
  assert.equal(err.message, MISMATCH);
  assert.ok(err.RequestId);
  [err] = await call(sdk(), "getObject", { Key: "missing" });
  assert.equal(err.statusCode, 404);
  assert.equal(err.code, "NoSuchKey");
});

const url = (params) =>
  new Promise((resolve, reject) =>
    sdk().getObjectUrl({ Bucket: BUCKET, Region: REGION, Sign: true, Expires: 60, ...params }, (err, data) => (err ? reject(err) : resolve(data.Url))),
  );

test("presigned PUT and GET", async () => {
  for (const key of KEYS) {
    let r = await send(await url({ Key: key, Method: "PUT" }), { method: "PUT", body: key });
    assert.equal(r.status, 200, `${key}: ${r.body}`);
    r = await send(await url({ Key: key, Method: "GET" }));
    assert.equal(r.status, 200, key);
    assert.equal(r.body, key);
  }
  // The same objects through the S3 API.
  const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: SK } });
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEYS[1] }));
  assert.equal(await out.Body.transformToString(), KEYS[1]);
  console.log(`cos-nodejs-sdk-v5  getObjectUrl PUT/GET  ok  ${KEYS.length} keys`);
});

test("presigned failures: tampered, another key, a signed header changed, a dropped port, expired", async () => {
  await call(sdk(), "putObject", { Key: "k", Body: "v" });
  const get = await url({ Key: "k", Method: "GET" });
  assert.equal((await send(get)).status, 200);
  const el = cosError(await send(get.replace("q-signature=", "q-signature=0")), 403, "SignatureDoesNotMatch", MISMATCH);
  assert.match(el("FormatString"), /^get\n\/k\n/);
  cosError(await send(get.replace("/k?", "/j?")), 403, "SignatureDoesNotMatch", MISMATCH);
  const typed = await url({ Key: "up", Method: "PUT", Headers: { "Content-Type": "text/plain" } });
  assert.equal((await send(typed, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" })).status, 200);
  cosError(await send(typed, { method: "PUT", headers: { "content-type": "image/png" }, body: "x" }), 403, "SignatureDoesNotMatch");
  // This SDK signs the host with its port: the same URL sent without the port fails.
  const u = new URL(get);
  const r = await new Promise((resolve) => {
    http
      .request({ host: "127.0.0.1", port, path: u.pathname + u.search, headers: { host: u.hostname } }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      })
      .end();
  });
  cosError(r, 403, "SignatureDoesNotMatch", MISMATCH);
  // Expired through the server's clock.
  const clock = await fetch(`${endpoint}/_s3strict/clock`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ offset_seconds: 120 }),
  });
  assert.equal(clock.status, 200);
  cosError(await send(get), 403, "AccessDenied", "Request has expired");
  await fetch(`${endpoint}/_s3strict/clock`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"real": true}' });
  console.log("cos-nodejs-sdk-v5  presigned failures (tampered, key, header, port, expiry)  ok");
});

test("presigned response overrides and unsigned parameters", async () => {
  await call(sdk(), "putObject", { Key: "k", Body: "v" });
  const disposition = 'attachment; filename="a b+c.txt"';
  const signed = await url({ Key: "k", Method: "GET", Query: { "response-content-disposition": disposition } });
  let r = await send(signed);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers["content-disposition"], disposition);
  // A parameter added to the URL is not signed: the server refuses to act on it.
  const get = await url({ Key: "k", Method: "GET" });
  assert.equal((await send(`${get}&foo=bar`)).status, 200);
  cosError(await send(`${get}&acl`), 403, "AccessDenied", "There were query parameters present in the request which were not signed: acl");
  console.log("cos-nodejs-sdk-v5  presigned response overrides, unsigned parameters  ok");
});
