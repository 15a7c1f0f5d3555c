//===- ChannelScaling.h - move a per-channel factor across a layer -*- C++ -*-//
//
// y = x W = (x / s)(diag(s) W) for any positive per-channel s: what qc-awq
// and qc-smooth-outliers do to an observed activation and the weight
// products reading it, once they have chosen s.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_CHANNELSCALING_H
#define QUANTC_PASSES_CHANNELSCALING_H

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <vector>

namespace mlir::qc {

/// W -> diag(s) W for every product (their weights `weights`, K x N_i
/// row-major, are updated too) and x -> x / s for the observer `op` they
/// read. When only these products read it, x / s is folded into what
/// produces x (the constant per-channel multiply of an imported norm scale,
/// or the output columns of a weight product making x directly or as one
/// factor of an elementwise product), else computed by an explicit multiply
/// that the observer then reads. When other ops read the observer too, they
/// keep x and the products read a copy of the observer on x * (1/s).
/// The observing op's calibrated statistics are rescaled to describe x / s:
/// channel max/mean |x| (/ s), mean x^2 and E[x x^T] (/ s s^T), the row
/// sample, and a range (then symmetric: +-max_k max|x_k| / s_k, exact for
/// min/max calibration, when the channel maxima are known).
/// `generic` computes x * c[k] elementwise with c a 1-D f32 constant of K
/// values along the last dimension (an imported norm scale): the index of
/// c's operand, or -1.
int constantChannelFactor(linalg::GenericOp generic, int64_t k);

void moveChannelFactor(ObserveOp op, ArrayRef<MatmulOp> products,
                       std::vector<std::vector<float>> &weights,
                       ArrayRef<float> s);

} // namespace mlir::qc

#endif // QUANTC_PASSES_CHANNELSCALING_H
