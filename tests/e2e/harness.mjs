// Shared pieces of the browser end-to-end tests: a static server with mount points, Debian's
// Chromium through playwright-core (fake camera fed from a .y4m file), LFW paths and the CLI.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const lfw = process.env.FACEGATE_DATA ?? join(root, "../shared/datasets/lfw");
export const lfwImage = (name, n) => join(lfw, name, `${name}_${String(n).padStart(4, "0")}.jpg`);
export const cli = join(root, "target/release/facegate");

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".jpg": "image/jpeg", ".css": "text/css" };

/**
 * Serves `mounts` ({ "/url/prefix/": "/dir" }) on a free port; resolves to { url, close }.
 * `served(path, file)` is told of every file sent.
 */
export function serve(mounts, served = () => {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const prefix = Object.keys(mounts).filter((p) => path.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    if (!prefix) return res.writeHead(404).end();
    const dir = resolve(mounts[prefix]); // FACEGATE_DATA may hold "..": compare normalised paths
    const rest = path.slice(prefix.length);
    const file = normalize(join(dir, rest === "" || rest.endsWith("/") ? `${rest}index.html` : rest));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      served(path, file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  })));
}

const flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"];

/** Chromium with a persistent profile (IndexedDB survives relaunches) and an optional fake camera video. */
export function launch(profile, video) {
  const args = video ? [...flags, `--use-file-for-fake-video-capture=${video}`] : flags;
  return chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", headless: true, args });
}

/** Runs `fn(context)` in a launched browser and always closes it (a failure must not hang the run). */
export async function withBrowser(profile, video, fn) {
  const context = await launch(profile, video);
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

/** A .y4m clip of LFW photos made with `facegate video`. */
export function y4m(out, ...images) {
  execFileSync(cli, ["video", "--out", out, "--seconds", "1", ...images]);
  return out;
}

/** Opens `url`, waits for `window.ready`, and fails with the page's own error if it had one. */
export async function openPage(context, url) {
  const page = context.pages()[0] ?? (await context.newPage());
  const logs = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(String(e)));
  await page.goto(url);
  try {
    await page.waitForFunction(() => window.ready === true || window.failed, null, { timeout: 120_000 });
  } catch (e) {
    throw new Error(`page never got ready: ${logs.join("\n")}`);
  }
  const failed = await page.evaluate(() => window.failed);
  if (failed) throw new Error(`page failed: ${failed}\n${logs.join("\n")}`);
  return page;
}

export const need = (path, what) => {
  if (!existsSync(path)) throw new Error(`${what} missing at ${path}: run \`npm run build\` / \`cargo build --release\` first`);
};
