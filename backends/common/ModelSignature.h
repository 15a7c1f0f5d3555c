//===- ModelSignature.h - a compiled model's inputs and outputs -*- C++ -*-===//
//
// What an artifact tells the runtime about its entry point: the name, ONNX
// dtype and shape (-1 for a dynamic size) of every input and output, in
// order. Both backends embed it as text (see formatSignature) and write the
// same facts as a C header for users.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_BACKENDS_COMMON_MODELSIGNATURE_H
#define QUANTC_BACKENDS_COMMON_MODELSIGNATURE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

#include <string>

namespace mlir::qc {

struct TensorSignature {
  std::string name;
  std::string dtype; // ONNX spelling: "float", "int64", "uint8", "bool", ...
  llvm::SmallVector<int64_t> shape; // -1: known only at run time
  /// For an integer input used as indices into a table whose size is known
  /// at compile time: the values it may hold, [lo, hi], and the ONNX node
  /// that indexes (`qc.index_range`/`qc.index_node` argument attributes
  /// from the importer). The runtime checks them before a run.
  std::optional<std::pair<int64_t, int64_t>> indexRange;
  std::string indexNode;
};

struct ModelSignature {
  llvm::SmallVector<TensorSignature> inputs, outputs;
};

/// Reads the signature of `func` (the model entry): names and dtypes from the
/// `onnx.name`/`onnx.dtype` argument and result attributes the importer sets,
/// falling back to `input<i>`/`output<i>` and the element type. Fails with a
/// diagnostic on a non-tensor or unranked boundary value.
FailureOr<ModelSignature> getModelSignature(func::FuncOp func);

/// The text form embedded in artifacts and parsed by the runtime:
///   quantc-signature VERSION
///   input NAME DTYPE RANK D0 D1 ...
///   output NAME DTYPE RANK D0 D1 ...
///   range LO HI NODE     (after an input: its values must lie in [LO, HI])
/// NAME and NODE are percent-encoded (bytes outside [A-Za-z0-9_.:/-] become
/// %XX). A runtime that does not know an entry refuses the artifact.
/// VERSION is 1, or 2 for an artifact that needs the runtime to fill its
/// microkernel table (`quantc_ukernels`): a runtime older than the table
/// then refuses the artifact instead of calling through null slots.
std::string formatSignature(const ModelSignature &signature,
                            unsigned version = 1);

/// A C header naming the model's inputs and outputs with their dtypes and
/// shapes; `guard` is the model's base name.
std::string formatCHeader(const ModelSignature &signature,
                          llvm::StringRef modelName);

} // namespace mlir::qc

#endif // QUANTC_BACKENDS_COMMON_MODELSIGNATURE_H
