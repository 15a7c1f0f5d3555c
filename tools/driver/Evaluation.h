//===- Evaluation.h - perplexity and accuracy of a compiled model -*- C++
//-*-===//
//
// Part of the driver library (QuantcDriver). Perplexity of a token model
// (`input_ids` int64 [1, T] -> logits float [1, T, V]) as
// ../shared/models/stories260k/README.md defines it: the id stream is cut
// into non-overlapping windows (the tail that does not fill one is dropped);
// in each window positions 0..W-2 predict ids 1..W-1; ppl = exp(mean
// negative log-likelihood). With a reference model every output is also
// compared over the same runs (Comparison.h).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_EVALUATION_H
#define QUANTC_TOOLS_DRIVER_EVALUATION_H

#include "tools/driver/Comparison.h"
#include "tools/driver/ModelRunner.h"
#include "tools/driver/Support.h"

#include <functional>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace quantc {

struct PerplexityOptions {
  std::string idsName = "the ids"; // what messages call the ids
  unsigned window = 256;           // ids per window (>= 2)
  unsigned maxWindows = 0;         // 0: every whole window
  /// Called after each window with (done, total).
  std::function<void(int64_t, int64_t)> progress;
};

struct EvalResult {
  int64_t windows = 0, scoredTokens = 0;
  double nll = 0, referenceNll = 0; // summed over the scored tokens
  /// One per output, when a reference was given.
  std::vector<OutputComparison> comparisons;

  double meanNll() const { return nll / scoredTokens; }
  double perplexity() const;
  double referencePerplexity() const;
};

/// The summed negative log-likelihood of `tokens[1..W-1]` under `logits`
/// (float [1, W, V]).
llvm::Expected<double> windowNll(const HostTensor &logits,
                                 const int64_t *tokens, int64_t window);

/// Perplexity of `model` (and `reference`, if any) over the 1-D int64 `ids`.
/// Errors name the model, the reference or the ids they concern.
llvm::Expected<EvalResult> evaluatePerplexity(LoadedModel &model,
                                              LoadedModel *reference,
                                              const HostTensor &ids,
                                              const PerplexityOptions &options);

/// One run of `model` on `inputs` (in declared order), compared with
/// `reference` when given. Errors name the model they concern.
llvm::Expected<EvalResult> evaluateRun(LoadedModel &model,
                                       LoadedModel *reference,
                                       std::vector<HostTensor> &inputs);

/// A reference model: an artifact (.so), or ONNX/MLIR compiled here in fp32
/// into `compiled`, which must outlive the model. Its name is `path`.
llvm::Expected<std::unique_ptr<LoadedModel>>
loadReference(mlir::MLIRContext &context, llvm::StringRef path,
              TemporaryFile &compiled);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_EVALUATION_H
