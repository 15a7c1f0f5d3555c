//===- Int8Matmuls.cpp - int8 products as calls to microkernels ----------===//
//
// A qc.quantized_matmul with int8 activation codes (static `quant.qcast` or
// `qc.dynamic_quantize`) and a constant int8 weight with one scale per column
// and no zero point (W8A8) becomes, on tensors:
//
//   codes = the activation's codes as [R, K] (static: quantized here, with
//           the rounding qc-lower-quantized uses)
//   Wp    = the weight repacked at compile time into the microkernels'
//           layout (runtime/ukernels/QGemm.h), plus its column sums and
//           per-column scales
//   out   = memref.alloc [R, N] f32
//   scf.forall t in (tiles of 128 rows x 256-1024 columns) -> threads
//     func.call @quantc_qgemm_s8(codes, Wp, sums, scales, row scales, out,
//                                zero point, m0, m1, n0, n1)
//
// The call goes through the artifact's `quantc_ukernels` table, which the
// runtime fills at load time with the variant for the machine it runs on
// (VNNI, AMX, AVX2 or scalar): upstream vectorization emits no vpdpbusd, and
// its AMX lowering reloads C every step (../shared/PIPELINES.md). The kernel
// applies the epilogue (zero-point correction, weight and row scales) in its
// output loop, so no i32 accumulator tensor is ever written.
//
// A product whose weight has 2 to 4 bits, one scale per column for each
// group of rows (or per column) and no zero point (W4A8 g32, W3A8, ...)
// calls @quantc_qgemm_grouped instead, with the codes repacked into that
// kernel's nibble layout (runtime/ukernels/QGemmGrouped.h), its scales
// (f16 for group-wise weights, f32 per column) and, for an activation zero
// point, each group's column sums; the kernel unpacks the codes into the int8
// units' operands in registers.
//
// It runs in the linalg front before qc-lower-quantized, which lowers what is
// left (other schemes, the activations' qc.dynamic_quantize).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "backends/cpu/KernelCalls.h"

#include "passes/ActivationCodes.h"
#include "passes/LinalgBuilders.h"
#include "passes/PackedWeights.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <deque>

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_INT8MATMULS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;
using namespace mlir::qc;

