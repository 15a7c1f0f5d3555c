//===- NodeNames.cpp - the ONNX node name behind an op --------------------===//

#include "passes/NodeNames.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

std::string qc::nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (std::string n = nodeName(l); !n.empty())
        return n;
  return "";
}
