// No script from a stored object can reach anything with authority (issue 21). A user who may
// only PutObject uploads an HTML page (by a presigned PUT and by a POST form) and a text object
// that a presigned GET serves as text/html; headless Chromium opens each from the S3 port, where
// S3 serves it as a live page, and its script tries every request with authority: mint a user,
// ask the console for root-signed URLs, move the clock, reset the store, take session
// credentials, read the users and the auth log, clear the log, and the same on the console's
// origin. Each attempt is refused and nothing changes. The console's origin serves the same
// object only as a sandboxed attachment.
//
// The server runs on loopback without an admin token: the admin endpoints are open there, the
// case a page on the same origin could abuse. Node's own fetch (used here for setup and checks)
// sends neither `Sec-Fetch-Site` nor `Origin`, so it is served like curl or an SDK.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { chromium } from "playwright-core";

const ROOT = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
let server, endpoint, consoleOrigin, root, writer, browser, context;

function client(credentials) {
  return new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", credentials });
}

/** An admin call from Node (no browser marks): status and JSON. */
async function admin(method, path, body) {
  const r = await fetch(`${endpoint}/_s3strict${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

before(async () => {
  const bin = process.env.S3STRICT_BIN ?? "../../../target/debug/s3strict";
  // The console's address by its environment variable: a free port on the S3 address's host.
  server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--ephemeral"], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, S3STRICT_CONSOLE_ADDR: ":0" },
  });
  const lines = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
  endpoint = (await lines.next()).value.replace("listening on ", "");
  // An older s3strict has no console line: the console checks then fail, the attacks still run.
  consoleOrigin = (await lines.next()).value.match(/^console on (http:\/\/[^/]+)\//)?.[1] ?? "http://127.0.0.1:9";
  root = client(ROOT);
  await root.send(new CreateBucketCommand({ Bucket: "uploads" }));
  await root.send(new PutObjectCommand({ Bucket: "uploads", Key: "keep.txt", Body: "keep me" }));
  // A least-privilege user: PutObject in the bucket (on the bucket ARN too, for servers that
  // authorize POST forms there) and nothing else.
  const created = await admin("POST", "/users", {
    name: "writer",
    policies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: ["arn:aws:s3:::uploads", "arn:aws:s3:::uploads/*"] }] }],
  });
  assert.equal(created.status, 201, "Node's fetch is not a browser page: " + JSON.stringify(created.json));
  writer = client({ accessKeyId: created.json.access_key_id, secretAccessKey: created.json.secret_access_key });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ acceptDownloads: true });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

/** The attack: every request with authority, from the page's own origin and at the console's. */
function attackPage() {
  const script = `
const consoleOrigin = ${JSON.stringify(consoleOrigin)};
const json = (body) => ({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const mallory = { name: "mallory", policies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }] };
const tries = [
  ["mint a user", "/_s3strict/users", { method: "POST", ...json(mallory) }],
  ["root-signed URLs", "/_s3strict/console/presign", { method: "POST", ...json({ requests: [{ method: "DELETE", bucket: "uploads", key: "keep.txt", expires_seconds: 600 }] }) }],
  ["move the clock", "/_s3strict/clock", { method: "PUT", ...json({ offset_seconds: 86400 }) }],
  ["reset the store", "/_s3strict/reset", { method: "POST", ...json({}) }],
  ["session credentials", "/_s3strict/sessions", { method: "POST", ...json({ duration_seconds: 3600 }) }],
  ["read the users", "/_s3strict/users", {}],
  ["read the auth log", "/_s3strict/auth-log", {}],
  ["clear the auth log", "/_s3strict/auth-log", { method: "DELETE", ...json({}) }],
  ["read the clock", "/_s3strict/clock", {}],
  // The console's origin, from this one: no CORS, and refused as cross-site.
  ["console: mint a user", consoleOrigin + "/_s3strict/users", { method: "POST", mode: "no-cors", credentials: "include", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(mallory) }],
  ["console: reset", consoleOrigin + "/_s3strict/reset", { method: "POST", mode: "no-cors", credentials: "include", body: "{}" }],
  ["console: read the users", consoleOrigin + "/_s3strict/users", { credentials: "include" }],
];
(async () => {
  const results = [];
  for (const [name, url, init] of tries) {
    try {
      const r = await fetch(url, init);
      results.push({ name, status: r.status, type: r.type, body: r.type === "opaque" ? "" : await r.text() });
    } catch (e) {
      results.push({ name, error: String(e) });
    }
  }
  window.__results = results;
})();`;
  return `<!doctype html><html><head><title>totally harmless</title></head><body><h1>hello</h1><script>${script}</script></body></html>`;
}

/** Opens `url` in Chromium, lets the attack run, returns what each try got. */
async function runAttack(url) {
  const page = await context.newPage();
  try {
    await page.goto(url);
    assert.equal(new URL(page.url()).origin, endpoint, "served from the S3 port");
    assert.equal(await page.title(), "totally harmless", "S3 serves HTML as a live page");
    await page.waitForFunction(() => window.__results, null, { timeout: 20_000 });
    return await page.evaluate(() => window.__results);
  } finally {
    await page.close();
  }
}

/** Every try was refused, and refused for the reason that matters. */
function assertRefused(results, how) {
  assert.equal(results.length, 12, how);
  for (const r of results) {
    const what = `${how}: ${r.name}: ${JSON.stringify(r)}`;
    if (r.name.startsWith("console:")) {
      // No answer reaches the page (blocked by CORS, or opaque); the effect is checked below.
      assert.ok(r.error?.includes("Failed to fetch") || r.type === "opaque", what);
      continue;
    }
    const body = JSON.parse(r.body);
    if (r.name === "root-signed URLs") {
      // The console's calls are not on the S3 port at all: the answer names where they went.
      assert.equal(r.status, 404, what);
      assert.equal(body.error, `the console and its API have their own origin, apart from the objects on this port: ${consoleOrigin}/_s3strict/console/`);
      continue;
    }
    assert.equal(r.status, 403, what);
    assert.ok(body.error.startsWith("refused: a web page sent this request (Sec-Fetch-Site: same-origin)"), what);
    assert.equal(body.console, `${consoleOrigin}/_s3strict/console/`, what);
    assert.ok(body.error.endsWith(`use the console's origin, ${consoleOrigin}/_s3strict/console/, or such a client`), what);
  }
}

