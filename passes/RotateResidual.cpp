//===- RotateResidual.cpp - Hadamard rotation of a residual stream --------===//
//
// qc-rotate-residual (QuaRot): the residual stream of a pre-norm
// transformer carried in a rotated basis, x -> x Q, with Q folded into the
// weights so that nothing is computed online. Every op writing the stream
// (an embedding table, a layer adding into it) gets W Q; every layer
// reading it through an RMSNorm gets Q^T diag(gamma) W with the norm's
// scale gamma folded forward; the norm itself commutes with Q (its mean
// square is a sum over channels, which Q preserves). The stream is found by
// following the IR from each residual add; an op that does not commute with
// Q (a LayerNorm's mean, a slice of channels, a graph output) leaves the
// stream as it is, with a remark naming it. The numeric parts are
// passes/algorithms/Rotation and WeightRounding::outputError.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/ChannelScaling.h"
#include "passes/ObservedProducts.h"
#include "passes/PackedWeights.h"
#include "passes/algorithms/Awq.h"
#include "passes/algorithms/Rotation.h"

#include "mlir/IR/Matchers.h"

#include <algorithm>

namespace mlir::qc {
#define GEN_PASS_DEF_ROTATERESIDUAL
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

/// The single arithmetic op a generic's body yields (the body is that op
/// and the yield), or null.
Operation *bodyOp(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 2 || generic.getNumDpsInits() != 1)
    return nullptr;
  Operation *op = &body.front();
  Operation *yield = body.getTerminator();
  return yield->getNumOperands() == 1 &&
                 yield->getOperand(0).getDefiningOp() == op
             ? op
             : nullptr;
}

bool elementwise(linalg::GenericOp generic) {
  return generic.getNumReductionLoops() == 0 &&
         generic.getIndexingMapsArray().back().isIdentity();
}

/// The block argument and indexing map of `generic`'s input `v`.
std::pair<BlockArgument, AffineMap> inputOf(linalg::GenericOp generic,
                                            Value v) {
  for (OpOperand *in : generic.getDpsInputOperands())
    if (in->get() == v)
      return {generic.getMatchingBlockArgument(in),
              generic.getMatchingIndexingMap(in)};
  return {};
}

/// a + b elementwise over two tensors of the result's shape.
bool isAdd(linalg::GenericOp generic) {
  Operation *op = bodyOp(generic);
  return op && isa<arith::AddFOp>(op) && generic.getNumDpsInputs() == 2 &&
         elementwise(generic) &&
         llvm::all_of(generic.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); }) &&
         op->getOperand(0) != op->getOperand(1) &&
         llvm::all_of(op->getOperands(), [&](Value v) {
           auto arg = dyn_cast<BlockArgument>(v);
           return arg && arg.getOwner() == &generic.getRegion().front() &&
                  arg.getArgNumber() < 2;
         });
}

/// x * r, r * x or x / r for x of the result's shape and r constant along
/// the last dimension (one value per row, like a norm's 1 / rms): the
/// scaled input x, or null.
Value rowScaled(linalg::GenericOp generic) {
  Operation *op = bodyOp(generic);
  if (!op || !isa<arith::MulFOp, arith::DivFOp>(op) ||
      generic.getNumDpsInputs() != 2 || !elementwise(generic))
    return {};
  unsigned last = generic.getNumLoops() - 1;
  for (int i = 0; i < 2; ++i) {
    OpOperand *in = generic.getDpsInputOperand(i);
    OpOperand *other = generic.getDpsInputOperand(1 - i);
    BlockArgument x = generic.getMatchingBlockArgument(in);
    BlockArgument r = generic.getMatchingBlockArgument(other);
    bool operands = isa<arith::MulFOp>(op)
                        ? llvm::is_contained(op->getOperands(), x) &&
                              llvm::is_contained(op->getOperands(), r)
                        : op->getOperand(0) == x && op->getOperand(1) == r;
    if (operands && in->get() != other->get() &&
        generic.getMatchingIndexingMap(in).isIdentity() &&
        !generic.getMatchingIndexingMap(other).isFunctionOfDim(last))
      return in->get();
  }
  return {};
}

