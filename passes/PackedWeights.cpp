//===- PackedWeights.cpp - quantized weights as the kernels read them -----===//

#include "passes/PackedWeights.h"

#include "passes/algorithms/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"

#include <numeric>

using namespace mlir;

namespace mlir::qc {

/// Whether any zero point of a quantized element type is non-zero.
bool anyZeroPoint(Type elementType) {
  if (auto t = dyn_cast<quant::UniformQuantizedType>(elementType))
    return t.getZeroPoint() != 0;
  if (auto t = dyn_cast<quant::UniformQuantizedPerAxisType>(elementType))
    return llvm::any_of(t.getZeroPoints(), [](int64_t z) { return z != 0; });
  auto sub = cast<quant::UniformQuantizedSubChannelType>(elementType);
  return llvm::any_of(sub.getZeroPoints().getValues<APInt>(),
                      [](const APInt &z) { return !z.isZero(); });
}

/// The weight's integer codes, row-major [rows, N], sign-extended.
std::vector<int8_t> readCodes(DenseElementsAttr attr, unsigned bits) {
  int64_t count = attr.getNumElements();
  auto sext = [&](uint8_t raw) {
    return static_cast<int8_t>(static_cast<int8_t>(raw << (8 - bits)) >>
                               (8 - bits));
  };
  ArrayRef<char> raw = attr.getRawData();
  if (attr.isSplat())
    return std::vector<int8_t>(count, sext(static_cast<uint8_t>(raw[0])));
  // Integers of at most 8 bits are stored one per byte.
  std::vector<int8_t> codes(count);
  for (int64_t i = 0; i < count; ++i)
    codes[i] = sext(static_cast<uint8_t>(raw[i]));
  return codes;
}

/// Scale and zero point of every (group, column), from the weight's type.
void readParams(Type elementType, int64_t groups, int64_t n,
                std::vector<double> &scales, std::vector<int32_t> &zeros) {
  scales.assign(groups * n, 1.0);
  zeros.assign(groups * n, 0);
  if (auto t = dyn_cast<quant::UniformQuantizedType>(elementType)) {
    std::fill(scales.begin(), scales.end(), t.getScale());
    std::fill(zeros.begin(), zeros.end(), t.getZeroPoint());
  } else if (auto t =
                 dyn_cast<quant::UniformQuantizedPerAxisType>(elementType)) {
    for (int64_t c = 0; c < n; ++c) {
      scales[c] = t.getScales()[c];
      zeros[c] = t.getZeroPoints()[c];
    }
  } else {
    auto sub = cast<quant::UniformQuantizedSubChannelType>(elementType);
    int64_t i = 0;
    for (APFloat s : sub.getScales().getValues<APFloat>())
      scales[i++] = s.convertToDouble();
    i = 0;
    for (APInt z : sub.getZeroPoints().getValues<APInt>())
      zeros[i++] = static_cast<int32_t>(z.getSExtValue());
  }
}

FailureOr<DenseElementsAttr> weightCodes(Operation *op, Value weight) {
  auto cast_ = weight.getDefiningOp<quant::StorageCastOp>();
  DenseElementsAttr codes;
  if (!cast_ || !matchPattern(cast_.getInput(), m_Constant(&codes)))
    return op->emitOpError("weight must be a quant.scast of an integer "
                           "constant to be lowered");
  return codes;
}

Value scaleConstant(OpBuilder &b, Location loc, ArrayRef<double> scales,
                    ArrayRef<int64_t> shape, FloatType type) {
  SmallVector<APFloat> values;
  for (double s : scales) {
    APFloat v(s);
    bool lost;
    v.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(v);
  }
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(shape, type), values));
}

Value zeroPointConstant(OpBuilder &b, Location loc, ArrayRef<int32_t> zeros,
                        ArrayRef<int64_t> shape) {
  std::vector<int8_t> bytes(zeros.begin(), zeros.end());
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(shape, b.getI8Type()),
                             ArrayRef<int8_t>(bytes)));
}

