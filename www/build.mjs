// Builds the npm package into pkg/: wasm build with the wasm-release profile (simd128, from .cargo/config.toml),
// wasm-bindgen --target web, then wasm-opt -O1. Prints the size of each stage. Copies the entry
// (www/entry.js and its types, as pkg/index.js and pkg/index.d.ts), the worker (pkg/worker.js)
// and model/sface.onnx to
// pkg/sface.onnx: `create({ model: "sface" })` fetches it, nothing else does.
import { execFileSync } from "node:child_process";
import { statSync, readFileSync, existsSync, copyFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const run = (cmd, args) => {
  console.log(`> ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit" });
};
const size = (f) => `${(statSync(f).size / 1e6).toFixed(2)} MB (${(gzipSync(readFileSync(f)).length / 1e6).toFixed(2)} MB gzip)`;

// Install what is missing: the wasm target and wasm-bindgen-cli of exactly the crate's version.
const pinned = readFileSync("Cargo.toml", "utf8").match(/^wasm-bindgen = "=([^"]+)"/m)[1];
if (!execFileSync("rustup", ["target", "list", "--installed"]).toString().includes("wasm32-unknown-unknown")) {
  run("rustup", ["target", "add", "wasm32-unknown-unknown"]);
}
let installed = "";
try { installed = execFileSync("wasm-bindgen", ["--version"]).toString().trim(); } catch { /* not installed */ }
if (installed !== `wasm-bindgen ${pinned}`) run("cargo", ["install", "wasm-bindgen-cli", "--version", pinned]);
// wasm-opt from npm's binaryen (a pinned devDependency): Debian's binaryen 108 breaks
// wasm-bindgen's externref table ("WebAssembly.Table.set(): Argument 1 is invalid").
const wasmOpt = "node_modules/.bin/wasm-opt";
if (!existsSync(wasmOpt)) run("npm", ["ci", "--no-audit", "--no-fund"]);

run("cargo", ["build", "--profile", "wasm-release", "--locked", "--target", "wasm32-unknown-unknown", "--lib"]);
const raw = "target/wasm32-unknown-unknown/wasm-release/facegate.wasm";
run("wasm-bindgen", ["--target", "web", "--out-dir", "pkg", raw]);
const wasm = "pkg/facegate_bg.wasm";
console.log(`after wasm-bindgen: ${size(wasm)}`);
// -O1, not -O3: on the same cargo output (Node, three runs each) -O3's inlining made
// `FaceVerifier.create` 741-836 ms against -O1's 562-613 ms (no wasm-opt: 562-601 ms), for the
// same per-frame time (profile() total 75.1-77.4 vs 76.2-77.8 ms) and a larger gzip (5.07 vs
// 4.91 MB; -O2 and -Os are like -O3).
run(wasmOpt, [
  "-O1", "--enable-simd", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue", wasm, "-o", wasm,
]);
console.log(`after wasm-opt -O1: ${size(wasm)}`);
// The package's entry: the module started on first use (www/entry.js).
copyFileSync("www/entry.js", "pkg/index.js");
copyFileSync("www/entry.d.ts", "pkg/index.d.ts");
copyFileSync("www/worker.js", "pkg/worker.js");
copyFileSync("model/sface.onnx", "pkg/sface.onnx");

// The download a page makes for the default model, against the recorded figure: more than 5 %
// over it fails the build (www/download-size.json says how to lower it).
const fetched = ["facegate_bg.wasm", "facegate.js", "index.js", "worker.js"];
const gzipBytes = fetched.reduce((sum, f) => sum + gzipSync(readFileSync(`pkg/${f}`)).length, 0);
const recorded = JSON.parse(readFileSync("www/download-size.json", "utf8")).gzipBytes;
const ratio = gzipBytes / recorded;
console.log(`download (${fetched.join(" + ")}): ${(gzipBytes / 1e6).toFixed(2)} MB gzip, ` +
  `${ratio.toFixed(3)}x the recorded ${(recorded / 1e6).toFixed(2)} MB`);
if (ratio > 1.05) {
  console.error(`the download grew ${((ratio - 1) * 100).toFixed(1)} % over www/download-size.json (more than 5 %)`);
  process.exit(1);
}
console.log(`pkg/sface.onnx (fetched only for model "sface"): ${size("pkg/sface.onnx")}`);
