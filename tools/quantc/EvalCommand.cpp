//===- EvalCommand.cpp - `quantc eval` ------------------------------------===//
//
//   quantc eval MODEL.so (--perplexity IDS.npy | --inputs NAME=FILE...)
//       [--reference REF.so|REF.onnx|REF.mlir] [--window N] [--max-windows N]
//
// Perplexity of a token model (`input_ids` int64 [1, T] -> logits float
// [1, T, V]) as ../shared/models/stories260k/README.md defines it: the id
// stream is cut into non-overlapping windows of --window ids (the tail that
// does not fill a window is dropped); in each window positions 0..W-2
// predict ids 1..W-1; ppl = exp(mean negative log-likelihood).
//
// With --reference (a float artifact, or a model compiled here without
// quantization) every output is also compared over the same runs: SQNR,
// cosine similarity, max abs error and top-1 agreement. The report is a
// table and, as its last line, one JSON object.
//
//===----------------------------------------------------------------------===//

#include "tools/quantc/Commands.h"
#include "tools/quantc/Comparison.h"
#include "tools/quantc/Compiler.h"
#include "tools/quantc/ModelRunner.h"
#include "tools/quantc/TensorFiles.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>

namespace cl = llvm::cl;
using namespace quantc;

namespace {
cl::SubCommand evalCmd("eval", "Measure a compiled model: perplexity, and "
                               "accuracy against a reference");

cl::opt<std::string> expectTarget(
    "target",
    cl::desc("Fail unless MODEL.so was compiled for this target (cpu or "
             "vulkan); the artifact itself says where it runs"),
    cl::sub(evalCmd));
cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL.so"),
                               cl::Required, cl::sub(evalCmd));
cl::opt<std::string> idsPath("perplexity",
                             cl::desc("Token ids: a 1-D int64 .npy"),
                             cl::value_desc("IDS.npy"), cl::sub(evalCmd));
cl::list<std::string>
    inputFiles("inputs",
               cl::desc("Inputs of one run, NAME=FILE (.npy/.pb), repeated"),
               cl::value_desc("NAME=FILE"), cl::sub(evalCmd));
cl::opt<std::string> referencePath(
    "reference",
    cl::desc("Compare against this model: an artifact, or ONNX/MLIR "
             "compiled here in fp32"),
    cl::value_desc("REF.so|REF.onnx"), cl::sub(evalCmd));
cl::opt<unsigned> window("window", cl::desc("Ids per window (default 256)"),
                         cl::init(256), cl::sub(evalCmd));
cl::opt<unsigned> maxWindows("max-windows",
                             cl::desc("Score at most this many windows"),
                             cl::init(0), cl::sub(evalCmd));
cl::opt<int> threads("threads", cl::desc("Threads for parallel loops"),
                     cl::init(0), cl::sub(evalCmd));

/// Mean negative log-likelihood of `tokens[1..W-1]` under `logits`.
bool addNll(const HostTensor &logits, const int64_t *tokens, double &total,
            std::string &error) {
  if (logits.dtype != QUANTC_DTYPE_FLOAT || logits.shape.size() != 3 ||
      logits.shape[1] != window) {
    error = "logits have an unexpected shape";
    return false;
  }
  int64_t vocab = logits.shape[2];
  const float *l = reinterpret_cast<const float *>(logits.data.data());
  for (int64_t t = 0; t + 1 < window; ++t) {
    const float *row = l + t * vocab;
    int64_t target = tokens[t + 1];
    if (target < 0 || target >= vocab) {
      error = "token id " + std::to_string(target) +
              " is outside the vocabulary of " + std::to_string(vocab);
      return false;
    }
    double peak = row[0];
    for (int64_t v = 1; v < vocab; ++v)
      peak = std::max<double>(peak, row[v]);
    double sum = 0;
    for (int64_t v = 0; v < vocab; ++v)
      sum += std::exp(row[v] - peak);
    total += peak + std::log(sum) - row[target];
  }
  return true;
}

/// JSON cannot hold infinities; an exact match reports null SQNR.
llvm::json::Value number(double v) {
  if (std::isfinite(v))
    return v;
  return nullptr;
}
} // namespace

