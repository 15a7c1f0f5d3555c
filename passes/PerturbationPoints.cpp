//===- PerturbationPoints.cpp - run-time switches for sensitivity ---------===//
//
// qc-perturbation-points: every weight product's (matmul's or
// convolution's) constant weight becomes an input of the entry function
// (`<node>.weight`), and optionally each product's activation gets a noise
// point `x + sigma * noise` whose
// parameters are another input (`<node>.input.noise`, f32 [3]: sigma, kind,
// seed). One artifact then serves a whole sensitivity sweep: the driver
// feeds the original weights and sigma 0 everywhere except the layer it
// perturbs (tools/driver/Sensitivity.cpp).
//
// The noise is a counter-based hash of the element's linear index (murmur3's
// 32-bit finalizer), so it needs no state and is the same on every target:
// kind 0 uniform, 1 Gaussian (Box-Muller), 2 Laplace, each with unit
// variance.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/LayerOrder.h"
#include "passes/LinalgBuilders.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/StringSet.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_PERTURBATIONPOINTS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// murmur3's fmix32 on i32 values (wrapping arithmetic).
Value mix32(OpBuilder &b, Location loc, Value h) {
  auto c = [&](uint32_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                        static_cast<int32_t>(v))
        .getResult();
  };
  auto shr = [&](Value v, uint32_t s) {
    return arith::XOrIOp::create(b, loc, v,
                                 arith::ShRUIOp::create(b, loc, v, c(s)))
        .getResult();
  };
  h = shr(h, 16);
  h = arith::MulIOp::create(b, loc, h, c(0x85ebca6bu));
  h = shr(h, 13);
  h = arith::MulIOp::create(b, loc, h, c(0xc2b2ae35u));
  return shr(h, 16);
}

/// A uniform value in (0, 1) from the top 24 bits of `h`.
Value unitInterval(OpBuilder &b, Location loc, Value h) {
  Value top = arith::ShRUIOp::create(
      b, loc, h,
      arith::ConstantIntOp::create(b, loc, b.getI32Type(), 8).getResult());
  Value f = arith::UIToFPOp::create(b, loc, b.getF32Type(), top);
  auto cf = [&](float v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v))
        .getResult();
  };
  // (top + 0.5) / 2^24: never 0 or 1, so log() stays finite.
  return arith::MulFOp::create(b, loc,
                               arith::AddFOp::create(b, loc, f, cf(0.5f)),
                               cf(1.0f / 16777216.0f));
}

