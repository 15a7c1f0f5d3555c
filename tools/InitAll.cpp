//===- InitAll.cpp - register quantc's dialects and passes ----------------===//

#include "tools/InitAll.h"

#include "backends/common/Passes.h"
#include "backends/cpu/CpuPipeline.h"
#include "backends/vulkan/VulkanPipeline.h"
#include "dialects/qc/IR/QcDialect.h"
#include "passes/Passes.h"
#include "passes/QuantizePipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void mlir::qc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<qc::QcDialect>();
  // Upstream registration is free: it is all in libMLIR.so already.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void mlir::qc::registerAllPasses() {
  mlir::registerAllPasses();
  registerQcPasses();
  registerQuantizePipeline();
  registerQcCommonPasses();
  cpu::registerCpuPipeline();
  vulkan::registerVulkanPipeline();
}