/// v * v elementwise (an RMSNorm's square; other inputs unused, as a
/// Pow(x, 2) import has).
bool isSquareOf(linalg::GenericOp generic, Value v) {
  Operation *op = bodyOp(generic);
  auto [arg, map] = inputOf(generic, v);
  return op && arg && isa<arith::MulFOp>(op) && elementwise(generic) &&
         map.isIdentity() && op->getOperand(0) == arg &&
         op->getOperand(1) == arg;
}

/// A sum over the last dimension only: unchanged by Q when what it sums is
/// the square of a rotated tensor.
bool isLastDimSum(linalg::GenericOp generic) {
  Operation *op = bodyOp(generic);
  auto kinds = generic.getIteratorTypesArray();
  if (!op || !isa<arith::AddFOp>(op) || generic.getNumDpsInputs() != 1 ||
      kinds.empty() || kinds.back() != utils::IteratorType::reduction ||
      generic.getNumReductionLoops() != 1 ||
      !generic.getIndexingMapsArray().front().isIdentity())
    return false;
  Block &body = generic.getRegion().front();
  return llvm::is_contained(op->getOperands(), body.getArgument(0)) &&
         llvm::is_contained(op->getOperands(), body.getArgument(1));
}

/// x * gamma for a 1-D f32 constant gamma of `d` values along the last
/// dimension and x of the result's shape (an imported norm scale): gamma's
/// input index, or -1.
int normScale(linalg::GenericOp generic, int64_t d) {
  int index = constantChannelFactor(generic, d);
  return index >= 0 && generic.getIndexingMapsArray()[1 - index].isIdentity()
             ? index
             : -1;
}

/// A generic whose body yields table[i, j] of a constant 2-D f32 table of
/// `d` columns with j the last loop index (an imported Gather of an
/// embedding): the tensor.extract, or null.
tensor::ExtractOp tableLookup(linalg::GenericOp generic, int64_t d) {
  if (!elementwise(generic) || generic.getNumDpsInits() != 1)
    return {};
  auto yield =
      cast<linalg::YieldOp>(generic.getRegion().front().getTerminator());
  auto extract = yield.getOperand(0).getDefiningOp<tensor::ExtractOp>();
  if (!extract || extract.getIndices().size() != 2)
    return {};
  auto type = cast<RankedTensorType>(extract.getTensor().getType());
  auto column = extract.getIndices()[1].getDefiningOp<linalg::IndexOp>();
  if (!type.hasStaticShape() || type.getDimSize(1) != d ||
      !type.getElementType().isF32() ||
      !matchPattern(extract.getTensor(), m_Constant()) || !column ||
      column.getDim() != generic.getNumLoops() - 1)
    return {};
  return extract;
}

/// `mm`'s weight is a 2-D f32 constant of `rows` rows and `cols` columns
/// (-1: any).
bool constantWeight(MatmulOp mm, int64_t rows, int64_t cols) {
  auto type = cast<RankedTensorType>(mm.getRhs().getType());
  return type.getRank() == 2 && type.hasStaticShape() &&
         type.getElementType().isF32() &&
         (rows < 0 || type.getDimSize(0) == rows) &&
         (cols < 0 || type.getDimSize(1) == cols) &&
         matchPattern(mm.getRhs(), m_Constant());
}

/// Layers reading the stream: the products of one observer (or one
/// product without an observer), after an optional norm scale.
struct Readers {
  ObserveOp observer;             // may be null
  std::vector<float> gamma;       // the norm scale's d factors, or empty
  SmallVector<MatmulOp> products; // W is d x N
};

