//===- ImportControlFlow.cpp - If and LSTM --------------------------------===//
//
// If becomes scf.if with each branch graph imported into its region; names
// from enclosing graphs resolve through the parent importer. LSTM becomes an
// scf.for over time steps whose gate products are qc.matmul, so that
// quantization sees the recurrent weights like any other linear layer.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/ConstantEval.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include <functional>

using namespace mlir;
using namespace mlir::qc::onnx;

LogicalResult mlir::qc::onnx::importSubgraph(
    NodeImporter &parent, const ::onnx::GraphProto &graph, Region &region,
    SmallVectorImpl<Value> &results, SmallVectorImpl<bool> &resultsUnsigned,
    SmallVectorImpl<std::optional<SmallVector<OpFoldResult>>> *known) {
  if (graph.input_size())
    return parent.fail("subgraphs with inputs are not supported here");
  Block *block = new Block();
  region.push_back(block);
  OpBuilder b(parent.b.getContext());
  b.setInsertionPointToStart(block);
  GraphImporter sub(parent.graph.context, parent.graph.table, parent.opset,
                    parent.graph.modelPath, parent.graph.error, &parent.graph);
  if (failed(sub.importBody(graph, b)))
    return failure();
  for (const auto &output : graph.output()) {
    const TensorValue *tv = sub.lookup(output.name());
    if (!tv)
      return parent.fail("subgraph output '" + output.name() +
                         "' is never produced");
    results.push_back(tv->value);
    resultsUnsigned.push_back(tv->isUnsigned);
    if (known)
      known->push_back(tv->known);
  }
  return success();
}

