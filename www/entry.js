// facegate's npm entry point (copied to pkg/index.js by www/build.mjs): the wasm-bindgen module
// (./facegate.js) with its files loaded on first use.
// - `FaceVerifier.create()` (and `Camera.start()`) start the module themselves, reporting download
//   progress to `onProgress`; `init()` stays for code that calls it first (it runs once).
// - The wasm, and `sface.onnx` for `create({ model: "sface" })`, are found beside this file, also
//   when Vite's dev server has pre-bundled it into node_modules/.vite/deps/ without them.
// - A response that is not the file (a dev server's HTML fallback page, a 404) is an error that
//   names the URL and the fix, not WebAssembly's "expected magic word" CompileError.
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

function failure(code, message) {
  return Object.assign(new Error(message), { code });
}

/** Reads from `reader` until `count` bytes are in hand: [chunks, bytes read, done]. */
async function peek(reader, count) {
  const chunks = [];
  let loaded = 0;
  while (loaded < count) {
    const { done, value } = await reader.read();
    if (done) return [chunks, loaded, true];
    chunks.push(value);
    loaded += value.length;
  }
  return [chunks, loaded, false];
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
    const [chunks, first, done] = reader ? await peek(reader, file.magic.length) : [[], 0, true];
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
        if (done) controller.close();
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
