#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with cargo-fuzz (libFuzzer + AddressSanitizer, overflow
# checks on): each target in fuzz/ runs for SECONDS (default 60) from its committed corpus
# (fuzz/corpus/<target>/). Prints the number of inputs each executed; fails on any crash, leak,
# timeout or out-of-memory, leaving the input in fuzz/artifacts/<target>/.
# Usage: bash tests/fuzz.sh [SECONDS]   (FUZZ_SANITIZER=none builds without AddressSanitizer:
# faster to build and run, still catching every panic, overflow and out-of-memory.
# FUZZ_SEED=N starts libFuzzer's mutations from seed N instead of a random one: the same inputs
# in the same order on every run, so CI fails on a change, not on a lucky draw.)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_EACH=${1:-60}
CARGO_FUZZ_VERSION=0.13.2
TARGETS=(frame_decode raw_frame gallery_parse head_file)
SANITIZER=${FUZZ_SANITIZER:-address}
budget=(-max_total_time="$SECONDS_EACH")
each="$SECONDS_EACH s"
if [ -n "${FUZZ_SEED:-}" ]; then
  budget+=(-seed="$FUZZ_SEED")
  each+=" from seed $FUZZ_SEED"
fi
# cargo-fuzz passes nightly-only flags (-Zsanitizer, sancov passes); the stable toolchain
# accepts them with RUSTC_BOOTSTRAP, and ships the AddressSanitizer runtime.
export RUSTC_BOOTSTRAP=1

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

start=$(date +%s)
cargo fuzz build --sanitizer "$SANITIZER"
built=$(date +%s)
echo "fuzz targets built in $((built - start)) s"

# New inputs go to a scratch corpus (first directory); the committed one is only read.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in "${TARGETS[@]}"; do
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  if cargo fuzz run --sanitizer "$SANITIZER" "$target" "$scratch/$target" "corpus/$target" -- \
      "${budget[@]}" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -E -A30 '^==[0-9]+==|panicked|^SUMMARY|Test unit written' "$log" | head -60 >&2 || tail -40 "$log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz $target: $result, ${runs:-?} inputs ($each)"
done
echo "fuzzing took $(($(date +%s) - start)) s in all"
exit "$status"
