//===- ImportResize.cpp - Resize ------------------------------------------===//
//
// Resize is one linalg.generic over the output whose body maps each output
// coordinate back to the input (the coordinate transformation modes), picks
// the taps of the interpolation (nearest: 1, linear: 2, cubic: 4 per resized
// dimension; edge-clamped, as ONNX's reference pads with edge values) and
// sums them. Scales and sizes may be run-time values.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

struct Tap {
  Value index;  // index into the input, clamped
  Value weight; // f32
};

/// The attributes of a Resize node.
struct ResizeAttrs {
  std::string mode, ctm, nearestMode;
  float cubicA, extrapolation;
  bool excludeOutside;
};

FailureOr<ResizeAttrs> parseResizeAttrs(NodeImporter &n) {
  ResizeAttrs r;
  r.mode = n.attrString("mode", "nearest");
  r.ctm = n.attrString("coordinate_transformation_mode",
                       n.opset < 11 ? "asymmetric" : "half_pixel");
  r.nearestMode = n.attrString("nearest_mode", "round_prefer_floor");
  r.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
  r.excludeOutside = n.attrInt("exclude_outside", 0);
  r.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
  if (n.attrInt("antialias", 0) || n.hasAttr("axes") ||
      n.hasAttr("keep_aspect_ratio_policy"))
    return n.fail(
        "antialias, axes and keep_aspect_ratio_policy are not supported");
  if (r.mode != "nearest" && r.mode != "linear" && r.mode != "cubic")
    return n.fail("unknown mode '" + r.mode + "'");
  const std::string &ctm = r.ctm;
  if (ctm != "half_pixel" && ctm != "asymmetric" && ctm != "align_corners" &&
      ctm != "pytorch_half_pixel" && ctm != "tf_crop_and_resize" &&
      ctm != "tf_half_pixel_for_nn")
    return n.fail("coordinate_transformation_mode '" + ctm +
                  "' is not supported");
  return r;
}

/// Where output coordinate `x` of one dimension reads the input, as
/// coordinate_transformation_mode says; tf_crop_and_resize also ORs into
/// `outside` whether it falls outside the input.
Value sourceCoordinate(OpBuilder &nb, Location l, const ResizeAttrs &r, Value x,
                       Value scale, Value inLen, Value outLen, Value roiStart,
                       Value roiEnd, Value &outside) {
  Type f32 = nb.getF32Type();
  auto c = [&](double v) { return scalarConstant(nb, l, f32, v); };
  const std::string &ctm = r.ctm;
  // ONNX's reference uses scale * in_len (not the floored size) as
  // the output length in the transformations.
  Value outWidth = arith::MulFOp::create(nb, l, scale, inLen);
  Value xo;
  Value one = c(1), half = c(0.5);
  if (ctm == "asymmetric") {
    xo = arith::DivFOp::create(nb, l, x, scale);
  } else if (ctm == "align_corners") {
    Value num = arith::MulFOp::create(nb, l, x,
                                      arith::SubFOp::create(nb, l, inLen, one));
    Value den = arith::SubFOp::create(nb, l, outWidth, one);
    Value single =
        arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, outWidth, one);
    xo = arith::SelectOp::create(nb, l, single, c(0),
                                 arith::DivFOp::create(nb, l, num, den));
  } else if (ctm == "tf_half_pixel_for_nn") {
    xo = arith::DivFOp::create(nb, l, arith::AddFOp::create(nb, l, x, half),
                               scale);
  } else if (ctm == "tf_crop_and_resize") {
    Value span = arith::MulFOp::create(
        nb, l, arith::SubFOp::create(nb, l, roiEnd, roiStart),
        arith::SubFOp::create(nb, l, inLen, one));
    Value multi =
        arith::DivFOp::create(nb, l, arith::MulFOp::create(nb, l, x, span),
                              arith::SubFOp::create(nb, l, outWidth, one));
    Value single =
        arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, outWidth, one);
    xo = arith::SelectOp::create(
        nb, l, single, arith::MulFOp::create(nb, l, span, half), multi);
    xo = arith::AddFOp::create(
        nb, l, xo,
        arith::MulFOp::create(nb, l, roiStart,
                              arith::SubFOp::create(nb, l, inLen, one)));
    Value lo =
        arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, xo, c(0));
    Value hi = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, xo,
                                     arith::SubFOp::create(nb, l, inLen, one));
    outside = arith::OrIOp::create(nb, l, outside,
                                   arith::OrIOp::create(nb, l, lo, hi));
  } else {
    Value hp = arith::SubFOp::create(
        nb, l,
        arith::DivFOp::create(nb, l, arith::AddFOp::create(nb, l, x, half),
                              scale),
        half);
    if (ctm == "pytorch_half_pixel") {
      Value single =
          arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLE, outLen, one);
      hp = arith::SelectOp::create(nb, l, single, c(-0.5), hp);
    }
    xo = hp;
  }
  return xo;
}

