#!/usr/bin/env bash
# MobileFaceNet's matrix products in f32, int8 and f16 through facegate's tract, natively and
# in Node's V8 (wasm32-wasip1 with simd128, as the package is built). README: "int8 and f16 compute".
set -euo pipefail
cd "$(dirname "$0")"
rustup target list --installed | grep -q wasm32-wasip1 || rustup target add wasm32-wasip1
cargo build --release --locked
RUSTFLAGS='-C target-feature=+simd128' cargo build --release --locked --target wasm32-wasip1
./target/release/facegate-kernel-bench "${1:-15}"
node --no-warnings wasi.mjs target/wasm32-wasip1/release/facegate-kernel-bench.wasm "${1:-15}"