FailureOr<PackedWeight> packWeight(OpBuilder &b, QuantizedMatmulOp op) {
  Location loc = op.getLoc();
  FailureOr<DenseElementsAttr> codesAttr = weightCodes(op, op.getRhs());
  if (failed(codesAttr))
    return failure();
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  auto qtype = cast<quant::QuantizedType>(rhsType.getElementType());
  PackedWeight w;
  static_cast<PackedWeightLayout &>(w) = PackedWeightLayout::get(rhsType);
  int64_t rows = rhsType.getDimSize(0);
  w.k = cast<RankedTensorType>(op.getLhs().getType()).getShape().back();

  std::vector<int8_t> codes = readCodes(*codesAttr, w.bits);
  std::vector<double> scales;
  std::vector<int32_t> zeros;
  readParams(qtype, w.groups, w.n, scales, zeros);
  w.scaleValues = scales;

  // Planes, and the column sums of (q - z) over each group's real rows.
  SmallVector<std::vector<int8_t>> planes(
      w.bytes, std::vector<int8_t>(w.groups * w.words * w.n));
  w.columnSums.assign(w.groups * w.n, 0);
  std::vector<int8_t> word(w.perWord);
  for (int64_t g = 0; g < w.groups; ++g)
    for (int64_t c = 0; c < w.n; ++c) {
      int32_t zero = zeros[g * w.n + c];
      for (int64_t wd = 0; wd < w.words; ++wd) {
        for (unsigned j = 0; j < w.perWord; ++j) {
          int64_t inGroup = wd * w.perWord + j;
          int64_t row = g * w.groupRows + inGroup;
          bool real = inGroup < w.groupRows && row < rows;
          word[j] = real ? codes[row * w.n + c] : static_cast<int8_t>(zero);
          if (real && row < w.k)
            w.columnSums[g * w.n + c] += word[j] - zero;
        }
        std::vector<uint8_t> packed =
            quantc::algorithms::packBits(word.data(), w.perWord, w.bits);
        for (unsigned p = 0; p < w.bytes; ++p)
          planes[p][(g * w.words + wd) * w.n + c] =
              static_cast<int8_t>(packed[p]);
      }
    }
  auto planeType =
      RankedTensorType::get({w.groups, w.words, w.n}, b.getI8Type());
  for (std::vector<int8_t> &plane : planes)
    w.planes.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(planeType, ArrayRef<int8_t>(plane))));

  FloatType scaleType =
      w.halfScales ? cast<FloatType>(b.getF16Type()) : b.getF32Type();
  SmallVector<int64_t> paramShape = {w.groups, w.n};
  w.scales = scaleConstant(b, loc, scales, paramShape, scaleType);
  if (w.zeroPoints)
    w.zeroPointValues = zeroPointConstant(b, loc, zeros, paramShape);
  return w;
}

PackedWeightLayout PackedWeightLayout::get(RankedTensorType weight) {
  auto qtype = cast<quant::QuantizedType>(weight.getElementType());
  return of(weight.getDimSize(0), weight.getDimSize(1),
            qtype.getStorageTypeIntegralWidth(), qc::groupRows(weight),
            anyZeroPoint(qtype));
}

PackedWeightLayout PackedWeightLayout::of(int64_t rows, int64_t n,
                                          unsigned bits, int64_t groupRows,
                                          bool zeroPoints) {
  PackedWeightLayout l;
  l.bits = bits;
  l.bytes = l.bits / std::gcd(l.bits, 8u);
  l.perWord = 8 * l.bytes / l.bits;
  l.n = n;
  l.groups = groupRows ? (rows + groupRows - 1) / groupRows : 1;
  l.groupRows = groupRows ? groupRows : rows;
  l.words = (l.groupRows + l.perWord - 1) / l.perWord;
  // Group-wise scales are stored as f16: at g = 32 an f32 scale would cost
  // an eighth of a byte per weight, more than a 4-bit code's packing gains.
  l.halfScales = groupRows != 0;
  l.zeroPoints = zeroPoints;
  return l;
}

int64_t quantizedConvBytes(RankedTensorType weight) {
  return quantizedConvBytes(weight.getNumElements(), weight.getDimSize(0),
                            anyZeroPoint(weight.getElementType()));
}

int64_t quantizedConvBytes(int64_t elements, int64_t channels,
                           bool zeroPoints) {
  return elements + 4 * channels + (zeroPoints ? channels : 0);
}

} // namespace mlir::qc

std::optional<std::vector<float>> qc::readFloatConstant(Attribute attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr);
      dense && dense.getElementType().isF32()) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(attr))
    if (std::optional<ArrayRef<float>> data = blob.tryGetAsArrayRef())
      return std::vector<float>(data->begin(), data->end());
  return std::nullopt;
}
