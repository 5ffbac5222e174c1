// Drives the balancer's web page in a real browser (Debian's Chromium through playwright-core) for
// WebPageTest, which starts the cluster and reads this script's output. One scenario per run:
//
//   node page-test.mjs page    # uploads, errors, escaping, downloads, the workers panel, a phone's width
//   node page-test.mjs token   # a balancer with a client and an admin token
//
// Environment: IMAGEREC_URL (the page), IMAGEREC_SAMPLES (the samples folder), IMAGEREC_WORKERS (how
// many workers), IMAGEREC_TOKEN and IMAGEREC_ADMIN_TOKEN (token scenario), IMAGEREC_SCREENSHOT (where
// to save a screenshot, optional). For the drain step it prints "DRAIN <address>" and waits for a
// line on its standard input once the test has drained that worker. Exits 0 when every check held.
import { chromium } from "playwright-core";
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const scenario = process.argv[2];
const url = process.env.IMAGEREC_URL;
const samples = process.env.IMAGEREC_SAMPLES;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 30_000;

function check(condition, what) {
  if (!condition) {
    throw new Error("check failed: " + what);
  }
  console.log("ok   " + what);
}

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function cardsDone(page, n) {
  await page.waitForFunction((n) => {
    const cards = [...document.querySelectorAll(".card")];
    return cards.length === n && cards.every((c) => c.dataset.state === "done" || c.dataset.state === "failed");
  }, n, { timeout: TIMEOUT });
}

async function card(page, fileName) {
  return page.evaluate((fileName) => {
    const c = [...document.querySelectorAll(".card")].find((c) => c.querySelector(".name").textContent === fileName);
    if (!c) {
      return null;
    }
    const top = c.querySelector(".labels li .label");
    return {
      state: c.dataset.state,
      headline: c.querySelector(".state").textContent,
      top: top ? top.textContent : null,
      facts: c.querySelector(".facts").textContent,
      nameChildren: c.querySelector(".name").children.length,
    };
  }, fileName);
}

async function dropFile(page, path, name, type) {
  const bytes = [...readFileSync(path)];
  const transfer = await page.evaluateHandle(({ bytes, name, type }) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], name, { type }));
    return data;
  }, { bytes, name, type });
  await page.dispatchEvent("#drop", "drop", { dataTransfer: transfer });
}

