// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-rotate-inputs="bits=2" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-rotate-inputs="bits=2 always=true" 2>/dev/null | FileCheck %s --check-prefix=ALWAYS
// RUN: not quant-opt %s --split-input-file --qc-rotate-inputs="bits=1" 2>&1 | FileCheck %s --check-prefix=BITS

// 2 bits per channel (grid [-2, 1] x max|w|), H = I. W = [1, -2]: the
// scale is 2 and 1 / 2 rounds (half to even) to 0: error 1. Rotated by the
// 2 x 2 randomized Hadamard Q, Q^T W = (2.1213, -0.7071): the scale is
// 2.1213 and -0.7071 rounds to 0: error 0.5, so the rotation is kept: the
// weights become Q^T W, x Q is computed before the observer and the
// observer's Gram matrix becomes Q^T H Q (= I up to rounding). x Q is a
// fast transform: x times the signs / sqrt(2) (Q = diag(s) H / sqrt(2),
// s = (1, -1) for this seed), then one butterfly stage (stride 1 over the
// 2 columns): column 0 gets a + b, column 1 (its partner, 0 ^ 1) b - a.
// CHECK-LABEL: func.func @rotated(
// CHECK:         %[[S:.*]] = arith.constant dense<[0.707106{{[0-9]*}}, -0.707106{{[0-9]*}}]> : tensor<2xf32>
// CHECK:         %[[XS:.*]] = linalg.generic {{.*}} ins(%arg0, %[[S]] : tensor<?x2xf32>, tensor<2xf32>)
// CHECK:           arith.mulf
// CHECK:         %[[XQ:.*]] = linalg.generic {{.*}} ins(%[[XS]] : tensor<?x2xf32>)
// CHECK:           %[[R:.*]] = linalg.index 0
// CHECK:           %[[J:.*]] = linalg.index 1
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %[[J]], %c2
// CHECK:           %[[X:.*]] = arith.xori %[[J]], %c1
// CHECK:           %[[P:.*]] = arith.select %[[IN]], %[[X]], %[[J]]
// CHECK:           tensor.extract %[[XS]][%[[R]], %[[P]]]
// CHECK:           arith.addf
// CHECK:           arith.subf
// CHECK-NOT:     linalg.generic
// CHECK:         %[[O:.*]] = qc.observe %[[XQ]] {name = "x.input", qc.channel_mean_square = dense<0.99999{{[0-9]*}}> : tensor<2xf32>, qc.input_gram = dense<{{\[\[}}0.99999{{[0-9]*}}, 0.000000e+00], [0.000000e+00, 0.99999{{[0-9]*}}]]> : tensor<2x2xf32>}
// CHECK:         %[[W:.*]] = arith.constant dense<{{\[\[}}2.12132{{[0-9]*}}], [-0.707106{{[0-9]*}}]]> : tensor<2x1xf32>
// CHECK:         qc.matmul %[[O]], %[[W]]
// BITS: error: qc-rotate-inputs: bits must be in [2, 8]
func.func @rotated(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  // expected-remark @below {{Hadamard rotation: output error 1.000000e+00 -> 5.000000e-01, rotated}}
  %o = qc.observe %x {name = "x.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[1.0], [-2.0]]> : tensor<2x1xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// One outlier (8) among small weights: unrotated, the three small ones
// round to 0 (error 3 x 0.04 = 0.12); rotated, the outlier spreads to
// about +-4 in every row and the others' rounding costs more (0.16), so
// the layer is left as it is (always=true rotates it anyway).
// CHECK-LABEL: func.func @unrotated(
// CHECK-NOT:     linalg.generic
// CHECK:         qc.observe %arg0
// ALWAYS-LABEL: func.func @unrotated(
// ALWAYS:         linalg.generic
// ALWAYS:         qc.observe
func.func @unrotated(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
  // expected-remark @below {{Hadamard rotation: output error 1.200000e-01 -> 1.599999e-01, left unrotated}}
  %o = qc.observe %x {name = "x.input", qc.channel_mean_abs = dense<1.0> : tensor<4xf32>, qc.input_gram = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<?x4xf32>
  %w = arith.constant dense<[[8.0], [0.2], [-0.2], [0.2]]> : tensor<4x1xf32>
  %y = qc.matmul %o, %w : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// The observed activation is also read by something other than a weight
// product (here returned): x Q would change what it sees, so the layer is
// left unrotated without a remark.
// CHECK-LABEL: func.func @other_reader(
// CHECK-NOT:     linalg.generic
// ALWAYS-LABEL: func.func @other_reader(
// ALWAYS-NOT:     linalg.generic
func.func @other_reader(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x2xf32>) {
  %o = qc.observe %x {name = "x.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[1.0], [-2.0]]> : tensor<2x1xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y, %o : tensor<?x1xf32>, tensor<?x2xf32>
}
