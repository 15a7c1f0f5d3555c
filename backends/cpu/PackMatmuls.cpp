//===- PackMatmuls.cpp - f32 matmuls on prepacked weight panels -----------===//
//
// A linalg.matmul C[M, N] += A[M, K] * W[K, N] on f32 tensors whose W is a
// constant (static K and N), or the same product with W stored [N, K] (a
// generic; ONNX Gemm with transB, PyTorch's Linear), becomes, on tensors:
//
//   Wp  = W repacked at compile time into panels [N/32][K][32] (zero-padded
//         columns in a ragged last panel)
//   out = memref.alloc [M, N] (+ a copy of C when C is not a fill)
//   scf.forall t in (tiles of 64 rows x 256 columns)      -> threads
//     func.call @quantc_sgemm_f32(A, Wp, out, fill, accumulate, m0, m1, n0, n1)
//
// The call goes through the artifact's `quantc_ukernels` table to the f32
// microkernel the runtime chose for the CPU it runs on (AVX-512, AVX2 + FMA
// or scalar; runtime/ukernels/SGemm.h). A hand-scheduled kernel (register
// tiles, B prefetch, K blocking) reaches a larger share of the FMA peak than
// the register tiles this pass used to generate (~50%), as ONNX Runtime's
// MLAS does. Upstream has no pass that packs a constant operand.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "backends/cpu/KernelCalls.h"
#include "passes/PackedWeights.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_PACKMATMULS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

constexpr int64_t kPanel = 32; // columns per panel (runtime/ukernels/SGemm.h)

/// The kernel's name; EmitSharedLibrary.cpp defines `_mlir_ciface_` of it to
/// call slot 2 of `quantc_ukernels`.
constexpr StringLiteral kKernel = "quantc_sgemm_f32";

/// A call's output tile: a 128 x 4096 product is 32 tiles for the threads,
/// and a tile's weight panels (256 columns x K floats) are reused across its
/// row blocks while in L2.
constexpr qc::cpu::OutputTile kTile = {64, 256};

/// What a matmul is rewritten from.
struct PackableMatmul {
  Value lhs, init;
  Value weight; // the [K][N] constant, or [N][K] when `transposed`
  bool transposed = false;
  int64_t k, n;
  int64_t paddedN; // N rounded up to whole panels (zero weight columns)
  std::optional<Value> fillValue; // the init is linalg.fill of this scalar
};

/// Whether `op`'s body is exactly `out + a * b` (either operand order of
/// each), nothing applied to the operands or the result.
bool isMultiplyAdd(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto mul = dyn_cast<arith::MulFOp>(&body.front());
  auto add =
      dyn_cast_if_present<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || !add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  auto isPair = [](Value x, Value y, Value p, Value q) {
    return (x == p && y == q) || (x == q && y == p);
  };
  return isPair(mul.getLhs(), mul.getRhs(), a, b) &&
         isPair(add.getLhs(), add.getRhs(), out, mul.getResult());
}

/// Whether `op` is C[m, n] += A[m, k] * B[k, n] (`transposed` false) or
/// C[m, n] += A[m, k] * B[n, k] (true, what ONNX Gemm with transB and
/// PyTorch's Linear export lower to): linalg.matmul with its default maps,
/// or a generic with those maps and a multiply-add body.
std::optional<bool> matmulForm(linalg::LinalgOp op) {
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation()))
    return matmul.hasUserDefinedMaps() ? std::nullopt
                                       : std::optional<bool>(false);
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 3 || !isMultiplyAdd(generic))
    return std::nullopt;
  using IT = utils::IteratorType;
  if (op.getIteratorTypesArray() !=
      SmallVector<IT>{IT::parallel, IT::parallel, IT::reduction})
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  auto map = [&](unsigned a, unsigned b) {
    return AffineMap::get(
        3, 0, {getAffineDimExpr(a, ctx), getAffineDimExpr(b, ctx)}, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != map(0, 2) || maps[2] != map(0, 1))
    return std::nullopt;
  if (maps[1] == map(2, 1))
    return false;
  if (maps[1] == map(1, 2))
    return true;
  return std::nullopt;
}

std::optional<PackableMatmul> match(linalg::LinalgOp op) {
  std::optional<bool> transposed = matmulForm(op);
  if (!transposed || !op.hasPureTensorSemantics())
    return std::nullopt;
  Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
  auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
  auto outType = dyn_cast<RankedTensorType>(init.getType());
  if (!lhsType || !rhsType || !outType || !lhsType.getElementType().isF32() ||
      !rhsType.getElementType().isF32() || !outType.getElementType().isF32() ||
      !rhsType.hasStaticShape() || outType.isDynamicDim(1))
    return std::nullopt;
  PackableMatmul m;
  m.transposed = *transposed;
  m.k = rhsType.getDimSize(m.transposed ? 1 : 0);
  m.n = rhsType.getDimSize(m.transposed ? 0 : 1);
  m.paddedN = llvm::divideCeil(m.n, kPanel) * kPanel;
  if (m.k == 0 || m.n == 0)
    return std::nullopt;
  if (!matchPattern(rhs, m_Constant()))
    return std::nullopt;
  m.weight = rhs;
  m.lhs = lhs;
  m.init = init;
  if (auto fill = m.init.getDefiningOp<linalg::FillOp>();
      fill && fill.getInputs()[0].getType().isF32()) {
    m.fillValue = fill.getInputs()[0];
    m.init = fill.getOutputs()[0];
  }
  return m;
}