async function pageScenario(browser, dir) {
  const notes = join(dir, "notes.txt");
  writeFileSync(notes, "these are notes, not an image\n");
  const hostile = join(dir, "<img src=x onerror=alert(1)>.png");
  const picked = ["bag", "trouser", "sneaker"].map((kind) => {
    const copy = join(dir, kind + "-0.png");
    copyFileSync(join(samples, kind + "/0.png"), copy);
    return copy;
  });
  copyFileSync(join(samples, "dress/0.png"), hostile);

  const page = await browser.newPage();
  const alerts = [];
  page.on("dialog", (d) => { alerts.push(d.message()); d.dismiss(); });
  const failedRequests = [];
  page.on("requestfailed", (r) => failedRequests.push(r.url()));
  await page.goto(url, { waitUntil: "load" });
  const timing = await page.evaluate(() => {
    const t = performance.getEntriesByType("navigation")[0];
    return { load: t.loadEventEnd, bytes: performance.getEntriesByType("resource").reduce((sum, r) => sum + r.transferSize, t.transferSize) };
  });
  console.log("page loaded in " + timing.load.toFixed(0) + " ms (navigation timing, to the load event), "
    + timing.bytes + " bytes transferred");
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 1, null, { timeout: TIMEOUT });
  check(await page.locator("#token-form").isHidden(), "no token is asked for when the balancer needs none");
  check((await page.textContent("#formats")).includes("PNG"), "the page says which formats it takes");

  // three images picked with the file dialog, a text file among them
  await page.setInputFiles("#files", [picked[0], picked[1], notes, picked[2]]);
  await cardsDone(page, 4);
  const cards = await page.evaluate(() => [...document.querySelectorAll(".card")].map((c) => ({
    state: c.dataset.state, top: (c.querySelector(".labels li .label") || {}).textContent || null,
    name: c.querySelector(".name").textContent, facts: c.querySelector(".facts").textContent })));
  const images = cards.filter((c) => c.name.endsWith("-0.png"));
  check(images.length === 3 && images.every((c) => c.state === "done"), "three image cards recognized");
  for (const [name, label] of [["bag-0.png", "Bag"], ["trouser-0.png", "Trouser"], ["sneaker-0.png", "Sneaker"]]) {
    const c = images.find((c) => c.name === name);
    check(c && c.top === label, name + " is recognized as " + label + ": " + (c && c.top));
  }
  check(images.every((c) => /Worker/.test(c.facts) && /inference/.test(c.facts) && /Batch/.test(c.facts)),
    "each card shows the model, the worker, the timings and the batch");
  const text = await card(page, "notes.txt");
  check(text.state === "failed" && text.headline === "Not an image the workers can read",
    "the text file's card shows its error in words: " + text.headline);

  // one dropped, with a file name that is markup
  await dropFile(page, hostile, "<img src=x onerror=alert(1)>.png", "image/png");
  await cardsDone(page, 5);
  const dropped = await card(page, "<img src=x onerror=alert(1)>.png");
  check(dropped && dropped.state === "done" && dropped.top === "Dress", "a dropped image is recognized: " + (dropped && dropped.top));
  check(dropped.nameChildren === 0 && alerts.length === 0, "a file name is shown as text, never run as markup");

  // one pasted from the clipboard: the bag again, which the balancer's cache answers
  const bag = [...readFileSync(join(samples, "bag/0.png"))];
  await page.evaluate((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], "pasted-bag.png", { type: "image/png" }));
    document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
  }, bag);
  await cardsDone(page, 6);
  const pasted = await card(page, "pasted-bag.png");
  check(pasted && pasted.state === "done" && pasted.top === "Bag", "a pasted image is recognized: " + (pasted && pasted.top));
  check(/Cache/.test(pasted.facts) && /hit/.test(pasted.facts) && /miss/.test(images.find((c) => c.name === "bag-0.png").facts),
    "the cards say the cache answered the second bag and a worker the first: " + pasted.facts);

  // downloads
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-csv")]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
  check(csv.length === 7 && csv[0].startsWith("file,request_id,status,label"), "the CSV has a header and six rows");
  check(csv.some((l) => l.includes("INVALID_ARGUMENT")) && csv.some((l) => l.includes(",Bag,")),
    "the CSV carries results and the error");
  const [json] = await Promise.all([page.waitForEvent("download"), page.click("#download-json")]);
  const rows = JSON.parse(readFileSync(await json.path(), "utf8"));
  check(rows.length === 6 && rows.filter((r) => r.ok).length === 5, "the JSON download has the six results");

  // the workers panel and the last minute
  const expected = Number(process.env.IMAGEREC_WORKERS);
  await page.waitForFunction((n) => {
    const states = [...document.querySelectorAll("#workers tbody tr td:nth-child(2)")].map((td) => td.textContent);
    return states.length === n && states.every((s) => s === "SERVING");
  }, expected, { timeout: TIMEOUT });
  check(true, "the workers panel lists " + expected + " workers, all SERVING");
  // the page's recognitions show in the chart once their second is whole
  await page.waitForFunction(() => /peak [1-9]/.test(document.querySelector("#rate-now").textContent)
    && document.querySelectorAll("#chart-rate polygon").length === 1, null, { timeout: TIMEOUT });
  // the last of the six shows once its second is whole
  let stats = null;
  let counted = 0;
  const until = Date.now() + 10_000;
  while (true) {
    stats = await page.evaluate(async () => (await fetch("/api/stats")).json());
    counted = stats.seconds.reduce((sum, s) => sum + s.calls, 0);
    if (counted >= 6 || Date.now() > until) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  check(counted >= 6 && stats.failures >= 1, "the last minute counts the page's recognitions: " + counted
    + " calls, " + stats.failures + " failed");

  if (process.env.IMAGEREC_SCREENSHOT) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: process.env.IMAGEREC_SCREENSHOT, fullPage: true });
    console.log("screenshot: " + process.env.IMAGEREC_SCREENSHOT);
  }

  const victim = await page.textContent("#workers tbody tr:first-child td:first-child");
  console.log("DRAIN " + victim);
  await stdinLines.next();
  await page.waitForFunction((address) => [...document.querySelectorAll("#workers tbody tr")]
    .some((tr) => tr.dataset.address === address && tr.children[1].textContent === "DRAINING"), victim, { timeout: TIMEOUT });
  check(true, "the panel shows the drained worker as DRAINING within its refresh");

  // a phone's width, and the keyboard
  await page.setViewportSize({ width: 390, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, "nothing overflows a 390-pixel-wide screen (" + overflow + " px)");
  await page.focus("#top-k");
  for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement.id === "files")); i++) {
    await page.keyboard.press("Tab");
  }
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "files"),
    "the file chooser is reached with the keyboard");
  check(failedRequests.length === 0, "no request of the page failed: " + failedRequests.join(" "));
}

