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

/// The activation side of a product the microkernels take.
struct Int8Lhs {
  Value codesOrFloat;     // i8 codes (dynamic) or the float input (static)
  Value rowScale;         // dynamic: the run-time scales; else null
  double staticScale = 0; // static only
  int32_t zeroPoint = 0;  // static only
  int64_t qmin = -128, qmax = 127;
};

/// Whether `op` is W8A8 with a per-column (or per-tensor) symmetric weight,
/// an f32 result and a static K; the activation side when it is.
std::optional<Int8Lhs> match(QuantizedMatmulOp op) {
  if (op.getLrcA() || op.getCodebook())
    return std::nullopt;
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!resultType.getElementType().isF32())
    return std::nullopt;
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  PackedWeightLayout layout = PackedWeightLayout::get(rhsType);
  auto weightType = dyn_cast<quant::QuantizedType>(rhsType.getElementType());
  if (layout.bits != 8 || layout.groups != 1 || layout.zeroPoints ||
      !rhsType.hasStaticShape() || rhsType.getDimSize(0) == 0 ||
      rhsType.getDimSize(1) == 0 || !weightType || !weightType.isSigned())
    return std::nullopt;
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  if (lhsType.isDynamicDim(lhsType.getRank() - 1) ||
      lhsType.getDimSize(lhsType.getRank() - 1) != rhsType.getDimSize(0))
    return std::nullopt;
  Int8Lhs lhs;
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

/// The weight in the kernels' layout, its column sums and scales, each
/// padded to whole panels with zeros.
struct KernelWeight {
  Value packed, sums, scales;
};

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

/// `func.func private @quantc_qgemm_s8(...)`, declared once.
func::FuncOp declareKernel(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  int64_t dyn = ShapedType::kDynamic;
  auto i8 = IntegerType::get(ctx, 8);
  auto f32 = Float32Type::get(ctx);
  auto index = IndexType::get(ctx);
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
                      DenseMap<Value, KernelWeight> &packedWeights) {
  Location loc = op.getLoc();
  const KernelWeight *w =
      cpu::packOnce(b, op.getRhs(), packedWeights,
                    [&](OpBuilder &pb) { return packKernelWeight(pb, op); });
  if (!w)
    return failure();
  b.setInsertionPoint(op);
  auto resultType = cast<RankedTensorType>(op.getType());
  int64_t n = resultType.getDimSize(resultType.getRank() - 1);

  Value rows = collapseToRows(b, loc, lhs.codesOrFloat);
  Value codes = rows;
  if (!lhs.rowScale)
    codes = quantizeTensor(b, loc, rows, Value(), AffineMap(), lhs.staticScale,
                           lhs.zeroPoint, lhs.qmin, lhs.qmax, b.getI8Type());
  Value scales = rowScales(b, loc, lhs);

  ArrayRef<Type> argTypes = kernel.getArgumentTypes();
  SmallVector<Value> buffers = {
      cpu::asReadOnlyBuffer(b, loc, codes, argTypes[0]),
      cpu::asReadOnlyBuffer(b, loc, w->packed, argTypes[1]),
      cpu::asReadOnlyBuffer(b, loc, w->sums, argTypes[2]),
      cpu::asReadOnlyBuffer(b, loc, w->scales, argTypes[3]),
      cpu::asReadOnlyBuffer(b, loc, scales, argTypes[4])};
  Value zeroPoint =
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(lhs.zeroPoint));
  Value product = cpu::callPerOutputTile(b, loc, kernel, buffers, codes, n,
                                         {zeroPoint}, outputTile(n));
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
    func::FuncOp kernel = declareKernel(module);
    IRRewriter rewriter(&getContext());
    // A weight several products share is packed once.
    DenseMap<Value, KernelWeight> packedWeights;
    for (auto &[op, lhs] : products)
      if (failed(rewrite(rewriter, op, lhs, kernel, packedWeights)))
        return signalPassFailure();
  }
};

} // namespace
