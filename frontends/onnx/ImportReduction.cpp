//===- ImportReduction.cpp - reductions, softmax, arg-reductions, losses --===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

enum class Reduce {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp,
  SumSquare
};

bool isF(Type t) { return isa<FloatType>(t); }

/// The lowest or highest value of a type, for max/min reductions.
Value extreme(OpBuilder &b, Location l, Type t, bool lowest, bool isUnsigned) {
  return combineIdentity(b, l, lowest ? Combine::Max : Combine::Min, t,
                         isUnsigned);
}

Value add(OpBuilder &b, Location l, Value x, Value y) {
  return combineScalars(b, l, Combine::Add, x, y);
}
Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return combineScalars(b, l, Combine::Mul, x, y);
}

/// The element combination of a plain reduction kind (Sum, Prod, Max, Min).
Combine combineOf(Reduce kind) {
  switch (kind) {
  case Reduce::Max:
    return Combine::Max;
  case Reduce::Min:
    return Combine::Min;
  case Reduce::Prod:
    return Combine::Mul;
  default:
    return Combine::Add;
  }
}

/// Reduced axes of a Reduce* node, or failure. `all` when none are given.
FailureOr<SmallVector<int64_t>> reduceAxes(NodeImporter &n, bool inputForm,
                                           bool &noop) {
  int64_t rank = n.rank(0);
  std::optional<SmallVector<int64_t>> raw;
  if (!inputForm) {
    if (n.hasAttr("axes"))
      raw = n.attrInts("axes");
  } else if (n.hasInput(1)) {
    // An empty axes input is known even when it is a graph input.
    raw = n.type(1).getNumElements() == 0 ? SmallVector<int64_t>()
                                          : n.constInts(1);
    if (!raw)
      return n.fail("axes must be constant");
  }
  noop = false;
  SmallVector<int64_t> axes;
  if (!raw || raw->empty()) {
    if (inputForm && n.attrInt("noop_with_empty_axes", 0)) {
      noop = true;
      return axes;
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
    return axes;
  }
  for (int64_t a : *raw) {
    auto norm = normalizeAxis(a, rank);
    if (failed(norm))
      return n.fail("axis " + Twine(a) + " is out of range for rank " +
                    Twine(rank));
    axes.push_back(*norm);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

/// A reduction over (output indices, input indices) of the same rank: input
/// element k feeds output i when `agree(d, i_d, k_d)` holds in every
/// dimension d, and feeding combines with `combine(acc, x)`. Quadratic in the
/// tensor size: the fallback for when which loops reduce is only known at run
/// time (axes given as graph inputs); constant axes use direct reductions.
Value buildMaskedReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<OpFoldResult> outSizes,
    Value init,
    function_ref<Value(OpBuilder &, Location, int64_t, Value, Value)> agree,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  Value acc = filledTensor(b, loc, outSizes, init);
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t d = 0; d < rank; ++d) {
    outExprs.push_back(b.getAffineDimExpr(d));
    inExprs.push_back(b.getAffineDimExpr(rank + d));
  }
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  it.append(rank, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), input, acc,
             SmallVector<AffineMap>{
                 AffineMap::get(2 * rank, 0, inExprs, b.getContext()),
                 AffineMap::get(2 * rank, 0, outExprs, b.getContext())},
             it,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value match = scalarConstant(nb, l, nb.getI1Type(), 1);
               for (int64_t d = 0; d < rank; ++d)
                 match = arith::AndIOp::create(
                     nb, l, match,
                     agree(nb, l, d, linalg::IndexOp::create(nb, l, d),
                           linalg::IndexOp::create(nb, l, rank + d)));
               Value next = combine(nb, l, a[1], a[0]);
               linalg::YieldOp::create(
                   nb, l,
                   arith::SelectOp::create(nb, l, match, next, a[1])
                       .getResult());
             })
      .getResult(0);
}

/// Which positions k along the axis a CumSum output i sums.
arith::CmpIPredicate cumSumOrder(bool exclusive, bool reverse) {
  return reverse ? (exclusive ? arith::CmpIPredicate::sgt
                              : arith::CmpIPredicate::sge)
                 : (exclusive ? arith::CmpIPredicate::slt
                              : arith::CmpIPredicate::sle);
}

