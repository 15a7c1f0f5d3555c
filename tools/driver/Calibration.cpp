//===- Calibration.cpp - observer statistics from compiled runs -----------===//

#include "tools/driver/Calibration.h"

#include "tools/driver/Compiler.h"
#include "tools/driver/ModelRunner.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/Passes.h"
#include "passes/StatsFile.h"
#include "passes/algorithms/Observers.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
namespace alg = quantc::algorithms;

namespace {

struct Observed {
  std::vector<std::string> names;
  std::vector<alg::AbsHistogram> histograms;
  std::vector<alg::ChannelStats> channels; // over each tensor's last dim
  std::vector<alg::GramStats> grams;       // empty unless asked for
  std::vector<bool> wantGram;              // per observer, with grams
  std::vector<alg::RowSample> samples;     // empty unless asked for
  std::vector<float> scratch;              // a strided tensor made contiguous
  std::string error; // the first inconsistency (the callback cannot fail)
};

void observe(void *user, size_t index, const float *data, size_t rank,
             const int64_t *shape, const int64_t *strides) {
  auto *state = static_cast<Observed *>(user);
  int64_t count = 1;
  bool contiguous = true;
  for (size_t d = rank; d-- > 0;) {
    if (shape[d] != 1 && strides[d] != count)
      contiguous = false;
    count *= shape[d];
  }
  if (count == 0)
    return;
  if (!contiguous) {
    state->scratch.resize(count);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t offset = 0;
      for (size_t d = 0; d < rank; ++d)
        offset += idx[d] * strides[d];
      state->scratch[i] = data[offset];
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < shape[d])
          break;
        idx[d] = 0;
      }
    }
    data = state->scratch.data();
  }
  state->histograms[index].update(data, count);
  if (rank == 0 || shape[rank - 1] <= 0)
    return;
  int64_t k = shape[rank - 1];
  alg::ChannelStats &channels = state->channels[index];
  if (channels.channels() != 0 && channels.channels() != k) {
    if (state->error.empty())
      state->error = "observer '" + state->names[index] +
                     "': the last dimension changed from " +
                     std::to_string(channels.channels()) + " to " +
                     std::to_string(k) + " between samples";
    return;
  }
  channels.update(data, count, k);
  if (!state->grams.empty() && state->wantGram[index])
    state->grams[index].update(data, count, k);
  if (!state->samples.empty())
    state->samples[index].update(data, count, k);
}

/// The inputs of every sample, in the model's input order.
bool expandSamples(const quantc::LoadedModel &model,
                   const quantc::CalibrationOptions &options,
                   std::vector<std::vector<quantc::HostTensor>> &runs,
                   std::string &error) {
  const auto &inputs = model.inputs();
  for (const std::string &sample : options.samples) {
    std::vector<quantc::HostTensor> set(inputs.size());
    if (sample.find('=') == std::string::npos) {
      if (inputs.size() != 1) {
        error = "the model has " + std::to_string(inputs.size()) +
                " inputs: give each sample as NAME=FILE[,NAME=FILE...]";
        return false;
      }
      llvm::Expected<quantc::HostTensor> tensor =
          quantc::readTensorFile(sample);
      if (!tensor) {
        error = sample + ": " + llvm::toString(tensor.takeError());
        return false;
      }
      set[0] = std::move(*tensor);
      const auto &in = inputs[0];
      // Token models: an ids file is cut into windows of [1, window].
      bool ids = in.dtype == QUANTC_DTYPE_INT64 &&
                 set[0].dtype == QUANTC_DTYPE_INT64 && in.shape.size() == 2 &&
                 (in.shape[0] == 1 || in.shape[0] == -1) && in.shape[1] == -1;
      if (ids) {
        int64_t total = set[0].numElements();
        int64_t windows = total / options.window;
        if (windows == 0) {
          error = sample + " holds fewer ids than one window (" +
                  std::to_string(options.window) + ")";
          return false;
        }
        for (int64_t w = 0; w < windows; ++w) {
          quantc::HostTensor t;
          t.dtype = QUANTC_DTYPE_INT64;
          t.shape = {1, static_cast<int64_t>(options.window)};
          const char *begin =
              set[0].data.data() + w * options.window * sizeof(int64_t);
          t.data.assign(begin, begin + options.window * sizeof(int64_t));
          runs.push_back({std::move(t)});
        }
        continue;
      }
      runs.push_back(std::move(set));
      continue;
    }
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(sample).split(parts, ',');
    std::vector<std::string> entries(parts.begin(), parts.end());
    llvm::Expected<std::vector<quantc::HostTensor>> read =
        model.readInputs(entries, "file in sample '" + sample + "'");
    if (!read) {
      error = llvm::toString(read.takeError());
      return false;
    }
    set = std::move(*read);
    runs.push_back(std::move(set));
  }
  if (runs.empty()) {
    error = "no calibration samples";
    return false;
  }
  return true;
}

