//===- ImportElementwise.cpp - elementwise ONNX ops -----------------------===//
//
// Arithmetic, comparisons, logic, casts and activations: each becomes one
// `linalg.generic` with NumPy broadcasting whose body is arith/math.
// Integer Add/Sub/Mul/Div on shape values also propagate the elements the
// importer knows, so that shape computations fold at import time.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc::onnx;

namespace {

using Sizes = SmallVector<OpFoldResult>;
using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

bool isFloat(Type t) { return isa<FloatType>(t); }

/// Builds the generic for `inputs` and sets result 0.
LogicalResult emit(NodeImporter &n, ValueRange inputs, Type resultType,
                   ScalarFn body, bool resultUnsigned = false) {
  std::string error;
  auto result = buildElementwise(n.b, n.loc, inputs, resultType, body, error);
  if (failed(result))
    return n.fail(error);
  n.setResult(0, *result, resultUnsigned);
  return success();
}

LogicalResult requireFloat(NodeImporter &n, int i) {
  if (!isFloat(n.elementType(i)))
    return n.fail("input #" + Twine(i) + " must be a float tensor");
  return success();
}

/// A unary op on float tensors.
LogicalResult unaryFloat(NodeImporter &n,
                         Value (*fn)(OpBuilder &, Location, Value)) {
  if (failed(n.require(0, "X")) || failed(requireFloat(n, 0)))
    return failure();
  return emit(
      n, n.operand(0), n.elementType(0),
      [&](OpBuilder &b, Location l, ValueRange a) { return fn(b, l, a[0]); });
}

//===--- known shape values ----------------------------------------------===//

enum class IntOp { Add, Sub, Mul, Div };

/// Elementwise arithmetic on the import-time elements of two shape values.
std::optional<SmallVector<OpFoldResult>> foldKnown(NodeImporter &n, IntOp op) {
  if (!isa<IntegerType>(n.elementType(0)) || n.rank(0) > 1 || n.rank(1) > 1)
    return std::nullopt;
  auto lhs = n.input(0).known ? n.input(0).known : std::nullopt;
  auto rhs = n.input(1).known ? n.input(1).known : std::nullopt;
  if (!lhs) {
    if (auto c = n.constInts(0)) {
      lhs.emplace();
      for (int64_t v : *c)
        lhs->push_back(n.b.getIndexAttr(v));
    }
  }
  if (!rhs) {
    if (auto c = n.constInts(1)) {
      rhs.emplace();
      for (int64_t v : *c)
        rhs->push_back(n.b.getIndexAttr(v));
    }
  }
  if (!lhs || !rhs || (!n.input(0).known && !n.input(1).known))
    return std::nullopt; // plain constants fold later; nothing symbolic here
  size_t size = std::max(lhs->size(), rhs->size());
  if ((lhs->size() != size && lhs->size() != 1) ||
      (rhs->size() != size && rhs->size() != 1))
    return std::nullopt;
  SmallVector<OpFoldResult> out;
  for (size_t i = 0; i < size; ++i) {
    OpFoldResult a = (*lhs)[lhs->size() == 1 ? 0 : i];
    OpFoldResult c = (*rhs)[rhs->size() == 1 ? 0 : i];
    auto ca = constantOf(a), cb = constantOf(c);
    if (ca && cb) {
      int64_t r;
      switch (op) {
      case IntOp::Add:
        r = *ca + *cb;
        break;
      case IntOp::Sub:
        r = *ca - *cb;
        break;
      case IntOp::Mul:
        r = *ca * *cb;
        break;
      case IntOp::Div:
        if (*cb == 0)
          return std::nullopt;
        r = *ca / *cb;
        break;
      }
      out.push_back(n.b.getIndexAttr(r));
      continue;
    }
    Value va = indexValue(n.b, n.loc, a), vb = indexValue(n.b, n.loc, c);
    Value r;
    switch (op) {
    case IntOp::Add:
      r = arith::AddIOp::create(n.b, n.loc, va, vb);
      break;
    case IntOp::Sub:
      r = arith::SubIOp::create(n.b, n.loc, va, vb);
      break;
    case IntOp::Mul:
      r = arith::MulIOp::create(n.b, n.loc, va, vb);
      break;
    case IntOp::Div:
      r = arith::DivSIOp::create(n.b, n.loc, va, vb);
      break;
    }
    out.push_back(r);
  }
  return out;
}

//===--- binary arithmetic -----------------------------------------------===//

LogicalResult checkBinary(NodeImporter &n) {
  if (failed(n.require(0, "A")) || failed(n.require(1, "B")))
    return failure();
  if (n.elementType(0) != n.elementType(1))
    return n.fail("inputs have different element types");
  return success();
}

/// Operand B of a binary op. Before opset 7, `broadcast = 1` with `axis`
/// aligned B's dimensions at `axis` of A instead of at the end.
Value operandB(NodeImporter &n) {
  Value v = n.operand(1);
  if (n.opset >= 7 || !n.attrInt("broadcast", 0) || !n.hasAttr("axis"))
    return v;
  int64_t ra = n.rank(0), rb = n.rank(1);
  int64_t axis = n.attrInt("axis", 0);
  if (axis < 0)
    axis += ra;
  SmallVector<int64_t> trailing;
  for (int64_t d = axis + rb; d < ra; ++d)
    trailing.push_back(d - axis);
  return buildUnsqueeze(n.b, n.loc, v, trailing);
}

LogicalResult arithmetic(NodeImporter &n, IntOp op) {
  if (failed(checkBinary(n)))
    return failure();
  Type t = n.elementType(0);
  if (t.isInteger(1))
    return n.fail("arithmetic on bool tensors is not defined");
  bool u = n.isUnsigned(0);
  auto known = foldKnown(n, op);
  LogicalResult r = emit(
      n, {n.operand(0), operandB(n)}, t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (isFloat(t)) {
          switch (op) {
          case IntOp::Add:
            return arith::AddFOp::create(b, l, a[0], a[1]);
          case IntOp::Sub:
            return arith::SubFOp::create(b, l, a[0], a[1]);
          case IntOp::Mul:
            return arith::MulFOp::create(b, l, a[0], a[1]);
          case IntOp::Div:
            return arith::DivFOp::create(b, l, a[0], a[1]);
          }
        }
        switch (op) {
        case IntOp::Add:
          return arith::AddIOp::create(b, l, a[0], a[1]);
        case IntOp::Sub:
          return arith::SubIOp::create(b, l, a[0], a[1]);
        case IntOp::Mul:
          return arith::MulIOp::create(b, l, a[0], a[1]);
        case IntOp::Div:
          if (u)
            return arith::DivUIOp::create(b, l, a[0], a[1]);
          return arith::DivSIOp::create(b, l, a[0], a[1]);
        }
        llvm_unreachable("covered switch");
      },
      u);
  if (succeeded(r) && known && n.hasOutput(0)) {
    TensorValue tv = *n.graph.lookup(n.node.output(0));
    tv.known = known;
    n.setResult(0, tv);
  }
  return r;
}

