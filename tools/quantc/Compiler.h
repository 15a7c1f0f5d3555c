//===- Compiler.h - load, lower and emit: the driver's shared steps -*- C++
//-*-===//

#ifndef QUANTC_TOOLS_QUANTC_COMPILER_H
#define QUANTC_TOOLS_QUANTC_COMPILER_H

#include "backends/cpu/EmitSharedLibrary.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallString.h"

#include <string>

namespace quantc {

/// Loads MODEL.onnx (imported) or MODEL.mlir/.mlirbc (parsed). On failure
/// returns null with a one-line `error`.
mlir::OwningOpRef<mlir::ModuleOp> loadModule(mlir::MLIRContext &context,
                                             llvm::StringRef path,
                                             std::string &error);

/// Keeps the first error diagnostic as one line, "WHERE: MESSAGE", where
/// WHERE names the ONNX node or the MLIR location.
struct FirstError : mlir::ScopedDiagnosticHandler {
  std::string text;
  explicit FirstError(mlir::MLIRContext *ctx);
};

/// A file removed when this goes out of scope (intermediate artifacts).
struct TemporaryFile {
  llvm::SmallString<128> path;
  /// Creates an empty file named PREFIX-XXXXXX.SUFFIX in the temp dir.
  bool create(llvm::StringRef prefix, llvm::StringRef suffix,
              std::string &error);
  ~TemporaryFile();
};

/// Where a compiled model runs: the CPU, or a Vulkan device (kernels as
/// SPIR-V, host code for this CPU); both give a MODEL.so the runtime loads.
enum class Target { Cpu, Vulkan };

/// Parses "cpu" / "vulkan"; false for anything else.
bool parseTarget(llvm::StringRef name, Target &target);

struct CompileOptions {
  Target target = Target::Cpu;
  /// Vulkan: kernels use Int8 and 8-bit storage (else i8 is emulated in
  /// i32, for devices without them).
  bool vulkanInt8Storage = true;
  /// Vulkan: f32 matmuls stage K-slices in workgroup memory.
  bool vulkanWorkgroupMemory = true;
  mlir::qc::cpu::EmitOptions emit;
  bool instrumentObservers = false; // calibration build
  bool writeHeader = true;          // MODEL.h beside MODEL.so
  bool printPipeline = false;       // print the pass pipeline to stderr
  bool verifyEach = true;           // verify the IR after every pass
};

/// Lowers `module` with the target's pipeline and writes `outputPath` (and
/// its header). On failure returns failure with a one-line `error` naming
/// the ONNX node or MLIR location; no output files are left behind.
mlir::LogicalResult compileModel(mlir::ModuleOp module,
                                 llvm::StringRef outputPath,
                                 const CompileOptions &options,
                                 std::string &error);

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_COMPILER_H
