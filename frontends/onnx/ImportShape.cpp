//===- ImportShape.cpp - shape, layout and data-movement ONNX ops ---------===//
//
// Reshapes and views become tensor dialect ops; gathers, tiles and index
// patterns become linalg.generic bodies that read with tensor.extract. Ops
// that produce small integer vectors (Shape, Gather on a shape, Concat,
// Slice, ...) also record their elements, symbolic where only known at run
// time, so that Reshape/Slice/Expand further down see static sizes wherever
// the model makes them so.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

/// Axes from an attribute (older opsets) or an input (newer), normalized to
/// `rank`, sorted and unique. Empty optional means "not given".
FailureOr<std::optional<SmallVector<int64_t>>>
axesOf(NodeImporter &n, int inputIndex, int64_t attrBeforeOpset, int64_t rank) {
  std::optional<SmallVector<int64_t>> raw;
  if (n.opset < attrBeforeOpset) {
    if (n.hasAttr("axes"))
      raw = n.attrInts("axes");
  } else if (n.hasInput(inputIndex)) {
    raw = n.constInts(inputIndex);
    if (!raw)
      return n.fail("axes must be constant");
  }
  if (!raw)
    return std::optional<SmallVector<int64_t>>();
  SmallVector<int64_t> axes;
  for (int64_t a : *raw) {
    auto norm = normalizeAxis(a, rank);
    if (failed(norm))
      return n.fail("axis " + Twine(a) + " is out of range for rank " +
                    Twine(rank));
    axes.push_back(*norm);
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return n.fail("axes contain duplicates");
  return std::optional<SmallVector<int64_t>>(axes);
}

/// Known elements of a rank-0/1 input, as index OpFoldResults.
std::optional<Sizes> known(NodeImporter &n, int i) { return n.knownInts(i); }

LogicalResult importConstant(NodeImporter &n) {
  ::onnx::TensorProto proto;
  if (const auto *a = n.attr("value")) {
    proto = a->t();
  } else if (const auto *a = n.attr("value_float")) {
    proto.set_data_type(::onnx::TensorProto::FLOAT);
    proto.add_float_data(a->f());
  } else if (const auto *a = n.attr("value_floats")) {
    proto.set_data_type(::onnx::TensorProto::FLOAT);
    proto.add_dims(a->floats_size());
    for (float f : a->floats())
      proto.add_float_data(f);
  } else if (const auto *a = n.attr("value_int")) {
    proto.set_data_type(::onnx::TensorProto::INT64);
    proto.add_int64_data(a->i());
  } else if (const auto *a = n.attr("value_ints")) {
    proto.set_data_type(::onnx::TensorProto::INT64);
    proto.add_dims(a->ints_size());
    for (int64_t v : a->ints())
      proto.add_int64_data(v);
  } else {
    return n.fail("only tensor, float(s) and int(s) constants are supported");
  }
  std::string saved = n.graph.error;
  auto tv = n.graph.importTensor(proto, n.b, n.loc,
                                 n.node.output_size() ? n.node.output(0) : "");
  if (failed(tv)) {
    std::string message = n.graph.error;
    n.graph.error = saved;
    return n.fail(message);
  }
  n.setResult(0, *tv);
  return success();
}

LogicalResult importShape(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  int64_t rank = n.rank(0);
  int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
  auto clampAxis = [&](int64_t a) {
    if (a < 0)
      a += rank;
    return std::clamp<int64_t>(a, 0, rank);
  };
  start = clampAxis(start);
  end = clampAxis(end);
  Sizes dims = dimsOf(n.b, n.loc, n.operand(0));
  Sizes slice(dims.begin() + start, dims.begin() + std::max(start, end));
  n.setResult(0, buildShapeTensor(n.b, n.loc, slice, n.b.getI64Type()), false,
              slice);
  return success();
}

LogicalResult importSize(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  OpFoldResult size = productOf(n.b, n.loc, dimsOf(n.b, n.loc, n.operand(0)));
  Value t = buildShapeTensor(n.b, n.loc, {size}, n.b.getI64Type());
  n.setResult(0, buildSqueeze(n.b, n.loc, t, {0}), false, Sizes{size});
  return success();
}

LogicalResult importReshape(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  std::optional<SmallVector<int64_t>> attrShape;
  std::optional<Sizes> shape;
  if (n.opset < 5) {
    Sizes s;
    for (int64_t v : n.attrInts("shape"))
      s.push_back(n.b.getIndexAttr(v));
    shape = s;
  } else {
    if (failed(n.require(1, "shape")))
      return failure();
    if (n.rank(1) != 1 || n.type(1).isDynamicDim(0))
      return n.fail("shape must be a 1-D tensor of static length");
    shape = known(n, 1);
    if (!shape)
      return n.fail("shape must have a static length of at most 64");
  }
  bool allowZero = n.attrInt("allowzero", 0);
  Sizes inDims = dimsOf(n.b, n.loc, n.operand(0));
  Sizes out;
  int inferred = -1;
  for (auto [i, s] : llvm::enumerate(*shape)) {
    auto c = constantOf(s);
    if (c == 0 && !allowZero) {
      if (i >= inDims.size())
        return n.fail("shape copies dimension " + Twine(i) +
                      " that the input does not have");
      out.push_back(inDims[i]);
    } else if (c == -1) {
      if (inferred >= 0)
        return n.fail("shape has more than one -1");
      inferred = i;
      out.push_back(n.b.getIndexAttr(1));
    } else if (c && *c < -1) {
      return n.fail("shape has invalid size " + Twine(*c));
    } else {
      out.push_back(s);
    }
  }
  if (inferred >= 0) {
    // Cancel the dynamic sizes both sides share (a copied batch dimension)
    // so that the inferred size stays static when it can.
    SmallVector<Value> inDynamic, outDynamic;
    int64_t inStatic = 1, outStatic = 1;
    for (OpFoldResult d : inDims) {
      if (auto c = constantOf(d))
        inStatic *= *c;
      else
        inDynamic.push_back(cast<Value>(d));
    }
    for (OpFoldResult d : out) {
      if (auto c = constantOf(d))
        outStatic *= *c;
      else
        outDynamic.push_back(cast<Value>(d));
    }
    for (auto it = outDynamic.begin(); it != outDynamic.end();) {
      auto match = llvm::find(inDynamic, *it);
      if (match == inDynamic.end()) {
        ++it;
        continue;
      }
      inDynamic.erase(match);
      it = outDynamic.erase(it);
    }
    if (outStatic == 0)
      return n.fail("cannot infer -1 next to a zero-sized dimension");
    if (outDynamic.empty() && inDynamic.empty()) {
      if (inStatic % outStatic != 0)
        return n.fail("cannot reshape " + Twine(inStatic) +
                      " elements into a multiple of " + Twine(outStatic));
      out[inferred] = n.b.getIndexAttr(inStatic / outStatic);
    } else {
      OpFoldResult total = productOf(n.b, n.loc, inDims);
      OpFoldResult rest = productOf(n.b, n.loc, out);
      out[inferred] = divIndex(n.b, n.loc, total, rest);
    }
  }
  // Static element counts must agree.
  auto inCount = constantOf(productOf(n.b, n.loc, inDims));
  auto outCount = constantOf(productOf(n.b, n.loc, out));
  if (inCount && outCount && *inCount != *outCount)
    return n.fail("cannot reshape " + Twine(*inCount) + " elements into " +
                  Twine(*outCount));
  TensorValue tv;
  tv.value = buildReshape(n.b, n.loc, n.operand(0), out);
  tv.isUnsigned = n.isUnsigned(0);
  if (n.input(0).known && out.size() <= 1)
    tv.known = n.input(0).known;
  n.setResult(0, tv);
  return success();
}

LogicalResult importFlatten(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  int64_t rank = n.rank(0);
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.fail("axis is out of range");
  Sizes dims = dimsOf(n.b, n.loc, n.operand(0));
  Sizes out = {productOf(n.b, n.loc, ArrayRef(dims).take_front(axis)),
               productOf(n.b, n.loc, ArrayRef(dims).drop_front(axis))};
  n.setResult(0, buildReshape(n.b, n.loc, n.operand(0), out), n.isUnsigned(0));
  return success();
}

/// Squeeze/Unsqueeze whose axes are only known at run time: a reshape to a
/// shape computed at run time (the result's rank is static).
LogicalResult importRuntimeSqueeze(NodeImporter &n, bool unsqueeze) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  int64_t rank = n.rank(0);
  auto raw = known(n, 1);
  if (!raw)
    return n.fail("axes must have a static length");
  int64_t outRank = unsqueeze ? rank + raw->size() : rank - raw->size();
  if (outRank < 0)
    return n.fail("more axes than dimensions");
  auto axes = n.runtimeAxes(1, unsqueeze ? outRank : rank);
  if (failed(axes))
    return failure();
  Sizes dims = dimsOf(b, loc, n.operand(0)), out;
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  if (unsqueeze) {
    // Output j is 1 where it is an axis, else input dimension j - #(axes < j).
    for (int64_t j = 0; j < outRank; ++j) {
      Value jv = arith::ConstantIndexOp::create(b, loc, j);
      Value before = arith::ConstantIndexOp::create(b, loc, 0);
      for (Value a : *axes) {
        Value lt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a, jv);
        before = arith::AddIOp::create(b, loc, before, arith::SelectOp::create(b, loc, lt, one,
                                         arith::ConstantIndexOp::create(b, loc, 0)));
      }
      Value src = arith::SubIOp::create(b, loc, jv, before);
      Value size = selectByIndex(b, loc, src, dims, b.getIndexAttr(1));
      out.push_back(arith::SelectOp::create(b, loc, hasAxis(b, loc, *axes, j), one, size).getResult());
    }
  } else {
    out = squeezedSizes(b, loc, dims, *axes, outRank);
  }
  n.setResult(0, buildReshape(b, loc, n.operand(0), out), n.isUnsigned(0));
  return success();
}

