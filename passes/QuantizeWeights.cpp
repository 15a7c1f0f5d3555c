//===- QuantizeWeights.cpp - round-to-nearest matmul weights --------------===//
//
// qc.matmul with a constant f32 weight becomes qc.quantized_matmul on an
// integer constant whose upstream !quant.uniform type carries the scales.
// The rounding itself is passes/algorithms (quantizeRTN, quantizeGPTQ),
// shared with the unit tests.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/ObservedProducts.h"
#include "passes/PackedWeights.h"
#include "passes/algorithms/Codebook.h"
#include "passes/algorithms/Gptq.h"
#include "passes/algorithms/LowRank.h"
#include "passes/algorithms/UniformQuant.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

/// The !quant.uniform element type describing `q`'s scales.
Type quantizedType(const alg::QuantizedWeights &q, unsigned bits,
                   int32_t channelAxis, MLIRContext *ctx) {
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
    return quant::UniformQuantizedType::get(
        flags, storage, f32, scales[0], zeroPoints[0], range.qmin, range.qmax);
  case alg::Granularity::PerChannel:
    return quant::UniformQuantizedPerAxisType::get(flags, storage, f32, scales,
                                                   zeroPoints, channelAxis,
                                                   range.qmin, range.qmax);
  case alg::Granularity::PerGroup: {
    SmallVector<int64_t> shape = {q.numGroups(), q.cols};
    SmallVector<float> groupScales(scales.begin(), scales.end());
    auto scalesAttr = DenseElementsAttr::get(RankedTensorType::get(shape, f32),
                                             ArrayRef<float>(groupScales));
    auto zerosAttr = DenseElementsAttr::get(
        RankedTensorType::get(shape, IntegerType::get(ctx, 64)),
        ArrayRef<int64_t>(zeroPoints));
    return quant::UniformQuantizedSubChannelType::get(
        flags, storage, f32, scalesAttr, zerosAttr, {0, 1}, {q.groupSize, 1},
        range.qmin, range.qmax);
  }
  }
  llvm_unreachable("unknown granularity");
}

struct QuantizeWeights : qc::impl::QuantizeWeightsBase<QuantizeWeights> {
  using Base::Base;

