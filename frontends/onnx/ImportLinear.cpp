//===- ImportLinear.cpp - matmul, gemm, convolution, pooling, einsum ------===//
//
// MatMul, Gemm and Conv become qc graph ops: they are what quantization
// works on. Pooling and Einsum are linalg.generics over a window or an index
// equation.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

/// ONNX MatMul → qc.matmul; 1-D operands are promoted to matrices and the
/// promoted dimension removed again, as NumPy does.
FailureOr<Value> buildMatmul(NodeImporter &n, Value lhs, Value rhs) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  auto lt = cast<RankedTensorType>(lhs.getType());
  auto rt = cast<RankedTensorType>(rhs.getType());
  if (lt.getRank() == 0 || rt.getRank() == 0)
    return n.fail("MatMul operands must have rank >= 1");
  bool lhsVec = lt.getRank() == 1, rhsVec = rt.getRank() == 1;
  if (lhsVec)
    lhs = buildUnsqueeze(b, loc, lhs, {0});
  if (rhsVec)
    rhs = buildUnsqueeze(b, loc, rhs, {1});
  lt = cast<RankedTensorType>(lhs.getType());
  rt = cast<RankedTensorType>(rhs.getType());
  int64_t k1 = lt.getShape().back(), k2 = rt.getDimSize(rt.getRank() - 2);
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return n.fail("contraction sizes differ: " + Twine(k1) + " vs " +
                  Twine(k2));
  // Sizes known only at run time are checked there: a contraction or batch
  // size that differs would read past an operand.
  auto assumeEqual = [&](int64_t li, int64_t ri, const Twine &what) {
    qc::AssumeEqualOp::create(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, dimOf(b, loc, lhs, li)),
        getValueOrCreateConstantIndexOp(b, loc, dimOf(b, loc, rhs, ri)),
        b.getStringAttr("MatMul " + what.str()));
  };
  if (ShapedType::isDynamic(k1) || ShapedType::isDynamic(k2))
    assumeEqual(lt.getRank() - 1, rt.getRank() - 2, "contraction size");
  int64_t rank = std::max(lt.getRank(), rt.getRank());
  SmallVector<int64_t> shape;
  for (int64_t j = 0; j < rank - 2; ++j) {
    int64_t li = j - (rank - lt.getRank()), ri = j - (rank - rt.getRank());
    int64_t l = li >= 0 ? lt.getDimSize(li) : 1;
    int64_t r = ri >= 0 ? rt.getDimSize(ri) : 1;
    if (l != 1 && r != 1 && !ShapedType::isDynamic(l) &&
        !ShapedType::isDynamic(r) && l != r)
      return n.fail("batch dimensions do not broadcast");
    // A dynamic size against a non-1 one must equal it (a dynamic 1 is
    // not broadcast at run time).
    if (li >= 0 && ri >= 0 && l != 1 && r != 1 &&
        (ShapedType::isDynamic(l) || ShapedType::isDynamic(r)))
      assumeEqual(li, ri, "batch dimension " + Twine(j));
    shape.push_back(l == 1 ? r
                           : (r == 1 ? l : (ShapedType::isDynamic(l) ? r : l)));
  }
  shape.push_back(lt.getDimSize(lt.getRank() - 2));
  shape.push_back(rt.getShape().back());
  auto resultType = RankedTensorType::get(shape, lt.getElementType());
  Value result = qc::MatmulOp::create(b, loc, resultType, lhs, rhs);
  SmallVector<int64_t> drop;
  if (lhsVec)
    drop.push_back(rank - 2);
  if (rhsVec)
    drop.push_back(rank - 1);
  return buildSqueeze(b, loc, result, drop);
}

LogicalResult importMatMul(NodeImporter &n) {
  if (failed(n.require(0, "A")) || failed(n.require(1, "B")))
    return failure();
  if (!isa<FloatType>(n.elementType(0)) || n.elementType(0) != n.elementType(1))
    return n.fail("MatMul needs float inputs of one type (integer inputs: use "
                  "MatMulInteger)");
  auto r = buildMatmul(n, n.operand(0), n.operand(1));
  if (failed(r))
    return failure();
  n.setResult(0, *r);
  return success();
}

