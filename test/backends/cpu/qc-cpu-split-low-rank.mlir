// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-split-low-rank | FileCheck %s

// A LoRC product with 8-bit factors: the product by W, by A, of that by B,
// and their sum, each product without a correction.
// CHECK-LABEL: func.func @lorc(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>
// CHECK:         %[[W:.*]] = quant.scast %{{.*}} : tensor<4x2xi4>
// CHECK:         %[[A:.*]] = quant.scast %{{.*}} : tensor<4x3xi8>
// CHECK:         %[[B:.*]] = quant.scast %{{.*}} : tensor<3x2xi8>
// CHECK:         %[[P:.*]] = qc.quantized_matmul %[[X]], %[[W]] : (tensor<?x4xf32>, {{.*}}) -> tensor<?x2xf32>
// CHECK:         %[[T:.*]] = qc.quantized_matmul %[[X]], %[[A]] : (tensor<?x4xf32>, {{.*}}) -> tensor<?x3xf32>
// CHECK:         %[[C:.*]] = qc.quantized_matmul %[[T]], %[[B]] : (tensor<?x3xf32>, {{.*}}) -> tensor<?x2xf32>
// CHECK:         %[[DIM:.*]] = tensor.dim %[[P]]
// CHECK:         %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x2xf32>
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} ins(%[[P]], %[[C]] : tensor<?x2xf32>, tensor<?x2xf32>) outs(%[[E]] : tensor<?x2xf32>)
// CHECK:           arith.addf
// CHECK:         return %[[Y]]
func.func @lorc(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %ca = arith.constant dense<[[1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 8, 9]]> : tensor<4x3xi8>
  %a = quant.scast %ca : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>
  %cb = arith.constant dense<[[-1, 1], [2, -2], [3, 0]]> : tensor<3x2xi8>
  %b = quant.scast %cb : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
  %y = qc.quantized_matmul %x, %w low_rank(%a, %b) : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>, tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A batched activation keeps its leading dimensions in every product; a
// codebook stays on the product by W.
// CHECK-LABEL: func.func @batched_codebook(
// CHECK:         qc.quantized_matmul %arg0, %{{.*}} codebook(%arg1) : {{.*}} -> tensor<1x?x2xf32>
// CHECK:         qc.quantized_matmul %arg0, %{{.*}} : {{.*}} -> tensor<1x?x3xf32>
// CHECK:         qc.quantized_matmul %{{.*}}, %{{.*}} : (tensor<1x?x3xf32>, {{.*}}) -> tensor<1x?x2xf32>
// CHECK:         linalg.generic
// CHECK:         } -> tensor<1x?x2xf32>
func.func @batched_codebook(%x: tensor<1x?x4xf32>, %cbk: tensor<16xf32>) -> tensor<1x?x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %ca = arith.constant dense<1> : tensor<4x3xi8>
  %a = quant.scast %ca : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>
  %cb = arith.constant dense<1> : tensor<3x2xi8>
  %b = quant.scast %cb : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
  %y = qc.quantized_matmul %x, %w low_rank(%a, %b) codebook(%cbk) : (tensor<1x?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>, tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>, tensor<16xf32>) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// A result more static than the activation keeps its type in every product
// and in the sum.
// CHECK-LABEL: func.func @static_result(
// CHECK:         qc.quantized_matmul %arg0, %{{.*}} : (tensor<?x4xf32>, {{.*}}) -> tensor<3x2xf32>
// CHECK:         qc.quantized_matmul %arg0, %{{.*}} : (tensor<?x4xf32>, {{.*}}) -> tensor<3x3xf32>
// CHECK:         qc.quantized_matmul %{{.*}}, %{{.*}} : (tensor<3x3xf32>, {{.*}}) -> tensor<3x2xf32>
// CHECK:         linalg.generic
// CHECK:         } -> tensor<3x2xf32>
func.func @static_result(%x: tensor<?x4xf32>) -> tensor<3x2xf32> {
  %c = arith.constant dense<1> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %ca = arith.constant dense<1> : tensor<4x3xi8>
  %a = quant.scast %ca : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>
  %cb = arith.constant dense<1> : tensor<3x2xi8>
  %b = quant.scast %cb : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
  %y = qc.quantized_matmul %x, %w low_rank(%a, %b) : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>, tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Float factors, and products without a correction, are left alone (and
// nothing is reported).
// CHECK-LABEL: func.func @left_alone(
// CHECK:         qc.quantized_matmul %arg0, %{{.*}} low_rank(%arg1, %arg2)
// CHECK:         qc.quantized_matmul %arg0, %{{.*}} : (tensor<?x4xf32>
// CHECK-NOT:     linalg.generic
func.func @left_alone(%x: tensor<?x4xf32>, %fa: tensor<4x1xf32>, %fb: tensor<1x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %y = qc.quantized_matmul %x, %w low_rank(%fa, %fb) : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x1xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
  %z = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x2xf32>
}