/// Reduce* whose axes are only known at run time. Which loops reduce cannot
/// be chosen at run time, so this is a masked reduction over (output indices,
/// input indices): input element i feeds output o when every non-reduced
/// dimension agrees. Quadratic in the tensor size: a fallback for graphs that
/// feed axes as inputs (the conformance suite), not for real models, whose
/// axes are constants.
LogicalResult importRuntimeReduce(NodeImporter &n, Reduce kind) {
  if (kind != Reduce::Sum && kind != Reduce::Max && kind != Reduce::Min &&
      kind != Reduce::Prod)
    return n.fail(
        "run-time axes are only supported for ReduceSum/Max/Min/Prod");
  OpBuilder &b = n.b;
  Location loc = n.loc;
  int64_t rank = n.rank(0);
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  auto axes = n.runtimeAxes(1, rank);
  if (failed(axes))
    return failure();
  Sizes dims = dimsOf(b, loc, n.operand(0)), kept;
  SmallVector<Value> isAxis;
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < rank; ++d) {
    isAxis.push_back(hasAxis(b, loc, *axes, d));
    kept.push_back(arith::SelectOp::create(b, loc, isAxis[d], one,
                                           indexValue(b, loc, dims[d]))
                       .getResult());
  }
  Combine op = combineOf(kind);
  Value r = buildMaskedReduction(
      b, loc, n.operand(0), kept, combineIdentity(b, loc, op, t, u),
      [&](OpBuilder &nb, Location l, int64_t d, Value i, Value k) -> Value {
        Value same =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, k);
        return arith::OrIOp::create(nb, l, isAxis[d], same);
      },
      [&](OpBuilder &nb, Location l, Value prev, Value v) -> Value {
        return combineScalars(nb, l, op, prev, v, u);
      });
  if (!n.attrInt("keepdims", 1))
    r = buildReshape(b, loc, r,
                     squeezedSizes(b, loc, dims, *axes, rank - axes->size()));
  n.setResult(0, r, u);
  return success();
}

