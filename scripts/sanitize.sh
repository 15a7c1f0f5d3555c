#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-fuzz/ (the build scripts/fuzz.sh makes; -DQUANTC_SANITIZE=address,undefined
# -DQUANTC_FUZZ=ON) and runs lit tests in it. Without arguments: the subset
# CI runs, about 3 minutes of tests on 2 cores (unit, dialect, pass,
# frontend, backend and install tests, and the end-to-end tests of bad
# inputs, run-time checks and small models); `all` runs every lit test
# (about 17 minutes: the conformance suites and stories260k under ASan);
# other arguments are lit paths relative to test/.
#
#   scripts/sanitize.sh [all | PATH...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANTC_FUZZ_BUILD_DIR:-$root/build-fuzz}

QUANTC_BUILD_DIR=$build \
  QUANTC_CMAKE_ARGS="-DQUANTC_SANITIZE=address,undefined -DQUANTC_FUZZ=ON" \
  "$root/scripts/setup.sh"

if (($# == 0)); then
  set -- unit dialects passes frontends backends install \
    e2e/cpu/{bad-inputs,calibrate,compile-run,crash-recovery,errors,index-range,int8-matmuls,names,outputs,pack-matmuls,print-pipeline,quantized-conv,requantize,runtime-checks,stories-length}.test \
    e2e/vulkan/runtime-checks.test
elif [[ $1 == all ]]; then
  set -- .
fi
paths=()
for p in "$@"; do
  paths+=("$build/test/$p")
done
# No leak report for MLIR's process-lifetime objects; LLVM's allocators
# poison memory from instrumented inline code that the uninstrumented LLVM
# libraries then touch (false reports); a model asking for terabytes gets
# null, as without ASan, and reports out of memory.
ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0:allocator_may_return_null=1 \
  /usr/lib/llvm-22/bin/lit -sv "${paths[@]}"
