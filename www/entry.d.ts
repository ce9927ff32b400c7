// Types of facegate's npm entry (copied to pkg/index.d.ts by www/build.mjs): the wasm-bindgen
// module's, with `init` taking the entry's options.
export * from "./facegate.js";
import type { InitInput, InitOutput, LoadProgress } from "./facegate.js";

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