/// The weight as panels [N/32][K][32], a resource blob like the importer's,
/// built right after the weight's constant; none when its values cannot be
/// read (an elided blob).
std::optional<Value> packWeight(OpBuilder &b, const PackableMatmul &m) {
  Attribute value;
  matchPattern(m.weight, m_Constant(&value));
  std::optional<std::vector<float>> weight = qc::readFloatConstant(value);
  if (!weight)
    return std::nullopt;
  int64_t panels = m.paddedN / kPanel;
  std::vector<float> packed(panels * m.k * kPanel, 0.0f);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < m.k; ++k)
      for (int64_t j = 0; j < kPanel && p * kPanel + j < m.n; ++j)
        packed[(p * m.k + k) * kPanel + j] =
            m.transposed ? (*weight)[(p * kPanel + j) * m.k + k]
                         : (*weight)[k * m.n + p * kPanel + j];
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(m.weight.getDefiningOp());
  auto type = RankedTensorType::get({panels, m.k, kPanel}, b.getF32Type());
  auto attr = DenseResourceElementsAttr::get(
      type, "packed_weight",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(packed)));
  Value panelsValue =
      arith::ConstantOp::create(b, m.weight.getLoc(), type, attr).getResult();
  return tensor::CollapseShapeOp::create(
             b, m.weight.getLoc(), panelsValue,
             ArrayRef<ReassociationIndices>{{0, 1, 2}})
      .getResult();
}

/// `func.func private @quantc_sgemm_f32(A, Wp, out, fill, accumulate, m0,
/// m1, n0, n1)`.
func::FuncOp declareKernel(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  int64_t dyn = ShapedType::kDynamic;
  auto f32 = Float32Type::get(ctx);
  auto index = IndexType::get(ctx);
  return qc::cpu::declareKernel(
      module, kKernel,
      {MemRefType::get({dyn, dyn}, f32), MemRefType::get({dyn}, f32),
       MemRefType::get({dyn, dyn}, f32), f32, IntegerType::get(ctx, 32), index,
       index, index, index});
}

/// The product into a fresh buffer through the microkernel.
Value emitCalls(OpBuilder &b, Location loc, const PackableMatmul &m,
                Value packed, func::FuncOp kernel) {
  ArrayRef<Type> argTypes = kernel.getArgumentTypes();
  auto initType = cast<RankedTensorType>(m.init.getType());
  Value rows = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, m.lhs, 0));
  auto outType = MemRefType::get(initType.getShape(), b.getF32Type());
  SmallVector<Value> dynamic;
  if (outType.isDynamicDim(0))
    dynamic.push_back(rows);
  Value out = memref::AllocOp::create(b, loc, outType, dynamic,
                                      b.getI64IntegerAttr(64));
  Value fill = m.fillValue ? *m.fillValue
                           : arith::ConstantOp::create(b, loc, b.getF32Type(),
                                                       b.getF32FloatAttr(0))
                                 .getResult();
  if (!m.fillValue) {
    // C's values are the starting point: the kernel accumulates onto a copy.
    Value init = qc::cpu::asReadOnlyBuffer(b, loc, m.init, outType);
    memref::CopyOp::create(b, loc, init, out);
  }
  SmallVector<Value> args = {
      qc::cpu::asReadOnlyBuffer(b, loc, m.lhs, argTypes[0]),
      qc::cpu::asReadOnlyBuffer(b, loc, packed, argTypes[1]),
      memref::CastOp::create(b, loc, argTypes[2], out), fill,
      arith::ConstantOp::create(b, loc,
                                b.getI32IntegerAttr(m.fillValue ? 0 : 1))};
  qc::cpu::forEachOutputTile(
      b, loc, rows, m.n, kTile,
      [&](OpBuilder &nb, Value m0, Value m1, Value n0, Value n1) {
        SmallVector<Value> callArgs(args);
        callArgs.append({m0, m1, n0, n1});
        func::CallOp::create(nb, loc, kernel, callArgs);
      });
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(outType.getShape(), b.getF32Type()), out,
      /*restrict=*/true, /*writable=*/true);
}

struct PackMatmuls : qc::cpu::impl::PackMatmulsBase<PackMatmuls> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Matched as they are rewritten: a product's init may be the result of
    // one rewritten before it.
    SmallVector<linalg::LinalgOp> matmuls;
    module.walk([&](linalg::LinalgOp op) {
      if (match(op))
        matmuls.push_back(op);
    });
    if (matmuls.empty())
      return;
    func::FuncOp kernel = declareKernel(module);
    // A weight several matmuls share is packed once per orientation (a
    // tied weight may be read as [K, N] by one product, [N, K] by another).
    DenseMap<std::pair<Value, unsigned>, Value> packedWeights;
    for (linalg::LinalgOp op : matmuls) {
      PackableMatmul m = *match(op);
      OpBuilder b(op);
      std::pair<Value, unsigned> key(m.weight, m.transposed);
      auto cached = packedWeights.find(key);
      if (cached == packedWeights.end()) {
        std::optional<Value> fresh = packWeight(b, m);
        if (!fresh)
          continue;
        cached = packedWeights.try_emplace(key, *fresh).first;
      }
      Value result = emitCalls(b, op.getLoc(), m, cached->second, kernel);
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};

} // namespace
