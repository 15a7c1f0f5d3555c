//===- QcAttrs.cpp - qc dialect attributes --------------------------------===//

#include "dialects/qc/IR/QcAttrs.h"
#include "dialects/qc/IR/QcDialect.h"

#include "llvm/ADT/TypeSwitch.h"
#include <cmath>

using namespace mlir;
using namespace mlir::qc;

#include "dialects/qc/IR/QcEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/qc/IR/QcAttrs.cpp.inc"

LogicalResult RangeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                APFloat minValue, APFloat maxValue,
                                ObserverKind) {
  double min = minValue.convertToDouble(), max = maxValue.convertToDouble();
  if (!std::isfinite(min) || !std::isfinite(max))
    return emitError() << "range bounds must be finite, got [" << min << ", "
                       << max << "]";
  if (min > max)
    return emitError() << "range min " << min << " is greater than max " << max;
  return success();
}

void QcDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/qc/IR/QcAttrs.cpp.inc"
      >();
}
