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
/// most one of them runs.
bool inExclusiveBranches(Operation *a, Operation *b);

/// True if `a` and `b` are the importer's two copies of one ONNX node (the
/// nodes after an If whose branches differ in rank, imported once per
/// branch: see qc::kCopiedNodeFile): they never both run, and what is named
/// after the node (an observer, a perturbation input, a bit width) is
/// shared. Two different nodes that merely share a name are not copies.
bool isCopyOf(Operation *a, Operation *b);

} // namespace mlir::qc

#endif // QUANTC_PASSES_NODENAMES_H
