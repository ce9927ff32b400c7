// Runs the wasm32-wasip1 build of the kernel bench in Node's V8 (the engine of Chromium).
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const [wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: ["bench", ...args], env: {}, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), wasi.getImportObject());
process.exitCode = wasi.start(instance);
