//===- WqMatmuls.cpp - weight-only products as calls to the runtime -------===//
//
// A qc.quantized_matmul with f32 activations and a constant weight of
// b-bit signed codes that qc-cpu-w4-matmuls did not take (2, 3 and 8 bits,
// per-column f32 scales, N not a multiple of 32, codebooks) becomes, on
// tensors:
//
//   planes, scales, zero points = qc-lower-quantized's constants
//           (passes/PackedWeights.h), flattened: the same bytes, read as
//           they are by the runtime (runtime/ukernels/WqGemm.h)
//   out   = memref.alloc [R, N] f32
//   scf.forall t in (tiles of 128 rows x 256 columns) -> threads
//     func.call @quantc_sgemm_wq(A, planes, scales, zero points, codebook,
//                                out, bits, group rows, m0, m1, n0, n1)
//
// The runtime decodes a K block of a tile's columns into f32 panels and
// runs its f32 microkernel on them: each weight is decoded once per 128
// rows. The generic lowering unpacks every code inside the product's loop
// nest, once per row (stories260k W4A16 per channel: 18.7 ms per forward
// against 12.1 in f32).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "backends/cpu/KernelCalls.h"

#include "passes/LinalgBuilders.h"
#include "passes/PackedWeights.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_WQMATMULS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;
using namespace mlir::qc;

namespace {

/// A call's output tile, as for the 4-bit kernel (W4Matmuls.cpp): 128
/// rows decode each weight once per 128-token prefill, 256 columns keep a
/// decoded K block in L2.
constexpr cpu::OutputTile kTile = {128, 256};

/// The kernel's name; EmitSharedLibrary.cpp defines `_mlir_ciface_` of it to
/// call slot 4 of `quantc_ukernels`.
constexpr StringLiteral kKernel = "quantc_sgemm_wq";

/// Whether `op` is a weight-only product the kernel reads: f32 activation
/// and result, a static signed weight whose words take at most 3 bytes,
/// K static with every group but the last holding real rows, no low-rank
/// correction.
bool matches(QuantizedMatmulOp op) {
  if (op.getLrcA() || op.getLhsScale())
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
  // A codebook with zero points is qc-lower-quantized's error to report
  // (the kernel would index past the levels).
  if (op.getCodebook() &&
      (layout.zeroPoints || !cast<RankedTensorType>(op.getCodebook().getType())
                                 .getElementType()
                                 .isF32()))
    return false;
  return layout.bytes <= 3 && layout.n > 0 && !ShapedType::isDynamic(k) &&
         k > 0 && k <= rhsType.getDimSize(0) &&
         k > (layout.groups - 1) * layout.groupRows;
}

/// The weight as the kernel's operands.
struct KernelWeight {
  SmallVector<Value> planes; // three, the unused ones empty
  Value halfScales, floatScales, zeros;
  int64_t bits = 0, groupRows = 0;
};

/// `v` flattened to 1-D.
Value flat(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  ReassociationIndices all(type.getRank());
  std::iota(all.begin(), all.end(), 0);
  return tensor::CollapseShapeOp::create(
      b, loc,
      RankedTensorType::get({type.getNumElements()}, type.getElementType()), v,
      ArrayRef<ReassociationIndices>{all});
}

FailureOr<KernelWeight> packKernelWeight(OpBuilder &b, QuantizedMatmulOp op) {
  FailureOr<PackedWeight> packed = packWeight(b, op);
  if (failed(packed))
    return failure();
  Location loc = op.getLoc();
  KernelWeight w;
  for (Value plane : packed->planes)
    w.planes.push_back(flat(b, loc, plane));
  while (w.planes.size() < 3)
    w.planes.push_back(cpu::emptyConstant(b, loc, b.getI8Type()));
  Value scales = flat(b, loc, packed->scales);
  w.halfScales =
      packed->halfScales ? scales : cpu::emptyConstant(b, loc, b.getF16Type());
  w.floatScales =
      packed->halfScales ? cpu::emptyConstant(b, loc, b.getF32Type()) : scales;
  w.zeros = packed->zeroPoints ? flat(b, loc, packed->zeroPointValues)
                               : cpu::emptyConstant(b, loc, b.getI8Type());
  w.bits = packed->bits;
  w.groupRows = packed->groupRows;
  return w;
}

/// `func.func private @quantc_sgemm_wq(...)`, declared once.
func::FuncOp declareKernel(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  int64_t dyn = ShapedType::kDynamic;
  auto i8 = MemRefType::get({dyn}, IntegerType::get(ctx, 8));
  auto f32 = Float32Type::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto index = IndexType::get(ctx);
  return cpu::declareKernel(
      module, kKernel,
      {MemRefType::get({dyn, dyn}, f32), i8, i8, i8,
       MemRefType::get({dyn}, Float16Type::get(ctx)),
       MemRefType::get({dyn}, f32), i8, MemRefType::get({dyn}, f32),
       MemRefType::get({dyn, dyn}, f32), i64, i64, index, index, index, index});
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
  Value codebook = op.getCodebook()
                       ? op.getCodebook()
                       : cpu::emptyConstant(b, loc, b.getF32Type());
  ArrayRef<Type> argTypes = kernel.getArgumentTypes();
  SmallVector<Value> operands = {rows,        w.planes[0],  w.planes[1],
                                 w.planes[2], w.halfScales, w.floatScales,
                                 w.zeros,     codebook};
  SmallVector<Value> buffers;
  for (auto [v, type] : llvm::zip(operands, argTypes))
    buffers.push_back(cpu::asReadOnlyBuffer(b, loc, v, type));
  auto constant = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v))
        .getResult();
  };
  Value product =
      cpu::callPerOutputTile(b, loc, kernel, buffers, rows, n,
                             {constant(w.bits), constant(w.groupRows)}, kTile);
  b.replaceOp(op, expandRows(b, loc, product, op.getLhs(), resultType));
  return success();
}

struct WqMatmuls : qc::cpu::impl::WqMatmulsBase<WqMatmuls> {
  void runOnOperation() override {
    if (failed(cpu::rewriteMatchingProducts<QuantizedMatmulOp, KernelWeight>(
            getOperation(), matches, declareKernel, rewrite)))
      signalPassFailure();
  }
};

} // namespace