namespace {

// The microkernels' layout (runtime/ukernels/QGemm.h).
constexpr int64_t kPanel = 16;  // columns per weight panel
constexpr int64_t kKBlock = 64; // K padded to a multiple of this

/// The kernel's name; EmitSharedLibrary.cpp defines `_mlir_ciface_` of it to
/// call slot 1 of `quantc_ukernels`.
constexpr StringLiteral kKernel = "quantc_qgemm_s8";
/// Slot 5: group-wise 2-4 bit weights.
constexpr StringLiteral kGroupedKernel = "quantc_qgemm_grouped";

/// A call's output tile for N columns: up to 128 rows, so that a prefill's
/// weight bytes are read from L3 once, and as many columns as keep 4 tiles
/// across N (256 to 1024; rows add tiles for longer inputs): every call
/// repacks its A rows, so wider calls repack less. Measured with the AMX
/// kernel on 128 x 4096 x 4096 (one thread): 64 x 256 tiles 1775 GOP/s,
/// 128 x 256 1970, 128 x 512 2084, 128 x 1024 2213; in bench/gemm.py 8 ->
/// 4 tiles across N took W8A8 128x4096x4096 from 2.5-2.7 to 2.1-2.4 ms.
cpu::OutputTile outputTile(int64_t n) {
  int64_t columns =
      std::clamp<int64_t>(llvm::alignTo(llvm::divideCeil(n, 4), kPanel * 16),
                          kPanel * 16, kPanel * 64);
  return {128, columns};
}

int64_t roundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

/// Which kernel a product's weight takes.
enum class WeightKind { PerColumn8, Grouped };

/// The activation side of a product the microkernels take.
struct Int8Lhs {
  WeightKind kind = WeightKind::PerColumn8;
  Value codesOrFloat;     // i8 codes (dynamic) or the float input (static)
  Value rowScale;         // dynamic: the run-time scales; else null
  double staticScale = 0; // static only
  int32_t zeroPoint = 0;  // static only
  int64_t qmin = -128, qmax = 127;
};

/// The kernel that takes `op`'s weight, if one does: 8 bits with one
/// scale per column (or tensor), or 2 to 4 bits in groups of rows (or per
/// column); signed, no zero point, static and non-empty.
std::optional<WeightKind> weightKind(QuantizedMatmulOp op) {
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  auto weightType = dyn_cast<quant::QuantizedType>(rhsType.getElementType());
  if (!weightType || !weightType.isSigned() || !rhsType.hasStaticShape() ||
      rhsType.getDimSize(0) == 0 || rhsType.getDimSize(1) == 0)
    return std::nullopt;
  PackedWeightLayout layout = PackedWeightLayout::get(rhsType);
  if (layout.zeroPoints)
    return std::nullopt;
  if (layout.bits == 8 && layout.groups == 1)
    return WeightKind::PerColumn8;
  // The grouped kernel's bound on rows per group (QGemmGrouped.cpp).
  if (layout.bits >= 2 && layout.bits <= 4 && layout.groupRows <= (1 << 20))
    return WeightKind::Grouped;
  return std::nullopt;
}

/// Whether `op` is WbA8 with a weight a kernel takes (weightKind), an f32
/// result and a static K; the activation side when it is.
std::optional<Int8Lhs> match(QuantizedMatmulOp op) {
  if (op.getLrcA() || op.getCodebook())
    return std::nullopt;
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!resultType.getElementType().isF32())
    return std::nullopt;
  std::optional<WeightKind> kind = weightKind(op);
  if (!kind)
    return std::nullopt;
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  int64_t k = lhsType.getDimSize(lhsType.getRank() - 1);
  // A group-wise weight carries the padding rows of a ragged last group
  // (quant types need whole groups); the kernel reads only K rows.
  int64_t weightRows = rhsType.getDimSize(0);
  if (*kind == WeightKind::Grouped) {
    int64_t group = PackedWeightLayout::get(rhsType).groupRows;
    weightRows =
        k > 0 && (k + group - 1) / group * group == weightRows ? k : -1;
  }
  if (ShapedType::isDynamic(k) || k != weightRows)
    return std::nullopt;
  Int8Lhs lhs;
  lhs.kind = *kind;
  Type elt = lhsType.getElementType();
  if (auto q = dyn_cast<quant::UniformQuantizedType>(elt)) {
    auto qcast = op.getLhs().getDefiningOp<quant::QuantizeCastOp>();
    if (!qcast || !q.getStorageType().isInteger(8) || !q.isSigned())
      return std::nullopt;
    lhs.codesOrFloat = qcast.getInput();
    lhs.staticScale = q.getScale();
    lhs.zeroPoint = q.getZeroPoint();
    lhs.qmin = q.getStorageTypeMin();
    lhs.qmax = q.getStorageTypeMax();
    return lhs;
  }
  if (elt.isInteger(8) && op.getLhsScale() &&
      cast<RankedTensorType>(op.getLhsScale().getType())
          .getElementType()
          .isF32()) {
    lhs.codesOrFloat = op.getLhs();
    lhs.rowScale = op.getLhsScale();
    return lhs;
  }
  return std::nullopt;
}

/// The weight in the kernels' layout and what its kernel reads beside it,
/// each padded to whole panels with zeros: for quantc_qgemm_s8 the column
/// sums and scales, for quantc_qgemm_grouped the [groups, Np] scales and,
/// made by the first product with an activation zero point, the [groups,
/// Np] column sums (groupColumnSums; else an empty tensor: they would add
/// a bit per weight at groups of 32).
struct KernelWeight {
  Value packed, sums, scales;
  Value floatScales; // grouped: `scales` is then the f16 ones (one empty)
  int64_t bits = 8, groupRows = 0;
  int64_t k = 0; // grouped: the activation's K the codes were packed for
};

