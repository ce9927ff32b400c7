// facegate's npm entry point (copied to pkg/index.js by www/build.mjs): the wasm-bindgen module
// (./facegate.js) with its files loaded on first use.
// - `FaceVerifier.create()` (and `Camera.start()`) start the module themselves, reporting download
//   progress to `onProgress`; `init()` stays for code that calls it first (it runs once).
// - The wasm, and `sface.onnx` for `create({ model: "sface" })`, are found beside this file, also
//   when Vite's dev server has pre-bundled it into node_modules/.vite/deps/ without them.
// - A response that is not the file (a dev server's HTML fallback page, a 404) is an error that
//   names the URL and the fix, not WebAssembly's "expected magic word" CompileError.
// - `createWorkerVerifier(options)` runs all of it in a Web Worker (./worker.js) behind a proxy.
import initModule, { Camera, FaceVerifier } from "./facegate.js";

export * from "./facegate.js";

/**
 * Where each file may be: beside this file, and in node_modules/facegate/pkg/ as seen from Vite's
 * dependency cache (node_modules/.vite/deps/). Literal `new URL("...", import.meta.url)` so
 * bundlers (Vite, webpack 5) copy the files.
 */
const FILES = {
  wasm: {
    name: "facegate_bg.wasm",
    magic: [0x00, 0x61, 0x73, 0x6d],
    code: "LOAD",
    urls: () => [new URL("./facegate_bg.wasm", import.meta.url), new URL("../../facegate/pkg/facegate_bg.wasm", import.meta.url)],
  },
  sface: {
    name: "sface.onnx",
    magic: [0x08], // an ONNX ModelProto starts with its ir_version field
    code: "MODEL",
    urls: () => [new URL("./sface.onnx", import.meta.url), new URL("../../facegate/pkg/sface.onnx", import.meta.url)],
  },
};

/**
 * What facegate throws: an `Error` named "FacegateError" with a stable `code` (one of the
 * `ErrorCode` strings) and, for `LOCKED`, `retryAfterMs`. The errors made inside the wasm module
 * are plain `Error`s with that name and a string `code`; `instanceof FacegateError` recognises
 * them too, and worker mode rethrows its worker's errors as this class.
 */
export class FacegateError extends Error {
  constructor(code, message, { retryAfterMs, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "FacegateError";
    this.code = code;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }

  static [Symbol.hasInstance](value) {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === FacegateError && value instanceof Error && value.name === "FacegateError" && typeof value.code === "string";
  }
}

function failure(code, message) {
  return new FacegateError(code, message);
}

/** Reads from `reader` until `count` bytes are in hand or it ends: [chunks, bytes read]. */
async function peek(reader, count) {
  const chunks = [];
  let loaded = 0;
  while (loaded < count) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
  }
  return [chunks, loaded];
}

/** What a response that is not the file was, for the error message. */
function describe(response, head) {
  const type = response.headers.get("content-type") ?? "no content type";
  const html = head.length && head[0] === 0x3c ? " (an HTML page, not the file)" : "";
  return `HTTP ${response.status} ${type}${html}`;
}

/**
 * Fetches one of `FILES` from the first URL that serves it: a stream of its bytes (progress
 * reported as they arrive) and the URL.
 */
