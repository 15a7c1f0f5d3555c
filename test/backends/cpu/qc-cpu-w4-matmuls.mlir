// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-w4-matmuls | FileCheck %s

// W4A16 g2 (two groups of two rows), N = 32: one panel. The codes go to the
// kernel two per byte (column j low, j + 16 high, +8 to make them
// unsigned), the f16 scales per group and column, no zero points (an empty
// tensor), the product into a fresh buffer, one call per (128-row,
// 256-column) tile inside an scf.forall.
// CHECK-LABEL: func.func @w4a16(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>
// CHECK-DAG:     %[[CODES:.*]] = arith.constant dense_resource<w4_codes> : tensor<64xi8>
// CHECK-DAG:     %[[SCALES:.*]] = arith.constant dense_resource<w4_scales> : tensor<64xf16>
// CHECK-DAG:     %[[ZEROS:.*]] = arith.constant dense<> : tensor<0xi8>
// CHECK:         %[[A:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<?x4xf32> to memref<?x4xf32>
// CHECK:         bufferization.to_buffer %[[CODES]] read_only
// CHECK:         bufferization.to_buffer %[[SCALES]] read_only
// CHECK:         bufferization.to_buffer %[[ZEROS]] read_only
// CHECK:         %[[G:.*]] = arith.constant 2 : i64
// CHECK:         %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc(%[[M]]) {alignment = 64 : i64} : memref<?x32xf32>
// CHECK:         scf.forall
// CHECK:           func.call @quantc_sgemm_w4(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[G]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         %[[Y:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x32xf32> to tensor<?x32xf32>
// CHECK:         return %[[Y]]
// CHECK:       func.func private @quantc_sgemm_w4(memref<?x?xf32>, memref<?xi8>, memref<?xf16>, memref<?xi8>, memref<?x?xf32>, i64, index, index, index, index) attributes {llvm.emit_c_interface}
// Code (k, c) is (k + c) mod 16 - 8; scales 1.0 (0x3C00) in group 0 and
// 0.5 (0x3800) in group 1, little-endian.
// CHECK:       w4_codes: "0x0100000000112233445566778899AABBCCDDEEFF112233445566778899AABBCCDDEEFF002233445566778899AABBCCDDEEFF001133445566778899AABBCCDDEEFF001122"
// CHECK:       w4_scales: "0x02000000003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C003C00380038003800380038003800380038003800380038003800380038003800380038003800380038003800380038003800380038003800380038003800380038"
func.func @w4a16(%x: tensor<?x4xf32>) -> tensor<?x32xf32> {
  %c = arith.constant dense<[[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7], [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8], [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7], [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6]]> : tensor<4x32xi4>
  %w = quant.scast %c : tensor<4x32xi4> to tensor<4x32x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}}>>
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x32x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}}>>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// With zero points (-8 in group 0, 3 in group 1), stored +8 as i8 per group
// and column.
// CHECK-LABEL: func.func @w4a16_zero_points(
// CHECK:         %[[ZEROS:.*]] = arith.constant dense_resource<w4_zero_points> : tensor<64xi8>
// CHECK:         func.call @quantc_sgemm_w4(
// CHECK:       w4_zero_points: "0x0100000000000000000000000000000000000000000000000000000000000000000000000B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B"
func.func @w4a16_zero_points(%x: tensor<?x4xf32>) -> tensor<?x32xf32> {
  %c = arith.constant dense<[[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7], [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8], [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7], [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6]]> : tensor<4x32xi4>
  %w = quant.scast %c : tensor<4x32xi4> to tensor<4x32x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8}, {0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3}}>>
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x32x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8, 1.0:-8}, {0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3, 0.5:3}}>>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// N = 16 is not a whole panel: qc-lower-quantized keeps the product (its
// packed bytes are what the artifact reports).
// CHECK-LABEL: func.func @partial_panel(
// CHECK:         qc.quantized_matmul
// CHECK-NOT:     quantc_sgemm_w4
func.func @partial_panel(%x: tensor<?x4xf32>) -> tensor<?x16xf32> {
  %c = arith.constant dense<[[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7], [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8], [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7], [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6]]> : tensor<4x16xi4>
  %w = quant.scast %c : tensor<4x16xi4> to tensor<4x16x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}}>>
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x16x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}}>>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Only constant weights are repacked.
func.func @weight_argument(%x: tensor<?x4xf32>, %c: tensor<4x32xi4>) -> tensor<?x32xf32> {
  %w = quant.scast %c : tensor<4x32xi4> to tensor<4x32x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}}>>
  // expected-error @below {{weight must be a quant.scast of an integer constant to be lowered}}
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x32x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}}>>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