LogicalResult importReduce(NodeImporter &n, Reduce kind) {
  if (failed(n.require(0, "data")))
    return failure();
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  if (t.isInteger(1))
    return n.fail("bool inputs are not supported");
  bool needsFloat =
      kind == Reduce::L2 || kind == Reduce::LogSum || kind == Reduce::LogSumExp;
  if (needsFloat && !isF(t))
    return n.fail("this reduction needs a float input");
  bool inputForm = n.opset >= (kind == Reduce::Sum ? 13 : 18);
  if (inputForm && n.hasInput(1) && n.type(1).getNumElements() != 0 &&
      !n.constInts(1))
    return importRuntimeReduce(n, kind);
  bool noop;
  auto axes = reduceAxes(n, inputForm, noop);
  if (failed(axes))
    return failure();
  bool keep = n.attrInt("keepdims", 1);
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Value x = n.operand(0);
  if (noop) {
    // Identity, but the elementwise part of the reduction still applies.
    Value r = buildElementwiseTo(
        b, loc, x, dimsOf(b, loc, x), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value v = a[0];
          switch (kind) {
          case Reduce::L1:
            return isF(t) ? math::AbsFOp::create(nb, l, v).getResult()
                          : math::AbsIOp::create(nb, l, v).getResult();
          case Reduce::L2:
            return math::AbsFOp::create(nb, l, v);
          case Reduce::SumSquare:
            return mul(nb, l, v, v);
          case Reduce::LogSum:
            return math::LogOp::create(nb, l, v);
          default:
            return v;
          }
        });
    n.setResult(0, r, u);
    return success();
  }
  Value maxKeep;
  if (kind == Reduce::LogSumExp) {
    // log(sum(exp(x - m))) + m with m the maximum: no overflow.
    Value lowest = extreme(b, loc, t, true, false);
    maxKeep =
        buildReduction(b, loc, x, *axes, true, lowest,
                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return arith::MaximumFOp::create(nb, l, a[0], a[1]);
                       });
    // Fully -inf slices would give NaN: use 0 as their shift.
    maxKeep = buildElementwiseTo(
        b, loc, maxKeep, dimsOf(b, loc, maxKeep), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value inf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                            math::AbsFOp::create(nb, l, a[0]),
                                            scalarConstant(nb, l, t, INFINITY));
          return arith::SelectOp::create(nb, l, inf,
                                         scalarConstant(nb, l, t, 0), a[0]);
        });
    // maxKeep is x reduced with kept dimensions: it broadcasts onto x.
    x = buildElementwiseTo(
        b, loc, {x, maxKeep}, dimsOf(b, loc, x), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return math::ExpOp::create(nb, l,
                                     arith::SubFOp::create(nb, l, a[0], a[1]));
        });
  }
  Value init = combineIdentity(b, loc, combineOf(kind), t, u);
  Value r = buildReduction(
      b, loc, x, *axes, keep, init,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = a[0], acc = a[1];
        switch (kind) {
        case Reduce::L1:
          return add(nb, l, acc,
                     isF(t) ? math::AbsFOp::create(nb, l, v).getResult()
                     : u    ? v
                            : math::AbsIOp::create(nb, l, v).getResult());
        case Reduce::L2:
        case Reduce::SumSquare:
          return add(nb, l, acc, mul(nb, l, v, v));
        default:
          return combineScalars(nb, l, combineOf(kind), acc, v, u);
        }
      });
  // Post-processing of the reduced value.
  Sizes dims = dimsOf(b, loc, n.operand(0));
  OpFoldResult count = b.getIndexAttr(1);
  for (int64_t a : *axes)
    count = mulIndex(b, loc, count, dims[a]);
  std::string error;
  if (kind == Reduce::Mean || kind == Reduce::L2 || kind == Reduce::LogSum) {
    Value c = sizeScalar(b, loc, count, t);
    r = buildElementwiseTo(
        b, loc, r, dimsOf(b, loc, r), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          if (kind == Reduce::L2)
            return math::SqrtOp::create(nb, l, a[0]);
          if (kind == Reduce::LogSum)
            return math::LogOp::create(nb, l, a[0]);
          if (isF(t))
            return arith::DivFOp::create(nb, l, a[0], c);
          return u ? arith::DivUIOp::create(nb, l, a[0], c).getResult()
                   : arith::DivSIOp::create(nb, l, a[0], c).getResult();
        });
  } else if (kind == Reduce::LogSumExp) {
    Value m = keep ? maxKeep : buildSqueeze(b, loc, maxKeep, *axes);
    // r and m are the same reduction's results: one shape.
    r = buildElementwiseTo(
        b, loc, {r, m}, dimsOf(b, loc, r), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, l, math::LogOp::create(nb, l, a[0]),
                                       a[1]);
        });
  }
  n.setResult(0, r, u);
  return success();
}

/// Index (i64) of the max/min along `axis`, keeping the reduced dimension.
Value buildArgReduce(OpBuilder &b, Location loc, Value x, int64_t axis,
                     bool isMax, bool selectLast, bool isUnsigned) {
  auto type = cast<RankedTensorType>(x.getType());
  Type t = type.getElementType();
  int64_t rank = type.getRank();
  Sizes outSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    outSizes.push_back(dimOf(b, loc, x, d));
    outExprs.push_back(b.getAffineDimExpr(d));
  }
  Value vals =
      filledTensor(b, loc, outSizes, extreme(b, loc, t, isMax, isUnsigned));
  Value idxs =
      filledTensor(b, loc, outSizes, scalarConstant(b, loc, b.getI64Type(), 0));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, b.getContext());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), outMap,
                                 outMap};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{vals.getType(), idxs.getType()}, x,
      ValueRange{vals, idxs}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value v = a[0], best = a[1], bestIdx = a[2];
        Value i = convertScalar(nb, l, linalg::IndexOp::create(nb, l, axis),
                                nb.getI64Type(), false, false);
        Value better;
        if (isF(t)) {
          auto p = isMax ? (selectLast ? arith::CmpFPredicate::OGE
                                       : arith::CmpFPredicate::OGT)
                         : (selectLast ? arith::CmpFPredicate::OLE
                                       : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(nb, l, p, v, best);
        } else {
          auto p =
              isMax ? (selectLast ? (isUnsigned ? arith::CmpIPredicate::uge
                                                : arith::CmpIPredicate::sge)
                                  : (isUnsigned ? arith::CmpIPredicate::ugt
                                                : arith::CmpIPredicate::sgt))
                    : (selectLast ? (isUnsigned ? arith::CmpIPredicate::ule
                                                : arith::CmpIPredicate::sle)
                                  : (isUnsigned ? arith::CmpIPredicate::ult
                                                : arith::CmpIPredicate::slt));
          better = arith::CmpIOp::create(nb, l, p, v, best);
        }
        // The first element always wins so that all -inf rows give index 0.
        Value first =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i,
                                  scalarConstant(nb, l, nb.getI64Type(), 0));
        better = arith::OrIOp::create(nb, l, better, first);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, better, v, best),
                       arith::SelectOp::create(nb, l, better, i, bestIdx)});
      });
  return buildUnsqueeze(b, loc, generic.getResult(1), {axis});
}

