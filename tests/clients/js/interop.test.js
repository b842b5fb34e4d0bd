// Interop with the AWS SDK for JavaScript v3 and lib-storage, with their defaults (flexible
// checksums on): a real s3strict process, every round trip comparing bytes and ETag, and the
// SDK's presigned URLs sent with fetch. Prints a per-client table at the end.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, createReadStream, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";

import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const MIB = 1024 * 1024;
const rows = [];
let server;
let s3;

const md5 = (b) => createHash("md5").update(b).digest("hex");
const multipartEtag = (data, partSize) => {
  const digests = [];
  for (let i = 0; i < data.length; i += partSize) digests.push(createHash("md5").update(data.subarray(i, i + partSize)).digest());
  return `"${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}"`;
};

before(async () => {
  const bin = process.env.S3STRICT_BIN ?? "../../../target/debug/s3strict";
  // --ephemeral: the data directory goes when the server stops.
  server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--ephemeral"], { stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: server.stdout });
    rl.once("line", resolve);
    server.once("exit", (code) => reject(new Error(`s3strict exited with ${code}`)));
  });
  assert.match(line, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  s3 = new S3Client({
    endpoint: line.replace("listening on ", ""),
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: "jsbucket" }));
});

after(() => {
  server?.kill("SIGTERM");
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log("\ninterop round trips (bytes and ETag compared)");
  for (const [op, detail] of rows) console.log(`js-sdk-v3  ${op.padEnd(width)}  ok  ${detail}`);
});

async function getBytes(key) {
  const out = await s3.send(new GetObjectCommand({ Bucket: "jsbucket", Key: key, ChecksumMode: "ENABLED" }));
  return { body: Buffer.from(await out.Body.transformToByteArray()), etag: out.ETag };
}

test("PutObject with a string, a Buffer and a stream", async () => {
  const text = "héllo from JS ✓";
  let put = await s3.send(new PutObjectCommand({ Bucket: "jsbucket", Key: "string", Body: text }));
  assert.equal(put.ETag, `"${md5(Buffer.from(text))}"`);
  let got = await getBytes("string");
  assert.equal(got.body.toString(), text);
  assert.equal(got.etag, put.ETag);

  const buf = randomBytes(200_000);
  put = await s3.send(new PutObjectCommand({ Bucket: "jsbucket", Key: "buffer", Body: buf }));
  got = await getBytes("buffer");
  assert.ok(got.body.equals(buf));
  assert.equal(got.etag, `"${md5(buf)}"`);

  const dir = mkdtempSync(join(tmpdir(), "s3strict-js-file-"));
  const file = join(dir, "f.bin");
  const data = randomBytes(3 * MIB + 7);
  writeFileSync(file, data);
  put = await s3.send(
    new PutObjectCommand({ Bucket: "jsbucket", Key: "stream", Body: createReadStream(file), ContentLength: statSync(file).size }),
  );
  got = await getBytes("stream");
  assert.ok(got.body.equals(data));
  assert.equal(got.etag, `"${md5(data)}"`);
  rmSync(dir, { recursive: true, force: true });
  rows.push(["PutObject string / Buffer / fs stream + GetObject", "3 MiB stream"]);
});

test("lib-storage Upload of 20 MiB", async () => {
  const data = randomBytes(20 * MIB);
  const upload = new Upload({ client: s3, params: { Bucket: "jsbucket", Key: "big", Body: Readable.from([data]) }, partSize: 5 * MIB });
  const out = await upload.done();
  const expected = multipartEtag(data, 5 * MIB);
  assert.equal(out.ETag, expected);
  const head = await s3.send(new HeadObjectCommand({ Bucket: "jsbucket", Key: "big" }));
  assert.equal(head.ContentLength, data.length);
  const got = await getBytes("big");
  assert.ok(got.body.equals(data));
  rows.push(["Upload 20 MiB (multipart) + GetObject", expected]);
});

test("presigned PUT (with the SDK's baked-in CRC32) and GET, sent with fetch", async () => {
  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "jsbucket", Key: "presigned" }), { expiresIn: 300 });
  assert.match(putUrl, /x-amz-checksum-crc32=AAAAAA%3D%3D/, "current SDKs sign the CRC32 of an empty body");
  const body = "uploaded through a presigned URL";
  let r = await fetch(putUrl, { method: "PUT", body });
  assert.equal(r.status, 200, await r.text());
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "jsbucket", Key: "presigned" }), { expiresIn: 300 });
  r = await fetch(getUrl);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), body);
  assert.equal(r.headers.get("etag"), `"${md5(Buffer.from(body))}"`);
  rows.push(["getSignedUrl PUT (x-amz-checksum-crc32 in query) + GET via fetch", ""]);
});

test("a tampered presigned URL fails with S3's error", async () => {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "jsbucket", Key: "presigned" }), { expiresIn: 300 });
  const r = await fetch(url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"));
  assert.equal(r.status, 403);
  const text = await r.text();
  assert.match(text, /<Code>SignatureDoesNotMatch<\/Code>/);
  assert.match(text, /<CanonicalRequest>GET\n\/jsbucket\/presigned\n/);
  rows.push(["tampered presigned GET -> 403 SignatureDoesNotMatch", ""]);
});