namespace {

using Sizes = SmallVector<OpFoldResult>;

int64_t hiddenSize(NodeImporter &n) {
  return n.attrInt("hidden_size", n.type(2).getDimSize(2));
}

LogicalResult importIf(NodeImporter &n) {
  if (failed(n.require(0, "cond")))
    return failure();
  if (!n.elementType(0).isInteger(1) || n.type(0).getNumElements() != 1)
    return n.fail("cond must be a single bool");
  const auto *thenAttr = n.attr("then_branch");
  const auto *elseAttr = n.attr("else_branch");
  if (!thenAttr || !elseAttr || !thenAttr->has_g() || !elseAttr->has_g())
    return n.fail("needs then_branch and else_branch graphs");
  // A condition known at import (exporters test static sizes, e.g. "is
  // this dim 1" before a Squeeze) selects its branch, whose ops are inlined:
  // the branches may then differ in type, even in rank.
  if (DenseElementsAttr cond = evaluateConstant(n.operand(0))) {
    const auto &branch =
        cond.getValues<bool>()[0] ? thenAttr->g() : elseAttr->g();
    Region region;
    SmallVector<Value> results;
    SmallVector<bool> resultsUnsigned;
    SmallVector<std::optional<SmallVector<OpFoldResult>>> known;
    if (failed(importSubgraph(n, branch, region, results, resultsUnsigned,
                              &known)))
      return failure();
    if (static_cast<int>(results.size()) != n.numOutputs())
      return n.fail("branches must produce one value per output");
    Block *here = n.b.getInsertionBlock();
    here->getOperations().splice(n.b.getInsertionPoint(),
                                 region.front().getOperations());
    // Values known at import stay known (a Reshape after the If reads them).
    for (int i = 0; i < n.numOutputs(); ++i)
      n.setResult(i, results[i], resultsUnsigned[i], known[i]);
    return success();
  }
  // Branches are imported into detached regions first: the scf.if's result
  // types are only known once both are.
  auto thenRegion = std::make_unique<Region>(),
       elseRegion = std::make_unique<Region>();
  SmallVector<Value> thenResults, elseResults;
  SmallVector<bool> thenUnsigned, elseUnsigned;
  SmallVector<std::optional<SmallVector<OpFoldResult>>> thenKnown, elseKnown;
  if (failed(importSubgraph(n, thenAttr->g(), *thenRegion, thenResults,
                            thenUnsigned, &thenKnown)) ||
      failed(importSubgraph(n, elseAttr->g(), *elseRegion, elseResults,
                            elseUnsigned, &elseKnown)))
    return failure();
  if (thenResults.size() != elseResults.size() ||
      static_cast<int>(thenResults.size()) != n.numOutputs())
    return n.fail("branches must produce one value per output");
  Value cond = n.operand(0);
  SmallVector<Value> zeros(n.rank(0),
                           arith::ConstantIndexOp::create(n.b, n.loc, 0));
  Value c = tensor::ExtractOp::create(n.b, n.loc, cond, zeros);
  SmallVector<Type> types;
  bool rankDiffers = false;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(thenResults, elseResults))) {
    Type t = std::get<0>(pair).getType(), e = std::get<1>(pair).getType();
    auto rt = dyn_cast<RankedTensorType>(t), re = dyn_cast<RankedTensorType>(e);
    if (rt && re && rt.getElementType() == re.getElementType() &&
        thenUnsigned[i] == elseUnsigned[i] && rt.getRank() != re.getRank()) {
      rankDiffers = true;
      continue;
    }
    std::optional<Type> joined = joinTensorTypes(t, e);
    if (!joined || thenUnsigned[i] != elseUnsigned[i]) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << "branch outputs #" << i << " have incompatible types: then " << t
         << ", else " << e;
      return n.fail(s);
    }
    types.push_back(*joined);
  }
  if (rankDiffers) {
    // No ranked type holds both: the rest of the graph is imported once per
    // branch (GraphImporter::importAfterSplit).
    auto split = std::make_unique<GraphImporter::RankSplit>();
    split->node = &n.node;
    split->condition = c;
    split->regions[0] = std::move(thenRegion);
    split->regions[1] = std::move(elseRegion);
    for (int i = 0; i < n.numOutputs(); ++i) {
      split->results[0].push_back(
          {thenResults[i], thenUnsigned[i], std::move(thenKnown[i])});
      split->results[1].push_back(
          {elseResults[i], elseUnsigned[i], std::move(elseKnown[i])});
    }
    n.graph.split = std::move(split);
    return success();
  }
  auto yield = [&](Region &region, SmallVector<Value> &values) {
    OpBuilder b(n.b.getContext());
    b.setInsertionPointToEnd(&region.front());
    SmallVector<Value> cast;
    for (auto [v, t] : llvm::zip(values, types))
      cast.push_back(v.getType() == t
                         ? v
                         : tensor::CastOp::create(b, n.loc, t, v).getResult());
    scf::YieldOp::create(b, n.loc, cast);
  };
  yield(*thenRegion, thenResults);
  yield(*elseRegion, elseResults);
  auto ifOp = scf::IfOp::create(n.b, n.loc, types, c, /*addThenBlock=*/false,
                                /*addElseBlock=*/false);
  ifOp.getThenRegion().takeBody(*thenRegion);
  ifOp.getElseRegion().takeBody(*elseRegion);
  for (int i = 0; i < n.numOutputs(); ++i)
    n.setResult(i, ifOp.getResult(i), thenUnsigned[i]);
  return success();
}

/// An activation of the LSTM's f/g/h slots.
FailureOr<std::function<Value(OpBuilder &, Location, Value)>>
lstmActivation(NodeImporter &n, StringRef name) {
  auto one = [](OpBuilder &b, Location l, Value x) {
    return scalarConstant(b, l, x.getType(), 1);
  };
  if (name == "Sigmoid")
    return std::function<Value(OpBuilder &, Location, Value)>(
        [one](OpBuilder &b, Location l, Value x) -> Value {
          Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
          return arith::DivFOp::create(
              b, l, one(b, l, x), arith::AddFOp::create(b, l, one(b, l, x), e));
        });
  if (name == "Tanh")
    return std::function<Value(OpBuilder &, Location, Value)>(
        [](OpBuilder &b, Location l, Value x) -> Value {
          return math::TanhOp::create(b, l, x);
        });
  if (name == "Relu")
    return std::function<Value(OpBuilder &, Location, Value)>(
        [](OpBuilder &b, Location l, Value x) -> Value {
          return arith::MaximumFOp::create(
              b, l, x, scalarConstant(b, l, x.getType(), 0));
        });
  return n.fail("LSTM activation '" + name + "' is not supported");
}

