//===- LayerOrder.h - weight products in model order ------------*- C++ -*-===//
//
// Sequential layer-wise methods (GPTQ calibrated on the outputs of the
// already quantized layers) process weight products in stages: a product's
// stage is the number of weight products on the longest path from the
// model's inputs to its input, so every product of stage s reads only what
// products of stages < s compute. Products that read one activation (q/k/v,
// gate/up) share a stage and a `qc.observe`.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_LAYERORDER_H
#define QUANTC_PASSES_LAYERORDER_H

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace mlir::qc {

/// Whether `op` multiplies an activation by a constant weight (qc.matmul or
/// qc.gemm with a constant right operand) or is already a quantized one.
bool isWeightProduct(Operation *op);

/// A product whose weight is a static f32 constant, as sensitivity sweeps
/// and bit allocation see it: a `qc.matmul` with a 2-D weight or a
/// `qc.conv`, named after its ONNX node (else "matmul<i>" / "conv<i>", i
/// its position among these products).
struct FloatWeightProduct {
  Operation *op;
  OpOperand *weight, *input;
  std::string name;
  /// The product of this name that comes first, when this one is its copy
  /// in the other branch of an If (qc::inExclusiveBranches); null
  /// otherwise. A copy is the same layer: it is measured and allocated
  /// once, through `original`, and takes what `original` takes.
  Operation *original = nullptr;
};

/// `func`'s float weight products in program order: the one numbering
/// qc-perturbation-points, `quantc sensitivity` and qc-allocate-bits share.
std::vector<FloatWeightProduct> floatWeightProducts(Operation *func);

/// The names of the `qc.observe` ops that weight products read, grouped by
/// stage (index = stage, stages without observers left out), in model
/// order.
std::vector<std::vector<std::string>> observedStages(ModuleOp module);

} // namespace mlir::qc

#endif // QUANTC_PASSES_LAYERORDER_H
