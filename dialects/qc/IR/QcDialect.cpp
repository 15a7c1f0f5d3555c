//===- QcDialect.cpp - qc dialect registration ----------------------------===//

#include "dialects/qc/IR/QcDialect.h"
#include "dialects/qc/IR/QcAttrs.h"
#include "dialects/qc/IR/QcOps.h"

using namespace mlir;
using namespace mlir::qc;

#include "dialects/qc/IR/QcDialect.cpp.inc"

void QcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/qc/IR/QcOps.cpp.inc"
      >();
  registerAttributes();
}
