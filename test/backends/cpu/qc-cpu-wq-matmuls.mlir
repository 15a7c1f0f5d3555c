// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-wq-matmuls | FileCheck %s

// A 2-bit weight with one f32 scale per column, N = 3 (no whole panel):
// qc-lower-quantized's plane (4 codes a byte, [1 group, 1 word, 3 columns]),
// the f32 scales, empty f16 scales, zero points and codebook, the product
// into a fresh buffer, one call per (128-row, 256-column) tile with the
// bits and rows per group.
// CHECK-LABEL: func.func @w2_per_column(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>
// CHECK-DAG:     %[[PLANE:.*]] = arith.constant dense<{{\[\[\[}}-28, 57, 0]]]> : tensor<1x1x3xi8>
// CHECK-DAG:     %[[SCALES:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 5.000000e-01, 2.500000e-01]]> : tensor<1x3xf32>
// CHECK-DAG:     %[[NOI8:.*]] = arith.constant dense<> : tensor<0xi8>
// CHECK-DAG:     %[[NOF16:.*]] = arith.constant dense<> : tensor<0xf16>
// CHECK-DAG:     %[[NOF32:.*]] = arith.constant dense<> : tensor<0xf32>
// CHECK-DAG:     %[[P:.*]] = tensor.collapse_shape %[[PLANE]] {{\[\[}}0, 1, 2]] : tensor<1x1x3xi8> into tensor<3xi8>
// CHECK-DAG:     %[[S:.*]] = tensor.collapse_shape %[[SCALES]] {{\[\[}}0, 1]] : tensor<1x3xf32> into tensor<3xf32>
// CHECK:         bufferization.to_buffer %[[X]] read_only
// CHECK:         bufferization.to_buffer %[[P]] read_only
// CHECK:         bufferization.to_buffer %[[S]] read_only
// CHECK-DAG:     %[[BITS:.*]] = arith.constant 2 : i64
// CHECK-DAG:     %[[ROWS:.*]] = arith.constant 4 : i64
// CHECK:         memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x3xf32>
// CHECK:         scf.forall
// CHECK:           func.call @quantc_sgemm_wq({{.*}}, %[[BITS]], %[[ROWS]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         bufferization.to_tensor
// CHECK:       func.func private @quantc_sgemm_wq(memref<?x?xf32>, memref<?xi8>, memref<?xi8>, memref<?xi8>, memref<?xf16>, memref<?xf32>, memref<?xi8>, memref<?xf32>, memref<?x?xf32>, i64, i64, index, index, index, index) attributes {llvm.emit_c_interface}
// Column 0 holds codes 0, 1, -2, -1 (bits 00 01 10 11 from the top: 0xE4
// = -28), column 1 1, -2, -1, 0 (0x39 = 57), column 2 zeros.
func.func @w2_per_column(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %c = arith.constant dense<[[0, 1, 0], [1, -2, 0], [-2, -1, 0], [-1, 0, 0]]> : tensor<4x3xi2>
  %w = quant.scast %c : tensor<4x3xi2> to tensor<4x3x!quant.uniform<i2:f32:1, {1.0, 0.5, 0.25}>>
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x3x!quant.uniform<i2:f32:1, {1.0, 0.5, 0.25}>>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// A 3-bit weight takes three planes; a codebook goes to the kernel as it is.
// CHECK-LABEL: func.func @w3_codebook(
// CHECK-SAME:      %[[X:.*]]: tensor<?x2xf32>, %[[CB:.*]]: tensor<8xf32>
// CHECK-COUNT-3: tensor.collapse_shape {{.*}} : tensor<1x1x2xi8> into tensor<2xi8>
// CHECK:         bufferization.to_buffer %[[CB]] read_only
// CHECK:         func.call @quantc_sgemm_wq(
func.func @w3_codebook(%x: tensor<?x2xf32>, %cb: tensor<8xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[-4, 3], [0, 1]]> : tensor<2x2xi3>
  %w = quant.scast %c : tensor<2x2xi3> to tensor<2x2x!quant.uniform<i3:f32:1, {1.0, 2.0}>>
  %y = qc.quantized_matmul %x, %w codebook(%cb) : (tensor<?x2xf32>, tensor<2x2x!quant.uniform<i3:f32:1, {1.0, 2.0}>>, tensor<8xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Left to other lowerings: int8 activations (W8A8 has its own kernel), and
// a codebook with zero points, which qc-lower-quantized reports as an error
// (the kernel would index past the levels).
// CHECK-LABEL: func.func @int8_activations(
// CHECK:         qc.quantized_matmul
// CHECK-NOT:     quantc_sgemm_wq
func.func @int8_activations(%x: tensor<?x2xi8>, %s: tensor<?x1xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = quant.scast %c : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
  %y = qc.quantized_matmul %x scaled by %s, %w : (tensor<?x2xi8>, tensor<?x1xf32>, tensor<2x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// CHECK-LABEL: func.func @codebook_zero_points(
// CHECK:         qc.quantized_matmul
// CHECK-NOT:     quantc_sgemm_wq
func.func @codebook_zero_points(%x: tensor<?x2xf32>, %cb: tensor<8xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[-4, 3], [0, 1]]> : tensor<2x2xi3>
  %w = quant.scast %c : tensor<2x2xi3> to tensor<2x2x!quant.uniform<i3:f32:1, {1.0:1, 2.0}>>
  %y = qc.quantized_matmul %x, %w codebook(%cb) : (tensor<?x2xf32>, tensor<2x2x!quant.uniform<i3:f32:1, {1.0:1, 2.0}>>, tensor<8xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Only constant weights are read by the kernel.
func.func @weight_argument(%x: tensor<?x2xf32>, %c: tensor<2x2xi4>) -> tensor<?x2xf32> {
  %w = quant.scast %c : tensor<2x2xi4> to tensor<2x2x!quant.uniform<i4:f32:1, {1.0, 2.0}>>
  // expected-error @below {{weight must be a quant.scast of an integer constant to be lowered}}
  %y = qc.quantized_matmul %x, %w : (tensor<?x2xf32>, tensor<2x2x!quant.uniform<i4:f32:1, {1.0, 2.0}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
