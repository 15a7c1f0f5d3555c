//===- ImportQuantized.cpp - ONNX QDQ and QOperator ops -------------------===//
//
// Already-quantized graphs. Scales and zero points may be run-time tensors
// (the conformance suite feeds them as graph inputs), so these ops import as
// integer/float arithmetic in linalg with ONNX's rounding (half to even) and
// saturation. QLinearMatMul/QLinearConv dequantize, compute in float through
// qc.matmul/qc.conv and quantize the result.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

/// A scale or zero point broadcast against a tensor of rank `rank`: scalars
/// as they are, 1-D vectors along `axis` (which may be negative).
FailureOr<Value> alongAxis(NodeImporter &n, int i, int64_t rank,
                           int64_t rawAxis) {
  Value v = n.operand(i);
  int64_t r = n.rank(i);
  if (r == 0)
    return v;
  if (r != 1)
    return n.fail("scales and zero points must be scalars or 1-D");
  if (n.type(i).getDimSize(0) == 1)
    return buildSqueeze(n.b, n.loc, v, {0});
  auto normalized = normalizeAxis(rawAxis, rank);
  if (failed(normalized))
    return n.fail("axis " + Twine(rawAxis) + " is out of range for rank " +
                  Twine(rank));
  int64_t axis = *normalized;
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      axes.push_back(d);
  return buildUnsqueeze(n.b, n.loc, v, axes);
}

/// round-half-even(x / scale) + zp, saturated to the storage type's range.
Value quantizeScalar(OpBuilder &b, Location l, Value x, Value scale, Value zp,
                     Type storage, bool isUnsigned) {
  Type f = x.getType();
  Value q =
      math::RoundEvenOp::create(b, l, arith::DivFOp::create(b, l, x, scale));
  if (zp)
    q = arith::AddFOp::create(b, l, q,
                              convertScalar(b, l, zp, f, isUnsigned, false));
  unsigned w = storage.getIntOrFloatBitWidth();
  double lo = isUnsigned ? 0 : -std::ldexp(1.0, w - 1);
  double hi = isUnsigned ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  q = arith::MaximumFOp::create(b, l, q, scalarConstant(b, l, f, lo));
  q = arith::MinimumFOp::create(b, l, q, scalarConstant(b, l, f, hi));
  return convertScalar(b, l, q, storage, false, isUnsigned);
}

/// `x`, its scale and (when given) zero point, broadcast for an elementwise
/// (de)quantization along the node's `axis`.
FailureOr<SmallVector<Value>> withScaleAndZeroPoint(NodeImporter &n) {
  int64_t rank = n.rank(0), axis = n.attrInt("axis", 1);
  SmallVector<Value> inputs = {n.operand(0)};
  for (int i = 1; i <= 2; ++i) {
    if (!n.hasInput(i))
      continue;
    auto v = alongAxis(n, i, rank, axis);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  return inputs;
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  if (failed(n.require(0, "x")) || failed(n.require(1, "y_scale")))
    return failure();
  Type f = n.elementType(0);
  if (!isa<FloatType>(f) && !isa<IntegerType>(f))
    return n.fail("x must be float or int32");
  Type storage = n.hasInput(2) ? n.elementType(2) : n.b.getIntegerType(8);
  bool isUnsigned = n.hasInput(2) ? n.isUnsigned(2) : true;
  auto inputs = withScaleAndZeroPoint(n);
  if (failed(inputs))
    return failure();
  Type sf = n.elementType(1);
  std::string error;
  auto r = buildElementwise(
      n.b, n.loc, *inputs, storage,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value x = convertScalar(b, l, a[0], sf, false, false);
        return quantizeScalar(b, l, x, a[1], a.size() > 2 ? a[2] : Value(),
                              storage, isUnsigned);
      },
      error);
  if (failed(r))
    return n.fail(error);
  n.setResult(0, *r, isUnsigned);
  return success();
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  if (failed(n.require(0, "x")) || failed(n.require(1, "x_scale")))
    return failure();
  Type f = n.elementType(1);
  bool u = n.isUnsigned(0);
  auto inputs = withScaleAndZeroPoint(n);
  if (failed(inputs))
    return failure();
  std::string error;
  auto r = buildElementwise(
      n.b, n.loc, *inputs, f,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value x = convertScalar(b, l, a[0], f, u, false);
        if (a.size() > 2)
          x = arith::SubFOp::create(b, l, x,
                                    convertScalar(b, l, a[2], f, u, false));
        return arith::MulFOp::create(b, l, x, a[1]);
      },
      error);
  if (failed(r))
    return n.fail(error);
  n.setResult(0, *r);
  return success();
}

