//===- LayerOrder.cpp - weight products in model order --------------------===//

#include "passes/LayerOrder.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/IR/Matchers.h"

#include <set>

using namespace mlir;
using namespace mlir::qc;

bool qc::isWeightProduct(Operation *op) {
  if (isa<QuantizedMatmulOp>(op))
    return true;
  Value weight = isa<MatmulOp>(op) ? cast<MatmulOp>(op).getRhs()
                 : isa<GemmOp>(op) ? cast<GemmOp>(op).getB()
                                   : Value();
  return weight && matchPattern(weight, m_Constant());
}

std::vector<std::vector<std::string>> qc::observedStages(ModuleOp module) {
  // Depth of a value = weight products on the longest path that computes
  // it. Post-order visits an op after the ops nested in it, so an op with
  // regions (a loop, a branch) takes the deepest value computed inside.
  // Walking in program order, every operand's producer comes first.
  llvm::DenseMap<Value, int64_t> depth;
  llvm::DenseMap<Operation *, int64_t> deepestInside;
  std::map<int64_t, std::set<std::string>> stages;
  module.walk<WalkOrder::PostOrder>([&](Operation *op) {
    int64_t d = 0;
    for (Value operand : op->getOperands())
      d = std::max(d, depth.lookup(operand));
    if (auto it = deepestInside.find(op); it != deepestInside.end())
      d = std::max(d, it->second);
    if (auto observe = dyn_cast<ObserveOp>(op)) {
      bool feedsProduct = llvm::any_of(observe->getUsers(), isWeightProduct);
      if (feedsProduct)
        stages[d].insert(observe.getName().str());
    }
    if (isWeightProduct(op))
      ++d;
    for (Value result : op->getResults())
      depth[result] = d;
    if (Operation *parent = op->getParentOp())
      deepestInside[parent] = std::max(deepestInside.lookup(parent), d);
  });
  std::vector<std::vector<std::string>> ordered;
  for (auto &[stage, names] : stages)
    ordered.emplace_back(names.begin(), names.end());
  return ordered;
}