LogicalResult importPow(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(n.require(1, "Y")))
    return failure();
  Type t = n.elementType(0), e = n.elementType(1);
  bool u = n.isUnsigned(1);
  // x^2 is the common case (variance, RMSNorm): keep it a multiply.
  auto exponent = n.constFloats(1);
  bool square = exponent && exponent->size() == 1 && (*exponent)[0] == 2.0;
  return emit(
      n, {n.operand(0), n.operand(1)}, t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (square)
          return isFloat(t)
                     ? arith::MulFOp::create(b, l, a[0], a[0]).getResult()
                     : arith::MulIOp::create(b, l, a[0], a[0]).getResult();
        if (isFloat(t)) {
          Value y = convertScalar(b, l, a[1], t, u, false);
          return math::PowFOp::create(b, l, a[0], y);
        }
        if (isFloat(e)) {
          Value x = convertScalar(b, l, a[0], e, false, false);
          Value p = math::PowFOp::create(b, l, x, a[1]);
          return convertScalar(b, l, p, t, false, false);
        }
        Value y = convertScalar(b, l, a[1], t, u, false);
        return math::IPowIOp::create(b, l, a[0], y);
      });
}

LogicalResult importMod(NodeImporter &n) {
  if (failed(checkBinary(n)))
    return failure();
  Type t = n.elementType(0);
  bool fmod = n.attrInt("fmod", 0);
  bool u = n.isUnsigned(0);
  if (isFloat(t) && !fmod)
    return n.fail("Mod on floats requires fmod = 1");
  return emit(
      n, {n.operand(0), n.operand(1)}, t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (isFloat(t))
          return arith::RemFOp::create(b, l, a[0], a[1]);
        if (u)
          return arith::RemUIOp::create(b, l, a[0], a[1]);
        Value r = arith::RemSIOp::create(b, l, a[0], a[1]);
        if (fmod)
          return r;
        // Python-style modulo: the result takes the divisor's sign.
        Value zero = scalarConstant(b, l, t, 0);
        Value rNeg =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
        Value dNeg =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, a[1], zero);
        Value rNonZero =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, r, zero);
        Value differ = arith::XOrIOp::create(b, l, rNeg, dNeg);
        Value fix = arith::AndIOp::create(b, l, differ, rNonZero);
        Value adjusted = arith::AddIOp::create(b, l, r, a[1]);
        return arith::SelectOp::create(b, l, fix, adjusted, r);
      },
      u);
}

//===--- comparisons and logic --------------------------------------------===//

