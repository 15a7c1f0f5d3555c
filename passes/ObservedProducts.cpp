//===- ObservedProducts.cpp - the weight products an observer feeds -------===//

#include "passes/ObservedProducts.h"

#include "passes/PackedWeights.h"
#include "passes/Passes.h"
#include "passes/algorithms/Awq.h"
#include "passes/algorithms/UniformQuant.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

std::vector<float> qc::channelVector(Operation *op, StringRef name, int64_t k) {
  auto attr = op->getAttrOfType<DenseElementsAttr>(name);
  if (!attr || attr.getNumElements() != k || !attr.getElementType().isF32())
    return {};
  auto values = attr.getValues<float>();
  return std::vector<float>(values.begin(), values.end());
}

FailureOr<std::optional<ObservedProducts>> qc::observedProducts(ObserveOp op,
                                                                bool needGram) {
  auto type = cast<RankedTensorType>(op.getType());
  if (type.getRank() < 2 || type.isDynamicDim(type.getRank() - 1))
    return std::optional<ObservedProducts>();
  ObservedProducts found;
  found.k = type.getShape().back();
  for (Operation *user : op->getUsers()) {
    auto mm = dyn_cast<MatmulOp>(user);
    Attribute value;
    auto rhsType =
        mm ? cast<RankedTensorType>(mm.getRhs().getType()) : RankedTensorType();
    if (!mm || mm.getLhs() != op.getResult() || rhsType.getRank() != 2 ||
        !rhsType.getElementType().isF32() || !rhsType.hasStaticShape() ||
        !matchPattern(mm.getRhs(), m_Constant(&value)))
      continue;
    std::optional<std::vector<float>> w = readFloatConstant(value);
    if (!w)
      return mm.emitOpError("weight constant cannot be read");
    found.products.push_back(mm);
    found.weights.push_back(std::move(*w));
  }
  std::optional<std::vector<float>> gram;
  if (Attribute g = op->getAttr(kInputGramAttr))
    gram = readFloatConstant(g);
  if (found.products.empty())
    return std::optional<ObservedProducts>();
  bool hasGram = gram && gram->size() == static_cast<size_t>(found.k * found.k);
  // Without its statistics the layer would silently stay untransformed.
  if (needGram && !hasGram)
    return op.emitOpError("feeds weight products but has no [")
           << found.k << ", " << found.k << "] f32 " << kInputGramAttr
           << " (a stats file from `quantc calibrate --gram`, through "
              "qc-apply-stats)";
  if (hasGram)
    found.gram = std::move(*gram);
  found.meanAbs = channelVector(op, kChannelMeanAbsAttr, found.k);
  found.meanSquare = channelVector(op, kChannelMeanSquareAttr, found.k);
  return std::optional<ObservedProducts>(std::move(found));
}

void qc::setWeight(MatmulOp mm, ArrayRef<float> values) {
  auto type = cast<RankedTensorType>(mm.getRhs().getType());
  OpBuilder b(mm);
  Value constant = arith::ConstantOp::create(
      b, mm.getLoc(), type, DenseElementsAttr::get(type, values));
  Operation *old = mm.getRhs().getDefiningOp();
  mm.getRhsMutable().assign(constant);
  if (old && old->use_empty())
    old->erase();
}

std::vector<float> WeightRounding::roundTrip(const std::vector<float> &w,
                                             int64_t k, int64_t n,
                                             const float *importance) const {
  alg::QuantizedWeights q =
      alg::quantizeRTN(w.data(), k, n, bits, alg::granularityFor(groupSize, k),
                       alg::rowsPerScale(groupSize, k), symmetric,
                       clip == WeightClip::Mse ? alg::RangeChoice::Mse
                                               : alg::RangeChoice::MinMax,
                       importance);
  return q.dequantizedAll();
}

double WeightRounding::outputError(const std::vector<float> &w, int64_t k,
                                   int64_t n,
                                   const std::vector<float> &gram) const {
  std::vector<float> diag(k);
  for (int64_t i = 0; i < k; ++i)
    diag[i] = gram[i * k + i];
  std::vector<float> what = roundTrip(w, k, n, diag.data());
  return alg::outputError(w.data(), what.data(), k, n, gram.data());
}

DenseElementsAttr qc::floatAttr(MLIRContext *ctx, ArrayRef<int64_t> shape,
                                ArrayRef<float> values) {
  return DenseElementsAttr::get(
      RankedTensorType::get(shape, Float32Type::get(ctx)), values);
}