LogicalResult importSqueeze(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  int64_t rank = n.rank(0);
  if (n.opset >= 13 && n.hasInput(1) && !n.constInts(1))
    return importRuntimeSqueeze(n, /*unsqueeze=*/false);
  auto axes = axesOf(n, 1, 13, rank);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> list;
  RankedTensorType t = n.type(0);
  if (*axes) {
    list = **axes;
    for (int64_t a : list)
      if (!t.isDynamicDim(a) && t.getDimSize(a) != 1)
        return n.fail("cannot squeeze dimension " + Twine(a) + " of size " +
                      Twine(t.getDimSize(a)));
  } else {
    for (int64_t d = 0; d < rank; ++d)
      if (t.getDimSize(d) == 1)
        list.push_back(d);
  }
  TensorValue tv;
  tv.value = buildSqueeze(n.b, n.loc, n.operand(0), list);
  tv.isUnsigned = n.isUnsigned(0);
  tv.known = n.input(0).known;
  n.setResult(0, tv);
  return success();
}

LogicalResult importUnsqueeze(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  std::optional<SmallVector<int64_t>> raw;
  if (n.opset < 13)
    raw = n.attrInts("axes");
  else if (n.hasInput(1))
    raw = n.constInts(1);
  if (!raw && n.opset >= 13 && n.hasInput(1))
    return importRuntimeSqueeze(n, /*unsqueeze=*/true);
  if (!raw || raw->empty())
    return n.fail("Unsqueeze needs axes");
  int64_t outRank = n.rank(0) + raw->size();
  SmallVector<int64_t> axes;
  for (int64_t a : *raw) {
    auto norm = normalizeAxis(a, outRank);
    if (failed(norm))
      return n.fail("axis " + Twine(a) + " is out of range");
    axes.push_back(*norm);
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return n.fail("axes contain duplicates");
  TensorValue tv;
  tv.value = buildUnsqueeze(n.b, n.loc, n.operand(0), axes);
  tv.isUnsigned = n.isUnsigned(0);
  if (outRank <= 1)
    tv.known = n.input(0).known;
  n.setResult(0, tv);
  return success();
}

LogicalResult importTranspose(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  int64_t rank = n.rank(0);
  SmallVector<int64_t> perm = n.attrInts("perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (static_cast<int64_t>(perm.size()) != rank ||
      llvm::any_of(llvm::enumerate(sorted),
                   [](auto p) { return p.value() != int64_t(p.index()); }))
    return n.fail("perm is not a permutation of the input's dimensions");
  n.setResult(0, buildTranspose(n.b, n.loc, n.operand(0), perm),
              n.isUnsigned(0));
  return success();
}

LogicalResult importConcat(NodeImporter &n) {
  auto present = n.sameTypeInputs();
  if (failed(present))
    return failure();
  SmallVector<Value> inputs = *present;
  int64_t rank = n.rank(0);
  for (Value v : inputs)
    if (cast<RankedTensorType>(v.getType()).getRank() != rank)
      return n.fail("inputs must have the same rank");
  auto axis = normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  // Known shape vectors concatenate at import time too.
  std::optional<Sizes> elems;
  if (rank == 1 && isa<IntegerType>(n.elementType(0))) {
    elems.emplace();
    for (int i = 0; i < n.numInputs() && elems; ++i) {
      if (!n.hasInput(i))
        continue;
      auto k = n.input(i).known ? n.input(i).known : known(n, i);
      if (!k)
        elems.reset();
      else
        elems->append(k->begin(), k->end());
    }
  }
  Value result = inputs.size() == 1
                     ? inputs[0]
                     : tensor::ConcatOp::create(n.b, n.loc, *axis, inputs)
                           .getResult();
  n.setResult(0, result, n.isUnsigned(0), elems);
  return success();
}

/// Normalized slice parameters of one axis: offset, size, stride.
struct SliceDim {
  OpFoldResult offset, size;
  int64_t step;
};

/// ONNX Slice clamping for one axis of size `dim`.
SliceDim sliceDim(OpBuilder &b, Location loc, OpFoldResult dim, int64_t start,
                  int64_t end, int64_t step) {
  // Large sentinels (INT64_MAX, INT_MAX) mean "to the end".
  constexpr int64_t kHuge = int64_t(1) << 40;
  auto d = constantOf(dim);
  auto normalize = [&](int64_t v, int64_t lo, int64_t hiOffset) -> OpFoldResult {
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
    OpFoldResult len = maxIndex(b, loc, subIndex(b, loc, e, s), b.getIndexAttr(0));
    return {s, divIndex(b, loc, len, b.getIndexAttr(step), /*ceil=*/true), step};
  }
  OpFoldResult s = normalize(start, 0, -1), e = normalize(end, -1, -1);
  OpFoldResult len = maxIndex(b, loc, subIndex(b, loc, s, e), b.getIndexAttr(0));
  return {s, divIndex(b, loc, len, b.getIndexAttr(-step), /*ceil=*/true), step};
}

/// Reads `input` at `offset + i * step` along every dimension: a plain
/// extract_slice for positive steps, a gather for negative ones.
Value buildStridedSlice(OpBuilder &b, Location loc, Value input,
                        ArrayRef<SliceDim> dims) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  bool negative = false;
  for (const SliceDim &d : dims) {
    offsets.push_back(d.offset);
    sizes.push_back(d.size);
    strides.push_back(b.getIndexAttr(d.step));
    negative |= d.step < 0;
  }
  auto type = cast<RankedTensorType>(input.getType());
  // Empty results read nothing (and an offset into an empty dimension would
  // not verify).
  if (llvm::any_of(sizes, [](OpFoldResult s) { return constantOf(s) == 0; }) ||
      llvm::any_of(type.getShape(), [](int64_t d) { return d == 0; }))
    return emptyTensor(b, loc, sizes, type.getElementType());
  if (!negative)
    return tensor::ExtractSliceOp::create(b, loc, input, offsets, sizes,
                                          strides);
  Value init = emptyTensor(b, loc, sizes, type.getElementType());
  SmallVector<utils::IteratorType> iterators(dims.size(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{}, init,
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(dims.size())},
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange) {
               SmallVector<Value> idx;
               for (auto [i, d] : llvm::enumerate(dims)) {
                 Value iv = linalg::IndexOp::create(nb, l, i);
                 Value scaled = arith::MulIOp::create(
                     nb, l, iv, arith::ConstantIndexOp::create(nb, l, d.step));
                 idx.push_back(arith::AddIOp::create(
                     nb, l, indexValue(nb, l, d.offset), scaled));
               }
               linalg::YieldOp::create(
                   nb, l, tensor::ExtractOp::create(nb, l, input, idx).getResult());
             })
      .getResult(0);
}

