//===- ImportSlice.cpp - Slice, Split and Pad -----------------------------===//
//
// Views and windows of a tensor: extract_slice where the steps are positive
// and known, a gather otherwise; Pad is tensor.pad or an index-mapping
// generic for the edge/reflect/wrap modes. Bounds may be run-time values.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

/// ONNX Slice clamping for one axis of size `dim`.
SliceDim sliceDim(OpBuilder &b, Location loc, OpFoldResult dim, int64_t start,
                  int64_t end, int64_t step) {
  // Large sentinels (INT64_MAX, INT_MAX) mean "to the end".
  constexpr int64_t kHuge = int64_t(1) << 40;
  auto d = constantOf(dim);
  auto normalize = [&](int64_t v, int64_t lo,
                       int64_t hiOffset) -> OpFoldResult {
    // Clamp v (possibly negative) to [lo, dim + hiOffset].
    if (v >= kHuge)
      return addIndex(b, loc, dim, b.getIndexAttr(hiOffset));
    if (v <= -kHuge)
      return b.getIndexAttr(lo);
    OpFoldResult x = v < 0 ? addIndex(b, loc, dim, b.getIndexAttr(v))
                           : OpFoldResult(b.getIndexAttr(v));
    x = maxIndex(b, loc, x, b.getIndexAttr(lo));
    return minIndex(b, loc, x, addIndex(b, loc, dim, b.getIndexAttr(hiOffset)));
  };
  (void)d;
  if (step > 0) {
    OpFoldResult s = normalize(start, 0, 0), e = normalize(end, 0, 0);
    OpFoldResult len =
        maxIndex(b, loc, subIndex(b, loc, e, s), b.getIndexAttr(0));
    return {s, divIndex(b, loc, len, b.getIndexAttr(step), /*ceil=*/true),
            step};
  }
  OpFoldResult s = normalize(start, 0, -1), e = normalize(end, -1, -1);
  OpFoldResult len =
      maxIndex(b, loc, subIndex(b, loc, s, e), b.getIndexAttr(0));
  return {s, divIndex(b, loc, len, b.getIndexAttr(-step), /*ceil=*/true), step};
}