/// The grouped kernel's column sums of `op`'s weight: for each group and
/// column the sum of q over the group's rows below the activation's K,
/// panel-major like its scales. Computed only for a product with an
/// activation zero point (a weight's table would otherwise be kept for the
/// whole pass).
std::vector<int32_t> groupColumnSums(QuantizedMatmulOp op,
                                     DenseElementsAttr attr) {
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  PackedWeightLayout layout = PackedWeightLayout::get(rhsType);
  int64_t k = cast<RankedTensorType>(op.getLhs().getType()).getShape().back();
  int64_t n = rhsType.getDimSize(1), groups = layout.groups;
  std::vector<int8_t> codes = readCodes(attr, layout.bits);
  std::vector<int32_t> sums(groups * roundUp(n, kPanel), 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c)
      sums[(c / kPanel * groups + kk / layout.groupRows) * kPanel +
           c % kPanel] += codes[kk * n + c];
  return sums;
}

/// The f16 bits of a scale, rounded to nearest even (as PackedWeights.h
/// stores group-wise scales).
uint16_t halfBits(double scale) {
  APFloat v(scale);
  bool lost;
  v.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
}

/// A 2-4 bit weight in quantc_qgemm_grouped's layout
/// (runtime/ukernels/QGemmGrouped.h).
FailureOr<KernelWeight> packGroupedWeight(OpBuilder &b, QuantizedMatmulOp op) {
  FailureOr<DenseElementsAttr> attr = weightCodes(op, op.getRhs());
  if (failed(attr))
    return failure();
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  PackedWeightLayout layout = PackedWeightLayout::get(rhsType);
  // The activation's K: the weight's rows past it pad the last group.
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  int64_t k = lhsType.getDimSize(lhsType.getRank() - 1);
  int64_t n = rhsType.getDimSize(1);
  int64_t rows = layout.groupRows, groups = layout.groups;
  std::vector<int8_t> codes = readCodes(*attr, layout.bits);
  std::vector<double> scales;
  std::vector<int32_t> zeros;
  readParams(rhsType.getElementType(), groups, n, scales, zeros);

  int64_t stored = roundUp(rows, 8), np = roundUp(n, kPanel);
  int64_t panelBytes = groups * stored * 8;
  int offset = 1 << (layout.bits - 1);
  std::vector<uint8_t> packed(np / kPanel * panelBytes, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      int64_t g = kk / rows, row = kk % rows;
      int64_t at = c / kPanel * panelBytes + g * stored * 8 + row / 8 * 64 +
                   4 * (c % kPanel) + row % 4;
      int q = codes[kk * n + c];
      packed[at] |= uint8_t((q + offset) << (4 * (row % 8 / 4)));
    }
  // f16 for group-wise weights (their scales are f16 values already), f32
  // for one group per column.
  std::vector<uint16_t> halfScales(layout.halfScales ? groups * np : 0, 0);
  std::vector<float> floatScales(layout.halfScales ? 0 : groups * np, 0.0f);
  KernelWeight w;
  // Panel-major, like the codes.
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < n; ++c) {
      int64_t at = (c / kPanel * groups + g) * kPanel + c % kPanel;
      if (layout.halfScales)
        halfScales[at] = halfBits(scales[g * n + c]);
      else
        floatScales[at] = static_cast<float>(scales[g * n + c]);
    }

  Location loc = op.getLoc();
  w.packed = cpu::blobConstant<uint8_t>(b, loc, "grouped_weight", packed,
                                        b.getI8Type());
  if (layout.halfScales) {
    w.scales = cpu::blobConstant<uint16_t>(b, loc, "grouped_weight_scales",
                                           halfScales, b.getF16Type());
    w.floatScales = cpu::emptyConstant(b, loc, b.getF32Type());
  } else {
    w.scales = cpu::emptyConstant(b, loc, b.getF16Type());
    w.floatScales = cpu::blobConstant<float>(b, loc, "grouped_weight_scales",
                                             floatScales, b.getF32Type());
  }
  w.bits = layout.bits;
  w.groupRows = rows;
  w.k = k;
  return w;
}

