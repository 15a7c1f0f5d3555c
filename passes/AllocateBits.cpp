//===- AllocateBits.cpp - mixed-precision weights under a budget ----------===//
//
// qc-allocate-bits: reads a sensitivity report (passes/SensitivityFile.h),
// chooses a width per weight product by the exact knapsack of
// passes/algorithms/BitAllocation and records it as qc.weight_bits, which
// qc-quantize-weights honours.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/LayerOrder.h"
#include "passes/PackedWeights.h"
#include "passes/SensitivityFile.h"
#include "passes/algorithms/BitAllocation.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/GlobPattern.h"

namespace mlir::qc {
#define GEN_PASS_DEF_ALLOCATEBITS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

/// `ratios` (average width -> measured / summed single-layer change) at
/// `bits`, linear between the measured widths and clamped beyond them; 1
/// without any.
double jointRatio(const std::map<double, double> &ratios, double bits) {
  if (ratios.empty())
    return 1;
  if (bits <= ratios.begin()->first)
    return ratios.begin()->second;
  if (bits >= ratios.rbegin()->first)
    return ratios.rbegin()->second;
  auto hi = ratios.lower_bound(bits);
  if (hi->first == bits)
    return hi->second;
  auto lo = std::prev(hi);
  double t = (bits - lo->first) / double(hi->first - lo->first);
  return lo->second + t * (hi->second - lo->second);
}

/// A weight product's stored bytes at a width, as qc-quantize-weights and
/// qc-lower-quantized will store it (passes/PackedWeights.h).
struct Storage {
  int64_t codes = 0, total = 0;
};

Storage storageAt(const FloatWeightProduct &p, int bits,
                  const SensitivityReport &report) {
  auto type = cast<RankedTensorType>(p.weight->get().getType());
  bool zeroPoints = !report.symmetric;
  if (isa<ConvOp>(p.op))
    return {type.getNumElements(),
            quantizedConvBytes(type.getNumElements(), type.getDimSize(0),
                               zeroPoints)};
  int64_t rows = type.getDimSize(0);
  int64_t groupRows =
      report.groupSize > 0 && report.groupSize < rows ? report.groupSize : 0;
  PackedWeightLayout layout = PackedWeightLayout::of(
      rows, type.getDimSize(1), static_cast<unsigned>(bits), groupRows,
      zeroPoints);
  return {layout.codeBytes(), layout.storageBytes()};
}

struct AllocateBits : qc::impl::AllocateBitsBase<AllocateBits> {
  using Base::Base;

