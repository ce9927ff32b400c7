// facegate's Web Worker (copied to pkg/worker.js by www/build.mjs): one FaceVerifier, driven by
// the page-side proxy of `FaceVerifier.create({ worker: true })` (www/entry.js). Messages:
// - page → worker `{ call, method, args }`: run `method` (or "create"), answer
//   `{ call, result }` or `{ call, error: { code, message, retryAfterMs } }`;
// - worker → page `{ call, progress }`: create's download progress or a challenge's prompt;
// - worker → page `{ call, frameWanted }`, answered by page → worker `{ frame, image }`: the next
//   camera frame of a liveness challenge.
import { FaceVerifier } from "./index.js";

let verifier = null;
const frameWaiters = new Map();
let frameRequests = 0;

/** The page's next camera frame for challenge `call`. */
function nextFrame(call) {
  const frame = ++frameRequests;
  return new Promise((resolve) => {
    frameWaiters.set(frame, resolve);
    self.postMessage({ call, frameWanted: frame });
  });
}

/** What the page's proxy mirrors as properties. */
const properties = (fv) => ({
  modelSha256: fv.modelSha256, threshold: fv.threshold, rule: fv.rule, persisted: fv.persisted,
});

async function run(call, method, args) {
  const progress = (p) => self.postMessage({ call, progress: p });
  if (method === "create") {
    verifier?.free();
    verifier = await FaceVerifier.create({ ...args[0], onProgress: progress });
    return properties(verifier);
  }
  if (!verifier) throw Object.assign(new Error("the worker's FaceVerifier is not created"), { code: "INVALID_ARGUMENT" });
  if (method === "verifyLive" || method === "identifyLive") {
    const options = { ...args.at(-1), onProgress: progress };
    const camera = { frame: () => nextFrame(call) };
    return method === "verifyLive" ? verifier.verifyLive(args[0], camera, options) : verifier.identifyLive(camera, options);
  }
  if (method === "properties") return properties(verifier);
  return verifier[method](...args);
}

self.onmessage = async ({ data }) => {
  if (data.frame !== undefined) {
    frameWaiters.get(data.frame)?.(data.image);
    frameWaiters.delete(data.frame);
    return;
  }
  const { call, method, args } = data;
  try {
    const result = await run(call, method, args);
    const transfer = result instanceof Uint8Array || result instanceof Float32Array ? [result.buffer] : [];
    self.postMessage({ call, result }, transfer);
  } catch (e) {
    self.postMessage({ call, error: { code: e?.code, message: e?.message ?? String(e), retryAfterMs: e?.retryAfterMs } });
  }
};
