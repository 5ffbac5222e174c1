// The imagerec web page: uploads images to the balancer's POST /v1/recognize, at most a few at a
// time, and draws the workers and the last minute from the read-only /api endpoints. Every piece
// of data (file names, labels, worker names, messages) goes into the page as text, never as markup.
"use strict";

const MAX_PARALLEL = 3;
const REFRESH_MS = 1000;

const state = {
  token: sessionStorage.getItem("imagerec.token") || "",
  adminToken: sessionStorage.getItem("imagerec.adminToken") || "",
  info: { max_upload_bytes: 4 * 1024 * 1024, formats: [], token_required: false, workers_panel: true },
  queue: [],
  running: 0,
  results: [],
  nextId: 1,
};

const $ = (id) => document.getElementById(id);

function authHeaders(token) {
  return token ? { Authorization: "Bearer " + token } : {};
}

async function getJson(path, token) {
  const response = await fetch(path, { headers: authHeaders(token), cache: "no-store" });
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  return { status: response.status, body };
}

function megabytes(bytes) {
  return (bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 2 : 1) + " MB";
}

// ---- tokens ----------------------------------------------------------------------------------

function askForToken(message) {
  $("token-form").hidden = false;
  const error = $("token-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("token-input").focus();
}

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.token = $("token-input").value.trim();
  sessionStorage.setItem("imagerec.token", state.token);
  if (await loadModels()) {
    $("token-form").hidden = true;
    $("token-input").value = "";
    retryUnauthorised();
  }
});

$("admin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.adminToken = $("admin-input").value.trim();
  sessionStorage.setItem("imagerec.adminToken", state.adminToken);
  $("admin-input").value = "";
  $("admin-form").hidden = true;
  refreshWorkers();
});

// ---- models ----------------------------------------------------------------------------------

async function loadModels() {
  let answer;
  try {
    answer = await getJson("/api/models", state.token);
  } catch (e) {
    setStatus("Could not reach the balancer.");
    return false;
  }
  if (answer.status === 401) {
    askForToken(state.token ? "That token was refused." : "");
    return false;
  }
  if (answer.status !== 200) {
    setStatus("No models yet: " + message(answer.body, answer.status));
    return false;
  }
  const select = $("model");
  const chosen = select.value;
  select.replaceChildren(new Option("default (" + (answer.body.default_model || "?") + ")", ""));
  for (const model of answer.body.models || []) {
    const kind = model.kind ? " · " + model.kind : "";
    select.append(new Option(model.name + (model.version ? " v" + model.version : "") + kind, model.name));
  }
  select.value = chosen;
  if (select.selectedIndex < 0) {
    select.value = "";
  }
  return true;
}

// ---- uploads ---------------------------------------------------------------------------------

function setStatus(text) {
  $("status").textContent = text;
}

function updateButtons() {
  const any = state.results.length > 0;
  $("download-json").disabled = !state.results.some((r) => r.finished);
  $("download-csv").disabled = !state.results.some((r) => r.finished);
  $("clear").disabled = !any || state.running > 0;
  const waiting = state.queue.length + state.running;
  setStatus(waiting > 0 ? waiting + " image" + (waiting === 1 ? "" : "s") + " on the way" : "");
}

function addFiles(files) {
  for (const file of files) {
    const result = { id: "web-" + state.nextId++, file: file.name || "pasted image", finished: false };
    result.card = makeCard(file, result);
    state.results.push(result);
    if (file.size > state.info.max_upload_bytes) {
      fail(result, "Too large", megabytes(file.size) + "; the limit is " + megabytes(state.info.max_upload_bytes) + ".");
      continue;
    }
    state.queue.push({ file, result });
  }
  pump();
  updateButtons();
}