LogicalResult importGemm(NodeImporter &n) {
  if (failed(n.require(0, "A")) || failed(n.require(1, "B")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t) || n.elementType(1) != t ||
      (n.hasInput(2) && n.elementType(2) != t))
    return n.fail("Gemm needs float inputs of one type");
  if (n.rank(0) != 2 || n.rank(1) != 2)
    return n.fail("A and B must be 2-D");
  bool ta = n.attrInt("transA", 0), tb = n.attrInt("transB", 0);
  auto a = n.type(0), bt = n.type(1);
  int64_t m = a.getDimSize(ta ? 1 : 0), nn = bt.getDimSize(tb ? 0 : 1);
  int64_t ka = a.getDimSize(ta ? 0 : 1), kb = bt.getDimSize(tb ? 1 : 0);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return n.fail("contraction sizes differ: " + Twine(ka) + " vs " +
                  Twine(kb));
  Value c = n.hasInput(2) ? n.operand(2) : Value();
  if (c && n.rank(2) > 2)
    return n.fail("C must have rank <= 2");
  auto type = RankedTensorType::get({m, nn}, t);
  auto op = qc::GemmOp::create(n.b, n.loc, type, n.operand(0), n.operand(1), c,
                               n.b.getF32FloatAttr(n.attrFloat("alpha", 1.0)),
                               n.b.getF32FloatAttr(n.attrFloat("beta", 1.0)),
                               n.b.getBoolAttr(ta), n.b.getBoolAttr(tb));
  n.setResult(0, op.getResult());
  return success();
}

LogicalResult importConv(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(n.require(1, "W")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t) || n.elementType(1) != t)
    return n.fail("Conv needs float inputs of one type");
  int64_t rank = n.rank(0);
  if (rank < 3 || n.rank(1) != rank)
    return n.fail("X and W must have the same rank >= 3");
  auto x = n.type(0), wt = n.type(1);
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  if (llvm::any_of(kernel, [](int64_t d) { return ShapedType::isDynamic(d); }))
    return n.fail("kernel sizes must be static");
  // kernel_shape only restates W's spatial sizes (it was taken instead of
  // them, so one entry too few read past the strides).
  if (auto ks = n.attrInts("kernel_shape"); !ks.empty() && ks != kernel)
    return n.fail("kernel_shape does not match W's spatial sizes");
  auto w = readWindow(n, kernel, x.getShape().drop_front(2));
  if (failed(w))
    return failure();
  auto conv = buildConv(n, n.operand(0), n.operand(1),
                        n.hasInput(2) ? n.operand(2) : Value(), *w,
                        n.attrInt("group", 1));
  if (failed(conv))
    return failure();
  n.setResult(0, *conv);
  return success();
}

