//===- RunCommand.cpp - `quantc run` --------------------------------------===//

#include "tools/driver/ModelRunner.h"
#include "tools/driver/Support.h"
#include "tools/driver/TensorFiles.h"
#include "tools/quantc/Commands.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace cl = llvm::cl;
using namespace quantc;

namespace {
cl::SubCommand runCmd("run", "Run a compiled model on tensor files");

cl::opt<std::string> expectTarget(
    "target",
    cl::desc("Fail unless MODEL.so was compiled for this target (cpu or "
             "vulkan); the artifact itself says where it runs"),
    cl::sub(runCmd));
cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL.so"),
                               cl::Required, cl::sub(runCmd));
cl::list<std::string> inputs(
    "input",
    cl::desc("An input as NAME=FILE or FILE (in declaration order); FILE is "
             ".npy or an ONNX TensorProto .pb"),
    cl::value_desc("NAME=FILE"), cl::sub(runCmd));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Write one NAME.npy per output here"),
                               cl::value_desc("DIR"), cl::sub(runCmd));
cl::opt<int> threads("threads", cl::desc("Threads for parallel loops"),
                     cl::init(0), cl::sub(runCmd));
cl::opt<unsigned> repeat("repeat",
                         cl::desc("Time this many runs and print the median "
                                  "(outputs come from the last)"),
                         cl::init(1), cl::sub(runCmd));
cl::opt<unsigned> warmup("warmup", cl::desc("Untimed runs before timing"),
                         cl::init(0), cl::sub(runCmd));

/// A file name made from an output name.
std::string fileNameFor(llvm::StringRef name, size_t index) {
  std::string out;
  for (char c : name)
    out.push_back(llvm::isAlnum(c) || c == '_' || c == '-' || c == '.' ? c
                                                                       : '_');
  if (out.empty() || out[0] == '.')
    out = "output" + std::to_string(index) + out;
  return out + ".npy";
}
} // namespace

bool quantc::isRunCommand() { return static_cast<bool>(runCmd); }

int quantc::runRun() {
  llvm::Expected<std::unique_ptr<LoadedModel>> loaded =
      LoadedModel::load(modelPath);
  if (!loaded) {
    llvm::errs() << "quantc: error: " << llvm::toString(loaded.takeError())
                 << "\n";
    return 1;
  }
  LoadedModel *model = loaded->get();
  auto fail = [&](llvm::Error error) {
    llvm::errs() << "quantc: error: " << modelPath << ": "
                 << llvm::toString(std::move(error)) << "\n";
    return 1;
  };
  if (llvm::Error e = model->checkTarget(expectTarget))
    return fail(std::move(e));
  if (threads != 0)
    if (llvm::Error e = model->setThreads(threads))
      return fail(std::move(e));

  // Inputs by name or position.
  llvm::Expected<std::vector<HostTensor>> read =
      model->readInputs(inputs, "--input");
  if (!read) {
    llvm::errs() << "quantc: error: " << llvm::toString(read.takeError())
                 << "\n";
    return 1;
  }
  std::vector<HostTensor> &in = *read;

  std::vector<HostTensor> out;
  std::vector<double> times;
  for (unsigned i = 0; i < warmup + std::max(1u, repeat.getValue()); ++i) {
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error e = model->run(in, out))
      return fail(std::move(e));
    if (i >= warmup)
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
  }
  llvm::sort(times);
  size_t mid = times.size() / 2;
  double ms = times.size() % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;

  if (!outputDir.empty())
    if (auto ec = llvm::sys::fs::create_directories(outputDir)) {
      llvm::errs() << "quantc: error: cannot create " << outputDir << ": "
                   << ec.message() << "\n";
      return 1;
    }
  // No output file may replace an input or the model.
  std::vector<std::string> readFiles = filesOfEntries(inputs);
  readFiles.push_back(modelPath);
  for (size_t i = 0; !outputDir.empty() && i < out.size(); ++i) {
    llvm::SmallString<128> path(outputDir.getValue());
    llvm::sys::path::append(path, fileNameFor(out[i].name, i));
    if (llvm::Error e = checkNotAnInput(path, readFiles)) {
      llvm::errs() << "quantc: error: " << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
  }
  llvm::outs() << modelPath << ": ran in " << llvm::format("%.3f", ms) << " ms";
  if (times.size() > 1)
    llvm::outs() << llvm::format(" (median of %zu runs; min %.3f, max %.3f)",
                                 times.size(), times.front(), times.back());
  llvm::outs() << "\n";
  for (size_t i = 0; i < out.size(); ++i) {
    const HostTensor &t = out[i];
    llvm::outs() << "output " << t.name << ": " << quantc_dtype_name(t.dtype)
                 << " [";
    llvm::interleaveComma(t.shape, llvm::outs());
    llvm::outs() << "]";
    int64_t n = t.numElements();
    if (n > 0) {
      double lo = elementAsDouble(t, 0), hi = lo, sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        double v = elementAsDouble(t, j);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        sum += v;
      }
      llvm::outs() << llvm::format("  min %g max %g mean %g", lo, hi, sum / n);
    }
    if (!outputDir.empty()) {
      llvm::SmallString<128> path(outputDir.getValue());
      llvm::sys::path::append(path, fileNameFor(t.name, i));
      if (llvm::Error e = writeNpy(path, t)) {
        llvm::errs() << "\nquantc: error: " << llvm::toString(std::move(e))
                     << "\n";
        return 1;
      }
      llvm::outs() << "  -> " << path;
    }
    llvm::outs() << "\n";
  }
  return 0;
}
