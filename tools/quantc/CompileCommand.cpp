//===- CompileCommand.cpp - `quantc compile` ------------------------------===//

#include "tools/quantc/Commands.h"

#include "backends/common/EmitSharedLibrary.h"
#include "runtime/include/quantc_runtime.h"
#include "tools/driver/Compiler.h"
#include "tools/driver/Quantize.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace quantc;
namespace cl = llvm::cl;

namespace {
cl::SubCommand
    compileCmd("compile",
               "Compile an ONNX model or qc MLIR into a loadable artifact");

// The model, then (after --calib) further calibration samples: LLVM's
// command line gives an option one value, so `--calib A B` leaves B here.
cl::list<std::string> positional(cl::Positional,
                                 cl::desc("MODEL.onnx|MODEL.mlir|MODEL.mlirbc"),
                                 cl::OneOrMore, cl::sub(compileCmd));
cl::list<std::string> dims("dim", cl::desc(quantc::kDimHelp),
                           cl::value_desc("NAME=SIZE"), cl::sub(compileCmd));
cl::opt<std::string>
    outputPath("o",
               cl::desc("Output shared library (MODEL.so); MODEL.h is written "
                        "beside it"),
               cl::value_desc("MODEL.so"), cl::Required, cl::sub(compileCmd));
cl::opt<std::string> target("target",
                            cl::desc("Target: cpu (default) or vulkan "
                                     "(SPIR-V kernels run through Vulkan)"),
                            cl::init("cpu"), cl::sub(compileCmd));
cl::opt<std::string> vulkanInt8Storage(
    "vulkan-int8-storage",
    cl::desc("Vulkan: kernels use Int8 and 8-bit storage buffers: auto "
             "(default: when this machine's Vulkan device has them, or when "
             "there is none), true, or false (i8 emulated in i32)"),
    cl::init("auto"), cl::sub(compileCmd));
cl::opt<bool> vulkanWorkgroupMemory(
    "vulkan-workgroup-memory",
    cl::desc("Vulkan: f32 and W8A8 matmuls stage K-slices of A and B in "
             "workgroup memory (default on; =false keeps register blocks "
             "only: faster on lavapipe, slower on an H100)"),
    cl::init(true), cl::sub(compileCmd));
cl::opt<std::string>
    mcpu("mcpu",
         cl::desc("Target CPU (default: this machine's, with its "
                  "feature list)"),
         cl::sub(compileCmd));
cl::opt<std::string> mattr("mattr",
                           cl::desc("Extra target features, e.g. -avx512f"),
                           cl::sub(compileCmd));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::init(3), cl::Prefix, cl::sub(compileCmd));
cl::opt<bool> noHeader("no-header", cl::desc("Do not write MODEL.h"),
                       cl::sub(compileCmd));
cl::opt<bool> emitLLVM("keep-llvm-ir",
                       cl::desc("Also write the optimized LLVM IR as "
                                "MODEL.so.ll"),
                       cl::sub(compileCmd));
cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the whole pass pipeline, quantization included, as a "
             "quant-opt command line (stderr)"),
    cl::sub(compileCmd));
cl::opt<std::string> loweredMlir(
    "emit-lowered-mlir",
    cl::desc("Also write the module as code generation receives it (LLVM "
             "dialect, what the --print-pipeline line produces)"),
    cl::value_desc("FILE.mlir"), cl::sub(compileCmd));
cl::opt<bool> verifyEach("verify-each",
                         cl::desc("Verify the IR after every pass (default "
                                  "on; --verify-each=false saves time)"),
                         cl::init(true), cl::sub(compileCmd));
cl::opt<bool> debugCrash("debug-crash",
                         cl::desc("Crash on purpose after quantization (tests "
                                  "crash recovery and reproducers)"),
                         cl::Hidden, cl::sub(compileCmd));

