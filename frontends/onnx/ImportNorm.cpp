//===- ImportNorm.cpp - normalization ONNX ops ----------------------------===//
//
// LayerNormalization becomes qc.layer_norm (quantization smooths into its
// scale). Batch and instance normalization are per-channel affine maps and
// reductions in linalg.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;

/// Mean and (population) variance of `x` over `axes`, keeping dimensions.
std::pair<Value, Value> meanAndVariance(OpBuilder &b, Location loc, Value x,
                                        ArrayRef<int64_t> axes) {
  Type t = cast<RankedTensorType>(x.getType()).getElementType();
  Sizes dims = dimsOf(b, loc, x);
  OpFoldResult count = b.getIndexAttr(1);
  for (int64_t a : axes)
    count = mulIndex(b, loc, count, dims[a]);
  Value c = sizeScalar(b, loc, count, t);
  auto sumOf = [&](Value v) {
    return buildReduction(b, loc, v, axes, true, scalarConstant(b, loc, t, 0),
                          [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            return arith::AddFOp::create(nb, l, a[1], a[0]);
                          });
  };
  auto divByCount = [&](Value v) {
    return buildElementwiseTo(
        b, loc, v, dimsOf(b, loc, v), t,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(nb, l, a[0], c);
        });
  };
  Value mean = divByCount(sumOf(x));
  // mean is x reduced with kept dimensions: it broadcasts onto x.
  Value sq =
      buildElementwiseTo(b, loc, {x, mean}, dimsOf(b, loc, x), t,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
                           return arith::MulFOp::create(nb, l, d, d);
                         });
  return {mean, divByCount(sumOf(sq))};
}

/// Mean and 1/sqrt(var + eps) of `x` over `axes`, keeping dimensions.
std::pair<Value, Value> meanAndInvStd(OpBuilder &b, Location loc, Value x,
                                      ArrayRef<int64_t> axes, double epsilon) {
  auto [mean, var] = meanAndVariance(b, loc, x, axes);
  Type t = cast<RankedTensorType>(x.getType()).getElementType();
  Value inv =
      buildElementwiseTo(b, loc, var, dimsOf(b, loc, var), t,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value s = arith::AddFOp::create(
                               nb, l, a[0], scalarConstant(nb, l, t, epsilon));
                           return math::RsqrtOp::create(nb, l, s);
                         });
  return {mean, inv};
}

LogicalResult importLayerNorm(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(n.require(1, "Scale")))
    return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t) || n.elementType(1) != t ||
      (n.hasInput(2) && n.elementType(2) != t))
    return n.fail("LayerNormalization needs float inputs of one type");
  if (n.attrInt("stash_type", 1) != 1)
    return n.fail("only stash_type = 1 (float) is supported");
  int64_t rank = n.rank(0);
  auto axis = normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return n.fail("axis is out of range");
  float epsilon = n.attrFloat("epsilon", 1e-5f);
  Value bias = n.hasInput(2) ? n.operand(2) : Value();
  auto op = qc::LayerNormOp::create(
      n.b, n.loc, n.type(0), n.operand(0), n.operand(1), bias,
      n.b.getI64IntegerAttr(*axis), n.b.getF32FloatAttr(epsilon));
  n.setResult(0, op.getResult());
  if (n.hasOutput(1) || n.hasOutput(2)) {
    // The optional statistics outputs (training graphs) are computed apart.
    SmallVector<int64_t> axes;
    for (int64_t d = *axis; d < rank; ++d)
      axes.push_back(d);
    auto [mean, inv] = meanAndInvStd(n.b, n.loc, n.operand(0), axes, epsilon);
    n.setResult(1, mean);
    n.setResult(2, inv);
  }
  return success();
}

/// Reshapes a per-channel vector [C] to [1, C, 1, ...] for rank `rank`.
Value channelVector(OpBuilder &b, Location loc, Value v, int64_t rank) {
  SmallVector<int64_t> axes = {0};
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  return buildUnsqueeze(b, loc, v, axes);
}