function makeCard(file, result) {
  const card = $("card-template").content.firstElementChild.cloneNode(true);
  card.id = result.id;
  card.dataset.state = "waiting";
  card.querySelector(".name").textContent = result.file;
  const img = card.querySelector("img");
  if (file.type && file.type.startsWith("image/")) {
    img.src = URL.createObjectURL(file);
    img.alt = "thumbnail of " + result.file;
    img.addEventListener("load", () => img.classList.toggle("pixelated", img.naturalWidth < 72));
  } else {
    img.remove();
  }
  $("cards").prepend(card);
  return card;
}

function pump() {
  while (state.running < MAX_PARALLEL && state.queue.length > 0) {
    const { file, result } = state.queue.shift();
    state.running++;
    send(file, result).finally(() => {
      state.running--;
      pump();
      updateButtons();
    });
  }
}

async function send(file, result) {
  result.card.dataset.state = "sending";
  result.card.querySelector(".state").textContent = "recognizing...";
  result.blob = file;
  const params = new URLSearchParams({ request_id: result.id, top_k: $("top-k").value });
  if ($("model").value) {
    params.set("model", $("model").value);
  }
  let response;
  let body = null;
  try {
    response = await fetch("/v1/recognize?" + params.toString(), {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/octet-stream" }, authHeaders(state.token)),
      body: file,
    });
    body = await response.json().catch(() => null);
  } catch (e) {
    fail(result, "Could not reach the balancer", "");
    return;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    if (response.status === 401) {
      result.unauthorised = true;
      askForToken(state.token ? "That token was refused." : "");
    }
    fail(result, explain(response.status, error.status), error.message || "", error.status || String(response.status));
    return;
  }
  succeed(result, body, response.headers.get("imagerec-cache"));
}

function explain(httpStatus, grpcStatus) {
  switch (grpcStatus || "") {
    case "INVALID_ARGUMENT": return "Not an image the workers can read";
    case "PAYLOAD_TOO_LARGE": return "Too large";
    case "RESOURCE_EXHAUSTED": return "The workers are overloaded: try again in a moment";
    case "UNAVAILABLE": return "No worker is ready to recognize it";
    case "UNAUTHENTICATED": return "Not authorised: enter the balancer's token above";
    case "DEADLINE_EXCEEDED": return "It took too long";
    case "NOT_FOUND": return "No such model";
    default: return "Failed (HTTP " + httpStatus + ")";
  }
}

function fail(result, headline, detail, code) {
  result.finished = true;
  result.error = { code: code || "CLIENT", message: detail ? headline + ": " + detail : headline };
  const card = result.card;
  card.dataset.state = "failed";
  card.classList.add("failed");
  card.querySelector(".state").textContent = headline;
  if (detail) {
    addFact(card, "Detail", detail);
  }
}

// what the balancer's response cache made of an upload (the imagerec-cache header), in words
const CACHE_OUTCOMES = {
  hit: "hit (an earlier answer)",
  coalesced: "coalesced (an identical upload's answer)",
  miss: "miss",
};

function succeed(result, response, cache) {
  result.finished = true;
  result.response = response;
  const card = result.card;
  card.dataset.state = "done";
  card.classList.add("done");
  const labels = card.querySelector(".labels");
  const classifications = response.classifications || [];
  const embedding = response.embedding || [];
  if (embedding.length > 0) {
    const norm = Math.sqrt(embedding.reduce((sum, v) => sum + v * v, 0));
    card.querySelector(".state").textContent = "embedding of " + embedding.length + " values, norm " + norm.toFixed(3);
  } else {
    card.querySelector(".state").textContent = classifications.length ? "recognized" : "no labels";
  }
  for (const c of classifications) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = c.label;
    label.title = c.label;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = ((c.score || 0) * 100).toFixed(1) + "%";
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = Math.max(0, Math.min(100, (c.score || 0) * 100)).toFixed(1) + "%";
    bar.append(fill);
    item.append(label, score, bar);
    labels.append(item);
  }
  const t = response.timings || {};
  const ms = (micros) => ((Number(micros) || 0) / 1000).toFixed(2) + " ms";
  addFact(card, "Model", (response.model || "?") + (response.model_version ? " v" + response.model_version : ""));
  addFact(card, "Worker", response.worker || "?");
  addFact(card, "Times", "decode " + ms(t.decode_micros) + ", queue " + ms(t.queue_micros)
    + ", inference " + ms(t.inference_micros) + ", total " + ms(t.total_micros));
  addFact(card, "Batch", String(t.batch_size || 1));
  if (cache) { // only when the balancer has a cache
    addFact(card, "Cache", CACHE_OUTCOMES[cache] || cache);
  }
}

