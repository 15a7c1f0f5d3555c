//===- BitAllocation.h - mixed precision under a budget ---------*- C++ -*-===//
//
// Each layer has options (a bit width, say) with a cost (code bits) and a
// predicted loss increase (its measured single-layer sensitivity); choose
// one option per layer minimising the summed loss with the summed cost
// within a budget: a multiple-choice knapsack. Solved exactly by dynamic
// programming over the budget discretised into `steps` units (each option's
// cost rounded up to whole units, so every answer fits the real budget),
// and swept by Lagrangian relaxation for the whole trade-off curve. Plain
// C++.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_BITALLOCATION_H
#define QUANTC_PASSES_ALGORITHMS_BITALLOCATION_H

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

struct AllocationOption {
  double cost = 0; // >= 0
  double loss = 0;
};

struct Allocation {
  bool feasible = false;
  std::vector<int> choice; // the option index per layer
  double cost = 0, loss = 0;
};

/// The least summed loss with summed cost <= budget. Each layer needs at
/// least one option. Infeasible when even the cheapest options exceed the
/// budget. When the costs are integers, their greatest common divisor is
/// the unit (exact) unless the budget spans more than max(steps, 2^16) of
/// them; else the budget is cut into `steps` (>= 1) units and costs
/// rounded up. Memory: layers x units ints.
Allocation
allocateExact(const std::vector<std::vector<AllocationOption>> &layers,
              double budget, int64_t steps = 4096);

/// The allocations minimising loss + lambda * cost for lambdas from 0 up to
/// where every layer takes its cheapest option: the lower convex hull of
/// the trade-off, cheapest last (each point is optimal for its own cost).
std::vector<Allocation>
lagrangianSweep(const std::vector<std::vector<AllocationOption>> &layers);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_BITALLOCATION_H