LogicalResult importBatchNorm(NodeImporter &n) {
  for (int i = 0; i < 5; ++i)
    if (failed(n.require(i, "X, scale, B, input_mean and input_var")))
      return failure();
  bool training = n.attrInt("training_mode", 0);
  if (!training && (n.hasOutput(1) || n.hasOutput(2)))
    return n.fail("running statistics are only produced in training mode");
  Type t = n.elementType(0);
  if (!isa<FloatType>(t))
    return n.fail("X must be a float tensor");
  int64_t rank = n.rank(0);
  if (rank < 2)
    return n.fail("X must have rank >= 2");
  for (int i = 1; i < 5; ++i)
    if (n.rank(i) != 1)
      return n.fail("scale, B, mean and var must be 1-D");
  double eps = n.attrFloat("epsilon", 1e-5f);
  SmallVector<Value> inputs = {n.operand(0)};
  for (int i = 1; i < 5; ++i) {
    Value v = convertTensor(n.b, n.loc, n.operand(i), t, false, false);
    inputs.push_back(channelVector(n.b, n.loc, v, rank));
  }
  if (training) {
    // Normalize with the batch's statistics (over all but the channel
    // dimension) and blend them into the running ones with `momentum`.
    SmallVector<int64_t> axes = {0};
    axes.append(spatialAxes(rank));
    auto [mean, var] = meanAndVariance(n.b, n.loc, n.operand(0), axes);
    double momentum = n.attrFloat("momentum", 0.9f);
    std::string error;
    // The running statistics may have another float type than X (ONNX's
    // T1/T2): converted like the other operands.
    auto blend = [&](Value running, Value current) {
      Value flat = buildSqueeze(n.b, n.loc, current, axes);
      running = convertTensor(n.b, n.loc, running, t, false, false);
      return buildElementwise(
          n.b, n.loc, {running, flat}, t,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value r = arith::MulFOp::create(b, l, a[0],
                                            scalarConstant(b, l, t, momentum));
            Value c = arith::MulFOp::create(
                b, l, a[1], scalarConstant(b, l, t, 1 - momentum));
            return arith::AddFOp::create(b, l, r, c);
          },
          error);
    };
    FailureOr<Value> runningMean = blend(n.operand(3), mean);
    FailureOr<Value> runningVar = blend(n.operand(4), var);
    if (failed(runningMean) || failed(runningVar))
      return n.fail(error);
    // Running statistics keep their own type (T2).
    n.setResult(1, convertTensor(n.b, n.loc, *runningMean, n.elementType(3),
                                 false, false));
    n.setResult(2, convertTensor(n.b, n.loc, *runningVar, n.elementType(4),
                                 false, false));
    inputs[3] = mean;
    inputs[4] = var;
  }
  std::string error;
  auto r = buildElementwise(
      n.b, n.loc, inputs, t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value inv = math::RsqrtOp::create(
            b, l,
            arith::AddFOp::create(b, l, a[4], scalarConstant(b, l, t, eps)));
        Value y = arith::MulFOp::create(
            b, l, arith::SubFOp::create(b, l, a[0], a[3]), inv);
        return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, y, a[1]),
                                     a[2]);
      },
      error);
  if (failed(r))
    return n.fail(error);
  n.setResult(0, *r);
  return success();
}

LogicalResult importInstanceNorm(NodeImporter &n) {
  for (int i = 0; i < 3; ++i)
    if (failed(n.require(i, "input, scale and B")))
      return failure();
  Type t = n.elementType(0);
  if (!isa<FloatType>(t))
    return n.fail("input must be a float tensor");
  int64_t rank = n.rank(0);
  if (rank < 3)
    return n.fail("input must have rank >= 3");
  SmallVector<int64_t> axes = spatialAxes(rank);
  auto [mean, inv] = meanAndInvStd(n.b, n.loc, n.operand(0), axes,
                                   n.attrFloat("epsilon", 1e-5f));
  Value scale = channelVector(n.b, n.loc, n.operand(1), rank);
  Value bias = channelVector(n.b, n.loc, n.operand(2), rank);
  std::string error;
  auto r = buildElementwise(
      n.b, n.loc, {n.operand(0), mean, inv, scale, bias}, t,
      [](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value y = arith::MulFOp::create(
            b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
        return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, y, a[3]),
                                     a[4]);
      },
      error);
  if (failed(r))
    return n.fail(error);
  n.setResult(0, *r);
  return success();
}

} // namespace

void mlir::qc::onnx::registerNormOps(OpTable &t) {
  t["LayerNormalization"] = importLayerNorm;
  t["BatchNormalization"] = importBatchNorm;
  t["InstanceNormalization"] = importInstanceNorm;
}
