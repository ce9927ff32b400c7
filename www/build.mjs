// Builds the npm package into pkg/: wasm release build (simd128, from .cargo/config.toml),
// wasm-bindgen --target web, then wasm-opt. Prints the size of each stage.
import { execFileSync } from "node:child_process";
import { statSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";

const run = (cmd, args) => {
  console.log(`> ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit" });
};
const size = (f) => `${(statSync(f).size / 1e6).toFixed(2)} MB (${(gzipSync(readFileSync(f)).length / 1e6).toFixed(2)} MB gzip)`;

run("cargo", ["build", "--release", "--locked", "--target", "wasm32-unknown-unknown", "--lib"]);
const raw = "target/wasm32-unknown-unknown/release/facegate.wasm";
run("wasm-bindgen", ["--target", "web", "--out-dir", "pkg", raw]);
const wasm = "pkg/facegate_bg.wasm";
console.log(`after wasm-bindgen: ${size(wasm)}`);
if (existsSync("/usr/bin/wasm-opt") || process.env.WASM_OPT) {
  run(process.env.WASM_OPT ?? "wasm-opt", [
    "-O3", "--enable-simd", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
    "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
    wasm, "-o", wasm,
  ]);
  console.log(`after wasm-opt -O3: ${size(wasm)}`);
} else {
  console.log("wasm-opt not found (Debian: apt-get install binaryen): package left unoptimised");
}