/// What the stream analysis found, or why it stopped.
struct Stream {
  int64_t d = 0;
  SetVector<Value> values;               // carried rotated
  SmallVector<MatmulOp> writers;         // W is K x d: gets W Q
  SmallVector<tensor::ExtractOp> tables; // gets T Q
  SmallVector<Readers> readers;
  SmallVector<linalg::GenericOp> scales; // x * gamma, folded into readers
  Operation *blocker = nullptr;          // the op Q does not commute with
  std::string why;

  bool fail(Operation *op, const Twine &reason) {
    blocker = op;
    why = reason.str();
    return false;
  }

  bool reads(MatmulOp mm, Value v) const {
    return mm.getLhs() == v && mm.getRhs() != v && constantWeight(mm, d, -1);
  }

  /// `user` of `v` is a weight product or an observer that only weight
  /// products read: readers of `v` with norm scale `gamma`.
  bool addReader(Operation *user, Value v, ArrayRef<float> gamma) {
    Readers r{{}, std::vector<float>(gamma), {}};
    if (auto mm = dyn_cast<MatmulOp>(user); mm && reads(mm, v)) {
      r.products.push_back(mm);
    } else if (auto observer = dyn_cast<ObserveOp>(user)) {
      r.observer = observer;
      for (Operation *product : observer->getUsers()) {
        auto mm = dyn_cast<MatmulOp>(product);
        if (!mm || !reads(mm, observer.getResult()))
          return fail(product, "reads the stream and is not a product with "
                               "a constant weight");
        r.products.push_back(mm);
      }
    } else {
      return fail(user, "reads the stream and is not a product with a "
                        "constant weight");
    }
    readers.push_back(std::move(r));
    return true;
  }

  bool addUser(Operation *user, Value v, SmallVectorImpl<Value> &work) {
    if (isa<tensor::DimOp>(user))
      return true; // shapes do not change
    if (isa<ObserveOp, MatmulOp>(user))
      return addReader(user, v, {});
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || llvm::is_contained(generic.getDpsInits(), v))
      return fail(user, "does not commute with a rotation");
    if (isAdd(generic)) {
      for (Value in : generic.getDpsInputs())
        work.push_back(in);
      work.push_back(generic.getResult(0));
      return true;
    }
    if (rowScaled(generic) == v) {
      work.push_back(generic.getResult(0));
      return true;
    }
    if (isSquareOf(generic, v)) {
      for (Operation *sumUser : generic.getResult(0).getUsers()) {
        auto sum = dyn_cast<linalg::GenericOp>(sumUser);
        if (!isa<tensor::DimOp>(sumUser) && !(sum && isLastDimSum(sum)))
          return fail(sumUser, "uses a squared stream value other than "
                               "summing it over channels");
      }
      return true;
    }
    int index = normScale(generic, d);
    if (index >= 0 && generic.getDpsInputs()[1 - index] == v) {
      Attribute value;
      matchPattern(generic.getDpsInputs()[index], m_Constant(&value));
      std::optional<std::vector<float>> gamma = readFloatConstant(value);
      if (!gamma || llvm::is_contained(*gamma, 0.0f))
        return fail(user, "has a norm scale that is unreadable or zero");
      scales.push_back(generic);
      for (Operation *reader : generic.getResult(0).getUsers())
        if (!isa<tensor::DimOp>(reader) &&
            !addReader(reader, generic.getResult(0), *gamma))
          return false;
      return true;
    }
    return fail(user, "does not commute with a rotation");
  }

  bool addProducer(Value v, SmallVectorImpl<Value> &work) {
    Operation *def = v.getDefiningOp();
    if (auto mm = dyn_cast_or_null<MatmulOp>(def)) {
      if (!constantWeight(mm, -1, d))
        return fail(mm, "writes the stream without a constant weight");
      writers.push_back(mm);
      return true;
    }
    auto generic = dyn_cast_or_null<linalg::GenericOp>(def);
    if (generic && isAdd(generic)) {
      for (Value in : generic.getDpsInputs())
        work.push_back(in);
      return true;
    }
    if (generic)
      if (Value x = rowScaled(generic)) {
        work.push_back(x);
        return true;
      }
    if (generic)
      if (tensor::ExtractOp extract = tableLookup(generic, d)) {
        tables.push_back(extract);
        return true;
      }
    if (!def)
      return fail(v.getParentBlock()->getParentOp(),
                  "takes the stream as an argument");
    return fail(def, "writes the stream and does not commute with a rotation");
  }

  /// Grows the stream from `seed`: true when every op touching it commutes
  /// with Q or absorbs it.
  bool grow(Value seed) {
    auto type = cast<RankedTensorType>(seed.getType());
    if (type.getRank() < 2 || type.isDynamicDim(type.getRank() - 1) ||
        !type.getElementType().isF32())
      return fail(seed.getDefiningOp(), "is not a float [..., channels] add");
    d = type.getShape().back();
    SmallVector<Value> work{seed};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!values.insert(v))
        continue;
      auto vType = dyn_cast<RankedTensorType>(v.getType());
      if (!vType || vType.getRank() < 2 || vType.getShape().back() != d) {
        Operation *at = v.getDefiningOp();
        return fail(at ? at : v.getParentBlock()->getParentOp(),
                    "changes the stream's channel count");
      }
      if (!addProducer(v, work))
        return false;
      for (Operation *user : v.getUsers())
        if (!addUser(user, v, work))
          return false;
    }
    return true;
  }
};