/// ConvTranspose as a convolution: the input is spread out by the strides
/// (zeros in between), padded by `dilation * (k - 1) - pad`, and convolved
/// with the flipped kernel whose channel roles are swapped per group. The
/// convolution itself is qc.conv, which quantization handles as usual.
LogicalResult importConvTranspose(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(n.require(1, "W")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t) || n.elementType(1) != t)
    return n.fail("ConvTranspose needs float inputs of one type");
  int64_t rank = n.rank(0);
  if (rank < 3 || n.rank(1) != rank)
    return n.fail("X and W must have the same rank >= 3");
  OpBuilder &b = n.b;
  Location loc = n.loc;
  int64_t k = rank - 2, group = n.attrInt("group", 1);
  auto wt = n.type(1);
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  if (llvm::any_of(kernel,
                   [](int64_t d) { return ShapedType::isDynamic(d); }) ||
      wt.isDynamicDim(0) || wt.isDynamicDim(1))
    return n.fail("weight sizes must be static");
  auto get = [&](StringRef name, int64_t size, int64_t dflt) {
    SmallVector<int64_t> v = n.attrInts(name);
    if (v.empty())
      v.assign(size, dflt);
    return v;
  };
  SmallVector<int64_t> strides = get("strides", k, 1),
                       dil = get("dilations", k, 1),
                       pads = get("pads", 2 * k, 0),
                       outPad = get("output_padding", k, 0);
  if (strides.size() != size_t(k) || dil.size() != size_t(k) ||
      pads.size() != size_t(2 * k) || outPad.size() != size_t(k))
    return n.fail(
        "strides, dilations, pads and output_padding must match the " +
        Twine(k) + " spatial dimensions");
  if (group <= 0 || llvm::any_of(strides, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(dil, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(kernel, [](int64_t v) { return v <= 0; }))
    return n.fail(
        "group, kernel sizes, strides and dilations must be positive");
  Sizes xd = dimsOf(b, loc, n.operand(0));
  SmallVector<int64_t> outputShape = n.attrInts("output_shape");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (!outputShape.empty() || autoPad == "SAME_UPPER" ||
      autoPad == "SAME_LOWER") {
    if (outputShape.size() > size_t(k))
      outputShape.erase(outputShape.begin(), outputShape.end() - k);
    for (int64_t i = 0; i < k; ++i) {
      auto in = constantOf(xd[2 + i]);
      if (!in)
        return n.fail("output_shape and auto_pad need static spatial sizes");
      int64_t target = outputShape.empty() ? *in * strides[i] : outputShape[i];
      int64_t total = strides[i] * (*in - 1) + outPad[i] +
                      (kernel[i] - 1) * dil[i] + 1 - target;
      bool upper = autoPad == "SAME_UPPER";
      pads[i] = upper ? total / 2 : total - total / 2;
      pads[k + i] = upper ? total - total / 2 : total / 2;
      if (total < 0) {
        // An output_shape beyond the kernel's reach grows the output at the
        // end, as output_padding does (the suite's and ORT's reading).
        pads[i] = 0;
        pads[k + i] = total;
      }
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * k, 0);
  }
  // 1. Spread the input out by the strides.
  Value x = n.operand(0);
  Sizes spread = {xd[0], xd[1]};
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
      strideAttrs(rank, b.getIndexAttr(1));
  for (int64_t i = 0; i < k; ++i) {
    spread.push_back(addIndex(
        b, loc,
        mulIndex(b, loc, subIndex(b, loc, xd[2 + i], b.getIndexAttr(1)),
                 b.getIndexAttr(strides[i])),
        b.getIndexAttr(1)));
    strideAttrs[2 + i] = b.getIndexAttr(strides[i]);
  }
  if (llvm::any_of(strides, [](int64_t s) { return s != 1; })) {
    Value zeros = filledTensor(b, loc, spread, scalarConstant(b, loc, t, 0));
    x = tensor::InsertSliceOp::create(b, loc, x, zeros, offsets, xd,
                                      strideAttrs);
  }
  // 2. Pad (or crop, where the pads exceed the kernel's reach).
  SmallVector<OpFoldResult> lo(rank, b.getIndexAttr(0)),
      hi(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> cropOff(rank, b.getIndexAttr(0));
  Sizes padded = spread, cropSizes;
  bool crop = false;
  for (int64_t i = 0; i < k; ++i) {
    int64_t reach = dil[i] * (kernel[i] - 1);
    int64_t before = reach - pads[i], after = reach - pads[k + i] + outPad[i];
    lo[2 + i] = b.getIndexAttr(std::max<int64_t>(before, 0));
    hi[2 + i] = b.getIndexAttr(std::max<int64_t>(after, 0));
    cropOff[2 + i] = b.getIndexAttr(std::max<int64_t>(-before, 0));
    crop |= before < 0 || after < 0;
    padded[2 + i] = addIndex(b, loc, spread[2 + i],
                             b.getIndexAttr(std::max<int64_t>(before, 0) +
                                            std::max<int64_t>(after, 0)));
  }
  x = tensor::PadOp::create(b, loc,
                            RankedTensorType::get(staticShape(padded), t), x,
                            lo, hi, scalarConstant(b, loc, t, 0));
  if (crop) {
    Sizes sizes = {padded[0], padded[1]};
    for (int64_t i = 0; i < k; ++i) {
      int64_t reach = dil[i] * (kernel[i] - 1);
      int64_t before = reach - pads[i], after = reach - pads[k + i] + outPad[i];
      sizes.push_back(subIndex(b, loc, padded[2 + i],
                               b.getIndexAttr(std::max<int64_t>(-before, 0) +
                                              std::max<int64_t>(-after, 0))));
    }
    SmallVector<OpFoldResult> ones(rank, b.getIndexAttr(1));
    x = tensor::ExtractSliceOp::create(b, loc, x, cropOff, sizes, ones);
  }
  // 3. The equivalent kernel: W'[g*Mg + m, c, kk] = W[g*Cg + c, m, K-1-kk].
  int64_t cIn = wt.getDimSize(0), mPerGroup = wt.getDimSize(1);
  if (cIn % group)
    return n.fail("group " + Twine(group) + " does not divide the " +
                  Twine(cIn) + " input channels");
  int64_t cPerGroup = cIn / group;
  Sizes wSizes = {b.getIndexAttr(mPerGroup * group), b.getIndexAttr(cPerGroup)};
  for (int64_t kk : kernel)
    wSizes.push_back(b.getIndexAttr(kk));
  Value w = n.operand(1);
  Value flipped = emptyTensor(b, loc, wSizes, t);
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  flipped =
      linalg::GenericOp::create(
          b, loc, flipped.getType(), ValueRange{}, flipped,
          SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)}, it,
          [&](OpBuilder &nb, Location l, ValueRange) {
            auto cIdx = [&](int64_t v) {
              return arith::ConstantIndexOp::create(nb, l, v);
            };
            Value o = linalg::IndexOp::create(nb, l, 0);
            Value c = linalg::IndexOp::create(nb, l, 1);
            Value g = arith::DivUIOp::create(nb, l, o, cIdx(mPerGroup));
            Value m = arith::RemUIOp::create(nb, l, o, cIdx(mPerGroup));
            SmallVector<Value> src = {
                arith::AddIOp::create(
                    nb, l, arith::MulIOp::create(nb, l, g, cIdx(cPerGroup)), c),
                m};
            for (int64_t i = 0; i < k; ++i)
              src.push_back(
                  arith::SubIOp::create(nb, l, cIdx(kernel[i] - 1),
                                        linalg::IndexOp::create(nb, l, 2 + i)));
            linalg::YieldOp::create(
                nb, l, tensor::ExtractOp::create(nb, l, w, src).getResult());
          })
          .getResult(0);
  // 4. A stride-1 convolution.
  Window stride1{kernel, SmallVector<int64_t>(k, 1), dil,
                 SmallVector<int64_t>(2 * k, 0)};
  auto conv = buildConv(n, x, flipped, n.hasInput(2) ? n.operand(2) : Value(),
                        stride1, group);
  if (failed(conv))
    return failure();
  n.setResult(0, *conv);
  return success();
}

