//===- ImportNorm.cpp ---------------------------------------------------===//

#include "frontends/onnx/Builders.h"
#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::qc::onnx;

void mlir::qc::onnx::registerNormOps(OpTable &t) {}