LogicalResult importArg(NodeImporter &n, bool isMax) {
  if (failed(n.require(0, "data")))
    return failure();
  auto axis = normalizeAxis(n.attrInt("axis", 0), n.rank(0));
  if (failed(axis))
    return n.fail("axis is out of range");
  Value r = buildArgReduce(n.b, n.loc, n.operand(0), *axis, isMax,
                           n.attrInt("select_last_index", 0), n.isUnsigned(0));
  if (!n.attrInt("keepdims", 1))
    r = buildSqueeze(n.b, n.loc, r, {*axis});
  n.setResult(0, r);
  return success();
}

/// CumSum whose axis is only known at run time: a masked reduction over
/// (output indices, input indices) where input k feeds output i when they
/// agree off the axis and k precedes i on it. Quadratic in the tensor size;
/// a fallback for graphs that feed the axis as an input.
LogicalResult importRuntimeCumSum(NodeImporter &n) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  int64_t rank = n.rank(0);
  if (n.type(1).getNumElements() != 1)
    return n.fail("axis must be a scalar");
  Value axisInput =
      n.rank(1) == 0 ? buildUnsqueeze(b, loc, n.operand(1), {0}) : n.operand(1);
  SmallVector<Value> zero = {arith::ConstantIndexOp::create(b, loc, 0)};
  Value raw =
      convertScalar(b, loc, tensor::ExtractOp::create(b, loc, axisInput, zero),
                    b.getIndexType(), false, false);
  Value neg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, raw, zero[0]);
  Value axis = arith::SelectOp::create(
      b, loc, neg,
      arith::AddIOp::create(b, loc, raw,
                            arith::ConstantIndexOp::create(b, loc, rank)),
      raw);
  bool exclusive = n.attrInt("exclusive", 0), reverse = n.attrInt("reverse", 0);
  Type t = n.elementType(0);
  arith::CmpIPredicate order = cumSumOrder(exclusive, reverse);
  Value r = buildMaskedReduction(
      b, loc, n.operand(0), dimsOf(b, loc, n.operand(0)),
      scalarConstant(b, loc, t, 0),
      [&](OpBuilder &nb, Location l, int64_t d, Value i, Value k) -> Value {
        Value onAxis =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, axis,
                                  arith::ConstantIndexOp::create(nb, l, d));
        Value same =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, k, i);
        Value before = arith::CmpIOp::create(nb, l, order, k, i);
        return arith::SelectOp::create(nb, l, onAxis, before, same);
      },
      [](OpBuilder &nb, Location l, Value acc, Value x) {
        return add(nb, l, acc, x);
      });
  n.setResult(0, r, n.isUnsigned(0));
  return success();
}

