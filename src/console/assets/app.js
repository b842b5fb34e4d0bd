// The s3strict console. Plain JavaScript, no framework and no build step: the server embeds this
// file as it is. S3 work goes through the S3 API with presigned URLs the server signs for the
// page (POST /_s3strict/console/presign), so the console exercises the same paths as any SDK.
// The page lives on its own origin, apart from the objects: it sends each signed request to
// that origin (`console_path`, which the server hands to the S3 API in-process) and shares the
// S3 port's URL (`url`). Everything a user or an object supplies is put into the page as text,
// never as HTML.

const PREFIX = "/_s3strict";
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
const SHARE_MAX_SECONDS = 12 * 3600;
const POLL_MS = 2000;

// ---------------------------------------------------------------------------------------------
// Small helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children (nested arrays flattened, null skipped). */
function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const $ = (selector, root = document) => root.querySelector(selector);

function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The time of day, in this browser's time zone. */
function shortTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

function utcTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace(".000Z", "Z");
}

function timeCell(iso) {
  return h("time", { datetime: iso, title: utcTime(iso) }, localTime(iso));
}

let toastTimer;
function toast(message, kind = "ok") {
  const el = $("#toast");
  el.textContent = message;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ""; }, 4000);
}

async function copyText(text, textarea) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not a secure context (http on a LAN name) or no permission: copy the selection instead.
    if (textarea) {
      textarea.focus();
      textarea.select();
      try {
        return document.execCommand("copy");
      } catch {
        return false;
      }
    }
    return false;
  }
}

function shellQuote(s) {
  return `'${String(s).replaceAll("'", "'\\''")}'`;
}

// ---------------------------------------------------------------------------------------------
// The server's own calls and the S3 API

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(PREFIX + path, init);
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (r.status === 401 && path !== "/console/login") {
    showLogin();
  }
  if (!r.ok) throw new ApiError(r.status, data?.error ?? `${r.status} ${r.statusText}`);
  return data;
}

// An error document from S3: status, Code, Message and, when s3strict knows it, the cause.
class S3Error extends Error {
  constructor(status, code, message, cause, extra) {
    super(code ? `${code}: ${message}` : message);
    this.status = status;
    this.code = code;
    this.s3message = message;
    this.cause = cause;
    this.extra = extra ?? {};
  }
}

function xmlText(node, name) {
  return node.getElementsByTagName(name)[0]?.textContent ?? null;
}

function parseXml(text) {
  return new DOMParser().parseFromString(text, "application/xml");
}

function errorFromXml(status, text, headers) {
  const cause = headers?.get("x-s3strict-cause") ?? null;
  if (!text) return new S3Error(status, null, `HTTP ${status}`, cause);
  const doc = parseXml(text);
  const code = xmlText(doc, "Code");
  if (!code) return new S3Error(status, null, `HTTP ${status}`, cause);
  return new S3Error(status, code, xmlText(doc, "Message") ?? "", xmlText(doc, "S3strictCause") ?? cause);
}

/**
 * Presigned URLs for S3 requests: [{method, bucket, key, query: [[n, v]], headers: [[n, v]]}].
 * Each answer has `url` (on the S3 port, to share) and `console_path` (the same request on this
 * origin, to send from the page).
 */
async function presign(requests) {
  const out = [];
  for (let i = 0; i < requests.length; i += 1000) {
    const chunk = requests.slice(i, i + 1000).map((r) => ({
      method: r.method,
      bucket: r.bucket ?? "",
      key: r.key ?? "",
      query: (r.query ?? []).map(([n, v]) => [String(n), String(v)]),
      headers: r.headers ?? [],
      expires_seconds: r.expires_seconds ?? 900,
    }));
    const res = await api("/console/presign", { method: "POST", body: { requests: chunk } });
    out.push(...res.urls);
  }
  return out;
}

/** Sends one S3 request through a presigned URL; the response, or an S3Error. */
async function s3(request, { body, headers } = {}) {
  const [signed] = await presign([request]);
  const r = await fetch(signed.console_path, {
    method: request.method,
    headers: { ...Object.fromEntries(request.headers ?? []), ...(headers ?? {}) },
    body,
  });
  if (!r.ok) throw errorFromXml(r.status, request.method === "HEAD" ? "" : await r.text(), r.headers);
  return r;
}

/** A PUT with upload progress (fetch cannot report it). Resolves with status and headers. */
function xhrPut(url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [n, v] of Object.entries(headers ?? {})) xhr.setRequestHeader(n, v);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, etag: xhr.getResponseHeader("ETag") });
      } else {
        reject(errorFromXml(xhr.status, xhr.responseText, { get: (n) => xhr.getResponseHeader(n) }));
      }
    };
    xhr.onerror = () => reject(new Error("the upload was interrupted (network error)"));
    xhr.send(body);
  });
}

function describe(err) {
  if (err instanceof S3Error) {
    return err.cause ? `${err.message} (cause: ${err.cause})` : err.message;
  }
  return err?.message ?? String(err);
}

// ---------------------------------------------------------------------------------------------
// Routing: #/buckets, #/b/<bucket>?prefix=…, #/requests, #/check, #/clock

let session = null;
let stopView = () => {};