function addFact(card, name, value) {
  const dt = document.createElement("dt");
  dt.textContent = name;
  const dd = document.createElement("dd");
  dd.textContent = value;
  card.querySelector(".facts").append(dt, dd);
}

function retryUnauthorised() {
  for (const result of state.results.filter((r) => r.unauthorised)) {
    result.unauthorised = false;
    result.finished = false;
    result.error = undefined;
    const card = result.card;
    card.classList.remove("failed");
    card.querySelector(".facts").replaceChildren();
    state.queue.push({ file: result.blob, result });
  }
  pump();
  updateButtons();
}

function message(body, status) {
  return (body && body.error && body.error.message) || "HTTP " + status;
}

// ---- input: drop, choose, paste ----------------------------------------------------------------

const drop = $("drop");
for (const name of ["dragenter", "dragover"]) {
  drop.addEventListener(name, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
}
for (const name of ["dragleave", "drop"]) {
  drop.addEventListener(name, () => drop.classList.remove("over"));
}
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  addFiles(event.dataTransfer.files);
});
// a file dropped beside the zone must not replace the page
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());
$("files").addEventListener("change", (event) => {
  addFiles(event.target.files);
  event.target.value = "";
});
document.addEventListener("paste", (event) => {
  const files = [...(event.clipboardData ? event.clipboardData.files : [])];
  if (files.length > 0) {
    event.preventDefault();
    addFiles(files);
  }
});

// ---- downloads -------------------------------------------------------------------------------

function finishedRows() {
  return state.results.filter((r) => r.finished).map((r) => ({
    file: r.file,
    request_id: r.id,
    ok: !r.error,
    error: r.error || null,
    response: r.response || null,
  }));
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function csvCell(value) {
  let text = value === undefined || value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) {
    text = "'" + text; // a spreadsheet would run it as a formula
  }
  return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

$("download-json").addEventListener("click", () => {
  download("imagerec-results.json", "application/json", JSON.stringify(finishedRows(), null, 2) + "\n");
});
$("download-csv").addEventListener("click", () => {
  const lines = [["file", "request_id", "status", "label", "score", "model", "model_version", "worker",
    "total_ms", "error"].join(",")];
  for (const row of finishedRows()) {
    const r = row.response || {};
    const top = (r.classifications || [])[0] || {};
    const total = r.timings ? (Number(r.timings.total_micros) || 0) / 1000 : "";
    lines.push([row.file, row.request_id, row.ok ? "OK" : row.error.code, top.label, top.score, r.model,
      r.model_version, r.worker, total, row.error ? row.error.message : ""].map(csvCell).join(","));
  }
  download("imagerec-results.csv", "text/csv", lines.join("\n") + "\n");
});
$("clear").addEventListener("click", () => {
  for (const r of state.results) {
    const img = r.card.querySelector("img");
    if (img && img.src.startsWith("blob:")) {
      URL.revokeObjectURL(img.src);
    }
  }
  state.results = [];
  $("cards").replaceChildren();
  updateButtons();
});

// ---- workers and the last minute -------------------------------------------------------------

async function refreshWorkers() {
  if (!state.info.workers_panel || !$("admin-form").hidden) {
    return;
  }
  let answer;
  try {
    answer = await getJson("/api/workers", state.adminToken || state.token);
  } catch (e) {
    $("workers-status").textContent = "Could not reach the balancer.";
    return;
  }
  if (answer.status === 401) {
    $("admin-form").hidden = false;
    $("workers-status").textContent = state.adminToken ? "That admin token was refused." : "";
    return;
  }
  if (answer.status !== 200) {
    $("workers-status").textContent = message(answer.body, answer.status);
    return;
  }
  const workers = answer.body.workers || [];
  $("workers-status").textContent = workers.length + " worker" + (workers.length === 1 ? "" : "s") + ", updated "
    + new Date().toLocaleTimeString();
  const rows = workers.map((w) => {
    const tr = document.createElement("tr");
    tr.dataset.address = w.address;
    const stateName = w.state || "STATE_UNSPECIFIED";
    const cells = [
      [w.address, ""],
      [stateName + (w.overloaded ? " (full)" : ""), "state-" + stateName],
      [(w.models || []).join(", ") || "-", ""],
      [String(w.in_flight || 0), "num"],
      [String(w.completed || 0), "num"],
      [String(w.failures || 0), "num"],
      [w.latency_ms ? Number(w.latency_ms).toFixed(2) + " ms" : "-", "num"],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) {
        td.className = cls;
      }
      tr.append(td);
    }
    return tr;
  });
  document.querySelector("#workers tbody").replaceChildren(...rows);
}

