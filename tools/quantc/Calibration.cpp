//===- Calibration.cpp - observer statistics from compiled runs -----------===//

#include "tools/quantc/Calibration.h"

#include "tools/quantc/Compiler.h"
#include "tools/quantc/ModelRunner.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/algorithms/Observers.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
namespace alg = quantc::algorithms;

namespace {

struct Observed {
  std::vector<alg::AbsHistogram> histograms;
  std::vector<float> scratch; // a strided tensor made contiguous
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
      if (!quantc::readTensorFile(sample, set[0], error)) {
        error = sample + ": " + error;
        return false;
      }
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
    std::vector<bool> given(inputs.size(), false);
    for (llvm::StringRef part : parts) {
      auto [name, file] = part.split('=');
      auto it = std::find_if(inputs.begin(), inputs.end(),
                             [&](const auto &i) { return i.name == name; });
      if (it == inputs.end()) {
        error = "sample '" + sample + "': the model has no input '" +
                name.str() + "'";
        return false;
      }
      size_t i = it - inputs.begin();
      if (!quantc::readTensorFile(file.str(), set[i], error)) {
        error = file.str() + ": " + error;
        return false;
      }
      given[i] = true;
    }
    for (size_t i = 0; i < inputs.size(); ++i)
      if (!given[i]) {
        error = "sample '" + sample + "' gives no file for input '" +
                inputs[i].name + "'";
        return false;
      }
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
  if (options.observer == "minmax")
    return r;
  if (options.observer == "percentile")
    clip = alg::percentileClip(h, options.percentile / 100.0);
  else if (options.observer == "mse")
    clip = alg::mseClip(h, options.bits);
  else
    clip = alg::klClip(h, options.bits);
  return {std::max(r.min, -clip), std::min(r.max, clip)};
}

} // namespace

/// The quantc-stats file qc-apply-stats reads; nothing is left behind on
/// failure.
static bool writeStats(llvm::StringRef path,
                       ArrayRef<std::pair<std::string, alg::Range>> ranges,
                       llvm::StringRef observer, size_t samples,
                       std::string &error) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    error = "cannot write " + path.str() + ": " + ec.message();
    return false;
  }
  llvm::json::OStream json(out.os(), 2);
  json.object([&] {
    json.attribute("format", "quantc-stats");
    json.attribute("version", 1);
    json.attribute("samples", static_cast<int64_t>(samples));
    json.attributeObject("tensors", [&] {
      for (const auto &[name, r] : ranges)
        json.attributeObject(name, [&] {
          json.attribute("min", static_cast<double>(r.min));
          json.attribute("max", static_cast<double>(r.max));
          json.attribute("observer", observer);
        });
    });
  });
  out.os() << "\n";
  out.keep();
  return true;
}

bool quantc::isObserverKind(llvm::StringRef name) {
  return name == "minmax" || name == "percentile" || name == "mse" ||
         name == "kl";
}

bool quantc::calibrate(ModuleOp module, const CalibrationOptions &options,
                       llvm::StringRef statsPath, std::string &error) {
  if (!isObserverKind(options.observer)) {
    error = "unknown observer '" + options.observer +
            "' (minmax, percentile, mse, kl)";
    return false;
  }
  if (!(options.percentile > 0 && options.percentile <= 100)) {
    error = "the percentile must lie in (0, 100]";
    return false;
  }
  // Nothing to observe (no matmul or convolution reads an activation): an
  // empty stats file, without building or running anything.
  bool observed = false;
  module.walk([&](qc::ObserveOp) { observed = true; });
  if (!observed)
    return writeStats(statsPath, {}, options.observer, 0, error);

  // The instrumented build.
  TemporaryFile library;
  if (!library.create("quantc-calibration", "so", error))
    return false;
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  CompileOptions compile;
  compile.instrumentObservers = true;
  compile.writeHeader = false;
  compile.emit.optLevel = 2;
  if (failed(compileModel(*copy, library.path, compile, error))) {
    error = "calibration build: " + error;
    return false;
  }
  std::unique_ptr<LoadedModel> model =
      LoadedModel::load(std::string(library.path), error);
  if (!model)
    return false;
  std::vector<std::string> names = model->observerNames();
  if (options.threads > 0 && !model->setThreads(options.threads, error))
    return false;
  Observed state;
  state.histograms.assign(names.size(), alg::AbsHistogram());
  if (!model->setObserver(observe, &state, error))
    return false;

  std::vector<std::vector<HostTensor>> runs;
  if (!expandSamples(*model, options, runs, error))
    return false;
  bool progress = llvm::sys::Process::StandardErrIsDisplayed();
  std::vector<HostTensor> outputs;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!model->run(runs[i], outputs, error)) {
      error = "calibration run " + std::to_string(i + 1) + ": " + error;
      return false;
    }
    if (progress)
      llvm::errs() << "\rcalibrating: " << i + 1 << "/" << runs.size();
  }
  if (progress)
    llvm::errs() << "\n";

  std::vector<std::pair<std::string, alg::Range>> ranges;
  for (size_t i = 0; i < names.size(); ++i) {
    const alg::AbsHistogram &h = state.histograms[i];
    if (h.total() == 0) {
      error = "observer '" + names[i] + "' saw no finite values";
      return false;
    }
    ranges.emplace_back(names[i], chooseRange(h, options));
  }
  return writeStats(statsPath, ranges, options.observer, runs.size(), error);
}
