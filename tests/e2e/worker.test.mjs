// createWorkerVerifier: the whole API from a Web Worker gives the main thread's answers, errors
// keep their codes and are all `instanceof FacegateError` (from wasm, the entry and the worker),
// and during 20 verifies in a row the page's main thread has no task over
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
  import { FaceVerifier, FacegateError, createWorkerVerifier } from "/pkg/index.js";
  window.FaceVerifier = FaceVerifier;
  window.FacegateError = FacegateError;
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
        // Each error as [code, instanceof FacegateError, name, message].
        const caught = (e) => [e.code, e instanceof FacegateError, e.name, e.message];
        try { await fv.verify("nobody", b); } catch (e) { out.unknown = caught(e); }
        try { await fv.detect(new Uint8Array([1, 2, 3])); } catch (e) { out.badFrame = caught(e); }
        out.backup = await fv.exportEnrollments();
        out.removed = await fv.remove("powell");
        return out;
      };
      const progress = [];
      const worker = await createWorkerVerifier({ storage: "memory", onProgress: (p) => progress.push(p) });
      const inWorker = await run(worker);
      // Thrown by the entry itself: not a frame source (worker mode makes an ImageBitmap of it).
      const fromEntry = await worker.detect({}).then(() => null, (e) => [e.code, e instanceof FacegateError, e.constructor === FacegateError]);
      const restored = await createWorkerVerifier({ storage: "memory" });
      const imported = await restored.importEnrollments(inWorker.backup);
      const afterImport = await restored.verify("powell", b);
      worker.free();
      restored.free();
      const onPage = await run(await FaceVerifier.create({ storage: "memory" }));
      for (const o of [inWorker, onPage]) o.backup = o.backup.length;
      return { inWorker, onPage, imported, afterImport, progressed: progress.at(-1), fromEntry,
        notErrors: [null, undefined, "FacegateError", { name: "FacegateError", code: "LOAD" }, new Error("plain")]
          .map((v) => v instanceof FacegateError) };
    });
    assert.deepEqual(r.inWorker, r.onPage, "the worker's answers are the main thread's");
    assert.equal(r.inWorker.same.isMatch, true);
    assert.equal(r.inWorker.other.isMatch, false);
    assert.equal(r.inWorker.fromCanvas.isMatch, true);
    assert.equal(r.inWorker.embedding.length, 192);
    assert.deepEqual([r.inWorker.unknown.slice(0, 3), r.inWorker.badFrame.slice(0, 3)],
      [["UNKNOWN_ID", true, "FacegateError"], ["INVALID_FRAME", true, "FacegateError"]],
      "errors from the main-thread verifier (compared above) and from worker mode are FacegateErrors with their codes");
    assert.deepEqual(r.fromEntry, ["INVALID_FRAME", true, true], "the entry's own error is a FacegateError");
    assert.deepEqual(r.notErrors, [false, false, false, false, false], "only Errors named FacegateError with a code are");
    assert.equal(r.imported, 1);
    assert.equal(typeof r.inWorker.same.similarity, "number");
    assert.equal(r.inWorker.same.score, undefined, "`score` was renamed");
    assert.equal(r.afterImport.similarity, r.inWorker.same.similarity);
    assert.equal(typeof r.inWorker.detect[0].detectionScore, "number");
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

test("concurrent tries in a worker and its page on one database: exactly 5 counted, then LOCKED; no shot lost", async () => {
  await withBrowser(join(work, "profile-concurrent"), null, async (browser) => {
    const page = await openPage(browser, `${server.url}/t/page.html`);
    const r = await page.evaluate(async () => {
      const [a, b, c] = await Promise.all(["Colin_Powell/Colin_Powell_0001.jpg", "Colin_Powell/Colin_Powell_0002.jpg",
        "Serena_Williams/Serena_Williams_0001.jpg"].map(lfw));
      const dbName = "facegate-e2e-concurrent";
      const worker = await createWorkerVerifier({ dbName });
      const onPage = await FaceVerifier.create({ dbName });
      const tally = (settled) => settled.map((s) => (s.status === "fulfilled" ? `match: ${s.value.isMatch}` : s.reason.code))
        .reduce((t, k) => ({ ...t, [k]: (t[k] ?? 0) + 1 }), {});
      await worker.clear();
      await worker.enroll("powell", a);
      const inWorker = tally(await Promise.allSettled(Array.from({ length: 20 }, () => worker.verify("powell", c))));
      await worker.clear();
      await worker.enroll("powell", a);
      const both = tally(await Promise.allSettled(Array.from({ length: 20 },
        (_, i) => (i % 2 ? worker : onPage).verify("powell", c))));
      await worker.clear();
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? worker : onPage).enroll("powell", i % 3 ? a : b)));
      const shots = (await onPage.list())[0].shots;
      await worker.clear();
      worker.free();
      return { inWorker, both, shots };
    });
    assert.deepEqual(r.inWorker, { "match: false": 5, LOCKED: 15 }, "20 at once in the worker");
    assert.deepEqual(r.both, { "match: false": 5, LOCKED: 15 }, "10 each from the page and the worker");
    assert.equal(r.shots, 10, "10 enrolls at once from both: no shot lost");
  });
});

test("a worker-mode challenge ends in time without frames, and on abort within 100 ms", async () => {
  await withBrowser(join(work, "profile-abort"), null, async (browser) => {
    const page = await openPage(browser, `${server.url}/t/page.html`);
    const r = await page.evaluate(async () => {
      const a = await lfw("Colin_Powell/Colin_Powell_0001.jpg");
      const worker = await createWorkerVerifier({ storage: "memory", maxFailures: 3 });
      await worker.enroll("powell", a);
      const timed = async (run) => {
        const started = performance.now();
        const out = await run().then((v) => v.report.outcome.reason, (e) => e.code);
        return { out, ms: performance.now() - started };
      };
      // The page stops supplying frames: its camera's frame() never settles.
      const silent = { frame: () => new Promise(() => {}) };
      const frameless = await timed(() => worker.verifyLive("powell", silent, { timeoutMs: 500, steps: ["turnLeft", "blink"] }));
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      // A canvas camera that keeps supplying: posted as ImageBitmaps, each closed in the worker.
      const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 48 });
      canvas.getContext("2d").fillRect(0, 0, 64, 48);
      const aborted = await timed(() => worker.verifyLive("powell", canvas, { signal: controller.signal }));
      const before = new AbortController();
      before.abort();
      const early = await timed(() => worker.identifyLive(canvas, { signal: before.signal }));
      const stillOpen = await worker.verify("powell", a).then((v) => v.isMatch, (e) => e.code);
      worker.free();
      return { frameless, aborted, early, stillOpen };
    });
    console.log(`worker challenges: ${JSON.stringify(r)}`);
    assert.equal(r.frameless.out, "timeout");
    assert.ok(r.frameless.ms >= 495 && r.frameless.ms <= 600, `no frames: ended after ${r.frameless.ms} ms for a 500 ms limit`);
    assert.equal(r.aborted.out, "ABORTED");
    assert.ok(r.aborted.ms >= 295 && r.aborted.ms <= 400, `aborted at 300 ms, ended after ${r.aborted.ms} ms`);
    assert.equal(r.early.out, "ABORTED");
    assert.equal(r.stillOpen, true, "aborts counted nothing (one timeout of 3 allowed)");
  });
});