LogicalResult importDynamicQuantizeLinear(NodeImporter &n) {
  if (failed(n.require(0, "x")))
    return failure();
  Type f = n.elementType(0);
  if (!f.isF32())
    return n.fail("x must be float32");
  OpBuilder &b = n.b;
  Location loc = n.loc;
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < n.rank(0); ++d)
    all.push_back(d);
  auto reduce = [&](bool isMax) {
    return buildReduction(
        b, loc, n.operand(0), all, false,
        scalarConstant(b, loc, f, isMax ? -INFINITY : INFINITY),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          if (isMax)
            return arith::MaximumFOp::create(nb, l, a[1], a[0]);
          return arith::MinimumFOp::create(nb, l, a[1], a[0]);
        });
  };
  Value mx = reduce(true), mn = reduce(false);
  Type u8 = b.getIntegerType(8);
  // The range always includes 0; scale = range / 255, zp = round(-min/scale).
  // mx and mn are scalars (rank 0), broadcast onto x for y.
  Value scale = buildElementwiseTo(
      b, loc, {mx, mn}, {}, f,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value hi =
            arith::MaximumFOp::create(nb, l, a[0], scalarConstant(nb, l, f, 0));
        Value lo =
            arith::MinimumFOp::create(nb, l, a[1], scalarConstant(nb, l, f, 0));
        return arith::DivFOp::create(nb, l,
                                     arith::SubFOp::create(nb, l, hi, lo),
                                     scalarConstant(nb, l, f, 255));
      });
  Value zp = buildElementwiseTo(
      b, loc, {mn, scale}, {}, u8,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value lo =
            arith::MinimumFOp::create(nb, l, a[0], scalarConstant(nb, l, f, 0));
        Value z = arith::SubFOp::create(nb, l, scalarConstant(nb, l, f, 0),
                                        arith::DivFOp::create(nb, l, lo, a[1]));
        z = math::RoundEvenOp::create(nb, l, z);
        z = arith::MinimumFOp::create(
            nb, l,
            arith::MaximumFOp::create(nb, l, z, scalarConstant(nb, l, f, 0)),
            scalarConstant(nb, l, f, 255));
        return convertScalar(nb, l, z, u8, false, true);
      });
  Value y = buildElementwiseTo(
      b, loc, {n.operand(0), scale, zp}, dimsOf(b, loc, n.operand(0)), u8,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return quantizeScalar(nb, l, a[0], a[1], a[2], u8, true);
      });
  n.setResult(0, y, true);
  n.setResult(1, scale);
  n.setResult(2, zp, true);
  return success();
}

/// x - zp in i32, with zp a scalar or (for B) per output column; null (with
/// the node failed) when zp does not fit x.
Value widenMinusZeroPoint(NodeImporter &n, int xi, int zpi, int64_t zpAxis) {
  Type i32 = n.b.getI32Type();
  bool u = n.isUnsigned(xi);
  SmallVector<Value> inputs = {n.operand(xi)};
  if (n.hasInput(zpi)) {
    Value zp = n.operand(zpi);
    if (n.rank(zpi) == 1 && n.type(zpi).getDimSize(0) != 1) {
      SmallVector<int64_t> axes;
      for (int64_t d = 0; d < n.rank(xi); ++d)
        if (d != zpAxis)
          axes.push_back(d);
      zp = buildUnsqueeze(n.b, n.loc, zp, axes);
    } else if (n.rank(zpi) == 1) {
      zp = buildSqueeze(n.b, n.loc, zp, {0});
    }
    inputs.push_back(zp);
  }
  std::string error;
  FailureOr<Value> r = buildElementwise(
      n.b, n.loc, inputs, i32,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value x = convertScalar(b, l, a[0], i32, u, false);
        if (a.size() == 1)
          return x;
        Value z = convertScalar(b, l, a[1], i32, u, false);
        return arith::SubIOp::create(b, l, x, z);
      },
      error);
  if (failed(r)) {
    (void)n.fail("zero point: " + error);
    return Value();
  }
  return *r;
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  if (failed(n.require(0, "A")) || failed(n.require(1, "B")))
    return failure();
  if (n.rank(0) != 2 || n.rank(1) != 2)
    return n.fail("only 2-D MatMulInteger is supported");
  Value a = widenMinusZeroPoint(n, 0, 2, 0);
  Value bm = a ? widenMinusZeroPoint(n, 1, 3, 1) : Value();
  if (!a || !bm)
    return failure();
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Type i32 = b.getI32Type();
  Sizes out = {dimOf(b, loc, a, 0), dimOf(b, loc, bm, 1)};
  Value acc = filledTensor(b, loc, out, scalarConstant(b, loc, i32, 0));
  Value r =
      linalg::MatmulOp::create(b, loc, acc.getType(), ValueRange{a, bm}, acc)
          .getResult(0);
  n.setResult(0, r);
  return success();
}