struct PerturbationPoints
    : qc::impl::PerturbationPointsBase<PerturbationPoints> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal()) {
      module.emitError("qc-perturbation-points: the module has no "
                       "func.func @main");
      return signalPassFailure();
    }
    llvm::StringSet<> names;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (auto n = func.getArgAttrOfType<StringAttr>(i, "onnx.name"))
        names.insert(n.getValue());
    // A copy of a layer (in the other branch of an If) reads its
    // original's inputs: the layer is perturbed whichever branch runs.
    llvm::DenseMap<Operation *, std::pair<BlockArgument, BlockArgument>>
        inputsOf;
    for (FloatWeightProduct &p : floatWeightProducts(func)) {
      auto [weightArg, noiseArg] = inputsOf.lookup(p.original);
      FailureOr<BlockArgument> w =
          exposeWeight(func, p.op, *p.weight, p.name, names, weightArg);
      FailureOr<BlockArgument> noise = BlockArgument();
      if (succeeded(w) && activations)
        noise = addNoise(func, p.op, *p.input, p.name, names, noiseArg);
      if (failed(w) || failed(noise))
        return signalPassFailure();
      if (!p.original)
        inputsOf[p.op] = {*w, *noise};
    }
  }

  /// A new last argument of `func` named `name` (an error if taken).
  FailureOr<BlockArgument> addInput(func::FuncOp func, Operation *at, Type type,
                                    const std::string &name,
                                    llvm::StringSet<> &names) {
    if (!names.insert(name).second)
      return at->emitOpError("perturbation input name '")
             << name << "' is already used";
    unsigned i = func.getNumArguments();
    if (failed(func.insertArgument(
            i, type,
            DictionaryAttr::get(
                &getContext(),
                {NamedAttribute(StringAttr::get(&getContext(), "onnx.name"),
                                StringAttr::get(&getContext(), name))}),
            func.getLoc())))
      return at->emitOpError("cannot add a perturbation input");
    return func.getArgument(i);
  }

  /// Replaces `weight` by a new input, or by `existing` when given.
  FailureOr<BlockArgument> exposeWeight(func::FuncOp func, Operation *op,
                                        OpOperand &weight,
                                        const std::string &node,
                                        llvm::StringSet<> &names,
                                        BlockArgument existing) {
    Value old = weight.get();
    FailureOr<BlockArgument> arg =
        existing ? existing
                 : addInput(func, op, old.getType(), node + ".weight", names);
    if (failed(arg))
      return failure();
    weight.assign(*arg);
    if (Operation *def = old.getDefiningOp(); def && def->use_empty())
      def->erase();
    return arg;
  }

  /// Adds noise to `input` whose parameters are a new input, or `existing`.
  FailureOr<BlockArgument> addNoise(func::FuncOp func, Operation *op,
                                    OpOperand &input, const std::string &node,
                                    llvm::StringSet<> &names,
                                    BlockArgument existing) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    FailureOr<BlockArgument> params =
        existing
            ? existing
            : addInput(func, op, RankedTensorType::get({3}, b.getF32Type()),
                       node + ".input.noise", names);
    if (failed(params))
      return failure();
    Value x = input.get();
    auto type = cast<RankedTensorType>(x.getType());
    unsigned rank = type.getRank();
    auto idx = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    Value sigma =
        tensor::ExtractOp::create(b, loc, *params, ValueRange{idx(0)});
    Value kind = tensor::ExtractOp::create(b, loc, *params, ValueRange{idx(1)});
    Value seedF =
        tensor::ExtractOp::create(b, loc, *params, ValueRange{idx(2)});
    Value seed = arith::FPToUIOp::create(b, loc, b.getI32Type(), seedF);
    // Row-major strides of x, for the element's linear index.
    SmallVector<Value> strides(rank);
    Value stride = idx(1);
    for (unsigned d = rank; d-- > 0;) {
      strides[d] = stride;
      stride = arith::MulIOp::create(
          b, loc, stride, tensor::DimOp::create(b, loc, x, d).getResult());
    }
    MLIRContext *ctx = &getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value noisy =
        linalg::GenericOp::create(
            b, loc, type, ValueRange{x},
            ValueRange{emptyShapedLike(b, loc, x, type.getElementType())},
            {id, id}, iterators(rank, 0),
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value linear = arith::ConstantIndexOp::create(nb, l, 0);
              for (unsigned d = 0; d < rank; ++d)
                linear = arith::AddIOp::create(
                    nb, l, linear,
                    arith::MulIOp::create(
                        nb, l, linalg::IndexOp::create(nb, l, d), strides[d]));
              Value h =
                  arith::IndexCastUIOp::create(nb, l, nb.getI32Type(), linear);
              Value h1 = mix32(nb, l, arith::XOrIOp::create(nb, l, h, seed));
              auto c32 = [&](uint32_t v) {
                return arith::ConstantIntOp::create(nb, l, nb.getI32Type(),
                                                    static_cast<int32_t>(v))
                    .getResult();
              };
              Value h2 = mix32(
                  nb, l, arith::XOrIOp::create(nb, l, h1, c32(0x68e31da4u)));
              Value u1 = unitInterval(nb, l, h1);
              Value u2 = unitInterval(nb, l, h2);
              auto cf = [&](double v) {
                return arith::ConstantFloatOp::create(nb, l, nb.getF32Type(),
                                                      APFloat(float(v)))
                    .getResult();
              };
              // Uniform on (-sqrt 3, sqrt 3): unit variance.
              Value uniform = arith::MulFOp::create(
                  nb, l,
                  arith::SubFOp::create(
                      nb, l, arith::MulFOp::create(nb, l, u1, cf(2)), cf(1)),
                  cf(std::sqrt(3.0)));
              // Box-Muller: sqrt(-2 ln u1) cos(2 pi u2).
              Value logU1 = math::LogOp::create(nb, l, u1);
              Value radius = math::SqrtOp::create(
                  nb, l, arith::MulFOp::create(nb, l, logU1, cf(-2)));
              Value gaussian = arith::MulFOp::create(
                  nb, l, radius,
                  math::CosOp::create(
                      nb, l,
                      arith::MulFOp::create(nb, l, u2,
                                            cf(2 * llvm::numbers::pi))));
              // Laplace with b = 1/sqrt 2: -ln(u1) b, sign from u2.
              Value magnitude = arith::MulFOp::create(
                  nb, l, logU1, cf(-1.0 / std::sqrt(2.0)));
              Value negative = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OLT, u2, cf(0.5));
              Value laplace = arith::SelectOp::create(
                  nb, l, negative, arith::NegFOp::create(nb, l, magnitude),
                  magnitude);
              Value isUniform = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OLT, kind, cf(0.5));
              Value isGaussian = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OLT, kind, cf(1.5));
              Value noise = arith::SelectOp::create(
                  nb, l, isUniform, uniform,
                  arith::SelectOp::create(nb, l, isGaussian, gaussian,
                                          laplace));
              linalg::YieldOp::create(
                  nb, l,
                  Value(arith::AddFOp::create(
                      nb, l, a[0],
                      arith::MulFOp::create(nb, l, sigma, noise))));
            })
            .getResult(0);
    input.assign(noisy);
    return params;
  }
};

} // namespace