/// Pools `input` ([N, C, spatial...]) over a window: `combine(acc, x)` from
/// `init`, reading the input padded with `padValue`. With `ceilMode` the
/// output covers partial windows at the end.
///
/// With `argmaxIndices`, `combine` must be a maximum and the pool also returns
/// there, per output element, the row-major flat index into `input` of the
/// maximum (MaxPool's Indices output; the first maximum wins), spatial
/// dimensions column-major with `columnMajor`.
Value buildPool(
    OpBuilder &b, Location loc, Value input, const Window &w, bool ceilMode,
    Value padValue, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    Sizes &outSizes, Value *argmaxIndices = nullptr, bool columnMajor = false) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t k = w.kernel.size(), rank = type.getRank();
  Sizes dims = dimsOf(b, loc, input);
  // Output sizes and the extra end padding that ceil mode needs.
  outSizes = {dims[0], dims[1]};
  SmallVector<int64_t> extraEnd(k, 0);
  for (int64_t i = 0; i < k; ++i) {
    int64_t eff = w.dilations[i] * (w.kernel[i] - 1) + 1;
    OpFoldResult span =
        subIndex(b, loc,
                 addIndex(b, loc, dims[2 + i],
                          b.getIndexAttr(w.pads[i] + w.pads[k + i])),
                 b.getIndexAttr(eff));
    OpFoldResult out = addIndex(
        b, loc, divIndex(b, loc, span, b.getIndexAttr(w.strides[i]), ceilMode),
        b.getIndexAttr(1));
    if (ceilMode) {
      // A window may not start inside the end padding.
      if (auto c = constantOf(out), d = constantOf(dims[2 + i]); c && d)
        if ((*c - 1) * w.strides[i] >= *d + w.pads[i])
          out = b.getIndexAttr(*c - 1);
      if (auto c = constantOf(out), d = constantOf(dims[2 + i]); c && d)
        extraEnd[i] =
            std::max<int64_t>(0, (*c - 1) * w.strides[i] + eff -
                                     (*d + w.pads[i] + w.pads[k + i]));
    }
    outSizes.push_back(out);
  }
  SmallVector<OpFoldResult> lo(rank, b.getIndexAttr(0)),
      hi(rank, b.getIndexAttr(0));
  bool padded = false;
  for (int64_t i = 0; i < k; ++i) {
    lo[2 + i] = b.getIndexAttr(w.pads[i]);
    hi[2 + i] = b.getIndexAttr(w.pads[k + i] + extraEnd[i]);
    padded |= w.pads[i] || w.pads[k + i] || extraEnd[i];
  }
  Value src = input;
  if (padded) {
    Sizes padDims;
    for (int64_t d = 0; d < rank; ++d)
      padDims.push_back(
          addIndex(b, loc, dims[d], addIndex(b, loc, lo[d], hi[d])));
    src = tensor::PadOp::create(
        b, loc,
        RankedTensorType::get(staticShape(padDims), type.getElementType()),
        input, lo, hi, padValue);
  }
  // Loops: n, c, out spatial..., window...; the window dims are bound by a
  // shape-only operand, as linalg's named pooling ops do.
  Sizes windowSizes;
  for (int64_t kk : w.kernel)
    windowSizes.push_back(b.getIndexAttr(kk));
  Value window = emptyTensor(b, loc, windowSizes, type.getElementType());
  int64_t loops = rank + k;
  SmallVector<AffineExpr> inExprs = {b.getAffineDimExpr(0),
                                     b.getAffineDimExpr(1)};
  SmallVector<AffineExpr> winExprs,
      outExprs = {b.getAffineDimExpr(0), b.getAffineDimExpr(1)};
  for (int64_t i = 0; i < k; ++i) {
    inExprs.push_back(b.getAffineDimExpr(2 + i) * w.strides[i] +
                      b.getAffineDimExpr(rank + i) * w.dilations[i]);
    winExprs.push_back(b.getAffineDimExpr(rank + i));
    outExprs.push_back(b.getAffineDimExpr(2 + i));
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, inExprs, b.getContext()),
      AffineMap::get(loops, 0, winExprs, b.getContext()),
      AffineMap::get(loops, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.append(k, utils::IteratorType::reduction);
  Value acc = filledTensor(b, loc, outSizes, init);
  if (!argmaxIndices)
    return linalg::GenericOp::create(
               b, loc, acc.getType(), ValueRange{src, window}, acc, maps,
               iterators,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l,
                                         combine(nb, l, args[2], args[0]));
               })
        .getResult(0);
  Type i64 = b.getI64Type();
  Value idx = filledTensor(b, loc, outSizes, scalarConstant(b, loc, i64, 0));
  maps.push_back(maps.back());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType(), idx.getType()}, ValueRange{src, window},
      ValueRange{acc, idx}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        // Flat index of the unpadded input element this window tap reads:
        // N and C row-major, the spatial dimensions in `storage_order`.
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d) {
          Value coord = linalg::IndexOp::create(nb, l, d);
          if (d >= 2) {
            int64_t i = d - 2;
            Value out = arith::MulIOp::create(
                nb, l, coord,
                arith::ConstantIndexOp::create(nb, l, w.strides[i]));
            Value tap = arith::MulIOp::create(
                nb, l, linalg::IndexOp::create(nb, l, rank + i),
                arith::ConstantIndexOp::create(nb, l, w.dilations[i]));
            coord = arith::SubIOp::create(
                nb, l, arith::AddIOp::create(nb, l, out, tap),
                arith::ConstantIndexOp::create(nb, l, w.pads[i]));
          }
          coords.push_back(coord);
        }
        SmallVector<int64_t> order = {0, 1};
        for (int64_t d = 2; d < rank; ++d)
          order.push_back(columnMajor ? rank + 1 - d : d);
        Value flat = coords[order[0]];
        for (int64_t j = 1; j < rank; ++j)
          flat = arith::AddIOp::create(
              nb, l,
              arith::MulIOp::create(nb, l, flat,
                                    indexValue(nb, l, dims[order[j]])),
              coords[order[j]]);
        Value better =
            isa<FloatType>(args[0].getType())
                ? arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                        args[0], args[2])
                      .getResult()
                : arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt,
                                        args[0], args[2])
                      .getResult();
        Value i = convertScalar(nb, l, flat, i64, false, false);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, better, args[0], args[2]),
                       arith::SelectOp::create(nb, l, better, i, args[3])});
      });
  *argmaxIndices = generic.getResult(1);
  return generic.getResult(0);
}

