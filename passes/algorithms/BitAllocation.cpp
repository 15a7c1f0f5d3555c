//===- BitAllocation.cpp - mixed precision under a budget -----------------===//

#include "passes/algorithms/BitAllocation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

using namespace quantc::algorithms;

static Allocation
summarize(const std::vector<std::vector<AllocationOption>> &layers,
          std::vector<int> choice) {
  Allocation a;
  a.feasible = true;
  for (size_t l = 0; l < layers.size(); ++l) {
    a.cost += layers[l][choice[l]].cost;
    a.loss += layers[l][choice[l]].loss;
  }
  a.choice = std::move(choice);
  return a;
}

Allocation quantc::algorithms::allocateExact(
    const std::vector<std::vector<AllocationOption>> &layers, double budget,
    int64_t steps) {
  const double inf = std::numeric_limits<double>::infinity();
  if (layers.empty())
    return summarize(layers, {});
  if (!(budget >= 0) || steps < 1)
    return {};
  // Integral costs (bits x parameters) share a divisor: with it as the unit
  // no cost is rounded and the answer is the exact optimum, as long as the
  // budget spans at most max(steps, 2^16) units (the choice table holds
  // layers x units ints). Otherwise budget / steps, rounded up.
  double unit = budget > 0 ? budget / steps : 1;
  uint64_t divisor = 0;
  bool integral = true;
  for (const auto &options : layers)
    for (const AllocationOption &o : options) {
      if (o.cost != std::floor(o.cost) || o.cost > 9.0e15) {
        integral = false;
        continue;
      }
      divisor = std::gcd(divisor, static_cast<uint64_t>(o.cost));
    }
  if (integral && divisor > 0 &&
      budget / double(divisor) <= double(std::max<int64_t>(steps, 1 << 16))) {
    unit = double(divisor);
    steps = static_cast<int64_t>(std::floor(budget / unit));
  }
  // best[c]: the least loss of the layers so far within c units.
  std::vector<double> best(steps + 1, 0.0), next(steps + 1);
  std::vector<std::vector<int>> pick(layers.size(),
                                     std::vector<int>(steps + 1, -1));
  for (size_t l = 0; l < layers.size(); ++l) {
    std::fill(next.begin(), next.end(), inf);
    for (size_t o = 0; o < layers[l].size(); ++o) {
      // Rounded up: a choice that fits in units fits in the real budget
      // (with a little slack against rounding of exact fits).
      double units = layers[l][o].cost / unit;
      int64_t need = static_cast<int64_t>(std::ceil(units - 1e-9));
      if (need > steps)
        continue;
      for (int64_t c = need; c <= steps; ++c) {
        double v = best[c - need] + layers[l][o].loss;
        if (v < next[c]) {
          next[c] = v;
          pick[l][c] = static_cast<int>(o);
        }
      }
    }
    best.swap(next);
  }
  if (best[steps] == inf)
    return {};
  std::vector<int> choice(layers.size());
  int64_t c = steps;
  for (size_t l = layers.size(); l-- > 0;) {
    int o = pick[l][c];
    choice[l] = o;
    c -= static_cast<int64_t>(std::ceil(layers[l][o].cost / unit - 1e-9));
  }
  return summarize(layers, std::move(choice));
}

std::vector<Allocation> quantc::algorithms::lagrangianSweep(
    const std::vector<std::vector<AllocationOption>> &layers) {
  // Every lambda where some layer's best option can change: the slopes
  // between pairs of its options.
  std::set<double> lambdas = {0.0};
  for (const auto &options : layers)
    for (const AllocationOption &a : options)
      for (const AllocationOption &b : options)
        if (a.cost < b.cost && a.loss > b.loss)
          lambdas.insert((a.loss - b.loss) / (b.cost - a.cost));
  std::vector<Allocation> curve;
  for (double lambda : lambdas) {
    std::vector<int> choice(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
      double bestValue = std::numeric_limits<double>::infinity();
      for (size_t o = 0; o < layers[l].size(); ++o) {
        const AllocationOption &a = layers[l][o];
        double v = a.loss + lambda * a.cost;
        // Ties go to the cheaper option, so each lambda gives one point.
        if (v < bestValue ||
            (v == bestValue && a.cost < layers[l][choice[l]].cost)) {
          bestValue = v;
          choice[l] = static_cast<int>(o);
        }
      }
    }
    Allocation a = summarize(layers, std::move(choice));
    if (curve.empty() || a.cost < curve.back().cost)
      curve.push_back(std::move(a));
  }
  return curve;
}
