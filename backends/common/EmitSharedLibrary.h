//===- EmitSharedLibrary.h - LLVM dialect to MODEL.so -----------*- C++ -*-===//

#ifndef QUANTC_BACKENDS_COMMON_EMITSHAREDLIBRARY_H
#define QUANTC_BACKENDS_COMMON_EMITSHAREDLIBRARY_H

#include "backends/common/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::qc {

struct EmitOptions {
  /// Target CPU; empty means the host's CPU with the host's feature list
  /// (named explicitly: `-mcpu=native` misnames these VMs, PIPELINES.md).
  std::string cpu;
  /// Extra target features ("+avx512f,-amx-tile"), appended to the CPU's.
  std::string features;
  /// LLVM optimization level, 0-3.
  unsigned optLevel = 3;
  /// Where to write the optimized LLVM IR as text (empty: nowhere).
  std::string llvmIRPath;
};

/// "" when `cpu` is empty (the host's) or a CPU LLVM knows for the host's
/// target, else an error message naming it.
std::string checkTargetCpu(llvm::StringRef cpu);

/// Translates `module` (LLVM dialect, entry `main` with a C interface) to
/// LLVM IR, adds the runtime's entry points (`quantc_signature`,
/// `quantc_invoke`, see runtime/src/Model.cpp), optimizes, emits an
/// object in-process and links it with ld.lld into `outputPath`. The output
/// appears only when everything succeeded. Errors go to the module's
/// diagnostic handler.
LogicalResult emitSharedLibrary(ModuleOp module,
                                const ModelSignature &signature,
                                llvm::StringRef outputPath,
                                const EmitOptions &options);

} // namespace mlir::qc

#endif // QUANTC_BACKENDS_COMMON_EMITSHAREDLIBRARY_H
