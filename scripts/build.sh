#!/usr/bin/env bash
# Configures and builds one configuration.
#   scripts/build.sh                 # Release in build/release
#   scripts/build.sh asan            # ASan+UBSan in build/asan
#   scripts/build.sh tsan            # TSan in build/tsan
#   scripts/build.sh fuzz            # libFuzzer targets (clang, ASan+UBSan) in build/fuzz
#   scripts/build.sh KIND TARGET...  # only these targets (e.g. scripts/build.sh tsan test_io)
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
case "$kind" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DDS_SANITIZE=address,undefined" -DDS_BUILD_BENCH=OFF) ;;
  tsan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_SANITIZE=thread -DDS_BUILD_BENCH=OFF) ;;
  # Only the libraries and the fuzz targets (fuzz/): every library instrumented for coverage.
  fuzz) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ "-DDS_SANITIZE=address,undefined,fuzzer-no-link"
              -DDS_BUILD_FUZZ=ON -DDS_BUILD_TESTS=OFF -DDS_BUILD_BENCH=OFF -DDS_BUILD_CLI=OFF) ;;
  *) echo "usage: scripts/build.sh [release|asan|tsan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$kind" -G Ninja "${args[@]}" >/dev/null
ninja -C "build/$kind" -j"$(nproc)" "${@:2}"