FailureOr<KernelWeight> packKernelWeight(OpBuilder &b, QuantizedMatmulOp op) {
  FailureOr<DenseElementsAttr> attr = weightCodes(op, op.getRhs());
  if (failed(attr))
    return failure();
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
  std::vector<int8_t> codes = readCodes(*attr, 8);
  std::vector<double> scales;
  std::vector<int32_t> zeros;
  readParams(rhsType.getElementType(), /*groups=*/1, n, scales, zeros);

  int64_t kp = roundUp(k, kKBlock), np = roundUp(n, kPanel);
  std::vector<int8_t> packed(np * kp, 0);
  std::vector<int32_t> sums(np, 0);
  std::vector<float> columnScales(np, 0.0f);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      int8_t q = codes[kk * n + c];
      int64_t panel = c / kPanel;
      packed[panel * kp * kPanel + ((kk / 4) * kPanel + c % kPanel) * 4 +
             kk % 4] = q;
      sums[c] += q;
    }
  for (int64_t c = 0; c < n; ++c)
    columnScales[c] = static_cast<float>(scales[c]);

  Location loc = op.getLoc();
  KernelWeight w;
  w.packed =
      cpu::blobConstant<int8_t>(b, loc, "int8_weight", packed, b.getI8Type());
  w.sums = cpu::blobConstant<int32_t>(b, loc, "int8_weight_sums", sums,
                                      b.getI32Type());
  w.scales = cpu::blobConstant<float>(b, loc, "int8_weight_scales",
                                      columnScales, b.getF32Type());
  return w;
}

/// `func.func private @quantc_qgemm_s8(...)` or `@quantc_qgemm_grouped`,
/// declared once.
func::FuncOp declareKernel(ModuleOp module, WeightKind kind) {
  MLIRContext *ctx = module.getContext();
  int64_t dyn = ShapedType::kDynamic;
  auto i8 = IntegerType::get(ctx, 8);
  auto f32 = Float32Type::get(ctx);
  auto index = IndexType::get(ctx);
  if (kind == WeightKind::Grouped)
    return cpu::declareKernel(
        module, kGroupedKernel,
        {MemRefType::get({dyn, dyn}, i8), MemRefType::get({dyn}, i8),
         MemRefType::get({dyn}, Float16Type::get(ctx)),
         MemRefType::get({dyn}, f32),
         MemRefType::get({dyn}, IntegerType::get(ctx, 32)),
         MemRefType::get({dyn}, f32), MemRefType::get({dyn, dyn}, f32),
         IntegerType::get(ctx, 32), index, index, index, index, index, index});
  return cpu::declareKernel(
      module, kKernel,
      {MemRefType::get({dyn, dyn}, i8), MemRefType::get({dyn}, i8),
       MemRefType::get({dyn}, IntegerType::get(ctx, 32)),
       MemRefType::get({dyn}, f32), MemRefType::get({dyn}, f32),
       MemRefType::get({dyn, dyn}, f32), IntegerType::get(ctx, 32), index,
       index, index, index});
}

/// The run-time row scales as a 1-D tensor: [R] per token, [1] per tensor.
Value rowScales(OpBuilder &b, Location loc, const Int8Lhs &lhs) {
  if (!lhs.rowScale)
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({1}, b.getF32Type()),
                               static_cast<float>(lhs.staticScale)));
  auto type = cast<RankedTensorType>(lhs.rowScale.getType());
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, type.getElementType()), lhs.rowScale,
        ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return tensor::CollapseShapeOp::create(b, loc, lhs.rowScale,
                                         ArrayRef<ReassociationIndices>{all});
}

