//===- QcAttrs.h - qc dialect attributes and enums --------------*- C++ -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCATTRS_H
#define QUANTC_DIALECTS_QC_IR_QCATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/qc/IR/QcEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/qc/IR/QcAttrs.h.inc"

#endif // QUANTC_DIALECTS_QC_IR_QCATTRS_H