/// One direction of an LSTM: returns Y [S, B, H], H and C [B, H].
struct LstmResult {
  Value y, h, c;
};

/// `x` is [S, B, I]; `initH`/`initC` are [D, B, H] or null; `seqLens` [B]
/// or null.
FailureOr<LstmResult> buildLstmDirection(
    NodeImporter &n, Value x, Value initH, Value initC, Value seqLens,
    int64_t dir, bool reverse,
    ArrayRef<std::function<Value(OpBuilder &, Location, Value)>> acts,
    float clip) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  auto xt = cast<RankedTensorType>(x.getType());
  Type t = xt.getElementType();
  int64_t hidden = hiddenSize(n);
  Sizes xd = dimsOf(b, loc, x);
  auto pickFrom = [&](Value v) -> Value {
    // Slice direction `dir` out of a [D, ...] tensor.
    auto type = cast<RankedTensorType>(v.getType());
    Sizes sizes = dimsOf(b, loc, v);
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
        strides(type.getRank(), b.getIndexAttr(1));
    offsets[0] = b.getIndexAttr(dir);
    sizes[0] = b.getIndexAttr(1);
    Value s =
        tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
    return buildSqueeze(b, loc, s, {0});
  };
  auto pick = [&](int input) { return pickFrom(n.operand(input)); };
  Value w = buildTranspose(b, loc, pick(1), {1, 0}); // [I, 4H]
  Value r = buildTranspose(b, loc, pick(2), {1, 0}); // [H, 4H]
  auto resultType = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, t);
  };
  // X·Wᵀ for every step at once: [S, B, 4H].
  Value xw = qc::MatmulOp::create(
      b, loc, resultType({xt.getDimSize(0), xt.getDimSize(1), 4 * hidden}), x,
      w);
  std::string error;
  if (n.hasInput(3)) {
    Value bias = pick(3); // [8H]
    SmallVector<OpFoldResult> off = {b.getIndexAttr(0)},
                              sz = {b.getIndexAttr(4 * hidden)},
                              st = {b.getIndexAttr(1)};
    Value wb = tensor::ExtractSliceOp::create(b, loc, bias, off, sz, st);
    off[0] = b.getIndexAttr(4 * hidden);
    Value rb = tensor::ExtractSliceOp::create(b, loc, bias, off, sz, st);
    FailureOr<Value> biased = buildElementwise(
        b, loc, {xw, wb, rb}, t,
        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(
              nb, l, a[0], arith::AddFOp::create(nb, l, a[1], a[2]));
        },
        error);
    if (failed(biased))
      return n.fail("B: " + error);
    xw = *biased;
  }
  Sizes bh = {xd[1], b.getIndexAttr(hidden)};
  Value zero = scalarConstant(b, loc, t, 0);
  Value h0 = initH ? pickFrom(initH) : filledTensor(b, loc, bh, zero);
  Value c0 = initC ? pickFrom(initC) : filledTensor(b, loc, bh, zero);
  Value peep = n.hasInput(7) ? pick(7) : Value(); // [3H]: i, o, f
  Sizes yd = {xd[0], xd[1], b.getIndexAttr(hidden)};
  Value y0 = filledTensor(b, loc, yd, zero);
  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value ub = indexValue(b, loc, xd[0]);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto hType = RankedTensorType::get(staticShape(bh), t);
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, step, ValueRange{h0, c0, y0},
      [&](OpBuilder &lb2, Location l, Value iv, ValueRange iter) {
        Value tt = iv;
        if (reverse)
          tt = arith::SubIOp::create(lb2, l,
                                     arith::SubIOp::create(lb2, l, ub, iv),
                                     arith::ConstantIndexOp::create(lb2, l, 1));
        SmallVector<OpFoldResult> off = {tt, lb2.getIndexAttr(0),
                                         lb2.getIndexAttr(0)};
        SmallVector<OpFoldResult> sz = {lb2.getIndexAttr(1), xd[1],
                                        lb2.getIndexAttr(4 * hidden)};
        SmallVector<OpFoldResult> st(3, lb2.getIndexAttr(1));
        Value xwt = tensor::ExtractSliceOp::create(
            lb2, l, RankedTensorType::get({xt.getDimSize(1), 4 * hidden}, t),
            xw, off, sz, st);
        Value hr = qc::MatmulOp::create(
            lb2, l, RankedTensorType::get({xt.getDimSize(1), 4 * hidden}, t),
            iter[0], r);
        auto gate = [&](Value g, int64_t which) -> Value {
          SmallVector<OpFoldResult> go = {lb2.getIndexAttr(0),
                                          lb2.getIndexAttr(which * hidden)};
          SmallVector<OpFoldResult> gs = {xd[1], lb2.getIndexAttr(hidden)};
          SmallVector<OpFoldResult> gst(2, lb2.getIndexAttr(1));
          return tensor::ExtractSliceOp::create(lb2, l, hType, g, go, gs, gst);
        };
        SmallVector<Value> inputs;
        for (int64_t g = 0; g < 4; ++g) { // i, o, f, c
          inputs.push_back(gate(xwt, g));
          inputs.push_back(gate(hr, g));
        }
        inputs.push_back(iter[1]);
        inputs.push_back(iter[0]);
        SmallVector<AffineMap> maps(inputs.size(),
                                    lb2.getMultiDimIdentityMap(2));
        if (seqLens) {
          inputs.push_back(seqLens);
          maps.push_back(AffineMap::get(2, 0, {lb2.getAffineDimExpr(0)},
                                        lb2.getContext()));
        }
        maps.append(3, lb2.getMultiDimIdentityMap(2));
        Value cInit = emptyTensor(lb2, l, bh, t),
              hInit = emptyTensor(lb2, l, bh, t),
              yInit = emptyTensor(lb2, l, bh, t);
        SmallVector<utils::IteratorType> it(2, utils::IteratorType::parallel);
        auto cell = linalg::GenericOp::create(
            lb2, l, TypeRange{hType, hType, hType}, inputs,
            ValueRange{cInit, hInit, yInit}, maps, it,
            [&](OpBuilder &nb, Location ll, ValueRange a) {
              auto pre = [&](int g) -> Value {
                Value v = arith::AddFOp::create(nb, ll, a[2 * g], a[2 * g + 1]);
                if (clip > 0)
                  v = arith::MinimumFOp::create(
                      nb, ll,
                      arith::MaximumFOp::create(
                          nb, ll, v, scalarConstant(nb, ll, t, -clip)),
                      scalarConstant(nb, ll, t, clip));
                return v;
              };
              Value cPrev = a[8];
              auto peephole = [&](Value v, int64_t which, Value c) -> Value {
                if (!peep)
                  return v;
                // P holds [Pi, Po, Pf] in one vector of 3H.
                Value j = linalg::IndexOp::create(nb, ll, 1);
                Value col =
                    arith::AddIOp::create(nb, ll, j,
                                          arith::ConstantIndexOp::create(
                                              nb, ll, which * hiddenSize(n)));
                Value pv =
                    tensor::ExtractOp::create(nb, ll, peep, ValueRange{col});
                return arith::AddFOp::create(
                    nb, ll, v, arith::MulFOp::create(nb, ll, pv, c));
              };
              Value i = acts[0](nb, ll, peephole(pre(0), 0, cPrev));
              Value f = acts[0](nb, ll, peephole(pre(2), 2, cPrev));
              Value g = acts[1](nb, ll, pre(3));
              Value c = arith::AddFOp::create(
                  nb, ll, arith::MulFOp::create(nb, ll, f, cPrev),
                  arith::MulFOp::create(nb, ll, i, g));
              Value o = acts[0](nb, ll, peephole(pre(1), 1, c));
              Value h = arith::MulFOp::create(nb, ll, o, acts[2](nb, ll, c));
              // Past a sequence's length its state stays and its output is 0.
              Value y = h;
              if (seqLens) {
                Value step =
                    convertScalar(nb, ll, tt, a[10].getType(), false, false);
                Value valid = arith::CmpIOp::create(
                    nb, ll, arith::CmpIPredicate::slt, step, a[10]);
                c = arith::SelectOp::create(nb, ll, valid, c, cPrev);
                h = arith::SelectOp::create(nb, ll, valid, h, a[9]);
                y = arith::SelectOp::create(nb, ll, valid, y,
                                            scalarConstant(nb, ll, t, 0));
              }
              linalg::YieldOp::create(nb, ll, ValueRange{c, h, y});
            });
        Value cNext = cell.getResult(0), hNext = cell.getResult(1);
        Value hRow = buildUnsqueeze(lb2, l, cell.getResult(2), {0});
        SmallVector<OpFoldResult> yo = {tt, lb2.getIndexAttr(0),
                                        lb2.getIndexAttr(0)};
        SmallVector<OpFoldResult> ys = {lb2.getIndexAttr(1), xd[1],
                                        lb2.getIndexAttr(hidden)};
        Value y =
            tensor::InsertSliceOp::create(lb2, l, hRow, iter[2], yo, ys, st);
        scf::YieldOp::create(lb2, l, ValueRange{hNext, cNext, y});
      });
  return LstmResult{loop.getResult(2), loop.getResult(0), loop.getResult(1)};
}

