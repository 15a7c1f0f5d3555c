//===- NodeNames.cpp - the ONNX node name behind an op --------------------===//

#include "passes/NodeNames.h"

#include "dialects/qc/IR/QcDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
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

bool qc::inExclusiveBranches(Operation *a, Operation *b) {
  for (Region *ra = a->getParentRegion(); ra; ra = ra->getParentRegion()) {
    Operation *parent = ra->getParentOp();
    if (!parent)
      return false;
    if (!parent->isProperAncestor(b))
      continue;
    // The closest op holding both: b's region in it.
    Region *rb = b->getParentRegion();
    while (rb->getParentOp() != parent)
      rb = rb->getParentOp()->getParentRegion();
    return ra != rb && isa<scf::IfOp>(parent);
  }
  return false;
}

bool qc::isCopyOf(Operation *a, Operation *b) {
  if (a == b || a->getLoc() != b->getLoc())
    return false;
  auto name = dyn_cast<NameLoc>(a->getLoc());
  auto marker =
      name ? dyn_cast<FileLineColLoc>(name.getChildLoc()) : FileLineColLoc();
  return marker && marker.getFilename() == kCopiedNodeFile &&
         inExclusiveBranches(a, b);
}
