// `npm run bench`: facegate against @vladmandic/human and @vladmandic/face-api (both on
// tfjs's wasm backend, SIMD, one thread) in Debian's Chromium, on the same frames (LFW pairs,
// each photo centred on a 640x480 grey frame). Prints one JSON line: per library the cold start
// (navigation → first verify result, in a fresh profile, median of --cold runs; `readyMs`: when
// its code and models were ready), the median and
// p90 ms per verified frame over --rounds interleaved passes in one page, faces found, matches,
// and the gzip -6 bytes of everything the cold page fetched for it; then the peer/facegate ratios.
// Options: --pairs N (default 10) --rounds N (default 5) --cold N (default 3).
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { lfw, root, serve, withBrowser } from "../e2e/harness.mjs";

const { values } = parseArgs({ options: {
  pairs: { type: "string", default: "10" }, rounds: { type: "string", default: "5" }, cold: { type: "string", default: "3" },
} });
const [pairCount, rounds, colds] = [values.pairs, values.rounds, values.cold].map(Number);
const names = ["facegate", "human", "faceapi"];

/** LFW's same-person pairs (pairs.txt), as page URLs. */
function pairs() {
  const lines = readFileSync(join(lfw, "pairs.txt"), "utf8").split("\n").slice(1).map((l) => l.trim().split(/\s+/));
  const url = (name, n) => `/lfw/${name}/${name}_${n.padStart(4, "0")}.jpg`;
  return lines.filter((f) => f.length === 3).map(([name, a, b]) => [url(name, a), url(name, b)]);
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  return s[Math.floor(at)] + (s[Math.ceil(at)] - s[Math.floor(at)]) * (at - Math.floor(at));
}
const round1 = (x) => Math.round(x * 10) / 10;

let fetched = null;
const files = new Map();
const server = await serve({ "/pkg/": join(root, "pkg"), "/node_modules/": join(root, "node_modules"),
  "/bench/": join(root, "tests/bench"), "/lfw/": lfw }, (path, file) => {
  if (fetched && (path.startsWith("/pkg/") || path.startsWith("/node_modules/"))) fetched.add(file);
});

/** Runs `fn(page)` on the bench page in a fresh Chromium profile (nothing cached). */
async function onPage(fn) {
  const profile = mkdtempSync(join(tmpdir(), "facegate-bench-"));
  try {
    return await withBrowser(profile, null, async (context) => {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${server.url}/bench/page.html`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      try {
        return await fn(page);
      } catch (e) {
        throw new Error(`${e.message}\n${errors.join("\n")}`);
      }
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const out = Object.fromEntries(names.map((n) => [n, { coldMs: [], readyMs: [], frames: [] }]));
let chosen;
try {
  // The first --pairs pairs whose two frames show one face each (LFW photos may show bystanders).
  const candidates = pairs().slice(0, pairCount * 2);
  const single = await onPage((page) => page.evaluate((p) => window.bench.single(p), candidates));
  chosen = candidates.filter((_, i) => single[i]).slice(0, pairCount);
  if (chosen.length < pairCount) throw new Error(`only ${chosen.length} of ${candidates.length} pairs show one face`);
  // Cold starts, libraries interleaved; what each fetched is gzipped once.
  for (let r = 0; r < colds; r++) {
    for (const name of names.map((_, i) => names[(i + r) % names.length])) {
      fetched = new Set();
      const { ms, readyMs, first } = await onPage((page) => page.evaluate(([n, p]) => window.bench.cold(n, p), [name, chosen[0]]));
      out[name].coldMs.push(ms);
      out[name].readyMs.push(readyMs);
      out[name].firstMatched ??= first.same;
      out[name].gzipBytes ??= [...fetched].reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 6 }).length, 0);
      fetched = null;
    }
  }
  // Per frame: one page, every library loaded and warmed by a first pass, then interleaved passes.
  await onPage(async (page) => {
    for (const name of names) {
      await page.evaluate(([n, p]) => window.bench.prepare(n, p), [name, chosen]);
      await page.evaluate((n) => window.bench.pass(n), name);
    }
    for (let r = 0; r < rounds; r++) {
      for (const name of names.map((_, i) => names[(i + r) % names.length])) {
        out[name].frames.push(...(await page.evaluate((n) => window.bench.pass(n), name)));
      }
    }
    out.browser = await page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0]);
  });
} finally {
  await server.close();
}

const libs = Object.fromEntries(names.map((name) => {
  const { coldMs, readyMs, frames, gzipBytes, firstMatched } = out[name];
  const ms = frames.map((f) => f[0]);
  const lastPass = frames.slice(-chosen.length);
  return [name, {
    coldStartMs: round1(median(coldMs)), coldStartRunsMs: coldMs.map(round1), readyMs: round1(median(readyMs)),
    perFrameMedianMs: round1(median(ms)), perFrameP90Ms: round1(quantile(ms, 0.9)),
    facesFound: lastPass.filter((f) => f[1] > 0).length, matched: lastPass.filter((f) => f[2]).length,
    frames: chosen.length, firstMatched, downloadGzipBytes: gzipBytes,
  }];
}));
const ratio = (key, peer) => Math.round((libs[peer][key] / libs.facegate[key]) * 100) / 100;
const ratios = Object.fromEntries(["human", "faceapi"].map((peer) => [peer, {
  perFrame: ratio("perFrameMedianMs", peer), coldStart: ratio("coldStartMs", peer), download: ratio("downloadGzipBytes", peer),
}]));
console.log(JSON.stringify({ browser: out.browser, pairs: chosen.length, rounds, coldRuns: colds, libs, ratios }));
