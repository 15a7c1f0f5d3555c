//===- EvalCommand.cpp - `quantc eval` ------------------------------------===//
//
// Perplexity of a token model (`input_ids` int64 [1, T] -> `logits` float
// [1, T, V]) as ../shared/models/stories260k/README.md defines it: the id
// stream is cut into non-overlapping windows of --window ids (the tail that
// does not fill a window is dropped); in each window positions 0..W-2
// predict ids 1..W-1; ppl = exp(mean negative log-likelihood).
//
//===----------------------------------------------------------------------===//

#include "tools/quantc/Commands.h"
#include "tools/quantc/ModelRunner.h"
#include "tools/quantc/TensorFiles.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>

namespace cl = llvm::cl;
using namespace quantc;

namespace {
cl::SubCommand evalCmd("eval", "Measure a compiled token model's perplexity");

cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL.so"),
                               cl::Required, cl::sub(evalCmd));
cl::opt<std::string> idsPath("perplexity",
                             cl::desc("Token ids: a 1-D int64 .npy"),
                             cl::value_desc("IDS.npy"), cl::Required,
                             cl::sub(evalCmd));
cl::opt<unsigned> window("window", cl::desc("Ids per window (default 256)"),
                         cl::init(256), cl::sub(evalCmd));
cl::opt<unsigned> maxWindows("max-windows",
                             cl::desc("Score at most this many windows"),
                             cl::init(0), cl::sub(evalCmd));
cl::opt<int> threads("threads", cl::desc("Threads for parallel loops"),
                     cl::init(0), cl::sub(evalCmd));
} // namespace

bool quantc::isEvalCommand() { return static_cast<bool>(evalCmd); }

int quantc::runEval() {
  std::string error;
  auto fail = [&](const std::string &message) {
    llvm::errs() << "quantc: error: " << message << "\n";
    return 1;
  };
  auto model = LoadedModel::load(modelPath, error);
  if (!model)
    return fail(error);
  if (threads > 0 && !model->setThreads(threads, error))
    return fail(error);
  if (model->inputs().size() != 1 || model->outputs().empty() ||
      model->inputs()[0].dtype != QUANTC_DTYPE_INT64 ||
      model->inputs()[0].shape.size() != 2 ||
      model->outputs()[0].dtype != QUANTC_DTYPE_FLOAT ||
      model->outputs()[0].shape.size() != 3)
    return fail(modelPath + " is not a token model (one int64 [1, T] input, "
                            "float [1, T, V] logits)");
  HostTensor ids;
  if (!readTensorFile(idsPath, ids, error))
    return fail(error);
  if (ids.dtype != QUANTC_DTYPE_INT64 || ids.shape.size() != 1)
    return fail(idsPath + " must hold a 1-D int64 array");
  if (window < 2)
    return fail("--window must be at least 2");
  int64_t numWindows = ids.numElements() / window;
  if (maxWindows)
    numWindows = std::min<int64_t>(numWindows, maxWindows);
  if (numWindows == 0)
    return fail(idsPath + " holds fewer ids than one window");

  const int64_t *all = reinterpret_cast<const int64_t *>(ids.data.data());
  double totalNll = 0;
  int64_t scored = 0;
  bool tty = llvm::sys::Process::StandardErrIsDisplayed();
  auto start = std::chrono::steady_clock::now();
  std::vector<HostTensor> in(1), out;
  in[0].dtype = QUANTC_DTYPE_INT64;
  in[0].shape = {1, window};
  for (int64_t w = 0; w < numWindows; ++w) {
    const int64_t *tokens = all + w * window;
    in[0].data.assign(reinterpret_cast<const char *>(tokens),
                      reinterpret_cast<const char *>(tokens + window));
    if (!model->run(in, out, error))
      return fail(modelPath + ": " + error);
    const HostTensor &logits = out[0];
    if (logits.shape.size() != 3 || logits.shape[1] != window)
      return fail("logits have an unexpected shape");
    int64_t vocab = logits.shape[2];
    const float *l = reinterpret_cast<const float *>(logits.data.data());
    for (int64_t t = 0; t + 1 < window; ++t) {
      const float *row = l + t * vocab;
      int64_t target = tokens[t + 1];
      if (target < 0 || target >= vocab)
        return fail("token id " + std::to_string(target) +
                    " is outside the vocabulary of " + std::to_string(vocab));
      double peak = row[0];
      for (int64_t v = 1; v < vocab; ++v)
        peak = std::max<double>(peak, row[v]);
      double sum = 0;
      for (int64_t v = 0; v < vocab; ++v)
        sum += std::exp(row[v] - peak);
      totalNll += peak + std::log(sum) - row[target];
      ++scored;
    }
    if (tty)
      llvm::errs() << "\rwindow " << w + 1 << "/" << numWindows;
  }
  if (tty)
    llvm::errs() << "\r" << std::string(40, ' ') << "\r";
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  double meanNll = totalNll / scored;
  llvm::outs() << llvm::format("perplexity %.4f", std::exp(meanNll))
               << llvm::format("  (mean NLL %.6f nats, %lld windows of %u, "
                               "%lld scored tokens, %.2f s)\n",
                               meanNll, static_cast<long long>(numWindows),
                               window.getValue(),
                               static_cast<long long>(scored), seconds);
  return 0;
}
