//===- QuantizeWeights.cpp - round-to-nearest matmul weights --------------===//
//
// qc.matmul with a constant f32 weight becomes qc.quantized_matmul on an
// integer constant whose upstream !quant.uniform type carries the scales.
// The rounding itself is passes/algorithms (quantizeRTN), shared with the
// unit tests.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/algorithms/UniformQuant.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

/// The values of an f32 constant (inline or a resource blob), if readable.
std::optional<std::vector<float>> readFloats(Attribute attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(attr))
    if (std::optional<ArrayRef<float>> data = blob.tryGetAsArrayRef())
      return std::vector<float>(data->begin(), data->end());
  return std::nullopt;
}

/// The !quant.uniform element type describing `q`'s scales.
Type quantizedType(const alg::QuantizedWeights &q, unsigned bits,
                   MLIRContext *ctx) {
  auto storage = IntegerType::get(ctx, bits);
  auto f32 = Float32Type::get(ctx);
  alg::QuantRange range = alg::QuantRange::signedBits(bits);
  unsigned flags = quant::QuantizationFlags::Signed;
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  for (const alg::QuantParams &p : q.params) {
    scales.push_back(p.scale);
    zeroPoints.push_back(p.zeroPoint);
  }
  switch (q.granularity) {
  case alg::Granularity::PerTensor:
    return quant::UniformQuantizedType::get(flags, storage, f32, scales[0],
                                            zeroPoints[0], range.qmin,
                                            range.qmax);
  case alg::Granularity::PerChannel:
    return quant::UniformQuantizedPerAxisType::get(
        flags, storage, f32, scales, zeroPoints, /*quantizedDimension=*/1,
        range.qmin, range.qmax);
  case alg::Granularity::PerGroup: {
    SmallVector<int64_t> shape = {q.numGroups(), q.cols};
    SmallVector<float> groupScales(scales.begin(), scales.end());
    auto scalesAttr =
        DenseElementsAttr::get(RankedTensorType::get(shape, f32),
                               ArrayRef<float>(groupScales));
    auto zerosAttr = DenseElementsAttr::get(
        RankedTensorType::get(shape, IntegerType::get(ctx, 64)),
        ArrayRef<int64_t>(zeroPoints));
    return quant::UniformQuantizedSubChannelType::get(
        flags, storage, f32, scalesAttr, zerosAttr, {0, 1},
        {q.groupSize, 1}, range.qmin, range.qmax);
  }
  }
  llvm_unreachable("unknown granularity");
}

struct QuantizeWeights : qc::impl::QuantizeWeightsBase<QuantizeWeights> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: bits must be in [2, 8], got "
          << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    if (groupSize < -1) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: group-size must be -1, 0 or positive, got "
          << static_cast<int64_t>(groupSize);
      return signalPassFailure();
    }
    SmallVector<MatmulOp> candidates;
    getOperation().walk([&](MatmulOp op) { candidates.push_back(op); });
    for (MatmulOp op : candidates)
      if (failed(quantize(op)))
        return signalPassFailure();
  }

  LogicalResult quantize(MatmulOp op) {
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    Attribute value;
    if (rhsType.getRank() != 2 || lhsType.getRank() < 2 ||
        !rhsType.getElementType().isF32() || !rhsType.hasStaticShape() ||
        !matchPattern(op.getRhs(), m_Constant(&value)))
      return success(); // not a weight matmul: stays float
    std::optional<std::vector<float>> weights = readFloats(value);
    if (!weights)
      return op.emitOpError("weight constant cannot be read for quantization");
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    alg::Granularity granularity =
        groupSize == -1  ? alg::Granularity::PerTensor
        : groupSize == 0 || groupSize >= k ? alg::Granularity::PerChannel
                                           : alg::Granularity::PerGroup;
    alg::QuantizedWeights q = alg::quantizeRTN(
        weights->data(), k, n, bits, granularity,
        granularity == alg::Granularity::PerGroup ? groupSize : k, symmetric);

    // Whole groups for quant.scast: padded rows hold the zero point of
    // their column's last group, so they dequantize to exactly 0.
    int64_t rows = k;
    std::vector<int8_t> codes = std::move(q.values);
    if (granularity == alg::Granularity::PerGroup && k % groupSize != 0) {
      rows = q.numGroups() * groupSize;
      codes.resize(rows * n);
      for (int64_t r = k; r < rows; ++r)
        for (int64_t c = 0; c < n; ++c)
          codes[r * n + c] = static_cast<int8_t>(q.paramsAt(k - 1, c).zeroPoint);
    }

    MLIRContext *ctx = &getContext();
    OpBuilder b(op);
    Location loc = op.getLoc();
    // Integers narrower than a byte are stored one per byte in a dense
    // attribute, so the codes are its raw buffer.
    auto storageType =
        RankedTensorType::get({rows, n}, IntegerType::get(ctx, bits));
    auto attr = DenseElementsAttr::getFromRawBuffer(
        storageType,
        ArrayRef<char>(reinterpret_cast<const char *>(codes.data()),
                       codes.size()));
    Value storage = arith::ConstantOp::create(b, loc, storageType, attr);
    auto weightType =
        RankedTensorType::get({rows, n}, quantizedType(q, bits, ctx));
    Value weight =
        quant::StorageCastOp::create(b, loc, weightType, storage).getResult();
    auto replacement = QuantizedMatmulOp::create(
        b, loc, op.getType(), op.getLhs(), /*lhs_scale=*/Value(), weight,
        /*lrc_a=*/Value(), /*lrc_b=*/Value());
    Operation *floatWeight = op.getRhs().getDefiningOp();
    op.replaceAllUsesWith(replacement.getResult());
    op.erase();
    if (floatWeight->use_empty())
      floatWeight->erase();
    return success();
  }
};

} // namespace
