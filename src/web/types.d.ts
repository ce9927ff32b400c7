/** A face box in source pixels. */
export interface Box { x: number; y: number; width: number; height: number }
/** Options of `FaceVerifier.create`. */
export interface CreateOptions {
  /** Where enrollments live: "indexeddb" (default, persistent) or "memory" (gone with the page). */
  storage?: "indexeddb" | "memory";
  /** IndexedDB database name (default "facegate"); only with storage "indexeddb". */
  dbName?: string;
  /**
   * The embedding model: "mobilefacenet" (default, compiled into the wasm, 192-d) or "sface"
   * (OpenCV Zoo SFace, 128-d, more accurate, about 6x slower; fetched from `sface.onnx` beside
   * the package's JS, 10.7 MB, unless `modelBytes` is given; `MODEL` when that fails). Enrollments
   * are bound to the model: another model's are refused with `MODEL_MISMATCH`.
   */
  model?: "mobilefacenet" | "sface";
  /** The bytes of the `model`'s ONNX file (for example `sface.onnx` served from your own URL). */
  modelBytes?: Uint8Array;
  /**
   * The decision rule for verify and identify. Default: the model's own, i.e. the bundled
   * logistic head on χ² features (calibrated probability) for MobileFaceNet, cosine similarity
   * at SFace's threshold for SFace. "bundled" (the head, MobileFaceNet only), "cosine" (cosine
   * similarity at the model's threshold), or the bytes of a head file trained with `facegate train-head`.
   */
  head?: "bundled" | "cosine" | Uint8Array;
  /** The rule's threshold: a probability (0..1) with a head, a cosine similarity (-1..1) with "cosine". */
  threshold?: number;
  /** Most shots one id may hold (default 20); more is refused with LIMIT. */
  maxShots?: number;
  /** Most ids the store may hold (default 10000); more is refused with LIMIT. */
  maxIds?: number;
  /** Failed verifications in a row that lock an id (default 5): it is then refused with LOCKED. */
  maxFailures?: number;
  /** Length of the first lock in ms (default 30000); each further lock before a success doubles it. */
  lockMs?: number;
  /** Smallest face width in pixels (default 40). */
  minFace?: number;
  /** Add the mirror image's embedding (default true with MobileFaceNet, false with SFace, which it does not help). */
  flip?: boolean;
  /**
   * Told the bytes downloaded so far while `create` fetches the module (`facegate_bg.wasm`, once
   * per page) and `sface.onnx`; handled by the package's entry before the module starts.
   */
  onProgress?: (progress: LoadProgress) => void;
}
/** Download progress of one file: `total` is null when unknown (e.g. a compressed response). */
export interface LoadProgress { file: "facegate_bg.wasm" | "sface.onnx"; loaded: number; total: number | null }
/** Anything a frame can be read from; a `Uint8Array` holds JPEG or PNG bytes (other formats: `createImageBitmap(blob)`). */
export type FaceSource = HTMLVideoElement | HTMLCanvasElement | HTMLImageElement | ImageBitmap | ImageData | Uint8Array;
/** `detectionScore`: the face detector's confidence in 0..1. */
export interface EnrollResult { id: string; shots: number; box: Box; detectionScore: number }
export interface VerifyResult {
  isMatch: boolean;
  /** Cosine similarity with the enrolled template. */
  similarity: number;
  /** Calibrated probability of the same person (with a head; null with "cosine"). */
  probability: number | null;
  /** What the deciding value (probability, else similarity) was compared with. */
  threshold: number;
  /** "cosine" or the head's kind, e.g. "logistic-chi2". */
  rule: string;
  box: Box;
}
/** `similarity`: cosine similarity with that person's template. */
export interface Candidate { id: string; similarity: number; probability: number | null }
/** Options of `identify`; the defaults sign in (one candidate, system FAR 1e-3, a margin). */
export interface IdentifyOptions {
  /** Candidates returned at most (default 1). */
  topK?: number;
  /**
   * Chance that a stranger is taken for anyone enrolled, whatever their number (default 1e-3):
   * each comparison is decided at `far / N`. `null`: the 1:1 rule alone, which grows weaker as N grows.
   */
  far?: number | null;
  /**
   * How much the best candidate's deciding value (probability with a head, else cosine) must
   * exceed the runner-up's, or nobody is returned (default 0.02 for the head, 0.1 for cosine; 0 with `far: null`).
   */
  margin?: number;
}
export interface ImportOptions { mode?: "merge" | "replace" }
/** Options of `Camera.start`. */
export interface CameraOptions { facingMode?: "user" | "environment"; width?: number; height?: number; deviceId?: string }
/** `detectionScore`: the face detector's confidence in 0..1. */
export interface DetectedFace { box: Box; detectionScore: number }
/**
 * An entry of `list()`: an enrollment, or a stored record that cannot be used (unreadable, or made
 * by another model) flagged with the reason; verify and identify skip it, `remove` deletes it.
 */