LogicalResult importCumSum(NodeImporter &n) {
  if (failed(n.require(0, "x")) || failed(n.require(1, "axis")))
    return failure();
  auto axisVals = n.constInts(1);
  if (!axisVals)
    return importRuntimeCumSum(n);
  if (axisVals->size() != 1)
    return n.fail("axis must be a scalar");
  int64_t rank = n.rank(0);
  auto axis = normalizeAxis((*axisVals)[0], rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  bool exclusive = n.attrInt("exclusive", 0), reverse = n.attrInt("reverse", 0);
  Type t = n.elementType(0);
  OpBuilder &b = n.b;
  Location loc = n.loc;
  // out[.., i, ..] = sum_k [k included for i] x[.., k, ..]: a masked
  // reduction over an extra loop k (quadratic along the axis, which is short
  // in practice).
  Value x = n.operand(0);
  Sizes dims = dimsOf(b, loc, x);
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < rank; ++d)
    inExprs.push_back(d == *axis ? b.getAffineDimExpr(rank)
                                 : b.getAffineDimExpr(d));
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(b.getAffineDimExpr(d));
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, inExprs, b.getContext()),
      AffineMap::get(rank + 1, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value acc = filledTensor(b, loc, dims, scalarConstant(b, loc, t, 0));
  Value r =
      linalg::GenericOp::create(
          b, loc, acc.getType(), x, acc, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value i = linalg::IndexOp::create(nb, l, *axis);
            Value k = linalg::IndexOp::create(nb, l, rank);
            Value inc = arith::CmpIOp::create(
                nb, l, cumSumOrder(exclusive, reverse), k, i);
            Value sum = add(nb, l, a[1], a[0]);
            linalg::YieldOp::create(
                nb, l,
                arith::SelectOp::create(nb, l, inc, sum, a[1]).getResult());
          })
          .getResult(0);
  n.setResult(0, r, n.isUnsigned(0));
  return success();
}

/// TopK without sorting: each element's rank is the number of elements that
/// precede it (larger first, or smaller first; ties by index), and output j
/// is the element of rank j. Quadratic along the axis, which is fine for the
/// short axes TopK sees in practice.
LogicalResult importTopK(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  int64_t rank = n.rank(0);
  auto axis = normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  OpFoldResult k;
  if (n.opset < 10) {
    k = n.b.getIndexAttr(n.attrInt("k", 0));
  } else {
    if (failed(n.require(1, "K")))
      return failure();
    auto kv = n.knownInts(1);
    if (!kv || kv->size() != 1)
      return n.fail("K must hold one value");
    k = (*kv)[0];
  }
  bool largest = n.attrInt("largest", 1);
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Value x = n.operand(0);
  Type i64 = b.getI64Type();
  auto before = [&](OpBuilder &nb, Location l, Value a, Value am, Value c,
                    Value ci) -> Value {
    Value strict, equal;
    if (isF(t)) {
      strict = arith::CmpFOp::create(nb, l,
                                     largest ? arith::CmpFPredicate::OGT
                                             : arith::CmpFPredicate::OLT,
                                     a, c);
      equal = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a, c);
    } else {
      auto p =
          largest ? (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                  : (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
      strict = arith::CmpIOp::create(nb, l, p, a, c);
      equal = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a, c);
    }
    Value earlier =
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, am, ci);
    return arith::OrIOp::create(nb, l, strict,
                                arith::AndIOp::create(nb, l, equal, earlier));
  };
  // rank[..., i] = #{m : x[m] precedes x[i]}; loops (dims..., m).
  Sizes dims = dimsOf(b, loc, x);
  SmallVector<AffineExpr> selfExprs, otherExprs;
  for (int64_t d = 0; d < rank; ++d) {
    selfExprs.push_back(b.getAffineDimExpr(d));
    otherExprs.push_back(d == *axis ? b.getAffineDimExpr(rank)
                                    : b.getAffineDimExpr(d));
  }
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  it.push_back(utils::IteratorType::reduction);
  Value ranks = filledTensor(b, loc, dims, scalarConstant(b, loc, i64, 0));
  ranks = linalg::GenericOp::create(
              b, loc, ranks.getType(), ValueRange{x, x}, ranks,
              SmallVector<AffineMap>{
                  AffineMap::get(rank + 1, 0, selfExprs, b.getContext()),
                  AffineMap::get(rank + 1, 0, otherExprs, b.getContext()),
                  AffineMap::get(rank + 1, 0, selfExprs, b.getContext())},
              it,
              [&](OpBuilder &nb, Location l, ValueRange a) {
                Value i = linalg::IndexOp::create(nb, l, *axis);
                Value m = linalg::IndexOp::create(nb, l, rank);
                Value p = before(nb, l, a[1], m, a[0], i);
                Value inc = arith::AddIOp::create(
                    nb, l, a[2], scalarConstant(nb, l, i64, 1));
                linalg::YieldOp::create(
                    nb, l,
                    arith::SelectOp::create(nb, l, p, inc, a[2]).getResult());
              })
              .getResult(0);
  // out[..., j] = x[..., i] with rank[..., i] == j; loops (dims with the axis
  // as j..., i).
  Sizes outDims = dims;
  outDims[*axis] = k;
  Value vals = filledTensor(b, loc, outDims, scalarConstant(b, loc, t, 0));
  Value idxs = filledTensor(b, loc, outDims, scalarConstant(b, loc, i64, 0));
  auto pick = linalg::GenericOp::create(
      b, loc, TypeRange{vals.getType(), idxs.getType()}, ValueRange{x, ranks},
      ValueRange{vals, idxs},
      SmallVector<AffineMap>{
          AffineMap::get(rank + 1, 0, otherExprs, b.getContext()),
          AffineMap::get(rank + 1, 0, otherExprs, b.getContext()),
          AffineMap::get(rank + 1, 0, selfExprs, b.getContext()),
          AffineMap::get(rank + 1, 0, selfExprs, b.getContext())},
      it, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value j = convertScalar(nb, l, linalg::IndexOp::create(nb, l, *axis),
                                i64, false, false);
        Value i = convertScalar(nb, l, linalg::IndexOp::create(nb, l, rank),
                                i64, false, false);
        Value match =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a[1], j);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, match, a[0], a[2]),
                       arith::SelectOp::create(nb, l, match, i, a[3])});
      });
  n.setResult(0, pick.getResult(0), u);
  n.setResult(1, pick.getResult(1));
  return success();
}

