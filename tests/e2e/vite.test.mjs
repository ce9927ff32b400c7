// The npm tarball as a front-end developer uses it, each in headless Chromium: a fresh project
// under `vite dev` and `vite build` and built by webpack 5 (none configured), and a plain
// <script type="module"> page. No `init()`: `create()` starts the module, reporting progress;
// and `createWorkerVerifier` gives the same answer from a Web Worker.
// And a page whose wasm is missing gets an error that names the file and the fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readdirSync, statSync, cpSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { root, lfw, serve, withBrowser, openPage, need } from "./harness.mjs";

need(join(root, "pkg/facegate_bg.wasm"), "the built package");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"] }).toString();

// Enroll one photo of Colin Powell, verify another, and a photo of someone else.
const check = `
  const lfw = async (p) => new Uint8Array(await (await fetch("/lfw/" + p)).arrayBuffer());
  try {
    const progress = [];
    const fv = await FaceVerifier.create({ dbName: "packaged", onProgress: (p) => progress.push(p) });
    await fv.clear();
    await fv.enroll("powell", await lfw("Colin_Powell/Colin_Powell_0001.jpg"));
    const same = await fv.verify("powell", await lfw("Colin_Powell/Colin_Powell_0002.jpg"));
    const other = await fv.verify("powell", await lfw("Serena_Williams/Serena_Williams_0001.jpg"));
    // The same in a Web Worker (the bundler must ship pkg/worker.js and what it imports).
    const worker = await createWorkerVerifier({ storage: "memory" });
    await worker.enroll("powell", await lfw("Colin_Powell/Colin_Powell_0001.jpg"));
    const inWorker = await worker.verify("powell", await lfw("Colin_Powell/Colin_Powell_0002.jpg"));
    window.result = { same: same.isMatch, other: other.isMatch, worker: typeof same.similarity === "number" && inWorker.similarity === same.similarity };
    window.progress = progress;
    window.ready = true;
  } catch (e) { window.failed = (e.code ?? "") + " " + (e.message ?? e); }`;

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts Vite's dev server in `app`; resolves to { url, stop } once it answers. */
async function viteDev(app) {
  const port = await freePort();
  const bin = join(app, "node_modules/.bin/vite");
  const child = spawn(bin, ["--port", String(port), "--strictPort", "--host", "127.0.0.1"], { cwd: app });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`vite dev exited (${child.exitCode}):\n${out}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return { url, stop: () => child.kill() };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`vite dev never answered:\n${out}`);
}

test("npm pack tarball works in vite dev, a Vite build, a webpack 5 build (no config) and a plain module script, without init()", async () => {
  const work = mkdtempSync(join(tmpdir(), "facegate-pack-"));
  run("npm", ["pack", "--pack-destination", work], root);
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  const app = join(work, "app");
  run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", tarball, "vite@7", "webpack@5", "webpack-cli@6"], app);
  writeFileSync(join(app, "index.html"), `<!doctype html><script type="module" src="/main.js"></script>`);
  // The LFW photos come through the app's own public folder (Vite serves it in dev and build).
  cpSync(join(lfw, "Colin_Powell"), join(app, "public/lfw/Colin_Powell"), { recursive: true });
  cpSync(join(lfw, "Serena_Williams"), join(app, "public/lfw/Serena_Williams"), { recursive: true });
  writeFileSync(join(app, "main.js"), `import { FaceVerifier, createWorkerVerifier } from "facegate";\n${check}\n`);
  run("npx", ["vite", "build", "--logLevel", "warn"], app);
  // webpack 5 with no configuration file: the entry and output on the command line only.
  run("npx", ["webpack", "--mode", "production", "--entry", "./main.js", "--output-path", "./webpack",
    "--no-stats"], app);
  writeFileSync(join(app, "webpack/index.html"), `<!doctype html><script src="main.js"></script>`);
  writeFileSync(join(app, "plain.html"), `<!doctype html><script type="module">
    import { FaceVerifier, createWorkerVerifier } from "./node_modules/facegate/pkg/index.js";
    ${check}
  </script>`);

  const wasmBytes = statSync(join(app, "node_modules/facegate/pkg/facegate_bg.wasm")).size;
  const server = await serve({ "/": join(app, "dist"), "/plain/": app, "/webpack/": join(app, "webpack"), "/lfw/": lfw });
  const dev = await viteDev(app);
  try {
    await withBrowser(join(work, "profile"), null, async (browser) => {
      for (const url of [`${dev.url}/`, `${server.url}/`, `${server.url}/webpack/`, `${server.url}/plain/plain.html`]) {
        const page = await openPage(browser, url);
        assert.deepEqual(await page.evaluate(() => window.result), { same: true, other: false, worker: true }, url);
        // Progress: the wasm's bytes as they arrive, up to all of them.
        const progress = await page.evaluate(() => window.progress);
        const wasm = progress.filter((p) => p.file === "facegate_bg.wasm");
        assert.ok(wasm.length >= 2, `${url}: progress ${JSON.stringify(progress)}`);
        assert.ok(wasm.every((p, i) => i === 0 || p.loaded >= wasm[i - 1].loaded), `${url}: progress goes up`);
        assert.equal(wasm.at(-1).loaded, wasmBytes, `${url}: the whole wasm`);
        console.log(`${url}: ${wasm.length} progress reports up to ${wasmBytes} bytes (total ${wasm.at(-1).total})`);
      }
    });
  } finally {
    dev.stop();
    await server.close();
  }

  // The package without its wasm, as a server that does not serve it would be.
  const broken = join(work, "broken");
  cpSync(join(app, "node_modules/facegate/pkg"), broken, { recursive: true });
  rmSync(join(broken, "facegate_bg.wasm"));
  writeFileSync(join(broken, "page.html"), `<!doctype html><script type="module">
    import { FaceVerifier } from "./index.js";
    try { await FaceVerifier.create({ storage: "memory" }); window.failed = "created without a wasm"; }
    catch (e) { window.error = { code: e.code, message: e.message }; window.ready = true; }
  </script>`);
  const brokenServer = await serve({ "/": broken });
  try {
    await withBrowser(join(work, "profile-broken"), null, async (browser) => {
      const page = await openPage(browser, `${brokenServer.url}/page.html`);
      const error = await page.evaluate(() => window.error);
      assert.equal(error.code, "LOAD", JSON.stringify(error));
      assert.match(error.message, /facegate_bg\.wasm: HTTP 404/, error.message);
      assert.match(error.message, /module_or_path/, "says how to point at the file");
      console.log(`missing wasm: ${error.message}`);
    });
  } finally {
    await brokenServer.close();
  }
});
