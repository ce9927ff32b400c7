/** A face box in source pixels. */
export interface Box { x: number; y: number; width: number; height: number }
/** Options of `FaceVerifier.create`. */
export interface CreateOptions {
  /** Where enrollments live: "indexeddb" (default, persistent) or "memory" (gone with the page). */
  storage?: "indexeddb" | "memory";
  /** IndexedDB database name (default "facegate"); only with storage "indexeddb". */
  dbName?: string;
  /**
   * The decision rule for verify and identify: "bundled" (default: the bundled logistic head on
   * χ² features, calibrated probability), "cosine" (cosine similarity), or the bytes of a head
   * file trained with `facegate train-head`.
   */
  head?: "bundled" | "cosine" | Uint8Array;
  /** The rule's threshold: a probability (0..1) with a head, a cosine similarity (-1..1) with "cosine". */
  threshold?: number;
  /** Most shots one id may hold (default 20); more is refused with LIMIT. */
  maxShots?: number;
  /** Most ids the store may hold (default 10000); more is refused with LIMIT. */
  maxIds?: number;
  /** Smallest face width in pixels (default 40). */
  minFace?: number;
  /** Add the mirror image's embedding (default true). */
  flip?: boolean;
}
/** Anything a frame can be read from. */
export type FaceSource = HTMLVideoElement | HTMLCanvasElement | HTMLImageElement | ImageBitmap | ImageData | Uint8Array;
export interface EnrollResult { id: string; shots: number; box: Box; score: number }
export interface VerifyResult {
  isMatch: boolean;
  /** Cosine similarity with the enrolled template. */
  score: number;
  /** Calibrated probability of the same person (with a head; null with "cosine"). */
  probability: number | null;
  /** What the deciding value (probability, else score) was compared with. */
  threshold: number;
  /** "cosine" or the head's kind, e.g. "logistic-chi2". */
  rule: string;
  box: Box;
}
export interface Candidate { id: string; score: number; probability: number | null }
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
export interface DetectedFace { box: Box; score: number }
export interface Enrollment { id: string; shots: number; createdAt: number; updatedAt: number }
/** The rule deciding verify and identify. */
export interface RuleInfo { name: string; threshold: number; provenance: string }
/** Stable codes on thrown errors (`err.code`). */
export type ErrorCode = "NO_FACE" | "MULTIPLE_FACES" | "FACE_TOO_SMALL" | "INVALID_FRAME" | "MODEL" | "UNKNOWN_ID"
  | "MODEL_MISMATCH" | "INVALID_TEMPLATE" | "INVALID_ARGUMENT" | "MISMATCH" | "LIMIT" | "STORAGE" | "CAMERA" | "LOCKED";
