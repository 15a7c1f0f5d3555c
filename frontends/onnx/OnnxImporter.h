//===- OnnxImporter.h - ONNX model to MLIR ----------------------*- C++ -*-===//
//
// Public entry point of the ONNX frontend: a ModelProto becomes a module with
// one `func.func @main` in the qc dialect plus upstream dialects (linalg,
// tensor, arith, math, scf). Initializers and large constants become dense
// resource blobs. Locations carry ONNX node names, and the graph's input and
// output names are kept as `onnx.name` argument and result attributes.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_FRONTENDS_ONNX_ONNXIMPORTER_H
#define QUANTC_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir::qc::onnx {

/// The newest default-domain opset the importer knows; models importing a
/// newer one are refused.
inline constexpr int64_t kNewestOpset = 18;

/// How the importer reads a model.
struct ImportOptions {
  /// Sizes for dynamic input dimensions, keyed by the dimension's
  /// `dim_param` name, or by `INPUT:AXIS` for one without a name. A fixed
  /// size makes everything computed from it static: shape arithmetic folds,
  /// an If on it is decided at import, and a size of 1 broadcasts (a size
  /// known only at run time must equal the sizes it meets).
  llvm::StringMap<int64_t> dimSizes;
};

/// Imports the ONNX model in `path`. On failure returns null and sets `error`
/// to one line: `node 'NAME' (OpType, domain 'D', opset N): WHAT` for a
/// problem with a node, or a description of a problem with the file.
OwningOpRef<ModuleOp> importOnnxFile(MLIRContext *context,
                                     const std::string &path,
                                     std::string &error,
                                     const ImportOptions &options = {});

/// Registers the dialects the importer emits.
void registerImportedDialects(DialectRegistry &registry);

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_ONNXIMPORTER_H