LogicalResult importLstm(NodeImporter &n) {
  for (int i = 0; i < 3; ++i)
    if (failed(n.require(i, "X, W and R")))
      return failure();
  if (!isa<FloatType>(n.elementType(0)))
    return n.fail("X must be a float tensor");
  if (n.rank(0) != 3 || n.rank(1) != 3 || n.rank(2) != 3)
    return n.fail("X, W and R must be 3-D");
  // layout = 1 is batch-major: X [B, S, I], states [B, D, H].
  bool batchMajor = n.attrInt("layout", 0) != 0;
  if (n.attrInt("input_forget", 0))
    return n.fail("input_forget = 1 is not supported");
  if (n.hasInput(4) && n.attrString("direction", "forward") != "forward")
    return n.fail("sequence_lens is only supported for forward LSTMs");
  if (n.hasAttr("activation_alpha") || n.hasAttr("activation_beta"))
    return n.fail("activation_alpha/beta are not supported");
  int64_t hidden = hiddenSize(n);
  if (ShapedType::isDynamic(hidden) || n.type(1).getDimSize(1) != 4 * hidden)
    return n.fail(
        "W must be [D, 4 * hidden_size, I] with a static hidden size");
  std::string direction = n.attrString("direction", "forward");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return n.fail("unknown direction '" + direction + "'");
  // Every per-direction input is sliced by direction and read with the
  // sizes below: a static size that differs is refused here, a dynamic one
  // checked at run time (a smaller one would be read past).
  int64_t batchAxis = batchMajor ? 0 : 1;
  struct Expected {
    int input;
    const char *name;
    SmallVector<std::pair<int64_t, int64_t>> sizes; // (axis of X or -1, size)
  };
  const Expected expected[] = {
      {1, "W", {{-1, dirs}, {-1, 4 * hidden}, {2, 0}}},
      {2, "R", {{-1, dirs}, {-1, 4 * hidden}, {-1, hidden}}},
      {3, "B", {{-1, dirs}, {-1, 8 * hidden}}},
      {5, "initial_h", {{-1, dirs}, {batchAxis, 0}, {-1, hidden}}},
      {6, "initial_c", {{-1, dirs}, {batchAxis, 0}, {-1, hidden}}},
      {7, "P", {{-1, dirs}, {-1, 3 * hidden}}},
  };
  auto xType = n.type(0);
  for (const Expected &e : expected) {
    if (!n.hasInput(e.input))
      continue;
    auto type = n.type(e.input);
    int64_t rank = static_cast<int64_t>(e.sizes.size());
    if (type.getRank() != rank)
      return n.fail(Twine(e.name) + " must be " + Twine(rank) + "-D");
    for (auto [d, want] : llvm::enumerate(e.sizes)) {
      auto [xAxis, size] = want;
      // Batch-major states are [B, D, H]: direction and batch swap axes.
      int64_t axis = static_cast<int64_t>(d);
      if (batchMajor && e.input >= 5 && d < 2)
        axis = 1 - axis;
      int64_t have = type.getDimSize(axis);
      int64_t need = xAxis >= 0 ? xType.getDimSize(xAxis) : size;
      if (!ShapedType::isDynamic(have) && !ShapedType::isDynamic(need)) {
        if (have != need)
          return n.fail(Twine(e.name) + " dimension " + Twine(axis) + " is " +
                        Twine(have) + ", expected " + Twine(need));
        continue;
      }
      Value haveV = tensor::DimOp::create(n.b, n.loc, n.operand(e.input), axis);
      Value needV =
          xAxis >= 0
              ? tensor::DimOp::create(n.b, n.loc, n.operand(0), xAxis)
                    .getResult()
              : arith::ConstantIndexOp::create(n.b, n.loc, need).getResult();
      qc::AssumeEqualOp::create(
          n.b, n.loc, haveV, needV,
          n.b.getStringAttr(Twine(e.name) + " dimension " + Twine(axis)));
    }
  }
  SmallVector<std::string> names;
  if (const auto *a = n.attr("activations"))
    for (const auto &s : a->strings())
      names.push_back(s);
  if (names.empty())
    for (int64_t d = 0; d < dirs; ++d)
      names.append({"Sigmoid", "Tanh", "Tanh"});
  if (static_cast<int64_t>(names.size()) != 3 * dirs)
    return n.fail("activations must name 3 functions per direction");
  float clip = n.attrFloat("clip", 0.0f);
  Value x = n.operand(0);
  Value initH = n.hasInput(5) ? n.operand(5) : Value();
  Value initC = n.hasInput(6) ? n.operand(6) : Value();
  if (batchMajor) {
    x = buildTranspose(n.b, n.loc, x, {1, 0, 2});
    if (initH)
      initH = buildTranspose(n.b, n.loc, initH, {1, 0, 2});
    if (initC)
      initC = buildTranspose(n.b, n.loc, initC, {1, 0, 2});
  }
  SmallVector<LstmResult> results;
  for (int64_t d = 0; d < dirs; ++d) {
    SmallVector<std::function<Value(OpBuilder &, Location, Value)>> acts;
    for (int k = 0; k < 3; ++k) {
      auto a = lstmActivation(n, names[3 * d + k]);
      if (failed(a))
        return failure();
      acts.push_back(*a);
    }
    auto r = buildLstmDirection(n, x, initH, initC,
                                n.hasInput(4) ? n.operand(4) : Value(), d,
                                direction == "reverse" || d == 1, acts, clip);
    if (failed(r))
      return failure();
    results.push_back(*r);
  }
  auto stack = [&](auto get, int64_t axis) {
    SmallVector<Value> parts;
    for (auto &r : results)
      parts.push_back(buildUnsqueeze(n.b, n.loc, get(r), {axis}));
    return parts.size() == 1
               ? parts[0]
               : tensor::ConcatOp::create(n.b, n.loc, axis, parts).getResult();
  };
  Value y = stack([](LstmResult &r) { return r.y; }, 1);  // [S, D, B, H]
  Value yh = stack([](LstmResult &r) { return r.h; }, 0); // [D, B, H]
  Value yc = stack([](LstmResult &r) { return r.c; }, 0);
  if (batchMajor) {
    y = buildTranspose(n.b, n.loc, y, {2, 0, 1, 3}); // [B, S, D, H]
    yh = buildTranspose(n.b, n.loc, yh, {1, 0, 2});  // [B, D, H]
    yc = buildTranspose(n.b, n.loc, yc, {1, 0, 2});
  }
  n.setResult(0, y);
  n.setResult(1, yh);
  n.setResult(2, yc);
  return success();
}

} // namespace

void mlir::qc::onnx::registerControlFlowOps(OpTable &t) {
  t["If"] = importIf;
  t["LSTM"] = importLstm;
}
