#!/usr/bin/env bash
# The whole test suite: dependencies, Release build, generated test models, every test (ctest),
# then the unit tests again under ASan+UBSan, the concurrent ones under TSan, and every fuzz
# target for a short fixed time.
#   scripts/test.sh            # everything
#   scripts/test.sh --quick    # Release tests only, skipping the sanitizer and fuzzing passes
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

scripts/deps.sh
scripts/build.sh release
/usr/bin/python3 scripts/make_models.py --out build/models
/usr/bin/python3 scripts/ocr_inputs.py --out build/models
/usr/bin/python3 scripts/make_tf_models.py models build/models/tf
/usr/bin/python3 scripts/make_caffe_models.py build/models/caffe
/usr/bin/python3 scripts/make_shared_refs.py --out build/models/shared_refs
[[ -d ../shared/models ]] || echo "NOTE: ../shared/models is absent: tests that need real models will be skipped"

# Tests run two at a time on 2 cores, each with up to 2 OpenMP threads: short spin-waits keep an
# oversubscribed machine from burning whole time slices in OpenMP barriers (results are unchanged).
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-1000}"
ctest --test-dir build/release --output-on-failure -j2 --timeout 1200
if ((quick == 0)); then
  scripts/build.sh asan
  # Model-level tests are slow under ASan; the unit suites cover the sanitizer pass.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/asan --output-on-failure -j2 --timeout 1200 -LE test_models
  # TSan on the tests with DeepShark's own threads (ctest label 'concurrent': loader, ring, block
  # stream, replan). OMP_THREAD_LIMIT=1: libgomp and libdnnl are not instrumented and libgomp's
  # barriers are invisible to TSan, so oneDNN's own threads would only give false races.
  scripts/build.sh tsan test_io test_pack test_stream_plan
  OMP_THREAD_LIMIT=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build/tsan -L concurrent --output-on-failure -j2 --timeout 1200
  # Every libFuzzer target for a short fixed time on its corpus (clang, ASan+UBSan); a finding is
  # written to fuzz/regressions/ (the unit tests replay it) and fails the suite.
  scripts/fuzz.sh "${DS_FUZZ_SECONDS:-20}"
fi
