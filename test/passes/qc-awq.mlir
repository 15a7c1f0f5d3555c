// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-awq="bits=3" | FileCheck %s
// RUN: not quant-opt %s --split-input-file --qc-awq="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// Two products read x * gamma (an imported norm scale). Channel 0 carries
// large activations (mean |x| 8, E[x^2] 64) and small weights: at 3 bits
// per channel its rows round badly unless scaled up. alpha = 0.6 wins
// (error 3.32 -> 0.0468): s_k = m_k^0.6 / sqrt(8^0.6 * 0.25^0.6) =
// (2.828, 0.812, 0.536, 0.354); the weights' rows are multiplied by s
// (0.1 * 2.828 = 0.2828) and gamma becomes 1 / s.
// CHECK-LABEL: func.func @fold(
// CHECK:         %[[G:.*]] = arith.constant dense<[0.353553{{[0-9]*}}, 1.2311{{[0-9]*}}, 1.8660{{[0-9]*}}, 2.8284{{[0-9]*}}]> : tensor<4xf32>
// CHECK:         %[[N:.*]] = linalg.generic {{.*}} ins(%arg0, %[[G]] : tensor<?x4xf32>, tensor<4xf32>)
// CHECK:         %[[O:.*]] = qc.observe %[[N]] {name = "n.input", qc.channel_mean_abs = dense<[2.828{{[0-9]*}}, 1.2311{{[0-9]*}}, 0.9330{{[0-9]*}}, 0.7071{{[0-9]*}}]>
// CHECK:         %[[W1:.*]] = arith.constant dense<{{\[\[}}0.282842{{[0-9]*}}, -0.848528{{[0-9]*}}], [0.812252{{[0-9]*}}, 0.568576{{[0-9]*}}]
// CHECK:         qc.matmul %[[O]], %[[W1]]
// CHECK:         qc.matmul %[[O]], %{{.*}}
// BITS: error: qc-awq: bits must be in [2, 8], group-size >= -1 and grid in [1, 1000]
func.func @fold(%x: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %gamma = arith.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%d) : tensor<?x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %gamma : tensor<?x4xf32>, tensor<4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<?x4xf32>
  // expected-remark @below {{AWQ: alpha 6.000000e-01, output error 3.322084e+00 -> 4.675031e-02}}
  %o = qc.observe %n {name = "n.input", qc.channel_mean_abs = dense<[8.0, 1.0, 0.5, 0.25]> : tensor<4xf32>, qc.input_gram = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0625]]> : tensor<4x4xf32>} : tensor<?x4xf32>
  %w1 = arith.constant dense<[[0.1, -0.3], [1.0, 0.7], [-0.9, 0.2], [0.5, -1.0]]> : tensor<4x2xf32>
  %w2 = arith.constant dense<[[-0.2, 0.15], [0.6, -0.8], [0.4, 1.0], [-1.0, 0.3]]> : tensor<4x2xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %y2 = qc.matmul %o, %w2 : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y1, %y2 : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// No constant per-channel multiply produces x (a function argument): an
// explicit x * (1/s) goes before the observer, which then observes x / s.
// CHECK-LABEL: func.func @explicit(
// CHECK:         %[[INV:.*]] = arith.constant dense<[0.353553{{[0-9]*}}, 1.2311{{[0-9]*}}, 1.8660{{[0-9]*}}, 2.8284{{[0-9]*}}]> : tensor<4xf32>
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%arg0, %[[INV]] : tensor<?x4xf32>, tensor<4xf32>)
// CHECK:           arith.mulf
// CHECK:         %[[O:.*]] = qc.observe %[[D]]
// CHECK:         qc.matmul %[[O]], %{{.*}}
func.func @explicit(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  // expected-remark @below {{AWQ: alpha 6.000000e-01}}
  %o = qc.observe %x {name = "x.input", qc.channel_mean_abs = dense<[8.0, 1.0, 0.5, 0.25]> : tensor<4xf32>, qc.input_gram = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0625]]> : tensor<4x4xf32>} : tensor<?x4xf32>
  %w1 = arith.constant dense<[[0.1, -0.3], [1.0, 0.7], [-0.9, 0.2], [0.5, -1.0]]> : tensor<4x2xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y1 : tensor<?x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// x = g * u with u = h Wu (SwiGLU's silu(gate) * up): 1 / s goes into Wu's
