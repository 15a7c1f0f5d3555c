//===- ImportControlFlow.cpp ---------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::qc::onnx;

void mlir::qc::onnx::registerControlFlowOps(OpTable &t) {}
LogicalResult mlir::qc::onnx::importSubgraph(NodeImporter &, const ::onnx::GraphProto &, Region &, SmallVectorImpl<Value> &, SmallVectorImpl<bool> &) { return failure(); }
