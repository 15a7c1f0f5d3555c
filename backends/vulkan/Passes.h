//===- Passes.h - Vulkan backend passes -------------------------*- C++ -*-===//

#ifndef QUANTC_BACKENDS_VULKAN_PASSES_H
#define QUANTC_BACKENDS_VULKAN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qc::vulkan {

#define GEN_PASS_DECL
#include "backends/vulkan/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/vulkan/Passes.h.inc"

} // namespace mlir::qc::vulkan

#endif // QUANTC_BACKENDS_VULKAN_PASSES_H
