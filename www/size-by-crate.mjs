// What the wasm's bytes are, by crate: builds the package's wasm as www/build.mjs does (cargo's
// output, before wasm-bindgen and wasm-opt, still has its function names), runs `twiggy top` on
// it (cargo install twiggy) and sums each function's size under the first crate its name
// mentions; data segments and custom sections are listed as they are.
import { execFileSync } from "node:child_process";

execFileSync("cargo", ["build", "--profile", "wasm-release", "--locked", "--target", "wasm32-unknown-unknown", "--lib"],
  { stdio: ["ignore", "inherit", "inherit"] });
const wasm = "target/wasm32-unknown-unknown/wasm-release/facegate.wasm";
const items = JSON.parse(execFileSync("twiggy", ["top", "-n", "1000000", "-f", "json", wasm], { maxBuffer: 1 << 30 }));
const sizes = new Map();
for (const { name, shallow_size: bytes } of items) {
  const key = /^(data segment|custom section)|section"?$/.test(name) ? name : (name.match(/([a-z_][a-z0-9_]*)::/)?.[1] ?? "(unnamed)");
  sizes.set(key, (sizes.get(key) ?? 0) + bytes);
}
const total = [...sizes.values()].reduce((a, b) => a + b, 0);
console.log(`${wasm}: ${(total / 1e6).toFixed(2)} MB`);
for (const [key, bytes] of [...sizes].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${(bytes / 1e6).toFixed(3).padStart(8)} MB ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${key}`);
}