  void runOnOperation() override;
};

void AllocateBits::runOnOperation() {
  func::FuncOp func = getOperation();
  llvm::Expected<SensitivityReport> report =
      readSensitivityFile(sensitivityFile);
  if (!report) {
    func.emitError() << "qc-allocate-bits: "
                     << llvm::toString(report.takeError());
    return signalPassFailure();
  }
  bool bySize = sizeBudget > 0;
  if ((!bySize && !(budget > 0)) || sizeBudget < 0 || steps < 1 ||
      defaultBits < 2 || defaultBits > 8) {
    func.emitError("qc-allocate-bits: budget must be positive (average code "
                   "bits per weight) or size-budget positive (bytes), "
                   "steps >= 1 and default-bits in [2, 8]");
    return signalPassFailure();
  }
  // Fixed widths by name pattern.
  std::vector<std::pair<llvm::GlobPattern, int>> overrides;
  for (const std::string &entry : layerBits) {
    auto [pattern, value] = StringRef(entry).rsplit('=');
    int b = 0;
    llvm::Expected<llvm::GlobPattern> glob = llvm::GlobPattern::create(pattern);
    if (value.empty() || value.getAsInteger(10, b) || b < 2 || b > 8 || !glob) {
      if (!glob)
        llvm::consumeError(glob.takeError());
      func.emitError() << "qc-allocate-bits: layer-bits takes "
                          "PATTERN=BITS with BITS in [2, 8], not '"
                       << entry << "'";
      return signalPassFailure();
    }
    overrides.emplace_back(std::move(*glob), b);
  }

  std::map<std::string, const LayerSensitivity *> byName;
  for (const LayerSensitivity &l : report->layers)
    byName[l.name] = &l;
  struct Target {
    Operation *op;
    const LayerSensitivity *layer;
    int64_t params;
    std::vector<int> widths;      // the options' bits
    std::vector<Storage> storage; // the options' bytes
  };
  std::vector<Target> targets;
  std::vector<std::vector<alg::AllocationOption>> options;
  double params = 0;
  // Bytes that do not depend on the choice: float constants other than
  // product weights, and the products the report does not name at
  // default-bits. Weights of other ops (qc.gemm) count as float: an upper
  // bound.
  int64_t fixedBytes = 0;
  llvm::DenseSet<Value> productWeights;
  // Named as `quantc sensitivity` names them (passes/LayerOrder.h).
  // Copies of a layer in the other branch of an If take its width.
  llvm::DenseMap<Operation *, SmallVector<Operation *>> copies;
  for (const FloatWeightProduct &p : floatWeightProducts(func)) {
    productWeights.insert(p.weight->get());
    if (p.original) {
      copies[p.original].push_back(p.op);
      continue;
    }
    auto it = byName.find(p.name);
    if (it == byName.end()) {
      fixedBytes += storageAt(p, defaultBits, *report).total;
      continue;
    }
    auto type = cast<RankedTensorType>(p.weight->get().getType());
    Target t{p.op, it->second, type.getNumElements(), {}, {}};
    int fixed = 0;
    for (auto &[glob, b] : overrides)
      if (glob.match(it->first))
        fixed = b;
    std::vector<alg::AllocationOption> choices;
    auto offer = [&](int b, double loss) {
      Storage bytes = storageAt(p, b, *report);
      t.widths.push_back(b);
      t.storage.push_back(bytes);
      choices.push_back(
          {bySize ? double(bytes.total) : double(b) * t.params, loss});
    };
    if (fixed) {
      offer(fixed,
            it->second->bits.count(fixed) ? it->second->bits.at(fixed) : 0.0);
    } else {
      for (const auto &[b, loss] : it->second->bits)
        if (b >= 2 && b <= 8) // the widths qc-quantize-weights offers
          offer(b, loss);
    }
    if (choices.empty()) {
      fixedBytes += storageAt(p, defaultBits, *report).total;
      continue;
    }
    params += t.params;
    targets.push_back(std::move(t));
    options.push_back(std::move(choices));
  }
  func.walk([&](arith::ConstantOp constant) {
    auto type = dyn_cast<RankedTensorType>(constant.getType());
    if (type && type.getRank() > 0 && type.hasStaticShape() &&
        isa<FloatType>(type.getElementType()) &&
        !productWeights.contains(constant.getResult()))
      fixedBytes += type.getNumElements() *
                    type.getElementType().getIntOrFloatBitWidth() / 8;
  });
  if (targets.empty()) {
    func.emitWarning("qc-allocate-bits: no weight product of this "
                     "function is in the sensitivity report");
    return;
  }
  double capacity =
      bySize ? double(sizeBudget) - double(fixedBytes) : budget * params;
  alg::Allocation a = alg::allocateExact(options, capacity, steps);
  if (!a.feasible) {
    double cheapest = 0;
    for (const auto &o : options) {
      double least = o.front().cost;
      for (const alg::AllocationOption &option : o)
        least = std::min(least, option.cost);
      cheapest += least;
    }
    InFlightDiagnostic error = func.emitError();
    if (bySize)
      error << "qc-allocate-bits: a size budget of " << int64_t(sizeBudget)
            << " bytes is below the smallest mix ("
            << int64_t(cheapest) + fixedBytes << " bytes, of which "
            << fixedBytes << " do not depend on the widths)";
    else
      error << "qc-allocate-bits: a budget of " << budget
            << " bits per weight is below the cheapest mix ("
            << cheapest / params << ")";
    return signalPassFailure();
  }
  // Single-layer changes add up to less than the joint damage: the
  // report's measured mixes along the trade-off curve (else its uniform
  // widths) give the ratio at this mix's average width.
  std::map<double, double> ratios;
  for (const SensitivityReport::Mix &m : report->mixes)
    if (m.singleSum > 0 && m.measured > 0)
      ratios[m.bits] = m.measured / m.singleSum;
  if (ratios.empty())
    for (const auto &[width, joint] : report->joint) {
      double sum = 0;
      for (const LayerSensitivity &l : report->layers)
        sum += l.bits.count(width) ? l.bits.at(width) : 0;
      if (sum > 0 && joint > 0)
        ratios[width] = joint / sum;
    }
  std::vector<int> choice = a.choice;
  auto averageBits = [&](const std::vector<int> &c) {
    double bits = 0;
    for (size_t i = 0; i < targets.size(); ++i)
      bits += double(targets[i].widths[c[i]]) * targets[i].params;
    return bits / params;
  };
  double ratio = jointRatio(ratios, averageBits(choice));
  double predicted = a.loss * ratio;
  // The mix is chosen on single-layer changes. A mix whose whole-model
  // change the report measured can do better: a uniform width ("joint";
  // interactions favour uniform widths on stories260k at 3 bits) or a mix
  // refined against the measured loss ("allocations"). Taken when it fits
  // the budget and measured below this prediction; only when no width is
  // fixed by layer-bits and the report covers every product.
  std::string measuredNote;
  auto consider = [&](auto widthOf, double loss, const std::string &note) {
    std::vector<int> c(targets.size());
    double cost = 0;
    for (size_t i = 0; i < targets.size(); ++i) {
      std::optional<int> width = widthOf(*targets[i].layer);
      auto at = width ? llvm::find(targets[i].widths, *width)
                      : targets[i].widths.end();
      if (at == targets[i].widths.end())
        return;
      c[i] = static_cast<int>(at - targets[i].widths.begin());
      cost += options[i][c[i]].cost;
    }
    if (cost > capacity * (1 + 1e-12) || !(loss < predicted))
      return;
    choice = std::move(c);
    predicted = loss;
    measuredNote = note;
  };
  if (overrides.empty() && targets.size() == report->layers.size()) {
    for (const auto &[width, joint] : report->joint) {
      int w = width;
      consider(
          [&](const LayerSensitivity &) -> std::optional<int> { return w; },
          joint,
          "uniform " + std::to_string(w) +
              " bits: its measured change beats the mix's prediction");
    }
    for (const SensitivityReport::Refined &r : report->allocations)
      consider(
          [&](const LayerSensitivity &l) -> std::optional<int> {
            auto it = r.widths.find(l.name);
            return it == r.widths.end() ? std::nullopt
                                        : std::optional<int>(it->second);
          },
          r.measured,
          llvm::formatv("the mix refined for {0} bits against the measured "
                        "loss by `quantc sensitivity --refine`",
                        r.budget));
  }
  Builder b(&getContext());
  int64_t codeBytes = 0, weightBytes = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    int width = targets[i].widths[choice[i]];
    codeBytes += targets[i].storage[choice[i]].codes;
    weightBytes += targets[i].storage[choice[i]].total;
    targets[i].op->setAttr(kWeightBitsAttr, b.getI64IntegerAttr(width));
    for (Operation *copy : copies.lookup(targets[i].op))
      copy->setAttr(kWeightBitsAttr, b.getI64IntegerAttr(width));
    const LayerSensitivity &l = *targets[i].layer;
    targets[i].op->emitRemark()
        << "bit allocation: " << width << " bits, predicted loss change "
        << (l.bits.count(width) ? l.bits.at(width) : 0.0);
  }
  // The whole model's summary: no one op's location.
  InFlightDiagnostic summary = emitRemark(UnknownLoc::get(&getContext()));
  summary << "bit allocation: " << averageBits(choice)
          << " code bits per weight over " << int64_t(params) << " weights (";
  if (bySize)
    summary << "size budget " << int64_t(sizeBudget) << " bytes";
  else
    summary << "budget " << budget;
  summary << "); their codes " << codeBytes << " bytes, scales and zero points "
          << weightBytes - codeBytes << " bytes; with the rest of the model "
          << weightBytes + fixedBytes << " bytes; predicted loss change "
          << predicted;
  if (measuredNote.empty())
    summary << " (single-layer sum " << a.loss << " x joint ratio " << ratio
            << ")";
  else
    summary << " (" << measuredNote << ")";
}

} // namespace
