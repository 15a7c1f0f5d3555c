#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/ and runs each for SECONDS
# (default 60) or RUNS executions, whichever ends first. The importer's
# corpus is seeded with the ONNX conformance suite's models and the past
# findings kept in fuzz/regressions/; findings
# (crash-*, leak-*, timeout-*) land in build-fuzz/findings/ and fail the
# script. QUANTC_FUZZ_SEED fixes libFuzzer's seed (with RUNS, a
# reproducible run: what scripts/test.sh does; 0, the default, is random).
#
#   scripts/fuzz.sh [SECONDS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANTC_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-60}
runs=${2:--1}
seed=${QUANTC_FUZZ_SEED:-0}

QUANTC_BUILD_DIR=$build QUANTC_BUILD_TARGET=quantc-fuzzers \
  QUANTC_CMAKE_ARGS="-DQUANTC_SANITIZE=address,undefined -DQUANTC_FUZZ=ON" \
  "$root/scripts/setup.sh"

corpus=$build/fuzz-corpus
findings=$build/findings
mkdir -p "$corpus/onnx-import" "$corpus/runtime-inputs" "$findings"
if [[ -z $(ls -A "$corpus/onnx-import") ]]; then
  for m in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
    cp "$m" "$corpus/onnx-import/$(basename "$(dirname "$m")").onnx"
  done
fi
if [[ -z $(ls -A "$corpus/runtime-inputs") ]]; then
  # Byte 0 picks the reader: 0 signature text, 1 .npy, 2 .pb.
  printf '\0quantc-signature 1\ninput x float 2 -1 3\nrange 0 511 %%\noutput y%%2C1 int64 1 4\n' \
    > "$corpus/runtime-inputs/signature"
  /usr/bin/python3 - "$corpus/runtime-inputs" <<'PY'
import io, sys
import numpy as np
for i, a in enumerate([np.ones((2, 3), np.float32), np.arange(4, dtype=np.int64),
                       np.zeros((), np.uint8), np.ones((1, 0, 2), np.float16)]):
    b = io.BytesIO(); np.save(b, a)
    open(f"{sys.argv[1]}/npy{i}", "wb").write(b"\x01" + b.getvalue())
PY
  for pb in /usr/share/libonnx-testdata/data/node/test_add/test_data_set_0/*.pb; do
    { printf '\2'; cat "$pb"; } > "$corpus/runtime-inputs/pb-$(basename "$pb")"
  done
fi

# Every past finding (fuzz/regressions/TARGET/) is run first, every time.
for dir in "$root"/fuzz/regressions/*/; do
  cp "$dir"* "$corpus/$(basename "$dir")/"
done

status=0
for fuzzer in onnx-import runtime-inputs; do
  echo "fuzz: quantc-fuzz-$fuzzer for ${seconds}s (runs: $runs)"
  rm -f "$findings/$fuzzer-"* # this run's findings only
  log=$findings/$fuzzer.log
  # Leaks: the importer keeps one MLIR context across inputs on purpose.
  # User poisoning: LLVM's allocators poison memory in instrumented inline
  # code that the uninstrumented LLVM libraries then use (false reports).
  fuzz_status=0
  ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0 "$build/bin/quantc-fuzz-$fuzzer" \
    -max_total_time="$seconds" -runs="$runs" -seed="$seed" -rss_limit_mb=4096 \
    -max_len=65536 -timeout=20 -report_slow_units=1000000 -print_final_stats=1 \
    -artifact_prefix="$findings/$fuzzer-" "$corpus/$fuzzer" >"$log" 2>&1 ||
    fuzz_status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Done)" "$log" || true
  if ((fuzz_status)) || find "$findings" \( -name "$fuzzer-crash-*" -o \
      -name "$fuzzer-leak-*" -o -name "$fuzzer-timeout-*" -o \
      -name "$fuzzer-oom-*" \) | grep -q .; then
    echo "fuzz: quantc-fuzz-$fuzzer failed (exit $fuzz_status); see $log and $findings"
    status=1
  fi
done
exit $status
