//===- QcDialect.h - qc dialect ---------------------------------*- C++ -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCDIALECT_H
#define QUANTC_DIALECTS_QC_IR_QCDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Dialect.h"

#include "dialects/qc/IR/QcDialect.h.inc"

namespace mlir::qc {

/// The ONNX importer imports the nodes after an If whose branches differ in
/// rank once into each branch. The ops of such a node carry
/// NameLoc(node name, FileLineColLoc(kCopiedNodeFile, id, 0)), `id` the same
/// for both copies of a node and different for different nodes, so that
/// passes can tell a layer's copies from two layers that share a name.
inline constexpr llvm::StringLiteral kCopiedNodeFile = "onnx-node-copy";

} // namespace mlir::qc

#endif // QUANTC_DIALECTS_QC_IR_QCDIALECT_H