// columns (u's channels are x's), with no multiply left at run time.
// CHECK-LABEL: func.func @fold_into_product(
// CHECK:         %[[WU:.*]] = arith.constant dense<{{\[\[}}0.353553{{[0-9]*}}, 1.2311{{[0-9]*}}, 1.8660{{[0-9]*}}, 2.8284{{[0-9]*}}], [0.707106{{[0-9]*}}, 2.4622{{[0-9]*}}, 3.7321{{[0-9]*}}, 5.6568{{[0-9]*}}]]> : tensor<2x4xf32>
// CHECK:         %[[U:.*]] = qc.matmul %arg0, %[[WU]]
// CHECK:         %[[X:.*]] = linalg.generic {{.*}} ins(%arg1, %[[U]] : tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK:         %[[O:.*]] = qc.observe %[[X]]
// CHECK-NOT:     linalg.generic
// CHECK:         %[[W1:.*]] = arith.constant dense<{{\[\[}}0.282842{{[0-9]*}}
// CHECK:         qc.matmul %[[O]], %[[W1]]
func.func @fold_into_product(%h: tensor<?x2xf32>, %g: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %wu = arith.constant dense<[[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0]]> : tensor<2x4xf32>
  %u = qc.matmul %h, %wu : (tensor<?x2xf32>, tensor<2x4xf32>) -> tensor<?x4xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %g, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%d) : tensor<?x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%g, %u : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<?x4xf32>
  // expected-remark @below {{AWQ: alpha 6.000000e-01}}
  %o = qc.observe %x {name = "x.input", qc.channel_mean_abs = dense<[8.0, 1.0, 0.5, 0.25]> : tensor<4xf32>, qc.input_gram = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0625]]> : tensor<4x4xf32>} : tensor<?x4xf32>
  %w1 = arith.constant dense<[[0.1, -0.3], [1.0, 0.7], [-0.9, 0.2], [0.5, -1.0]]> : tensor<4x2xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y1 : tensor<?x2xf32>
}

// -----

// The product producing x is also returned: its columns cannot change, so
// the observer reads an explicit x * (1/s).
// CHECK-LABEL: func.func @product_used_twice(
// CHECK:         %[[W:.*]] = arith.constant dense<1.000000e+00> : tensor<2x4xf32>
// CHECK:         %[[U:.*]] = qc.matmul %arg0, %[[W]]
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%[[U]], %{{.*}} : tensor<?x4xf32>, tensor<4xf32>)
// CHECK:         qc.observe %[[D]]
func.func @product_used_twice(%h: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x4xf32>) {
  %wu = arith.constant dense<1.0> : tensor<2x4xf32>
  %u = qc.matmul %h, %wu : (tensor<?x2xf32>, tensor<2x4xf32>) -> tensor<?x4xf32>
  // expected-remark @below {{AWQ: alpha 6.000000e-01}}
  %o = qc.observe %u {name = "u.input", qc.channel_mean_abs = dense<[8.0, 1.0, 0.5, 0.25]> : tensor<4xf32>, qc.input_gram = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0625]]> : tensor<4x4xf32>} : tensor<?x4xf32>
  %w1 = arith.constant dense<[[0.1, -0.3], [1.0, 0.7], [-0.9, 0.2], [0.5, -1.0]]> : tensor<4x2xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y1, %u : tensor<?x2xf32>, tensor<?x4xf32>
}

// -----

// Uniform activations (equal mean |x|): every alpha gives s = 1, so alpha
// stays 0 and nothing changes.
// CHECK-LABEL: func.func @unchanged(
// CHECK:         %[[O:.*]] = qc.observe %arg0
// CHECK-NEXT:    arith.constant dense<{{\[\[}}1.000000e-01
// CHECK-NEXT:    qc.matmul %[[O]]
func.func @unchanged(%x: tensor<?x2xf32>, %z: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  // expected-remark @below {{AWQ: alpha 0.000000e+00}}
  %o = qc.observe %x {name = "x.input", qc.channel_mean_abs = dense<[1.0, 1.0]> : tensor<2xf32>, qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[0.1, -0.3], [1.0, 0.7]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// An observer feeding weight products without calibrated statistics is an
// error (the layer would silently stay unscaled).
func.func @uncalibrated(%z: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @below {{'qc.observe' op feeds weight products but has no [2, 2] f32 qc.input_gram}}
  %p = qc.observe %z {name = "z.input"} : tensor<?x2xf32>
  %w = arith.constant dense<[[0.1, -0.3], [1.0, 0.7]]> : tensor<2x2xf32>
  %v = qc.matmul %p, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %v : tensor<?x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// The norm's result has another reader besides the observer: 1/s cannot be
// folded into gamma (the other reader would see x / s), so the observer
// reads an explicit x * (1/s) and gamma stays.
// CHECK-LABEL: func.func @shared_norm(
// CHECK:         %[[G:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK:         %[[N:.*]] = linalg.generic {{.*}} ins(%arg0, %[[G]] : tensor<?x4xf32>, tensor<4xf32>)
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%[[N]], %{{.*}} : tensor<?x4xf32>, tensor<4xf32>)
// CHECK:         %[[O:.*]] = qc.observe %[[D]]
// CHECK:         qc.matmul %[[O]], %{{.*}}
// CHECK:         return {{%[0-9]+}}, %[[N]] :
func.func @shared_norm(%x: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x4xf32>) {
  %gamma = arith.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%d) : tensor<?x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %gamma : tensor<?x4xf32>, tensor<4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<?x4xf32>
  // expected-remark @below {{AWQ: alpha 6.000000e-01}}
  %o = qc.observe %n {name = "n.input", qc.channel_mean_abs = dense<[8.0, 1.0, 0.5, 0.25]> : tensor<4xf32>, qc.input_gram = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0625]]> : tensor<4x4xf32>} : tensor<?x4xf32>
  %w1 = arith.constant dense<[[0.1, -0.3], [1.0, 0.7], [-0.9, 0.2], [0.5, -1.0]]> : tensor<4x2xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y1, %n : tensor<?x2xf32>, tensor<?x4xf32>
}