LogicalResult compare(NodeImporter &n, arith::CmpFPredicate fp,
                      arith::CmpIPredicate sp, arith::CmpIPredicate up) {
  if (failed(checkBinary(n)))
    return failure();
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  return emit(n, {n.operand(0), n.operand(1)}, n.b.getI1Type(),
              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                if (isFloat(t))
                  return arith::CmpFOp::create(b, l, fp, a[0], a[1]);
                return arith::CmpIOp::create(b, l, u ? up : sp, a[0], a[1]);
              });
}

LogicalResult logical(NodeImporter &n, int kind) {
  if (failed(checkBinary(n)))
    return failure();
  if (!n.elementType(0).isInteger(1))
    return n.fail("inputs must be bool tensors");
  return emit(n, {n.operand(0), n.operand(1)}, n.b.getI1Type(),
              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                if (kind == 0)
                  return arith::AndIOp::create(b, l, a[0], a[1]);
                if (kind == 1)
                  return arith::OrIOp::create(b, l, a[0], a[1]);
                return arith::XOrIOp::create(b, l, a[0], a[1]);
              });
}

LogicalResult importBitShift(NodeImporter &n) {
  if (failed(checkBinary(n)))
    return failure();
  auto type = dyn_cast<IntegerType>(n.elementType(0));
  if (!type || type.getWidth() == 1 || !n.isUnsigned(0))
    return n.fail("inputs must be unsigned integer tensors");
  std::string direction = n.attrString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return n.fail("direction must be LEFT or RIGHT, not '" + direction + "'");
  bool left = direction == "LEFT";
  return emit(
      n, {n.operand(0), n.operand(1)}, type,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value shifted =
            left ? arith::ShLIOp::create(b, l, a[0], a[1]).getResult()
                 : arith::ShRUIOp::create(b, l, a[0], a[1]).getResult();
        // Shifting by the bit width or more leaves 0 (LLVM: poison).
        Value tooFar =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, a[1],
                                  scalarConstant(b, l, type, type.getWidth()));
        return arith::SelectOp::create(b, l, tooFar,
                                       scalarConstant(b, l, type, 0), shifted);
      },
      /*resultUnsigned=*/true);
}

LogicalResult importNot(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  if (!n.elementType(0).isInteger(1))
    return n.fail("input must be a bool tensor");
  return emit(n, n.operand(0), n.b.getI1Type(),
              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                return arith::XOrIOp::create(
                    b, l, a[0], scalarConstant(b, l, b.getI1Type(), 1));
              });
}

LogicalResult importWhere(NodeImporter &n) {
  if (failed(n.require(0, "condition")) || failed(n.require(1, "X")) ||
      failed(n.require(2, "Y")))
    return failure();
  if (!n.elementType(0).isInteger(1))
    return n.fail("condition must be a bool tensor");
  if (n.elementType(1) != n.elementType(2))
    return n.fail("X and Y have different element types");
  return emit(
      n, {n.operand(0), n.operand(1), n.operand(2)}, n.elementType(1),
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
      },
      n.isUnsigned(1));
}

//===--- variadic
//-----------------------------------------------------------===//

LogicalResult variadic(NodeImporter &n, int kind) {
  auto present = n.sameTypeInputs();
  if (failed(present))
    return failure();
  SmallVector<Value> inputs = *present;
  Type t = n.elementType(0);
  if (kind == 3 && !isFloat(t))
    return n.fail("Mean needs float inputs");
  bool u = n.isUnsigned(0);
  return emit(
      n, inputs, t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Combine op = kind == 0   ? Combine::Min
                     : kind == 1 ? Combine::Max
                                 : Combine::Add; // Sum, Mean
        Value acc = a[0];
        for (Value v : a.drop_front())
          acc = combineScalars(b, l, op, acc, v, u);
        if (kind == 3)
          acc = arith::DivFOp::create(b, l, acc,
                                      scalarConstant(b, l, t, a.size()));
        return acc;
      },
      u);
}

//===--- casts, clip, identity ------------------------------------------===//

LogicalResult castTo(NodeImporter &n, Type to, bool dstUnsigned) {
  Type from = n.elementType(0);
  bool srcUnsigned = n.isUnsigned(0);
  std::optional<SmallVector<OpFoldResult>> known;
  if (isa<IntegerType>(to) && !to.isInteger(1) && n.input(0).known)
    known = n.input(0).known;
  if (from == to) {
    TensorValue tv = n.input(0);
    tv.isUnsigned = dstUnsigned;
    n.setResult(0, tv);
    return success();
  }
  Value v =
      convertTensor(n.b, n.loc, n.operand(0), to, srcUnsigned, dstUnsigned);
  n.setResult(0, v, dstUnsigned, known);
  return success();
}