/// A generic over `outSizes` with no inputs whose body computes each element
/// from the iteration indices.
Value buildIndexed(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> outSizes,
                   Type elementType,
                   function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> body,
                   ValueRange inputs = {}, ArrayRef<AffineMap> inputMaps = {}) {
  int64_t rank = outSizes.size();
  Value init = emptyTensor(b, loc, outSizes, elementType);
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < rank; ++d)
                 idx.push_back(linalg::IndexOp::create(nb, l, d));
               SmallVector<Value> all(args.drop_back());
               all.append(idx.begin(), idx.end());
               linalg::YieldOp::create(nb, l, body(nb, l, all));
             })
      .getResult(0);
}

/// Slice whose axes or steps are only known at run time: every dimension's
/// start, end and step are chosen and clamped at run time (ONNX's rules for
/// both signs of the step), and the result is gathered element by element.
LogicalResult importRuntimeSlice(NodeImporter &n) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  int64_t rank = n.rank(0);
  auto starts = known(n, 1), ends = known(n, 2);
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
    steps = known(n, 4);
    if (!steps)
      return n.fail("steps must have a static length");
  } else {
    steps = Sizes(count, b.getIndexAttr(1));
  }
  if (ends->size() != count || axes.size() != count || steps->size() != count)
    return n.fail("starts, ends, axes and steps must have the same length");
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  auto sel = [&](Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y).getResult();
  };
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y).getResult();
  };
  auto clamp = [&](Value v, Value lo, Value hi) {
    return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo), hi).getResult();
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
    Value zero = c(0), minusOne = c(-1), last = arith::SubIOp::create(b, loc, dim, c(1));
    Value startW = sel(cmp(arith::CmpIPredicate::slt, start, zero),
                       arith::AddIOp::create(b, loc, start, dim), start);
    Value endW = sel(cmp(arith::CmpIPredicate::slt, end, zero),
                     arith::AddIOp::create(b, loc, end, dim), end);
    Value positive = cmp(arith::CmpIPredicate::sgt, step, zero);
    Value s = sel(positive, clamp(startW, zero, dim), clamp(startW, zero, last));
    Value e = sel(positive, clamp(endW, zero, dim), clamp(endW, minusOne, last));
    Value span = sel(positive, arith::SubIOp::create(b, loc, e, s), arith::SubIOp::create(b, loc, s, e));
    Value absStep = sel(positive, step, arith::SubIOp::create(b, loc, zero, step));
    Value len = arith::MaxSIOp::create(b, loc, arith::CeilDivSIOp::create(b, loc, span, absStep), zero);
    offsets.push_back(s);
    strides.push_back(step);
    sizes.push_back(len);
  }
  Value input = n.operand(0);
  Value v = buildIndexed(b, loc, sizes, n.elementType(0),
                         [&](OpBuilder &nb, Location l, ArrayRef<Value> idx) -> Value {
                           SmallVector<Value> src;
                           for (int64_t d = 0; d < rank; ++d)
                             src.push_back(arith::AddIOp::create(
                                 nb, l, offsets[d], arith::MulIOp::create(nb, l, idx[d], strides[d])));
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
    starts = known(n, 1);
    ends = known(n, 2);
    if (!starts || !ends)
      return n.fail("starts and ends must have a static length");
    if ((n.hasInput(3) && !n.constInts(3)) || (n.hasInput(4) && !n.constInts(4)))
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
    split = known(n, 1);
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
      OpFoldResult end = minIndex(n.b, n.loc, addIndex(n.b, n.loc, begin, part), dim);
      sizes.push_back(maxIndex(n.b, n.loc, subIndex(n.b, n.loc, end, begin),
                               n.b.getIndexAttr(0)));
    }
  }
  OpFoldResult total = n.b.getIndexAttr(0);
  for (OpFoldResult s : sizes)
    total = addIndex(n.b, n.loc, total, s);
  if (constantOf(total) && constantOf(dim) && *constantOf(total) != *constantOf(dim))
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

