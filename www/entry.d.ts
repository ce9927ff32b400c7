// Types of facegate's npm entry (copied to pkg/index.d.ts by www/build.mjs): the wasm-bindgen
// module's, with `init` taking the entry's options.
export * from "./facegate.js";
import type { ErrorCode, InitInput, InitOutput, LoadProgress } from "./facegate.js";

/**
 * What facegate throws: an `Error` named "FacegateError" with a stable `code`; with `LOCKED` also
 * `retryAfterMs`, the time left of the lock. `instanceof FacegateError` holds for every error
 * facegate throws: from the wasm module (plain `Error`s with this name and a `code`), from the
 * entry, and from worker mode.
 */
export class FacegateError extends Error {
  constructor(code: ErrorCode, message: string, options?: { retryAfterMs?: number; cause?: unknown });
  name: "FacegateError";
  code: ErrorCode;
  retryAfterMs?: number;
  static [Symbol.hasInstance](value: unknown): value is FacegateError;
}

/** Options of `init`. */
export interface InitOptions {
  /** Load the wasm from here instead of `facegate_bg.wasm` beside the package's JS. */
  module_or_path?: InitInput | Promise<InitInput>;
  /** Told the bytes downloaded so far. */
  onProgress?: (progress: LoadProgress) => void;
}

/**
 * Loads and starts the wasm module once (later calls return the same promise). Optional:
 * `FaceVerifier.create` and `Camera.start` call it themselves.
 */
export default function init(options?: InitOptions): Promise<InitOutput>;

import type {
  Candidate, CreateOptions, DetectedFace, EnrollResult, Enrollment, FaceSource, IdentifyOptions, ImportOptions,
  LiveOptions, LiveResult, LiveSignIn, RuleInfo, StageTimes, VerifyResult, Camera,
} from "./facegate.js";

/**
 * A FaceVerifier running in a Web Worker: the same API as `FaceVerifier`, every method
 * asynchronous. Frames are posted to the worker (drawable sources as `ImageBitmap`s made off the
 * main thread); enrollments live in the worker's IndexedDB, the same database as the page's.
 */
export interface WorkerVerifier {
  readonly modelSha256: string;
  readonly threshold: number;
  readonly rule: RuleInfo;
  readonly persisted: boolean | null;
  enroll(id: string, source: FaceSource): Promise<EnrollResult>;
  verify(id: string, source: FaceSource): Promise<VerifyResult>;
  identify(source: FaceSource, options?: IdentifyOptions): Promise<Candidate[]>;
  detect(source: FaceSource): Promise<DetectedFace[]>;
  embed(source: FaceSource): Promise<Float32Array>;
  profile(source: FaceSource, runs?: number): Promise<StageTimes>;
  list(): Promise<Enrollment[]>;
  remove(id: string): Promise<boolean>;
  clear(): Promise<void>;
  exportEnrollments(): Promise<Uint8Array>;
  importEnrollments(bytes: Uint8Array, options?: ImportOptions): Promise<number>;
  verifyLive(id: string, camera: Camera | HTMLVideoElement | HTMLCanvasElement, options?: LiveOptions): Promise<LiveResult>;
  identifyLive(camera: Camera | HTMLVideoElement | HTMLCanvasElement, options?: LiveOptions): Promise<LiveSignIn>;
  /** Stops the worker. */
  free(): void;
  [Symbol.dispose](): void;
}

/** `FaceVerifier.create(options)` run in a Web Worker (pkg/worker.js); resolves to its proxy. */
export function createWorkerVerifier(options?: CreateOptions): Promise<WorkerVerifier>;
