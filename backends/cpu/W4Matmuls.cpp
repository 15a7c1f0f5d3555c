//===- W4Matmuls.cpp - W4A16 products as calls to the 4-bit microkernel ---===//
//
// A qc.quantized_matmul with an f32 activation and a constant signed 4-bit
// weight with group-wise f16 scales (W4A16, what LLM users quantize to)
// becomes, on tensors:
//
//   codes, scales, zero points = the weight repacked at compile time into
//           the kernel's panels (runtime/ukernels/W4Gemm.h): the same bytes
//           as qc-lower-quantized's planes, ordered for the f32 kernel
//   out   = memref.alloc [R, N] f32
//   scf.forall t in (tiles of 128 rows x 256 columns) -> threads
//     func.call @quantc_sgemm_w4(A, codes, scales, zero points, out,
//                                group rows, m0, m1, n0, n1)
//
// The runtime decodes a K block of a tile's columns into f32 panels in L2
// and runs its f32 microkernel on them. The generic lowering
// (qc-lower-quantized) unpacks every code inside the product's loop nest,
// which upstream vectorization turns into gathers and reaches ~15 GFLOP/s
// on 128 x 4096 x 4096; the f32 kernel reaches ~70% of the FMA peak.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "backends/cpu/KernelCalls.h"

#include "passes/LinalgBuilders.h"
#include "passes/PackedWeights.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/APFloat.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_W4MATMULS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;
using namespace mlir::qc;

namespace {

constexpr int64_t kPanel = 32; // columns per panel (runtime/ukernels/SGemm.h)
/// A call's output tile: 128 rows, so that a 128-token prefill decodes each
/// weight once (64 rows: 30.4 ms on 128 x 4096 x 4096, 128: 29.5), and 256
/// columns (8 panels: a K block of 256 rows decodes to 256 KiB, in L2).
constexpr cpu::OutputTile kTile = {128, 256};

/// The kernel's name; EmitSharedLibrary.cpp defines `_mlir_ciface_` of it to
/// call slot 3 of `quantc_ukernels`.
constexpr StringLiteral kKernel = "quantc_sgemm_w4";

/// Whether `op` is W4A16 in the form the kernel takes: f32 activation and
/// result, a static signed 4-bit weight with f16 scales per group of an
/// even number of rows, N a whole number of panels (so the packed bytes are
/// exactly those qc-lower-quantized stores and the driver reports), no
/// low-rank correction or codebook.
bool matches(QuantizedMatmulOp op) {
  if (op.getLrcA() || op.getCodebook() || op.getLhsScale())
    return false;
  auto resultType = cast<RankedTensorType>(op.getType());
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  auto weightType = dyn_cast<quant::QuantizedType>(rhsType.getElementType());
  if (!resultType.getElementType().isF32() ||
      !lhsType.getElementType().isF32() || !weightType ||
      !weightType.isSigned() || !rhsType.hasStaticShape())
    return false;
  PackedWeightLayout layout = PackedWeightLayout::get(rhsType);
  int64_t k = lhsType.getDimSize(lhsType.getRank() - 1);
  return layout.bits == 4 && layout.halfScales && layout.groupRows % 2 == 0 &&
         layout.n % kPanel == 0 && layout.n > 0 && !ShapedType::isDynamic(k) &&
         k > 0 && layout.groups * layout.groupRows == rhsType.getDimSize(0) &&
         k > (layout.groups - 1) * layout.groupRows;
}

/// The weight in the kernel's layout.
struct KernelWeight {
  Value codes, scales, zeros;
  int64_t groupRows = 0;
};

/// An IEEE half's bits, rounded to nearest even (as the f16 scales of
/// qc-lower-quantized's layout).
uint16_t halfBits(double v) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

FailureOr<KernelWeight> packKernelWeight(OpBuilder &b, QuantizedMatmulOp op) {
  FailureOr<DenseElementsAttr> attr = weightCodes(op, op.getRhs());
  if (failed(attr))
    return failure();
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  PackedWeightLayout layout = PackedWeightLayout::get(rhsType);
  int64_t kp = rhsType.getDimSize(0), n = layout.n, groups = layout.groups;
  std::vector<int8_t> q = readCodes(*attr, 4);
  std::vector<double> scales;
  std::vector<int32_t> zeros;
  readParams(rhsType.getElementType(), groups, n, scales, zeros);

  // Codes and zero points made unsigned (+8): u - z' = q - z.
  std::vector<uint8_t> codes(n * kp / 2, 0);
  std::vector<uint16_t> halfScales(groups * n);
  std::vector<int8_t> zeroPoints(layout.zeroPoints ? groups * n : 0);
  for (int64_t k = 0; k < kp; ++k)
    for (int64_t c = 0; c < n; ++c) {
      int64_t panel = c / kPanel, j = c % kPanel;
      uint8_t u = static_cast<uint8_t>(q[k * n + c] + 8);
      codes[panel * kp * 16 + k * 16 + j % 16] |= j < 16 ? u : u << 4;
    }
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < n; ++c) {
      int64_t at = (c / kPanel) * groups * kPanel + g * kPanel + c % kPanel;
      halfScales[at] = halfBits(scales[g * n + c]);
      if (layout.zeroPoints)
        zeroPoints[at] = static_cast<int8_t>(zeros[g * n + c] + 8);
    }
  Location loc = op.getLoc();
  KernelWeight w;
  w.codes =
      cpu::blobConstant<uint8_t>(b, loc, "w4_codes", codes, b.getI8Type());
  w.scales = cpu::blobConstant<uint16_t>(b, loc, "w4_scales", halfScales,
                                         b.getF16Type());
  w.zeros = layout.zeroPoints
                ? cpu::blobConstant<int8_t>(b, loc, "w4_zero_points",
                                            zeroPoints, b.getI8Type())
                : arith::ConstantOp::create(
                      b, loc,
                      DenseElementsAttr::get(
                          RankedTensorType::get({0}, b.getI8Type()),
                          ArrayRef<int8_t>{}))
                      .getResult();
  w.groupRows = layout.groupRows;
  return w;
}