/// The input indices (clamped) and weights one output coordinate reads along
/// a dimension of `inLen` (an index value) elements, from its source
/// coordinate `xo`.
SmallVector<Tap> tapsAt(OpBuilder &nb, Location l, const ResizeAttrs &r,
                        Value xo, Value inLen) {
  Type f32 = nb.getF32Type();
  auto c = [&](double v) { return scalarConstant(nb, l, f32, v); };
  Value one = c(1), half = c(0.5);
  const std::string &mode = r.mode, &nearestMode = r.nearestMode;
  float cubicA = r.cubicA;
  SmallVector<Tap> taps;
  Value fl = math::FloorOp::create(nb, l, xo);
  Value ratio = arith::SubFOp::create(nb, l, xo, fl);
  Value base = arith::FPToSIOp::create(nb, l, nb.getI64Type(), fl);
  Value last = arith::SubIOp::create(nb, l, inLen,
                                     arith::ConstantIndexOp::create(nb, l, 1));
  auto at = [&](int64_t off) {
    Value i = arith::AddIOp::create(
        nb, l, base, scalarConstant(nb, l, nb.getI64Type(), off));
    return convertScalar(nb, l, i, nb.getIndexType(), false, false);
  };
  auto clamp = [&](Value i) {
    Value zero = arith::ConstantIndexOp::create(nb, l, 0);
    return arith::MinSIOp::create(nb, l, arith::MaxSIOp::create(nb, l, i, zero),
                                  last)
        .getResult();
  };
  if (mode == "nearest") {
    Value isInt =
        arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, ratio, c(0));
    Value up;
    if (nearestMode == "round_prefer_ceil")
      up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE, ratio, half);
    else if (nearestMode == "floor")
      up = scalarConstant(nb, l, nb.getI1Type(), 0);
    else if (nearestMode == "ceil")
      up = scalarConstant(nb, l, nb.getI1Type(), 1);
    else
      up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, ratio, half);
    up = arith::AndIOp::create(
        nb, l, up,
        arith::XOrIOp::create(nb, l, isInt,
                              scalarConstant(nb, l, nb.getI1Type(), 1)));
    Value i = arith::SelectOp::create(nb, l, up, at(1), at(0));
    taps.push_back({clamp(i), c(1)});
  } else if (mode == "linear") {
    taps.push_back({clamp(at(0)), arith::SubFOp::create(nb, l, one, ratio)});
    taps.push_back({clamp(at(1)), ratio});
  } else {
    Value A = c(cubicA);
    auto poly = [&](Value s, bool outer) -> Value {
      // outer: ((A*s - 5A)*s + 8A)*s - 4A ; inner: ((A+2)*s - (A+3))*s*s + 1
      if (outer) {
        Value p = arith::SubFOp::create(
            nb, l, arith::MulFOp::create(nb, l, A, s), c(5 * cubicA));
        p = arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, p, s),
                                  c(8 * cubicA));
        return arith::SubFOp::create(nb, l, arith::MulFOp::create(nb, l, p, s),
                                     c(4 * cubicA));
      }
      Value p = arith::SubFOp::create(
          nb, l, arith::MulFOp::create(nb, l, c(cubicA + 2), s), c(cubicA + 3));
      p = arith::MulFOp::create(nb, l, arith::MulFOp::create(nb, l, p, s), s);
      return arith::AddFOp::create(nb, l, p, one);
    };
    Value inv = arith::SubFOp::create(nb, l, one, ratio);
    SmallVector<Value> w = {
        poly(arith::AddFOp::create(nb, l, ratio, one), true),
        poly(ratio, false), poly(inv, false),
        poly(arith::AddFOp::create(nb, l, inv, one), true)};
    SmallVector<Value> raw = {at(-1), at(0), at(1), at(2)};
    if (r.excludeOutside) {
      Value zero = arith::ConstantIndexOp::create(nb, l, 0);
      Value sum = c(0);
      for (int j = 0; j < 4; ++j) {
        Value in0 = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                          raw[j], zero);
        Value in1 = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle,
                                          raw[j], last);
        w[j] = arith::SelectOp::create(
            nb, l, arith::AndIOp::create(nb, l, in0, in1), w[j], c(0));
        sum = arith::AddFOp::create(nb, l, sum, w[j]);
      }
      for (int j = 0; j < 4; ++j)
        w[j] = arith::DivFOp::create(nb, l, w[j], sum);
    }
    for (int j = 0; j < 4; ++j)
      taps.push_back({clamp(raw[j]), w[j]});
  }
  return taps;
}