/// Bidirectional broadcast of `input`'s shape with `shape` (Expand).
Sizes expandShape(NodeImporter &n, Value input, const Sizes &shape) {
  Sizes in = dimsOf(n.b, n.loc, input);
  int64_t rank = std::max(in.size(), shape.size());
  Sizes out;
  for (int64_t j = 0; j < rank; ++j) {
    int64_t i = j - (rank - in.size()), s = j - (rank - shape.size());
    if (i < 0) {
      out.push_back(shape[s]);
      continue;
    }
    if (s < 0) {
      out.push_back(in[i]);
      continue;
    }
    auto ci = constantOf(in[i]), cs = constantOf(shape[s]);
    if (cs == 1)
      out.push_back(in[i]);
    else if (ci == 1)
      out.push_back(shape[s]);
    else
      out.push_back(ci ? in[i] : shape[s]);
  }
  return out;
}

LogicalResult importExpand(NodeImporter &n) {
  if (failed(n.require(0, "input")) || failed(n.require(1, "shape")))
    return failure();
  auto shape = known(n, 1);
  if (!shape)
    return n.fail("shape must have a static length");
  Sizes out = expandShape(n, n.operand(0), *shape);
  // Static sizes that are neither equal nor 1 do not broadcast.
  Sizes in = dimsOf(n.b, n.loc, n.operand(0));
  for (size_t j = 0; j < std::min(in.size(), shape->size()); ++j) {
    auto ci = constantOf(in[in.size() - 1 - j]);
    auto cs = constantOf((*shape)[shape->size() - 1 - j]);
    if (ci && cs && *ci != 1 && *cs != 1 && *ci != *cs)
      return n.fail("cannot expand size " + Twine(*ci) + " to " + Twine(*cs));
  }
  Value v = buildElementwiseTo(
      n.b, n.loc, n.operand(0), out, n.elementType(0),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  n.setResult(0, v, n.isUnsigned(0));
  return success();
}

LogicalResult importTile(NodeImporter &n) {
  if (failed(n.require(0, "input")) || failed(n.require(1, "repeats")))
    return failure();
  auto repeats = known(n, 1);
  if (!repeats || static_cast<int64_t>(repeats->size()) != n.rank(0))
    return n.fail("repeats must have one entry per input dimension");
  Sizes in = dimsOf(n.b, n.loc, n.operand(0)), out;
  for (auto [d, r] : llvm::zip(in, *repeats))
    out.push_back(mulIndex(n.b, n.loc, d, r));
  Value input = n.operand(0);
  Value v = buildIndexed(n.b, n.loc, out, n.elementType(0),
                         [&](OpBuilder &b, Location l, ArrayRef<Value> idx) -> Value {
                           SmallVector<Value> src;
                           for (auto [i, d] : llvm::enumerate(in))
                             src.push_back(arith::RemUIOp::create(
                                 b, l, idx[i], indexValue(b, l, d)));
                           return tensor::ExtractOp::create(b, l, input, src);
                         });
  n.setResult(0, v, n.isUnsigned(0));
  return success();
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  auto shape = known(n, 0);
  if (!shape)
    return n.fail("shape must have a static length");
  Type type = n.b.getF32Type();
  double value = 0;
  bool isUnsigned = false;
  if (const auto *a = n.attr("value")) {
    type = convertElementType(n.b.getContext(), a->t().data_type());
    if (!type)
      return n.fail("unsupported value type");
    isUnsigned = isUnsignedDataType(a->t().data_type());
    std::string saved = n.graph.error;
    auto tv = n.graph.importTensor(a->t(), n.b, n.loc, "value");
    if (failed(tv)) {
      std::string message = n.graph.error;
      n.graph.error = saved;
      return n.fail(message);
    }
    auto dense = dyn_cast<DenseElementsAttr>(
        tv->value.getDefiningOp<arith::ConstantOp>().getValue());
    if (!dense || dense.getNumElements() != 1)
      return n.fail("value must hold exactly one element");
    if (isa<FloatType>(type))
      value = (*dense.getValues<APFloat>().begin()).convertToDouble();
    else
      value = isUnsigned ? (*dense.getValues<APInt>().begin()).getZExtValue()
                         : (*dense.getValues<APInt>().begin()).getSExtValue();
  }
  for (OpFoldResult s : *shape)
    if (auto c = constantOf(s); c && *c < 0)
      return n.fail("shape has a negative size");
  Value scalar = scalarConstant(n.b, n.loc, type, value);
  std::optional<Sizes> k;
  if (isa<IntegerType>(type) && !type.isInteger(1) && shape->size() == 1 &&
      constantOf((*shape)[0]) && *constantOf((*shape)[0]) <= 64)
    k = Sizes(*constantOf((*shape)[0]),
              n.b.getIndexAttr(static_cast<int64_t>(value)));
  n.setResult(0, filledTensor(n.b, n.loc, *shape, scalar), isUnsigned, k);
  return success();
}

LogicalResult importRange(NodeImporter &n) {
  for (int i = 0; i < 3; ++i)
    if (failed(n.require(i, i == 0 ? "start" : i == 1 ? "limit" : "delta")))
      return failure();
  Type t = n.elementType(0);
  for (int i = 0; i < 3; ++i)
    if (n.rank(i) != 0 || n.elementType(i) != t)
      return n.fail("start, limit and delta must be scalars of one type");
  auto scalar = [&](OpBuilder &b, Location l, int i) -> Value {
    return tensor::ExtractOp::create(b, l, n.operand(i), ValueRange{});
  };
  OpFoldResult count;
  std::optional<Sizes> elems;
  if (isa<IntegerType>(t)) {
    auto s = known(n, 0), lim = known(n, 1), d = known(n, 2);
    if (!s || !lim || !d)
      return n.fail("integer range bounds could not be read");
    auto dc = constantOf((*d)[0]);
    if (dc == 0)
      return n.fail("delta must not be 0");
    OpFoldResult span = subIndex(n.b, n.loc, (*lim)[0], (*s)[0]);
    // ceil(span / delta) for either sign of delta, at least 0.
    count = maxIndex(n.b, n.loc, divIndex(n.b, n.loc, span, (*d)[0], true),
                     n.b.getIndexAttr(0));
    if (auto c = constantOf(count); c && dc && *c <= 64) {
      elems.emplace();
      for (int64_t i = 0; i < *c; ++i)
        elems->push_back(addIndex(n.b, n.loc, (*s)[0], n.b.getIndexAttr(i * *dc)));
    }
  } else {
    if (auto d = n.constFloats(2); d && (*d)[0] == 0)
      return n.fail("delta must not be 0");
    Value s = scalar(n.b, n.loc, 0), lim = scalar(n.b, n.loc, 1),
          d = scalar(n.b, n.loc, 2);
    Value q = arith::DivFOp::create(n.b, n.loc, arith::SubFOp::create(n.b, n.loc, lim, s), d);
    q = math::CeilOp::create(n.b, n.loc, q);
    q = arith::MaximumFOp::create(n.b, n.loc, q, scalarConstant(n.b, n.loc, t, 0));
    count = convertScalar(n.b, n.loc, q, n.b.getIndexType(), false, false);
  }
  Value v = buildIndexed(
      n.b, n.loc, {count}, t, [&](OpBuilder &b, Location l, ArrayRef<Value> idx) -> Value {
        Value s = scalar(b, l, 0), d = scalar(b, l, 2);
        Value i = convertScalar(b, l, idx[0], t, false, false);
        if (isa<FloatType>(t))
          return arith::AddFOp::create(b, l, s, arith::MulFOp::create(b, l, i, d));
        return arith::AddIOp::create(b, l, s, arith::MulIOp::create(b, l, i, d));
      });
  n.setResult(0, v, false, elems);
  return success();
}

/// An index read from an ONNX index tensor element, wrapped when negative.
Value wrapIndex(OpBuilder &b, Location l, Value raw, OpFoldResult dim) {
  Value i = convertScalar(b, l, raw, b.getIndexType(), false, false);
  Value d = indexValue(b, l, dim);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, l, i, d);
  Value r = arith::SelectOp::create(b, l, neg, wrapped, i);
  // Out-of-range indices are undefined in ONNX; clamp so reads stay inside.
  Value hi = arith::SubIOp::create(b, l, d, arith::ConstantIndexOp::create(b, l, 1));
  r = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, r, zero), hi);
  return r;
}

