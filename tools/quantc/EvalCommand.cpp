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

#include "tools/driver/Comparison.h"
#include "tools/driver/Compiler.h"
#include "tools/driver/Evaluation.h"
#include "tools/driver/ModelRunner.h"
#include "tools/driver/TensorFiles.h"
#include "tools/quantc/Commands.h"

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

/// JSON cannot hold infinities; an exact match reports null SQNR.
llvm::json::Value number(double v) {
  if (std::isfinite(v))
    return v;
  return nullptr;
}
} // namespace

bool quantc::isEvalCommand() { return static_cast<bool>(evalCmd); }

/// The human report, then one JSON line.
static void printReport(const LoadedModel &model, const EvalResult &result,
                        double seconds) {
  bool perplexity = !idsPath.empty();
  bool reference = !referencePath.empty();
  llvm::json::Object json{{"model", modelPath.getValue()}};
  if (perplexity) {
    double ppl = result.perplexity();
    llvm::outs() << llvm::format("perplexity %.4f", ppl)
                 << llvm::format("  (mean NLL %.6f nats, %lld windows of %u, "
                                 "%lld scored tokens, %.2f s)\n",
                                 result.meanNll(),
                                 static_cast<long long>(result.windows),
                                 window.getValue(),
                                 static_cast<long long>(result.scoredTokens),
                                 seconds);
    json["perplexity"] = ppl;
    json["windows"] = result.windows;
    if (reference) {
      double refPpl = result.referencePerplexity();
      llvm::outs() << llvm::format("reference perplexity %.4f (%+.2f%%)\n",
                                   refPpl, 100.0 * (ppl / refPpl - 1.0));
      json["reference_perplexity"] = refPpl;
    }
  }
  quantc_weight_info weights = model.weightInfo();
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
    for (const OutputComparison &c : result.comparisons) {
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
}

/// Runs the evaluation the command line asks for.
static llvm::Expected<EvalResult> evaluate(LoadedModel &model,
                                           LoadedModel *reference) {
  if (idsPath.empty()) {
    llvm::Expected<std::vector<HostTensor>> in =
        model.readInputs(inputFiles, "--inputs");
    if (!in)
      return in.takeError();
    return evaluateRun(model, reference, *in);
  }
  llvm::Expected<HostTensor> ids = readTensorFile(idsPath);
  if (!ids)
    return ids.takeError();
  PerplexityOptions options;
  options.idsName = idsPath;
  options.window = window;
  options.maxWindows = maxWindows;
  if (llvm::sys::Process::StandardErrIsDisplayed())
    options.progress = [](int64_t done, int64_t total) {
      llvm::errs() << "\rwindow " << done << "/" << total;
      if (done == total)
        llvm::errs() << "\r" << std::string(40, ' ') << "\r";
    };
  return evaluatePerplexity(model, reference, *ids, options);
}

int quantc::runEval(mlir::MLIRContext &context) {
  auto fail = [&](llvm::Error error) {
    llvm::errs() << "quantc: error: " << llvm::toString(std::move(error))
                 << "\n";
    return 1;
  };
  bool perplexity = !idsPath.empty();
  if (perplexity == !inputFiles.empty())
    return fail(
        makeError("give either --perplexity IDS.npy or --inputs NAME=FILE..."));
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(modelPath);
  if (!model)
    return fail(model.takeError());
  if (llvm::Error e = (*model)->checkTarget(expectTarget))
    return fail(prefixError(modelPath, std::move(e)));
  if (threads != 0)
    if (llvm::Error e = (*model)->setThreads(threads))
      return fail(std::move(e));
  // The reference, compiled here when it is not an artifact.
  TemporaryFile compiled;
  std::unique_ptr<LoadedModel> reference;
  if (!referencePath.empty()) {
    llvm::Expected<std::unique_ptr<LoadedModel>> loaded =
        loadReference(context, referencePath, compiled);
    if (!loaded)
      return fail(loaded.takeError());
    reference = std::move(*loaded);
    if (threads != 0)
      if (llvm::Error e = reference->setThreads(threads))
        return fail(std::move(e));
  }
  auto start = std::chrono::steady_clock::now();
  llvm::Expected<EvalResult> result = evaluate(**model, reference.get());
  if (!result)
    return fail(result.takeError());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  printReport(**model, *result, seconds);
  return 0;
}