LogicalResult importCast(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  int32_t dtype = n.attrInt("to", 0);
  Type to = convertElementType(n.b.getContext(), dtype);
  if (!to)
    return n.fail("cast to " + dataTypeName(dtype) + " is not supported");
  return castTo(n, to, isUnsignedDataType(dtype));
}

LogicalResult importCastLike(NodeImporter &n) {
  if (failed(n.require(0, "input")) || failed(n.require(1, "target_type")))
    return failure();
  return castTo(n, n.elementType(1), n.isUnsigned(1));
}

LogicalResult importIdentity(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  n.setResult(0, n.input(0));
  return success();
}

/// A uniform number in [0, 1) per element, from a counter-based hash of the
/// element's flat index and the seed (splitmix64's finalizer): no state, so
/// any element can be computed in any order, on any target.
Value uniformAt(OpBuilder &b, Location l, Value flatIndex, uint64_t seed) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) {
    return arith::ConstantOp::create(b, l, b.getIntegerAttr(i64, APInt(64, v)));
  };
  Value z = arith::AddIOp::create(
      b, l, convertScalar(b, l, flatIndex, i64, false, false),
      c(seed * 0x9E3779B97F4A7C15ull + 0x9E3779B97F4A7C15ull));
  z = arith::MulIOp::create(
      b, l,
      arith::XOrIOp::create(b, l, z, arith::ShRUIOp::create(b, l, z, c(30))),
      c(0xBF58476D1CE4E5B9ull));
  z = arith::MulIOp::create(
      b, l,
      arith::XOrIOp::create(b, l, z, arith::ShRUIOp::create(b, l, z, c(27))),
      c(0x94D049BB133111EBull));
  z = arith::XOrIOp::create(b, l, z, arith::ShRUIOp::create(b, l, z, c(31)));
  // The top 24 bits as a float in [0, 1).
  Value top = arith::ShRUIOp::create(b, l, z, c(40));
  Value f = arith::UIToFPOp::create(b, l, b.getF32Type(), top);
  return arith::MulFOp::create(
      b, l, f, scalarConstant(b, l, b.getF32Type(), 1.0 / (1 << 24)));
}

LogicalResult importDropout(NodeImporter &n) {
  if (failed(n.require(0, "data")))
    return failure();
  Type t = n.elementType(0);
  Value training;
  if (n.hasInput(2)) {
    auto constant = n.constInts(2);
    if (constant && (constant->empty() || (*constant)[0] == 0)) {
      training = Value();
    } else {
      if (!n.elementType(2).isInteger(1) || n.type(2).getNumElements() != 1)
        return n.fail("training_mode must be a single bool");
      SmallVector<Value> zeros(n.rank(2),
                               arith::ConstantIndexOp::create(n.b, n.loc, 0));
      training = tensor::ExtractOp::create(n.b, n.loc, n.operand(2), zeros);
    }
  }
  // Before opset 12 there is no training input; like every inference
  // runtime, quantc then treats Dropout as the identity (is_test ignored).
  Sizes dims = dimsOf(n.b, n.loc, n.operand(0));
  if (!training) {
    // Inference: nothing is dropped, the mask is all true.
    n.setResult(0, n.input(0));
    if (n.hasOutput(1))
      n.setResult(1,
                  filledTensor(n.b, n.loc, dims,
                               scalarConstant(n.b, n.loc, n.b.getI1Type(), 1)));
    return success();
  }
  if (!isFloat(t))
    return n.fail("training-mode Dropout needs a float input");
  // Training: keep an element when its uniform number is >= ratio and scale
  // the kept ones by 1 / (1 - ratio). The random stream is quantc's own
  // (seeded by the `seed` attribute), not any other runtime's.
  Value ratio = scalarConstant(n.b, n.loc, n.b.getF32Type(), 0.5);
  if (n.hasInput(1)) {
    if (n.type(1).getNumElements() != 1)
      return n.fail("ratio must be a scalar");
    SmallVector<Value> zeros(n.rank(1),
                             arith::ConstantIndexOp::create(n.b, n.loc, 0));
    ratio = convertScalar(
        n.b, n.loc, tensor::ExtractOp::create(n.b, n.loc, n.operand(1), zeros),
        n.b.getF32Type(), false, false);
  }
  uint64_t seed = static_cast<uint64_t>(n.attrInt("seed", 0));
  int64_t rank = n.rank(0);
  Value x = n.operand(0);
  auto generic = linalg::GenericOp::create(
      n.b, n.loc,
      TypeRange{n.type(0),
                RankedTensorType::get(n.type(0).getShape(), n.b.getI1Type())},
      ValueRange{x},
      ValueRange{emptyTensor(n.b, n.loc, dims, t),
                 emptyTensor(n.b, n.loc, dims, n.b.getI1Type())},
      SmallVector<AffineMap>(3, n.b.getMultiDimIdentityMap(rank)),
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value flat = arith::ConstantIndexOp::create(b, l, 0);
        for (int64_t d = 0; d < rank; ++d)
          flat = arith::AddIOp::create(
              b, l,
              arith::MulIOp::create(b, l, flat, indexValue(b, l, dims[d])),
              linalg::IndexOp::create(b, l, d));
        Value u = uniformAt(b, l, flat, seed);
        Value keep =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, u, ratio);
        keep = arith::OrIOp::create(
            b, l, keep,
            arith::XOrIOp::create(b, l, training,
                                  scalarConstant(b, l, b.getI1Type(), 1)));
        Value one = scalarConstant(b, l, b.getF32Type(), 1);
        Value scale = arith::DivFOp::create(
            b, l, one, arith::SubFOp::create(b, l, one, ratio));
        scale = arith::SelectOp::create(b, l, training, scale, one);
        Value y = arith::MulFOp::create(
            b, l, a[0], convertScalar(b, l, scale, t, false, false));
        y = arith::SelectOp::create(b, l, keep, y, scalarConstant(b, l, t, 0));
        linalg::YieldOp::create(b, l, ValueRange{y, keep});
      });
  n.setResult(0, generic.getResult(0));
  n.setResult(1, generic.getResult(1));
  return success();
}

