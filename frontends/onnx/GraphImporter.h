//===- GraphImporter.h - one ONNX graph (or subgraph) to MLIR ---*- C++ -*-===//

#ifndef QUANTC_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define QUANTC_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/ImportContext.h"

namespace mlir::qc::onnx {

/// Imports the nodes of one graph into the block at a builder's insertion
/// point. Subgraphs (If branches) get their own GraphImporter whose `parent`
/// resolves names from the enclosing scopes.
class GraphImporter {
public:
  GraphImporter(MLIRContext *context, const OpTable &table, int64_t opset,
                std::string modelPath, std::string &error,
                GraphImporter *parent = nullptr)
      : context(context), table(table), opset(opset),
        modelPath(std::move(modelPath)), error(error), parent(parent) {}

  MLIRContext *context;
  const OpTable &table;
  const int64_t opset;
  const std::string modelPath;
  /// The one-line error of the whole import (shared with subgraphs).
  std::string &error;
  GraphImporter *parent;

  /// Opset version of each imported domain ("" for the default one).
  llvm::StringMap<int64_t> domainOpsets;

  /// Values defined in this scope.
  llvm::StringMap<TensorValue> values;

  /// Looks a name up in this scope and the enclosing ones.
  const TensorValue *lookup(StringRef name) const;

  /// Imports initializers and nodes of `graph` at `b`'s insertion point.
  LogicalResult importBody(const ::onnx::GraphProto &graph, OpBuilder &b);

  /// Turns a TensorProto (initializer or Constant value) into a constant.
  FailureOr<TensorValue> importTensor(const ::onnx::TensorProto &tensor,
                                      OpBuilder &b, Location loc,
                                      StringRef nameHint);

  /// `node 'NAME' (OpType, domain 'D', opset N)` for messages.
  std::string describe(const ::onnx::NodeProto &node) const;

private:
  LogicalResult importNode(const ::onnx::NodeProto &node, int index,
                           OpBuilder &b);
};

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_GRAPHIMPORTER_H
