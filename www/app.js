// The demo page: camera preview with the detected box, enroll, verify, identify, sign in with
// a liveness challenge, list/delete. Everything runs locally through the facegate package.
// `?steps=turnLeft,blink` fixes the sign-in challenge (for recorded test clips); otherwise it is
// random.
import { createWorkerVerifier, Camera } from "../pkg/index.js";

const $ = (id) => document.getElementById(id);
const show = (id, text, ok) => {
  const el = $(id);
  el.textContent = text;
  el.className = `status ${ok === undefined ? "" : ok ? "ok" : "error"}`;
};
const describe = (e) => `${e.code ?? "ERROR"}: ${e.message}`;

// The verifier runs in a Web Worker, so the preview never freezes while it works; it starts the
// module itself, and the download's progress goes to the status line.
const fv = await createWorkerVerifier({
  dbName: "facegate-demo",
  onProgress: ({ loaded, total }) => show("live", `loading models… ${(loaded / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ""} MB`),
});
let cam = null;
try {
  cam = await Camera.start($("video"), { facingMode: "user" });
} catch (e) {
  const el = $("camera-error");
  el.hidden = false;
  el.textContent = e.code === "CAMERA"
    ? `No camera: ${e.message}. Allow camera access (the page must be served from https or localhost) or plug one in, then reload.`
    : describe(e);
}

async function refresh() {
  const people = await fv.list();
  $("people").replaceChildren(...people.map((p) => {
    const tr = document.createElement("tr");
    const del = document.createElement("button");
    del.textContent = "delete";
    del.onclick = async () => { await fv.remove(p.id); refresh(); };
    for (const text of [p.id, p.shots, new Date(p.createdAt).toLocaleString()]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    td.append(del);
    tr.append(td);
    return tr;
  }));
  $("verify-name").replaceChildren(...people.map((p) => new Option(p.id, p.id)));
}

// Live preview: the detected box and the time per detection (paused during a sign-in challenge,
// which reads every frame itself).
const overlay = $("overlay");
let challenging = false;
async function tick() {
  if (cam && !challenging) {
    const video = $("video");
    overlay.width = video.videoWidth;
    overlay.height = video.videoHeight;
    const ctx = overlay.getContext("2d");
    const t = performance.now();
    try {
      const faces = await fv.detect(video);
      const ms = performance.now() - t;
      ctx.clearRect(0, 0, overlay.width, overlay.height);
      ctx.strokeStyle = "#2f8"; ctx.lineWidth = 3;
      for (const f of faces) ctx.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
      show("live", `${faces.length} face(s), detection ${ms.toFixed(0)} ms/frame, ${fv.rule.name} threshold ${fv.threshold.toFixed(3)}`);
    } catch (e) {
      show("live", describe(e), false);
    }
  }
  setTimeout(tick, 150);
}

const needCamera = () => { if (!cam) throw Object.assign(new Error("no camera"), { code: "CAMERA" }); };
const timed = async (fn) => { const t = performance.now(); const r = await fn(); return [r, performance.now() - t]; };

$("enroll").onclick = async () => {
  try {
    needCamera();
    const name = $("enroll-name").value.trim();
    const shots = Math.max(1, Math.min(10, Number($("enroll-shots").value) || 1));
    let last;
    for (let i = 0; i < shots; i++) {
      show("enroll-result", `shot ${i + 1} of ${shots}…`);
      last = await fv.enroll(name, cam.frame());
      await new Promise((r) => setTimeout(r, 400));
    }
    show("enroll-result", `enrolled ${last.id}: ${last.shots} shot(s), detection score ${last.detectionScore.toFixed(2)}`, true);
    refresh();
  } catch (e) { show("enroll-result", describe(e), false); }
};

$("verify").onclick = async () => {
  try {
    needCamera();
    const [v, ms] = await timed(() => fv.verify($("verify-name").value, cam.frame()));
    const value = v.probability === null ? `similarity ${v.similarity.toFixed(3)}` : `p(same) ${v.probability.toFixed(3)} (similarity ${v.similarity.toFixed(3)})`;
    show("verify-result", `${v.isMatch ? "MATCH" : "no match"}: ${value} vs threshold ${v.threshold.toFixed(3)} (${ms.toFixed(0)} ms)`, v.isMatch);
  } catch (e) { show("verify-result", describe(e), false); }
};

$("identify").onclick = async () => {
  try {
    needCamera();
    const [ranked, ms] = await timed(() => fv.identify(cam.frame(), { topK: 3 }));
    show("verify-result", ranked.length
      ? ranked.map((c) => `${c.id} ${c.probability === null ? c.similarity.toFixed(3) : `p ${c.probability.toFixed(3)}`}`).join(", ") + ` (${ms.toFixed(0)} ms)`
      : `unknown: nobody passes the threshold (${ms.toFixed(0)} ms)`, ranked.length > 0);
  } catch (e) { show("verify-result", describe(e), false); }
};

const failures = {
  timeout: (o) => `no "${o.prompt}" in time`,
  wrongMove: (o) => `asked ${o.expected}, saw ${o.seen}`,
  flat: (o) => `moved like a flat picture (parallax ${o.parallax.toFixed(3)} < ${o.needed})`,
  multipleFaces: () => "more than one face",
  differentPerson: () => "somebody else appeared",
};
const fixedSteps = new URLSearchParams(location.search).get("steps")?.split(",");

$("signin").onclick = async () => {
  const name = $("signin-name").value.trim();
  try {
    needCamera();
    challenging = true;
    show("signin-result", "");
    const r = await fv.verifyLive(name, cam, {
      steps: fixedSteps,
      onProgress: (p) => {
        $("signin-prompt").textContent = p.finished ? "" : `${p.instruction} (${p.done} of ${p.steps.length} done)`;
      },
    });
    const outcome = r.report.outcome;
    show("signin-result", r.isMatch ? `Welcome back, ${name}!`
      : r.isLive ? `Sign-in refused: not ${name}.`
      : `Sign-in refused: liveness check failed: ${failures[outcome.reason](outcome)}.`, r.isMatch);
  } catch (e) {
    show("signin-result", e.code === "LOCKED" ? `Sign-in refused: ${e.message}` : describe(e), false);
  } finally {
    challenging = false;
    $("signin-prompt").textContent = "";
  }
};

$("clear").onclick = async () => { await fv.clear(); refresh(); };

await refresh();
tick();