/// `func.func private @quantc_sgemm_w4(...)`, declared once.
func::FuncOp declareKernel(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  int64_t dyn = ShapedType::kDynamic;
  auto i8 = IntegerType::get(ctx, 8);
  auto f32 = Float32Type::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto index = IndexType::get(ctx);
  return cpu::declareKernel(
      module, kKernel,
      {MemRefType::get({dyn, dyn}, f32), MemRefType::get({dyn}, i8),
       MemRefType::get({dyn}, Float16Type::get(ctx)),
       MemRefType::get({dyn}, i8), MemRefType::get({dyn, dyn}, f32), i64, index,
       index, index, index});
}

LogicalResult rewrite(IRRewriter &b, QuantizedMatmulOp op, func::FuncOp kernel,
                      DenseMap<Value, KernelWeight> &packedWeights) {
  Location loc = op.getLoc();
  const KernelWeight *packed =
      cpu::packOnce(b, op.getRhs(), packedWeights,
                    [&](OpBuilder &pb) { return packKernelWeight(pb, op); });
  if (!packed)
    return failure();
  const KernelWeight &w = *packed;
  b.setInsertionPoint(op);
  auto resultType = cast<RankedTensorType>(op.getType());
  int64_t n = resultType.getDimSize(resultType.getRank() - 1);

  Value rows = collapseToRows(b, loc, op.getLhs());
  ArrayRef<Type> argTypes = kernel.getArgumentTypes();
  SmallVector<Value> buffers = {
      cpu::asReadOnlyBuffer(b, loc, rows, argTypes[0]),
      cpu::asReadOnlyBuffer(b, loc, w.codes, argTypes[1]),
      cpu::asReadOnlyBuffer(b, loc, w.scales, argTypes[2]),
      cpu::asReadOnlyBuffer(b, loc, w.zeros, argTypes[3])};
  Value groupRows =
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(w.groupRows));
  Value product = cpu::callPerOutputTile(b, loc, kernel, buffers, rows, n,
                                         {groupRows}, kTile);
  b.replaceOp(op, expandRows(b, loc, product, op.getLhs(), resultType));
  return success();
}

struct W4Matmuls : qc::cpu::impl::W4MatmulsBase<W4Matmuls> {
  void runOnOperation() override {
    if (failed(cpu::rewriteMatchingProducts<QuantizedMatmulOp, KernelWeight>(
            getOperation(), matches, declareKernel, rewrite)))
      signalPassFailure();
  }
};

} // namespace
