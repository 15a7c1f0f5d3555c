//===- ImportIndexing.cpp - ops whose elements follow index arithmetic ----===//
//
// Gather/Scatter, Tile, Range, OneHot, Trilu, EyeLike: each output element is
// computed from its indices in a linalg.generic (reading with tensor.extract
// where it gathers); ScatterND is an scf.for over the updates.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <numeric>

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

LogicalResult importTile(NodeImporter &n) {
  if (failed(n.require(0, "input")) || failed(n.require(1, "repeats")))
    return failure();
  auto repeats = n.knownInts(1);
  if (!repeats || static_cast<int64_t>(repeats->size()) != n.rank(0))
    return n.fail("repeats must have one entry per input dimension");
  Sizes in = dimsOf(n.b, n.loc, n.operand(0)), out;
  for (auto [d, r] : llvm::zip(in, *repeats))
    out.push_back(mulIndex(n.b, n.loc, d, r));
  Value input = n.operand(0);
  Value v =
      buildIndexed(n.b, n.loc, out, n.elementType(0),
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
    auto s = n.knownInts(0), lim = n.knownInts(1), d = n.knownInts(2);
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
        elems->push_back(
            addIndex(n.b, n.loc, (*s)[0], n.b.getIndexAttr(i * *dc)));
    }
  } else {
    if (auto d = n.constFloats(2); d && (*d)[0] == 0)
      return n.fail("delta must not be 0");
    Value s = scalar(n.b, n.loc, 0), lim = scalar(n.b, n.loc, 1),
          d = scalar(n.b, n.loc, 2);
    Value q = arith::DivFOp::create(
        n.b, n.loc, arith::SubFOp::create(n.b, n.loc, lim, s), d);
    q = math::CeilOp::create(n.b, n.loc, q);
    q = arith::MaximumFOp::create(n.b, n.loc, q,
                                  scalarConstant(n.b, n.loc, t, 0));
    count = convertScalar(n.b, n.loc, q, n.b.getIndexType(), false, false);
  }
  Value v =
      buildIndexed(n.b, n.loc, {count}, t,
                   [&](OpBuilder &b, Location l, ArrayRef<Value> idx) -> Value {
                     Value s = scalar(b, l, 0), d = scalar(b, l, 2);
                     Value i = convertScalar(b, l, idx[0], t, false, false);
                     if (isa<FloatType>(t))
                       return arith::AddFOp::create(
                           b, l, s, arith::MulFOp::create(b, l, i, d));
                     return arith::AddIOp::create(
                         b, l, s, arith::MulIOp::create(b, l, i, d));
                   });
  n.setResult(0, v, false, elems);
  return success();
}

/// Indices taken straight from a graph input into an axis of static size
/// `size`: the input's argument gets qc.index_range = [-size, size - 1]
/// (intersected with what other nodes need) and qc.index_node, which the
/// artifact's signature carries so that the runtime refuses an id outside
/// the table before the run (ONNX: out of range is an error; the compiled
/// gather would clamp it).
void recordIndexRange(NodeImporter &n, Value indices, int64_t size) {
  auto arg = dyn_cast<BlockArgument>(indices);
  if (!arg || ShapedType::isDynamic(size) || size <= 0)
    return;
  auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!func)
    return; // a subgraph's argument, not a graph input
  int64_t lo = -size, hi = size - 1;
  unsigned i = arg.getArgNumber();
  if (auto old = func.getArgAttrOfType<DenseI64ArrayAttr>(i, "qc.index_range");
      old && old.size() == 2) {
    if (old[0] >= lo && old[1] <= hi)
      return;
    lo = std::max(lo, old[0]);
    hi = std::min(hi, old[1]);
  }
  func.setArgAttr(i, "qc.index_range", n.b.getDenseI64ArrayAttr({lo, hi}));
  func.setArgAttr(i, "qc.index_node",
                  n.b.getStringAttr(!n.node.name().empty() ? n.node.name()
                                    : n.hasOutput(0)       ? n.node.output(0)
                                                           : "Gather"));
}

