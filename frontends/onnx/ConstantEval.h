//===- ConstantEval.h - Values the importer can compute at import -*- C++
//-*-===//
//
// Evaluates a small tensor value built from constants by the importer's own
// ops (elementwise linalg.generic, reshapes, casts), so that an `If` whose
// condition is known when the model is imported (the usual "is this dim 1?"
// test of exported models) can take its branch directly.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_FRONTENDS_ONNX_CONSTANTEVAL_H
#define QUANTC_FRONTENDS_ONNX_CONSTANTEVAL_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

namespace mlir::qc::onnx {

/// The value of `v` when it depends only on constants, has a static shape
/// and at most `maxElements` elements; null otherwise.
DenseElementsAttr evaluateConstant(Value v, int64_t maxElements = 64);

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_CONSTANTEVAL_H
