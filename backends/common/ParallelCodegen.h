//===- ParallelCodegen.h - object files from an LLVM module, in parallel
//-*-===//
//
// LLVM's code generation runs on one thread per module, and it is most of
// a large model's compile time (stories260k: 7 of 10 s). A large module is
// split into a fixed number of partitions (llvm::SplitModule, functions
// dealt out round robin by size; internal symbols become hidden ones, so
// nothing new is exported), each moved into its own LLVMContext through
// bitcode and compiled on a thread of its own, as LLVM's splitCodeGen does
// (Debian's LLVM headers leave it out). The partition count does not
// depend on the machine, so the artifact is the same everywhere; only the
// thread count does. stories260k at -O3 on 2 cores (Zen 3): 9.6-10.2 s ->
// 6.7-7.6 s; 2 or 8 partitions, or names hashed instead of round robin,
// balanced worse.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_BACKENDS_COMMON_PARALLELCODEGEN_H
#define QUANTC_BACKENDS_COMMON_PARALLELCODEGEN_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::qc {

/// Makes a target machine for one partition (called on the caller's
/// thread, once per partition); null with a message on failure.
using TargetMachineFactory =
    std::function<std::unique_ptr<llvm::TargetMachine>(std::string &error)>;

/// How many partitions `module` is compiled in: 1 below a size where a
/// split pays for its bitcode round trip, or when global data (weights)
/// would make the round trip costly in memory.
unsigned codegenPartitions(const llvm::Module &module);

/// Emits `module` (optimized, with its data layout and triple set) as one
/// object file per partition into `objectPaths` (created as temporaries;
/// the caller removes them). `module` is consumed: it is freed as soon as
/// it has been split.
llvm::Error emitObjects(std::unique_ptr<llvm::Module> module,
                        const TargetMachineFactory &makeTargetMachine,
                        llvm::SmallVectorImpl<std::string> &objectPaths);

} // namespace mlir::qc

#endif // QUANTC_BACKENDS_COMMON_PARALLELCODEGEN_H