LogicalResult importPool(NodeImporter &n, bool isMax) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t) && !(isMax && isa<IntegerType>(t) && !t.isInteger(1)))
    return n.fail(isMax ? "MaxPool needs a float or integer input"
                        : "AveragePool needs a float input");
  int64_t rank = n.rank(0);
  if (rank < 3)
    return n.fail("input must have rank >= 3");
  SmallVector<int64_t> kernel = n.attrInts("kernel_shape");
  if (static_cast<int64_t>(kernel.size()) != rank - 2)
    return n.fail("kernel_shape must have one entry per spatial dimension");
  auto w = readWindow(n, kernel, n.type(0).getShape().drop_front(2));
  if (failed(w))
    return failure();
  if (!isMax && llvm::any_of(w->dilations, [](int64_t d) { return d != 1; }))
    return n.fail("AveragePool with dilations is not supported");
  bool ceilMode = n.attrInt("ceil_mode", 0);
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Sizes out;
  if (isMax) {
    bool u = n.isUnsigned(0);
    Value lowest = combineIdentity(b, loc, Combine::Max, t, u);
    Value indices;
    Value r = buildPool(
        b, loc, n.operand(0), *w, ceilMode, lowest, lowest,
        [&](OpBuilder &nb, Location l, Value acc, Value x) {
          return combineScalars(nb, l, Combine::Max, acc, x, u);
        },
        out, n.hasOutput(1) ? &indices : nullptr,
        n.attrInt("storage_order", 0) != 0);
    n.setResult(0, r, u);
    if (indices)
      n.setResult(1, indices);
    return success();
  }
  Value zero = scalarConstant(b, loc, t, 0);
  auto add = [](OpBuilder &nb, Location l, Value acc, Value x) -> Value {
    return arith::AddFOp::create(nb, l, acc, x);
  };
  Value sum =
      buildPool(b, loc, n.operand(0), *w, ceilMode, zero, zero, add, out);
  // The divisor: the window size, or the number of real (unpadded) elements.
  bool includePad = n.attrInt("count_include_pad", 0);
  Value ones = filledTensor(b, loc, dimsOf(b, loc, n.operand(0)),
                            scalarConstant(b, loc, t, 1));
  Value count;
  if (includePad) {
    // Padding counts, but the extra ceil-mode padding does not.
    Window inner = *w;
    inner.pads.assign(inner.pads.size(), 0);
    Sizes padded = dimsOf(b, loc, n.operand(0));
    int64_t k = w->kernel.size();
    SmallVector<OpFoldResult> lo(rank, b.getIndexAttr(0)),
        hi(rank, b.getIndexAttr(0));
    for (int64_t i = 0; i < k; ++i) {
      lo[2 + i] = b.getIndexAttr(w->pads[i]);
      hi[2 + i] = b.getIndexAttr(w->pads[k + i]);
      padded[2 + i] = addIndex(b, loc, padded[2 + i],
                               b.getIndexAttr(w->pads[i] + w->pads[k + i]));
    }
    Value paddedOnes = tensor::PadOp::create(
        b, loc, RankedTensorType::get(staticShape(padded), t), ones, lo, hi,
        scalarConstant(b, loc, t, 1));
    Sizes ignored;
    count = buildPool(b, loc, paddedOnes, inner, ceilMode, zero, zero, add,
                      ignored);
  } else {
    Sizes ignored;
    count = buildPool(b, loc, ones, *w, ceilMode, zero, zero, add, ignored);
  }
  std::string error;
  auto avg = buildElementwise(
      b, loc, {sum, count}, t,
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::DivFOp::create(nb, l, a[0], a[1]);
      },
      error);
  if (failed(avg))
    return n.fail(error);
  n.setResult(0, *avg);
  return success();
}