LogicalResult importGather(NodeImporter &n) {
  if (failed(n.require(0, "data")) || failed(n.require(1, "indices")))
    return failure();
  int64_t rank = n.rank(0), q = n.rank(1);
  auto axis = normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  if (!isa<IntegerType>(n.elementType(1)))
    return n.fail("indices must be integers");
  Sizes data = dimsOf(n.b, n.loc, n.operand(0));
  Sizes idxDims = dimsOf(n.b, n.loc, n.operand(1));
  Sizes out(data.begin(), data.begin() + *axis);
  out.append(idxDims.begin(), idxDims.end());
  out.append(data.begin() + *axis + 1, data.end());
  SmallVector<AffineExpr> exprs;
  for (int64_t j = 0; j < q; ++j)
    exprs.push_back(n.b.getAffineDimExpr(*axis + j));
  AffineMap idxMap = AffineMap::get(out.size(), 0, exprs, n.b.getContext());
  Value input = n.operand(0);
  Value v = buildIndexed(
      n.b, n.loc, out, n.elementType(0),
      [&](OpBuilder &b, Location l, ArrayRef<Value> args) -> Value {
        Value raw = args[0];
        ArrayRef<Value> idx = args.drop_front();
        SmallVector<Value> src(idx.begin(), idx.begin() + *axis);
        src.push_back(wrapIndex(b, l, raw, data[*axis]));
        src.append(idx.begin() + *axis + q, idx.end());
        return tensor::ExtractOp::create(b, l, input, src);
      },
      n.operand(1), idxMap);
  // Gathering from a known shape vector (Shape → Gather) stays known.
  std::optional<Sizes> k;
  if (rank == 1 && n.input(0).known && q <= 1)
    if (auto ids = n.constInts(1)) {
      k.emplace();
      int64_t size = n.input(0).known->size();
      for (int64_t id : *ids) {
        if (id < 0)
          id += size;
        if (id < 0 || id >= size) {
          k.reset();
          break;
        }
        k->push_back((*n.input(0).known)[id]);
      }
    }
  n.setResult(0, v, n.isUnsigned(0), k);
  return success();
}

