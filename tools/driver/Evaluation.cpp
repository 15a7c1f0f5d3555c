//===- Evaluation.cpp - perplexity and accuracy of a compiled model -------===//

#include "tools/driver/Evaluation.h"

#include "tools/driver/Compiler.h"

#include <cmath>

using namespace quantc;

double EvalResult::perplexity() const { return std::exp(nll / scoredTokens); }

double EvalResult::referencePerplexity() const {
  return std::exp(referenceNll / scoredTokens);
}

llvm::Expected<double> quantc::windowNll(const HostTensor &logits,
                                         const int64_t *tokens,
                                         int64_t window) {
  if (logits.dtype != QUANTC_DTYPE_FLOAT || logits.shape.size() != 3 ||
      logits.shape[1] != window)
    return makeError("logits have an unexpected shape");
  int64_t vocab = logits.shape[2];
  const float *l = reinterpret_cast<const float *>(logits.data.data());
  double total = 0;
  for (int64_t t = 0; t + 1 < window; ++t) {
    const float *row = l + t * vocab;
    int64_t target = tokens[t + 1];
    if (target < 0 || target >= vocab)
      return makeError("token id " + std::to_string(target) +
                       " is outside the vocabulary of " +
                       std::to_string(vocab));
    double peak = row[0];
    for (int64_t v = 1; v < vocab; ++v)
      peak = std::max<double>(peak, row[v]);
    double sum = 0;
    for (int64_t v = 0; v < vocab; ++v)
      sum += std::exp(row[v] - peak);
    total += peak + std::log(sum) - row[target];
  }
  return total;
}

/// One comparison per output of `model` in `result`, when there is a
/// reference (which must have as many outputs).
static llvm::Error initComparisons(EvalResult &result, const LoadedModel &model,
                                   const LoadedModel *reference) {
  if (!reference)
    return llvm::Error::success();
  if (reference->outputs().size() != model.outputs().size())
    return makeError(reference->name() + " has " +
                     std::to_string(reference->outputs().size()) +
                     " outputs, " + model.name() + " " +
                     std::to_string(model.outputs().size()));
  for (const auto &o : model.outputs())
    result.comparisons.emplace_back(o.name);
  return llvm::Error::success();
}

static llvm::Error compareAll(std::vector<OutputComparison> &comparisons,
                              const std::vector<HostTensor> &out,
                              const std::vector<HostTensor> &ref) {
  for (size_t i = 0; i < out.size(); ++i)
    if (llvm::Error e = comparisons[i].add(out[i], ref[i]))
      return e;
  return llvm::Error::success();
}

llvm::Expected<EvalResult>
quantc::evaluatePerplexity(LoadedModel &model, LoadedModel *reference,
                           const HostTensor &ids,
                           const PerplexityOptions &options) {
  if (model.inputs().size() != 1 || model.outputs().empty() ||
      model.inputs()[0].dtype != QUANTC_DTYPE_INT64 ||
      model.inputs()[0].shape.size() != 2 ||
      model.outputs()[0].dtype != QUANTC_DTYPE_FLOAT ||
      model.outputs()[0].shape.size() != 3)
    return makeError(model.name() +
                     " is not a token model (one int64 [1, T] input, float "
                     "[1, T, V] logits)");
  if (ids.dtype != QUANTC_DTYPE_INT64 || ids.shape.size() != 1)
    return makeError(options.idsName + " must hold a 1-D int64 array");
  int64_t window = options.window;
  if (window < 2)
    return makeError("the window must hold at least 2 ids");
  EvalResult result;
  if (llvm::Error e = initComparisons(result, model, reference))
    return std::move(e);
  result.windows = ids.numElements() / window;
  if (options.maxWindows)
    result.windows = std::min<int64_t>(result.windows, options.maxWindows);
  if (result.windows == 0)
    return makeError(options.idsName + " holds fewer ids than one window (" +
                     std::to_string(window) + ")");

  const int64_t *all = reinterpret_cast<const int64_t *>(ids.data.data());
  std::vector<HostTensor> in(1), out, refOut;
  in[0].dtype = QUANTC_DTYPE_INT64;
  in[0].shape = {1, window};
  for (int64_t w = 0; w < result.windows; ++w) {
    const int64_t *tokens = all + w * window;
    in[0].data.assign(reinterpret_cast<const char *>(tokens),
                      reinterpret_cast<const char *>(tokens + window));
    if (llvm::Error e = model.run(in, out))
      return prefixError(model.name(), std::move(e));
    llvm::Expected<double> nll = windowNll(out[0], tokens, window);
    if (!nll)
      return prefixError(model.name(), nll.takeError());
    result.nll += *nll;
    if (reference) {
      if (llvm::Error e = reference->run(in, refOut))
        return prefixError(reference->name(), std::move(e));
      llvm::Expected<double> refNll = windowNll(refOut[0], tokens, window);
      if (!refNll)
        return prefixError(reference->name(), refNll.takeError());
      result.referenceNll += *refNll;
      if (llvm::Error e = compareAll(result.comparisons, out, refOut))
        return std::move(e);
    }
    result.scoredTokens += window - 1;
    if (options.progress)
      options.progress(w + 1, result.windows);
  }
  return result;
}

llvm::Expected<EvalResult>
quantc::evaluateRun(LoadedModel &model, LoadedModel *reference,
                    std::vector<HostTensor> &inputs) {
  EvalResult result;
  if (llvm::Error e = initComparisons(result, model, reference))
    return std::move(e);
  std::vector<HostTensor> out, refOut;
  if (llvm::Error e = model.run(inputs, out))
    return prefixError(model.name(), std::move(e));
  if (reference) {
    if (llvm::Error e = reference->run(inputs, refOut))
      return prefixError(reference->name(), std::move(e));
    if (llvm::Error e = compareAll(result.comparisons, out, refOut))
      return std::move(e);
  }
  return result;
}

llvm::Expected<std::unique_ptr<LoadedModel>>
quantc::loadReference(mlir::MLIRContext &context, llvm::StringRef path,
                      TemporaryFile &compiled) {
  if (path.ends_with(".so"))
    return LoadedModel::load(path.str());
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      loadModule(context, path);
  if (!module)
    return prefixError(path, module.takeError());
  if (llvm::Error e = compiled.create("quantc-reference", "so"))
    return std::move(e);
  CompileOptions options;
  options.writeHeader = false;
  options.emit.optLevel = 2;
  if (llvm::Error e = compileModel(**module, compiled.path, options))
    return prefixError(path, std::move(e));
  auto model = LoadedModel::load(std::string(compiled.path));
  if (model)
    (*model)->setName(path.str());
  return model;
}