LogicalResult importConvInteger(NodeImporter &n) {
  if (failed(n.require(0, "x")) || failed(n.require(1, "w")))
    return failure();
  if (n.rank(0) != 4 || n.rank(1) != 4)
    return n.fail("only 2-D ConvInteger (NCHW) is supported");
  if (n.attrInt("group", 1) != 1)
    return n.fail("grouped ConvInteger is not supported");

  OpBuilder &b = n.b;
  Location loc = n.loc;
  Type i32 = b.getI32Type();
  // Padding happens with the zero point, so subtract it after padding: pad
  // x - zp with 0.
  Value x = widenMinusZeroPoint(n, 0, 2, 1);
  Value w = x ? widenMinusZeroPoint(n, 1, 3, 0) : Value();
  if (!x || !w)
    return failure();
  auto wt = cast<RankedTensorType>(w.getType());
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  if (llvm::any_of(kernel, [](int64_t d) { return ShapedType::isDynamic(d); }))
    return n.fail("kernel sizes must be static");
  auto window = readWindow(n, kernel, n.type(0).getShape().drop_front(2));
  if (failed(window))
    return failure();
  SmallVector<int64_t> pads = window->pads, strides = window->strides,
                       dil = window->dilations;
  SmallVector<OpFoldResult> lo = {b.getIndexAttr(0), b.getIndexAttr(0),
                                  b.getIndexAttr(pads[0]),
                                  b.getIndexAttr(pads[1])};
  SmallVector<OpFoldResult> hi = {b.getIndexAttr(0), b.getIndexAttr(0),
                                  b.getIndexAttr(pads[2]),
                                  b.getIndexAttr(pads[3])};
  Sizes xd = dimsOf(b, loc, x);
  Sizes pd = {xd[0], xd[1],
              addIndex(b, loc, xd[2], b.getIndexAttr(pads[0] + pads[2])),
              addIndex(b, loc, xd[3], b.getIndexAttr(pads[1] + pads[3]))};
  x = tensor::PadOp::create(b, loc, RankedTensorType::get(staticShape(pd), i32),
                            x, lo, hi, scalarConstant(b, loc, i32, 0));
  Sizes wd = dimsOf(b, loc, w);
  Sizes out = {xd[0], wd[0]};
  for (int i = 0; i < 2; ++i) {
    auto k = constantOf(wd[2 + i]);
    if (!k)
      return n.fail("kernel sizes must be static");
    OpFoldResult span =
        subIndex(b, loc, pd[2 + i], b.getIndexAttr(dil[i] * (*k - 1) + 1));
    out.push_back(addIndex(b, loc,
                           divIndex(b, loc, span, b.getIndexAttr(strides[i])),
                           b.getIndexAttr(1)));
  }
  // Loops (n, m, oh, ow, c, kh, kw).
  auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineMap> maps = {
      AffineMap::get(7, 0,
                     {d(0), d(4), d(2) * strides[0] + d(5) * dil[0],
                      d(3) * strides[1] + d(6) * dil[1]},
                     b.getContext()),
      AffineMap::get(7, 0, {d(1), d(4), d(5), d(6)}, b.getContext()),
      AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, b.getContext())};
  SmallVector<utils::IteratorType> it(4, utils::IteratorType::parallel);
  it.append(3, utils::IteratorType::reduction);
  Value acc = filledTensor(b, loc, out, scalarConstant(b, loc, i32, 0));
  Value r = linalg::GenericOp::create(
                b, loc, acc.getType(), ValueRange{x, w}, acc, maps, it,
                [](OpBuilder &nb, Location l, ValueRange a) {
                  Value p = arith::MulIOp::create(nb, l, a[0], a[1]);
                  linalg::YieldOp::create(
                      nb, l, arith::AddIOp::create(nb, l, a[2], p).getResult());
                })
                .getResult(0);
  n.setResult(0, r);
  return success();
}

/// (x - zp) * scale for QLinear* operands; scale/zp per tensor or along axis.
FailureOr<Value> dequantize(NodeImporter &n, int xi, int si, int zi,
                            int64_t axis) {
  int64_t rank = n.rank(xi);
  auto s = alongAxis(n, si, rank, axis);
  auto z = alongAxis(n, zi, rank, axis);
  if (failed(s) || failed(z))
    return failure();
  Type f = n.elementType(si);
  bool u = n.isUnsigned(xi);
  std::string error;
  auto r = buildElementwise(
      n.b, n.loc, {n.operand(xi), *s, *z}, f,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value x = convertScalar(b, l, a[0], f, u, false);
        x = arith::SubFOp::create(b, l, x,
                                  convertScalar(b, l, a[2], f, u, false));
        return arith::MulFOp::create(b, l, x, a[1]);
      },
      error);
  if (failed(r))
    return n.fail(error);
  return *r;
}