bool quantc::isEvalCommand() { return static_cast<bool>(evalCmd); }

int quantc::runEval(mlir::MLIRContext &context) {
  std::string error;
  auto fail = [&](const std::string &message) {
    llvm::errs() << "quantc: error: " << message << "\n";
    return 1;
  };
  bool perplexity = !idsPath.empty();
  if (perplexity == !inputFiles.empty())
    return fail("give either --perplexity IDS.npy or --inputs NAME=FILE...");
  auto model = LoadedModel::load(modelPath, error);
  if (!model)
    return fail(error);
  if (!model->checkTarget(expectTarget, error))
    return fail(modelPath + ": " + error);
  if (threads > 0 && !model->setThreads(threads, error))
    return fail(error);

  // The reference, compiled here when it is not an artifact.
  TemporaryFile compiled;
  std::unique_ptr<LoadedModel> reference;
  if (!referencePath.empty()) {
    std::string path = referencePath;
    if (!llvm::StringRef(path).ends_with(".so")) {
      mlir::OwningOpRef<mlir::ModuleOp> module =
          loadModule(context, path, error);
      if (!module)
        return fail(path + ": " + error);
      if (!compiled.create("quantc-reference", "so", error))
        return fail(error);
      CompileOptions options;
      options.writeHeader = false;
      options.emit.optLevel = 2;
      if (failed(compileModel(*module, compiled.path, options, error)))
        return fail(path + ": " + error);
      path = std::string(compiled.path);
    }
    reference = LoadedModel::load(path, error);
    if (!reference)
      return fail(error);
    if (threads > 0 && !reference->setThreads(threads, error))
      return fail(error);
    if (reference->outputs().size() != model->outputs().size())
      return fail(
          "the reference has " + std::to_string(reference->outputs().size()) +
          " outputs, the model " + std::to_string(model->outputs().size()));
  }
  std::vector<OutputComparison> comparisons;
  for (const auto &o : model->outputs())
    comparisons.emplace_back(o.name);
  auto compare = [&](const std::vector<HostTensor> &out,
                     const std::vector<HostTensor> &ref) {
    for (size_t i = 0; i < out.size(); ++i)
      if (!comparisons[i].add(out[i], ref[i], error))
        return false;
    return true;
  };

  double nll = 0, refNll = 0;
  int64_t numWindows = 0, scored = 0;
  auto start = std::chrono::steady_clock::now();
  std::vector<HostTensor> out, refOut;
  if (perplexity) {
    if (model->inputs().size() != 1 || model->outputs().empty() ||
        model->inputs()[0].dtype != QUANTC_DTYPE_INT64 ||
        model->inputs()[0].shape.size() != 2 ||
        model->outputs()[0].dtype != QUANTC_DTYPE_FLOAT ||
        model->outputs()[0].shape.size() != 3)
      return fail(modelPath + " is not a token model (one int64 [1, T] "
                              "input, float [1, T, V] logits)");
    HostTensor ids;
    if (!readTensorFile(idsPath, ids, error))
      return fail(error);
    if (ids.dtype != QUANTC_DTYPE_INT64 || ids.shape.size() != 1)
      return fail(idsPath + " must hold a 1-D int64 array");
    if (window < 2)
      return fail("--window must be at least 2");
    numWindows = ids.numElements() / window;
    if (maxWindows)
      numWindows = std::min<int64_t>(numWindows, maxWindows);
    if (numWindows == 0)
      return fail(idsPath + " holds fewer ids than one window");
    const int64_t *all = reinterpret_cast<const int64_t *>(ids.data.data());
    bool tty = llvm::sys::Process::StandardErrIsDisplayed();
    std::vector<HostTensor> in(1);
    in[0].dtype = QUANTC_DTYPE_INT64;
    in[0].shape = {1, window};
    for (int64_t w = 0; w < numWindows; ++w) {
      const int64_t *tokens = all + w * window;
      in[0].data.assign(reinterpret_cast<const char *>(tokens),
                        reinterpret_cast<const char *>(tokens + window));
      if (!model->run(in, out, error))
        return fail(modelPath + ": " + error);
      if (!addNll(out[0], tokens, nll, error))
        return fail(modelPath + ": " + error);
      if (reference) {
        if (!reference->run(in, refOut, error) ||
            !addNll(refOut[0], tokens, refNll, error) || !compare(out, refOut))
          return fail(referencePath + ": " + error);
      }
      scored += window - 1;
      if (tty)
        llvm::errs() << "\rwindow " << w + 1 << "/" << numWindows;
    }
    if (tty)
      llvm::errs() << "\r" << std::string(40, ' ') << "\r";
  } else {
    const auto &declared = model->inputs();
    std::vector<HostTensor> in(declared.size());
    std::vector<bool> given(declared.size(), false);
    for (const std::string &arg : inputFiles) {
      auto [name, file] = llvm::StringRef(arg).split('=');
      auto it = std::find_if(declared.begin(), declared.end(),
                             [&](const auto &i) { return i.name == name; });
      if (file.empty() || it == declared.end())
        return fail("--inputs " + arg +
                    ": expected NAME=FILE with NAME an "
                    "input of the model");
      size_t i = it - declared.begin();
      if (!readTensorFile(file.str(), in[i], error))
        return fail(file.str() + ": " + error);
      given[i] = true;
    }
    for (size_t i = 0; i < declared.size(); ++i)
      if (!given[i])
        return fail("no --inputs file for input '" + declared[i].name + "'");
    if (!model->run(in, out, error))
      return fail(modelPath + ": " + error);
    if (reference &&
        (!reference->run(in, refOut, error) || !compare(out, refOut)))
      return fail(referencePath + ": " + error);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  // The human report, then one JSON line.
  llvm::json::Object json{{"model", modelPath.getValue()}};
  if (perplexity) {
    double ppl = std::exp(nll / scored);
    llvm::outs() << llvm::format("perplexity %.4f", ppl)
                 << llvm::format("  (mean NLL %.6f nats, %lld windows of %u, "
                                 "%lld scored tokens, %.2f s)\n",
                                 nll / scored,
                                 static_cast<long long>(numWindows),
                                 window.getValue(),
                                 static_cast<long long>(scored), seconds);
    json["perplexity"] = ppl;
    json["windows"] = numWindows;
    if (reference) {
      double refPpl = std::exp(refNll / scored);
      llvm::outs() << llvm::format("reference perplexity %.4f (%+.2f%%)\n",
                                   refPpl, 100.0 * (ppl / refPpl - 1.0));
      json["reference_perplexity"] = refPpl;
    }
  }
  quantc_weight_info weights = model->weightInfo();
  if (weights.quantized_params > 0)
    llvm::outs() << llvm::format(
        "weights: %lld quantized in %lld bytes (%.4f bytes each), %lld float "
        "in %lld bytes\n",
        static_cast<long long>(weights.quantized_params),
        static_cast<long long>(weights.quantized_bytes),
        static_cast<double>(weights.quantized_bytes) / weights.quantized_params,
        static_cast<long long>(weights.float_params),
        static_cast<long long>(weights.float_bytes));
  json["weights"] =
      llvm::json::Object{{"quantized_params", weights.quantized_params},
                         {"quantized_bytes", weights.quantized_bytes},
                         {"float_params", weights.float_params},
                         {"float_bytes", weights.float_bytes}};
  if (reference) {
    json["reference"] = referencePath.getValue();
    llvm::outs() << llvm::format("%-20s %9s %10s %12s %8s\n", "output",
                                 "SQNR dB", "cosine", "max abs", "top-1");
    llvm::json::Object outputs;
    for (const OutputComparison &c : comparisons) {
      llvm::outs() << llvm::format("%-20s %9.2f %10.6f %12.4g %7.2f%%\n",
                                   c.name().c_str(), c.sqnrDb(), c.cosine(),
                                   c.maxAbsError(), 100.0 * c.top1Agreement());
      outputs[c.name()] =
          llvm::json::Object{{"sqnr_db", number(c.sqnrDb())},
                             {"cosine", number(c.cosine())},
                             {"max_abs_error", number(c.maxAbsError())},
                             {"top1_agreement", c.top1Agreement()}};
    }
    json["outputs"] = std::move(outputs);
  }
  llvm::outs() << llvm::json::Value(std::move(json)) << "\n";
  return 0;
}