/// Each product's weight, K x N row-major, by its op.
using Weights = llvm::DenseMap<Operation *, std::vector<float>>;

struct RotateResidual : qc::impl::RotateResidualBase<RotateResidual> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8 || groupSize < -1) {
      emitError(getOperation().getLoc())
          << "qc-rotate-residual: bits must be in [2, 8] and group-size >= -1";
      return signalPassFailure();
    }
    // Residual adds seed the search; a stream holds many of them.
    SmallVector<linalg::GenericOp> adds;
    getOperation().walk([&](linalg::GenericOp g) {
      if (isAdd(g))
        adds.push_back(g);
    });
    DenseSet<Value> seen;
    for (linalg::GenericOp add : adds) {
      Value seed = add.getResult(0);
      if (seen.contains(seed))
        continue;
      Stream stream;
      bool ok = stream.grow(seed);
      seen.insert(stream.values.begin(), stream.values.end());
      if (!ok) {
        // An add of a weight product's output that cannot carry a rotated
        // stream says why; other adds (RoPE's, a mask's) are not streams.
        if (llvm::any_of(add.getDpsInputs(), [](Value in) {
              auto mm = in.getDefiningOp<MatmulOp>();
              return mm && constantWeight(mm, -1, -1);
            }))
          add.emitRemark() << "residual stream left unrotated: '"
                           << stream.blocker->getName() << "' at "
                           << stream.blocker->getLoc() << " " << stream.why;
        continue;
      }
      if (stream.readers.empty() ||
          (stream.writers.empty() && stream.tables.empty()))
        continue;
      if (failed(rotate(add, stream)))
        return signalPassFailure();
    }
  }

  /// Q^T diag(gamma) W: a reader's weight (d x n) once the stream is
  /// rotated and its norm scale folded.
  static std::vector<float> readerWeight(const Readers &r, std::vector<float> w,
                                         const std::vector<float> &q,
                                         int64_t n) {
    int64_t d = static_cast<int64_t>(w.size()) / n;
    if (!r.gamma.empty())
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < n; ++j)
          w[i * n + j] *= r.gamma[i];
    return alg::rotateRows(w.data(), q, d, n);
  }

  /// The Gram matrix (d x d) of what the reader's observer sees once
  /// rotated: Q^T diag(1/gamma) H diag(1/gamma) Q.
  static std::vector<float> rotatedGram(const Readers &r,
                                        std::vector<float> gram,
                                        const std::vector<float> &q,
                                        int64_t d) {
    if (!r.gamma.empty())
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < d; ++j)
          gram[i * d + j] /= r.gamma[i] * r.gamma[j];
    return alg::rotateGram(gram, q, d);
  }

  /// The calibrated E[x x^T] of `observer` when it has one of k x k.
  static std::vector<float> gramOf(ObserveOp observer, int64_t k) {
    std::optional<std::vector<float>> gram;
    if (observer)
      if (Attribute g = observer->getAttr(kInputGramAttr))
        gram = readFloatConstant(g);
    if (!gram || gram->size() != static_cast<size_t>(k * k))
      return {};
    return *gram;
  }

  /// The stream's layers' output error after rounding relative to their
  /// output, tr(E^T H E) / tr(W^T H W), summed: unrotated (its readers
  /// rotated online where that is lower) and with the stream rotated by
  /// `q`; nullopt when a layer lacks a calibrated Gram matrix. Relative,
  /// so that each layer counts alike: absolute errors are dominated by the
  /// layer with the largest outputs (a classifier), and on stories260k
  /// only the relative sum ranked the choices as perplexity did.
  std::optional<std::pair<double, double>>
  roundingErrors(const Stream &s, const std::vector<float> &q,
                 const Weights &weights) const {
    WeightRounding rounding{bits, groupSize, symmetric, clip};
    auto energy = [](const std::vector<float> &w, int64_t k, int64_t n,
                     const std::vector<float> &gram) {
      std::vector<float> zero(w.size(), 0.0f);
      return std::max(
          alg::outputError(w.data(), zero.data(), k, n, gram.data()), 1e-30);
    };
    double before = 0, after = 0;
    int64_t d = s.d;
    for (const Readers &r : s.readers) {
      if (r.products.empty())
        continue; // an observer nothing reads: no error either way
      std::vector<float> gram = gramOf(r.observer, d);
      if (gram.empty())
        return std::nullopt;
      // Unrotated, each reader may still be rotated online by
      // qc-rotate-inputs (with the same Q) where that helps: the stream
      // competes with the better of the two.
      std::vector<float> rotated = rotatedGram(r, gram, q, d);
      std::vector<float> online = alg::rotateGram(gram, q, d);
      double plain = 0, perLayer = 0, stream = 0, total = 0;
      for (MatmulOp mm : r.products) {
        const std::vector<float> &w = weights.find(mm)->second;
        int64_t n = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1);
        total += energy(w, d, n, gram);
        plain += rounding.outputError(w, d, n, gram);
        perLayer += rounding.outputError(alg::rotateRows(w.data(), q, d, n), d,
                                         n, online);
        stream += rounding.outputError(readerWeight(r, w, q, n), d, n, rotated);
      }
      before += std::min(plain, perLayer) / total;
      after += stream / total;
    }
    for (MatmulOp mm : s.writers) {
      int64_t k = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(0);
      std::vector<float> gram =
          gramOf(mm.getLhs().getDefiningOp<ObserveOp>(), k);
      if (gram.empty())
        return std::nullopt;
      const std::vector<float> &w = weights.find(mm)->second;
      double total = energy(w, k, d, gram);
      before += rounding.outputError(w, k, d, gram) / total;
      after += rounding.outputError(alg::rotateColumns(w.data(), q, k, d), k, d,
                                    gram) /
               total;
    }
    return std::make_pair(before, after);
  }

  LogicalResult rotate(linalg::GenericOp at, Stream &s) {
    // Every weight read once, here: the error estimate and the rewrite
    // use these copies (a product both reading and writing the stream
    // gets its reader form before its writer form).
    Weights weights;
    auto load = [&](MatmulOp mm) -> LogicalResult {
      auto [it, inserted] = weights.try_emplace(mm.getOperation());
      if (!inserted)
        return success();
      Attribute value;
      matchPattern(mm.getRhs(), m_Constant(&value));
      std::optional<std::vector<float>> w = readFloatConstant(value);
      if (!w)
        return mm.emitOpError("weight constant cannot be read");
      it->second = std::move(*w);
      return success();
    };
    for (const Readers &r : s.readers)
      for (MatmulOp mm : r.products)
        if (failed(load(mm)))
          return failure();
    for (MatmulOp mm : s.writers)
      if (failed(load(mm)))
        return failure();
    std::vector<float> q = alg::randomizedHadamard(s.d, seed);
    std::optional<std::pair<double, double>> errors =
        roundingErrors(s, q, weights);
    bool keep = always || (errors && errors->second < errors->first);
    {
      InFlightDiagnostic remark = at.emitRemark();
      remark << "residual stream rotation (" << s.d << " channels, "
             << s.readers.size() << " readers, "
             << s.writers.size() + s.tables.size() << " writers): ";
      if (errors)
        remark << "relative output error " << errors->first << " -> "
               << errors->second;
      else
        remark << "output error unknown (a layer has no calibrated "
               << kInputGramAttr << ")";
      remark << (keep ? ", rotated" : ", left unrotated");
    }
    if (!keep)
      return success();

    MLIRContext *ctx = &getContext();
    for (Readers &r : s.readers) {
      for (MatmulOp mm : r.products) {
        int64_t n = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1);
        std::vector<float> &w = weights[mm.getOperation()];
        w = readerWeight(r, std::move(w), q, n);
        setWeight(mm, w);
      }
      if (!r.observer)
        continue;
      std::vector<float> gram = gramOf(r.observer, s.d);
      r.observer->removeAttr(kInputGramAttr);
      r.observer->removeAttr(kChannelMeanSquareAttr);
      if (!gram.empty()) {
        std::vector<float> rotated = rotatedGram(r, gram, q, s.d);
        std::vector<float> diag(s.d);
        for (int64_t i = 0; i < s.d; ++i)
          diag[i] = rotated[i * s.d + i];
        r.observer->setAttr(kInputGramAttr,
                            floatAttr(ctx, {s.d, s.d}, rotated));
        r.observer->setAttr(kChannelMeanSquareAttr,
                            floatAttr(ctx, {s.d}, diag));
      }
      // Per-channel |x| statistics and sampled rows describe x.
      r.observer->removeAttr(kChannelMeanAbsAttr);
      r.observer->removeAttr(kChannelMaxAbsAttr);
      r.observer->removeAttr(kInputSampleAttr);
      r.observer->setAttr(kRotatedAttr, UnitAttr::get(ctx));
    }
    // gamma now lives in the weights: the norm's output is read as is.
    for (linalg::GenericOp scale : s.scales) {
      int index = normScale(scale, s.d);
      Value x = scale.getDpsInputs()[1 - index];
      Operation *gamma = scale.getDpsInputs()[index].getDefiningOp();
      scale.getResult(0).replaceAllUsesWith(x);
      scale.erase();
      if (gamma && gamma->use_empty())
        gamma->erase();
    }
    // A product both reading and writing the stream gets Q^T W Q: its
    // reader form (in `weights`) gets its columns rotated here.
    for (MatmulOp mm : s.writers) {
      int64_t k = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(0);
      std::vector<float> &w = weights[mm.getOperation()];
      w = alg::rotateColumns(w.data(), q, k, s.d);
      setWeight(mm, w);
    }
    for (tensor::ExtractOp extract : s.tables) {
      Attribute value;
      matchPattern(extract.getTensor(), m_Constant(&value));
      std::optional<std::vector<float>> t = readFloatConstant(value);
      if (!t)
        return extract.emitOpError("table constant cannot be read");
      auto type = cast<RankedTensorType>(extract.getTensor().getType());
      std::vector<float> rotated =
          alg::rotateColumns(t->data(), q, type.getDimSize(0), s.d);
      Operation *old = extract.getTensor().getDefiningOp();
      OpBuilder b(extract->getParentOfType<linalg::GenericOp>());
      extract.getTensorMutable().assign(arith::ConstantOp::create(
          b, old->getLoc(), type,
          DenseElementsAttr::get(type, llvm::ArrayRef<float>(rotated))));
      if (old->use_empty())
        old->erase();
    }
    return success();
  }
};

} // namespace