/// Softmax-family ops before opset 13 work on the input flattened to 2-D at
/// `axis`; from 13 on, along `axis` alone. Returns the axis to work on and
/// the (possibly flattened) input.
FailureOr<std::pair<Value, int64_t>> softmaxInput(NodeImporter &n) {
  int64_t rank = n.rank(0);
  int64_t dflt = n.opset < 13 ? 1 : -1;
  int64_t axis = n.attrInt("axis", dflt);
  if (rank == 0)
    return n.fail("input must have rank >= 1");
  if (n.opset >= 13) {
    auto a = normalizeAxis(axis, rank);
    if (failed(a))
      return n.fail("axis is out of range");
    return std::make_pair(n.operand(0), *a);
  }
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.fail("axis is out of range");
  Sizes dims = dimsOf(n.b, n.loc, n.operand(0));
  Sizes flat = {productOf(n.b, n.loc, ArrayRef(dims).take_front(axis)),
                productOf(n.b, n.loc, ArrayRef(dims).drop_front(axis))};
  return std::make_pair(buildReshape(n.b, n.loc, n.operand(0), flat),
                        int64_t(1));
}

void setSoftmaxResult(NodeImporter &n, Value r) {
  if (n.opset < 13)
    r = buildReshape(n.b, n.loc, r, dimsOf(n.b, n.loc, n.operand(0)));
  n.setResult(0, r);
}

/// x - max(x) - log(sum(exp(x - max(x)))) along `axis`.
Value buildLogSoftmax(OpBuilder &b, Location loc, Value x, int64_t axis) {
  Type t = cast<RankedTensorType>(x.getType()).getElementType();
  Value m = buildReduction(
      b, loc, x, {axis}, true, scalarConstant(b, loc, t, -INFINITY),
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MaximumFOp::create(nb, l, a[0], a[1]);
      });
  // m and s are reductions of x with kept dimensions: they broadcast onto x.
  Sizes dims = dimsOf(b, loc, x);
  Value shifted =
      buildElementwiseTo(b, loc, {x, m}, dims, t,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::SubFOp::create(nb, l, a[0], a[1]);
                         });
  Value s = buildReduction(
      b, loc, shifted, {axis}, true, scalarConstant(b, loc, t, 0),
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(nb, l, a[1],
                                     math::ExpOp::create(nb, l, a[0]));
      });
  return buildElementwiseTo(
      b, loc, {shifted, s}, dims, t,
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::SubFOp::create(nb, l, a[0],
                                     math::LogOp::create(nb, l, a[1]));
      });
}

