//===- Sensitivity.cpp - per-layer loss sensitivity -----------------------===//

#include "tools/driver/Sensitivity.h"

#include "tools/driver/Compiler.h"
#include "tools/driver/Evaluation.h"
#include "tools/driver/ModelRunner.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/LayerOrder.h"
#include "passes/ObservedProducts.h"
#include "passes/PackedWeights.h"
#include "passes/Passes.h"
#include "passes/StatsFile.h"
#include "passes/algorithms/BitAllocation.h"
#include "passes/algorithms/Gptq.h"
#include "passes/algorithms/UniformQuant.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

using namespace mlir;
namespace alg = quantc::algorithms;

namespace {

/// A weight product being measured: its weight, and the calibrated
/// statistics of its input.
struct Layer {
  std::string name;
  // Matmuls: W[k][n]. Convolutions: W[n][k] (n output channels of k
  // values each), quantized per output channel.
  bool conv = false;
  std::vector<int64_t> shape;
  int64_t k = 0, n = 0;
  std::vector<float> weights;
  std::vector<float> gram, meanSquare;
  double inputRms = 0;
  size_t weightInput = 0, noiseInput = 0; // artifact input indices
};

quantc::HostTensor floats(std::vector<int64_t> shape,
                          const std::vector<float> &values) {
  quantc::HostTensor t;
  t.dtype = QUANTC_DTYPE_FLOAT;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

double rms(const std::vector<float> &v) {
  double s = 0;
  for (float x : v)
    s += double(x) * x;
  return v.empty() ? 0 : std::sqrt(s / v.size());
}

/// Unit-variance noise of `kind` ("gaussian", "uniform", "laplace").
float noiseSample(const std::string &kind, std::mt19937 &gen) {
  if (kind == "uniform")
    return std::uniform_real_distribution<float>(-std::sqrt(3.0f),
                                                 std::sqrt(3.0f))(gen);
  if (kind == "laplace") {
    float u = std::uniform_real_distribution<float>(1e-7f, 1.0f)(gen);
    float sign = std::uniform_int_distribution<int>(0, 1)(gen) ? 1.0f : -1.0f;
    return sign * -std::log(u) / std::sqrt(2.0f);
  }
  return std::normal_distribution<float>()(gen);
}

/// The kind's code for the compiled noise points (qc-perturbation-points).
float noiseKind(const std::string &kind) {
  return kind == "uniform" ? 0.0f : kind == "gaussian" ? 1.0f : 2.0f;
}

} // namespace

namespace quantc {

namespace {

class Sweep {
public:
  Sweep(ModuleOp module, SensitivityOptions options)
      : module(module), options(std::move(options)) {}

  llvm::Expected<qc::SensitivityReport> run();

private:
  llvm::Error collectLayers();
  llvm::Error calibrateLayers();
  llvm::Error buildArtifact();
  llvm::Error prepareRuns();
  /// The loss over the runs with the current inputs.
  llvm::Expected<double> loss();
  std::vector<float> quantized(const Layer &layer, int bits) const;
  /// Measures allocations along the single-layer trade-off curve whole.
  llvm::Error
  measureMixes(qc::SensitivityReport &report,
               const std::map<int, std::vector<std::vector<float>>> &all,
               const std::function<void()> &step);

  /// Refines a mix for `budget` average code bits against the measured
  /// loss (see Sensitivity.h) and records it in the report.
  llvm::Error refine(qc::SensitivityReport &report,
                     const std::map<int, std::vector<std::vector<float>>> &all,
                     double budget);

  static constexpr int kMixes = 12;
  /// Predicted moves tried per refinement round.
  static constexpr size_t kMoves = 6;

