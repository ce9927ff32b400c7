// SFace in the built package: the browser's cosine similarities of 20 LFW pairs match the native CLI's with
// both models, and the SFace file is fetched only when `create({ model: "sface" })` asks for it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { root, lfw, cli, serve, withBrowser, openPage, need } from "./harness.mjs";

need(join(root, "pkg/facegate_bg.wasm"), "the built package");
need(join(root, "pkg/sface.onnx"), "the packaged SFace file");
need(cli, "the native CLI");

const work = mkdtempSync(join(tmpdir(), "facegate-sface-"));
// A page that loads the package and waits: each test creates its verifiers itself.
writeFileSync(join(work, "page.html"), `<!doctype html><meta charset="utf-8"><script type="module">
  import init, { FaceVerifier } from "/pkg/index.js"; // init() first, as older code does
  try {
    await init();
    window.FaceVerifier = FaceVerifier;
    window.lfw = async (path) => new Uint8Array(await (await fetch("/lfw/" + path)).arrayBuffer());
    window.ready = true;
  } catch (e) { window.failed = (e.code ?? "") + " " + (e.message ?? e); }
</script>`);
const server = await serve({ "/": root, "/lfw/": lfw, "/t/": work });
after(() => server.close());
const page = `${server.url}/t/page.html`;

/** LFW pairs from pairs.txt: the first `n` matched and `n` mismatched pairs of fold 1. */
function pairs(n) {
  const lines = readFileSync(join(lfw, "pairs.txt"), "utf8").trim().split("\n").slice(1);
  const path = (name, number) => `${name}/${name}_${String(number).padStart(4, "0")}.jpg`;
  const same = lines.slice(0, n).map((l) => l.trim().split("\t")).map(([name, a, b]) => [path(name, a), path(name, b)]);
  const other = lines.slice(300, 300 + n).map((l) => l.trim().split("\t")).map(([p, a, q, b]) => [path(p, a), path(q, b)]);
  return [...same, ...other];
}

/** The native CLI's cosine similarity of a pair (each model with its default options), or null
 * when a photo does not show exactly one face. */
function nativeScore(model, [a, b]) {
  try {
    const out = execFileSync(cli, ["compare", join(lfw, a), join(lfw, b), "--json", "--head", "cosine", "--model", model],
      { stdio: ["ignore", "pipe", "pipe"] });
    return JSON.parse(out.toString()).similarity;
  } catch (e) {
    if (/MULTIPLE_FACES|NO_FACE|FACE_TOO_SMALL/.test(String(e.stderr))) return null;
    throw e;
  }
}