LogicalResult importGatherElements(NodeImporter &n) {
  if (failed(n.require(0, "data")) || failed(n.require(1, "indices")))
    return failure();
  int64_t rank = n.rank(0);
  if (n.rank(1) != rank)
    return n.fail("indices must have the data's rank");
  auto axis = normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  Sizes data = dimsOf(n.b, n.loc, n.operand(0));
  Value input = n.operand(0);
  Value v = buildIndexed(
      n.b, n.loc, dimsOf(n.b, n.loc, n.operand(1)), n.elementType(0),
      [&](OpBuilder &b, Location l, ArrayRef<Value> args) -> Value {
        SmallVector<Value> src(args.drop_front());
        src[*axis] = wrapIndex(b, l, args[0], data[*axis]);
        return tensor::ExtractOp::create(b, l, input, src);
      },
      n.operand(1), n.b.getMultiDimIdentityMap(rank));
  n.setResult(0, v, n.isUnsigned(0));
  return success();
}

LogicalResult importGatherND(NodeImporter &n) {
  if (failed(n.require(0, "data")) || failed(n.require(1, "indices")))
    return failure();
  int64_t r = n.rank(0), q = n.rank(1);
  int64_t batch = n.attrInt("batch_dims", 0);
  int64_t k = n.type(1).getDimSize(q - 1);
  if (q < 1 || ShapedType::isDynamic(k) || batch + k > r || batch >= q)
    return n.fail("indices must end in a static dimension k with batch_dims + "
                  "k <= data rank");
  Sizes data = dimsOf(n.b, n.loc, n.operand(0));
  Sizes idx = dimsOf(n.b, n.loc, n.operand(1));
  Sizes out(idx.begin(), idx.end() - 1);
  out.append(data.begin() + batch + k, data.end());
  Value input = n.operand(0), indices = n.operand(1);
  Value v = buildIndexed(
      n.b, n.loc, out, n.elementType(0),
      [&](OpBuilder &b, Location l, ArrayRef<Value> iv) -> Value {
        SmallVector<Value> src(iv.begin(), iv.begin() + batch);
        SmallVector<Value> at(iv.begin(), iv.begin() + (q - 1));
        for (int64_t j = 0; j < k; ++j) {
          at.push_back(arith::ConstantIndexOp::create(b, l, j));
          Value raw = tensor::ExtractOp::create(b, l, indices, at);
          at.pop_back();
          src.push_back(wrapIndex(b, l, raw, data[batch + j]));
        }
        src.append(iv.begin() + (q - 1), iv.end());
        return tensor::ExtractOp::create(b, l, input, src);
      });
  n.setResult(0, v, n.isUnsigned(0));
  return success();
}

LogicalResult importScatterND(NodeImporter &n) {
  if (failed(n.require(0, "data")) || failed(n.require(1, "indices")) ||
      failed(n.require(2, "updates")))
    return failure();
  std::string reduction = n.attrString("reduction", "none");
  Type t = n.elementType(0);
  int64_t r = n.rank(0), q = n.rank(1);
  int64_t k = n.type(1).getDimSize(q - 1);
  if (ShapedType::isDynamic(k) || k > r)
    return n.fail("the last dimension of indices must be static and <= rank");
  bool isF = isa<FloatType>(t);
  bool u = n.isUnsigned(0);
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return n.fail("unknown reduction '" + reduction + "'");
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Sizes data = dimsOf(b, loc, n.operand(0));
  Sizes idx = dimsOf(b, loc, n.operand(1));
  // Flatten the update index space: updates [i0..iq-2, rest...] → [N, rest].
  OpFoldResult count = productOf(b, loc, ArrayRef(idx).drop_back());
  Sizes flatIdx = {count, b.getIndexAttr(k)};
  Value indices = buildReshape(b, loc, n.operand(1), flatIdx);
  Sizes rest(data.begin() + k, data.end());
  Sizes flatUpd = {count};
  flatUpd.append(rest.begin(), rest.end());
  Value updates = buildReshape(b, loc, n.operand(2), flatUpd);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, indexValue(b, loc, count), one, ValueRange{n.operand(0)},
      [&](OpBuilder &lb, Location l, Value i, ValueRange iter) {
        SmallVector<OpFoldResult> offsets, sizes, strides;
        for (int64_t j = 0; j < k; ++j) {
          Value raw = tensor::ExtractOp::create(
              lb, l, indices, ValueRange{i, arith::ConstantIndexOp::create(lb, l, j)});
          offsets.push_back(wrapIndex(lb, l, raw, data[j]));
          sizes.push_back(lb.getIndexAttr(1));
        }
        for (OpFoldResult s : rest) {
          offsets.push_back(lb.getIndexAttr(0));
          sizes.push_back(s);
        }
        strides.assign(r, lb.getIndexAttr(1));
        // The update slice for index row i, shaped [1, rest...].
        SmallVector<OpFoldResult> uOff = {i}, uSize = {lb.getIndexAttr(1)},
                                  uStr(rest.size() + 1, lb.getIndexAttr(1));
        for (OpFoldResult s : rest) {
          uOff.push_back(lb.getIndexAttr(0));
          uSize.push_back(s);
        }
        auto sliceType = RankedTensorType::get(staticShape(rest), t);
        Value upd = tensor::ExtractSliceOp::create(lb, l, sliceType, updates,
                                                   uOff, uSize, uStr);
        if (reduction != "none") {
          Value old = tensor::ExtractSliceOp::create(lb, l, sliceType, iter[0],
                                                     offsets, sizes, strides);
          upd = buildElementwiseTo(
              lb, l, {old, upd}, rest, t,
              [&](OpBuilder &bb, Location ll, ValueRange a) -> Value {
                if (reduction == "add")
                  return isF ? arith::AddFOp::create(bb, ll, a[0], a[1]).getResult()
                             : arith::AddIOp::create(bb, ll, a[0], a[1]).getResult();
                if (reduction == "mul")
                  return isF ? arith::MulFOp::create(bb, ll, a[0], a[1]).getResult()
                             : arith::MulIOp::create(bb, ll, a[0], a[1]).getResult();
                if (reduction == "max")
                  return isF ? arith::MaximumFOp::create(bb, ll, a[0], a[1]).getResult()
                         : u ? arith::MaxUIOp::create(bb, ll, a[0], a[1]).getResult()
                             : arith::MaxSIOp::create(bb, ll, a[0], a[1]).getResult();
                return isF ? arith::MinimumFOp::create(bb, ll, a[0], a[1]).getResult()
                       : u ? arith::MinUIOp::create(bb, ll, a[0], a[1]).getResult()
                           : arith::MinSIOp::create(bb, ll, a[0], a[1]).getResult();
              });
        }
        Value next = tensor::InsertSliceOp::create(lb, l, upd, iter[0], offsets,
                                                   sizes, strides);
        scf::YieldOp::create(lb, l, next);
      });
  n.setResult(0, loop.getResult(0), u);
  return success();
}