/** Nothing changed: the clock, the objects, the users, the auth log. */
async function assertNothingChanged(logBefore) {
  const clock = await admin("GET", "/clock");
  assert.equal(clock.status, 200);
  assert.equal(clock.json.mode, "real", JSON.stringify(clock.json));
  const users = await admin("GET", "/users");
  assert.deepEqual(users.json.users.map((u) => u.name), ["writer"]);
  const got = await root.send(new GetObjectCommand({ Bucket: "uploads", Key: "keep.txt" }));
  assert.equal(await got.Body.transformToString(), "keep me");
  const log = await admin("GET", "/auth-log");
  assert.ok(log.json.length >= logBefore, "the auth log was not cleared");
}

test("an HTML object opened from the S3 port cannot reach anything with authority", async () => {
  const html = attackPage();
  const logBefore = (await admin("GET", "/auth-log")).json.length;

  // 1. A presigned PUT by the PutObject-only user.
  const putUrl = await getSignedUrl(writer, new PutObjectCommand({ Bucket: "uploads", Key: "put.html", ContentType: "text/html" }), { expiresIn: 600 });
  const put = await fetch(putUrl, { method: "PUT", body: html, headers: { "Content-Type": "text/html" } });
  assert.equal(put.status, 200, await put.text());
  const opened = await getSignedUrl(root, new GetObjectCommand({ Bucket: "uploads", Key: "put.html" }), { expiresIn: 600 });
  assertRefused(await runAttack(opened), "presigned PUT");
  await assertNothingChanged(logBefore);

  // 2. A POST form by the same user.
  const { url, fields } = await createPresignedPost(writer, {
    Bucket: "uploads",
    Key: "form.html",
    Fields: { "Content-Type": "text/html" },
    Conditions: [["eq", "$Content-Type", "text/html"]],
    Expires: 600,
  });
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([html], { type: "text/html" }), "form.html");
  const posted = await fetch(url, { method: "POST", body: form });
  assert.equal(posted.status, 204, await posted.text());
  const formUrl = await getSignedUrl(root, new GetObjectCommand({ Bucket: "uploads", Key: "form.html" }), { expiresIn: 600 });
  assertRefused(await runAttack(formUrl), "POST form");
  await assertNothingChanged(logBefore);

  // 3. A text object, served as HTML by a presigned GET with response-content-type.
  await writer.send(new PutObjectCommand({ Bucket: "uploads", Key: "note.txt", Body: html, ContentType: "text/plain" }));
  const asHtml = await getSignedUrl(root, new GetObjectCommand({ Bucket: "uploads", Key: "note.txt", ResponseContentType: "text/html" }), { expiresIn: 600 });
  assertRefused(await runAttack(asHtml), "text as text/html");
  await assertNothingChanged(logBefore);

  const keys = (await root.send(new ListObjectsV2Command({ Bucket: "uploads" }))).Contents.map((o) => o.Key);
  assert.deepEqual(keys, ["form.html", "keep.txt", "note.txt", "put.html"]);
});