LogicalResult importResize(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t))
    return n.fail("X must be a float tensor");
  int64_t rank = n.rank(0);
  FailureOr<ResizeAttrs> attrs = parseResizeAttrs(n);
  if (failed(attrs))
    return failure();
  const ResizeAttrs &r = *attrs;
  const std::string &ctm = r.ctm;
  int roiIdx = n.opset < 11 ? -1 : 1;
  int scalesIdx = n.opset < 11 ? 1 : 2;
  int sizesIdx = n.opset < 11 ? -1 : 3;

  OpBuilder &b = n.b;
  Location loc = n.loc;
  Type f32 = b.getF32Type();
  Sizes in = dimsOf(b, loc, n.operand(0)), out;
  SmallVector<Value> scales; // f32 per dim
  bool useSizes = sizesIdx >= 0 && n.hasInput(sizesIdx) &&
                  n.type(sizesIdx).getNumElements() != 0;
  auto extractF = [&](int input, int64_t i) -> Value {
    Value v = tensor::ExtractOp::create(
        b, loc, n.operand(input),
        ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
    return convertScalar(b, loc, v, f32, false, false);
  };
  if (useSizes) {
    auto sizes = n.knownInts(sizesIdx);
    if (!sizes || static_cast<int64_t>(sizes->size()) != rank)
      return n.fail("sizes must have one entry per dimension");
    out = *sizes;
    for (int64_t d = 0; d < rank; ++d)
      scales.push_back(arith::DivFOp::create(b, loc,
                                             sizeScalar(b, loc, out[d], f32),
                                             sizeScalar(b, loc, in[d], f32)));
  } else {
    if (!n.hasInput(scalesIdx) || n.rank(scalesIdx) != 1 ||
        n.type(scalesIdx).getDimSize(0) != rank)
      return n.fail("scales must have one entry per dimension");
    auto constant = n.constFloats(scalesIdx);
    for (int64_t d = 0; d < rank; ++d) {
      if (constant) {
        double s = (*constant)[d];
        scales.push_back(scalarConstant(b, loc, f32, s));
        if (auto c = constantOf(in[d])) {
          out.push_back(b.getIndexAttr(saturatingInt64(std::floor(*c * s))));
          continue;
        }
      } else {
        scales.push_back(extractF(scalesIdx, d));
      }
      Value prod = arith::MulFOp::create(b, loc, sizeScalar(b, loc, in[d], f32),
                                         scales[d]);
      out.push_back(convertScalar(b, loc, math::FloorOp::create(b, loc, prod),
                                  b.getIndexType(), false, false));
    }
  }
  SmallVector<Value> roiStart(rank), roiEnd(rank);
  if (ctm == "tf_crop_and_resize") {
    if (roiIdx < 0 || !n.hasInput(roiIdx) ||
        n.type(roiIdx).getNumElements() != 2 * rank)
      return n.fail(
          "tf_crop_and_resize needs a roi with 2 entries per dimension");
    for (int64_t d = 0; d < rank; ++d) {
      roiStart[d] = extractF(roiIdx, d);
      roiEnd[d] = extractF(roiIdx, rank + d);
    }
  }
  // A dimension of static input size 1, or with a constant scale of 1 and no
  // crop, is not resized: its output index is its input index.
  SmallVector<bool> resized(rank, true);
  for (int64_t d = 0; d < rank; ++d) {
    auto s = n.hasInput(scalesIdx) && !useSizes ? n.constFloats(scalesIdx)
                                                : std::nullopt;
    bool unitScale = s && (*s)[d] == 1.0 && ctm != "tf_crop_and_resize";
    bool sameSize = useSizes && constantOf(out[d]) && constantOf(in[d]) &&
                    *constantOf(out[d]) == *constantOf(in[d]) &&
                    ctm != "tf_crop_and_resize";
    if (unitScale || sameSize || constantOf(in[d]) == 1)
      resized[d] = false;
  }

  Value input = n.operand(0);
  Value init = emptyTensor(b, loc, out, t);
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{}, init,
          SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)}, it,
          [&](OpBuilder &nb, Location l, ValueRange) {
            auto c = [&](double v) { return scalarConstant(nb, l, f32, v); };
            Value outside = scalarConstant(nb, l, nb.getI1Type(), 0);
            SmallVector<SmallVector<Tap>> taps(rank);
            for (int64_t d = 0; d < rank; ++d) {
              Value oi = linalg::IndexOp::create(nb, l, d);
              if (!resized[d]) {
                // A size-1 input dimension always reads index 0, whatever the
                // output size.
                Value index =
                    constantOf(in[d]) == 1
                        ? arith::ConstantIndexOp::create(nb, l, 0).getResult()
                        : oi;
                taps[d].push_back({index, c(1)});
                continue;
              }
              Value x = convertScalar(nb, l, oi, f32, false, false);
              Value xo = sourceCoordinate(nb, l, r, x, scales[d],
                                          sizeScalar(nb, l, in[d], f32),
                                          sizeScalar(nb, l, out[d], f32),
                                          roiStart[d], roiEnd[d], outside);
              taps[d] = tapsAt(nb, l, r, xo, indexValue(nb, l, in[d]));
            }
            // Sum over every combination of taps.
            Value acc = c(0);
            SmallVector<size_t> pick(rank, 0);
            while (true) {
              SmallVector<Value> idx;
              Value w = c(1);
              for (int64_t d = 0; d < rank; ++d) {
                idx.push_back(taps[d][pick[d]].index);
                if (resized[d])
                  w = arith::MulFOp::create(nb, l, w, taps[d][pick[d]].weight);
              }
              Value v = convertScalar(
                  nb, l, tensor::ExtractOp::create(nb, l, input, idx), f32,
                  false, false);
              acc = arith::AddFOp::create(nb, l, acc,
                                          arith::MulFOp::create(nb, l, w, v));
              int64_t d = rank - 1;
              while (d >= 0 && ++pick[d] == taps[d].size())
                pick[d--] = 0;
              if (d < 0)
                break;
            }
            acc = arith::SelectOp::create(nb, l, outside, c(r.extrapolation),
                                          acc);
            linalg::YieldOp::create(nb, l,
                                    convertScalar(nb, l, acc, t, false, false));
          })
          .getResult(0);
  n.setResult(0, result);
  return success();
}

} // namespace

void mlir::qc::onnx::registerResizeOps(OpTable &t) {
  t["Resize"] = importResize;
}