LogicalResult importClip(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  SmallVector<Value> inputs = {n.operand(0)};
  std::optional<double> lo, hi;
  bool hasLo = false, hasHi = false;
  if (n.opset < 11) {
    lo = n.attrFloat("min", -INFINITY);
    hi = n.attrFloat("max", INFINITY);
    hasLo = hasHi = true;
  } else {
    for (int i : {1, 2}) {
      if (!n.hasInput(i))
        continue;
      if (n.rank(i) != 0 && !(n.rank(i) == 1 && n.type(i).getDimSize(0) == 1))
        return n.fail("min and max must be scalars");
      if (n.elementType(i) != t)
        return n.fail("min and max must have the input's element type");
      (i == 1 ? hasLo : hasHi) = true;
      inputs.push_back(n.rank(i) ? buildSqueeze(n.b, n.loc, n.operand(i), {0})
                                 : n.operand(i));
    }
  }
  int loArg = n.opset >= 11 && hasLo ? 1 : -1;
  int hiArg = n.opset >= 11 && hasHi ? (hasLo ? 2 : 1) : -1;
  return emit(
      n, inputs, t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value x = a[0];
        Value low = loArg > 0 ? a[loArg]
                              : (lo ? scalarConstant(b, l, t, *lo) : Value());
        Value high = hiArg > 0 ? a[hiArg]
                               : (hi ? scalarConstant(b, l, t, *hi) : Value());
        // compare + select keeps NaN inputs NaN.
        if (low) {
          Value below =
              isFloat(t) ? arith::CmpFOp::create(
                               b, l, arith::CmpFPredicate::OLT, x, low)
                               .getResult()
                         : arith::CmpIOp::create(b, l,
                                                 u ? arith::CmpIPredicate::ult
                                                   : arith::CmpIPredicate::slt,
                                                 x, low)
                               .getResult();
          x = arith::SelectOp::create(b, l, below, low, x);
        }
        if (high) {
          Value above =
              isFloat(t) ? arith::CmpFOp::create(
                               b, l, arith::CmpFPredicate::OGT, x, high)
                               .getResult()
                         : arith::CmpIOp::create(b, l,
                                                 u ? arith::CmpIPredicate::ugt
                                                   : arith::CmpIPredicate::sgt,
                                                 x, high)
                               .getResult();
          x = arith::SelectOp::create(b, l, above, high, x);
        }
        return x;
      },
      u);
}

//===--- unary ops that accept integers
//------------------------------------===//

LogicalResult importNeg(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  LogicalResult r = emit(
      n, n.operand(0), t, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (isFloat(t))
          return arith::NegFOp::create(b, l, a[0]);
        return arith::SubIOp::create(b, l, scalarConstant(b, l, t, 0), a[0]);
      });
  if (succeeded(r) && n.input(0).known) {
    TensorValue tv = *n.graph.lookup(n.node.output(0));
    tv.known.emplace();
    for (OpFoldResult e : *n.input(0).known)
      tv.known->push_back(subIndex(n.b, n.loc, n.b.getIndexAttr(0), e));
    n.setResult(0, tv);
  }
  return r;
}

LogicalResult importAbs(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  return emit(
      n, n.operand(0), t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (isFloat(t))
          return math::AbsFOp::create(b, l, a[0]);
        if (u)
          return a[0];
        return math::AbsIOp::create(b, l, a[0]);
      },
      u);
}