test("the console's origin serves a stored HTML object only as a sandboxed attachment", async () => {
  const page = await context.newPage();
  try {
    await page.goto(`${consoleOrigin}/_s3strict/console/#/b/uploads`);
    await page.getByRole("button", { name: "put.html", exact: true }).waitFor();
    // What the console itself sends: the presigned request on its own origin.
    const headers = await page.evaluate(async () => {
      const signed = await fetch("/_s3strict/console/presign", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ requests: [{ method: "GET", bucket: "uploads", key: "put.html", query: [["response-content-disposition", "inline"]], expires_seconds: 60 }] }),
      }).then((r) => r.json());
      const path = signed.urls[0].console_path;
      const r = await fetch(path);
      return {
        path,
        status: r.status,
        type: r.headers.get("content-type"),
        disposition: r.headers.get("content-disposition"),
        csp: r.headers.get("content-security-policy"),
        nosniff: r.headers.get("x-content-type-options"),
      };
    });
    assert.equal(headers.status, 200);
    assert.equal(headers.type, "text/html");
    assert.equal(headers.disposition, "attachment", "inline asked, attachment given");
    assert.match(headers.csp, /^sandbox/);
    assert.equal(headers.nosniff, "nosniff");
    // Opened as a page, it is a download, not a document of the console's origin.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.evaluate((p) => { location.href = p; }, headers.path),
    ]);
    assert.ok(download.suggestedFilename().length > 0);
    assert.equal(new URL(page.url()).pathname, "/_s3strict/console/", "still the console");
    await assertNothingChanged(0);
  } finally {
    await page.close();
  }
});

test("an admin answer the user opened is not in the cache for an object's page", async () => {
  // The user types admin URLs into the address bar (Sec-Fetch-Site: none): answered, not kept.
  const typed = await context.newPage();
  try {
    for (const path of ["/auth-log", "/users", "/clock"]) {
      const r = await typed.goto(`${endpoint}/_s3strict${path}`);
      assert.equal(r.status(), 200, path);
      assert.equal(r.headers()["cache-control"], "no-store", path);
    }
  } finally {
    await typed.close();
  }
  // A page from a bucket asks the browser's cache for them, same-origin.
  const script = `
(async () => {
  const results = [];
  for (const path of ["/_s3strict/auth-log", "/_s3strict/users", "/_s3strict/clock"]) {
    for (const cache of ["only-if-cached", "force-cache"]) {
      try {
        const r = await fetch(path, { cache, mode: "same-origin" });
        results.push({ path, cache, status: r.status, body: await r.text() });
      } catch (e) {
        results.push({ path, cache, error: String(e) });
      }
    }
  }
  window.__results = results;
})();`;
  const html = `<!doctype html><html><head><title>totally harmless</title></head><body><script>${script}</script></body></html>`;
  await writer.send(new PutObjectCommand({ Bucket: "uploads", Key: "cache.html", Body: html, ContentType: "text/html" }));
  const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: "uploads", Key: "cache.html" }), { expiresIn: 600 });
  const results = await runAttack(url);
  assert.equal(results.length, 6);
  for (const r of results) {
    const what = JSON.stringify(r);
    if (r.cache === "only-if-cached") {
      // Nothing in the cache: the browser fails the request without sending it.
      assert.ok(r.error?.includes("Failed to fetch") || r.status === 504, what);
    } else {
      // Not in the cache either: sent, and refused as a page's request.
      assert.equal(r.status, 403, what);
      assert.ok(JSON.parse(r.body).error.startsWith("refused: a web page sent this request (Sec-Fetch-Site: same-origin)"), what);
    }
  }
});

