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

#include <string>

namespace mlir::qc {

/// The ONNX node name of a location (the first NameLoc, looking into fused
/// locations), or "".
std::string nodeName(Location loc);

} // namespace mlir::qc

#endif // QUANTC_PASSES_NODENAMES_H