/// Slice whose axes or steps are only known at run time: every dimension's
/// start, end and step are chosen and clamped at run time (ONNX's rules for
/// both signs of the step), and the result is gathered element by element.
LogicalResult importRuntimeSlice(NodeImporter &n) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  int64_t rank = n.rank(0);
  auto starts = n.knownInts(1), ends = n.knownInts(2);
  if (!starts || !ends)
    return n.fail("starts and ends must have a static length");
  size_t count = starts->size();
  SmallVector<Value> axes;
  if (n.hasInput(3)) {
    auto a = n.runtimeAxes(3, rank);
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (size_t k = 0; k < count; ++k)
      axes.push_back(arith::ConstantIndexOp::create(b, loc, k));
  }
  std::optional<Sizes> steps;
  if (n.hasInput(4)) {
    steps = n.knownInts(4);
    if (!steps)
      return n.fail("steps must have a static length");
  } else {
    steps = Sizes(count, b.getIndexAttr(1));
  }
  if (ends->size() != count || axes.size() != count || steps->size() != count)
    return n.fail("starts, ends, axes and steps must have the same length");
  auto c = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto sel = [&](Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y).getResult();
  };
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y).getResult();
  };
  auto clamp = [&](Value v, Value lo, Value hi) {
    return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo),
                                  hi)
        .getResult();
  };
  Sizes dims = dimsOf(b, loc, n.operand(0));
  SmallVector<Value> offsets, strides;
  Sizes sizes;
  for (int64_t d = 0; d < rank; ++d) {
    Value dim = indexValue(b, loc, dims[d]);
    Value start = c(0), end = dim, step = c(1);
    for (size_t k = 0; k < count; ++k) {
      Value here = cmp(arith::CmpIPredicate::eq, axes[k], c(d));
      start = sel(here, indexValue(b, loc, (*starts)[k]), start);
      end = sel(here, indexValue(b, loc, (*ends)[k]), end);
      step = sel(here, indexValue(b, loc, (*steps)[k]), step);
    }
    Value zero = c(0), minusOne = c(-1),
          last = arith::SubIOp::create(b, loc, dim, c(1));
    Value startW = sel(cmp(arith::CmpIPredicate::slt, start, zero),
                       arith::AddIOp::create(b, loc, start, dim), start);
    Value endW = sel(cmp(arith::CmpIPredicate::slt, end, zero),
                     arith::AddIOp::create(b, loc, end, dim), end);
    Value positive = cmp(arith::CmpIPredicate::sgt, step, zero);
    Value s =
        sel(positive, clamp(startW, zero, dim), clamp(startW, zero, last));
    Value e =
        sel(positive, clamp(endW, zero, dim), clamp(endW, minusOne, last));
    Value span = sel(positive, arith::SubIOp::create(b, loc, e, s),
                     arith::SubIOp::create(b, loc, s, e));
    Value absStep =
        sel(positive, step, arith::SubIOp::create(b, loc, zero, step));
    Value len = arith::MaxSIOp::create(
        b, loc, arith::CeilDivSIOp::create(b, loc, span, absStep), zero);
    offsets.push_back(s);
    strides.push_back(step);
    sizes.push_back(len);
  }
  Value input = n.operand(0);
  Value v = buildIndexed(
      b, loc, sizes, n.elementType(0),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> idx) -> Value {
        SmallVector<Value> src;
        for (int64_t d = 0; d < rank; ++d)
          src.push_back(arith::AddIOp::create(
              nb, l, offsets[d],
              arith::MulIOp::create(nb, l, idx[d], strides[d])));
        return tensor::ExtractOp::create(nb, l, input, src);
      });
  n.setResult(0, v, n.isUnsigned(0));
  return success();
}

