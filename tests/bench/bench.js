// The benchmark page: facegate and its JavaScript peers, each doing the same job on the same
// 640x480 frames (an LFW photo on a grey background): one enrollment per pair from its first
// photo, then a full verification of its second photo. `window.bench` is driven by
// tests/bench/run.mjs.
const wasm = "/node_modules/@tensorflow/tfjs-backend-wasm/dist/";

/** Draws an image centred on a 640x480 grey frame. */
async function frame(url) {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [640, 480];
  const g = canvas.getContext("2d");
  g.fillStyle = "#808080";
  g.fillRect(0, 0, 640, 480);
  g.drawImage(bitmap, (640 - bitmap.width) / 2, (480 - bitmap.height) / 2);
  return canvas;
}

/** Each library as { load(), enroll(key, canvas), verify(key, canvas) → { faces, same } }. */
const libraries = {
  async facegate() {
    const { FaceVerifier } = await import("/pkg/index.js");
    const verifier = await FaceVerifier.create({ storage: "memory" });
    return {
      enroll: (key, canvas) => verifier.enroll(key, canvas),
      async verify(key, canvas) {
        const result = await verifier.verify(key, canvas);
        return { faces: 1, same: result.isMatch };
      },
    };
  },
  async human() {
    const { Human } = await import("/node_modules/@vladmandic/human/dist/human.esm.js");
    const human = new Human({
      backend: "wasm", wasmPath: wasm, modelBasePath: "/node_modules/@vladmandic/human/models/",
      debug: false, async: true, warmup: "none", cacheSensitivity: 0, filter: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 1, skipFrames: 0, skipTime: 0, return: false },
        mesh: { enabled: true }, iris: { enabled: false }, attention: { enabled: false },
        description: { enabled: true, skipFrames: 0, skipTime: 0 },
        emotion: { enabled: false }, antispoof: { enabled: false }, liveness: { enabled: false },
      },
      body: { enabled: false }, hand: { enabled: false }, object: { enabled: false },
      gesture: { enabled: false }, segmentation: { enabled: false },
    });
    await human.load();
    const enrolled = new Map();
    const describe = async (canvas) => (await human.detect(canvas)).face;
    return {
      async enroll(key, canvas) {
        const faces = await describe(canvas);
        if (faces.length) enrolled.set(key, faces[0].embedding);
      },
      async verify(key, canvas) {
        const faces = await describe(canvas);
        const known = enrolled.get(key);
        const same = faces.length > 0 && !!known && human.match.similarity(known, faces[0].embedding) > 0.5;
        return { faces: faces.length, same };
      },
    };
  },
  async faceapi() {
    const faceapi = await import("/node_modules/@vladmandic/face-api/dist/face-api.esm.js");
    faceapi.tf.setWasmPaths(wasm);
    await faceapi.tf.setBackend("wasm");
    await faceapi.tf.ready();
    const models = "/node_modules/@vladmandic/face-api/model/";
    await faceapi.nets.ssdMobilenetv1.loadFromUri(models);
    await faceapi.nets.faceLandmark68Net.loadFromUri(models);
    await faceapi.nets.faceRecognitionNet.loadFromUri(models);
    const enrolled = new Map();
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 1 });
    const describe = (canvas) => faceapi.detectSingleFace(canvas, options).withFaceLandmarks().withFaceDescriptor();
    return {
      async enroll(key, canvas) {
        const face = await describe(canvas);
        if (face) enrolled.set(key, face.descriptor);
      },
      async verify(key, canvas) {
        const face = await describe(canvas);
        const known = enrolled.get(key);
        return { faces: face ? 1 : 0, same: !!face && !!known && faceapi.euclideanDistance(known, face.descriptor) < 0.6 };
      },
    };
  },
};

const loaded = {};
let photos = [];
window.bench = {
  /**
   * Loads `name`, enrolls `pair[0]` and verifies `pair[1]`: ms since navigation start when the
   * library was ready (code and models) and when the verification answered.
   */
  async cold(name, pair) {
    const lib = await libraries[name]();
    const readyMs = performance.now();
    await lib.enroll("p0", await frame(pair[0]));
    const first = await lib.verify("p0", await frame(pair[1]));
    const ms = performance.now();
    loaded[name] = lib;
    return { ms, readyMs, first };
  },
  /** Which of `pairs` show exactly one face in both frames (by facegate's detector). */
  async single(pairs) {
    const { FaceVerifier } = await import("/pkg/index.js");
    const verifier = await FaceVerifier.create({ storage: "memory" });
    const one = async (url) => (await verifier.detect(await frame(url))).length === 1;
    const out = [];
    for (const [a, b] of pairs) out.push((await one(a)) && (await one(b)));
    return out;
  },
  /** Loads `name` (if not yet) and enrolls every pair's first photo. */
  async prepare(name, pairs) {
    loaded[name] ??= await libraries[name]();
    photos = await Promise.all(pairs.map(async ([a, b]) => [await frame(a), await frame(b)]));
    for (const [i, [a]] of photos.entries()) await loaded[name].enroll(`p${i}`, a);
  },
  /** One pass of `name` over every pair's second photo: [ms, faces, same] per frame. */
  async pass(name) {
    const out = [];
    for (const [i, [, b]] of photos.entries()) {
      const t = performance.now();
      const { faces, same } = await loaded[name].verify(`p${i}`, b);
      out.push([performance.now() - t, faces, same]);
    }
    return out;
  },
};
window.ready = true;