/// Pads `input` by `lo`/`hi` (non-negative) in an ONNX Pad mode.
FailureOr<Value> buildPadded(NodeImporter &n, Value input,
                             ArrayRef<OpFoldResult> lo, ArrayRef<OpFoldResult> hi,
                             StringRef mode, Value padValue) {
  auto type = cast<RankedTensorType>(input.getType());
  Type t = type.getElementType();
  int64_t rank = type.getRank();
  Sizes dims = dimsOf(n.b, n.loc, input), out;
  for (int64_t d = 0; d < rank; ++d)
    out.push_back(addIndex(n.b, n.loc, dims[d], addIndex(n.b, n.loc, lo[d], hi[d])));
  if (mode == "constant")
    return tensor::PadOp::create(n.b, n.loc, RankedTensorType::get(staticShape(out), t),
                                 input, lo, hi, padValue)
        .getResult();
  if (mode != "edge" && mode != "reflect" && mode != "wrap")
    return n.fail("unknown mode '" + mode + "'");
  return buildIndexed(
      n.b, n.loc, out, t, [&](OpBuilder &b, Location l, ArrayRef<Value> idx) -> Value {
        SmallVector<Value> src;
        for (int64_t d = 0; d < rank; ++d) {
          Value size = indexValue(b, l, dims[d]);
          Value i = arith::SubIOp::create(b, l, idx[d], indexValue(b, l, lo[d]));
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value last = arith::SubIOp::create(b, l, size, arith::ConstantIndexOp::create(b, l, 1));
          if (mode == "edge") {
            i = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, i, zero), last);
          } else if (mode == "wrap") {
            Value m = arith::RemSIOp::create(b, l, i, size);
            Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, m, zero);
            i = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, m, size), m);
          } else {
            // reflect: mirror at both ends without repeating the edge.
            Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
            i = arith::SelectOp::create(b, l, neg, arith::SubIOp::create(b, l, zero, i), i);
            Value over = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, i, last);
            Value mirrored = arith::SubIOp::create(
                b, l, arith::MulIOp::create(b, l, last, arith::ConstantIndexOp::create(b, l, 2)), i);
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
      runtimePads = known(n, 1);
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
    // Pads known only at run time are taken as non-negative.
    if (static_cast<int64_t>(runtimePads->size()) != 2 * static_cast<int64_t>(axes.size()))
      return n.fail("pads must have two entries per padded axis");
    SmallVector<OpFoldResult> lo(rank, n.b.getIndexAttr(0)), hi(rank, n.b.getIndexAttr(0));
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
  if (static_cast<int64_t>(pads->size()) != 2 * static_cast<int64_t>(axes.size()))
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
      int64_t lo = std::max<int64_t>(0, -low[d]), hi = std::max<int64_t>(0, -high[d]);
      slices.push_back({n.b.getIndexAttr(lo),
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

LogicalResult importDepthSpace(NodeImporter &n, bool toSpace) {
  if (failed(n.require(0, "input")))
    return failure();
  if (n.rank(0) != 4)
    return n.fail("input must be 4-D NCHW");
  int64_t bs = n.attrInt("blocksize", 0);
  if (bs <= 0)
    return n.fail("blocksize must be positive");
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Sizes d = dimsOf(b, loc, n.operand(0));
  OpFoldResult B = b.getIndexAttr(bs);
  auto divisible = [&](OpFoldResult size, int64_t by) {
    auto c = constantOf(size);
    return !c || *c % by == 0;
  };
  if (toSpace ? !divisible(d[1], bs * bs)
              : !divisible(d[2], bs) || !divisible(d[3], bs))
    return n.fail(toSpace ? "channels must be a multiple of blocksize^2"
                          : "height and width must be multiples of blocksize");
  Value x = n.operand(0), y;
  if (toSpace) {
    bool crd = n.attrString("mode", "DCR") == "CRD";
    OpFoldResult c = divIndex(b, loc, d[1], mulIndex(b, loc, B, B));
    if (crd) {
      x = buildReshape(b, loc, x, {d[0], c, B, B, d[2], d[3]});
      x = buildTranspose(b, loc, x, {0, 1, 4, 2, 5, 3});
    } else {
      x = buildReshape(b, loc, x, {d[0], B, B, c, d[2], d[3]});
      x = buildTranspose(b, loc, x, {0, 3, 4, 1, 5, 2});
    }
    y = buildReshape(b, loc, x, {d[0], c, mulIndex(b, loc, d[2], B), mulIndex(b, loc, d[3], B)});
  } else {
    OpFoldResult h = divIndex(b, loc, d[2], B), w = divIndex(b, loc, d[3], B);
    x = buildReshape(b, loc, x, {d[0], d[1], h, B, w, B});
    x = buildTranspose(b, loc, x, {0, 3, 5, 1, 2, 4});
    y = buildReshape(b, loc, x, {d[0], mulIndex(b, loc, d[1], mulIndex(b, loc, B, B)), h, w});
  }
  n.setResult(0, y, n.isUnsigned(0));
  return success();
}

LogicalResult importTrilu(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  int64_t rank = n.rank(0);
  if (rank < 2)
    return n.fail("input must have rank >= 2");
  bool upper = n.attrInt("upper", 1);
  OpFoldResult k = n.b.getIndexAttr(0);
  if (n.hasInput(1)) {
    auto kv = known(n, 1);
    if (!kv || kv->size() != 1)
      return n.fail("k must be a scalar");
    k = (*kv)[0];
  }
  Type t = n.elementType(0);
  Value v = buildIndexed(
      n.b, n.loc, dimsOf(n.b, n.loc, n.operand(0)), t,
      [&](OpBuilder &b, Location l, ArrayRef<Value> args) -> Value {
        Value x = args[0];
        Value i = args[1 + rank - 2], j = args[1 + rank - 1];
        Value diff = arith::SubIOp::create(b, l, j, i);
        Value kk = indexValue(b, l, k);
        Value keep = arith::CmpIOp::create(
            b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, kk);
        return arith::SelectOp::create(b, l, keep, x, scalarConstant(b, l, t, 0));
      },
      n.operand(0), n.b.getMultiDimIdentityMap(rank));
  n.setResult(0, v, n.isUnsigned(0));
  return success();
}

LogicalResult importOneHot(NodeImporter &n) {
  for (int i = 0; i < 3; ++i)
    if (failed(n.require(i, i == 0 ? "indices" : i == 1 ? "depth" : "values")))
      return failure();
  if (n.type(1).getNumElements() != 1)
    return n.fail("depth must be a scalar");
  OpFoldResult depth;
  if (auto c = n.constFloats(1)) {
    if ((*c)[0] < 1)
      return n.fail("depth must be positive");
    depth = n.b.getIndexAttr(static_cast<int64_t>((*c)[0]));
  } else {
    SmallVector<Value> zeros(n.rank(1), arith::ConstantIndexOp::create(n.b, n.loc, 0));
    Value d = tensor::ExtractOp::create(n.b, n.loc, n.operand(1), zeros);
    if (isa<FloatType>(d.getType()))
      d = arith::FPToSIOp::create(n.b, n.loc, n.b.getI64Type(), d);
    depth = convertScalar(n.b, n.loc, d, n.b.getIndexType(), n.isUnsigned(1), false);
  }
  int64_t q = n.rank(0);
  auto axis = normalizeAxis(n.attrInt("axis", -1), q + 1);
  if (failed(axis))
    return n.fail("axis is out of range");
  if (n.rank(2) != 1 || n.type(2).getDimSize(0) != 2)
    return n.fail("values must be [off_value, on_value]");
  Sizes idx = dimsOf(n.b, n.loc, n.operand(0));
  Sizes out(idx.begin(), idx.end());
  out.insert(out.begin() + *axis, depth);
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d <= q; ++d)
    if (d != *axis)
      exprs.push_back(n.b.getAffineDimExpr(d));
  AffineMap map = AffineMap::get(q + 1, 0, exprs, n.b.getContext());
  Value values = n.operand(2);
  Type it = n.elementType(0);
  bool idxFloat = isa<FloatType>(it);
  Value v = buildIndexed(
      n.b, n.loc, out, n.elementType(2),
      [&](OpBuilder &b, Location l, ArrayRef<Value> args) -> Value {
        Value raw = args[0];
        if (idxFloat)
          raw = arith::FPToSIOp::create(b, l, b.getI64Type(), raw);
        Value i = convertScalar(b, l, raw, b.getIndexType(), false, false);
        Value d = indexValue(b, l, depth);
        Value zero = arith::ConstantIndexOp::create(b, l, 0);
        Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
        i = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, i, d), i);
        Value hot = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                          args[1 + *axis]);
        Value off = tensor::ExtractOp::create(b, l, values, ValueRange{zero});
        Value on = tensor::ExtractOp::create(
            b, l, values, ValueRange{arith::ConstantIndexOp::create(b, l, 1)});
        return arith::SelectOp::create(b, l, hot, on, off);
      },
      n.operand(0), map);
  n.setResult(0, v, n.isUnsigned(2));
  return success();
}

