//===- ConstantEval.cpp - Values the importer can compute at import -------===//
//
// A linalg.generic has no folder upstream (its constant-fold patterns cover
// transposes only), so small generics over constants are interpreted here:
// each point of the iteration space runs the body through the ops' own
// `fold` hooks. Anything a hook cannot fold makes the value unknown. Each
// value is evaluated once per query and the interpreted ops are capped, so
// shared or chained values cannot blow up the work.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ConstantEval.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace {

constexpr int kMaxDepth = 32;
/// Body ops interpreted per evaluation at most: a crafted model must not
/// keep the importer busy.
constexpr int64_t kMaxSteps = 1 << 16;

/// One evaluation: every value is evaluated once (null: not a constant),
/// within kMaxSteps body ops in all.
struct Evaluator {
  explicit Evaluator(int64_t maxElements) : maxElements(maxElements) {}

  int64_t maxElements;
  int64_t steps = 0;
  llvm::DenseMap<Value, DenseElementsAttr> done;

  DenseElementsAttr evaluate(Value v, int depth);
  DenseElementsAttr compute(Value v, RankedTensorType type, int depth);
  DenseElementsAttr evaluateGeneric(linalg::GenericOp g, int depth);
  Attribute outerConstant(Value v, int depth);
};

/// The attribute of a value used inside a body: a scalar or tensor constant,
/// or a tensor computed from constants.
Attribute Evaluator::outerConstant(Value v, int depth) {
  Attribute a;
  if (matchPattern(v, m_Constant(&a)))
    return a;
  if (isa<RankedTensorType>(v.getType()))
    return evaluate(v, depth + 1);
  return {};
}

/// Linear offset of `point` in a row-major tensor of `shape`.
int64_t linearIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> point) {
  int64_t offset = 0;
  for (auto [size, i] : llvm::zip(shape, point))
    offset = offset * size + i;
  return offset;
}

DenseElementsAttr Evaluator::evaluateGeneric(linalg::GenericOp g, int depth) {
  if (g.getNumDpsInits() != 1 || g.getNumReductionLoops() != 0 ||
      !g.getIndexingMapsArray().back().isIdentity() ||
      g.payloadUsesValueFromOperand(g.getDpsInitOperand(0)))
    return {};
  auto resultType = cast<RankedTensorType>(g.getResult(0).getType());
  SmallVector<DenseElementsAttr> inputs;
  for (Value in : g.getDpsInputs()) {
    DenseElementsAttr c = evaluate(in, depth + 1);
    if (!c)
      return {};
    inputs.push_back(c);
  }
  Block &body = g.getRegion().front();
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  SmallVector<Attribute> elements;
  SmallVector<int64_t> point(resultType.getRank(), 0);
  for (int64_t n = 0; n < resultType.getNumElements(); ++n) {
    llvm::DenseMap<Value, Attribute> known;
    for (auto [i, in] : llvm::enumerate(inputs)) {
      SmallVector<int64_t> at = maps[i].compose(point);
      auto shape = cast<ShapedType>(in.getType()).getShape();
      known[body.getArgument(i)] =
          in.getValues<Attribute>()[linearIndex(shape, at)];
    }
    Attribute yielded;
    for (Operation &op : body) {
      if (++steps > kMaxSteps)
        return {};
      if (auto y = dyn_cast<linalg::YieldOp>(op)) {
        yielded = known.lookup(y.getOperand(0));
        break;
      }
      if (auto index = dyn_cast<linalg::IndexOp>(op)) {
        known[index] = IntegerAttr::get(index.getType(), point[index.getDim()]);
        continue;
      }
      SmallVector<Attribute> operands;
      for (Value operand : op.getOperands()) {
        Attribute a = known.lookup(operand);
        if (!a && operand.getParentBlock() != &body)
          a = outerConstant(operand, depth);
        if (!a)
          return {};
        operands.push_back(a);
      }
      SmallVector<OpFoldResult> folded;
      if (failed(op.fold(operands, folded)) ||
          folded.size() != op.getNumResults())
        return {};
      for (auto [result, f] : llvm::zip(op.getResults(), folded)) {
        Attribute a = isa<Attribute>(f) ? cast<Attribute>(f)
                                        : known.lookup(cast<Value>(f));
        if (!a)
          return {};
        known[result] = a;
      }
    }
    auto typed = dyn_cast_if_present<TypedAttr>(yielded);
    if (!typed || typed.getType() != resultType.getElementType())
      return {};
    elements.push_back(yielded);
    // Next point, row-major.
    for (int64_t d = resultType.getRank() - 1; d >= 0; --d) {
      if (++point[d] < resultType.getDimSize(d))
        break;
      point[d] = 0;
    }
  }
  return DenseElementsAttr::get(resultType, elements);
}

DenseElementsAttr Evaluator::evaluate(Value v, int depth) {
  auto known = done.find(v);
  if (known != done.end())
    return known->second;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (depth > kMaxDepth || steps > kMaxSteps || !type ||
      !type.hasStaticShape() || type.getNumElements() > maxElements)
    return {};
  DenseElementsAttr result = compute(v, type, depth);
  done[v] = result;
  return result;
}

DenseElementsAttr Evaluator::compute(Value v, RankedTensorType type,
                                     int depth) {
  DenseElementsAttr c;
  if (matchPattern(v, m_Constant(&c)))
    return c;
  Operation *def = v.getDefiningOp();
  if (!def)
    return {};
  if (auto g = dyn_cast<linalg::GenericOp>(def))
    return evaluateGeneric(g, depth);
  // Ops that keep the elements in order: only the type changes.
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
          tensor::ReshapeOp>(def)) {
    DenseElementsAttr in = evaluate(def->getOperand(0), depth + 1);
    return in ? in.reshape(type) : DenseElementsAttr();
  }
  return {};
}

} // namespace

DenseElementsAttr mlir::qc::onnx::evaluateConstant(Value v,
                                                   int64_t maxElements) {
  Evaluator evaluator(maxElements);
  return evaluator.evaluate(v, 0);
}