LogicalResult importSoftmax(NodeImporter &n) {
  if (failed(n.require(0, "input")) || !isF(n.elementType(0)))
    return n.fail("Softmax needs a float input");
  auto in = softmaxInput(n);
  if (failed(in))
    return failure();
  auto [x, axis] = *in;
  Value init = emptyTensor(n.b, n.loc, dimsOf(n.b, n.loc, x), n.elementType(0));
  Value r = linalg::SoftmaxOp::create(n.b, n.loc, init.getType(), x, init, axis)
                .getResult()[0];
  setSoftmaxResult(n, r);
  return success();
}

LogicalResult importLogSoftmax(NodeImporter &n) {
  if (failed(n.require(0, "input")) || !isF(n.elementType(0)))
    return n.fail("LogSoftmax needs a float input");
  auto in = softmaxInput(n);
  if (failed(in))
    return failure();
  setSoftmaxResult(n, buildLogSoftmax(n.b, n.loc, in->first, in->second));
  return success();
}

LogicalResult importHardmax(NodeImporter &n) {
  if (failed(n.require(0, "input")) || !isF(n.elementType(0)))
    return n.fail("Hardmax needs a float input");
  auto in = softmaxInput(n);
  if (failed(in))
    return failure();
  Value x = in->first;
  int64_t axis = in->second;
  Type t = n.elementType(0);
  Value idx = buildArgReduce(n.b, n.loc, x, axis, true, false, false);
  SmallVector<AffineExpr> exprs;
  auto xt = cast<RankedTensorType>(x.getType());
  for (int64_t d = 0; d < xt.getRank(); ++d)
    exprs.push_back(d == axis ? n.b.getAffineConstantExpr(0)
                              : n.b.getAffineDimExpr(d));
  Value init = emptyTensor(n.b, n.loc, dimsOf(n.b, n.loc, x), t);
  SmallVector<AffineMap> maps = {
      AffineMap::get(xt.getRank(), 0, exprs, n.b.getContext()),
      n.b.getMultiDimIdentityMap(xt.getRank())};
  SmallVector<utils::IteratorType> iterators(xt.getRank(),
                                             utils::IteratorType::parallel);
  Value r =
      linalg::GenericOp::create(
          n.b, n.loc, init.getType(), idx, init, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value i = convertScalar(nb, l, linalg::IndexOp::create(nb, l, axis),
                                    nb.getI64Type(), false, false);
            Value hot =
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, a[0]);
            linalg::YieldOp::create(
                nb, l,
                arith::SelectOp::create(nb, l, hot, scalarConstant(nb, l, t, 1),
                                        scalarConstant(nb, l, t, 0))
                    .getResult());
          })
          .getResult(0);
  setSoftmaxResult(n, r);
  return success();
}

/// Negative log-likelihood of `logProb` ([N, C, d...]) at `target` ([N,
/// d...]) with optional class weights, `ignore_index` and a reduction.
FailureOr<Value> buildNll(NodeImporter &n, Value logProb, Value target,
                          Value weight) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  auto lt = cast<RankedTensorType>(logProb.getType());
  Type t = lt.getElementType();
  std::string reduction = n.attrString("reduction", "mean");
  bool hasIgnore = n.hasAttr("ignore_index");
  int64_t ignore = n.attrInt("ignore_index", 0);
  Sizes tdims = dimsOf(b, loc, target);
  OpFoldResult classes = dimOf(b, loc, logProb, 1);
  // Per-element loss and weight.
  auto perElement = [&](bool wantWeight) {
    return buildElementwiseTo(
        b, loc, target, tdims, t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value cls = a[0];
          Value c = convertScalar(nb, l, cls, nb.getIndexType(), false, false);
          Value ignored = scalarConstant(nb, l, nb.getI1Type(), 0);
          if (hasIgnore)
            ignored = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::eq, cls,
                scalarConstant(nb, l, cls.getType(), ignore));
          // Keep reads in bounds for ignored entries.
          Value hi =
              arith::SubIOp::create(nb, l, indexValue(nb, l, classes),
                                    arith::ConstantIndexOp::create(nb, l, 1));
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          c = arith::MinSIOp::create(
              nb, l, arith::MaxSIOp::create(nb, l, c, zero), hi);
          Value w = scalarConstant(nb, l, t, 1);
          if (weight)
            w = tensor::ExtractOp::create(nb, l, weight, ValueRange{c});
          w = arith::SelectOp::create(nb, l, ignored,
                                      scalarConstant(nb, l, t, 0), w);
          if (wantWeight)
            return w;
          SmallVector<Value> idx;
          int64_t r = tdims.size();
          idx.push_back(linalg::IndexOp::create(nb, l, 0));
          idx.push_back(c);
          for (int64_t d = 1; d < r; ++d)
            idx.push_back(linalg::IndexOp::create(nb, l, d));
          Value lp = tensor::ExtractOp::create(nb, l, logProb, idx);
          return arith::MulFOp::create(nb, l, arith::NegFOp::create(nb, l, lp),
                                       w);
        });
  };
  Value loss = perElement(false);
  if (reduction == "none")
    return loss;
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < static_cast<int64_t>(tdims.size()); ++d)
    all.push_back(d);
  auto sum = [&](Value v) {
    return buildReduction(b, loc, v, all, false, scalarConstant(b, loc, t, 0),
                          [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            return arith::AddFOp::create(nb, l, a[1], a[0]);
                          });
  };
  Value total = sum(loss);
  if (reduction == "sum")
    return total;
  if (reduction != "mean")
    return n.fail("unknown reduction '" + reduction + "'");
  Value wsum = sum(perElement(true));
  std::string error;
  return buildElementwise(
      b, loc, {total, wsum}, t,
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::DivFOp::create(nb, l, a[0], a[1]);
      },
      error);
}

