//===- Compiler.h - load, lower and emit a model ----------------*- C++ -*-===//
//
// Part of the driver library (QuantcDriver): a model file in, an artifact
// (MODEL.so, and MODEL.h) out, through one pass manager that runs the
// quantization pipeline and the target's backend pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_COMPILER_H
#define QUANTC_TOOLS_DRIVER_COMPILER_H

#include "tools/driver/Quantize.h"
#include "tools/driver/Support.h"

#include "backends/common/EmitSharedLibrary.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace quantc {

/// Loads MODEL.onnx (imported with `import`) or MODEL.mlir/.mlirbc (parsed;
/// `import` must then be empty).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModule(mlir::MLIRContext &context, llvm::StringRef path,
           const mlir::qc::onnx::ImportOptions &import = {});

/// Parses `--dim` values, each NAME=SIZE (NAME a dim_param, or INPUT:AXIS;
/// SIZE >= 0), into import options.
llvm::Expected<mlir::qc::onnx::ImportOptions>
parseDimSizes(llvm::ArrayRef<std::string> values);

/// Where a compiled model runs: the CPU, or a Vulkan device (kernels as
/// SPIR-V, host code for this CPU); both give a MODEL.so the runtime loads.
enum class Target { Cpu, Vulkan };

/// Parses "cpu" / "vulkan".
llvm::Expected<Target> parseTarget(llvm::StringRef name);

struct CompileOptions {
  Target target = Target::Cpu;
  /// Quantization (weightBits 0: none). Static activations need their stats
  /// file: see prepareCalibration().
  QuantizeOptions quantize;
  /// Vulkan: kernels use Int8 and 8-bit storage (else i8 is emulated in
  /// i32, for devices without them).
  bool vulkanInt8Storage = true;
  /// Vulkan: f32 matmuls stage K-slices in workgroup memory.
  bool vulkanWorkgroupMemory = true;
  mlir::qc::EmitOptions emit;
  bool instrumentObservers = false; // calibration build
  bool writeHeader = true;          // MODEL.h beside MODEL.so
  bool verifyEach = true;           // verify the IR after every pass
  /// Print the whole pipeline as a quant-opt command line to stderr.
  bool printPipeline = false;
  /// Also write the module as code generation receives it (LLVM dialect).
  std::string loweredMlirPath;
  /// Append qc-debug-crash after quantization: a crash on purpose, to test
  /// crash recovery.
  bool debugCrash = false;
};

/// Adds the passes compileModel() runs: the quantization pipeline, then the
/// target's backend pipeline.
void buildCompilePipeline(mlir::OpPassManager &pm,
                          const CompileOptions &options);

/// Lowers `module` and writes `outputPath` (and its header). Errors name the
/// ONNX node or MLIR location; no output files are left behind.
llvm::Error compileModel(mlir::ModuleOp module, llvm::StringRef outputPath,
                         const CompileOptions &options);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_COMPILER_H
