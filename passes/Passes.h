//===- Passes.h - quantc's qc-level passes ----------------------*- C++ -*-===//

#ifndef QUANTC_PASSES_PASSES_H
#define QUANTC_PASSES_PASSES_H

#include "dialects/qc/IR/QcAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qc {

/// On a `qc.observe`: the calibrated mean x^2 of each channel of its last
/// dimension (an f32 vector), set by qc-apply-stats from a version-2 stats
/// file and read by qc-quantize-weights{clip=mse} to weight weight rows.
inline constexpr llvm::StringLiteral kChannelMeanSquareAttr =
    "qc.channel_mean_square";

/// On a `qc.observe`: the calibrated mean |x| of each channel of its last
/// dimension (an f32 vector; qc-apply-stats), what qc-awq scales by.
inline constexpr llvm::StringLiteral kChannelMeanAbsAttr =
    "qc.channel_mean_abs";

/// On a `qc.observe`: the calibrated E[x x^T] over the channels of its last
/// dimension (f32 [K, K]; a resource blob from qc-apply-stats, or inline),
/// the Hessian qc-quantize-weights{method=gptq} quantizes weight rows with.
inline constexpr llvm::StringLiteral kInputGramAttr = "qc.input_gram";

/// On a `qc.observe`: the calibrated max |x| of each channel of its last
/// dimension (an f32 vector; qc-apply-stats), what qc-smooth-outliers
/// balances against the weights' max |w|.
inline constexpr llvm::StringLiteral kChannelMaxAbsAttr = "qc.channel_max_abs";

/// On a `qc.observe`: a uniform sample of its tensor's rows (f32 [S, K]; a
/// resource blob from qc-apply-stats, or inline), the rows
/// qc-smooth-outliers measures a quantized layer's output error on.
inline constexpr llvm::StringLiteral kInputSampleAttr = "qc.input_sample";

/// On a `qc.matmul`, `qc.gemm` or `qc.conv`: the bits qc-quantize-weights
/// gives this layer's weight instead of its `bits` option (an i64; set by
/// qc-allocate-bits).
inline constexpr llvm::StringLiteral kWeightBitsAttr = "qc.weight_bits";

/// On a `qc.observe`: what it reads is already rotated (its input is a
/// residual stream qc-rotate-residual rotated), so qc-rotate-inputs leaves
/// it alone (a unit attribute).
inline constexpr llvm::StringLiteral kRotatedAttr = "qc.rotated";

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::qc

#endif // QUANTC_PASSES_PASSES_H