/// The range an observer keeps: the extrema, or a symmetric clip of them.
alg::Range chooseRange(const alg::AbsHistogram &h,
                       const quantc::CalibrationOptions &options) {
  alg::Range r = h.minMax();
  float clip;
  switch (options.observer) {
  case mlir::qc::ObserverKind::MinMax:
    return r;
  case mlir::qc::ObserverKind::Percentile:
    clip = alg::percentileClip(h, options.percentile / 100.0);
    break;
  case mlir::qc::ObserverKind::Mse:
    clip = alg::mseClip(h, options.bits);
    break;
  case mlir::qc::ObserverKind::Kl:
    clip = alg::klClip(h, options.bits);
    break;
  }
  return {std::max(r.min, -clip), std::min(r.max, clip)};
}

} // namespace

/// The stats of `ranges` as the file holds them.
static mlir::qc::CalibrationStats
makeStats(ArrayRef<std::pair<std::string, alg::Range>> ranges,
          mlir::qc::ObserverKind observer, size_t samples) {
  mlir::qc::CalibrationStats stats;
  stats.samples = static_cast<int64_t>(samples);
  for (const auto &[name, r] : ranges)
    stats.tensors[name] = {r.min, r.max, observer};
  return stats;
}

llvm::Error quantc::insertObservers(ModuleOp module, bool activationProducts) {
  FirstError diag(module.getContext());
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  qc::InsertObserversOptions o;
  o.activationProducts = activationProducts;
  pm.nest<func::FuncOp>().addPass(qc::createInsertObservers(o));
  if (failed(pm.run(module)))
    return diag.takeError("inserting observers failed");
  return llvm::Error::success();
}

llvm::Error quantc::calibrate(ModuleOp module,
                              const CalibrationOptions &options,
                              llvm::StringRef statsPath) {
  if (!(options.percentile > 0 && options.percentile <= 100))
    return makeError("the percentile must lie in (0, 100]");
  if (options.window == 0)
    return makeError("--calib-window must be at least 1");
  if (llvm::Error e = checkThreads(options.threads))
    return e;
  // Nothing to observe (no matmul or convolution reads an activation): an
  // empty stats file, without building or running anything.
  bool observed = false;
  module.walk([&](qc::ObserveOp) { observed = true; });
  if (!observed)
    return mlir::qc::writeStatsFile(statsPath,
                                    makeStats({}, options.observer, 0));

  // The instrumented build.
  TemporaryFile library;
  if (llvm::Error e = library.create("quantc-calibration", "so"))
    return e;
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  CompileOptions compile;
  compile.instrumentObservers = true;
  compile.writeHeader = false;
  compile.emit.optLevel = 2;
  if (llvm::Error e = compileModel(*copy, library.path, compile))
    return prefixError("calibration build", std::move(e));
  llvm::Expected<std::unique_ptr<LoadedModel>> loaded =
      LoadedModel::load(std::string(library.path));
  if (!loaded)
    return loaded.takeError();
  LoadedModel &model = **loaded;
  std::vector<std::string> names = model.observerNames();
  if (options.threads != 0)
    if (llvm::Error e = model.setThreads(options.threads))
      return e;
  Observed state;
  state.names = names;
  state.histograms.assign(names.size(), alg::AbsHistogram());
  state.channels.assign(names.size(), alg::ChannelStats());
  if (options.grams) {
    state.grams.assign(names.size(), alg::GramStats());
    for (const std::string &name : names)
      state.wantGram.push_back(options.gramTensors.empty() ||
                               llvm::is_contained(options.gramTensors, name));
  }
  if (options.rowSamples > 0)
    state.samples.assign(names.size(), alg::RowSample(options.rowSamples));
  if (llvm::Error e = model.setObserver(observe, &state))
    return e;

  std::vector<std::vector<HostTensor>> runs;
  std::string error;
  if (!expandSamples(model, options, runs, error))
    return makeError(error);
  bool progress = llvm::sys::Process::StandardErrIsDisplayed();
  std::vector<HostTensor> outputs;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (llvm::Error e = model.run(runs[i], outputs))
      return prefixError("calibration run " + std::to_string(i + 1),
                         std::move(e));
    if (progress)
      llvm::errs() << "\rcalibrating: " << i + 1 << "/" << runs.size();
  }
  if (progress)
    llvm::errs() << "\n";
  if (!state.error.empty())
    return makeError(state.error);

  std::vector<std::pair<std::string, alg::Range>> ranges;
  for (size_t i = 0; i < names.size(); ++i) {
    const alg::AbsHistogram &h = state.histograms[i];
    if (h.total() == 0)
      return makeError("observer '" + names[i] + "' saw no finite values");
    ranges.emplace_back(names[i], chooseRange(h, options));
  }
  mlir::qc::CalibrationStats stats =
      makeStats(ranges, options.observer, runs.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const alg::ChannelStats &c = state.channels[i];
    mlir::qc::TensorStats &t = stats.tensors[names[i]];
    t.meanAbs = c.meanAbs();
    t.maxAbs = c.maxAbs();
    t.meanSquare = c.meanSquare();
    t.rows = c.rows();
    if (!state.grams.empty() && state.grams[i].rows() > 0)
      t.gram = state.grams[i].mean();
    if (!state.samples.empty())
      t.sample = state.samples[i].rows();
  }
  return mlir::qc::writeStatsFile(statsPath, stats);
}