FailureOr<Value> requantize(NodeImporter &n, Value y, int si, int zi) {
  Type storage = n.elementType(zi);
  bool u = n.isUnsigned(zi);
  Value s = n.operand(si), z = n.operand(zi);
  if (n.rank(si) == 1)
    s = buildSqueeze(n.b, n.loc, s, {0});
  if (n.rank(zi) == 1)
    z = buildSqueeze(n.b, n.loc, z, {0});
  std::string error;
  auto r = buildElementwise(
      n.b, n.loc, {y, s, z}, storage,
      [&](OpBuilder &b, Location l, ValueRange a) {
        return quantizeScalar(b, l, a[0], a[1], a[2], storage, u);
      },
      error);
  if (failed(r))
    return n.fail(error);
  n.setResult(0, *r, u);
  return *r;
}

LogicalResult importQLinearMatMul(NodeImporter &n) {
  for (int i = 0; i < 8; ++i)
    if (failed(n.require(i, "all eight QLinearMatMul inputs")))
      return failure();
  auto a = dequantize(n, 0, 1, 2, n.rank(0) - 2);
  auto bm = dequantize(n, 3, 4, 5, n.rank(3) - 1);
  if (failed(a) || failed(bm))
    return failure();
  auto at = cast<RankedTensorType>(a->getType()),
       bt = cast<RankedTensorType>(bm->getType());
  if (at.getRank() != bt.getRank() || at.getRank() < 2)
    return n.fail("operands must have the same rank >= 2");
  SmallVector<int64_t> shape(at.getShape().drop_back());
  shape.back() = at.getDimSize(at.getRank() - 2);
  shape.push_back(bt.getShape().back());
  for (int64_t d = 0; d + 2 < at.getRank(); ++d)
    if (at.getDimSize(d) == 1)
      shape[d] = bt.getDimSize(d);
  Value y = qc::MatmulOp::create(
      n.b, n.loc, RankedTensorType::get(shape, at.getElementType()), *a, *bm);
  return requantize(n, y, 6, 7);
}

LogicalResult importQLinearConv(NodeImporter &n) {
  for (int i = 0; i < 8; ++i)
    if (failed(n.require(i, "the eight quantized QLinearConv inputs")))
      return failure();
  if (n.rank(0) < 3 || n.rank(3) != n.rank(0))
    return n.fail("x and w must have the same rank >= 3");
  SmallVector<int64_t> kernel(n.type(3).getShape().drop_front(2));
  if (llvm::any_of(kernel, [](int64_t d) { return ShapedType::isDynamic(d); }))
    return n.fail("kernel sizes must be static");
  auto window = readWindow(n, kernel, n.type(0).getShape().drop_front(2));
  if (failed(window))
    return failure();
  auto x = dequantize(n, 0, 1, 2, 1);
  auto w = dequantize(n, 3, 4, 5, 0);
  if (failed(x) || failed(w))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType()),
       wt = cast<RankedTensorType>(w->getType());
  Value bias;
  if (n.hasInput(8)) {
    // int32 bias with scale x_scale * w_scale.
    std::string error;
    Type f = xt.getElementType();
    Value ws = n.operand(4);
    Value xs = n.operand(1);
    if (n.rank(1) == 1)
      xs = buildSqueeze(n.b, n.loc, xs, {0});
    if (n.rank(4) == 0)
      ws = buildUnsqueeze(n.b, n.loc, ws, {0});
    FailureOr<Value> scaled = buildElementwise(
        n.b, n.loc, {n.operand(8), xs, ws}, f,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = convertScalar(b, l, a[0], f, false, false);
          return arith::MulFOp::create(b, l, v,
                                       arith::MulFOp::create(b, l, a[1], a[2]));
        },
        error);
    if (failed(scaled))
      return n.fail("bias and scales: " + error);
    bias = *scaled;
    if (cast<RankedTensorType>(bias.getType()).getDimSize(0) !=
        wt.getDimSize(0))
      bias = buildElementwiseTo(
          n.b, n.loc, bias, {dimOf(n.b, n.loc, *w, 0)}, f,
          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  }
  auto y = buildConv(n, *x, *w, bias, *window, n.attrInt("group", 1));
  if (failed(y))
    return failure();
  return requantize(n, *y, 6, 7);
}

} // namespace

void mlir::qc::onnx::registerQuantizedOps(OpTable &t) {
  t["QuantizeLinear"] = importQuantizeLinear;
  t["DequantizeLinear"] = importDequantizeLinear;
  t["DynamicQuantizeLinear"] = importDynamicQuantizeLinear;
  t["MatMulInteger"] = importMatMulInteger;
  t["ConvInteger"] = importConvInteger;
  t["QLinearMatMul"] = importQLinearMatMul;
  t["QLinearConv"] = importQLinearConv;
}