LogicalResult importNll(NodeImporter &n) {
  if (failed(n.require(0, "input")) || failed(n.require(1, "target")))
    return failure();
  if (!isF(n.elementType(0)) || n.rank(0) < 2)
    return n.fail("input must be a float tensor [N, C, ...]");
  auto r = buildNll(n, n.operand(0), n.operand(1),
                    n.hasInput(2) ? n.operand(2) : Value());
  if (failed(r))
    return failure();
  n.setResult(0, *r);
  return success();
}

LogicalResult importSoftmaxCrossEntropy(NodeImporter &n) {
  if (failed(n.require(0, "scores")) || failed(n.require(1, "labels")))
    return failure();
  if (!isF(n.elementType(0)) || n.rank(0) < 2)
    return n.fail("scores must be a float tensor [N, C, ...]");
  Value logProb = buildLogSoftmax(n.b, n.loc, n.operand(0), 1);
  auto r = buildNll(n, logProb, n.operand(1),
                    n.hasInput(2) ? n.operand(2) : Value());
  if (failed(r))
    return failure();
  n.setResult(0, *r);
  n.setResult(1, logProb);
  return success();
}

} // namespace

void mlir::qc::onnx::registerReductionOps(OpTable &t) {
  t["ReduceSum"] = [](NodeImporter &n) { return importReduce(n, Reduce::Sum); };
  t["ReduceMean"] = [](NodeImporter &n) {
    return importReduce(n, Reduce::Mean);
  };
  t["ReduceMax"] = [](NodeImporter &n) { return importReduce(n, Reduce::Max); };
  t["ReduceMin"] = [](NodeImporter &n) { return importReduce(n, Reduce::Min); };
  t["ReduceProd"] = [](NodeImporter &n) {
    return importReduce(n, Reduce::Prod);
  };
  t["ReduceL1"] = [](NodeImporter &n) { return importReduce(n, Reduce::L1); };
  t["ReduceL2"] = [](NodeImporter &n) { return importReduce(n, Reduce::L2); };
  t["ReduceLogSum"] = [](NodeImporter &n) {
    return importReduce(n, Reduce::LogSum);
  };
  t["ReduceLogSumExp"] = [](NodeImporter &n) {
    return importReduce(n, Reduce::LogSumExp);
  };
  t["ReduceSumSquare"] = [](NodeImporter &n) {
    return importReduce(n, Reduce::SumSquare);
  };
  t["ArgMax"] = [](NodeImporter &n) { return importArg(n, true); };
  t["ArgMin"] = [](NodeImporter &n) { return importArg(n, false); };
  t["CumSum"] = importCumSum;
  t["TopK"] = importTopK;
  t["Softmax"] = importSoftmax;
  t["LogSoftmax"] = importLogSoftmax;
  t["Hardmax"] = importHardmax;
  t["NegativeLogLikelihoodLoss"] = importNll;
  t["SoftmaxCrossEntropyLoss"] = importSoftmaxCrossEntropy;
}