LogicalResult rewrite(IRRewriter &b, QuantizedMatmulOp op, const Int8Lhs &lhs,
                      func::FuncOp kernel,
                      DenseMap<Value, KernelWeight> &packedWeights,
                      std::deque<KernelWeight> &uncached) {
  Location loc = op.getLoc();
  bool grouped = lhs.kind == WeightKind::Grouped;
  KernelWeight *w =
      cpu::packOnce(b, op.getRhs(), packedWeights, [&](OpBuilder &pb) {
        return grouped ? packGroupedWeight(pb, op) : packKernelWeight(pb, op);
      });
  if (!w)
    return failure();
  int64_t k = cast<RankedTensorType>(op.getLhs().getType()).getShape().back();
  if (grouped && w->k != k) {
    // A padded weight multiplied by activations of another K (both within
    // its last group): packed again for this product, rows past its K
    // left out.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfterValue(op.getRhs());
    FailureOr<KernelWeight> fresh = packGroupedWeight(b, op);
    if (failed(fresh))
      return failure();
    w = &uncached.emplace_back(std::move(*fresh));
  }
  b.setInsertionPoint(op);
  Value groupSums;
  if (grouped && lhs.zeroPoint != 0) {
    if (!w->sums) {
      // Beside the packed codes, so that every product of the weight can
      // use them.
      FailureOr<DenseElementsAttr> attr = weightCodes(op, op.getRhs());
      if (failed(attr))
        return failure();
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfterValue(w->packed);
      w->sums = cpu::blobConstant<int32_t>(
          b, op.getLoc(), "grouped_weight_sums", groupColumnSums(op, *attr),
          b.getI32Type());
    }
    groupSums = w->sums;
  } else if (grouped) {
    groupSums = cpu::emptyConstant(b, op.getLoc(), b.getI32Type());
  }
  auto resultType = cast<RankedTensorType>(op.getType());
  int64_t n = resultType.getDimSize(resultType.getRank() - 1);

  Value rows = collapseToRows(b, loc, lhs.codesOrFloat);
  Value codes = rows;
  if (!lhs.rowScale)
    codes = quantizeTensor(b, loc, rows, Value(), AffineMap(), lhs.staticScale,
                           lhs.zeroPoint, lhs.qmin, lhs.qmax, b.getI8Type());
  Value scales = rowScales(b, loc, lhs);

  ArrayRef<Type> argTypes = kernel.getArgumentTypes();
  SmallVector<Value> operands = {codes, w->packed};
  if (grouped)
    operands.append({w->scales, w->floatScales, groupSums});
  else
    operands.append({w->sums, w->scales});
  operands.push_back(scales);
  SmallVector<Value> buffers;
  for (auto [v, type] : llvm::zip(operands, argTypes))
    buffers.push_back(cpu::asReadOnlyBuffer(b, loc, v, type));
  SmallVector<Value> trailing = {
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(lhs.zeroPoint))};
  if (grouped)
    trailing.append({arith::ConstantIndexOp::create(b, loc, w->bits),
                     arith::ConstantIndexOp::create(b, loc, w->groupRows)});
  Value product = cpu::callPerOutputTile(b, loc, kernel, buffers, codes, n,
                                         trailing, outputTile(n));
  Value shapeSource = lhs.codesOrFloat;
  b.replaceOp(op, expandRows(b, loc, product, shapeSource, resultType));
  return success();
}

struct Int8Matmuls : qc::cpu::impl::Int8MatmulsBase<Int8Matmuls> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<QuantizedMatmulOp, Int8Lhs>> products;
    module.walk([&](QuantizedMatmulOp op) {
      if (std::optional<Int8Lhs> lhs = match(op))
        products.push_back({op, *lhs});
    });
    if (products.empty())
      return;
    IRRewriter rewriter(&getContext());
    // A weight several products share is packed once.
    DenseMap<Value, KernelWeight> packedWeights;
    std::deque<KernelWeight> uncached;
    DenseMap<int, func::FuncOp> kernels;
    for (auto &[op, lhs] : products) {
      func::FuncOp &kernel = kernels[int(lhs.kind)];
      if (!kernel)
        kernel = declareKernel(module, lhs.kind);
      if (failed(rewrite(rewriter, op, lhs, kernel, packedWeights, uncached)))
        return signalPassFailure();
    }
  }
};

} // namespace
