// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-lower-to-linalg | FileCheck %s

// A weight matmul folds the leading dims into rows of one linalg.matmul.
// CHECK-LABEL: func.func @weight_matmul(
// CHECK-SAME:    %[[X:.*]]: tensor<1x?x64xf32>, %[[W:.*]]: tensor<64x32xf32>
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]]
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[ROWS]], %[[W]] : tensor<?x64xf32>, tensor<64x32xf32>) outs(%[[ACC]]
// CHECK:         tensor.expand_shape %[[MM]] {{\[\[}}0, 1], [2]]
// CHECK-NOT:     qc.matmul
func.func @weight_matmul(%x: tensor<1x?x64xf32>, %w: tensor<64x32xf32>) -> tensor<1x?x32xf32> {
  %y = qc.matmul %x, %w : (tensor<1x?x64xf32>, tensor<64x32xf32>) -> tensor<1x?x32xf32>
  return %y : tensor<1x?x32xf32>
}

// -----

// Batch dims broadcast: lhs's size-1 batch dim reads index 0.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d3)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast_batch_matmul(
// CHECK:         linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK:           arith.mulf
// CHECK:           arith.addf
func.func @broadcast_batch_matmul(%a: tensor<1x4x8xf32>, %b: tensor<3x8x5xf32>) -> tensor<3x4x5xf32> {
  %y = qc.matmul %a, %b : (tensor<1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<3x4x5xf32>
  return %y : tensor<3x4x5xf32>
}

// -----

// Gemm: the transpose lives in b's map; alpha and beta * c follow in one
// elementwise op.
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @gemm_trans_b_bias(
// CHECK:         linalg.generic {indexing_maps = [{{.*}}, #[[BT]], {{.*}}]
// CHECK:         linalg.generic {indexing_maps = [{{.*}}, #[[C]], {{.*}}]
// CHECK:           %[[AB:.*]] = arith.mulf %{{.*}}, %cst
// CHECK:           %[[BC:.*]] = arith.mulf %{{.*}}, %cst
// CHECK:           arith.addf %[[AB]], %[[BC]]
func.func @gemm_trans_b_bias(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>, %c: tensor<16xf32>) -> tensor<4x16xf32> {
  %y = qc.gemm %a, %b, %c {alpha = 0.5 : f32, beta = 2.0 : f32, trans_b = true} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Conv: padding is a tensor.pad; strides, dilations and the group's channel
// offset sit in the input map; the bias seeds the accumulator.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 2) * 2 + d4, d2 * 2 + d5, d3 * 2 + d6 * 3)>
// CHECK-LABEL: func.func @grouped_strided_conv(
// CHECK:         tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         %[[BIAS:.*]] = linalg.generic
// CHECK:         linalg.generic {indexing_maps = [#[[IN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}{{.*}} outs(%[[BIAS]]
func.func @grouped_strided_conv(%x: tensor<1x4x9x9xf32>, %w: tensor<4x2x3x2xf32>, %b: tensor<4xf32>) -> tensor<1x4x5x4xf32> {
  %y = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 3>, group = 2 : i64}
      : (tensor<1x4x9x9xf32>, tensor<4x2x3x2xf32>, tensor<4xf32>) -> tensor<1x4x5x4xf32>
  return %y : tensor<1x4x5x4xf32>
}

// -----

// A dynamic spatial output size is computed from the input size.
// CHECK-LABEL: func.func @conv_dynamic_size(
// CHECK:         %[[D:.*]] = tensor.dim %{{.*}}, %c2
// CHECK:         arith.divsi
// CHECK:         tensor.empty(%{{.*}}) : tensor<1x2x?xf32>
func.func @conv_dynamic_size(%x: tensor<1x3x?xf32>, %w: tensor<2x3x3xf32>) -> tensor<1x2x?xf32> {
  %y = qc.conv %x, %w {strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>}
      : (tensor<1x3x?xf32>, tensor<2x3x3xf32>) -> tensor<1x2x?xf32>
  return %y : tensor<1x2x?xf32>
}

// -----

// LayerNorm: two row reductions (mean, variance) then one normalization.
// CHECK-LABEL: func.func @layer_norm(
// CHECK-COUNT-2: iterator_types = ["parallel", "reduction"]
// CHECK:         math.rsqrt
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NOT:     qc.layer_norm
func.func @layer_norm(%x: tensor<?x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = qc.layer_norm %x, %s, %b {epsilon = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Normalizing over every dimension (axis 0) reduces into a rank-0 tensor.
// CHECK-LABEL: func.func @layer_norm_all_dims(
// CHECK:         iterator_types = ["reduction", "reduction"]
// CHECK-SAME:    outs(%{{.*}} : tensor<f32>)
func.func @layer_norm_all_dims(%x: tensor<3x4xf32>, %s: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %y = qc.layer_norm %x, %s {axis = 0 : i64} : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// RMSNorm: one reduction of squares, then x * rsqrt(mean + eps) * scale.
// CHECK-LABEL: func.func @rms_norm(
// CHECK:         iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:         arith.constant 9.99999997E-7 : f32
// CHECK:         math.rsqrt
// CHECK-NOT:     qc.rms_norm
func.func @rms_norm(%x: tensor<1x?x64xf32>, %s: tensor<64xf32>) -> tensor<1x?x64xf32> {
  %y = qc.rms_norm %x, %s {epsilon = 1.0e-6 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  return %y : tensor<1x?x64xf32>
}

// -----

// Quantization ops are not this pass's business: they stay.
// CHECK-LABEL: func.func @observe_is_left_alone(
// CHECK:         qc.observe
func.func @observe_is_left_alone(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.observe %x {name = "x"} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A grouped convolution needs static channel counts to split its channels.
func.func @grouped_conv_dynamic_channels(%x: tensor<1x4x8xf32>, %w: tensor<?x2x3xf32>) -> tensor<1x?x6xf32> {
  // expected-error @below {{grouped convolution needs static weight channel counts}}
  %y = qc.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 2 : i64}
      : (tensor<1x4x8xf32>, tensor<?x2x3xf32>) -> tensor<1x?x6xf32>
  return %y : tensor<1x?x6xf32>
}