export type Enrollment =
  | { id: string; shots: number; createdAt: number; updatedAt: number; damaged?: undefined }
  | { id: string; damaged: string; code: "INVALID_TEMPLATE" | "MODEL_MISMATCH" };
// What facegate throws, `FacegateError` (a class, for `instanceof`), is declared by the package
// entry (www/entry.d.ts, pkg/index.d.ts), which defines it.
/** The rule deciding verify and identify. */
export interface RuleInfo { name: string; threshold: number; provenance: string }
/** A step of the liveness challenge (directions are the person's own). */
export type LiveStep = "turnLeft" | "turnRight" | "lookUp" | "lookDown" | "blink";
/** A challenge's options; `identifyLive` also takes `identify`'s (`topK`, `far`, `margin`). */
export interface LiveOptions extends IdentifyOptions {
  /**
   * How many steps (2-5, default 2: a blink at a random place among random head moves), or the
   * steps themselves in order, which must include "blink" (a picture cannot blink).
   */
  steps?: number | LiveStep[];
  /** Longest whole challenge in ms (default 15000). */
  timeoutMs?: number;
  /** Longest wait for each prompt in ms (default 4000). */
  stepTimeoutMs?: number;
  /** Called with each new prompt, and once when the challenge ends. */
  onProgress?: (progress: LiveProgress) => void;
  /** Cancels the challenge: it rejects with `ABORTED` (nothing counted) within one frame's work. */
  signal?: AbortSignal;
}
/** What to show the person now. */
export interface LiveProgress {
  /** "centre" (look at the camera) or the step asked. */
  prompt: "centre" | LiveStep;
  /** The prompt in English, e.g. "Turn your head to your left". */
  instruction: string;
  /** Steps done so far. */
  done: number;
  /** Every step of the challenge, in order. */
  steps: LiveStep[];
  /** The challenge is over (the result follows). */
  finished: boolean;
}
/** Why a challenge failed. */
export type LiveFailure =
  | { reason: "timeout"; prompt: "centre" | LiveStep }
  | { reason: "wrongMove"; expected: LiveStep; seen: LiveStep }
  | { reason: "flat"; parallax: number; needed: number }
  | { reason: "multipleFaces" }
  | { reason: "differentPerson" };
/** What a liveness challenge asked and saw. */
export interface LiveReport {
  asked: LiveStep[];
  done: { step: LiveStep; atMs: number }[];
  frames: number;
  faceFrames: number;
  /** How far the landmarks moved from a flat picture's motion (eye distances). */
  parallax: number;
  /**
   * Experimental, not decided on: the ratio of the principal curvatures of the depth recovered
   * from the landmarks' motion (0 for paper bent one way, 1 for a sphere); null before the head moved.
   */
  relief: number | null;
  outcome: ({ result: "passed" } | ({ result: "failed" } & LiveFailure)) | null;
}
/** The result of `verifyLive`: the verify fields are present when the challenge passed. */
export interface LiveResult extends Partial<Omit<VerifyResult, "box" | "isMatch">> {
  isLive: boolean;
  isMatch: boolean;
  report: LiveReport;
}
/** The result of `identifyLive`: the recognised person when live (at most one), else `[]`. */
export interface LiveSignIn {
  isLive: boolean;
  candidates: Candidate[];
  report: LiveReport;
}
/** Stable codes on thrown errors (`err.code`); `LOAD`: the module's wasm could not be fetched. */
export type ErrorCode = "NO_FACE" | "MULTIPLE_FACES" | "FACE_TOO_SMALL" | "INVALID_FRAME" | "MODEL" | "UNKNOWN_ID"
  | "MODEL_MISMATCH" | "INVALID_TEMPLATE" | "INVALID_ARGUMENT" | "MISMATCH" | "LIMIT" | "STORAGE" | "CAMERA" | "LOCKED"
  | "ABORTED" | "LOAD";
/** One stage's time over `profile`'s runs, ms. */
export interface Spread { medianMs: number; p10Ms: number; p90Ms: number }
/** What `profile` measured: each stage of the pipeline on one face. */
export interface StageTimes {
  runs: number;
  /** Whether the embedding included the mirror image (the embedder ran twice). */
  flip: boolean;
  /** Reading the source into a frame. */
  read: Spread;
  detect: Spread;
  landmarksAlign: Spread;
  embed: Spread;
  /** detect + landmarksAlign + embed. */
  total: Spread;
}
