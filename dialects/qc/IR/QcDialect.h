//===- QcDialect.h - qc dialect ---------------------------------*- C++ -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCDIALECT_H
#define QUANTC_DIALECTS_QC_IR_QCDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Dialect.h"

#include "dialects/qc/IR/QcDialect.h.inc"

#endif // QUANTC_DIALECTS_QC_IR_QCDIALECT_H
