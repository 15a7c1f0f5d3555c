//===- GraphImporter.h - one ONNX graph (or subgraph) to MLIR ---*- C++ -*-===//

#ifndef QUANTC_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define QUANTC_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/ImportContext.h"

#include <deque>
#include <memory>

namespace mlir::qc::onnx {

/// The most specific tensor type both `a` and `b` can be cast to (same rank
/// and element type, sizes kept where equal), if there is one.
std::optional<Type> joinTensorTypes(Type a, Type b);

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

  /// An If whose branch outputs differ in rank, decided only at run time.
  /// No ranked type holds both, so the If does not produce values: the rest
  /// of the graph is imported once into each branch (with that branch's
  /// ranks) and the graph's outputs, which must agree in rank, leave the
  /// scf.if. This is tail duplication; each further such If doubles the
  /// code after it, which `kMaxRankSplits` bounds.
  struct RankSplit {
    const ::onnx::NodeProto *node = nullptr;
    Value condition; // i1
    std::unique_ptr<Region> regions[2];
    SmallVector<TensorValue> results[2];
  };
  static constexpr int kMaxRankSplits = 4;
  /// Set by the If handler; taken by `importNodes` right after the node.
  std::unique_ptr<RankSplit> split;

private:
  LogicalResult importNode(const ::onnx::NodeProto &node, int index,
                           OpBuilder &b);
  /// Imports the `pending` nodes (Kahn order) at `b`.
  LogicalResult importNodes(const ::onnx::GraphProto &graph,
                            std::deque<int> pending, OpBuilder &b);
  /// Imports the rest of the graph into both regions of `split` and makes
  /// the graph's outputs the results of the scf.if.
  LogicalResult importAfterSplit(const ::onnx::GraphProto &graph,
                                 std::deque<int> pending, OpBuilder &b);
  /// How many rank splits of this graph enclose the code being imported.
  int splitDepth = 0;
  /// The same, counting the enclosing graphs' too.
  int splitNesting() const;
  /// The root importer's id of each node imported inside a split (the
  /// location marker of qc::kCopiedNodeFile).
  llvm::DenseMap<const ::onnx::NodeProto *, unsigned> copiedNodeIds;
};

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_GRAPHIMPORTER_H
