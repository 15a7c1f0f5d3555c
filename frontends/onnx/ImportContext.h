//===- ImportContext.h - state shared by the ONNX op importers --*- C++ -*-===//
//
// The graph importer walks nodes in topological order and hands each to the
// handler registered for its op type. A handler reads its inputs and
// attributes through NodeImporter, builds IR, and sets its results. Handlers
// live in Import*.cpp files grouped by op family.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_FRONTENDS_ONNX_IMPORTCONTEXT_H
#define QUANTC_FRONTENDS_ONNX_IMPORTCONTEXT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

namespace mlir::qc::onnx {

/// What the importer knows about one ONNX value.
struct TensorValue {
  /// The ranked tensor. ONNX unsigned integers use signless MLIR integers;
  /// `isUnsigned` keeps the signedness for arithmetic, casts and compares.
  Value value;
  bool isUnsigned = false;
  /// Elements known at import time, for small 0-D/1-D integer tensors (shape
  /// computations): each element an IntegerAttr or an `index` Value.
  std::optional<SmallVector<OpFoldResult>> known;
};

class GraphImporter;

/// The view of one node that an op handler works with.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const ::onnx::NodeProto &node,
               int64_t opset, OpBuilder &builder, Location loc)
      : graph(graph), node(node), opset(opset), b(builder), loc(loc) {}

  GraphImporter &graph;
  const ::onnx::NodeProto &node;
  const int64_t opset;
  OpBuilder &b;
  const Location loc;

  //===--- inputs ---------------------------------------------------------===//
  int numInputs() const { return node.input_size(); }
  /// True if input `i` exists and is not the empty name of an omitted
  /// optional input.
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  const TensorValue &input(int i) const;
  Value operand(int i) const { return input(i).value; }
  RankedTensorType type(int i) const {
    return cast<RankedTensorType>(operand(i).getType());
  }
  int64_t rank(int i) const { return type(i).getRank(); }
  Type elementType(int i) const { return type(i).getElementType(); }
  bool isUnsigned(int i) const { return input(i).isUnsigned; }

  /// Integer elements of input `i` when all are import-time constants.
  std::optional<SmallVector<int64_t>> constInts(int i) const;
  /// Float elements of input `i` when it is a constant.
  std::optional<SmallVector<double>> constFloats(int i) const;
  /// Elements of a 0-D/1-D integer input, symbolic where needed.
  std::optional<SmallVector<OpFoldResult>> knownInts(int i);
  /// Axes given as a run-time input: `index` values normalized against
  /// `rank` (negative ones wrap). Fails when the length is not static.
  FailureOr<SmallVector<Value>> runtimeAxes(int i, int64_t rank);

  //===--- attributes -----------------------------------------------------===//
  const ::onnx::AttributeProto *attr(StringRef name) const;
  bool hasAttr(StringRef name) const { return attr(name) != nullptr; }
  int64_t attrInt(StringRef name, int64_t dflt) const;
  float attrFloat(StringRef name, float dflt) const;
  std::string attrString(StringRef name, StringRef dflt) const;
  SmallVector<int64_t> attrInts(StringRef name) const;
  SmallVector<float> attrFloats(StringRef name) const;

  //===--- results --------------------------------------------------------===//
  int numOutputs() const { return node.output_size(); }
  bool hasOutput(int i) const {
    return i < node.output_size() && !node.output(i).empty();
  }
  void setResult(int i, Value v, bool isUnsigned = false,
                 std::optional<SmallVector<OpFoldResult>> known = {});
  void setResult(int i, TensorValue v);

  /// Records an error about this node and returns failure. The message says
  /// what is wrong, in ONNX terms.
  LogicalResult fail(const Twine &message);

  /// The present inputs of a variadic op (Concat, Sum, Einsum, ...), all of
  /// one element type and at least one; fails with a message otherwise.
  FailureOr<SmallVector<Value>> sameTypeInputs();

  /// Checks that input `i` exists; fails with a message otherwise.
  LogicalResult require(int i, StringRef what);
};

using OpHandler = LogicalResult (*)(NodeImporter &);

/// Spatial geometry of a convolution or pooling window.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads; // pads: begins, ends
};

/// Reads a node's strides/dilations/pads/auto_pad for `kernel`, checking
/// that they match the spatial rank and are positive (pads non-negative).
/// `spatialIn` are the input's spatial sizes, needed static only for SAME_*
/// auto_pad.
FailureOr<Window> readWindow(NodeImporter &n, ArrayRef<int64_t> kernel,
                             ArrayRef<int64_t> spatialIn);

/// qc.conv of `input` and `weight` (float, channels first) over `window`,
/// with its result type computed; fails when the kernel does not fit.
FailureOr<Value> buildConv(NodeImporter &n, Value input, Value weight,
                           Value bias, const Window &window, int64_t group);

/// Op type → handler, for the default ONNX domain.
using OpTable = llvm::StringMap<OpHandler>;

void registerElementwiseOps(OpTable &table);
void registerReductionOps(OpTable &table);
void registerShapeOps(OpTable &table);
void registerSliceOps(OpTable &table);
void registerIndexingOps(OpTable &table);
void registerResizeOps(OpTable &table);
void registerLinearOps(OpTable &table);
void registerNormOps(OpTable &table);
void registerControlFlowOps(OpTable &table);
void registerQuantizedOps(OpTable &table);

/// Imports a subgraph (If branches) into `region`'s single block, returning
/// its outputs (with their signedness and, when `known` is given, their
/// elements known at import).
LogicalResult importSubgraph(
    NodeImporter &parent, const ::onnx::GraphProto &graph, Region &region,
    SmallVectorImpl<Value> &results, SmallVectorImpl<bool> &resultsUnsigned,
    SmallVectorImpl<std::optional<SmallVector<OpFoldResult>>> *known = nullptr);

/// Text from the model made printable on one line: valid UTF-8 without
/// control characters as is, anything else escaped.
std::string printable(StringRef text);

/// MLIR element type for an ONNX TensorProto data type; null if unsupported.
Type convertElementType(MLIRContext *ctx, int32_t dataType);
/// True for ONNX's unsigned integer data types.
bool isUnsignedDataType(int32_t dataType);
/// Name of an ONNX data type for messages.
std::string dataTypeName(int32_t dataType);
/// ONNX name of the data type an MLIR element type stands for.
std::string dataTypeName(Type elementType, bool isUnsigned);

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_IMPORTCONTEXT_H
