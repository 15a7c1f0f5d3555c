#!/usr/bin/env bash
# Sets up (scripts/setup.sh), checks formatting (scripts/lint.sh), builds,
# and runs every test: lit regression tests and the checks that need the
# ONNX conformance data, then a reproducible fuzzing smoke run (fixed seed,
# 100000 inputs per target under ASan/UBSan, scripts/fuzz.sh) and the
# sanitizer build's test subset (scripts/sanitize.sh). Exits non-zero on
# any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANTC_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
"$root/scripts/lint.sh"
cmake --build "$build" --target quantc-doc
cmake --build "$build" --target check-quantc
QUANTC_FUZZ_SEED=1 "$root/scripts/fuzz.sh" 600 100000
"$root/scripts/sanitize.sh"
