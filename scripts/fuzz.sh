#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/, list in fuzz/fuzz_target.h) for a fixed time on its corpus.
#   scripts/fuzz.sh                      # 20 s per target, all targets
#   scripts/fuzz.sh 1800 onnx_import     # 30 minutes on one target
#
# Builds build/fuzz (scripts/build.sh fuzz), generates seeds into build/fuzz-seeds
# (scripts/fuzz_seeds.py; packed .dsk seeds need build/release/deepshark), then runs each target on
#   build/fuzz-corpus/<target>   the growing working corpus (kept between runs, not checked in)
#   fuzz/corpus/<target>         checked-in seeds        build/fuzz-seeds/<target>  generated seeds
#   fuzz/regressions/<target>    every input that once failed (must pass now)
# with the dictionary fuzz/<target>.dict when there is one. A crash, a violated property, a
# timeout, a leak or an allocation over the ceiling is written to fuzz/regressions/<target>/ (keep
# it: tests/unit/fuzz_replay replays it in the normal builds) and makes the script exit non-zero.
# Prints per target: executions, coverage (cov: edges, ft: features) and corpus size.
#
# Ceilings (docs/robustness.md): inputs are at most DS_FUZZ_MAX_LEN bytes (256 KiB), so the import
# ceiling is 600 * 256 KiB + 512 MiB = 662 MiB; no single allocation may exceed it
# (-malloc_limit_mb) and the process stays under DS_FUZZ_RSS_MB (2048: the ceiling plus libFuzzer's
# corpus, ASan's shadow memory and quarantine). The targets themselves check the exact per-input
# ceiling (600 * input bytes + 512 MiB; .dsk runs add their 16 MiB budget) with the heap meter
# (fuzz/fuzz_support.cc).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
mapfile -t all < <(sed -n 's/^  X(\([a-z_]*\)).*/\1/p' fuzz/fuzz_target.h)  # DS_FUZZ_TARGETS
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
max_len="${DS_FUZZ_MAX_LEN:-262144}"
malloc_mb="${DS_FUZZ_MALLOC_MB:-662}"
rss_mb="${DS_FUZZ_RSS_MB:-2048}"

scripts/build.sh fuzz
/usr/bin/python3 scripts/fuzz_seeds.py build/fuzz-seeds >/dev/null

export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-1000}"
# Leaks are reported per input by libFuzzer; UBSan findings abort (the build does not recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
found=0
summary=()
for t in "${targets[@]}"; do
  bin="build/fuzz/fuzz/fuzz_$t"
  [[ -x "$bin" ]] || { echo "fuzz: no target '$t' (one of: ${all[*]})" >&2; exit 2; }
  work="build/fuzz-corpus/$t"
  regress="fuzz/regressions/$t"
  mkdir -p "$work" "$regress" "fuzz/corpus/$t" "build/fuzz-seeds/$t"
  before=$(ls "$regress" | wc -l)
  dict=()
  [[ -f "fuzz/$t.dict" ]] && dict=(-dict="fuzz/$t.dict")
  log="build/fuzz-corpus/$t.log"
  echo "== fuzz $t: ${seconds}s"
  rc=0
  nice -n 10 "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=25 -rss_limit_mb="$rss_mb" \
    -malloc_limit_mb="$malloc_mb" -print_final_stats=1 -artifact_prefix="$regress/" "${dict[@]}" \
    "$work" "fuzz/corpus/$t" "build/fuzz-seeds/$t" "$regress" >"$log" 2>&1 || rc=$?
  after=$(ls "$regress" | wc -l)
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || echo "cov: ? ft: ? corp: ?")
  line=$(printf '%-13s execs %-9s %s' "$t" "$execs" "$cov")
  if ((rc != 0 || after > before)); then
    found=1
    line+="  FOUND (exit $rc, $((after - before)) new file(s) in $regress/; log $log)"
    grep -E 'ERROR|violation|runtime error|SUMMARY|Slowest unit' "$log" | head -5 | sed 's/^/    /' || true
  fi
  echo "$line"
  summary+=("$line")
done
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$found"
