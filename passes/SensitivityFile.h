//===- SensitivityFile.h - per-layer sensitivity reports --------*- C++ -*-===//
//
// `quantc sensitivity` measures how much the loss grows when one layer alone
// is perturbed; qc-allocate-bits reads the result to choose bits per layer.
// One JSON format, read and written only here:
//
//   {"format": "quantc-sensitivity", "version": 1,
//    "loss": "cross_entropy" | "output_mse", "baseline": L, "runs": R,
//    "weights": {"bits": [2, 3, 4, 8], "group_size": G, "symmetric": S,
//                "method": "rtn" | "gptq"},
//    "noise_size": r,
//    "layers": [{"name": "layers.0.ffn.w2", "component": "ffn.down",
//                "rows": K, "cols": N,
//                "bits": {"2": dL, ...},
//                "weight_noise": {"gaussian": dL, ...},
//                "activation_noise": {"gaussian": dL, ...}}, ...],
//    "joint": {"4": dL, ...},
//    "mixes": [{"bits": b, "single_sum": s, "measured": dL}, ...],
//    "allocations": [{"budget": B, "bits": b, "single_sum": s,
//                     "measured": dL, "widths": {"layers.0.ffn.w2": 3, ...}},
//                    ...]}
//
// dL is the loss change when only that layer is perturbed: its weight
// quantized at that many bits (with the file's method and granularity), or
// noise of r times the tensor's RMS added to its weight or its input.
// "joint" holds the change with every layer at that many bits at once, and
// "mixes" the change of mixed-width allocations along the trade-off curve
// (average code bits b) beside the sum of their single-layer changes: what
// single-layer sums miss, measured. "allocations" are mixes refined for a
// budget of B average code bits against the measured loss (`quantc
// sensitivity --refine B`): their widths by layer and their measured
// change dL; qc-allocate-bits takes one when it fits the budget and its
// measured change beats the prediction for the knapsack's own mix.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_SENSITIVITYFILE_H
#define QUANTC_PASSES_SENSITIVITYFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace mlir::qc {

struct LayerSensitivity {
  std::string name;      // the ONNX node of the weight product
  std::string component; // componentClass(name)
  int64_t rows = 0, cols = 0;
  std::map<int, double> bits;                    // by bit width
  std::map<std::string, double> weightNoise;     // by noise kind
  std::map<std::string, double> activationNoise; // by noise kind
};

struct SensitivityReport {
  static constexpr int64_t kVersion = 1;
  std::string loss = "cross_entropy";
  double baseline = 0;
  int64_t runs = 0;
  std::vector<int> bits;
  int64_t groupSize = 0;
  bool symmetric = true;
  std::string method = "rtn";
  double noiseSize = 0;
  std::vector<LayerSensitivity> layers;
  std::map<int, double> joint;
  struct Mix {
    double bits = 0, singleSum = 0, measured = 0;
  };
  std::vector<Mix> mixes; // by increasing bits
  struct Refined {
    double budget = 0, bits = 0, singleSum = 0, measured = 0;
    std::map<std::string, int> widths; // by layer name
  };
  std::vector<Refined> allocations;
};

/// The component class of a layer named after its ONNX node, from common
/// naming conventions (Llama, GPT-2, BERT, llama2.c): "attn.q", "attn.k",
/// "attn.v", "attn.o", "ffn.gate", "ffn.up", "ffn.down", "classifier",
/// "conv", or "other".
std::string componentClass(llvm::StringRef name);

llvm::Expected<SensitivityReport> readSensitivityFile(llvm::StringRef path);

/// Writes `report` ("-": standard output); nothing is left at `path` on
/// failure.
llvm::Error writeSensitivityFile(llvm::StringRef path,
                                 const SensitivityReport &report);

} // namespace mlir::qc

#endif // QUANTC_PASSES_SENSITIVITYFILE_H