async function refreshStats() {
  let answer;
  try {
    answer = await getJson("/api/stats", state.token);
  } catch (e) {
    return;
  }
  if (answer.status !== 200) {
    return;
  }
  const minute = answer.body;
  const seconds = minute.seconds || [];
  const peak = Math.max(0, ...seconds.map((s) => s.calls));
  $("rate-now").textContent = "average " + Number(minute.calls_per_s || 0).toFixed(2) + "/s, peak " + peak + "/s";
  $("p50-now").textContent = Number(minute.p50_ms || 0).toFixed(2) + " ms";
  $("p99-now").textContent = Number(minute.p99_ms || 0).toFixed(2) + " ms";
  drawChart($("chart-rate"), [{ values: seconds.map((s) => s.calls), cls: "rate", area: true }]);
  drawChart($("chart-latency"), [
    { values: seconds.map((s) => s.p99_ms), cls: "p99" },
    { values: seconds.map((s) => s.p50_ms), cls: "p50" },
  ]);
}

function drawChart(svg, series) {
  const width = 300;
  const height = 80;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const shapes = series.map((s) => {
    const n = Math.max(1, s.values.length - 1);
    const points = s.values.map((v, i) => (i * width / n).toFixed(1) + "," + (height - 4 - (v / max) * (height - 8)).toFixed(1));
    const shape = document.createElementNS("http://www.w3.org/2000/svg", s.area ? "polygon" : "polyline");
    shape.setAttribute("points", s.area ? "0," + height + " " + points.join(" ") + " " + width + "," + height : points.join(" "));
    shape.setAttribute("class", s.cls);
    return shape;
  });
  svg.replaceChildren(...shapes);
}

// ---- start -----------------------------------------------------------------------------------

async function start() {
  try {
    const answer = await getJson("/api/info");
    if (answer.status === 200) {
      state.info = answer.body;
    }
  } catch (e) {
    setStatus("Could not reach the balancer.");
  }
  $("formats").textContent = (state.info.formats || []).join(", ") + "; up to " + megabytes(state.info.max_upload_bytes)
    + " each; " + MAX_PARALLEL + " sent at a time";
  if (!state.info.workers_panel) {
    $("workers-heading").textContent = "Activity";
    document.querySelector("#workers-panel .table-wrap").hidden = true;
  }
  await loadModels();
  refreshWorkers();
  refreshStats();
  setInterval(() => {
    refreshWorkers();
    refreshStats();
  }, REFRESH_MS);
}

start();