async function open(file, onProgress) {
  const tried = [];
  // From Vite's dependency cache the file is only in node_modules/facegate/pkg/: ask there first.
  const [beside, fromCache] = file.urls();
  const urls = import.meta.url.includes("/node_modules/.vite/") ? [fromCache, beside] : [beside];
  for (const url of urls) {
    let response;
    try {
      response = await fetch(url);
    } catch (e) {
      tried.push(`${url}: ${e?.message ?? e}`);
      continue;
    }
    const reader = response.ok && response.body ? response.body.getReader() : null;
    const [chunks, first] = reader ? await peek(reader, file.magic.length) : [[], 0];
    const head = chunks.length ? new Uint8Array(chunks.flatMap((c) => Array.from(c.subarray(0, 16)))) : new Uint8Array();
    if (!reader || first < file.magic.length || file.magic.some((b, i) => head[i] !== b)) {
      reader?.cancel();
      tried.push(`${url}: ${describe(response, head)}`);
      continue;
    }
    const encoding = response.headers.get("content-encoding");
    const length = Number(response.headers.get("content-length"));
    // With a content encoding the length is of the compressed body, the stream's of the file.
    const total = (!encoding || encoding === "identity") && length > 0 ? length : null;
    let loaded = first;
    onProgress?.({ file: file.name, loaded, total });
    const stream = new ReadableStream({
      start(controller) {
        chunks.forEach((c) => controller.enqueue(c));
      },
      async pull(controller) {
        const next = await reader.read();
        if (next.done) return controller.close();
        loaded += next.value.length;
        onProgress?.({ file: file.name, loaded, total });
        controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return { url, stream };
  }
  throw failure(file.code, `facegate could not load ${file.name}: ${tried.join("; ")}. ` +
    `Serve node_modules/facegate/pkg/${file.name} beside facegate's JS (bundlers that handle ` +
    `new URL("...", import.meta.url) assets, such as Vite and webpack 5, copy it themselves), ` +
    (file === FILES.wasm ? "or pass its URL: init({ module_or_path: url })." : "or pass its bytes: create({ model: \"sface\", modelBytes })."));
}

let loading = null;

/**
 * Loads and starts the wasm module once (later calls return the same promise; a failed load may
 * be retried). `module_or_path` loads it from there instead; `onProgress` is told the bytes
 * downloaded so far.
 */
export default function init(options = {}) {
  loading ??= (async () => {
    const { module_or_path, onProgress } = options ?? {};
    if (module_or_path !== undefined) return initModule({ module_or_path });
    const { stream } = await open(FILES.wasm, onProgress);
    return initModule({ module_or_path: new Response(stream, { headers: { "content-type": "application/wasm" } }) });
  })().catch((e) => {
    loading = null;
    throw e;
  });
  return loading;
}

/**
 * An error as the worker posts it, rethrown on the page: a `FacegateError` with its code, message
 * and `retryAfterMs`; an error without a code (not facegate's: a wrong argument type, say) stays
 * a plain `Error`, as on the main thread.
 */
function rebuilt({ code, message, retryAfterMs }) {
  return typeof code === "string" ? new FacegateError(code, message, { retryAfterMs }) : new Error(message);
}

/**
 * A source as the worker can take it, and what to transfer: encoded bytes (a copy), `ImageData`
 * (a copy), a camera's current frame (`frame()`, which may return a promise), or an `ImageBitmap`
 * of anything drawable (video, canvas, image, bitmap), made by the browser off the main thread.
 */
async function posted(source) {
  if (source instanceof Uint8Array) {
    const copy = source.slice();
    return [copy, [copy.buffer]];
  }
  if (source instanceof ImageData) return [source, []];
  if (typeof source?.frame === "function") { // a Camera, or any camera whose frame() may promise
    const image = await source.frame();
    return image instanceof ImageData ? [image, [image.data.buffer]] : posted(image);
  }
  try {
    const bitmap = await createImageBitmap(source);
    return [bitmap, [bitmap]];
  } catch (e) {
    throw failure("INVALID_FRAME", `not a frame source (${e?.message ?? e})`);
  }
}

/** The worker; from Vite's dependency cache, the one in node_modules/facegate/pkg/. */
function startWorker() {
  if (import.meta.url.includes("/node_modules/.vite/")) {
    return new Worker(new URL("../../facegate/pkg/worker.js", import.meta.url), { type: "module" });
  }
  return new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
}

/**
 * A FaceVerifier running in a Web Worker (pkg/worker.js), so the page never waits on the models:
 * the same API, every method returning a promise as on the main thread.
 */
class WorkerVerifier {
  #worker;
  #calls = new Map();
  #next = 0;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = (event) => this.#receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      const error = failure("LOAD", `facegate's worker failed: ${event.message ?? "its script could not be loaded"}`);
      this.#calls.forEach(({ reject }) => reject(error));
      this.#calls.clear();
    };
  }

  static async create(options) {
    const { onProgress, ...rest } = options ?? {};
    const verifier = new WorkerVerifier(startWorker());
    try {
      Object.assign(verifier, await verifier.#call("create", [rest], { onProgress }));
    } catch (e) {
      verifier.free();
      throw e;
    }
    return verifier;
  }

  /**
   * Posts `method(args)` to the worker; `onProgress` and `camera` serve its messages meanwhile,
   * and `signal`'s abort is passed on to it.
   */
  #call(method, args, { transfer = [], onProgress, camera, signal } = {}) {
    const call = ++this.#next;
    const abort = () => this.#worker.postMessage({ abort: call });
    return new Promise((resolve, reject) => {
      this.#calls.set(call, { resolve, reject, onProgress, camera });
      this.#worker.postMessage({ call, method, args }, transfer);
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort, { once: true });
    }).finally(() => signal?.removeEventListener("abort", abort));
  }

  #receive({ call, result, error, progress, frameWanted }) {
    const pending = this.#calls.get(call);
    if (!pending) return;
    if (progress) return pending.onProgress?.(progress);
    if (frameWanted !== undefined) {
      return posted(pending.camera).then(
        ([image, transfer]) => this.#worker.postMessage({ frame: frameWanted, image }, transfer),
        (e) => {
          this.#worker.postMessage({ abort: call }); // the camera failed: the challenge ends uncounted
          pending.reject(e);
        },
      );
    }
    this.#calls.delete(call);
    if (error) pending.reject(rebuilt(error));
    else pending.resolve(result);
  }

  /** A call whose argument `at` is a frame source. */
  async #withSource(method, args, at) {
    const [source, transfer] = await posted(args[at]);
    return this.#call(method, args.with(at, source), { transfer });
  }

  enroll(id, source) { return this.#withSource("enroll", [id, source], 1); }
  verify(id, source) { return this.#withSource("verify", [id, source], 1); }
  identify(source, options) { return this.#withSource("identify", [source, options], 0); }
  detect(source) { return this.#withSource("detect", [source], 0); }
  embed(source) { return this.#withSource("embed", [source], 0); }
  profile(source, runs) { return this.#withSource("profile", [source, runs], 0); }
  list() { return this.#call("list", []); }
  remove(id) { return this.#call("remove", [id]); }
  clear() { return this.#call("clear", []); }
  exportEnrollments() { return this.#call("exportEnrollments", []); }
  importEnrollments(bytes, options) {
    const copy = bytes instanceof Uint8Array ? bytes.slice() : bytes;
    return this.#call("importEnrollments", [copy, options], { transfer: copy?.buffer ? [copy.buffer] : [] });
  }
  verifyLive(id, camera, options = {}) {
    const { onProgress, signal, ...rest } = options ?? {};
    return this.#call("verifyLive", [id, rest], { onProgress, camera, signal });
  }
  identifyLive(camera, options = {}) {
    const { onProgress, signal, ...rest } = options ?? {};
    return this.#call("identifyLive", [rest], { onProgress, camera, signal });
  }

  /** Stops the worker. */
  free() {
    this.#worker.terminate();
  }

  [Symbol.dispose]() {
    this.free();
  }
}

/** `FaceVerifier.create(options)` in a Web Worker: resolves to its page-side proxy. */
export function createWorkerVerifier(options) {
  return WorkerVerifier.create(options);
}

const started = { create: FaceVerifier.create, start: Camera.start };

/**
 * `FaceVerifier.create` that first starts the module (`init`, with `options.onProgress`) and
 * fetches `sface.onnx` when `model: "sface"` comes without `modelBytes`.
 */
FaceVerifier.create = async function create(options) {
  if (options !== undefined && options !== null && Object.getPrototypeOf(options) !== Object.prototype) {
    await init();
    return started.create.call(FaceVerifier, options); // not an options object: refused there
  }
  const { onProgress, ...rest } = options ?? {};
  await init({ onProgress });
  if (rest.model === "sface" && rest.modelBytes === undefined) {
    const { stream } = await open(FILES.sface, onProgress);
    rest.modelBytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return started.create.call(FaceVerifier, rest);
};

/** `Camera.start` that first starts the module. */
Camera.start = async function start(video, options) {
  await init();
  return started.start.call(Camera, video, options);
};