/// ONNX: an index outside [-size, size) is an error. The compiled code
/// checks the smallest and the largest index against the axis
/// (qc.assume_in_range, two reductions over the index tensor ahead of the
/// op, so its loops pay nothing); a violation stops the run with a status
/// naming the node. Constant indices are reduced here, and their checks
/// fold away when they hold; one that does not fails only a run that
/// reaches it (an If branch may never run). The gathers still clamp what
/// they read, as a second line of defence.
void checkIndices(NodeImporter &n, Value indices, OpFoldResult dim,
                  StringRef what) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  auto type = cast<RankedTensorType>(indices.getType());
  Type t = type.getElementType();
  Value lo, hi;
  DenseIntElementsAttr known;
  if (matchPattern(indices, m_Constant(&known))) {
    if (known.empty())
      return;
    int64_t smallest = INT64_MAX, largest = INT64_MIN;
    for (const APInt &v : known.getValues<APInt>()) {
      smallest = std::min(smallest, v.getSExtValue());
      largest = std::max(largest, v.getSExtValue());
    }
    lo = arith::ConstantIndexOp::create(b, loc, smallest);
    hi = arith::ConstantIndexOp::create(b, loc, largest);
  } else {
    auto extreme = [&](bool largest) -> Value {
      Value v = indices;
      if (type.getRank() > 0) {
        // From 0 (smallest) and -1 (largest): an empty tensor is guarded
        // below, and for a non-empty one they change no verdict.
        SmallVector<int64_t> all(type.getRank());
        std::iota(all.begin(), all.end(), 0);
        v = buildReduction(
            b, loc, indices, all, false,
            scalarConstant(b, loc, t, largest ? -1 : 0),
            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              if (largest)
                return arith::MaxSIOp::create(nb, l, a[0], a[1]);
              return arith::MinSIOp::create(nb, l, a[0], a[1]);
            });
      }
      Value scalar = tensor::ExtractOp::create(b, loc, v, ValueRange{});
      return convertScalar(b, loc, scalar, b.getIndexType(), false, false);
    };
    lo = extreme(false);
    hi = extreme(true);
  }
  Value bound = indexValue(b, loc, dim);
  // No index, nothing to check (even against an empty axis): index 0 of
  // size 1 stands in.
  if (type.getRank() > 0 && !type.hasStaticShape()) {
    Value count =
        indexValue(b, loc, productOf(b, loc, dimsOf(b, loc, indices)));
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value empty =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, count, zero);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    lo = arith::SelectOp::create(b, loc, empty, zero, lo);
    hi = arith::SelectOp::create(b, loc, empty, zero, hi);
    bound = arith::SelectOp::create(b, loc, empty, one, bound);
  } else if (type.getNumElements() == 0) {
    return;
  }
  for (Value index : {lo, hi})
    qc::AssumeInRangeOp::create(b, loc, index, bound, b.getStringAttr(what));
}