LogicalResult importSign(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  bool u = n.isUnsigned(0);
  return emit(
      n, n.operand(0), t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value zero = scalarConstant(b, l, t, 0),
              one = scalarConstant(b, l, t, 1),
              minus = scalarConstant(b, l, t, -1);
        Value pos, neg;
        if (isFloat(t)) {
          pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[0],
                                      zero);
          neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[0],
                                      zero);
        } else {
          pos = arith::CmpIOp::create(
              b, l, u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
              a[0], zero);
          neg = u ? scalarConstant(b, l, b.getI1Type(), 0)
                  : arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, a[0],
                                          zero)
                        .getResult();
        }
        Value r = arith::SelectOp::create(b, l, neg, minus, zero);
        return arith::SelectOp::create(b, l, pos, one, r);
      },
      u);
}

LogicalResult importRelu(NodeImporter &n) {
  if (failed(n.require(0, "X")))
    return failure();
  Type t = n.elementType(0);
  return emit(
      n, n.operand(0), t, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (isFloat(t))
          return arith::MaximumFOp::create(b, l, a[0],
                                           scalarConstant(b, l, t, 0));
        return arith::MaxSIOp::create(b, l, a[0], scalarConstant(b, l, t, 0));
      });
}

LogicalResult importShrink(NodeImporter &n) {
  if (failed(n.require(0, "input")))
    return failure();
  Type t = n.elementType(0);
  double lambd = n.attrFloat("lambd", 0.5), bias = n.attrFloat("bias", 0.0);
  bool u = n.isUnsigned(0);
  return emit(
      n, n.operand(0), t,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value x = a[0];
        if (isFloat(t)) {
          Value lo = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                           scalarConstant(b, l, t, -lambd));
          Value hi = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                           scalarConstant(b, l, t, lambd));
          Value plus =
              arith::AddFOp::create(b, l, x, scalarConstant(b, l, t, bias));
          Value minus =
              arith::SubFOp::create(b, l, x, scalarConstant(b, l, t, bias));
          Value r = arith::SelectOp::create(b, l, hi, minus,
                                            scalarConstant(b, l, t, 0));
          return arith::SelectOp::create(b, l, lo, plus, r);
        }
        // Integer inputs: compare in f64 so that fractional lambdas behave.
        Value xf = convertScalar(b, l, x, b.getF64Type(), u, false);
        Value lo =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, xf,
                                  scalarConstant(b, l, b.getF64Type(), -lambd));
        Value hi =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, xf,
                                  scalarConstant(b, l, b.getF64Type(), lambd));
        Value plus = arith::AddFOp::create(
            b, l, xf, scalarConstant(b, l, b.getF64Type(), bias));
        Value minus = arith::SubFOp::create(
            b, l, xf, scalarConstant(b, l, b.getF64Type(), bias));
        Value r = arith::SelectOp::create(
            b, l, hi, minus, scalarConstant(b, l, b.getF64Type(), 0));
        r = arith::SelectOp::create(b, l, lo, plus, r);
        return convertScalar(b, l, r, t, false, u);
      },
      u);
}

LogicalResult importIsInf(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(requireFloat(n, 0)))
    return failure();
  Type t = n.elementType(0);
  bool detectNeg = n.attrInt("detect_negative", 1);
  bool detectPos = n.attrInt("detect_positive", 1);
  return emit(
      n, n.operand(0), n.b.getI1Type(),
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value r = scalarConstant(b, l, b.getI1Type(), 0);
        if (detectPos)
          r = arith::OrIOp::create(
              b, l, r,
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[0],
                                    scalarConstant(b, l, t, INFINITY)));
        if (detectNeg)
          r = arith::OrIOp::create(
              b, l, r,
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[0],
                                    scalarConstant(b, l, t, -INFINITY)));
        return r;
      });
}

LogicalResult importIsNaN(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(requireFloat(n, 0)))
    return failure();
  return emit(n, n.operand(0), n.b.getI1Type(),
              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO,
                                             a[0], a[0]);
              });
}

//===--- float activations with attributes -----------------------------===//

/// A float activation whose body reads `alpha`/`beta`-style attributes.
LogicalResult
activation(NodeImporter &n,
           function_ref<Value(OpBuilder &, Location, Value, Type)> fn) {
  if (failed(n.require(0, "X")) || failed(requireFloat(n, 0)))
    return failure();
  Type t = n.elementType(0);
  return emit(n, n.operand(0), t, [&](OpBuilder &b, Location l, ValueRange a) {
    return fn(b, l, a[0], t);
  });
}

Value sigmoid(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  Value d = arith::AddFOp::create(b, l, scalarConstant(b, l, t, 1), e);
  return arith::DivFOp::create(b, l, scalarConstant(b, l, t, 1), d);
}