cl::OptionCategory quantCategory("Quantization options (quantc compile)");
cl::opt<std::string> scheme(
    "scheme",
    cl::desc("fp32 (default), w8a8, w4a16, w4a8, or wBaA (B = 2, 3, 4, 8 "
             "weight bits; A = 8 int8 activations, 16 float)"),
    cl::init("fp32"), cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<int64_t> groupSize(
    "group-size",
    cl::desc("Input channels per weight scale: 0 per channel (default), "
             "-1 per tensor, N groups of N (a ragged last group is fine)"),
    cl::init(0), cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<bool> asymmetricWeights("asymmetric-weights",
                                cl::desc("Weights get zero points (default: "
                                         "symmetric)"),
                                cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<qc::WeightClip>
    clip("clip", cl::desc("How each weight scale's range is chosen"),
         cl::init(qc::WeightClip::None),
         cl::values(clEnumValN(qc::WeightClip::None, "none",
                               "the values' min/max (default)"),
                    clEnumValN(qc::WeightClip::Mse, "mse",
                               "the clipping (0.5 to 1 of the range) with the "
                               "least squared error, per scale; weighted by "
                               "the input channels' mean x^2 when --calib "
                               "or --stats give them")),
         cl::sub(compileCmd), cl::cat(quantCategory));
enum class WeightsChoice { Rtn, Gptq, Awq };
cl::opt<WeightsChoice> weightMethod(
    "weights", cl::desc("How weight codes are chosen"),
    cl::init(WeightsChoice::Rtn),
    cl::values(clEnumValN(WeightsChoice::Rtn, "rtn",
                          "round to nearest (default)"),
               clEnumValN(WeightsChoice::Gptq, "gptq",
                          "GPTQ: each row's rounding error compensated by "
                          "the rows after it, through the calibrated "
                          "E[x x^T] (needs --calib, or --stats from "
                          "`quantc calibrate --gram`)"),
               clEnumValN(WeightsChoice::Awq, "awq",
                          "AWQ: rows scaled by the activation's mean "
                          "|x|^alpha, alpha searched per layer, then RTN "
                          "(same calibration as gptq; wBa16)")),
    cl::sub(compileCmd), cl::cat(quantCategory));
enum class GptqInputs { Quantized, Float };
cl::opt<GptqInputs> gptqInputs(
    "gptq-inputs",
    cl::desc("GPTQ: whose activations each layer's E[x x^T] is measured on"),
    cl::init(GptqInputs::Float),
    cl::values(clEnumValN(GptqInputs::Float, "float",
                          "the float model: one calibration run (default; "
                          "always so with --stats)"),
               clEnumValN(GptqInputs::Quantized, "quantized",
                          "the model with the layers before it already "
                          "quantized (sequential GPTQ): one calibration "
                          "build and run per stage of layers")),
    cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<qc::WeightCodebook> codebook(
    "codebook", cl::desc("A non-uniform grid for the weights (wBa16)"),
    cl::init(qc::WeightCodebook::None),
    cl::values(clEnumValN(qc::WeightCodebook::None, "none",
                          "uniform levels (default)"),
               clEnumValN(qc::WeightCodebook::Nf4, "nf4",
                          "the 16 NF4 levels scaled per group (w4a16)"),
               clEnumValN(qc::WeightCodebook::Kmeans, "kmeans",
                          "2^bits levels per layer by k-means (weighted by "
                          "the input channels' mean x^2 with --calib or "
                          "--stats)")),
    cl::sub(compileCmd), cl::cat(quantCategory));
enum class Rotation { None, Hadamard, HadamardOnline };
cl::opt<Rotation> rotate(
    "rotate", cl::desc("Rotate the linear layers' inputs before rounding"),
    cl::init(Rotation::None),
    cl::values(clEnumValN(Rotation::None, "none", "no rotation (default)"),
               clEnumValN(Rotation::Hadamard, "hadamard",
                          "randomized Walsh-Hadamard where it lowers the "
                          "calibrated rounding error: the residual stream "
                          "with Q folded into the weights, other inputs "
                          "online (wBa16; needs --calib or --stats with "
                          "gram matrices)"),
               clEnumValN(Rotation::HadamardOnline, "hadamard-online",
                          "as hadamard, but every rotation online (the "
                          "residual stream is not rotated)")),
    cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<bool> smooth(
    "smooth",
    cl::desc("SmoothQuant: move activation outliers into the weights where "
             "that lowers the quantized layers' error on sampled calibration "
             "rows, with a remark per layer (wBa8 schemes; needs --calib or "
             "--stats with row samples)"),
    cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<std::string> sensitivity(
    "sensitivity",
    cl::desc("Mixed precision: choose each layer's weight bits from this "
             "`quantc sensitivity` report under --budget"),
    cl::value_desc("sens.json"), cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<double> budget(
    "budget",
    cl::desc("With --sensitivity: average code bits per weight (scales and "
             "zero points are reported beside it)"),
    cl::init(0), cl::value_desc("BITS"), cl::sub(compileCmd),
    cl::cat(quantCategory));
cl::opt<int64_t> sizeBudget(
    "size-budget",
    cl::desc("With --sensitivity, instead of --budget: bytes for all of the "
             "model's weights (codes, scales, zero points and float "
             "constants)"),
    cl::init(0), cl::value_desc("BYTES"), cl::sub(compileCmd),
    cl::cat(quantCategory));
cl::list<std::string> layerBits(
    "layer-bits",
    cl::desc("With --sensitivity: fixed widths, PATTERN=BITS (a glob over "
             "node names, e.g. 'layers.0.*=8')"),
    cl::CommaSeparated, cl::value_desc("PATTERN=BITS"), cl::sub(compileCmd),
    cl::cat(quantCategory));
cl::opt<bool>
    remarks("remarks",
            cl::desc("Print the quantization passes' per-layer remarks (AWQ, "
                     "rotation and smoothing choices with their errors)"),
            cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<std::string> smoothAlpha(
    "smooth-alpha",
    cl::desc("--smooth's migration strength: a number in [0, 1], or auto "
             "(default: searched per layer)"),
    cl::init("auto"), cl::value_desc("A|auto"), cl::sub(compileCmd),
    cl::cat(quantCategory));
cl::opt<int64_t> lorcRank(
    "lorc-rank",
    cl::desc("LoRC: add to each quantized matmul the rank-R approximation "
             "of its rounding residual, stored as 8-bit factors (default 0: "
             "none; wBa16 schemes)"),
    cl::init(0), cl::value_desc("R"), cl::sub(compileCmd),
    cl::cat(quantCategory));
cl::opt<bool> actOrder("act-order",
                       cl::desc("GPTQ: quantize rows in order of decreasing "
                                "input energy diag(E[x x^T])"),
                       cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<qc::ActivationMode>
    activations("activations",
                cl::desc("A8 schemes: how activations get their scales"),
                cl::init(qc::ActivationMode::Static),
                cl::values(clEnumValN(qc::ActivationMode::Static, "static",
                                      "calibrated per tensor (default)"),
                           clEnumValN(qc::ActivationMode::Dynamic, "dynamic",
                                      "per token at run time")),
                cl::sub(compileCmd), cl::cat(quantCategory));
cl::list<std::string> calib(
    "calib",
    cl::desc("Calibration samples for static activations (SAMPLE...): FILE "
             "per sample (an ids .npy is cut into windows) or "
             "NAME=FILE[,NAME=FILE...]"),
    cl::value_desc("SAMPLE"), cl::sub(compileCmd), cl::cat(quantCategory));
cl::opt<std::string>
    stats("stats",
          cl::desc("Calibrated ranges from `quantc calibrate` instead "
                   "of --calib"),
          cl::value_desc("stats.json"), cl::sub(compileCmd),
          cl::cat(quantCategory));
cl::opt<qc::ObserverKind> observer("observer", cl::desc("Calibration observer"),
                                   cl::init(qc::ObserverKind::MinMax),
                                   observerValues(), cl::sub(compileCmd),
                                   cl::cat(quantCategory));
cl::opt<double> percentile("percentile",
                           cl::desc("Percentile observer: the kept percent "
                                    "of |x| (default 99.99)"),
                           cl::init(99.99), cl::sub(compileCmd),
                           cl::cat(quantCategory));
cl::opt<unsigned> calibWindow("calib-window",
                              cl::desc("Ids per calibration window (default "
                                       "256)"),
                              cl::init(256), cl::sub(compileCmd),
                              cl::cat(quantCategory));
} // namespace

bool quantc::isCompileCommand() { return static_cast<bool>(compileCmd); }

/// The options of the command line, or what is wrong with them.
static llvm::Expected<CompileOptions> compileOptions() {
  CompileOptions options;
  if (optLevel > 3)
    return makeError("-O" + llvm::Twine(optLevel.getValue()) +
                     ": the optimization level is 0 to 3");
  if (calibWindow == 0)
    return makeError("--calib-window must be at least 1");
  if (std::string error = qc::checkTargetCpu(mcpu); !error.empty())
    return makeError("--mcpu: " + error);
  llvm::Expected<Target> targetKind = parseTarget(target);
  if (!targetKind)
    return targetKind.takeError();
  options.target = *targetKind;
  QuantizeOptions &quant = options.quantize;
  if (llvm::Error e = parseScheme(scheme, quant))
    return std::move(e);
  quant.groupSize = groupSize;
  quant.symmetricWeights = !asymmetricWeights;
  quant.clip = clip;
  quant.method = weightMethod == WeightsChoice::Gptq ? qc::WeightMethod::Gptq
                                                     : qc::WeightMethod::Rtn;
  quant.awq = weightMethod == WeightsChoice::Awq;
  quant.actOrder = actOrder;
  quant.lorcRank = lorcRank;
  quant.codebook = codebook;
  quant.rotate = rotate != Rotation::None;
  quant.rotateResidual = rotate == Rotation::Hadamard;
  quant.smooth = smooth;
  quant.remarks = remarks;
  quant.sensitivityFile = sensitivity;
  quant.budget = budget;
  quant.sizeBudget = sizeBudget;
  if (sizeBudget < 0)
    return makeError("--size-budget must be positive (bytes)");
  quant.layerBits.assign(layerBits.begin(), layerBits.end());
  if (!sensitivity.empty() && quant.weightBits == 0)
    return makeError("--sensitivity needs a quantized --scheme (e.g. "
                     "w4a16; its bits are the default for layers the "
                     "report does not name)");
  if (smoothAlpha != "auto") {
    double alpha = 0;
    if (StringRef(smoothAlpha).getAsDouble(alpha) || alpha < 0 || alpha > 1)
      return makeError("--smooth-alpha must be a number in [0, 1] or auto, "
                       "not '" +
                       smoothAlpha + "'");
    quant.smoothAlpha = alpha;
  }
  quant.sequentialGptq = gptqInputs == GptqInputs::Quantized;
  quant.activations = activations;
  quant.statsFile = stats;
  quant.calibration.observer = observer;
  quant.calibration.percentile = percentile;
  quant.calibration.window = calibWindow;
  quant.calibration.samples.assign(calib.begin(), calib.end());
  quant.calibration.samples.insert(quant.calibration.samples.end(),
                                   positional.begin() + 1, positional.end());
  if (vulkanInt8Storage == "auto") {
    // Kernels for the device at hand; without one, the common case. Only a
    // Vulkan compile asks (opening the device costs a CPU compile time).
    if (options.target == Target::Vulkan) {
      uint32_t bits = 0;
      quantc_status *status = quantc_vulkan_device_capabilities(&bits);
      uint32_t int8 =
          QUANTC_VULKAN_CAP_INT8 | QUANTC_VULKAN_CAP_STORAGE_BUFFER_8BIT_ACCESS;
      options.vulkanInt8Storage = status || (bits & int8) == int8;
      quantc_status_free(status);
    }
  } else if (vulkanInt8Storage == "true" || vulkanInt8Storage == "false") {
    options.vulkanInt8Storage = vulkanInt8Storage == "true";
  } else {
    return makeError(
        "--vulkan-int8-storage must be auto, true or false, not '" +
        vulkanInt8Storage + "'");
  }
  options.vulkanWorkgroupMemory = vulkanWorkgroupMemory;
  options.emit.cpu = mcpu;
  options.emit.features = mattr;
  options.emit.optLevel = optLevel;
  if (emitLLVM)
    options.emit.llvmIRPath = outputPath + ".ll";
  options.writeHeader = !noHeader;
  options.printPipeline = printPipeline;
  options.verifyEach = verifyEach;
  options.debugCrash = debugCrash;
  options.loweredMlirPath = loweredMlir;
  return options;
}

int quantc::runCompile(MLIRContext &context) {
  std::string inputPath = positional.front();
  auto fail = [&](llvm::Error error, bool namePath) {
    llvm::errs() << "quantc: error: " << (namePath ? inputPath + ": " : "")
                 << llvm::toString(std::move(error)) << "\n";
    return 1;
  };
  if (positional.size() > 1 && calib.empty()) {
    llvm::errs() << "quantc: error: unexpected argument '" << positional[1]
                 << "' (one model per compile; samples go after --calib)\n";
    return 1;
  }
  llvm::Expected<CompileOptions> options = compileOptions();
  if (!options)
    return fail(options.takeError(), false);
  // Nothing written may replace what the compile reads.
  std::vector<std::string> inputs =
      filesOfEntries(options->quantize.calibration.samples);
  inputs.push_back(inputPath);
  for (const std::string &file :
       {options->quantize.statsFile, options->quantize.sensitivityFile})
    if (!file.empty())
      inputs.insert(inputs.end(), {file, file + ".gram"});
  std::vector<std::string> outputs{outputPath};
  if (options->writeHeader) {
    llvm::SmallString<128> header(outputPath.getValue());
    llvm::sys::path::replace_extension(header, "h");
    outputs.push_back(header.str().str());
  }
  if (!options->emit.llvmIRPath.empty())
    outputs.push_back(options->emit.llvmIRPath);
  if (!options->loweredMlirPath.empty())
    outputs.push_back(options->loweredMlirPath);
  if (outputPath == "-")
    return fail(makeError("-o -: the shared library must be a file"), false);
  for (const std::string &output : outputs) {
    if (llvm::Error e = checkNotAnInput(output, inputs))
      return fail(std::move(e), false);
    // Refused before the compile, not when the outputs are renamed.
    if (llvm::sys::fs::is_directory(output))
      return fail(makeError("cannot write " + output + ": it is a directory"),
                  false);
  }
  llvm::Expected<qc::onnx::ImportOptions> importOptions = parseDimSizes(dims);
  if (!importOptions)
    return fail(importOptions.takeError(), false);
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      loadModule(context, inputPath, *importOptions);
  if (!module)
    return fail(module.takeError(), true);
  TemporaryFile calibrated;
  const QuantizeOptions &quant = options->quantize;
  bool sequentialGptq = quant.weightBits != 0 &&
                        quant.method == qc::WeightMethod::Gptq &&
                        quant.sequentialGptq && quant.statsFile.empty();
  if (llvm::Error e =
          prepareCalibration(**module, options->quantize, calibrated))
    return fail(std::move(e), true);
  if (options->printPipeline && sequentialGptq)
    llvm::errs() << "# weights: sequential GPTQ quantized the weight "
                    "products stage by stage before this pipeline (one "
                    "calibration build per stage; quant-opt cannot replay "
                    "it), so its qc-quantize-weights{method=rtn} finds only "
                    "what is left\n";
  if (options->printPipeline && !calibrated.path.empty())
    llvm::errs() << "# stats-file: ranges calibrated in this run (deleted "
                    "when it ends); `quantc calibrate` writes a lasting one\n";
  if (llvm::Error e = compileModel(**module, outputPath, *options))
    return fail(std::move(e), true);
  return 0;
}
