#!/usr/bin/env bash
# Runs every test of facegate, installing what is missing. This is the README's test command
# and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "bundled models match model/SHA256SUMS"
(cd model && sha256sum -c SHA256SUMS)

step "native tests (unit, pipeline on LFW, CLI, bad input, LFW first fold)"
: "${FACEGATE_DATA:=$(pwd)/../shared/datasets/lfw}"
export FACEGATE_DATA
cargo test --release --locked

step "core builds for wasm32-unknown-unknown"
cargo build --release --locked --target wasm32-unknown-unknown --lib

step "all tests passed"