Value hardSigmoid(OpBuilder &b, Location l, Value x, double alpha,
                  double beta) {
  Type t = x.getType();
  Value y = arith::AddFOp::create(
      b, l, arith::MulFOp::create(b, l, x, scalarConstant(b, l, t, alpha)),
      scalarConstant(b, l, t, beta));
  y = arith::MinimumFOp::create(b, l, y, scalarConstant(b, l, t, 1));
  return arith::MaximumFOp::create(b, l, y, scalarConstant(b, l, t, 0));
}

LogicalResult importPRelu(NodeImporter &n) {
  if (failed(n.require(0, "X")) || failed(n.require(1, "slope")) ||
      failed(requireFloat(n, 0)))
    return failure();
  Type t = n.elementType(0);
  Value slope = n.operand(1);
  // Before opset 7 a 1-D slope was per channel (dimension 1).
  if (n.opset < 7 && n.rank(1) == 1 && n.rank(0) > 2) {
    SmallVector<int64_t> axes;
    for (int64_t d = 1; d < n.rank(0) - 1; ++d)
      axes.push_back(d);
    slope = buildUnsqueeze(n.b, n.loc, slope, axes);
  }
  return emit(n, {n.operand(0), slope}, t,
              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                Value neg =
                    arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[0],
                                          scalarConstant(b, l, t, 0));
                return arith::SelectOp::create(
                    b, l, neg, arith::MulFOp::create(b, l, a[0], a[1]), a[0]);
              });
}

/// Arithmetic, comparison, logic, selection, casts and the piecewise-linear
/// activations.
void registerArithmeticOps(OpTable &t) {
  t["Add"] = [](NodeImporter &n) { return arithmetic(n, IntOp::Add); };
  t["Sub"] = [](NodeImporter &n) { return arithmetic(n, IntOp::Sub); };
  t["Mul"] = [](NodeImporter &n) { return arithmetic(n, IntOp::Mul); };
  t["Div"] = [](NodeImporter &n) { return arithmetic(n, IntOp::Div); };
  t["Pow"] = importPow;
  t["Mod"] = importMod;

  t["Equal"] = [](NodeImporter &n) {
    return compare(n, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq,
                   arith::CmpIPredicate::eq);
  };
  t["Less"] = [](NodeImporter &n) {
    return compare(n, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
                   arith::CmpIPredicate::ult);
  };
  t["LessOrEqual"] = [](NodeImporter &n) {
    return compare(n, arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle,
                   arith::CmpIPredicate::ule);
  };
  t["Greater"] = [](NodeImporter &n) {
    return compare(n, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt,
                   arith::CmpIPredicate::ugt);
  };
  t["GreaterOrEqual"] = [](NodeImporter &n) {
    return compare(n, arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge,
                   arith::CmpIPredicate::uge);
  };
  t["And"] = [](NodeImporter &n) { return logical(n, 0); };
  t["Or"] = [](NodeImporter &n) { return logical(n, 1); };
  t["Xor"] = [](NodeImporter &n) { return logical(n, 2); };
  t["Not"] = importNot;
  t["BitShift"] = importBitShift;
  t["Where"] = importWhere;

  t["Min"] = [](NodeImporter &n) { return variadic(n, 0); };
  t["Max"] = [](NodeImporter &n) { return variadic(n, 1); };
  t["Sum"] = [](NodeImporter &n) { return variadic(n, 2); };
  t["Mean"] = [](NodeImporter &n) { return variadic(n, 3); };

  t["Cast"] = importCast;
  t["CastLike"] = importCastLike;
  t["Identity"] = importIdentity;
  t["Dropout"] = importDropout;
  t["Clip"] = importClip;

  t["Neg"] = importNeg;
  t["Abs"] = importAbs;
  t["Sign"] = importSign;
  t["Relu"] = importRelu;
  t["Shrink"] = importShrink;
  t["IsInf"] = importIsInf;
  t["IsNaN"] = importIsNaN;
  t["PRelu"] = importPRelu;
}