function route() {
  const hash = location.hash || "#/buckets";
  const [path, search] = hash.slice(1).split("?");
  const params = new URLSearchParams(search ?? "");
  const parts = path.split("/").filter(Boolean);
  return { view: parts[0] ?? "buckets", arg: parts[1] !== undefined ? decodeURIComponent(parts[1]) : null, params };
}

async function render() {
  if (!session) return;
  stopView();
  stopView = () => {};
  const { view, arg, params } = route();
  for (const a of document.querySelectorAll("#nav a")) {
    const current = a.dataset.view === view || (view === "b" && a.dataset.view === "buckets");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const main = $("#main");
  main.replaceChildren();
  try {
    if (view === "b" && arg) await objectsView(main, arg, params);
    else if (view === "requests") requestsView(main);
    else if (view === "check") checkView(main);
    else if (view === "clock") clockView(main);
    else await bucketsView(main);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    main.append(h("p", { class: "error", role: "alert" }, describe(err)));
  }
  refreshClockBadge();
}

// ---------------------------------------------------------------------------------------------
// Login (off loopback)

function showLogin(message) {
  session = null;
  stopView();
  $("#logout").hidden = true;
  const main = $("#main");
  const error = h("p", { class: "error", role: "alert" }, message ?? "");
  const input = h("input", { id: "token", name: "token", type: "password", required: true, autocomplete: "current-password" });
  const form = h("form", { class: "card narrow", id: "login-form" },
    h("h1", {}, "Sign in"),
    h("p", {}, "The console listens beyond loopback, so it needs the server's admin token (",
      h("code", {}, "--admin-token"), " or ", h("code", {}, "S3STRICT_ADMIN_TOKEN"), ")."),
    h("label", { for: "token" }, "Admin token"),
    input,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/console/login", { method: "POST", body: { token: input.value } });
      await start();
    } catch (err) {
      error.textContent = err.message;
      input.focus();
    }
  });
  fill(main, form);
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// Buckets

const BUCKET_RULES = [
  "3 to 63 characters long",
  "only lowercase letters, digits, dots (.) and hyphens (-)",
  "begin and end with a letter or digit",
  "no two adjacent dots, and not formatted as an IP address (192.168.5.4)",
  "not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3",
];

async function bucketsView(main) {
  const status = h("div", { class: "message", role: "alert" });
  const name = h("input", { id: "new-bucket", name: "bucket", required: true, autocomplete: "off", spellcheck: "false", placeholder: "my-bucket" });
  const form = h("form", { class: "inline-form", id: "create-bucket" },
    h("label", { for: "new-bucket" }, "New bucket name"), name,
    h("button", { type: "submit", class: "primary" }, "Create bucket"));
  const list = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, "Loading…"));
  main.append(h("h1", {}, "Buckets"), form, status, list);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.replaceChildren();
    const bucket = name.value.trim();
    try {
      await s3({ method: "PUT", bucket });
      toast(`Bucket ${bucket} created`);
      name.value = "";
      await load();
    } catch (err) {
      status.append(h("p", { class: "error" }, describe(err)));
      if (err.code === "InvalidBucketName") {
        status.append(h("p", {}, "A bucket name must be:"), h("ul", {}, BUCKET_RULES.map((r) => h("li", {}, r))));
      } else if (err.code === "BucketAlreadyOwnedByYou" || err.code === "BucketAlreadyExists") {
        status.append(h("p", {}, "Bucket names are unique across the whole server; pick another."));
      }
    }
  });

  async function remove(bucket) {
    if (!confirm(`Delete the bucket ${bucket}?`)) return;
    status.replaceChildren();
    try {
      await s3({ method: "DELETE", bucket });
      toast(`Bucket ${bucket} deleted`);
      await load();
    } catch (err) {
      status.append(h("p", { class: "error" }, describe(err)));
      if (err.code === "BucketNotEmpty") {
        status.append(h("p", {}, "S3 deletes only empty buckets: open it, select every object and delete them first."));
      }
    }
  }

  async function load() {
    const { buckets } = await api("/console/buckets");
    if (buckets.length === 0) {
      fill(list, h("p", { class: "muted" }, "No buckets yet. Create one above, or with any SDK."));
      return;
    }
    fill(list, h("table", { id: "buckets" },
      h("caption", { class: "sr-only" }, "Buckets"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col", class: "num" }, "Objects"),
        h("th", { scope: "col", class: "num" }, "Size"), h("th", { scope: "col", class: "wide" }, "Owner account"),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
      h("tbody", {}, buckets.map((b) => h("tr", {},
        h("th", { scope: "row" }, h("a", { href: `#/b/${encodeURIComponent(b.name)}` }, b.name)),
        h("td", {}, timeCell(b.created)),
        h("td", { class: "num" }, String(b.objects)),
        h("td", { class: "num" }, bytes(b.bytes)),
        h("td", { class: "wide mono" }, b.owner_account),
        h("td", {}, h("button", { type: "button", class: "quiet danger", onclick: () => remove(b.name), "aria-label": `Delete bucket ${b.name}` }, "Delete")))))));
  }
  await load();
}

// ---------------------------------------------------------------------------------------------
// Objects