test("with a --domain browsers do not mark, an object's page reads nothing from the admin endpoints", async () => {
  // Chromium sends no Sec-Fetch-* headers to http://s3.test (not a secure context): a page there
  // makes same-origin GETs that look like curl's. The server asks for the token instead.
  const bin = process.env.S3STRICT_BIN ?? "../../../target/debug/s3strict";
  const named = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--ephemeral", "--console-addr", "off", "--domain", "s3.test"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let other;
  try {
    const lines = createInterface({ input: named.stdout })[Symbol.asyncIterator]();
    const local = (await lines.next()).value.replace("listening on ", "");
    const port = new URL(local).port;
    const at = (endpoint) => new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", credentials: ROOT });
    const s3 = at(local);
    await s3.send(new CreateBucketCommand({ Bucket: "pages" }));
    const script = `
(async () => {
  const results = [];
  for (const [method, path, body] of [["GET", "/_s3strict/auth-log"], ["GET", "/_s3strict/users"], ["GET", "/_s3strict/clock"], ["PUT", "/_s3strict/clock", '{"offset_seconds":99}']]) {
    try {
      const r = await fetch(path, { method, body, headers: body ? { "Content-Type": "application/json" } : {} });
      results.push({ method, path, status: r.status, body: await r.text() });
    } catch (e) {
      results.push({ method, path, error: String(e) });
    }
  }
  window.__results = results;
})();`;
    const html = `<!doctype html><html><head><title>named</title></head><body><script>${script}</script></body></html>`;
    await s3.send(new PutObjectCommand({ Bucket: "pages", Key: "atk.html", Body: html, ContentType: "text/html" }));
    const url = await getSignedUrl(at(`http://s3.test:${port}`), new GetObjectCommand({ Bucket: "pages", Key: "atk.html" }), { expiresIn: 600 });
    other = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP s3.test 127.0.0.1"],
    });
    const page = await other.newPage();
    const marks = [];
    page.on("request", async (r) => marks.push([r.url(), (await r.allHeaders())["sec-fetch-site"] ?? null]));
    await page.goto(url);
    assert.equal(new URL(page.url()).host, `s3.test:${port}`);
    assert.equal(await page.title(), "named", "served as a live page");
    await page.waitForFunction(() => window.__results, null, { timeout: 20_000 });
    const results = await page.evaluate(() => window.__results);
    assert.equal(results.length, 4);
    for (const r of results) {
      const what = JSON.stringify(r);
      assert.equal(r.status, 403, what);
      const error = JSON.parse(r.body).error;
      if (r.method === "GET") {
        // The browser marked nothing: refused for the name it was sent to.
        assert.equal(error, `refused: browsers send no Sec-Fetch-Site to http://s3.test (not a secure context), so on this port a page served from a bucket under that name could not be told from curl; without the admin token, /_s3strict/ here answers only requests addressed to localhost or a loopback address: use http://127.0.0.1:${port}/_s3strict/ (or the admin token)`, what);
      } else {
        assert.ok(error.startsWith(`refused: a web page sent this request (Origin: http://s3.test:${port})`), what);
      }
    }
    assert.ok(marks.filter(([u]) => u.includes("/_s3strict/")).every(([, site]) => site === null), "no Sec-Fetch-Site was sent: " + JSON.stringify(marks));
    // Node's fetch (and curl, SDKs) by the loopback address are served as ever; nothing moved.
    const clock = await (await fetch(`${local}/_s3strict/clock`)).json();
    assert.equal(clock.mode, "real");
  } finally {
    await other?.close();
    named.kill("SIGTERM");
  }
});
