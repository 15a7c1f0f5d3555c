//===- ImportShape.cpp - shape and layout ONNX ops ------------------------===//
//
// Reshapes, transposes and concatenations become tensor/linalg ops. Ops
// that produce small integer vectors (Shape, Gather on a shape, Concat,
// Slice, ...) also record their elements, symbolic where only known at run
// time, so that Reshape/Slice/Expand further down see static sizes wherever
// the model makes them so.
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
#include "llvm/Support/CheckedArithmetic.h"

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
    shape = n.knownInts(1);
    if (!shape)
      return n.fail("shape must have a static length of at most 64");
  }
  bool allowZero = n.attrInt("allowzero", 0);
  Sizes inDims = dimsOf(n.b, n.loc, n.operand(0));
  Sizes out;
  int inferred = -1;
  SmallVector<size_t> runtimeSizes;
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
    } else if (!c) {
      // Known only at run time: it may still be 0 (copy) or -1 (infer).
      Value v = getValueOrCreateConstantIndexOp(n.b, n.loc, s);
      if (!allowZero && i < inDims.size()) {
        Value zero = arith::ConstantIndexOp::create(n.b, n.loc, 0);
        Value isZero = arith::CmpIOp::create(n.b, n.loc,
                                             arith::CmpIPredicate::eq, v, zero);
        v = arith::SelectOp::create(
            n.b, n.loc, isZero,
            getValueOrCreateConstantIndexOp(n.b, n.loc, inDims[i]), v);
      }
      runtimeSizes.push_back(i);
      out.push_back(v);
    } else {
      out.push_back(s);
    }
  }
  // The shape's static sizes come from the model: their product must fit
  // int64 before anything multiplies them (a fuzzed shape overflowed here).
  int64_t staticCount = 1;
  for (OpFoldResult d : out)
    if (auto c = constantOf(d)) {
      std::optional<int64_t> p = llvm::checkedMul(staticCount, *c);
      if (!p)
        return n.fail("shape's element count overflows int64");
      staticCount = *p;
    }
  if (inferred < 0 && !runtimeSizes.empty()) {
    // A run-time -1 takes what the other sizes leave of the element count.
    Value minusOne = arith::ConstantIndexOp::create(n.b, n.loc, -1);
    Value one = arith::ConstantIndexOp::create(n.b, n.loc, 1);
    SmallVector<Value> isInferred(out.size());
    Sizes known(out);
    for (size_t i : runtimeSizes) {
      Value v = cast<Value>(out[i]);
      isInferred[i] = arith::CmpIOp::create(
          n.b, n.loc, arith::CmpIPredicate::eq, v, minusOne);
      known[i] = arith::SelectOp::create(n.b, n.loc, isInferred[i], one, v)
                     .getResult();
    }
    // At least 1: a zero-sized dimension beside a run-time -1 must not
    // divide by zero (the element-count check below refuses it).
    Value rest = getValueOrCreateConstantIndexOp(
        n.b, n.loc,
        maxIndex(n.b, n.loc, productOf(n.b, n.loc, known),
                 n.b.getIndexAttr(1)));
    Value total = getValueOrCreateConstantIndexOp(
        n.b, n.loc, productOf(n.b, n.loc, inDims));
    Value size = arith::DivSIOp::create(n.b, n.loc, total, rest);
    for (size_t i : runtimeSizes)
      out[i] = arith::SelectOp::create(n.b, n.loc, isInferred[i], size,
                                       cast<Value>(out[i]))
                   .getResult();
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
      OpFoldResult rest =
          maxIndex(n.b, n.loc, productOf(n.b, n.loc, out), n.b.getIndexAttr(1));
      out[inferred] = divIndex(n.b, n.loc, total, rest);
    }
  }
  // Element counts must agree: static ones here, the others at run time (a
  // reshape to another count would read past the data).
  OpFoldResult inTotal = productOf(n.b, n.loc, inDims);
  OpFoldResult outTotal = productOf(n.b, n.loc, out);
  auto inCount = constantOf(inTotal), outCount = constantOf(outTotal);
  if (inCount && outCount && *inCount != *outCount)
    return n.fail("cannot reshape " + Twine(*inCount) + " elements into " +
                  Twine(*outCount));
  if (!inCount || !outCount)
    qc::AssumeEqualOp::create(
        n.b, n.loc, getValueOrCreateConstantIndexOp(n.b, n.loc, inTotal),
        getValueOrCreateConstantIndexOp(n.b, n.loc, outTotal),
        n.b.getStringAttr("Reshape element count"));
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
  auto raw = n.knownInts(1);
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
        Value lt =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a, jv);
        before = arith::AddIOp::create(
            b, loc, before,
            arith::SelectOp::create(b, loc, lt, one,
                                    arith::ConstantIndexOp::create(b, loc, 0)));
      }
      Value src = arith::SubIOp::create(b, loc, jv, before);
      Value size = selectByIndex(b, loc, src, dims, b.getIndexAttr(1));
      out.push_back(
          arith::SelectOp::create(b, loc, hasAxis(b, loc, *axes, j), one, size)
              .getResult());
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
      auto k = n.input(i).known ? n.input(i).known : n.knownInts(i);
      if (!k)
        elems.reset();
      else
        elems->append(k->begin(), k->end());
    }
  }
  // Inputs of static size 0 along the axis add nothing (tensor.concat's
  // decomposition would insert them at an offset past the end, which the
  // verifier refuses); one is kept when all are empty.
  SmallVector<Value> pieces;
  for (Value v : inputs)
    if (cast<RankedTensorType>(v.getType()).getDimSize(*axis) != 0)
      pieces.push_back(v);
  if (pieces.empty())
    pieces.push_back(inputs.front());
  Value result =
      pieces.size() == 1
          ? pieces[0]
          : tensor::ConcatOp::create(n.b, n.loc, *axis, pieces).getResult();
  n.setResult(0, result, n.isUnsigned(0), elems);
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
    if (cs == 1) {
      out.push_back(in[i]);
    } else if (ci == 1) {
      out.push_back(shape[s]);
    } else if (ci) {
      out.push_back(in[i]);
    } else {
      // The input's size is known only at run time and is read as the
      // output's: checked there (a dynamic input size of 1 is not
      // broadcast). A requested size of 1 keeps the input's, as ONNX says.
      Value inSize = getValueOrCreateConstantIndexOp(n.b, n.loc, in[i]);
      Value size = getValueOrCreateConstantIndexOp(n.b, n.loc, shape[s]);
      if (!cs) {
        Value one = arith::ConstantIndexOp::create(n.b, n.loc, 1);
        Value keep = arith::CmpIOp::create(n.b, n.loc, arith::CmpIPredicate::eq,
                                           size, one);
        size = arith::SelectOp::create(n.b, n.loc, keep, inSize, size);
      }
      out.push_back(size);
      qc::AssumeEqualOp::create(
          n.b, n.loc, inSize, size,
          n.b.getStringAttr("Expand dimension " + std::to_string(j)));
    }
  }
  return out;
}