async function tokenScenario(browser) {
  const token = process.env.IMAGEREC_TOKEN;
  const adminToken = process.env.IMAGEREC_ADMIN_TOKEN;
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("#token-form:not([hidden])", { timeout: TIMEOUT });
  check(true, "the page loads without a token and asks for one");
  const refused = await page.evaluate(async () => Promise.all(["/api/models", "/api/stats", "/api/workers"]
    .map(async (p) => (await fetch(p)).status)));
  check(refused.every((s) => s === 401), "the API without a token answers 401: " + refused.join(", "));
  await page.setInputFiles("#files", [join(samples, "coat/0.png")]);
  await cardsDone(page, 1);
  const before = await card(page, "0.png");
  check(before.state === "failed" && before.headline.startsWith("Not authorised"), "an upload without the token is refused: " + before.headline);

  await page.fill("#token-input", "not the token");
  await page.click("#token-form button");
  await page.waitForFunction(() => document.querySelector("#token-error").textContent.includes("refused"), null, { timeout: TIMEOUT });
  check(true, "a wrong token is refused");
  await page.fill("#token-input", token);
  await page.click("#token-form button");
  await page.waitForSelector("#token-form[hidden]", { state: "attached", timeout: TIMEOUT });
  await page.waitForFunction(() => document.querySelector(".card").dataset.state === "done", null, { timeout: TIMEOUT });
  const after = await card(page, "0.png");
  check(after.top === "Coat", "with the token the refused upload goes through: " + after.top);

  await page.waitForSelector("#admin-form:not([hidden])", { timeout: TIMEOUT });
  check(true, "the workers panel asks for the admin token separately");
  await page.fill("#admin-input", adminToken);
  await page.click("#admin-form button");
  await page.waitForFunction(() => document.querySelectorAll("#workers tbody tr").length > 0, null, { timeout: TIMEOUT });
  check(true, "with the admin token the workers panel fills");
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const scratch = mkdtempSync(join(tmpdir(), "imagerec-page-")); // the files the page scenario drops
try {
  if (scenario === "page") {
    await pageScenario(browser, scratch);
  } else if (scenario === "token") {
    await tokenScenario(browser);
  } else {
    throw new Error("unknown scenario " + scenario + "; use page or token");
  }
  console.log("PASSED " + scenario);
} catch (e) {
  console.log("FAILED " + scenario + ": " + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await browser.close();
  process.exit(process.exitCode || 0);
}