LogicalResult importSlice(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  int64_t rank = n.rank(0);
  SmallVector<int64_t> axes;
  std::optional<Sizes> starts, ends;
  SmallVector<int64_t> steps;
  auto toSizes = [&](ArrayRef<int64_t> v) {
    Sizes s;
    for (int64_t x : v)
      s.push_back(n.b.getIndexAttr(x));
    return s;
  };
  if (n.opset < 10) {
    starts = toSizes(n.attrInts("starts"));
    ends = toSizes(n.attrInts("ends"));
    axes = n.attrInts("axes");
  } else {
    if (failed(n.require(1, "starts")) || failed(n.require(2, "ends")))
      return failure();
    starts = n.knownInts(1);
    ends = n.knownInts(2);
    if (!starts || !ends)
      return n.fail("starts and ends must have a static length");
    if ((n.hasInput(3) && !n.constInts(3)) ||
        (n.hasInput(4) && !n.constInts(4)))
      return importRuntimeSlice(n);
    if (n.hasInput(3))
      axes = *n.constInts(3);
    if (n.hasInput(4))
      steps = *n.constInts(4);
  }
  if (axes.empty())
    for (int64_t i = 0; i < static_cast<int64_t>(starts->size()); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(axes.size(), 1);
  if (starts->size() != axes.size() || ends->size() != axes.size() ||
      steps.size() != axes.size())
    return n.fail("starts, ends, axes and steps must have the same length");

  Sizes dims = dimsOf(n.b, n.loc, n.operand(0));
  SmallVector<SliceDim> slices;
  for (int64_t d = 0; d < rank; ++d)
    slices.push_back({n.b.getIndexAttr(0), dims[d], 1});
  for (auto [i, a] : llvm::enumerate(axes)) {
    auto axis = normalizeAxis(a, rank);
    if (failed(axis))
      return n.fail("axis " + Twine(a) + " is out of range");
    if (steps[i] == 0)
      return n.fail("steps must not be 0");
    auto s = constantOf((*starts)[i]), e = constantOf((*ends)[i]);
    if (!s || !e) {
      // A run-time bound (e.g. the sequence length): only the common
      // "start at a constant, end at a value within range" form with step 1.
      if (!s || steps[i] != 1)
        return importRuntimeSlice(n);
      OpFoldResult start = n.b.getIndexAttr(*s < 0 ? 0 : *s);
      if (*s < 0)
        start = addIndex(n.b, n.loc, dims[*axis], n.b.getIndexAttr(*s));
      OpFoldResult end = minIndex(n.b, n.loc, (*ends)[i], dims[*axis]);
      slices[*axis] = {start,
                       maxIndex(n.b, n.loc, subIndex(n.b, n.loc, end, start),
                                n.b.getIndexAttr(0)),
                       1};
      continue;
    }
    slices[*axis] = sliceDim(n.b, n.loc, dims[*axis], *s, *e, steps[i]);
  }
  TensorValue tv;
  tv.value = buildStridedSlice(n.b, n.loc, n.operand(0), slices);
  tv.isUnsigned = n.isUnsigned(0);
  // Slices of known shape vectors stay known.
  if (rank == 1 && n.input(0).known) {
    auto off = constantOf(slices[0].offset), size = constantOf(slices[0].size);
    if (off && size) {
      Sizes k;
      for (int64_t i = 0; i < *size; ++i)
        k.push_back((*n.input(0).known)[*off + i * slices[0].step]);
      tv.known = k;
    }
  }
  n.setResult(0, tv);
  return success();
}

LogicalResult importSplit(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  int64_t rank = n.rank(0);
  auto axis = normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  int outputs = n.numOutputs();
  OpFoldResult dim = dimOf(n.b, n.loc, n.operand(0), *axis);
  Sizes sizes;
  std::optional<Sizes> split;
  if (n.opset < 13 && n.hasAttr("split")) {
    split.emplace();
    for (int64_t s : n.attrInts("split"))
      split->push_back(n.b.getIndexAttr(s));
  } else if (n.opset >= 13 && n.hasInput(1)) {
    split = n.knownInts(1);
    if (!split)
      return n.fail("split must have a static length");
  }
  if (split) {
    if (static_cast<int>(split->size()) != outputs)
      return n.fail("split has " + Twine(split->size()) + " sizes for " +
                    Twine(outputs) + " outputs");
    sizes = *split;
  } else {
    // Equal parts; since opset 18 the last may be smaller.
    if (n.opset >= 18 && n.hasAttr("num_outputs"))
      outputs = n.attrInt("num_outputs", outputs);
    OpFoldResult part =
        divIndex(n.b, n.loc, dim, n.b.getIndexAttr(outputs), /*ceil=*/true);
    for (int i = 0; i < outputs; ++i) {
      OpFoldResult begin = mulIndex(n.b, n.loc, part, n.b.getIndexAttr(i));
      OpFoldResult end =
          minIndex(n.b, n.loc, addIndex(n.b, n.loc, begin, part), dim);
      sizes.push_back(maxIndex(n.b, n.loc, subIndex(n.b, n.loc, end, begin),
                               n.b.getIndexAttr(0)));
    }
  }
  OpFoldResult total = n.b.getIndexAttr(0);
  for (OpFoldResult s : sizes)
    total = addIndex(n.b, n.loc, total, s);
  if (constantOf(total) && constantOf(dim) &&
      *constantOf(total) != *constantOf(dim))
    return n.fail("split sizes add up to " + Twine(*constantOf(total)) +
                  ", not the axis size " + Twine(*constantOf(dim)));
  Sizes dims = dimsOf(n.b, n.loc, n.operand(0));
  OpFoldResult offset = n.b.getIndexAttr(0);
  for (int i = 0; i < static_cast<int>(sizes.size()); ++i) {
    SmallVector<SliceDim> slices;
    for (int64_t d = 0; d < rank; ++d)
      slices.push_back(d == *axis ? SliceDim{offset, sizes[i], 1}
                                  : SliceDim{n.b.getIndexAttr(0), dims[d], 1});
    n.setResult(i, buildStridedSlice(n.b, n.loc, n.operand(0), slices),
                n.isUnsigned(0));
    offset = addIndex(n.b, n.loc, offset, sizes[i]);
  }
  return success();
}

/// Pads `input` by `lo`/`hi` (non-negative) in an ONNX Pad mode.
FailureOr<Value> buildPadded(NodeImporter &n, Value input,
                             ArrayRef<OpFoldResult> lo,
                             ArrayRef<OpFoldResult> hi, StringRef mode,
                             Value padValue) {
  auto type = cast<RankedTensorType>(input.getType());
  Type t = type.getElementType();
  int64_t rank = type.getRank();
  Sizes dims = dimsOf(n.b, n.loc, input), out;
  for (int64_t d = 0; d < rank; ++d)
    out.push_back(
        addIndex(n.b, n.loc, dims[d], addIndex(n.b, n.loc, lo[d], hi[d])));
  if (mode == "constant")
    return tensor::PadOp::create(n.b, n.loc,
                                 RankedTensorType::get(staticShape(out), t),
                                 input, lo, hi, padValue)
        .getResult();
  if (mode != "edge" && mode != "reflect" && mode != "wrap")
    return n.fail("unknown mode '" + mode + "'");
  return buildIndexed(
      n.b, n.loc, out, t,
      [&](OpBuilder &b, Location l, ArrayRef<Value> idx) -> Value {
        SmallVector<Value> src;
        for (int64_t d = 0; d < rank; ++d) {
          Value size = indexValue(b, l, dims[d]);
          Value i =
              arith::SubIOp::create(b, l, idx[d], indexValue(b, l, lo[d]));
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value last = arith::SubIOp::create(
              b, l, size, arith::ConstantIndexOp::create(b, l, 1));
          if (mode == "edge") {
            i = arith::MinSIOp::create(
                b, l, arith::MaxSIOp::create(b, l, i, zero), last);
          } else if (mode == "wrap") {
            Value m = arith::RemSIOp::create(b, l, i, size);
            Value neg =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, m, zero);
            i = arith::SelectOp::create(
                b, l, neg, arith::AddIOp::create(b, l, m, size), m);
          } else {
            // reflect: mirror at both ends without repeating the edge.
            Value neg =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
            i = arith::SelectOp::create(
                b, l, neg, arith::SubIOp::create(b, l, zero, i), i);
            Value over =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, i, last);
            Value mirrored = arith::SubIOp::create(
                b, l,
                arith::MulIOp::create(b, l, last,
                                      arith::ConstantIndexOp::create(b, l, 2)),
                i);
            i = arith::SelectOp::create(b, l, over, mirrored, i);
          }
          src.push_back(i);
        }
        return tensor::ExtractOp::create(b, l, input, src);
      });
}