test("the browser's similarities of 20 LFW pairs match the native CLI's with both models", async () => {
  const chosen = pairs(15);
  const native = {};
  for (const model of ["mobilefacenet", "sface"]) native[model] = chosen.map((p) => nativeScore(model, p));
  // 20 pairs every photo of which shows one face: 10 of the same person, 10 of two people
  const usable = chosen.map((p, i) => i).filter((i) => native.mobilefacenet[i] !== null && native.sface[i] !== null);
  const picked = [...usable.filter((i) => i < 15).slice(0, 10), ...usable.filter((i) => i >= 15).slice(0, 10)];
  assert.equal(picked.length, 20, `usable pairs: ${usable}`);

  await withBrowser(join(work, "profile"), null, async (browser) => {
    const tab = await openPage(browser, page);
    const browserScores = await tab.evaluate(async (list) => {
      const out = {};
      for (const model of ["mobilefacenet", "sface"]) {
        const fv = await FaceVerifier.create({ model, storage: "memory" });
        out[model] = [];
        for (const [a, b] of list) {
          const [x, y] = [await fv.embed(await lfw(a)), await fv.embed(await lfw(b))];
          out[model].push(x.reduce((s, v, i) => s + v * y[i], 0));
        }
        const photo = await lfw(list[0][0]);
        out[`${model}Dim`] = (await fv.embed(photo)).length;
        const times = [];
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          await fv.embed(photo);
          times.push(performance.now() - t);
        }
        out[`${model}Ms`] = times.sort((a, b) => a - b)[2];
      }
      return out;
    }, picked.map((i) => chosen[i]));
    console.log(`browser embed() of one LFW photo (detect, landmarks, embed), median of 5: ` +
      `MobileFaceNet with flip ${browserScores.mobilefacenetMs.toFixed(1)} ms, SFace ${browserScores.sfaceMs.toFixed(1)} ms`);
    assert.equal(browserScores.mobilefacenetDim, 192);
    assert.equal(browserScores.sfaceDim, 128);
    for (const model of ["mobilefacenet", "sface"]) {
      const diffs = picked.map((i, k) => Math.abs(browserScores[model][k] - native[model][i]));
      const worst = Math.max(...diffs);
      console.log(`${model}: 20 pairs, largest |browser - native| similarity difference ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-4, `${model}: ${JSON.stringify({ browser: browserScores[model], diffs })}`);
    }
    // Same and different people are told apart by SFace's own rule in the browser too.
    const threshold = await tab.evaluate(async () => (await FaceVerifier.create({ model: "sface", storage: "memory" })).rule);
    assert.equal(threshold.name, "cosine");
    const right = picked.filter((i, k) => (browserScores.sface[k] >= threshold.threshold) === (i < 15)).length;
    assert.ok(right >= 19, `${right} of 20 pairs decided right at ${threshold.threshold}`);
  });
});

test("the SFace file is requested only by create({ model: \"sface\" }), and bytes work without a request", async () => {
  await withBrowser(join(work, "profile-net"), null, async (browser) => {
    const tab = await openPage(browser, page);
    const requests = [];
    tab.on("request", (r) => requests.push(r.url()));
    const sfaceRequests = () => requests.filter((u) => u.endsWith("/sface.onnx"));

    const defaults = await tab.evaluate(async () => {
      const fv = await FaceVerifier.create({ storage: "memory" });
      return { rule: fv.rule.name, dim: (await fv.embed(await lfw("Colin_Powell/Colin_Powell_0001.jpg"))).length };
    });
    assert.deepEqual(defaults, { rule: "logistic-chi2", dim: 192 });
    assert.deepEqual(sfaceRequests(), [], `requests: ${requests.join("\n")}`);

    const fromBytes = await tab.evaluate(async () => {
      const bytes = new Uint8Array(await (await fetch("/model/sface.onnx")).arrayBuffer());
      const fv = await FaceVerifier.create({ model: "sface", modelBytes: bytes, storage: "memory" });
      return { sha: fv.modelSha256, embedding: Array.from(await fv.embed(await lfw("Colin_Powell/Colin_Powell_0001.jpg"))) };
    });
    assert.deepEqual(sfaceRequests(), [`${server.url}/model/sface.onnx`], "only the page's own fetch of the bytes");

    const fetched = await tab.evaluate(async () => {
      const fv = await FaceVerifier.create({ model: "sface", storage: "memory" });
      return { sha: fv.modelSha256, embedding: Array.from(await fv.embed(await lfw("Colin_Powell/Colin_Powell_0001.jpg"))) };
    });
    assert.deepEqual(sfaceRequests(), [`${server.url}/model/sface.onnx`, `${server.url}/pkg/sface.onnx`]);
    assert.deepEqual(fetched, fromBytes, "the same model from bytes and from the package");
    const sha = (await import("node:crypto")).createHash("sha256").update(readFileSync(join(root, "model/sface.onnx")));
    assert.equal(fetched.sha, sha.digest("hex"));
  });
});

test("sign-in by identification answers with SFace (its own FAR table)", async () => {
  await withBrowser(join(work, "profile-identify"), null, async (browser) => {
    const tab = await openPage(browser, page);
    const answers = await tab.evaluate(async () => {
      const photo = (name, n) => lfw(`${name}/${name}_${String(n).padStart(4, "0")}.jpg`);
      const fv = await FaceVerifier.create({ model: "sface", storage: "memory" });
      const people = ["Colin_Powell", "Donald_Rumsfeld", "Gerhard_Schroeder", "Serena_Williams", "Tony_Blair"];
      for (const name of people) await fv.enroll(name, await photo(name, 1));
      const ids = async (name, n, options) => (await fv.identify(await photo(name, n), options)).map((c) => c.id);
      const out = { enrolled: {}, strangers: {} };
      for (const name of people) out.enrolled[name] = await ids(name, 2);
      for (const name of ["Aaron_Eckhart", "AJ_Cook", "Jennifer_Aniston"]) out.strangers[name] = await ids(name, 1);
      out.ranked = await ids("Tony_Blair", 2, { far: null, topK: 3 });
      return out;
    });
    for (const [name, found] of Object.entries(answers.enrolled)) assert.deepEqual(found, [name], name);
    for (const [name, found] of Object.entries(answers.strangers)) assert.deepEqual(found, [], `stranger ${name}`);
    assert.equal(answers.ranked[0], "Tony_Blair");
  });
});
