//===- SensitivityCommand.cpp - `quantc sensitivity` ----------------------===//
//
//   quantc sensitivity MODEL.onnx --calib SAMPLE... -o sens.json
//       [--bits 2,3,4,8] [--group-size 32] [--asymmetric-weights]
//       [--weights rtn|gptq] [--act-order] [--clip none|mse]
//       [--noise gaussian,uniform,laplace] [--noise-size 0.1]
//       [--runs 8] [--calib-window 256] [--threads N]
//       [--refine 2.5,3] [--refine-rounds 6]
//
// Per weight product, the loss change when it alone is quantized at each
// width (or its weight or input gets noise); writes the report
// (passes/SensitivityFile.h) and prints the per-component summary.
//
//===----------------------------------------------------------------------===//

#include "tools/driver/Compiler.h"
#include "tools/driver/Sensitivity.h"
#include "tools/quantc/Commands.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
cl::SubCommand sensitivityCmd(
    "sensitivity",
    "Measure each layer's loss change under quantization or noise");

cl::list<std::string> positional(cl::Positional,
                                 cl::desc("MODEL.onnx|MODEL.mlir|MODEL.mlirbc"),
                                 cl::OneOrMore, cl::sub(sensitivityCmd));
cl::list<std::string>
    calib("calib",
          cl::desc("Samples the loss is measured on: FILE per sample (an ids "
                   ".npy is cut into windows) or NAME=FILE[,NAME=FILE...]"),
          cl::value_desc("SAMPLE"), cl::sub(sensitivityCmd));
cl::opt<std::string> outputPath("o", cl::desc("Report to write (JSON)"),
                                cl::value_desc("sens.json"), cl::Required,
                                cl::sub(sensitivityCmd));
cl::list<std::string> dims("dim", cl::desc(quantc::kDimHelp),
                           cl::value_desc("NAME=SIZE"),
                           cl::sub(sensitivityCmd));
cl::list<int> bits("bits", cl::desc("Weight widths to try (default 2,3,4,8)"),
                   cl::CommaSeparated, cl::sub(sensitivityCmd));
cl::opt<int64_t> groupSize("group-size",
                           cl::desc("Input channels per weight scale: 0 per "
                                    "channel, -1 per tensor (default 32)"),
                           cl::init(32), cl::sub(sensitivityCmd));
cl::opt<bool> asymmetric("asymmetric-weights",
                         cl::desc("Weights with zero points"),
                         cl::sub(sensitivityCmd));
enum class Method { Rtn, Gptq };
cl::opt<Method> weights(
    "weights", cl::desc("How the weights are rounded"), cl::init(Method::Rtn),
    cl::values(clEnumValN(Method::Rtn, "rtn", "round to nearest (default)"),
               clEnumValN(Method::Gptq, "gptq", "GPTQ on calibrated E[x x^T]")),
    cl::sub(sensitivityCmd));
cl::opt<bool> actOrder("act-order", cl::desc("GPTQ: rows by decreasing energy"),
                       cl::sub(sensitivityCmd));
cl::opt<bool> clipMse("clip-mse",
                      cl::desc("Each scale's range by the MSE clipping search"),
                      cl::sub(sensitivityCmd));
cl::list<std::string>
    noise("noise",
          cl::desc("Also add noise of these kinds to each weight and, "
                   "separately, each layer input (gaussian, uniform, "
                   "laplace)"),
          cl::CommaSeparated, cl::sub(sensitivityCmd));
cl::opt<double> noiseSize("noise-size",
                          cl::desc("Noise RMS relative to the tensor's RMS "
                                   "(default 0.1)"),
                          cl::init(0.1), cl::sub(sensitivityCmd));
cl::opt<int64_t> runs("runs",
                      cl::desc("Windows (token models) or samples the loss "
                               "is measured on (default 8)"),
                      cl::init(8), cl::sub(sensitivityCmd));
cl::opt<unsigned> window("calib-window",
                         cl::desc("Ids per window for token models (default "
                                  "256)"),
                         cl::init(256), cl::sub(sensitivityCmd));
cl::list<double> refine(
    "refine",
    cl::desc("Budgets (average code bits per weight) to refine a mix for "
             "against the measured loss; `quantc compile --budget` uses it"),
    cl::CommaSeparated, cl::value_desc("BITS"), cl::sub(sensitivityCmd));
cl::opt<int64_t> refineRounds("refine-rounds",
                              cl::desc("Local-search rounds per --refine "
                                       "budget (default 6)"),
                              cl::init(6), cl::sub(sensitivityCmd));
cl::opt<int> threads("threads", cl::desc("Threads (default: all cores)"),
                     cl::init(0), cl::sub(sensitivityCmd));
} // namespace

bool quantc::isSensitivityCommand() {
  return static_cast<bool>(sensitivityCmd);
}

int quantc::runSensitivity(MLIRContext &context) {
  std::string inputPath = positional.front();
  auto fail = [&](const std::string &message) {
    llvm::errs() << "quantc: error: " << inputPath << ": " << message << "\n";
    return 1;
  };
  SensitivityOptions options;
  if (!bits.empty())
    options.bits.assign(bits.begin(), bits.end());
  options.groupSize = groupSize;
  options.symmetric = !asymmetric;
  options.gptq = weights == Method::Gptq;
  options.actOrder = actOrder;
  options.clipMse = clipMse;
  for (const std::string &kind : noise) {
    if (kind != "gaussian" && kind != "uniform" && kind != "laplace")
      return fail("unknown --noise kind '" + kind +
                  "' (gaussian, uniform, laplace)");
    options.noise.push_back(kind);
  }
  options.noiseSize = noiseSize;
  for (double budget : refine) {
    if (!(budget >= 2 && budget <= 8))
      return fail("--refine takes budgets from 2 to 8 bits per weight");
    options.refine.push_back(budget);
  }
  if (refineRounds < 0)
    return fail("--refine-rounds must be >= 0");
  options.refineRounds = refineRounds;
  options.runs = runs;
  options.calibration.window = window;
  options.calibration.threads = threads;
  options.calibration.samples.assign(calib.begin(), calib.end());
  options.calibration.samples.insert(options.calibration.samples.end(),
                                     positional.begin() + 1, positional.end());
  if (groupSize < -1)
    return fail("--group-size must be -1, 0 or positive");
  if (runs < 1 || window < 2 || !(noiseSize > 0 && noiseSize < 1e6))
    return fail("--runs must be >= 1, --calib-window >= 2 and --noise-size "
                "positive");
  std::vector<std::string> inputs = filesOfEntries(options.calibration.samples);
  inputs.push_back(inputPath);
  if (llvm::Error e = checkNotAnInput(outputPath, inputs))
    return fail(llvm::toString(std::move(e)));
  llvm::Expected<qc::onnx::ImportOptions> importOptions = parseDimSizes(dims);
  if (!importOptions)
    return fail(llvm::toString(importOptions.takeError()));
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      loadModule(context, inputPath, *importOptions);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  llvm::Expected<qc::SensitivityReport> report =
      measureSensitivity(**module, options);
  if (!report)
    return fail(llvm::toString(report.takeError()));
  if (llvm::Error e = qc::writeSensitivityFile(outputPath, *report))
    return fail(llvm::toString(std::move(e)));
  llvm::outs() << summarizeSensitivity(*report);
  return 0;
}
