// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-rotate-residual="always=true" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-rotate-residual 2>&1 >/dev/null | FileCheck %s --check-prefix=CHOICE
// RUN: not quant-opt %s --split-input-file --qc-rotate-residual="bits=1" 2>&1 | FileCheck %s --check-prefix=BITS

// A two-channel pre-norm stream: an embedding table writes it, an RMSNorm
// (x * x summed over channels, x divided by the per-row root) with scale
// gamma = (2, 4) feeds layer W1, whose output W2 adds back into the stream;
// the classifier Wc reads the sum. Q is the 2 x 2 randomized Hadamard of
// seed 0, [[1, 1], [-1, 1]] / sqrt(2): the table becomes T Q, W2 becomes
// W2 Q, W1 becomes Q^T diag(gamma) W1 (the gamma multiply goes), Wc becomes
// Q^T Wc; the norm is untouched, as are W1's output and the logits.
//   T = [[1, 0], [0, 2], [3, -1]]        T Q = [[0.7071, 0.7071],
//                                                [-1.4142, 1.4142],
//                                                [2.8284, 1.4142]]
//   W1 = [[1, 0], [0, 1]]                Q^T diag(2, 4) W1 = [[1.4142, -2.8284],
//                                                             [1.4142, 2.8284]]
//   W2 = [[1, 2], [3, 4]]                W2 Q = [[-0.7071, 2.1213],
//                                                [-0.7071, 4.9497]]
//   Wc = [[1, 0, 1], [0, 1, 1]]          Q^T Wc = [[0.7071, -0.7071, 0],
//                                                  [0.7071, 0.7071, 1.4142]]
// The observers' Gram matrices become those of the rotated inputs (W1's:
// Q^T diag(1/gamma) H diag(1/gamma) Q = Q^T diag(1, 1/4) Q for H = 4 I,
// [[0.625, 0.375], [0.375, 0.625]]) with their diagonals as mean squares,
// and are marked qc.rotated.
// CHECK-LABEL: func.func @stream(
// CHECK-DAG:     %[[T:.*]] = arith.constant dense<{{\[\[}}0.707106{{[0-9]*}}, 0.707106{{[0-9]*}}], [-1.41421{{[0-9]*}}, 1.41421{{[0-9]*}}], [2.82842{{[0-9]*}}, 1.41421{{[0-9]*}}]]> : tensor<3x2xf32>
// CHECK:         %[[X:.*]] = linalg.generic
// CHECK:           tensor.extract %[[T]]
// CHECK:         %[[N:.*]] = linalg.generic {{.*}} ins(%[[X]], %{{.*}} : tensor<1x?x2xf32>, tensor<1x?x1xf32>)
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:        arith.divf
// CHECK-NOT:     arith.mulf
// CHECK:         %[[O1:.*]] = qc.observe %[[N]] {name = "l.input", qc.channel_mean_square = dense<6.250000e-01> : tensor<2xf32>, qc.input_gram = dense<{{\[\[}}6.250000e-01, 3.750000e-01], [3.750000e-01, 6.250000e-01]]> : tensor<2x2xf32>, qc.rotated}
// CHECK:         %[[W1:.*]] = arith.constant dense<{{\[\[}}1.41421{{[0-9]*}}, -2.82842{{[0-9]*}}], [1.41421{{[0-9]*}}, 2.82842{{[0-9]*}}]]> : tensor<2x2xf32>
// CHECK:         qc.matmul %[[O1]], %[[W1]]
// CHECK:         %[[W2:.*]] = arith.constant dense<{{\[\[}}-0.707106{{[0-9]*}}, 2.12132{{[0-9]*}}], [-0.707106{{[0-9]*}}, 4.94974{{[0-9]*}}]]> : tensor<2x2xf32>
// CHECK:         %[[Y:.*]] = qc.matmul %{{.*}}, %[[W2]]
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[Y]] :
// CHECK:         %[[OC:.*]] = qc.observe %[[R]] {name = "c.input", {{.*}}qc.rotated}
// CHECK:         %[[WC:.*]] = arith.constant dense<{{\[\[}}0.707106{{[0-9]*}}, -0.707106{{[0-9]*}}, 0.000000e+00], [0.707106{{[0-9]*}}, 0.707106{{[0-9]*}}, 1.41421{{[0-9]*}}]]> : tensor<2x3xf32>
// CHECK:         qc.matmul %[[OC]], %[[WC]]
// CHOICE: remark: residual stream rotation (2 channels, 2 readers, 2 writers): relative output error {{.*}} -> {{.*}}, {{rotated|left unrotated}}
// BITS: error: qc-rotate-residual: bits must be in [2, 8]
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @stream(%ids: tensor<1x?xi64>) -> tensor<1x?x3xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %table = arith.constant dense<[[1.0, 0.0], [0.0, 2.0], [3.0, -1.0]]> : tensor<3x2xf32>
  %e = tensor.empty(%n) : tensor<1x?x2xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<1x?xi64>) outs(%e : tensor<1x?x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %j = linalg.index 2 : index
    %i = arith.index_cast %in : i64 to index
    %v = tensor.extract %table[%i, %j] : tensor<3x2xf32>
    linalg.yield %v : f32
  } -> tensor<1x?x2xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<1x?x2xf32>) outs(%e : tensor<1x?x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x?x2xf32>
  %e2 = tensor.empty(%n) : tensor<1x?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x?xf32>) -> tensor<1x?xf32>
  %sum = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%sq : tensor<1x?x2xf32>) outs(%init : tensor<1x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<1x?xf32>
  %sum3 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [1, %n, 1] : tensor<1x?xf32> into tensor<1x?x1xf32>
  %e3 = tensor.empty(%n) : tensor<1x?x1xf32>
  %root = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sum3 : tensor<1x?x1xf32>) outs(%e3 : tensor<1x?x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = math.sqrt %in : f32
    linalg.yield %s : f32
  } -> tensor<1x?x1xf32>
  %norm = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1, d2) -> (d0, d1, 0)>, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %root : tensor<1x?x2xf32>, tensor<1x?x1xf32>) outs(%e : tensor<1x?x2xf32>) {
  ^bb0(%in: f32, %r: f32, %out: f32):
    %d = arith.divf %in, %r : f32
    linalg.yield %d : f32
  } -> tensor<1x?x2xf32>
  %gamma = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %scaled = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1, d2) -> (d2)>, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%norm, %gamma : tensor<1x?x2xf32>, tensor<2xf32>) outs(%e : tensor<1x?x2xf32>) {
  ^bb0(%in: f32, %g: f32, %out: f32):
    %m = arith.mulf %in, %g : f32
    linalg.yield %m : f32
  } -> tensor<1x?x2xf32>
  %o1 = qc.observe %scaled {name = "l.input", qc.input_gram = dense<[[4.0, 0.0], [0.0, 4.0]]> : tensor<2x2xf32>} : tensor<1x?x2xf32>
  %w1 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %h = qc.matmul %o1, %w1 : (tensor<1x?x2xf32>, tensor<2x2xf32>) -> tensor<1x?x2xf32>
  %o2 = qc.observe %h {name = "w2.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<1x?x2xf32>
  %w2 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o2, %w2 : (tensor<1x?x2xf32>, tensor<2x2xf32>) -> tensor<1x?x2xf32>
  // expected-remark @below {{residual stream rotation (2 channels, 2 readers, 2 writers): relative output error}}
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %y : tensor<1x?x2xf32>, tensor<1x?x2xf32>) outs(%e : tensor<1x?x2xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x?x2xf32>
  %oc = qc.observe %res {name = "c.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<1x?x2xf32>
  %wc = arith.constant dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>
  %logits = qc.matmul %oc, %wc : (tensor<1x?x2xf32>, tensor<2x3xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// The stream is also a graph output: rotating it would change what the
// caller sees, so it stays as it is and the remark names the return.
// CHECK-LABEL: func.func @returned(
// CHECK:         arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @returned(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %o = qc.observe %x {name = "w.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  // expected-remark @below {{residual stream left unrotated: 'func.return' at}}
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<?x2xf32>, tensor<?x2xf32>) outs(%e : tensor<?x2xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  %oc = qc.observe %res {name = "c.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %wc = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %logits = qc.matmul %oc, %wc : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %logits, %res : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// A LayerNorm subtracts the channels' mean, which Q does not keep (a sum
// of x, not of x * x): the stream stays as it is.
// CHECK-LABEL: func.func @layer_norm_mean(
// CHECK:         arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @layer_norm_mean(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %o = qc.observe %x {name = "w.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  // expected-remark @below {{residual stream left unrotated: 'linalg.generic' at}}
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<?x2xf32>, tensor<?x2xf32>) outs(%e : tensor<?x2xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  %e1 = tensor.empty(%n) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?xf32>) -> tensor<?xf32>
  %mean = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%res : tensor<?x2xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<?xf32>
  %oc = qc.observe %res {name = "c.input", qc.input_gram = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %wc = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %logits = qc.matmul %oc, %wc : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %logits, %mean : tensor<?x2xf32>, tensor<?xf32>
}
