//===- NodeNames.h - the ONNX node name behind an op ------------*- C++ -*-===//
//
// The importer gives every op the ONNX node's name as a NameLoc; passes that
// name what they create after a layer (observers, perturbation points) read
// it back here.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_NODENAMES_H
#define QUANTC_PASSES_NODENAMES_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <string>

namespace mlir::qc {

/// The ONNX node name of a location (the first NameLoc, looking into fused
/// locations), or "".
std::string nodeName(Location loc);

/// True if `a` and `b` sit in different regions of one scf.if, so that at
/// most one of them runs. The importer copies the nodes after an If whose
/// branches differ in rank into both branches; the two copies of a node
/// then share its name, and what is named after it (an observer, a
/// perturbation input) is shared too.
bool inExclusiveBranches(Operation *a, Operation *b);

} // namespace mlir::qc

#endif // QUANTC_PASSES_NODENAMES_H