  ModuleOp module;
  SensitivityOptions options;
  std::vector<Layer> layers;
  TemporaryFile artifact;
  std::unique_ptr<LoadedModel> model;
  size_t dataInputs = 0;
  bool tokens = false;
  // Per run: the data inputs; for token models the window's ids too.
  std::vector<std::vector<HostTensor>> runs;
  std::vector<std::vector<HostTensor>> baselineOutputs;
  std::vector<HostTensor> inputs; // all of the artifact's, for one run
};

llvm::Error Sweep::collectLayers() {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return makeError("the module has no func.func @main");
  dataInputs = main.getNumArguments();
  for (const qc::FloatWeightProduct &p : qc::floatWeightProducts(main)) {
    if (p.original)
      continue; // a copy in the other branch of an If: the same layer
    auto type = cast<RankedTensorType>(p.weight->get().getType());
    Attribute value;
    matchPattern(p.weight->get(), m_Constant(&value));
    std::optional<std::vector<float>> w = qc::readFloatConstant(value);
    Layer l;
    l.conv = isa<qc::ConvOp>(p.op);
    l.name = p.name;
    if (!w)
      return makeError("layer '" + l.name + "': its weight cannot be read");
    l.shape.assign(type.getShape().begin(), type.getShape().end());
    l.n = l.conv ? type.getDimSize(0) : type.getDimSize(1);
    l.k = type.getNumElements() / l.n;
    l.weights = std::move(*w);
    layers.push_back(std::move(l));
  }
  if (layers.empty())
    return makeError("the model has no matmul or convolution with a "
                     "constant weight to measure");
  return llvm::Error::success();
}

llvm::Error Sweep::calibrateLayers() {
  // The inputs' E[x^2] per channel (noise sizes, clip weighting) and, for
  // GPTQ, E[x x^T]: one calibration run over the samples.
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  if (llvm::Error e = insertObservers(*copy, /*activationProducts=*/false))
    return e;
  TemporaryFile stats;
  if (llvm::Error e = stats.create("quantc-sensitivity-stats", "json"))
    return e;
  stats.companionSuffixes.push_back(".gram");
  CalibrationOptions calibration = options.calibration;
  calibration.grams = options.gptq;
  if (llvm::Error e = calibrate(*copy, calibration, stats.path))
    return e;
  llvm::Expected<qc::CalibrationStats> read = qc::readStatsFile(stats.path);
  if (!read)
    return read.takeError();
  // Products reading one value share one observer, named after the first
  // of them: each layer's statistics are those of the observer its input
  // is.
  std::vector<qc::FloatWeightProduct> observed =
      qc::floatWeightProducts(copy->lookupSymbol<func::FuncOp>("main"));
  llvm::erase_if(observed,
                 [](const qc::FloatWeightProduct &p) { return p.original; });
  if (observed.size() != layers.size())
    return makeError("the calibration build has other weight products than "
                     "the model");
  for (auto [l, p] : llvm::zip(layers, observed)) {
    auto observer = p.input->get().getDefiningOp<qc::ObserveOp>();
    if (!observer)
      continue;
    auto it = read->tensors.find(observer.getName().str());
    if (it == read->tensors.end())
      continue;
    l.meanSquare.assign(it->second.meanSquare.begin(),
                        it->second.meanSquare.end());
    l.gram = it->second.gram;
    double mean = 0;
    for (float v : l.meanSquare)
      mean += v;
    l.inputRms =
        l.meanSquare.empty() ? 0 : std::sqrt(mean / l.meanSquare.size());
  }
  return llvm::Error::success();
}

llvm::Error Sweep::buildArtifact() {
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  FirstError diag(module.getContext());
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  qc::PerturbationPointsOptions points;
  points.activations = !options.noise.empty();
  pm.addPass(qc::createPerturbationPoints(points));
  if (failed(pm.run(*copy)))
    return diag.takeError("inserting the perturbation points failed");
  if (llvm::Error e = artifact.create("quantc-sensitivity", "so"))
    return e;
  CompileOptions compile;
  compile.writeHeader = false;
  if (llvm::Error e = compileModel(*copy, artifact.path, compile))
    return e;
  llvm::Expected<std::unique_ptr<LoadedModel>> loaded =
      LoadedModel::load(std::string(artifact.path));
  if (!loaded)
    return loaded.takeError();
  model = std::move(*loaded);
  if (options.calibration.threads != 0)
    if (llvm::Error e = model->setThreads(options.calibration.threads))
      return e;
  const auto &infos = model->inputs();
  for (Layer &l : layers) {
    for (size_t i = dataInputs; i < infos.size(); ++i) {
      if (infos[i].name == l.name + ".weight")
        l.weightInput = i;
      if (infos[i].name == l.name + ".input.noise")
        l.noiseInput = i;
    }
    if (!l.weightInput)
      return makeError("layer '" + l.name +
                       "' has no weight input in the "
                       "sensitivity build");
  }
  inputs.assign(infos.size(), HostTensor());
  for (Layer &l : layers) {
    inputs[l.weightInput] = floats(l.shape, l.weights);
    if (l.noiseInput)
      inputs[l.noiseInput] = floats({3}, {0.0f, 0.0f, 0.0f});
  }
  return llvm::Error::success();
}

llvm::Error Sweep::prepareRuns() {
  const auto &infos = model->inputs();
  tokens = dataInputs == 1 && infos[0].dtype == QUANTC_DTYPE_INT64 &&
           infos[0].shape.size() == 2 && infos[0].shape[0] == 1;
  if (tokens) {
    // Windows of the id streams, as perplexity cuts them.
    int64_t window = options.calibration.window;
    for (const std::string &sample : options.calibration.samples) {
      llvm::Expected<HostTensor> ids = readTensorFile(sample);
      if (!ids)
        return ids.takeError();
      if (ids->dtype != QUANTC_DTYPE_INT64)
        return makeError("'" + sample + "' does not hold int64 token ids");
      const int64_t *p = reinterpret_cast<const int64_t *>(ids->data.data());
      int64_t count = ids->numElements();
      for (int64_t s = 0; s + window <= count &&
                          static_cast<int64_t>(runs.size()) < options.runs;
           s += window) {
        HostTensor w;
        w.dtype = QUANTC_DTYPE_INT64;
        w.shape = {1, window};
        w.data.resize(window * sizeof(int64_t));
        std::memcpy(w.data.data(), p + s, w.data.size());
        runs.push_back({std::move(w)});
      }
    }
    if (runs.empty())
      return makeError("the samples hold no whole window of " +
                       std::to_string(window) + " ids");
    return llvm::Error::success();
  }
  // One sample per run: FILE for a single input, NAME=FILE,... otherwise.
  for (const std::string &sample : options.calibration.samples) {
    if (static_cast<int64_t>(runs.size()) >= options.runs)
      break;
    std::vector<HostTensor> set(dataInputs);
    llvm::SmallVector<StringRef> entries;
    StringRef(sample).split(entries, ',');
    for (StringRef entry : entries) {
      std::pair<StringRef, StringRef> parts = entry.split('=');
      StringRef name = parts.first, file = parts.second;
      size_t index = 0;
      if (file.empty()) {
        file = name;
      } else {
        auto it = llvm::find_if(
            infos, [&](const LoadedModel::Info &i) { return i.name == name; });
        if (it == infos.end() || size_t(it - infos.begin()) >= dataInputs)
          return makeError("sample '" + sample + "': the model has no input '" +
                           name + "'");
        index = it - infos.begin();
      }
      llvm::Expected<HostTensor> t = readTensorFile(file);
      if (!t)
        return t.takeError();
      set[index] = std::move(*t);
    }
    for (size_t i = 0; i < dataInputs; ++i)
      if (set[i].data.empty())
        return makeError("sample '" + sample + "' has no tensor for input '" +
                         infos[i].name + "'");
    runs.push_back(std::move(set));
  }
  return llvm::Error::success();
}

llvm::Expected<double> Sweep::loss() {
  double total = 0;
  int64_t count = 0;
  bool baseline = baselineOutputs.size() < runs.size();
  std::vector<HostTensor> out;
  for (size_t r = 0; r < runs.size(); ++r) {
    for (size_t i = 0; i < dataInputs; ++i)
      inputs[i] = runs[r][i];
    if (llvm::Error e = model->run(inputs, out))
      return std::move(e);
    if (tokens) {
      const auto *ids =
          reinterpret_cast<const int64_t *>(runs[r][0].data.data());
      llvm::Expected<double> nll = windowNll(out[0], ids, runs[r][0].shape[1]);
      if (!nll)
        return nll.takeError();
      total += *nll;
      count += runs[r][0].shape[1] - 1;
      continue;
    }
    // Output MSE against the unperturbed model's outputs.
    if (baseline) {
      baselineOutputs.push_back(out);
      count += 1;
      continue;
    }
    for (size_t o = 0; o < out.size(); ++o) {
      const HostTensor &a = out[o], &b = baselineOutputs[r][o];
      if (a.dtype != QUANTC_DTYPE_FLOAT || b.data.size() != a.data.size())
        continue;
      const float *x = reinterpret_cast<const float *>(a.data.data());
      const float *y = reinterpret_cast<const float *>(b.data.data());
      for (int64_t i = 0, e = a.numElements(); i < e; ++i) {
        double d = double(x[i]) - y[i];
        total += d * d;
        ++count;
      }
    }
  }
  return count ? total / count : 0.0;
}

std::vector<float> Sweep::quantized(const Layer &l, int bits) const {
  if (l.conv) {
    // As qc-quantize-weights does: one scale per output channel (per
    // tensor with group size -1), RTN on the channels as columns.
    std::vector<float> columns(l.weights.size());
    for (int64_t c = 0; c < l.n; ++c)
      for (int64_t r = 0; r < l.k; ++r)
        columns[r * l.n + c] = l.weights[c * l.k + r];
    alg::QuantizedWeights q = alg::quantizeRTN(
        columns.data(), l.k, l.n, bits,
        options.groupSize == -1 ? alg::Granularity::PerTensor
                                : alg::Granularity::PerChannel,
        l.k, options.symmetric,
        options.clipMse ? alg::RangeChoice::Mse : alg::RangeChoice::MinMax);
    std::vector<float> out(l.weights.size());
    for (int64_t c = 0; c < l.n; ++c)
      for (int64_t r = 0; r < l.k; ++r)
        out[c * l.k + r] = q.dequantized(r, c);
    return out;
  }
  alg::RangeChoice choice =
      options.clipMse ? alg::RangeChoice::Mse : alg::RangeChoice::MinMax;
  if (options.gptq && !l.gram.empty()) {
    alg::GptqOptions g;
    g.bits = bits;
    g.granularity = alg::granularityFor(options.groupSize, l.k);
    g.groupSize = alg::rowsPerScale(options.groupSize, l.k);
    g.symmetric = options.symmetric;
    g.choice = choice;
    g.actOrder = options.actOrder;
    if (std::optional<alg::QuantizedWeights> q =
            alg::quantizeGPTQ(l.weights.data(), l.k, l.n, l.gram.data(), g))
      return q->dequantizedAll();
  }
  // RTN as qc-quantize-weights rounds (also where GPTQ has no statistics).
  qc::WeightRounding rounding{
      static_cast<unsigned>(bits), options.groupSize, options.symmetric,
      options.clipMse ? qc::WeightClip::Mse : qc::WeightClip::None};
  return rounding.roundTrip(l.weights, l.k, l.n,
                            l.meanSquare.empty() ? nullptr
                                                 : l.meanSquare.data());
}

/// Each layer's options as the knapsack takes them: every measured width,
/// costing code bits, losing its single-layer change. `params` receives
/// the layers' parameter count.
std::vector<std::vector<alg::AllocationOption>>
singleLayerOptions(const qc::SensitivityReport &report,
                   const std::vector<Layer> &layers, double &params) {
  std::vector<std::vector<alg::AllocationOption>> options(layers.size());
  params = 0;
  for (size_t li = 0; li < layers.size(); ++li) {
    double size = double(layers[li].k) * layers[li].n;
    params += size;
    for (const auto &[b, d] : report.layers[li].bits)
      options[li].push_back({b * size, d});
  }
  return options;
}

llvm::Error Sweep::measureMixes(
    qc::SensitivityReport &report,
    const std::map<int, std::vector<std::vector<float>>> &quantizedAll,
    const std::function<void()> &step) {
  // Up to kMixes allocations spread along the Lagrangian trade-off curve of
  // the single-layer changes, each measured whole.
  double params = 0;
  std::vector<std::vector<alg::AllocationOption>> options =
      singleLayerOptions(report, layers, params);
  std::vector<alg::Allocation> curve = alg::lagrangianSweep(options);
  std::vector<alg::Allocation> picked;
  for (size_t i = 0; i < kMixes && !curve.empty(); ++i) {
    size_t at = curve.size() == 1 ? 0 : i * (curve.size() - 1) / (kMixes - 1);
    if (picked.empty() || picked.back().cost != curve[at].cost)
      picked.push_back(curve[at]);
  }
  for (const alg::Allocation &a : picked) {
    for (size_t li = 0; li < layers.size(); ++li) {
      int b = std::next(report.layers[li].bits.begin(), a.choice[li])->first;
      inputs[layers[li].weightInput] =
          floats(layers[li].shape, quantizedAll.at(b)[li]);
    }
    llvm::Expected<double> v = loss();
    if (!v)
      return v.takeError();
    report.mixes.push_back({a.cost / params, a.loss, *v - report.baseline});
    step();
  }
  for (int i = int(picked.size()); i < kMixes; ++i)
    step();
  llvm::sort(report.mixes,
             [](const auto &x, const auto &y) { return x.bits < y.bits; });
  for (Layer &l : layers)
    inputs[l.weightInput] = floats(l.shape, l.weights);
  return llvm::Error::success();
}

llvm::Error
Sweep::refine(qc::SensitivityReport &report,
              const std::map<int, std::vector<std::vector<float>>> &all,
              double budget) {
  // Every layer was measured at each width: option o is widths[o].
  const std::vector<int> &widths = options.bits; // sorted, each once
  size_t count = layers.size();
  double params = 0;
  std::vector<std::vector<alg::AllocationOption>> single =
      singleLayerOptions(report, layers, params);
  double cap = budget * params;
  alg::Allocation start = alg::allocateExact(single, cap);
  if (!start.feasible)
    return makeError(llvm::formatv("--refine {0}: the budget is below the "
                                   "cheapest mix ({1} bits per weight)",
                                   budget, widths.front())
                         .str());
  // What each layer's weight input holds now (an option index).
  std::vector<int> loaded(count, -1);
  auto load = [&](const std::vector<int> &choice) {
    for (size_t li = 0; li < count; ++li)
      if (loaded[li] != choice[li]) {
        inputs[layers[li].weightInput] =
            floats(layers[li].shape, all.at(widths[choice[li]])[li]);
        loaded[li] = choice[li];
      }
  };
  auto measure = [&](const std::vector<int> &choice) -> llvm::Expected<double> {
    load(choice);
    llvm::Expected<double> v = loss();
    if (!v)
      return v.takeError();
    return *v - report.baseline;
  };
  auto costOf = [&](const std::vector<int> &choice) {
    double c = 0;
    for (size_t li = 0; li < count; ++li)
      c += single[li][choice[li]].cost;
    return c;
  };
  bool progress = llvm::sys::Process::StandardErrIsDisplayed();
  std::vector<int> mix = start.choice;
  llvm::Expected<double> current = measure(mix);
  if (!current)
    return current.takeError();
  for (int64_t round = 0; round < options.refineRounds; ++round) {
    if (progress)
      llvm::errs() << llvm::formatv("\rrefining for {0} bits: round {1}, loss "
                                    "change {2:F5}   ",
                                    budget, round + 1, *current);
    // Each one-layer change measured in the context of the mix.
    std::vector<std::vector<alg::AllocationOption>> local(count);
    for (size_t li = 0; li < count; ++li) {
      for (size_t o = 0; o < widths.size(); ++o) {
        double d = 0;
        if (static_cast<int>(o) != mix[li]) {
          std::vector<int> moved = mix;
          moved[li] = static_cast<int>(o);
          llvm::Expected<double> v = measure(moved);
          if (!v)
            return v.takeError();
          d = *v - *current;
        }
        local[li].push_back({single[li][o].cost, d});
      }
    }
    // Candidates: the knapsack on the conditional changes, then the single
    // and paired moves that fit, by predicted gain.
    std::vector<std::vector<int>> candidates;
    alg::Allocation solved = alg::allocateExact(local, cap);
    if (solved.feasible && solved.choice != mix)
      candidates.push_back(solved.choice);
    double used = costOf(mix);
    // A move changes layer i to option oi and, for pairs, j to oj (j < 0:
    // a single move); only the best are turned into mixes.
    struct Move {
      double gain;
      int i, oi, j, oj;
    };
    std::vector<Move> moves;
    for (size_t i = 0; i < count; ++i)
      for (size_t oi = 0; oi < widths.size(); ++oi) {
        if (static_cast<int>(oi) == mix[i])
          continue;
        double ci = local[i][oi].cost - local[i][mix[i]].cost;
        double di = local[i][oi].loss;
        if (di < 0 && used + ci <= cap)
          moves.push_back({di, int(i), int(oi), -1, 0});
        for (size_t j = i + 1; j < count; ++j)
          for (size_t oj = 0; oj < widths.size(); ++oj) {
            if (static_cast<int>(oj) == mix[j])
              continue;
            double c = ci + local[j][oj].cost - local[j][mix[j]].cost;
            double d = di + local[j][oj].loss;
            if (d < 0 && used + c <= cap)
              moves.push_back({d, int(i), int(oi), int(j), int(oj)});
          }
      }
    llvm::sort(moves,
               [](const Move &a, const Move &b) { return a.gain < b.gain; });
    for (size_t m = 0; m < moves.size() && m < kMoves; ++m) {
      std::vector<int> moved = mix;
      moved[moves[m].i] = moves[m].oi;
      if (moves[m].j >= 0)
        moved[moves[m].j] = moves[m].oj;
      if (!llvm::is_contained(candidates, moved))
        candidates.push_back(std::move(moved));
    }
    bool improved = false;
    for (const std::vector<int> &candidate : candidates) {
      llvm::Expected<double> v = measure(candidate);
      if (!v)
        return v.takeError();
      if (*v < *current) {
        mix = candidate;
        *current = *v;
        improved = true;
        break;
      }
    }
    if (!improved)
      break;
  }
  if (progress)
    llvm::errs() << "\n";
  qc::SensitivityReport::Refined refined;
  refined.budget = budget;
  refined.bits = costOf(mix) / params;
  refined.measured = *current;
  for (size_t li = 0; li < count; ++li) {
    refined.singleSum += single[li][mix[li]].loss;
    refined.widths[layers[li].name] = widths[mix[li]];
  }
  report.allocations.push_back(std::move(refined));
  for (Layer &l : layers)
    inputs[l.weightInput] = floats(l.shape, l.weights);
  return llvm::Error::success();
}

llvm::Expected<qc::SensitivityReport> Sweep::run() {
  for (int b : options.bits)
    if (b < 2 || b > 8)
      return makeError("--bits must list widths in [2, 8]");
  // Each width once, in order (the joint measurements index by width).
  llvm::sort(options.bits);
  options.bits.erase(std::unique(options.bits.begin(), options.bits.end()),
                     options.bits.end());
  if (options.calibration.samples.empty())
    return makeError("no samples: give --calib SAMPLE...");
  if (llvm::Error e = collectLayers())
    return std::move(e);
  if (llvm::Error e = calibrateLayers())
    return std::move(e);
  if (llvm::Error e = buildArtifact())
    return std::move(e);
  if (llvm::Error e = prepareRuns())
    return std::move(e);

  qc::SensitivityReport report;
  report.loss = tokens ? "cross_entropy" : "output_mse";
  report.runs = static_cast<int64_t>(runs.size());
  report.bits = options.bits;
  report.groupSize = options.groupSize;
  report.symmetric = options.symmetric;
  report.method = options.gptq ? "gptq" : "rtn";
  report.noiseSize = options.noise.empty() ? 0 : options.noiseSize;
  llvm::Expected<double> base = loss();
  if (!base)
    return base.takeError();
  report.baseline = *base;

  int64_t total = static_cast<int64_t>(layers.size()) *
                      (options.bits.size() + 2 * options.noise.size()) +
                  (options.joint ? options.bits.size() + kMixes : 0);
  int64_t done = 0;
  bool progress = llvm::sys::Process::StandardErrIsDisplayed();
  auto step = [&] {
    ++done;
    if (progress)
      llvm::errs() << "\rsensitivity: " << done << "/" << total;
  };
  std::map<int, std::vector<std::vector<float>>> quantizedAll;
  for (size_t li = 0; li < layers.size(); ++li) {
    Layer &l = layers[li];
    qc::LayerSensitivity s;
    s.name = l.name;
    s.component = qc::componentClass(l.name);
    s.rows = l.k;
    s.cols = l.n;
    HostTensor original = inputs[l.weightInput];
    for (int b : options.bits) {
      std::vector<float> q = quantized(l, b);
      inputs[l.weightInput] = floats(l.shape, q);
      if (options.joint || !options.refine.empty())
        quantizedAll[b].push_back(std::move(q));
      llvm::Expected<double> v = loss();
      if (!v)
        return v.takeError();
      s.bits[b] = *v - report.baseline;
      step();
    }
    for (const std::string &kind : options.noise) {
      std::mt19937 gen(static_cast<uint32_t>(li * 7919 + 17));
      float size = static_cast<float>(options.noiseSize * rms(l.weights));
      std::vector<float> noisy = l.weights;
      for (float &w : noisy)
        w += size * noiseSample(kind, gen);
      inputs[l.weightInput] = floats(l.shape, noisy);
      llvm::Expected<double> v = loss();
      if (!v)
        return v.takeError();
      s.weightNoise[kind] = *v - report.baseline;
      step();
    }
    inputs[l.weightInput] = original;
    for (const std::string &kind : options.noise) {
      if (!l.noiseInput || l.inputRms == 0)
        continue;
      inputs[l.noiseInput] =
          floats({3}, {static_cast<float>(options.noiseSize * l.inputRms),
                       noiseKind(kind), static_cast<float>(li + 1)});
      llvm::Expected<double> v = loss();
      if (!v)
        return v.takeError();
      s.activationNoise[kind] = *v - report.baseline;
      inputs[l.noiseInput] = floats({3}, {0.0f, 0.0f, 0.0f});
      step();
    }
    report.layers.push_back(std::move(s));
  }
  // Every layer at one width at once: what the single-layer sums miss.
  for (auto &[b, all] : quantizedAll) {
    if (!options.joint)
      break;
    for (size_t li = 0; li < layers.size(); ++li)
      inputs[layers[li].weightInput] = floats(layers[li].shape, all[li]);
    llvm::Expected<double> v = loss();
    if (!v)
      return v.takeError();
    report.joint[b] = *v - report.baseline;
    step();
  }
  if (options.joint)
    if (llvm::Error e = measureMixes(report, quantizedAll, step))
      return std::move(e);
  if (progress)
    llvm::errs() << "\n";
  for (double budget : options.refine)
    if (llvm::Error e = refine(report, quantizedAll, budget))
      return std::move(e);
  return report;
}

} // namespace

llvm::Expected<qc::SensitivityReport>
measureSensitivity(ModuleOp module, const SensitivityOptions &options) {
  Sweep sweep(module, options);
  return sweep.run();
}

std::string summarizeSensitivity(const qc::SensitivityReport &report) {
  struct Row {
    std::string component;
    int layers = 0;
    std::map<int, double> bits;
  };
  std::map<std::string, Row> rows;
  for (const qc::LayerSensitivity &l : report.layers) {
    Row &r = rows[l.component];
    r.component = l.component;
    ++r.layers;
    for (const auto &[b, d] : l.bits)
      r.bits[b] += d;
  }
  std::vector<Row> sorted;
  for (auto &[name, r] : rows)
    sorted.push_back(r);
  int fewest = report.bits.empty()
                   ? 0
                   : *std::min_element(report.bits.begin(), report.bits.end());
  // Most sensitive first: the mean change per layer at the fewest bits.
  llvm::sort(sorted, [&](const Row &a, const Row &b) {
    return a.bits.at(fewest) / a.layers > b.bits.at(fewest) / b.layers;
  });
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "component   layers";
  for (int b : report.bits)
    os << llvm::format("  %7d-bit", b);
  os << "   (mean "
     << (report.loss == "cross_entropy" ? "delta cross-entropy" : "output MSE")
     << " per layer; baseline " << llvm::format("%.4f", report.baseline)
     << ")\n";
  for (const Row &r : sorted) {
    os << llvm::format("%-11s %6d", r.component.c_str(), r.layers);
    for (int b : report.bits)
      os << llvm::format("  %11.5f",
                         r.bits.count(b) ? r.bits.at(b) / r.layers : 0.0);
    os << "\n";
  }
  if (!report.joint.empty()) {
    os << "all layers at once:";
    for (const auto &[b, d] : report.joint)
      os << llvm::format("  %d-bit %.5f", b, d);
    os << "\n";
  }
  if (!report.mixes.empty()) {
    os << "trade-off curve (mixes on the single-layer knapsack's curve):\n"
          "  bits  single-layer sum  measured  ratio\n";
    for (const qc::SensitivityReport::Mix &m : report.mixes)
      os << llvm::format("  %4.2f  %16.5f  %8.5f  %5.2f\n", m.bits, m.singleSum,
                         m.measured,
                         m.singleSum > 0 ? m.measured / m.singleSum : 0.0);
  }
  for (const qc::SensitivityReport::Refined &a : report.allocations)
    os << llvm::format("refined for %.2f bits: %.3f bits, measured change "
                       "%.5f (single-layer sum %.5f)\n",
                       a.budget, a.bits, a.measured, a.singleSum);
  return text;
}

} // namespace quantc
