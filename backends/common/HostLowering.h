//===- HostLowering.h - host loops to the LLVM dialect ----------*- C++ -*-===//

#ifndef QUANTC_BACKENDS_COMMON_HOSTLOWERING_H
#define QUANTC_BACKENDS_COMMON_HOSTLOWERING_H

namespace mlir {
class OpPassManager;
namespace qc {

struct HostLoweringOptions {
  /// scf.parallel loops become OpenMP threads (the CPU target).
  bool openmp = false;
  /// The module holds vector ops (the CPU target's register tiles).
  bool vectors = false;
};

/// The tail both targets' host code takes to the LLVM dialect, anchored on
/// `builtin.module`: strided metadata expanded before affine is lowered,
/// (OpenMP,) structured control flow to branches, (vectors unrolled to 1-d,)
/// integer powers as functions and math without an LLVM intrinsic as libm
/// calls, memrefs through the runtime's allocator (generic functions), then
/// everything else to LLVM.
void addHostLowering(OpPassManager &pm, const HostLoweringOptions &options);

} // namespace qc
} // namespace mlir

#endif // QUANTC_BACKENDS_COMMON_HOSTLOWERING_H
