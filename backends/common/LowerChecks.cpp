//===- LowerChecks.cpp - qc.assume_* as run-time checks -------------------===//

#include "backends/common/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/NodeNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <algorithm>

namespace mlir::qc {
#define GEN_PASS_DEF_LOWERCHECKS
#include "backends/common/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

constexpr StringLiteral kCheckFn = "quantc_check_failed";

/// The ONNX node an op was imported from (passes/NodeNames.h), else the
/// location printed; NUL bytes, which would split the artifact's
/// NUL-separated message table, become '?'.
std::string nodeName(Location loc) {
  std::string name = qc::nodeName(loc);
  if (name.empty()) {
    llvm::raw_string_ostream os(name);
    loc.print(os);
  }
  std::replace(name.begin(), name.end(), '\0', '?');
  return name;
}

/// At the builder's point: `if (failed) quantc_check_failed(id, lhs, rhs)`
/// with the index sizes passed as i64 (what every check lowers to); the
/// builder's point is left after the branch.
void callIfFailed(OpBuilder &b, Location loc, Value failed, func::FuncOp fn,
                  int64_t id, Value lhs, Value rhs) {
  auto branch = scf::IfOp::create(b, loc, failed, /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&branch.getThenRegion().front());
  Type i64 = b.getI64Type();
  func::CallOp::create(
      b, loc, fn,
      ValueRange{arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(id)),
                 arith::IndexCastOp::create(b, loc, i64, lhs),
                 arith::IndexCastOp::create(b, loc, i64, rhs)});
}

/// The most bytes a buffer sized at run time may take: far beyond memory,
/// far below where the byte count (elements x element bytes, in 64 bits)
/// could wrap around.
constexpr uint64_t kMaxBufferBytes = uint64_t(1) << 46;

/// Before `op`: each dynamic size d checked as d <= kMaxBufferBytes /
/// (bytes of the sizes before it), unsigned, so a negative size or a
/// product past 2^46 bytes fails the run instead of wrapping into a small
/// allocation that the op's loops then overrun. No multiplication can
/// overflow: every factor is checked against the quotient first.
void checkBufferSize(OpBuilder &b, tensor::EmptyOp op, func::FuncOp fn,
                     SmallVectorImpl<Attribute> &messages) {
  RankedTensorType type = op.getType();
  Type element = type.getElementType();
  if (!element.isIntOrIndexOrFloat())
    return;
  uint64_t bytes =
      element.isIndex()
          ? 8
          : std::max<uint64_t>(1, (element.getIntOrFloatBitWidth() + 7) / 8);
  for (int64_t d : type.getShape())
    if (!ShapedType::isDynamic(d)) {
      if (d == 0)
        return; // nothing to allocate
      if (static_cast<uint64_t>(d) > kMaxBufferBytes / bytes)
        return; // a static size the compiler already accepted
      bytes *= d;
    }
  Location loc = op.getLoc();
  b.setInsertionPoint(op);
  auto index = [&](uint64_t v) {
    return arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(v));
  };
  Value limit = index(kMaxBufferBytes);
  Value acc = index(bytes);
  Value one = index(1);
  for (Value size : op.getDynamicSizes()) {
    Value most = arith::DivUIOp::create(b, loc, limit, acc);
    Value over =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, size, most);
    callIfFailed(b, loc, over, fn, static_cast<int64_t>(messages.size()), size,
                 most);
    acc = arith::MaxUIOp::create(b, loc,
                                 arith::MulIOp::create(b, loc, acc, size), one);
  }
  messages.push_back(b.getStringAttr(
      "node '" + nodeName(loc) +
      "': a tensor size of {0} is negative or makes its buffer larger than "
      "2^46 bytes (at most {1} here)"));
}

struct LowerChecks : qc::impl::LowerChecksBase<LowerChecks> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<qc::AssumeEqualOp> checks;
    module.walk([&](qc::AssumeEqualOp op) { checks.push_back(op); });
    SmallVector<qc::AssumeInRangeOp> ranges;
    module.walk([&](qc::AssumeInRangeOp op) { ranges.push_back(op); });
    // Buffers sized at run time (outside linalg bodies, which run in
    // parallel loops later).
    SmallVector<tensor::EmptyOp> buffers;
    module.walk([&](tensor::EmptyOp op) {
      if (!op.getDynamicSizes().empty() &&
          !op->getParentOfType<linalg::LinalgOp>())
        buffers.push_back(op);
    });
    if (checks.empty() && ranges.empty() && buffers.empty())
      return;
    MLIRContext *ctx = &getContext();
    if (module.lookupSymbol(kCheckFn)) {
      module.emitError() << "the module already defines @" << kCheckFn;
      return signalPassFailure();
    }
    OpBuilder b(ctx);
    b.setInsertionPointToStart(module.getBody());
    Type i64 = b.getI64Type();
    auto fn = func::FuncOp::create(b, module.getLoc(), kCheckFn,
                                   b.getFunctionType({i64, i64, i64}, {}));
    fn.setPrivate();
    SmallVector<Attribute> messages;
    for (auto [index, op] : llvm::enumerate(checks)) {
      Location loc = op.getLoc();
      b.setInsertionPoint(op);
      Value differ = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                           op.getLhs(), op.getRhs());
      callIfFailed(b, loc, differ, fn, static_cast<int64_t>(index), op.getLhs(),
                   op.getRhs());
      messages.push_back(b.getStringAttr("node '" + nodeName(loc) +
                                         "': " + op.getWhat() +
                                         ": sizes {0} and {1} differ"));
      op.erase();
    }
    for (qc::AssumeInRangeOp op : ranges) {
      Location loc = op.getLoc();
      b.setInsertionPoint(op);
      Value index = op.getIndex(), size = op.getSize();
      Value below = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::slt, index,
          arith::SubIOp::create(
              b, loc, arith::ConstantIndexOp::create(b, loc, 0), size));
      Value above =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, index, size);
      callIfFailed(b, loc, arith::OrIOp::create(b, loc, below, above), fn,
                   static_cast<int64_t>(messages.size()), index, size);
      messages.push_back(b.getStringAttr(
          "node '" + nodeName(loc) + "': " + op.getWhat() + ": index {0} is " +
          "out of range for a dimension of size {1}"));
      op.erase();
    }
    for (tensor::EmptyOp op : buffers)
      checkBufferSize(b, op, fn, messages);
    module->setAttr("qc.checks", ArrayAttr::get(ctx, messages));
  }
};

} // namespace
