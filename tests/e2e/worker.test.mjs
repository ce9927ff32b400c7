// createWorkerVerifier: the whole API from a Web Worker gives the main thread's answers, errors
// keep their codes, and during 20 verifies in a row the page's main thread has no task over
// 50 ms (Long Tasks API) while requestAnimationFrame keeps ticking; the same 20 verifies on the
// main thread are measured alongside, showing what the worker takes off it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, lfw, serve, withBrowser, openPage, need } from "./harness.mjs";

need(join(root, "pkg/facegate_bg.wasm"), "the built package");
const work = mkdtempSync(join(tmpdir(), "facegate-worker-"));
writeFileSync(join(work, "page.html"), `<!doctype html><meta charset="utf-8"><script type="module">
  import { FaceVerifier, createWorkerVerifier } from "/pkg/index.js";
  window.FaceVerifier = FaceVerifier;
  window.createWorkerVerifier = createWorkerVerifier;
  window.lfw = async (path) => new Uint8Array(await (await fetch("/lfw/" + path)).arrayBuffer());
  window.ready = true;
</script>`);
const server = await serve({ "/": root, "/lfw/": lfw, "/t/": work });
after(() => server.close());

test("the worker answers as the main thread does, errors keep their codes", async () => {
  await withBrowser(join(work, "profile-api"), null, async (browser) => {
    const page = await openPage(browser, `${server.url}/t/page.html`);
    const r = await page.evaluate(async () => {
      const [a, b, c] = await Promise.all(["Colin_Powell/Colin_Powell_0001.jpg", "Colin_Powell/Colin_Powell_0002.jpg",
        "Serena_Williams/Serena_Williams_0001.jpg"].map(lfw));
      // A canvas (posted as an ImageBitmap) of the second photo.
      const bitmap = await createImageBitmap(new Blob([b]));
      const canvas = Object.assign(document.createElement("canvas"), { width: bitmap.width, height: bitmap.height });
      canvas.getContext("2d").drawImage(bitmap, 0, 0);
      const run = async (fv) => {
        await fv.enroll("powell", a);
        const out = {
          same: await fv.verify("powell", b),
          other: await fv.verify("powell", c),
          fromCanvas: await fv.verify("powell", canvas),
          identify: await fv.identify(b),
          detect: await fv.detect(canvas),
          embedding: Array.from(await fv.embed(a)),
          list: (await fv.list()).map((e) => [e.id, e.shots]),
          rule: fv.rule, modelSha256: fv.modelSha256,
        };
        try { await fv.verify("nobody", b); } catch (e) { out.unknown = e.code; }
        try { await fv.detect(new Uint8Array([1, 2, 3])); } catch (e) { out.badFrame = e.code; }
        out.backup = await fv.exportEnrollments();
        out.removed = await fv.remove("powell");
        return out;
      };
      const progress = [];
      const worker = await createWorkerVerifier({ storage: "memory", onProgress: (p) => progress.push(p) });
      const inWorker = await run(worker);
      const restored = await createWorkerVerifier({ storage: "memory" });
      const imported = await restored.importEnrollments(inWorker.backup);
      const afterImport = await restored.verify("powell", b);
      worker.free();
      restored.free();
      const onPage = await run(await FaceVerifier.create({ storage: "memory" }));
      for (const o of [inWorker, onPage]) o.backup = o.backup.length;
      return { inWorker, onPage, imported, afterImport, progressed: progress.at(-1) };
    });
    assert.deepEqual(r.inWorker, r.onPage, "the worker's answers are the main thread's");
    assert.equal(r.inWorker.same.isMatch, true);
    assert.equal(r.inWorker.other.isMatch, false);
    assert.equal(r.inWorker.fromCanvas.isMatch, true);
    assert.equal(r.inWorker.embedding.length, 192);
    assert.deepEqual([r.inWorker.unknown, r.inWorker.badFrame], ["UNKNOWN_ID", "INVALID_FRAME"]);
    assert.equal(r.imported, 1);
    assert.equal(r.afterImport.score, r.inWorker.same.score);
    assert.equal(r.progressed.file, "facegate_bg.wasm");
  });
});

test("during 20 verifies in the worker the main thread has no task over 50 ms", async () => {
  await withBrowser(join(work, "profile-responsive"), null, async (browser) => {
    const page = await openPage(browser, `${server.url}/t/page.html`);
    const r = await page.evaluate(async () => {
      const [a, b] = await Promise.all(["Colin_Powell/Colin_Powell_0001.jpg", "Colin_Powell/Colin_Powell_0002.jpg"].map(lfw));
      /** Long tasks, animation frames and the largest gap between frames while `work` runs. */
      const watch = async (work) => {
        await new Promise((r) => setTimeout(r, 0)); // start in a task of its own
        const long = [];
        const started = performance.now();
        // Only tasks still running once the run started (an earlier one may be reported late).
        const observer = new PerformanceObserver((list) =>
          long.push(...list.getEntries().filter((e) => e.startTime + e.duration >= started).map((e) => e.duration)));
        observer.observe({ type: "longtask" });
        let frames = 0, last = performance.now(), gap = 0, running = true;
        const tick = (t) => {
          frames++;
          gap = Math.max(gap, t - last);
          last = t;
          if (running) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        await work();
        const ms = performance.now() - started;
        running = false;
        await new Promise((r) => setTimeout(r, 100)); // let the observer deliver the last entries
        observer.disconnect();
        return { longTasks: long.length, longestTask: Math.max(0, ...long), frames, largestFrameGap: gap, ms };
      };
      const twenty = (fv) => async () => { for (let i = 0; i < 20; i++) await fv.verify("powell", b); };
      const worker = await createWorkerVerifier({ storage: "memory" });
      await worker.enroll("powell", a);
      const inWorker = await watch(twenty(worker));
      const page = await FaceVerifier.create({ storage: "memory" });
      await page.enroll("powell", a);
      return { worker: inWorker, page: await watch(twenty(page)) };
    });
    console.log(`20 verifies in the worker: ${JSON.stringify(r.worker)}`);
    console.log(`20 verifies on the main thread: ${JSON.stringify(r.page)}`);
    assert.equal(r.worker.longTasks, 0, `main-thread tasks over 50 ms with the worker: ${JSON.stringify(r.worker)}`);
    assert.ok(r.worker.frames >= 20, `requestAnimationFrame kept ticking: ${JSON.stringify(r.worker)}`);
    assert.ok(r.page.longestTask > 50, `the same verifies on the main thread block it: ${JSON.stringify(r.page)}`);
  });
});
