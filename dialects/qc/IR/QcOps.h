//===- QcOps.h - qc dialect operations --------------------------*- C++ -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCOPS_H
#define QUANTC_DIALECTS_QC_IR_QCOPS_H

#include "dialects/qc/IR/QcAttrs.h"
#include "dialects/qc/IR/QcDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/qc/IR/QcOps.h.inc"

namespace mlir::qc {
/// Rows per group of a group-wise (sub-channel) 2-D weight type, 0 for
/// per-tensor and per-axis types.
int64_t groupRows(RankedTensorType weight);
} // namespace mlir::qc

#endif // QUANTC_DIALECTS_QC_IR_QCOPS_H