LogicalResult importGlobalPool(NodeImporter &n, bool isMax) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t))
    return n.fail("pooling needs a float input");
  int64_t rank = n.rank(0);
  if (rank < 3)
    return n.fail("input must have rank >= 3");
  SmallVector<int64_t> axes = spatialAxes(rank);
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Value init = scalarConstant(b, loc, t, isMax ? -INFINITY : 0.0);
  Value r =
      buildReduction(b, loc, n.operand(0), axes, true, init,
                     [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       if (isMax)
                         return arith::MaximumFOp::create(nb, l, a[0], a[1]);
                       return arith::AddFOp::create(nb, l, a[0], a[1]);
                     });
  if (!isMax) {
    Sizes dims = dimsOf(b, loc, n.operand(0));
    OpFoldResult count = productOf(b, loc, ArrayRef(dims).drop_front(2));
    Value c = sizeScalar(b, loc, count, t);
    r = buildElementwiseTo(
        b, loc, r, dimsOf(b, loc, r), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(nb, l, a[0], c);
        });
  }
  n.setResult(0, r);
  return success();
}

/// Einsum is a linalg.generic: each operand's subscripts are its indexing
/// map, letters missing from the output are reductions.
LogicalResult importEinsum(NodeImporter &n) {
  std::string eq = n.attrString("equation", "");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  auto present = n.sameTypeInputs();
  if (failed(present))
    return failure();
  SmallVector<Value> inputs = *present;
  Type t = n.elementType(0);
  std::string lhs = eq, rhs;
  bool explicitOut = false;
  if (auto pos = eq.find("->"); pos != std::string::npos) {
    lhs = eq.substr(0, pos);
    rhs = eq.substr(pos + 2);
    explicitOut = true;
  }
  SmallVector<std::string> terms;
  for (StringRef s : llvm::split(StringRef(lhs), ','))
    terms.push_back(s.str());
  if (terms.size() != inputs.size())
    return n.fail("equation '" + eq + "' names " + Twine(terms.size()) +
                  " operands but there are " + Twine(inputs.size()));
  // Expand '...' into fresh upper-case letters, right-aligned.
  int64_t ellipsisRank = 0;
  for (auto [term, v] : llvm::zip(terms, inputs)) {
    int64_t r = cast<RankedTensorType>(v.getType()).getRank();
    if (term.find("...") == std::string::npos)
      continue;
    int64_t own = r - static_cast<int64_t>(term.size() - 3);
    if (own < 0)
      return n.fail("subscripts '" + term +
                    "' name more dimensions than an operand of rank " +
                    Twine(r) + " has");
    ellipsisRank = std::max<int64_t>(ellipsisRank, own);
  }
  std::string ell;
  for (int64_t i = 0; i < ellipsisRank; ++i)
    ell += char('A' + i);
  auto expand = [&](std::string &term, int64_t r) {
    auto pos = term.find("...");
    if (pos == std::string::npos)
      return;
    int64_t own = r - (term.size() - 3);
    term.replace(pos, 3, ell.substr(ellipsisRank - own));
  };
  for (auto [term, v] : llvm::zip(terms, inputs))
    expand(term, cast<RankedTensorType>(v.getType()).getRank());
  if (!explicitOut) {
    // Implicit output: the ellipsis letters, then letters used once, sorted.
    std::map<char, int> uses;
    for (auto &term : terms)
      for (char c : term)
        uses[c]++;
    rhs = ell;
    for (auto [c, count] : uses)
      if (count == 1 && !(c >= 'A' && c < 'A' + ellipsisRank))
        rhs += c;
  } else {
    auto pos = rhs.find("...");
    if (pos != std::string::npos)
      rhs.replace(pos, 3, ell);
  }
  // Loop order: output letters first, then the reduced ones.
  std::string letters = rhs;
  for (auto &term : terms)
    for (char c : term)
      if (letters.find(c) == std::string::npos)
        letters += c;
  OpBuilder &b = n.b;
  Location loc = n.loc;
  SmallVector<OpFoldResult> sizes(letters.size());
  SmallVector<AffineMap> maps;
  for (auto [term, v] : llvm::zip(terms, inputs)) {
    auto type = cast<RankedTensorType>(v.getType());
    if (static_cast<int64_t>(term.size()) != type.getRank())
      return n.fail("subscripts '" + term +
                    "' do not match an operand of rank " +
                    Twine(type.getRank()));
    SmallVector<AffineExpr> exprs;
    for (auto [i, c] : llvm::enumerate(term)) {
      size_t pos = letters.find(c);
      exprs.push_back(b.getAffineDimExpr(pos));
      if (!sizes[pos] ||
          (constantOf(sizes[pos]) && *constantOf(sizes[pos]) == 1))
        sizes[pos] = dimOf(b, loc, v, i);
    }
    maps.push_back(AffineMap::get(letters.size(), 0, exprs, b.getContext()));
  }
  SmallVector<AffineExpr> outExprs;
  Sizes outSizes;
  for (char c : rhs) {
    size_t pos = letters.find(c);
    if (!sizes[pos])
      return n.fail("output letter '" + Twine(c) + "' is not an input letter");
    outExprs.push_back(b.getAffineDimExpr(pos));
    outSizes.push_back(sizes[pos]);
  }
  maps.push_back(AffineMap::get(letters.size(), 0, outExprs, b.getContext()));
  SmallVector<utils::IteratorType> iterators;
  for (size_t i = 0; i < letters.size(); ++i)
    iterators.push_back(i < rhs.size() ? utils::IteratorType::parallel
                                       : utils::IteratorType::reduction);
  Value acc = filledTensor(b, loc, outSizes, scalarConstant(b, loc, t, 0));
  Value r =
      linalg::GenericOp::create(
          b, loc, acc.getType(), inputs, acc, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value p = args[0];
            for (Value v : args.drop_front().drop_back())
              p = combineScalars(nb, l, Combine::Mul, p, v);
            linalg::YieldOp::create(
                nb, l, combineScalars(nb, l, Combine::Add, args.back(), p));
          })
          .getResult(0);
  n.setResult(0, r);
  return success();
}

} // namespace

