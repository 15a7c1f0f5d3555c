//===- CalibrateCommand.cpp - `quantc calibrate` --------------------------===//
//
//   quantc calibrate MODEL.onnx --data SAMPLE... -o stats.json
//       [--observer minmax|percentile|mse|kl] [--percentile P]
//       [--calib-window N] [--all-matmuls] [--gram] [--threads N]
//
// Inserts observers on the activations that weight matmuls read (all
// matmul operands with --all-matmuls), runs the model compiled for the CPU
// over the samples and writes the ranges as a quantc-stats file (with
// --gram also each observed tensor's E[x x^T], in stats.json.gram).
//
//===----------------------------------------------------------------------===//

#include "tools/driver/Calibration.h"
#include "tools/driver/Compiler.h"
#include "tools/quantc/Commands.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
cl::SubCommand
    calibrateCmd("calibrate",
                 "Record activation ranges over samples into a stats file");

// The model, then further samples: `--data A B` leaves B here.
cl::list<std::string> positional(cl::Positional,
                                 cl::desc("MODEL.onnx|MODEL.mlir|MODEL.mlirbc"),
                                 cl::OneOrMore, cl::sub(calibrateCmd));
cl::list<std::string>
    data("data",
         cl::desc("Samples (SAMPLE...): FILE per sample (an ids .npy is cut "
                  "into windows) or NAME=FILE[,NAME=FILE...]"),
         cl::value_desc("SAMPLE"), cl::sub(calibrateCmd));
cl::opt<std::string> outputPath("o", cl::desc("Stats file to write"),
                                cl::value_desc("stats.json"), cl::Required,
                                cl::sub(calibrateCmd));
cl::list<std::string> dims("dim", cl::desc(quantc::kDimHelp),
                           cl::value_desc("NAME=SIZE"), cl::sub(calibrateCmd));
cl::opt<qc::ObserverKind> observer("observer",
                                   cl::desc("How ranges are chosen"),
                                   cl::init(qc::ObserverKind::MinMax),
                                   quantc::observerValues(),
                                   cl::sub(calibrateCmd));
cl::opt<double> percentile("percentile",
                           cl::desc("Percentile observer: the kept percent "
                                    "of |x| (default 99.99)"),
                           cl::init(99.99), cl::sub(calibrateCmd));
cl::opt<unsigned> bits("bits",
                       cl::desc("Grid the mse and kl observers fit (default "
                                "8)"),
                       cl::init(8), cl::sub(calibrateCmd));
cl::opt<unsigned> window("calib-window",
                         cl::desc("Ids per window for token models (default "
                                  "256)"),
                         cl::init(256), cl::sub(calibrateCmd));
cl::opt<bool>
    allMatmuls("all-matmuls",
               cl::desc("Also observe matmuls of two activations (attention)"),
               cl::sub(calibrateCmd));
cl::opt<bool> gram("gram",
                   cl::desc("Also record E[x x^T] of each observed tensor "
                            "(what --weights gptq|awq and --rotate need) in "
                            "-o FILE.gram"),
                   cl::sub(calibrateCmd));
cl::opt<int> rowSamples(
    "row-samples",
    cl::desc("Also keep a uniform sample of N rows of each observed tensor "
             "(what --smooth needs) in -o FILE.gram (default 0: none)"),
    cl::value_desc("N"), cl::init(0), cl::sub(calibrateCmd));
cl::opt<int> threads("threads", cl::desc("Threads (default: all cores)"),
                     cl::init(0), cl::sub(calibrateCmd));
} // namespace

bool quantc::isCalibrateCommand() { return static_cast<bool>(calibrateCmd); }

int quantc::runCalibrate(MLIRContext &context) {
  std::string inputPath = positional.front();
  auto fail = [&](const std::string &message) {
    llvm::errs() << "quantc: error: " << inputPath << ": " << message << "\n";
    return 1;
  };
  CalibrationOptions options;
  options.observer = observer;
  options.percentile = percentile;
  options.bits = bits;
  options.window = window;
  options.threads = threads;
  options.grams = gram;
  options.rowSamples = rowSamples;
  options.samples.assign(data.begin(), data.end());
  options.samples.insert(options.samples.end(), positional.begin() + 1,
                         positional.end());
  if (options.samples.empty())
    return fail("no samples: give --data SAMPLE...");
  if (bits < 2 || bits > 8)
    return fail("--bits must lie in [2, 8]");
  if (rowSamples < 0 || rowSamples > 1 << 20)
    return fail("--row-samples must lie in [0, 1048576]");
  std::vector<std::string> inputs = filesOfEntries(options.samples);
  inputs.push_back(inputPath);
  for (const std::string &output : {outputPath + "", outputPath + ".gram"})
    if (llvm::Error e = checkNotAnInput(output, inputs))
      return fail(llvm::toString(std::move(e)));
  llvm::Expected<qc::onnx::ImportOptions> importOptions = parseDimSizes(dims);
  if (!importOptions)
    return fail(llvm::toString(importOptions.takeError()));
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      loadModule(context, inputPath, *importOptions);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  if (llvm::Error e = insertObservers(**module, allMatmuls))
    return fail(llvm::toString(std::move(e)));
  if (llvm::Error e = calibrate(**module, options, outputPath))
    return fail(llvm::toString(std::move(e)));
  return 0;
}
