#!/usr/bin/env bash
# Installs every Debian package quantc's build and tests need (idempotent: apt is
# only called when something is missing), then configures and builds into build/.
#
#   scripts/setup.sh            install + configure + build
#   QUANTC_BUILD_DIR=dir ...    build elsewhere
#   QUANTC_CMAKE_ARGS="-D..."   extra configure options (a new build dir only)
#   QUANTC_BUILD_TARGET=t ...   build one target instead of all
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANTC_BUILD_DIR:-$root/build}

packages=(
  # compiler infrastructure (DESIGN.md: Debian's LLVM/MLIR 22, dylibs)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22 libomp-22-dev
  clang-format-22
  # sanitizer and libFuzzer runtimes (scripts/fuzz.sh)
  libclang-rt-22-dev
  # build tools
  cmake ninja-build ccache
  # ONNX import and test-model generation
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx python3-numpy libonnx-testdata
  # numerics and unit tests
  libeigen3-dev libgtest-dev
  # Vulkan backend: loader, lavapipe, SPIR-V validation
  libvulkan-dev mesa-vulkan-drivers spirv-tools
)

missing=()
for p in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

if [[ ! -f $build/build.ninja ]]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    ${QUANTC_CMAKE_ARGS:-} "${launcher[@]}" >/dev/null
fi
cmake --build "$build" ${QUANTC_BUILD_TARGET:+--target "$QUANTC_BUILD_TARGET"}