FailureOr<Value> mlir::qc::onnx::buildConv(NodeImporter &n, Value input,
                                           Value weight, Value bias,
                                           const Window &w, int64_t group) {
  auto x = cast<RankedTensorType>(input.getType());
  auto wt = cast<RankedTensorType>(weight.getType());
  int64_t k = x.getRank() - 2;
  if (k < 1 || wt.getRank() != x.getRank() ||
      static_cast<int64_t>(w.kernel.size()) != k ||
      static_cast<int64_t>(w.strides.size()) != k ||
      static_cast<int64_t>(w.dilations.size()) != k ||
      static_cast<int64_t>(w.pads.size()) != 2 * k)
    return n.fail("the window does not match the input's " + Twine(k) +
                  " spatial dimensions");
  SmallVector<int64_t> shape = {x.getDimSize(0), wt.getDimSize(0)};
  for (int64_t i = 0; i < k; ++i) {
    int64_t d = x.getDimSize(2 + i);
    if (ShapedType::isDynamic(d)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span =
        d + w.pads[i] + w.pads[k + i] - w.dilations[i] * (w.kernel[i] - 1) - 1;
    if (span < 0)
      return n.fail("kernel is larger than padded input");
    shape.push_back(span / w.strides[i] + 1);
  }
  return qc::ConvOp::create(
             n.b, n.loc, RankedTensorType::get(shape, x.getElementType()),
             input, weight, bias, n.b.getDenseI64ArrayAttr(w.strides),
             n.b.getDenseI64ArrayAttr(w.pads),
             n.b.getDenseI64ArrayAttr(w.dilations),
             n.b.getI64IntegerAttr(group))
      .getResult();
}

FailureOr<Window> mlir::qc::onnx::readWindow(NodeImporter &n,
                                             ArrayRef<int64_t> kernel,
                                             ArrayRef<int64_t> spatialIn) {
  Window w;
  size_t k = kernel.size();
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = n.attrInts("strides");
  w.dilations = n.attrInts("dilations");
  w.pads = n.attrInts("pads");
  if (w.strides.empty())
    w.strides.assign(k, 1);
  if (w.dilations.empty())
    w.dilations.assign(k, 1);
  if (w.pads.empty())
    w.pads.assign(2 * k, 0);
  if (w.strides.size() != k || w.dilations.size() != k ||
      w.pads.size() != 2 * k)
    return n.fail("strides, dilations and pads must match the " + Twine(k) +
                  " spatial dimensions");
  if (llvm::any_of(w.strides, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(w.dilations, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(w.kernel, [](int64_t v) { return v <= 0; }))
    return n.fail("kernel sizes, strides and dilations must be positive");
  if (llvm::any_of(w.pads, [](int64_t v) { return v < 0; }))
    return n.fail("pads must not be negative");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    w.pads.assign(2 * k, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < k; ++i) {
      if (ShapedType::isDynamic(spatialIn[i]))
        return n.fail("auto_pad " + autoPad + " needs static spatial sizes");
      int64_t out = (spatialIn[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 -
                 spatialIn[i]);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[i + k] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return n.fail("unknown auto_pad '" + autoPad + "'");
  }
  return w;
}

void mlir::qc::onnx::registerLinearOps(OpTable &t) {
  t["MatMul"] = importMatMul;
  t["Gemm"] = importGemm;
  t["Conv"] = importConv;
  t["ConvTranspose"] = importConvTranspose;
  t["MaxPool"] = [](NodeImporter &n) { return importPool(n, true); };
  t["AveragePool"] = [](NodeImporter &n) { return importPool(n, false); };
  t["GlobalMaxPool"] = [](NodeImporter &n) {
    return importGlobalPool(n, true);
  };
  t["GlobalAveragePool"] = [](NodeImporter &n) {
    return importGlobalPool(n, false);
  };
  t["Einsum"] = importEinsum;
}