/// Column `j` of an index tensor [..., k] (GatherND, ScatterND), as
/// [..., 1].
Value indexColumn(OpBuilder &b, Location loc, Value indices, int64_t j) {
  auto type = cast<RankedTensorType>(indices.getType());
  int64_t q = type.getRank();
  Sizes offsets(q, b.getIndexAttr(0)), sizes = dimsOf(b, loc, indices),
                                       strides(q, b.getIndexAttr(1));
  offsets[q - 1] = b.getIndexAttr(j);
  sizes[q - 1] = b.getIndexAttr(1);
  return tensor::ExtractSliceOp::create(b, loc, indices, offsets, sizes,
                                        strides);
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
  // A graph input into a static, non-empty axis is checked by the runtime
  // before the run (recordIndexRange); anything else here.
  auto arg = dyn_cast<BlockArgument>(n.operand(1));
  if (arg && isa<func::FuncOp>(arg.getOwner()->getParentOp()) &&
      n.type(0).getDimSize(*axis) > 0)
    recordIndexRange(n, n.operand(1), n.type(0).getDimSize(*axis));
  else
    checkIndices(n, n.operand(1), data[*axis], "indices");
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
  if (!isa<IntegerType>(n.elementType(1)))
    return n.fail("indices must be integers");
  Sizes data = dimsOf(n.b, n.loc, n.operand(0));
  checkIndices(n, n.operand(1), data[*axis], "indices");
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
  if (!isa<IntegerType>(n.elementType(1)))
    return n.fail("indices must be integers");
  int64_t r = n.rank(0), q = n.rank(1);
  int64_t batch = n.attrInt("batch_dims", 0);
  if (q < 1 || batch < 0)
    return n.fail("indices must have rank >= 1 and batch_dims be >= 0");
  int64_t k = n.type(1).getDimSize(q - 1);
  if (ShapedType::isDynamic(k) || batch + k > r || batch >= q)
    return n.fail("indices must end in a static dimension k with batch_dims + "
                  "k <= data rank");
  Sizes data = dimsOf(n.b, n.loc, n.operand(0));
  Sizes idx = dimsOf(n.b, n.loc, n.operand(1));
  Sizes out(idx.begin(), idx.end() - 1);
  out.append(data.begin() + batch + k, data.end());
  Value input = n.operand(0), indices = n.operand(1);
  for (int64_t j = 0; j < k; ++j)
    checkIndices(n, indexColumn(n.b, n.loc, indices, j), data[batch + j],
                 "indices column " + std::to_string(j));
  Value v =
      buildIndexed(n.b, n.loc, out, n.elementType(0),
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
  if (!isa<IntegerType>(n.elementType(1)))
    return n.fail("indices must be integers");
  std::string reduction = n.attrString("reduction", "none");
  Type t = n.elementType(0);
  int64_t r = n.rank(0), q = n.rank(1);
  if (q < 1)
    return n.fail("indices must have rank >= 1");
  int64_t k = n.type(1).getDimSize(q - 1);
  if (ShapedType::isDynamic(k) || k > r)
    return n.fail("the last dimension of indices must be static and <= rank");
  bool u = n.isUnsigned(0);
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return n.fail("unknown reduction '" + reduction + "'");
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Sizes data = dimsOf(b, loc, n.operand(0));
  Sizes idx = dimsOf(b, loc, n.operand(1));
  for (int64_t j = 0; j < k; ++j)
    checkIndices(n, indexColumn(b, loc, n.operand(1), j), data[j],
                 "indices column " + std::to_string(j));
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
              lb, l, indices,
              ValueRange{i, arith::ConstantIndexOp::create(lb, l, j)});
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
                Combine op = reduction == "add"   ? Combine::Add
                             : reduction == "mul" ? Combine::Mul
                             : reduction == "max" ? Combine::Max
                                                  : Combine::Min;
                return combineScalars(bb, ll, op, a[0], a[1], u);
              });
        }
        Value next = tensor::InsertSliceOp::create(lb, l, upd, iter[0], offsets,
                                                   sizes, strides);
        scf::YieldOp::create(lb, l, next);
      });
  n.setResult(0, loop.getResult(0), u);
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
    auto kv = n.knownInts(1);
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
        return arith::SelectOp::create(b, l, keep, x,
                                       scalarConstant(b, l, t, 0));
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
    SmallVector<Value> zeros(n.rank(1),
                             arith::ConstantIndexOp::create(n.b, n.loc, 0));
    Value d = tensor::ExtractOp::create(n.b, n.loc, n.operand(1), zeros);
    if (isa<FloatType>(d.getType()))
      d = arith::FPToSIOp::create(n.b, n.loc, n.b.getI64Type(), d);
    depth = convertScalar(n.b, n.loc, d, n.b.getIndexType(), n.isUnsigned(1),
                          false);
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
        Value neg =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
        i = arith::SelectOp::create(b, l, neg,
                                    arith::AddIOp::create(b, l, i, d), i);
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
        Value shifted = arith::AddIOp::create(
            b, l, idx[0], arith::ConstantIndexOp::create(b, l, k));
        Value on = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                         shifted, idx[1]);
        return arith::SelectOp::create(b, l, on, scalarConstant(b, l, t, 1),
                                       scalarConstant(b, l, t, 0));
      });
  n.setResult(0, v, u);
  return success();
}

} // namespace

void mlir::qc::onnx::registerIndexingOps(OpTable &t) {
  t["Tile"] = importTile;
  t["Range"] = importRange;
  t["Gather"] = importGather;
  t["GatherElements"] = importGatherElements;
  t["GatherND"] = importGatherND;
  t["ScatterND"] = importScatterND;
  t["Trilu"] = importTrilu;
  t["OneHot"] = importOneHot;
  t["EyeLike"] = importEyeLike;
}
