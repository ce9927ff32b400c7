// The npm tarball in a fresh Vite project and in a plain <script type="module"> page, each run
// in headless Chromium: init, create, enroll, verify.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { root, lfw, serve, withBrowser, openPage, need } from "./harness.mjs";

need(join(root, "pkg/facegate_bg.wasm"), "the built package");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"] }).toString();

// Enroll one photo of Colin Powell, verify another, and a photo of someone else.
const check = `
  const lfw = async (p) => new Uint8Array(await (await fetch("/lfw/" + p)).arrayBuffer());
  try {
    await init();
    const fv = await FaceVerifier.create({ dbName: "packaged" });
    await fv.clear();
    await fv.enroll("powell", await lfw("Colin_Powell/Colin_Powell_0001.jpg"));
    const same = await fv.verify("powell", await lfw("Colin_Powell/Colin_Powell_0002.jpg"));
    const other = await fv.verify("powell", await lfw("Serena_Williams/Serena_Williams_0001.jpg"));
    window.result = { same: same.isMatch, other: other.isMatch };
    window.ready = true;
  } catch (e) { window.failed = (e.code ?? "") + " " + (e.message ?? e); }`;

test("npm pack tarball works in a Vite build and from a plain module script", async () => {
  const work = mkdtempSync(join(tmpdir(), "facegate-pack-"));
  run("npm", ["pack", "--pack-destination", work], root);
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  const app = join(work, "app");
  run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", tarball, "vite@7"], app);
  writeFileSync(join(app, "index.html"), `<!doctype html><script type="module" src="/main.js"></script>`);
  writeFileSync(join(app, "main.js"), `import init, { FaceVerifier } from "facegate";\n${check}\n`);
  run("npx", ["vite", "build", "--logLevel", "warn"], app);
  writeFileSync(join(app, "plain.html"), `<!doctype html><script type="module">
    import init, { FaceVerifier } from "./node_modules/facegate/pkg/facegate.js";
    ${check}
  </script>`);

  const server = await serve({ "/": join(app, "dist"), "/plain/": app, "/lfw/": lfw });
  try {
    await withBrowser(join(work, "profile"), null, async (browser) => {
      for (const url of [`${server.url}/`, `${server.url}/plain/plain.html`]) {
        const page = await openPage(browser, url);
        assert.deepEqual(await page.evaluate(() => window.result), { same: true, other: false }, url);
      }
    });
  } finally {
    await server.close();
  }
});
