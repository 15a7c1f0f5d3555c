//===- ImportControlFlow.cpp - If and LSTM --------------------------------===//
//
// If becomes scf.if with each branch graph imported into its region; names
// from enclosing graphs resolve through the parent importer. LSTM becomes an
// scf.for over time steps whose gate products are qc.matmul, so that
// quantization sees the recurrent weights like any other linear layer.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc::onnx;

LogicalResult mlir::qc::onnx::importSubgraph(NodeImporter &parent,
                                             const ::onnx::GraphProto &graph,
                                             Region &region,
                                             SmallVectorImpl<Value> &results,
                                             SmallVectorImpl<bool> &resultsUnsigned) {
  if (graph.input_size())
    return parent.fail("subgraphs with inputs are not supported here");
  Block *block = new Block();
  region.push_back(block);
  OpBuilder b(parent.b.getContext());
  b.setInsertionPointToStart(block);
  GraphImporter sub(parent.graph.context, parent.graph.table, parent.opset,
                    parent.graph.modelPath, parent.graph.error, &parent.graph);
  if (failed(sub.importBody(graph, b)))
    return failure();
  for (const auto &output : graph.output()) {
    const TensorValue *tv = sub.lookup(output.name());
    if (!tv)
      return parent.fail("subgraph output '" + output.name() +
                         "' is never produced");
    results.push_back(tv->value);
    resultsUnsigned.push_back(tv->isUnsigned);
  }
  return success();
}

namespace {

/// The most specific type both branch results can be cast to.
FailureOr<Type> joinTypes(Type a, Type b) {
  if (a == b)
    return a;
  auto ta = dyn_cast<RankedTensorType>(a), tb = dyn_cast<RankedTensorType>(b);
  if (!ta || !tb || ta.getRank() != tb.getRank() ||
      ta.getElementType() != tb.getElementType())
    return failure();
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(ta.getShape(), tb.getShape()))
    shape.push_back(x == y ? x : ShapedType::kDynamic);
  return Type(RankedTensorType::get(shape, ta.getElementType()));
}

LogicalResult importIf(NodeImporter &n) {
  if (failed(n.require(0, "cond")))
    return failure();
  if (!n.elementType(0).isInteger(1) || n.type(0).getNumElements() != 1)
    return n.fail("cond must be a single bool");
  const auto *thenAttr = n.attr("then_branch");
  const auto *elseAttr = n.attr("else_branch");
  if (!thenAttr || !elseAttr || !thenAttr->has_g() || !elseAttr->has_g())
    return n.fail("needs then_branch and else_branch graphs");
  // Branches are imported into detached regions first: the scf.if's result
  // types are only known once both are.
  Region thenRegion, elseRegion;
  SmallVector<Value> thenResults, elseResults;
  SmallVector<bool> thenUnsigned, elseUnsigned;
  if (failed(importSubgraph(n, thenAttr->g(), thenRegion, thenResults, thenUnsigned)) ||
      failed(importSubgraph(n, elseAttr->g(), elseRegion, elseResults, elseUnsigned)))
    return failure();
  if (thenResults.size() != elseResults.size() ||
      static_cast<int>(thenResults.size()) != n.numOutputs())
    return n.fail("branches must produce one value per output");
  SmallVector<Type> types;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(thenResults, elseResults))) {
    Type t = std::get<0>(pair).getType(), e = std::get<1>(pair).getType();
    auto joined = joinTypes(t, e);
    if (failed(joined)) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << "branch outputs #" << i << " have incompatible types: then " << t
         << ", else " << e;
      return n.fail(s);
    }
    types.push_back(*joined);
  }
  auto yield = [&](Region &region, SmallVector<Value> &values) {
    OpBuilder b(n.b.getContext());
    b.setInsertionPointToEnd(&region.front());
    SmallVector<Value> cast;
    for (auto [v, t] : llvm::zip(values, types))
      cast.push_back(v.getType() == t ? v
                                      : tensor::CastOp::create(b, n.loc, t, v).getResult());
    scf::YieldOp::create(b, n.loc, cast);
  };
  yield(thenRegion, thenResults);
  yield(elseRegion, elseResults);
  Value cond = n.operand(0);
  SmallVector<Value> zeros(n.rank(0), arith::ConstantIndexOp::create(n.b, n.loc, 0));
  Value c = tensor::ExtractOp::create(n.b, n.loc, cond, zeros);
  auto ifOp = scf::IfOp::create(n.b, n.loc, types, c, /*addThenBlock=*/false,
                                /*addElseBlock=*/false);
  ifOp.getThenRegion().takeBody(thenRegion);
  ifOp.getElseRegion().takeBody(elseRegion);
  for (int i = 0; i < n.numOutputs(); ++i)
    n.setResult(i, ifOp.getResult(i), thenUnsigned[i]);
  return success();
}

} // namespace

void mlir::qc::onnx::registerControlFlowOps(OpTable &t) { t["If"] = importIf; }