LogicalResult importExpand(NodeImporter &n) {
  if (failed(n.require(0, "input")) || failed(n.require(1, "shape")))
    return failure();
  auto shape = n.knownInts(1);
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

LogicalResult importConstantOfShape(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  auto shape = n.knownInts(0);
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
              n.b.getIndexAttr(saturatingInt64(value)));
  n.setResult(0, filledTensor(n.b, n.loc, *shape, scalar), isUnsigned, k);
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
    y = buildReshape(
        b, loc, x,
        {d[0], c, mulIndex(b, loc, d[2], B), mulIndex(b, loc, d[3], B)});
  } else {
    OpFoldResult h = divIndex(b, loc, d[2], B), w = divIndex(b, loc, d[3], B);
    x = buildReshape(b, loc, x, {d[0], d[1], h, B, w, B});
    x = buildTranspose(b, loc, x, {0, 3, 5, 1, 2, 4});
    y = buildReshape(
        b, loc, x,
        {d[0], mulIndex(b, loc, d[1], mulIndex(b, loc, B, B)), h, w});
  }
  n.setResult(0, y, n.isUnsigned(0));
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
  t["Expand"] = importExpand;
  t["ConstantOfShape"] = importConstantOfShape;
  t["DepthToSpace"] = [](NodeImporter &n) { return importDepthSpace(n, true); };
  t["SpaceToDepth"] = [](NodeImporter &n) {
    return importDepthSpace(n, false);
  };
}