LogicalResult importPad(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  int64_t rank = n.rank(0);
  std::string mode = n.attrString("mode", "constant");
  std::optional<SmallVector<int64_t>> pads;
  std::optional<Sizes> runtimePads;
  Value padValue;
  Type t = n.elementType(0);
  if (n.opset < 11) {
    pads = n.attrInts(n.opset < 2 ? "paddings" : "pads");
    padValue = scalarConstant(n.b, n.loc, t, n.attrFloat("value", 0));
  } else {
    if (failed(n.require(1, "pads")))
      return failure();
    pads = n.constInts(1);
    if (!pads)
      runtimePads = n.knownInts(1);
    if (!pads && !runtimePads)
      return n.fail("pads must have a static length");
    if (n.hasInput(2)) {
      if (n.elementType(2) != t)
        return n.fail("constant_value must have the data's element type");
      Value cv = n.operand(2);
      if (n.rank(2) == 1)
        cv = buildSqueeze(n.b, n.loc, cv, {0});
      padValue = tensor::ExtractOp::create(n.b, n.loc, cv, ValueRange{});
    } else {
      padValue = scalarConstant(n.b, n.loc, t, 0);
    }
  }
  SmallVector<int64_t> axes;
  if (n.hasInput(3)) {
    auto a = n.constInts(3);
    if (!a)
      return n.fail("axes must be constant");
    for (int64_t x : *a) {
      auto norm = normalizeAxis(x, rank);
      if (failed(norm))
        return n.fail("axis is out of range");
      axes.push_back(*norm);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (runtimePads) {
    // Pads known only at run time must be non-negative, checked there
    // (a negative one, cropping in ONNX, would index before the data):
    // pad == max(pad, 0).
    if (static_cast<int64_t>(runtimePads->size()) !=
        2 * static_cast<int64_t>(axes.size()))
      return n.fail("pads must have two entries per padded axis");
    for (OpFoldResult pad : *runtimePads) {
      if (!isa<Value>(pad))
        continue;
      Value v = cast<Value>(pad);
      Value zero = arith::ConstantIndexOp::create(n.b, n.loc, 0);
      qc::AssumeEqualOp::create(
          n.b, n.loc, v, arith::MaxSIOp::create(n.b, n.loc, v, zero),
          n.b.getStringAttr("Pad amount (negative pads known only at run "
                            "time are not supported)"));
    }
    SmallVector<OpFoldResult> lo(rank, n.b.getIndexAttr(0)),
        hi(rank, n.b.getIndexAttr(0));
    for (auto [i, a] : llvm::enumerate(axes)) {
      lo[a] = (*runtimePads)[i];
      hi[a] = (*runtimePads)[i + axes.size()];
    }
    auto r = buildPadded(n, n.operand(0), lo, hi, mode, padValue);
    if (failed(r))
      return failure();
    n.setResult(0, *r, n.isUnsigned(0));
    return success();
  }
  if (static_cast<int64_t>(pads->size()) !=
      2 * static_cast<int64_t>(axes.size()))
    return n.fail("pads must have two entries per padded axis");
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (auto [i, a] : llvm::enumerate(axes)) {
    low[a] = (*pads)[i];
    high[a] = (*pads)[i + axes.size()];
  }
  // Negative pads crop first.
  Value input = n.operand(0);
  Sizes dims = dimsOf(n.b, n.loc, input);
  if (llvm::any_of(low, [](int64_t p) { return p < 0; }) ||
      llvm::any_of(high, [](int64_t p) { return p < 0; })) {
    SmallVector<SliceDim> slices;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t lo = std::max<int64_t>(0, -low[d]),
              hi = std::max<int64_t>(0, -high[d]);
      slices.push_back(
          {n.b.getIndexAttr(lo),
           subIndex(n.b, n.loc, dims[d], n.b.getIndexAttr(lo + hi)), 1});
      low[d] = std::max<int64_t>(0, low[d]);
      high[d] = std::max<int64_t>(0, high[d]);
    }
    input = buildStridedSlice(n.b, n.loc, input, slices);
    dims = dimsOf(n.b, n.loc, input);
  }
  SmallVector<OpFoldResult> lo, hi;
  for (int64_t d = 0; d < rank; ++d) {
    lo.push_back(n.b.getIndexAttr(low[d]));
    hi.push_back(n.b.getIndexAttr(high[d]));
  }
  auto result = buildPadded(n, input, lo, hi, mode, padValue);
  if (failed(result))
    return failure();
  n.setResult(0, *result, n.isUnsigned(0));
  return success();
}

} // namespace

void mlir::qc::onnx::registerSliceOps(OpTable &t) {
  t["Slice"] = importSlice;
  t["Split"] = importSplit;
  t["Pad"] = importPad;
}
