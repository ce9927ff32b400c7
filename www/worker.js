// facegate's Web Worker (copied to pkg/worker.js by www/build.mjs): one FaceVerifier, driven by
// the page-side proxy of `FaceVerifier.create({ worker: true })` (www/entry.js). Messages:
// - page → worker `{ call, method, args }`: run `method` (or "create"), answer
//   `{ call, result }` or `{ call, error: { code, message, retryAfterMs } }`;
// - worker → page `{ call, progress }`: create's download progress or a challenge's prompt;
// - worker → page `{ call, frameWanted }`, answered by page → worker `{ frame, image }`: the next
//   camera frame of a liveness challenge;
// - page → worker `{ abort: call }`: the page's `signal` of challenge `call` aborted.
// Every ImageBitmap the page posts is closed once read (or at once when nobody waits for it).
import { FaceVerifier, FacegateError } from "./index.js";

let verifier = null;
const frameWaiters = new Map();
let frameRequests = 0;
/** Running challenges by call: their AbortController and the frame last handed to the module. */
const challenges = new Map();

const close = (image) => typeof ImageBitmap !== "undefined" && image instanceof ImageBitmap && image.close();

/** The page's next camera frame for challenge `call`; the previous one has been read by then. */
function nextFrame(call) {
  const frame = ++frameRequests;
  return new Promise((resolve) => {
    frameWaiters.set(frame, (image) => {
      const challenge = challenges.get(call);
      if (!challenge) return close(image); // the challenge ended (timed out or aborted) meanwhile
      close(challenge.last);
      challenge.last = image;
      resolve(image);
    });
    self.postMessage({ call, frameWanted: frame });
  });
}

/** Runs challenge `method` of `call` with its own AbortController, which the page's abort triggers. */
async function challenge(call, method, args, progress) {
  const controller = new AbortController();
  challenges.set(call, { controller, last: null });
  try {
    const options = { ...args.at(-1), onProgress: progress, signal: controller.signal };
    const camera = { frame: () => nextFrame(call) };
    return await (method === "verifyLive" ? verifier.verifyLive(args[0], camera, options) : verifier.identifyLive(camera, options));
  } finally {
    close(challenges.get(call)?.last);
    challenges.delete(call);
  }
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
  if (!verifier) throw new FacegateError("INVALID_ARGUMENT", "the worker's FaceVerifier is not created");
  if (method === "verifyLive" || method === "identifyLive") return challenge(call, method, args, progress);
  if (method === "properties") return properties(verifier);
  try {
    return await verifier[method](...args);
  } finally {
    args.forEach(close);
  }
}

self.onmessage = async ({ data }) => {
  if (data.frame !== undefined) {
    const waiter = frameWaiters.get(data.frame) ?? close;
    frameWaiters.delete(data.frame);
    return waiter(data.image);
  }
  if (data.abort !== undefined) return challenges.get(data.abort)?.controller.abort();
  const { call, method, args } = data;
  try {
    const result = await run(call, method, args);
    const transfer = result instanceof Uint8Array || result instanceof Float32Array ? [result.buffer] : [];
    self.postMessage({ call, result }, transfer);
  } catch (e) {
    self.postMessage({ call, error: { code: e?.code, message: e?.message ?? String(e), retryAfterMs: e?.retryAfterMs } });
  }
};