function objectsHash(bucket, prefix) {
  const q = prefix ? `?prefix=${encodeURIComponent(prefix)}` : "";
  return `#/b/${encodeURIComponent(bucket)}${q}`;
}

async function objectsView(main, bucket, params) {
  const prefix = params.get("prefix") ?? "";
  const state = { tokens: [""], page: 0, selected: new Set(), pageSize: Number(params.get("max") ?? 100), loads: 0 };

  const crumbs = h("nav", { class: "crumbs", "aria-label": "Location" },
    h("a", { href: "#/buckets" }, "Buckets"), " / ",
    h("a", { href: objectsHash(bucket, "") }, bucket), " / ");
  let acc = "";
  for (const part of prefix.split("/").slice(0, -1)) {
    acc += `${part}/`;
    append(crumbs, [h("a", { href: objectsHash(bucket, acc) }, part), " / "]);
  }

  const search = h("input", { id: "search", type: "search", placeholder: "name starts with…", autocomplete: "off", spellcheck: "false" });
  const pageSize = h("select", { id: "page-size" }, [10, 100, 1000].map((n) => h("option", { value: n, selected: n === state.pageSize }, String(n))));
  const fileInput = h("input", { id: "upload-input", type: "file", multiple: true, class: "sr-only" });
  const deleteSelected = h("button", { type: "button", id: "delete-selected", class: "danger", disabled: true }, "Delete selected");
  const toolbar = h("div", { class: "toolbar" },
    h("form", { class: "inline-form", id: "search-form", role: "search" },
      h("label", { for: "search" }, "Search by prefix"), search,
      h("button", { type: "submit" }, "Search")),
    h("label", { for: "page-size" }, "Per page"), pageSize,
    h("label", { for: "upload-input", class: "button primary", tabindex: "0", id: "upload-label" }, "Upload files"), fileInput,
    deleteSelected);
  const status = h("div", { class: "message", role: "alert" });
  const uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const listing = h("div", { class: "table-wrap" });
  const pager = h("div", { class: "pager" });
  const dropzone = h("section", { class: "dropzone", id: "dropzone", "aria-label": `Objects in ${bucket}` },
    h("p", { class: "drop-hint" }, "Drop files here to upload them to ", h("code", {}, `${bucket}/${prefix}`)),
    listing, pager);
  const details = h("aside", { class: "details", id: "details", hidden: true, "aria-label": "Object details" });
  main.append(h("h1", {}, bucket), crumbs, toolbar, status, uploads, h("div", { class: "split" }, dropzone, details));

  const uploadLabel = $("#upload-label", main);
  uploadLabel.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      fileInput.click();
    }
  });
  fileInput.addEventListener("change", () => uploadFiles([...fileInput.files]).finally(() => { fileInput.value = ""; }));
  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (e) => {
      e.preventDefault();
      dropzone.classList.add("dragging");
    });
  }
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dragging"));
  dropzone.addEventListener("drop", (e) => {
    e.preventDefault();
    dropzone.classList.remove("dragging");
    uploadFiles([...(e.dataTransfer?.files ?? [])]);
  });
  $("#search-form", main).addEventListener("submit", (e) => {
    e.preventDefault();
    state.tokens = [""];
    state.page = 0;
    load();
  });
  pageSize.addEventListener("change", () => {
    state.pageSize = Number(pageSize.value);
    state.tokens = [""];
    state.page = 0;
    load();
  });
  deleteSelected.addEventListener("click", () => removeKeys([...state.selected]));

  function updateSelection() {
    deleteSelected.disabled = state.selected.size === 0;
    deleteSelected.textContent = state.selected.size ? `Delete selected (${state.selected.size})` : "Delete selected";
  }

  async function load() {
    // Only the newest listing is drawn: an older one answering late (the first page at 100 while
    // the page size changes to 10, on a busy machine) must not replace it.
    const mine = ++state.loads;
    status.replaceChildren();
    state.selected.clear();
    updateSelection();
    const query = [["list-type", "2"], ["delimiter", "/"], ["max-keys", String(state.pageSize)], ["prefix", prefix + search.value]];
    const token = state.tokens[state.page];
    if (token) query.push(["continuation-token", token]);
    let doc;
    try {
      const r = await s3({ method: "GET", bucket, query });
      doc = parseXml(await r.text());
    } catch (err) {
      if (mine === state.loads) fill(listing, h("p", { class: "error" }, describe(err)));
      return;
    }
    if (mine !== state.loads) return;
    const folders = [...doc.getElementsByTagName("CommonPrefixes")].map((p) => xmlText(p, "Prefix"));
    const objects = [...doc.getElementsByTagName("Contents")].map((c) => ({
      key: xmlText(c, "Key"), size: Number(xmlText(c, "Size")), modified: xmlText(c, "LastModified"), etag: xmlText(c, "ETag"),
    }));
    const next = xmlText(doc, "NextContinuationToken");
    state.tokens[state.page + 1] = next ?? undefined;
    if (folders.length === 0 && objects.length === 0) {
      fill(listing, h("p", { class: "muted" }, search.value ? "Nothing starts with that." : "This folder is empty. Upload files with the button or drop them here."));
    } else {
      const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select every object on this page" });
      all.addEventListener("change", () => {
        for (const box of listing.querySelectorAll("input[data-key]")) {
          box.checked = all.checked;
          if (all.checked) state.selected.add(box.dataset.key);
          else state.selected.delete(box.dataset.key);
        }
        updateSelection();
      });
      fill(listing, h("table", { id: "objects" },
        h("caption", { class: "sr-only" }, `Objects in ${bucket}/${prefix}`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "check" }, all), h("th", { scope: "col" }, "Name"),
          h("th", { scope: "col", class: "num" }, "Size"), h("th", { scope: "col", class: "wide" }, "Last modified"),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
        h("tbody", {},
          folders.map((f) => h("tr", { class: "folder" }, h("td", { class: "check" }),
            h("th", { scope: "row" }, h("a", { href: objectsHash(bucket, f) }, `${f.slice(prefix.length)}`)),
            h("td", { class: "num" }, "—"), h("td", { class: "wide" }), h("td", {}))),
          objects.map((o) => {
            const box = h("input", { type: "checkbox", "data-key": o.key, "aria-label": `Select ${o.key}` });
            box.addEventListener("change", () => {
              if (box.checked) state.selected.add(o.key);
              else state.selected.delete(o.key);
              updateSelection();
            });
            return h("tr", {}, h("td", { class: "check" }, box),
              h("th", { scope: "row" }, h("button", { type: "button", class: "link", onclick: () => showDetails(o.key) }, o.key.slice(prefix.length))),
              h("td", { class: "num" }, bytes(o.size)),
              h("td", { class: "wide" }, timeCell(o.modified)),
              h("td", { class: "row-actions" },
                h("button", { type: "button", class: "quiet wide", onclick: () => download(o.key), "aria-label": `Download ${o.key}` }, "Download"),
                h("button", { type: "button", class: "quiet", onclick: () => openShare(bucket, o.key), "aria-label": `Share ${o.key}` }, "Share"),
                h("button", { type: "button", class: "quiet danger wide", onclick: () => removeKeys([o.key]), "aria-label": `Delete ${o.key}` }, "Delete")));
          }))));
    }
    fill(pager, 
      h("button", { type: "button", id: "prev-page", disabled: state.page === 0, onclick: () => { state.page -= 1; load(); } }, "Previous page"),
      h("span", {}, `Page ${state.page + 1}`),
      h("button", { type: "button", id: "next-page", disabled: !next, onclick: () => { state.page += 1; load(); } }, "Next page"),
      h("button", { type: "button", class: "quiet", onclick: () => openShare(bucket, prefix, "PUT") }, "Share an upload URL…"));
  }

  async function showDetails(key) {
    details.hidden = false;
    fill(details, h("p", { class: "muted" }, "Loading…"));
    try {
      const r = await s3({ method: "HEAD", bucket, key, headers: [["x-amz-checksum-mode", "ENABLED"]] });
      const get = (n) => r.headers.get(n);
      const meta = [];
      const checksums = [];
      const other = [];
      for (const [n, v] of r.headers) {
        if (n.startsWith("x-amz-meta-")) meta.push([n.slice("x-amz-meta-".length), v]);
        else if (n === "x-amz-checksum-type") checksums.push(["Type", v]);
        else if (n.startsWith("x-amz-checksum-")) checksums.push([n.slice("x-amz-checksum-".length).toUpperCase(), v]);
        else if (["cache-control", "content-disposition", "content-encoding", "content-language", "expires", "x-amz-storage-class", "x-amz-version-id"].includes(n)) other.push([n, v]);
      }
      const dl = (rows) => h("dl", { class: "facts" }, rows.map(([n, v]) => [h("dt", {}, n), h("dd", { class: "mono" }, v)]));
      fill(details, 
        h("div", { class: "details-head" }, h("h2", {}, "Details"),
          h("button", { type: "button", class: "quiet", onclick: () => { details.hidden = true; }, "aria-label": "Close details" }, "Close")),
        h("p", { class: "object-name mono" }, key),
        dl([["Size", `${bytes(Number(get("content-length")))} (${get("content-length")} bytes)`], ["ETag", get("etag") ?? ""],
          ["Content-Type", get("content-type") ?? ""], ["Last modified", localTime(get("last-modified"))], ...other]),
        h("h3", {}, "Metadata"), meta.length ? dl(meta) : h("p", { class: "muted" }, "No user metadata."),
        h("h3", {}, "Checksums"), checksums.length ? dl(checksums) : h("p", { class: "muted" }, "No checksum was stored with this object."),
        h("div", { class: "actions" },
          h("button", { type: "button", onclick: () => download(key) }, "Download"),
          h("button", { type: "button", class: "primary", onclick: () => openShare(bucket, key) }, "Share with a presigned URL"),
          h("button", { type: "button", class: "danger", onclick: () => removeKeys([key]) }, "Delete")));
    } catch (err) {
      fill(details, h("p", { class: "error" }, describe(err)));
    }
  }

  async function download(key) {
    const name = key.split("/").pop() || "download";
    const [signed] = await presign([{ method: "GET", bucket, key, query: [["response-content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(name)}`]] }]);
    const a = h("a", { href: signed.console_path, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  }

  async function removeKeys(keys) {
    if (keys.length === 0) return;
    const what = keys.length === 1 ? keys[0] : `${keys.length} objects`;
    if (!confirm(`Delete ${what}? This cannot be undone.`)) return;
    status.replaceChildren();
    const signed = await presign(keys.map((key) => ({ method: "DELETE", bucket, key })));
    const failures = [];
    let next = 0;
    async function worker() {
      while (next < keys.length) {
        const i = next++;
        const r = await fetch(signed[i].console_path, { method: "DELETE" });
        if (!r.ok) failures.push([keys[i], errorFromXml(r.status, await r.text(), r.headers)]);
      }
    }
    await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
    if (failures.length) {
      status.append(h("p", { class: "error" }, `${failures.length} of ${keys.length} could not be deleted:`),
        h("ul", {}, failures.map(([k, e]) => h("li", {}, `${k}: ${describe(e)}`))));
    } else {
      toast(`Deleted ${what}`);
    }
    details.hidden = true;
    await load();
  }

  async function uploadFiles(files) {
    for (const file of files) {
      const key = prefix + file.name;
      const bar = h("progress", { max: file.size || 1, value: 0, "aria-label": `Uploading ${file.name}` });
      const note = h("span", { class: "muted" }, "waiting");
      const item = h("li", {}, h("span", { class: "mono" }, key), bar, note);
      uploads.append(item);
      const progress = (done) => {
        bar.value = done;
        note.textContent = `${bytes(done)} of ${bytes(file.size)}`;
      };
      try {
        if (file.size > MULTIPART_THRESHOLD) await uploadMultipart(bucket, key, file, progress);
        else await uploadSingle(bucket, key, file, progress);
        bar.value = file.size || 1;
        note.textContent = `uploaded ${bytes(file.size)}`;
        item.classList.add("done");
      } catch (err) {
        note.textContent = describe(err);
        item.classList.add("failed");
      }
    }
    await load();
  }

  await load();
}

async function uploadSingle(bucket, key, file, progress) {
  const [signed] = await presign([{ method: "PUT", bucket, key }]);
  await xhrPut(signed.console_path, file, { "Content-Type": file.type || "application/octet-stream" }, progress);
}

/** A multipart upload: create, the parts in order with progress, complete; abort on failure. */
async function uploadMultipart(bucket, key, file, progress) {
  const created = await s3({ method: "POST", bucket, key, query: [["uploads", ""]] },
    { headers: { "Content-Type": file.type || "application/octet-stream" } });
  const uploadId = xmlText(parseXml(await created.text()), "UploadId");
  const count = Math.ceil(file.size / PART_SIZE);
  try {
    const urls = await presign(Array.from({ length: count }, (_, i) => ({
      method: "PUT", bucket, key, query: [["partNumber", i + 1], ["uploadId", uploadId]], expires_seconds: 3600,
    })));
    const etags = [];
    for (let i = 0; i < count; i += 1) {
      const start = i * PART_SIZE;
      const part = file.slice(start, Math.min(file.size, start + PART_SIZE));
      const r = await xhrPut(urls[i].console_path, part, {}, (done) => progress(start + done));
      etags.push(r.etag);
    }
    const body = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    const done = await s3({ method: "POST", bucket, key, query: [["uploadId", uploadId]] }, { body, headers: { "Content-Type": "application/xml" } });
    const text = await done.text();
    // CompleteMultipartUpload can fail after its 200 status line: the error is in the body.
    if (parseXml(text).documentElement?.nodeName === "Error") throw errorFromXml(500, text, done.headers);
  } catch (err) {
    await s3({ method: "DELETE", bucket, key, query: [["uploadId", uploadId]] }).catch(() => {});
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Share with a presigned URL

let shareTarget = null;

function openShare(bucket, key, method = "GET") {
  shareTarget = { bucket, key };
  const dialog = $("#share");
  const form = $("#share-form");
  form.reset();
  form.elements.method.value = method;
  form.elements.key.value = key;
  $("#share-object").textContent = `${bucket}/${key}`;
  $("#share-result").hidden = true;
  $("#share-error").textContent = "";
  $("#share-copied").textContent = "";
  syncShareMethod();
  dialog.showModal();
  $("#share-amount").focus();
}

function syncShareMethod() {
  const put = $("#share-form").elements.method.value === "PUT";
  $(".put-only").hidden = !put;
}

async function createShare() {
  const form = $("#share-form");
  const error = $("#share-error");
  error.textContent = "";
  const amount = Number(form.elements.amount.value);
  const seconds = Math.round(amount * Number(form.elements.unit.value));
  if (!Number.isFinite(seconds) || seconds < 60) {
    error.textContent = "Give a duration of at least one minute.";
    return;
  }
  if (seconds > SHARE_MAX_SECONDS) {
    error.textContent = "The S3 console allows at most 12 hours. For longer (up to 7 days) sign with an SDK or s3strict presign.";
    return;
  }
  const method = form.elements.method.value;
  const key = method === "PUT" ? form.elements.key.value : shareTarget.key;
  if (!key || key.endsWith("/")) {
    error.textContent = "Name the object: a key that does not end with /.";
    return;
  }
  const contentType = form.elements.content_type.value.trim();
  const headers = method === "PUT" && contentType ? [["content-type", contentType]] : [];
  let signed;
  try {
    [signed] = await presign([{ method, bucket: shareTarget.bucket, key, headers, expires_seconds: seconds }]);
  } catch (err) {
    error.textContent = describe(err);
    return;
  }
  $("#share-object").textContent = `${shareTarget.bucket}/${key}`;
  const name = key.split("/").pop() || "object";
  const curl = method === "GET"
    ? `curl -o ${shellQuote(name)} ${shellQuote(signed.url)}`
    : `curl -X PUT -T ${shellQuote(name)}${contentType ? ` -H ${shellQuote(`Content-Type: ${contentType}`)}` : ""} ${shellQuote(signed.url)}`;
  $("#share-url").value = signed.url;
  $("#share-curl").value = curl;
  $("#share-expires-local").textContent = localTime(signed.expires_at);
  $("#share-expires-utc").textContent = utcTime(signed.expires_at);
  $("#share-result").hidden = false;
  const copied = await copyText(signed.url, $("#share-url"));
  $("#share-copied").textContent = copied ? "URL copied to the clipboard" : "Select the URL and copy it";
}

function setUpShareDialog() {
  const form = $("#share-form");
  form.addEventListener("change", (e) => {
    if (e.target.name === "method") syncShareMethod();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    createShare();
  });
  $("#share-close").addEventListener("click", () => $("#share").close());
  $("#share-copy").addEventListener("click", async () => {
    const ok = await copyText($("#share-url").value, $("#share-url"));
    $("#share-copied").textContent = ok ? "URL copied to the clipboard" : "Select the URL and copy it";
  });
  $("#share-copy-curl").addEventListener("click", async () => {
    const ok = await copyText($("#share-curl").value, $("#share-curl"));
    $("#share-copied").textContent = ok ? "curl command copied to the clipboard" : "Select the command and copy it";
  });
}

// ---------------------------------------------------------------------------------------------
// Requests: the auth decision log

function requestsView(main) {
  const filter = h("input", { id: "req-filter", type: "search", placeholder: "bucket, key, access key, code…", autocomplete: "off" });
  const verdict = h("select", { id: "req-verdict" }, h("option", { value: "" }, "all"), h("option", { value: "allowed" }, "allowed"), h("option", { value: "denied" }, "denied"));
  const mechanism = h("select", { id: "req-mechanism" }, h("option", { value: "" }, "all"),
    ["header", "query", "header-v2", "query-v2", "post-policy", "post-policy-v2", "cos-header", "cos-query", "anonymous"].map((m) => h("option", { value: m }, m)));
  const live = h("input", { id: "req-live", type: "checkbox", checked: true });
  const table = h("div", { class: "table-wrap" });
  const detail = h("aside", { class: "details", id: "req-detail", hidden: true, "aria-label": "Request details" });
  let entries = [];
  let selected = null;
  main.append(h("h1", {}, "Requests"),
    h("p", { class: "muted" }, "Every S3 request's authentication and authorization decision, newest first (the last 1000)."),
    h("div", { class: "toolbar" },
      h("label", { for: "req-filter" }, "Filter"), filter,
      h("label", { for: "req-verdict" }, "Verdict"), verdict,
      h("label", { for: "req-mechanism" }, "Mechanism"), mechanism,
      h("label", { class: "check-label" }, live, " Live"),
      h("button", { type: "button", class: "quiet", onclick: clear }, "Clear log")),
    h("div", { class: "split" }, table, detail));

  async function clear() {
    await api("/auth-log", { method: "DELETE", body: {} });
    entries = [];
    draw();
  }

  function matches(e) {
    if (verdict.value && e.verdict !== verdict.value) return false;
    if (mechanism.value && e.mechanism !== mechanism.value) return false;
    const q = filter.value.trim().toLowerCase();
    if (!q) return true;
    return [e.bucket, e.key, e.access_key, e.error_code, e.method, e.principal, e.action, e.request_id]
      .some((v) => v && String(v).toLowerCase().includes(q));
  }

  function draw() {
    const shown = entries.filter(matches);
    if (shown.length === 0) {
      fill(table, h("p", { class: "muted" }, entries.length ? "No request matches the filter." : "No requests yet."));
      return;
    }
    fill(table, h("table", { id: "requests" },
      h("caption", { class: "sr-only" }, "Requests, newest first"),
      h("thead", {}, h("tr", {}, ["Time", "Method", "Bucket / key", "Mechanism", "Access key", "Verdict", "Error"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, shown.map((e) => h("tr", { class: `${e.verdict}${selected === e.request_id ? " selected" : ""}`, "data-request-id": e.request_id },
        h("td", { class: "nowrap" }, h("button", { type: "button", class: "link", onclick: () => open(e.request_id), title: `${localTime(e.time)} (${e.time})`, "aria-label": `Details of ${e.method} ${e.bucket ?? ""}/${e.key ?? ""} at ${e.time}` }, shortTime(e.time))),
        h("td", {}, e.method),
        h("td", { class: "mono path" }, [e.bucket, e.key].filter(Boolean).join("/") || "/"),
        h("td", { class: "nowrap" }, e.mechanism ?? ""),
        h("td", { class: "mono" }, e.access_key ?? ""),
        h("td", {}, h("span", { class: `verdict ${e.verdict}` }, e.verdict)),
        h("td", {}, e.error_code ?? ""))))));
  }

  function open(id) {
    selected = id;
    const e = entries.find((x) => x.request_id === id);
    if (!e) return;
    const rows = [["Time", `${localTime(e.time)} (${e.time})`], ["Request id", e.request_id], ["Method", e.method],
      ["Bucket", e.bucket], ["Key", e.key], ["Action", e.action], ["Resource", e.resource], ["Mechanism", e.mechanism],
      ["Access key", e.access_key], ["Principal", e.principal], ["Signed headers", e.signed_headers], ["Expires", e.expires],
      ["Verdict", e.verdict], ["Decided by", e.decided_by], ["Error code", e.error_code], ["Message", e.error_message]]
      .filter(([, v]) => v !== null && v !== undefined && v !== "");
    detail.hidden = false;
    fill(detail, 
      h("div", { class: "details-head" }, h("h2", {}, e.verdict === "denied" ? "Refused request" : "Allowed request"),
        h("button", { type: "button", class: "quiet", onclick: () => { detail.hidden = true; selected = null; draw(); } }, "Close")),
      e.cause ? h("div", { class: "cause", id: "req-cause" }, h("strong", {}, "Cause: "), e.cause) : null,
      h("dl", { class: "facts" }, rows.map(([n, v]) => [h("dt", {}, n), h("dd", { class: "mono" }, v)])),
      e.canonical_request ? [h("h3", {}, "Canonical request the server computed"), h("pre", { id: "req-creq" }, e.canonical_request)] : null,
      e.string_to_sign ? [h("h3", {}, "String to sign"), h("pre", { id: "req-sts" }, e.string_to_sign)] : null);
    draw();
    detail.querySelector("h2").setAttribute("tabindex", "-1");
    detail.querySelector("h2").focus();
  }

  let loaded = false;
  async function poll() {
    try {
      // The newest entry first: the whole log (up to 1000 entries with their canonical requests)
      // is fetched only when it changed, and redrawn only then, so focus and selection stay put.
      if (loaded) {
        const [newest] = await api("/auth-log?limit=1");
        if (newest?.request_id === entries[0]?.request_id) return;
      }
      entries = await api("/auth-log?limit=1000");
      loaded = true;
      draw();
    } catch (err) {
      fill(table, h("p", { class: "error" }, describe(err)));
    }
  }
  for (const el of [filter, verdict, mechanism]) el.addEventListener("input", draw);
  poll();
  const timer = setInterval(() => { if (live.checked) poll(); }, POLL_MS);
  stopView = () => clearInterval(timer);
}

// ---------------------------------------------------------------------------------------------
// Check a URL

function checkView(main) {
  const method = h("select", { id: "check-method", name: "method" }, ["GET", "PUT", "HEAD", "DELETE", "POST"].map((m) => h("option", { value: m }, m)));
  const url = h("textarea", { id: "check-url", name: "url", rows: 4, required: true, spellcheck: "false", placeholder: "http://127.0.0.1:9000/bucket/key?X-Amz-Algorithm=…" });
  const headers = h("textarea", { id: "check-headers", name: "headers", rows: 3, spellcheck: "false", placeholder: "Content-Type: image/png" });
  const creq = h("textarea", { id: "check-creq", name: "canonical_request", rows: 5, spellcheck: "false" });
  const result = h("section", { id: "check-result", "aria-live": "polite" });
  const form = h("form", { class: "card", id: "check-form" },
    h("p", {}, "The verdict ", h("code", {}, "s3strict check-url"), " gives, judged with this server's keys, region and clock."),
    h("label", { for: "check-method" }, "Method"), method,
    h("label", { for: "check-url" }, "URL to check"), url,
    h("label", { for: "check-headers" }, "Headers the client sends (one per line, Name: value)"), headers,
    h("label", { for: "check-creq" }, "The presigner's canonical request (optional: shows where the two first differ)"), creq,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Check")));
  main.append(h("h1", {}, "Check a URL"), form, result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.replaceChildren();
    const pairs = headers.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf(":");
      return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    try {
      const r = await api("/console/check", { method: "POST", body: { url: url.value.trim(), method: method.value, headers: pairs, canonical_request: creq.value || null } });
      const facts = [["Judged at", r.judged_at], ["Mechanism", r.mechanism], ["Access key", r.access_key], ["Expires", r.expires]];
      if (!r.accepted) facts.push(["Status", String(r.status)], ["Code", r.code], ["Message", r.message]);
      fill(result,
        h("h2", { id: "check-verdict", class: r.accepted ? "ok" : "error" }, r.accepted ? "Accepted" : `Refused: ${r.status} ${r.code}`),
        r.cause ? h("div", { class: "cause" }, h("strong", {}, "Cause: "), r.cause) : null,
        r.first_difference ? h("p", {}, `First difference at line ${r.first_difference.line}, column ${r.first_difference.column}: S3 expects `,
          h("code", {}, r.first_difference.expected), ", the presigner has ", h("code", {}, r.first_difference.given)) : null,
        r.canonical_requests_agree ? h("p", {}, "The canonical requests agree: the signature was made with another secret key (or for another date or region).") : null,
        h("dl", { class: "facts" }, facts.filter(([, v]) => v).map(([n, v]) => [h("dt", {}, n), h("dd", { class: "mono" }, v)])),
        Object.entries(r.elements ?? {}).map(([n, v]) => [h("h3", {}, n), h("pre", {}, v)]));
    } catch (err) {
      result.append(h("p", { class: "error", role: "alert" }, describe(err)));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Clock

function describeClock(c) {
  if (c.mode === "frozen") return `frozen at ${c.frozen_at}`;
  if (c.mode === "offset") {
    const s = c.offset_seconds;
    const sign = s < 0 ? "−" : "+";
    const a = Math.abs(s);
    const d = Math.floor(a / 86400);
    const hh = Math.floor((a % 86400) / 3600);
    const m = Math.floor((a % 3600) / 60);
    const sec = a % 60;
    const parts = [d && `${d} d`, hh && `${hh} h`, m && `${m} min`, sec && `${sec} s`].filter(Boolean);
    return `${sign}${parts.join(" ") || "0 s"} from real time`;
  }
  return "real time";
}

async function refreshClockBadge(clock) {
  const badge = $("#clock-badge");
  try {
    const c = clock ?? (await api("/clock"));
    badge.hidden = c.mode === "real";
    badge.textContent = `Server clock: ${describeClock(c)}`;
  } catch {
    badge.hidden = true;
  }
}

function clockView(main) {
  const now = h("p", { class: "clock-now", id: "clock-now" }, "…");
  const local = h("p", { class: "muted", id: "clock-local" });
  const mode = h("p", { id: "clock-mode" });
  const error = h("p", { class: "error", role: "alert" });
  let current = null;
  const offsetInput = h("input", { id: "clock-offset", type: "number", step: "1" });
  const frozenInput = h("input", { id: "clock-frozen", type: "text", placeholder: "2026-01-01T00:00:00Z", spellcheck: "false" });
  main.append(h("h1", {}, "Clock"),
    h("p", {}, "The time s3strict judges signatures and expiry by. Move it forward to watch a presigned URL expire; S3's own clock cannot be moved."),
    h("section", { class: "card" }, h("h2", {}, "Server time (UTC)"), now, local, mode),
    h("section", { class: "card" }, h("h2", {}, "Move or freeze"),
      h("div", { class: "actions wrap" },
        h("button", { type: "button", onclick: () => move(60) }, "+1 minute"),
        h("button", { type: "button", onclick: () => move(3600) }, "+1 hour"),
        h("button", { type: "button", onclick: () => move(86400) }, "+1 day"),
        h("button", { type: "button", onclick: () => move(-3600) }, "−1 hour"),
        h("button", { type: "button", onclick: () => set({ frozen_at: current?.now }) }, "Freeze now"),
        h("button", { type: "button", class: "primary", onclick: () => set({ real: true }) }, "Back to real time")),
      h("form", { class: "inline-form", id: "offset-form" }, h("label", { for: "clock-offset" }, "Offset in seconds"), offsetInput, h("button", { type: "submit" }, "Set offset")),
      h("form", { class: "inline-form", id: "frozen-form" }, h("label", { for: "clock-frozen" }, "Freeze at (ISO 8601, UTC)"), frozenInput, h("button", { type: "submit" }, "Freeze")),
      error));
  $("#offset-form", main).addEventListener("submit", (e) => {
    e.preventDefault();
    set({ offset_seconds: Math.trunc(Number(offsetInput.value)) });
  });
  $("#frozen-form", main).addEventListener("submit", (e) => {
    e.preventDefault();
    set({ frozen_at: frozenInput.value.trim() });
  });

  async function move(seconds) {
    if (!current) return;
    if (current.mode === "frozen") {
      const at = new Date(new Date(current.frozen_at).getTime() + seconds * 1000);
      await set({ frozen_at: at.toISOString().replace(".000Z", "Z") });
    } else {
      await set({ offset_seconds: current.offset_seconds + seconds });
    }
  }

  async function set(change) {
    error.textContent = "";
    try {
      show(await api("/clock", { method: "PUT", body: change }));
      toast(`Server clock: ${describeClock(current)}`);
    } catch (err) {
      error.textContent = describe(err);
    }
  }

  function show(c) {
    current = c;
    now.textContent = c.now;
    local.textContent = `${localTime(c.now)} in this browser's time zone`;
    mode.textContent = `Mode: ${describeClock(c)}`;
    if (document.activeElement !== offsetInput) offsetInput.value = String(c.offset_seconds);
    refreshClockBadge(c);
  }

  async function poll() {
    try {
      show(await api("/clock"));
    } catch (err) {
      error.textContent = describe(err);
    }
  }
  poll();
  const timer = setInterval(poll, 1000);
  stopView = () => clearInterval(timer);
}

// ---------------------------------------------------------------------------------------------
// Start

async function start() {
  try {
    session = await api("/console/session");
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      fill($("#main"), h("p", { class: "error", role: "alert" }, describe(err)));
    }
    return;
  }
  $("#logout").hidden = session.via !== "cookie";
  await render();
}

$("#logout").addEventListener("click", async () => {
  await api("/console/logout", { method: "POST", body: {} }).catch(() => {});
  showLogin("Signed out.");
});
window.addEventListener("hashchange", () => render());
setUpShareDialog();
start();