  void runOnOperation() override {
    built.clear(); // values of an earlier function
    if (bits < 2 || bits > 8) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: bits must be in [2, 8], got "
          << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    if (method == WeightMethod::Gptq && !(dampening >= 0 && dampening < 1e6)) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: dampening must lie in [0, 1e6), got "
          << static_cast<double>(dampening);
      return signalPassFailure();
    }
    if (codebook != WeightCodebook::None &&
        (groupSize == -1 || lorcRank > 0 || !symmetric ||
         (codebook == WeightCodebook::Nf4 && bits != 4))) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: a codebook needs per-channel or group "
             "scales (group-size >= 0), symmetric scales (its levels span "
             "[-1, 1] of max|w|), no lorc-rank, and bits=4 for nf4";
      return signalPassFailure();
    }
    if (lorcRank < 0) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: lorc-rank must be non-negative, got "
          << static_cast<int64_t>(lorcRank);
      return signalPassFailure();
    }
    if (groupSize < -1) {
      emitError(getOperation().getLoc())
          << "qc-quantize-weights: group-size must be -1, 0 or positive, got "
          << static_cast<int64_t>(groupSize);
      return signalPassFailure();
    }
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<MatmulOp, GemmOp, ConvOp>(op))
        candidates.push_back(op);
    });
    unsigned defaultBits = bits;
    for (Operation *op : candidates) {
      // A per-layer width (qc-allocate-bits) replaces the option for this
      // op only.
      if (auto attr = op->getAttrOfType<IntegerAttr>(kWeightBitsAttr)) {
        int64_t b = attr.getInt();
        if (b < 2 || b > 8 || codebook != WeightCodebook::None) {
          op->emitOpError() << kWeightBitsAttr << " must be in [2, 8] (and "
                            << "cannot combine with a codebook), got " << b;
          return signalPassFailure();
        }
        bits = static_cast<unsigned>(b);
      }
      LogicalResult result = isa<MatmulOp>(op) ? quantize(cast<MatmulOp>(op))
                             : isa<GemmOp>(op) ? quantize(cast<GemmOp>(op))
                                               : quantize(cast<ConvOp>(op));
      bits = defaultBits;
      if (failed(result))
        return signalPassFailure();
    }
  }

  /// The float data of a 2-D static f32 constant `v`, or nullopt when `v`
  /// is no such constant (then it is not a weight and stays float).
  FailureOr<std::optional<std::vector<float>>> weightData(Operation *op,
                                                          Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    Attribute value;
    if (type.getRank() != 2 || !type.getElementType().isF32() ||
        !type.hasStaticShape() || !matchPattern(v, m_Constant(&value)))
      return std::optional<std::vector<float>>();
    std::optional<std::vector<float>> weights = readFloatConstant(value);
    if (!weights)
      return op->emitOpError("weight constant cannot be read for "
                             "quantization");
    // The SVD and k-means need finite values (RTN passes them through).
    if ((lorcRank > 0 || codebook != WeightCodebook::None) &&
        !llvm::all_of(*weights, [](float w) { return std::isfinite(w); }))
      return op->emitOpError("weight has non-finite values: no LoRC factors "
                             "or codebook can be fitted to it");
    return weights;
  }

  alg::RangeChoice rangeChoice() const {
    return clip == WeightClip::Mse ? alg::RangeChoice::Mse
                                   : alg::RangeChoice::MinMax;
  }

  /// The calibrated mean x^2 of each of `input`'s K channels, when `input`
  /// is a `qc.observe` that qc-apply-stats gave them (clip=mse weights each
  /// weight row's error by it); empty otherwise.
  static std::vector<float> rowImportance(Value input, int64_t k) {
    auto observe = input.getDefiningOp<ObserveOp>();
    return observe ? channelVector(observe, kChannelMeanSquareAttr, k)
                   : std::vector<float>();
  }

  /// The calibrated E[x x^T] of `input`'s K channels (K x K), when `input`
  /// is a `qc.observe` that carries one; empty otherwise.
  static std::vector<float> inputGram(Value input, int64_t k) {
    auto observe = input.getDefiningOp<ObserveOp>();
    Attribute attr = observe ? observe->getAttr(kInputGramAttr) : Attribute();
    auto typed = dyn_cast_or_null<TypedAttr>(attr);
    auto type = typed ? dyn_cast<ShapedType>(typed.getType()) : ShapedType();
    if (!type || type.getShape() != ArrayRef<int64_t>{k, k} ||
        !type.getElementType().isF32())
      return {};
    return readFloatConstant(attr).value_or(std::vector<float>());
  }

  /// What the product reading `input` is quantized with: its row
  /// importance (clip=mse) and Hessian (method=gptq). `skip` when GPTQ
  /// has no Hessian and calibrated-only leaves the product float.
  struct Calibration {
    std::vector<float> importance, gram;
    bool skip = false;
  };
  FailureOr<Calibration> calibration(Operation *op, Value input, int64_t k) {
    Calibration c{rowImportance(input, k), {}};
    if (method != WeightMethod::Gptq)
      return c;
    c.gram = inputGram(input, k);
    if (!c.gram.empty())
      return c;
    if (calibratedOnly) {
      c.skip = true;
      return c;
    }
    return op->emitOpError("method=gptq needs the calibrated E[x x^T] of its "
                           "input: a qc.observe with a [")
           << k << ", " << k << "] " << kInputGramAttr
           << " (a stats file from `quantc calibrate --gram`, through "
              "qc-apply-stats)";
  }

  /// `quant.scast` of an integer constant holding `codes` ([rows, cols],
  /// one per byte) as `type`.
  Value storedCodes(OpBuilder &b, Location loc,
                    const std::vector<int8_t> &codes, int64_t rows,
                    int64_t cols, unsigned bits, Type type) {
    // Integers narrower than a byte are stored one per byte in a dense
    // attribute, so the codes are its raw buffer.
    auto storageType = RankedTensorType::get(
        {rows, cols}, IntegerType::get(b.getContext(), bits));
    return storedCodes(
        b, loc,
        DenseElementsAttr::getFromRawBuffer(
            storageType,
            ArrayRef<char>(reinterpret_cast<const char *>(codes.data()),
                           codes.size())),
        RankedTensorType::get({rows, cols}, type));
  }

  /// `quant.scast` of `codes` to `type`; the value built earlier for equal
  /// codes and type when it is in the same block before `b`'s insertion
  /// point (two copies of a layer, see weightBuilder).
  Value storedCodes(OpBuilder &b, Location loc, DenseElementsAttr codes,
                    Type type) {
    auto key = std::make_pair(Attribute(codes), type);
    if (Value v = built.lookup(key)) {
      Operation *def = v.getDefiningOp();
      if (def->getBlock() == b.getInsertionBlock() &&
          (b.getInsertionPoint() == b.getInsertionBlock()->end() ||
           def->isBeforeInBlock(&*b.getInsertionPoint())))
        return v;
    }
    Value storage = arith::ConstantOp::create(b, loc, codes.getType(), codes);
    Value v = quant::StorageCastOp::create(b, loc, type, storage).getResult();
    built[key] = v;
    return v;
  }
  llvm::DenseMap<std::pair<Attribute, Type>, Value> built;

  /// Codebook quantization of W[K][N] (GPTQ on the grid when `c` has a
  /// Hessian) as uniform-layout codes (index - 2^(bits-1), zero point 0,
  /// the group scales); `table` becomes the [2^bits] levels constant.
  FailureOr<alg::QuantizedWeights>
  codebookWeight(OpBuilder &b, Operation *op, const std::vector<float> &weights,
                 int64_t k, int64_t n, const Calibration &c,
                 int64_t rowsPerScale, Value &table) {
    alg::CodebookOptions options;
    options.kind = codebook == WeightCodebook::Nf4 ? alg::CodebookKind::NF4
                                                   : alg::CodebookKind::KMeans;
    options.bits = bits;
    options.groupSize = rowsPerScale;
    std::vector<float> diag;
    if (!c.gram.empty())
      for (int64_t i = 0; i < k; ++i)
        diag.push_back(c.gram[i * k + i]);
    const float *importance = !diag.empty()           ? diag.data()
                              : !c.importance.empty() ? c.importance.data()
                                                      : nullptr;
    alg::CodebookWeights cw =
        alg::quantizeCodebook(weights.data(), k, n, options, importance);
    if (!c.gram.empty()) {
      alg::GptqOptions gptq;
      gptq.bits = bits;
      gptq.granularity = rowsPerScale < k ? alg::Granularity::PerGroup
                                          : alg::Granularity::PerChannel;
      gptq.groupSize = rowsPerScale;
      gptq.dampening = dampening;
      gptq.actOrder = actOrder;
      std::optional<alg::CodebookWeights> result = alg::quantizeGPTQCodebook(
          weights.data(), k, n, c.gram.data(), cw.table, gptq);
      if (!result)
        return op->emitOpError("GPTQ failed: the weight or its input's E[x "
                               "x^T] is not finite, or E[x x^T] is not "
                               "positive definite even with raised damping");
      cw = std::move(*result);
    }
    alg::QuantizedWeights q;
    q.rows = k;
    q.cols = n;
    q.groupSize = cw.groupSize;
    q.granularity = cw.groupSize < k ? alg::Granularity::PerGroup
                                     : alg::Granularity::PerChannel;
    int32_t offset = int32_t(1) << (bits - 1);
    q.values.resize(k * n);
    for (int64_t i = 0; i < k * n; ++i)
      q.values[i] = static_cast<int8_t>(int32_t(cw.indices[i]) - offset);
    for (float scale : cw.scales)
      q.params.push_back({scale > 0 ? scale : 1.0f, 0});
    auto tableType = RankedTensorType::get(
        {static_cast<int64_t>(cw.table.size())}, b.getF32Type());
    table = arith::ConstantOp::create(
        b, op->getLoc(), tableType,
        DenseElementsAttr::get(tableType, ArrayRef<float>(cw.table)));
    return q;
  }

  /// The quantized weight and, with lorc-rank, its LoRC factors.
  struct QuantizedOperands {
    Value weight, lrcA, lrcB, codebook;
  };

  /// Quantizes W[K][N] (RTN, or GPTQ when `c` has a Hessian) into
  /// `quant.scast` of an integer constant; `c.importance` (K values or
  /// empty) weights rows in the clip search. With lorc-rank, the residual's
  /// rank-r factors as 8-bit per-column constants.
  FailureOr<QuantizedOperands>
  quantizedWeight(OpBuilder &b, Operation *op,
                  const std::vector<float> &weights, int64_t k, int64_t n,
                  const Calibration &c) {
    Location loc = op->getLoc();
    alg::Granularity granularity = alg::granularityFor(groupSize, k);
    int64_t rowsPerScale = alg::rowsPerScale(groupSize, k);
    const float *importance =
        c.importance.empty() ? nullptr : c.importance.data();
    alg::QuantizedWeights q;
    Value table;
    if (codebook != WeightCodebook::None) {
      FailureOr<alg::QuantizedWeights> indexed =
          codebookWeight(b, op, weights, k, n, c, rowsPerScale, table);
      if (failed(indexed))
        return failure();
      q = std::move(*indexed);
    } else if (c.gram.empty()) {
      q = alg::quantizeRTN(weights.data(), k, n, bits, granularity,
                           rowsPerScale, symmetric, rangeChoice(), importance);
    } else {
      alg::GptqOptions options;
      options.bits = bits;
      options.granularity = granularity;
      options.groupSize = rowsPerScale;
      options.symmetric = symmetric;
      options.choice = rangeChoice();
      options.dampening = dampening;
      options.actOrder = actOrder;
      std::optional<alg::QuantizedWeights> result =
          alg::quantizeGPTQ(weights.data(), k, n, c.gram.data(), options);
      if (!result)
        return op->emitOpError("GPTQ failed: the weight or its input's E[x "
                               "x^T] is not finite, or E[x x^T] is not "
                               "positive definite even with raised damping");
      q = std::move(*result);
    }

    QuantizedOperands operands;
    operands.codebook = table;
    MLIRContext *ctx = &getContext();
    if (lorcRank > 0) {
      alg::QuantizedLowRank factors = alg::quantizeLowRank(
          alg::lowRankResidual(weights.data(), q, lorcRank));
      for (auto [factor, out] : {std::pair{&factors.a, &operands.lrcA},
                                 std::pair{&factors.b, &operands.lrcB}})
        *out =
            storedCodes(b, loc, factor->values, factor->rows, factor->cols, 8,
                        quantizedType(*factor, 8, /*channelAxis=*/1, ctx));
    }

    // Whole groups for quant.scast: padded rows hold the zero point of
    // their column's last group, so they dequantize to exactly 0.
    int64_t rows = k;
    std::vector<int8_t> codes = std::move(q.values);
    if (granularity == alg::Granularity::PerGroup && k % groupSize != 0) {
      rows = q.numGroups() * groupSize;
      codes.resize(rows * n);
      for (int64_t r = k; r < rows; ++r)
        for (int64_t c = 0; c < n; ++c)
          codes[r * n + c] =
              static_cast<int8_t>(q.paramsAt(k - 1, c).zeroPoint);
    }
    operands.weight =
        storedCodes(b, loc, codes, rows, n, bits,
                    quantizedType(q, bits, /*channelAxis=*/1, ctx));
    return operands;
  }

  /// Where `op`'s quantized weight (constants only) is built: before the
  /// scf.if ops that hold it, if any. The importer copies the layers after
  /// an If whose branches differ in rank into both branches; their weights,
  /// quantized alike, then become one value after CSE and are packed and
  /// stored once.
  static OpBuilder weightBuilder(Operation *op) {
    Operation *at = op;
    while (auto parent = dyn_cast_or_null<scf::IfOp>(at->getParentOp()))
      at = parent;
    return OpBuilder(at);
  }

  /// Replaces `op` by `replacement` and drops the float weight if unused.
  static void replace(Operation *op, Value replacement, Value floatWeight) {
    Operation *def = floatWeight.getDefiningOp();
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
    if (def->use_empty())
      def->erase();
  }

  LogicalResult quantize(MatmulOp op) {
    if (cast<RankedTensorType>(op.getLhs().getType()).getRank() < 2)
      return success();
    auto weights = weightData(op, op.getRhs());
    if (failed(weights))
      return failure();
    if (!*weights)
      return success(); // not a weight matmul: stays float
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    int64_t k = rhsType.getDimSize(0);
    FailureOr<Calibration> c = calibration(op, op.getLhs(), k);
    if (failed(c))
      return failure();
    if (c->skip)
      return success();
    OpBuilder b(op), wb = weightBuilder(op);
    FailureOr<QuantizedOperands> weight =
        quantizedWeight(wb, op, **weights, k, rhsType.getDimSize(1), *c);
    if (failed(weight))
      return failure();
    auto product = QuantizedMatmulOp::create(
        b, op.getLoc(), op.getType(), op.getLhs(), /*lhs_scale=*/Value(),
        weight->weight, weight->lrcA, weight->lrcB, weight->codebook);
    replace(op, product, op.getRhs());
    return success();
  }

  /// ONNX Gemm with a constant B and an untransposed A (a Linear layer):
  /// W = alpha * op(B) is quantized; beta * C is added after the product.
  LogicalResult quantize(GemmOp op) {
    if (op.getTransA())
      return success();
    auto weights = weightData(op, op.getB());
    if (failed(weights))
      return failure();
    if (!*weights)
      return success();
    auto bType = cast<RankedTensorType>(op.getB().getType());
    int64_t k = bType.getDimSize(op.getTransB() ? 1 : 0);
    int64_t n = bType.getDimSize(op.getTransB() ? 0 : 1);
    FailureOr<Calibration> c = calibration(op, op.getA(), k);
    if (failed(c))
      return failure();
    if (c->skip)
      return success();
    std::vector<float> w(k * n);
    float alpha = op.getAlpha().convertToFloat();
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < n; ++c)
        w[r * n + c] = alpha * (op.getTransB() ? (**weights)[c * k + r]
                                               : (**weights)[r * n + c]);
    OpBuilder b(op), wb = weightBuilder(op);
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    FailureOr<QuantizedOperands> weight = quantizedWeight(wb, op, w, k, n, *c);
    if (failed(weight))
      return failure();
    Value product = QuantizedMatmulOp::create(
        b, loc, resultType, op.getA(), /*lhs_scale=*/Value(), weight->weight,
        weight->lrcA, weight->lrcB, weight->codebook);
    float beta = op.getBeta().convertToFloat();
    if (Value c = op.getC(); c && beta != 0.0f)
      product = addScaledBias(b, loc, product, c, beta);
    replace(op, product, op.getB());
    return success();
  }

  /// A convolution with a constant f32 weight [M, C/group, k...]: one scale
  /// per output channel (axis 0; per tensor with group-size=-1; groups
  /// along input channels are not offered for convolutions).
  LogicalResult quantize(ConvOp op) {
    auto type = cast<RankedTensorType>(op.getWeight().getType());
    Attribute value;
    if (!type.getElementType().isF32() || !type.hasStaticShape() ||
        !matchPattern(op.getWeight(), m_Constant(&value)))
      return success();
    std::optional<std::vector<float>> weights = readFloatConstant(value);
    if (!weights)
      return op.emitOpError("weight constant cannot be read for "
                            "quantization");
    // quantizeRTN takes channels as columns: W[rest][M].
    int64_t m = type.getDimSize(0), rest = type.getNumElements() / m;
    std::vector<float> columns(weights->size());
    for (int64_t c = 0; c < m; ++c)
      for (int64_t r = 0; r < rest; ++r)
        columns[r * m + c] = (*weights)[c * rest + r];
    alg::Granularity granularity = groupSize == -1
                                       ? alg::Granularity::PerTensor
                                       : alg::Granularity::PerChannel;
    alg::QuantizedWeights q =
        alg::quantizeRTN(columns.data(), rest, m, bits, granularity, rest,
                         symmetric, rangeChoice());
    std::vector<int8_t> codes(q.values.size());
    for (int64_t c = 0; c < m; ++c)
      for (int64_t r = 0; r < rest; ++r)
        codes[c * rest + r] = q.values[r * m + c];
    Type elementType = quantizedType(q, bits, /*channelAxis=*/0, &getContext());
    OpBuilder b(op), wb = weightBuilder(op);
    Location loc = op.getLoc();
    auto storageType = RankedTensorType::get(
        type.getShape(), IntegerType::get(&getContext(), bits));
    Value weight = storedCodes(
        wb, loc,
        DenseElementsAttr::getFromRawBuffer(
            storageType,
            ArrayRef<char>(reinterpret_cast<const char *>(codes.data()),
                           codes.size())),
        RankedTensorType::get(type.getShape(), elementType));
    auto conv = QuantizedConvOp::create(
        b, loc, op.getType(), op.getInput(), weight, op.getBias(),
        op.getStrides(), op.getPads(), op.getDilations(), op.getGroup());
    replace(op, conv, op.getWeight());
    return success();
  }

  /// `product + beta * c`, `c` broadcasting unidirectionally to `[m, n]`.
  static Value addScaledBias(OpBuilder &b, Location loc, Value product, Value c,
                             float beta) {
    MLIRContext *ctx = b.getContext();
    auto type = cast<RankedTensorType>(product.getType());
    auto cType = cast<RankedTensorType>(c.getType());
    SmallVector<AffineExpr> cExprs;
    for (int64_t d = 0; d < cType.getRank(); ++d) {
      int64_t loop = 2 - cType.getRank() + d;
      bool broadcast = cType.getDimSize(d) == 1 && type.getDimSize(loop) != 1;
      cExprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                 : getAffineDimExpr(loop, ctx));
    }
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(b, loc, product, 0));
    if (type.isDynamicDim(1))
      dynamic.push_back(tensor::DimOp::create(b, loc, product, 1));
    Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                         type.getElementType(), dynamic);
    return linalg::GenericOp::create(
               b, loc, type, ValueRange{product, c}, ValueRange{init},
               {id, AffineMap::get(2, 0, cExprs, ctx), id},
               {utils::IteratorType::parallel, utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 Value scaled = a[1];
                 if (beta != 1.0f)
                   scaled = arith::MulFOp::create(
                       nb, l, a[1],
                       arith::ConstantOp::create(
                           nb, l, nb.getFloatAttr(a[1].getType(), beta)));
                 linalg::YieldOp::create(
                     nb, l, Value(arith::AddFOp::create(nb, l, a[0], scaled)));
               })
        .getResult(0);
  }
};

} // namespace
