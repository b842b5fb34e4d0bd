// A real browser (headless Chromium) on another origin uploads to s3strict with a presigned PUT
// and a presigned POST form, as a web app does: the CORS preflight, the upload and the response
// headers all go through the browser's own rules.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";

import { S3Client, CreateBucketCommand, PutBucketCorsCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { chromium } from "playwright-core";

let server, s3, page, browser, site, origin;

before(async () => {
  const bin = process.env.S3STRICT_BIN ?? "../../../target/debug/s3strict";
  // --ephemeral: the data directory goes when the server stops.
  server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--ephemeral"], { stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise((resolve) => createInterface({ input: server.stdout }).once("line", resolve));
  s3 = new S3Client({
    endpoint: line.replace("listening on ", ""),
    region: "us-east-1",
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: "browser" }));
  // The web app's own origin: another port, so every request to s3strict is cross-origin.
  site = createServer((_, res) => res.end("<!doctype html><title>app</title>"));
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  origin = `http://localhost:${site.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  await page.goto(origin);
});

after(async () => {
  await browser?.close();
  site?.close();
  server?.kill("SIGTERM");
});

async function browserPut(url, body) {
  return page.evaluate(async ([u, b]) => {
    try {
      const r = await fetch(u, { method: "PUT", body: b, headers: { "Content-Type": "text/plain" } });
      return { status: r.status, etag: r.headers.get("etag") };
    } catch (e) {
      return { error: String(e) };
    }
  }, [url, body]);
}

test("without CORS rules the browser blocks the upload", async () => {
  const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "browser", Key: "blocked.txt" }), { expiresIn: 300 });
  const r = await browserPut(url, "blocked");
  assert.match(r.error ?? "", /Failed to fetch/);
});

test("with CORS rules: presigned PUT and POST form from another origin", async () => {
  await s3.send(new PutBucketCorsCommand({
    Bucket: "browser",
    CORSConfiguration: { CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ["PUT", "POST", "GET"], AllowedHeaders: ["*"], ExposeHeaders: ["ETag"] }] },
  }));
  const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "browser", Key: "put.txt" }), { expiresIn: 300 });
  const r = await browserPut(url, "uploaded by chromium");
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.match(r.etag, /^"[0-9a-f]{32}"$/, "ETag exposed to the page");
  const got = await s3.send(new GetObjectCommand({ Bucket: "browser", Key: "put.txt" }));
  assert.equal(await got.Body.transformToString(), "uploaded by chromium");

  const { url: postUrl, fields } = await createPresignedPost(s3, {
    Bucket: "browser",
    Key: "forms/${filename}",
    Conditions: [["starts-with", "$key", "forms/"], ["content-length-range", 1, 1000]],
    Expires: 300,
  });
  const status = await page.evaluate(async ([u, f]) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(f)) form.append(k, v);
    form.append("file", new Blob(["posted by chromium"], { type: "text/plain" }), "note.txt");
    const res = await fetch(u, { method: "POST", body: form });
    return res.status;
  }, [postUrl, fields]);
  assert.equal(status, 204);
  const posted = await s3.send(new GetObjectCommand({ Bucket: "browser", Key: "forms/note.txt" }));
  assert.equal(await posted.Body.transformToString(), "posted by chromium");
});
