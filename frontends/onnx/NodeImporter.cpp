//===- NodeImporter.cpp - inputs, attributes and results of a node --------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::qc::onnx;

const TensorValue &NodeImporter::input(int i) const {
  // The graph importer only runs a handler once every named input resolves.
  return *graph.lookup(node.input(i));
}

FailureOr<SmallVector<Value>> NodeImporter::sameTypeInputs() {
  SmallVector<Value> inputs;
  for (int i = 0; i < numInputs(); ++i)
    if (hasInput(i))
      inputs.push_back(operand(i));
  if (inputs.empty())
    return fail("needs at least one input");
  Type t = cast<RankedTensorType>(inputs.front().getType()).getElementType();
  for (Value v : inputs)
    if (cast<RankedTensorType>(v.getType()).getElementType() != t)
      return fail("inputs have different element types");
  return inputs;
}

LogicalResult NodeImporter::require(int i, StringRef what) {
  if (hasInput(i))
    return success();
  return fail("missing required input #" + Twine(i) + " (" + what + ")");
}

/// Elements of a constant's dense attribute, if it has an inline one.
static DenseElementsAttr denseConstant(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return nullptr;
  return dyn_cast<DenseElementsAttr>(cst.getValue());
}

std::optional<SmallVector<int64_t>> NodeImporter::constInts(int i) const {
  if (!hasInput(i))
    return std::nullopt;
  const TensorValue &tv = input(i);
  if (tv.known) {
    SmallVector<int64_t> out;
    for (OpFoldResult e : *tv.known) {
      auto c = constantOf(e);
      if (!c)
        return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  DenseElementsAttr dense = denseConstant(tv.value);
  if (!dense || !isa<IntegerType>(dense.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> out;
  for (APInt v : dense.getValues<APInt>())
    out.push_back(tv.isUnsigned ? v.getZExtValue() : v.getSExtValue());
  return out;
}

std::optional<SmallVector<double>> NodeImporter::constFloats(int i) const {
  if (!hasInput(i))
    return std::nullopt;
  const TensorValue &tv = input(i);
  if (auto ints = constInts(i)) {
    SmallVector<double> out(ints->begin(), ints->end());
    return out;
  }
  DenseElementsAttr dense = denseConstant(tv.value);
  if (!dense || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  SmallVector<double> out;
  for (APFloat v : dense.getValues<APFloat>())
    out.push_back(v.convertToDouble());
  return out;
}

std::optional<SmallVector<OpFoldResult>> NodeImporter::knownInts(int i) {
  if (!hasInput(i))
    return std::nullopt;
  const TensorValue &tv = input(i);
  if (tv.known)
    return tv.known;
  if (auto ints = constInts(i)) {
    SmallVector<OpFoldResult> out;
    for (int64_t v : *ints)
      out.push_back(b.getIndexAttr(v));
    return out;
  }
  // A small static 0-D/1-D integer tensor computed at run time: read its
  // elements with tensor.extract.
  RankedTensorType t = type(i);
  if (!isa<IntegerType>(t.getElementType()) || t.getRank() > 1 ||
      !t.hasStaticShape() || t.getNumElements() > 64)
    return std::nullopt;
  SmallVector<OpFoldResult> out;
  for (int64_t k = 0; k < t.getNumElements(); ++k) {
    SmallVector<Value> idx;
    if (t.getRank() == 1)
      idx.push_back(arith::ConstantIndexOp::create(b, loc, k));
    Value e = tensor::ExtractOp::create(b, loc, operand(i), idx);
    out.push_back(
        convertScalar(b, loc, e, b.getIndexType(), tv.isUnsigned, false));
  }
  return out;
}

FailureOr<SmallVector<Value>> NodeImporter::runtimeAxes(int i, int64_t rank) {
  auto raw = knownInts(i);
  if (!raw)
    return fail("axes must have a static length");
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value r = arith::ConstantIndexOp::create(b, loc, rank);
  SmallVector<Value> axes;
  for (OpFoldResult a : *raw) {
    Value v = indexValue(b, loc, a);
    Value neg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
    axes.push_back(arith::SelectOp::create(
        b, loc, neg, arith::AddIOp::create(b, loc, v, r), v));
  }
  return axes;
}

const ::onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::attrInt(StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeImporter::attrFloat(StringRef name, float dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeImporter::attrString(StringRef name, StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}

SmallVector<int64_t> NodeImporter::attrInts(StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return {};
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

SmallVector<float> NodeImporter::attrFloats(StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return {};
  return SmallVector<float>(a->floats().begin(), a->floats().end());
}

void NodeImporter::setResult(int i, Value v, bool isUnsigned,
                             std::optional<SmallVector<OpFoldResult>> known) {
  TensorValue tv;
  tv.value = v;
  tv.isUnsigned = isUnsigned;
  tv.known = std::move(known);
  setResult(i, std::move(tv));
}

void NodeImporter::setResult(int i, TensorValue v) {
  if (!hasOutput(i))
    return;
  graph.values[node.output(i)] = std::move(v);
}

LogicalResult NodeImporter::fail(const Twine &message) {
  if (graph.error.empty())
    graph.error = graph.describe(node) + ": " + message.str();
  return failure();
}