LogicalResult importEyeLike(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  if (n.rank(0) != 2)
    return n.fail("input must be 2-D");
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  if (n.hasAttr("dtype")) {
    int32_t dt = n.attrInt("dtype", 1);
    t = convertElementType(n.b.getContext(), dt);
    if (!t)
      return n.fail("unsupported dtype");
    u = isUnsignedDataType(dt);
  }
  int64_t k = n.attrInt("k", 0);
  Value v = buildIndexed(
      n.b, n.loc, dimsOf(n.b, n.loc, n.operand(0)), t,
      [&](OpBuilder &b, Location l, ArrayRef<Value> idx) -> Value {
        Value shifted = arith::AddIOp::create(b, l, idx[0], arith::ConstantIndexOp::create(b, l, k));
        Value on = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, shifted, idx[1]);
        return arith::SelectOp::create(b, l, on, scalarConstant(b, l, t, 1),
                                       scalarConstant(b, l, t, 0));
      });
  n.setResult(0, v, u);
  return success();
}

} // namespace

void mlir::qc::onnx::registerShapeOps(OpTable &t) {
  t["Constant"] = importConstant;
  t["Shape"] = importShape;
  t["Size"] = importSize;
  t["Reshape"] = importReshape;
  t["Flatten"] = importFlatten;
  t["Squeeze"] = importSqueeze;
  t["Unsqueeze"] = importUnsqueeze;
  t["Transpose"] = importTranspose;
  t["Concat"] = importConcat;
  t["Slice"] = importSlice;
  t["Split"] = importSplit;
  t["Expand"] = importExpand;
  t["Tile"] = importTile;
  t["ConstantOfShape"] = importConstantOfShape;
  t["Range"] = importRange;
  t["Gather"] = importGather;
  t["GatherElements"] = importGatherElements;
  t["GatherND"] = importGatherND;
  t["ScatterND"] = importScatterND;
  t["Pad"] = importPad;
  t["DepthToSpace"] = [](NodeImporter &n) { return importDepthSpace(n, true); };
  t["SpaceToDepth"] = [](NodeImporter &n) { return importDepthSpace(n, false); };
  t["Trilu"] = importTrilu;
  t["OneHot"] = importOneHot;
  t["EyeLike"] = importEyeLike;
}