/// Transcendental and rounding functions, one float op (or a short formula)
/// per element.
void registerMathOps(OpTable &t) {
  t["Exp"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::ExpOp::create(b, l, x);
    });
  };
  t["Log"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::LogOp::create(b, l, x);
    });
  };
  t["Sqrt"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::SqrtOp::create(b, l, x);
    });
  };
  t["Erf"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::ErfOp::create(b, l, x);
    });
  };
  t["Tanh"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::TanhOp::create(b, l, x);
    });
  };
  t["Sin"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::SinOp::create(b, l, x);
    });
  };
  t["Cos"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::CosOp::create(b, l, x);
    });
  };
  t["Floor"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::FloorOp::create(b, l, x);
    });
  };
  t["Ceil"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::CeilOp::create(b, l, x);
    });
  };
  t["Round"] = [](NodeImporter &n) {
    // ONNX rounds halves to even.
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return math::RoundEvenOp::create(b, l, x);
    });
  };
  t["Reciprocal"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return arith::DivFOp::create(b, l, scalarConstant(b, l, x.getType(), 1),
                                   x);
    });
  };
  t["Sigmoid"] = [](NodeImporter &n) { return unaryFloat(n, sigmoid); };
  t["Softsign"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      Value d =
          arith::AddFOp::create(b, l, scalarConstant(b, l, x.getType(), 1),
                                math::AbsFOp::create(b, l, x));
      return arith::DivFOp::create(b, l, x, d);
    });
  };
  t["Softplus"] = [](NodeImporter &n) {
    // max(x, 0) + log1p(exp(-|x|)) does not overflow for large |x|.
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      Type t = x.getType();
      Value e = math::ExpOp::create(
          b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, x)));
      return arith::AddFOp::create(
          b, l, arith::MaximumFOp::create(b, l, x, scalarConstant(b, l, t, 0)),
          math::Log1pOp::create(b, l, e));
    });
  };
}

/// Activations with parameters (alpha, beta, gamma, ...).
void registerParametricActivations(OpTable &t) {
  t["HardSwish"] = [](NodeImporter &n) {
    return unaryFloat(n, [](OpBuilder &b, Location l, Value x) -> Value {
      return arith::MulFOp::create(b, l, x, hardSigmoid(b, l, x, 1.0 / 6, 0.5));
    });
  };
  t["HardSigmoid"] = [](NodeImporter &n) {
    double alpha = n.attrFloat("alpha", 0.2), beta = n.attrFloat("beta", 0.5);
    return activation(n, [&](OpBuilder &b, Location l, Value x, Type) {
      return hardSigmoid(b, l, x, alpha, beta);
    });
  };
  t["LeakyRelu"] = [](NodeImporter &n) {
    double alpha = n.attrFloat("alpha", 0.01);
    return activation(
        n, [&](OpBuilder &b, Location l, Value x, Type t) -> Value {
          Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                            scalarConstant(b, l, t, 0));
          return arith::SelectOp::create(
              b, l, neg,
              arith::MulFOp::create(b, l, x, scalarConstant(b, l, t, alpha)),
              x);
        });
  };
  t["ThresholdedRelu"] = [](NodeImporter &n) {
    double alpha = n.attrFloat("alpha", 1.0);
    return activation(
        n, [&](OpBuilder &b, Location l, Value x, Type t) -> Value {
          Value above =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                    scalarConstant(b, l, t, alpha));
          return arith::SelectOp::create(b, l, above, x,
                                         scalarConstant(b, l, t, 0));
        });
  };
  t["Elu"] = [](NodeImporter &n) {
    double alpha = n.attrFloat("alpha", 1.0);
    return activation(
        n, [&](OpBuilder &b, Location l, Value x, Type t) -> Value {
          Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                            scalarConstant(b, l, t, 0));
          Value em1 = math::ExpM1Op::create(b, l, x);
          return arith::SelectOp::create(
              b, l, neg,
              arith::MulFOp::create(b, l, em1, scalarConstant(b, l, t, alpha)),
              x);
        });
  };
  t["Selu"] = [](NodeImporter &n) {
    double alpha = n.attrFloat("alpha", 1.67326319217681884765625);
    double gamma = n.attrFloat("gamma", 1.05070102214813232421875);
    return activation(
        n, [&](OpBuilder &b, Location l, Value x, Type t) -> Value {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                            scalarConstant(b, l, t, 0));
          Value neg = arith::SubFOp::create(
              b, l,
              arith::MulFOp::create(b, l, math::ExpOp::create(b, l, x),
                                    scalarConstant(b, l, t, alpha)),
              scalarConstant(b, l, t, alpha));
          Value y = arith::SelectOp::create(b, l, pos, x, neg);
          return arith::MulFOp::create(b, l, y, scalarConstant(b, l, t, gamma));
        });
  };
  t["Celu"] = [](NodeImporter &n) {
    double alpha = n.attrFloat("alpha", 1.0);
    return activation(
        n, [&](OpBuilder &b, Location l, Value x, Type t) -> Value {
          Value e = math::ExpM1Op::create(
              b, l,
              arith::DivFOp::create(b, l, x, scalarConstant(b, l, t, alpha)));
          Value neg = arith::MinimumFOp::create(
              b, l, scalarConstant(b, l, t, 0),
              arith::MulFOp::create(b, l, e, scalarConstant(b, l, t, alpha)));
          return arith::AddFOp::create(
              b, l,
              arith::MaximumFOp::create(b, l, x, scalarConstant(b, l, t, 0)),
              neg);
        });
  };
}

} // namespace

void mlir::qc::onnx::registerElementwiseOps(OpTable &t) {
  registerArithmeticOps(t);
  registerMathOps(t);
  registerParametricActivations(t);
}
