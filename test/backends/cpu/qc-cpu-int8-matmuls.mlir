// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-int8-matmuls | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-int8-matmuls | FileCheck %s --check-prefix=NOSUMS

// W8A8 with per-token dynamic activations: the codes and scales go to the
// microkernel as read-only buffers, the product into a fresh buffer, one
// call per (64-row, 256-column) tile inside an scf.forall.
// CHECK-LABEL: func.func @w8a8_dynamic(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>
// CHECK-DAG:     %[[W:.*]] = arith.constant dense_resource<int8_weight> : tensor<1024xi8>
// CHECK-DAG:     %[[SUMS:.*]] = arith.constant dense_resource<int8_weight_sums> : tensor<16xi32>
// CHECK-DAG:     %[[SCALES:.*]] = arith.constant dense_resource<int8_weight_scales> : tensor<16xf32>
// CHECK:         %[[Q:.*]], %[[S:.*]] = qc.dynamic_quantize %[[X]]
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %[[S]] {{\[\[}}0, 1]] : tensor<?x1xf32> into tensor<?xf32>
// CHECK:         %[[A:.*]] = bufferization.to_buffer %[[Q]] read_only : tensor<?x4xi8> to memref<?x4xi8>
// CHECK:         %[[A2:.*]] = memref.cast %[[A]] : memref<?x4xi8> to memref<?x?xi8>
// CHECK:         bufferization.to_buffer %[[W]] read_only
// CHECK:         bufferization.to_buffer %[[SUMS]] read_only
// CHECK:         bufferization.to_buffer %[[SCALES]] read_only
// CHECK:         %[[RS:.*]] = bufferization.to_buffer %[[ROWS]] read_only : tensor<?xf32> to memref<?xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:         %[[M:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x4xi8>
// CHECK:         %[[OUT:.*]] = memref.alloc(%[[M]]) {alignment = 64 : i64} : memref<?x2xf32>
// CHECK:         scf.forall
// CHECK:           arith.minui %{{.*}}, %[[M]] : index
// CHECK:           func.call @quantc_qgemm_s8(%[[A2]], %{{.*}}, %{{.*}}, %{{.*}}, %[[RS]], %{{.*}}, %[[ZERO]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         %[[Y:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x2xf32> to tensor<?x2xf32>
// CHECK:         return %[[Y]]
// CHECK:       func.func private @quantc_qgemm_s8(memref<?x?xi8>, memref<?xi8>, memref<?xi32>, memref<?xf32>, memref<?xf32>, memref<?x?xf32>, i32, index, index, index, index) attributes {llvm.emit_c_interface}
// The packed weight: panel 0, k = 0..3 of column 0 (1, 0, -7, 4), then of
// column 1 (-3, 2, 0, 7); zeros up to K = 64 and 16 columns. Column sums
// -2 and 6, scales 1.0 and 0.5, each padded to 16 columns.
// CHECK:       int8_weight: "0x010000000100F904FD02000700000000
// CHECK:       int8_weight_sums: "0x04000000FEFFFFFF0600000000000000
// CHECK:       int8_weight_scales: "0x040000000000803F0000003F00000000
func.func @w8a8_dynamic(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
  %y = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Static activations (scale 0.25, zero point -5) are quantized here, with
// half-to-even rounding and saturation; the kernel gets one row scale and
// the zero point. A batched input is collapsed to rows and expanded back.
// CHECK-LABEL: func.func @w8a8_static_batched(
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<1x?x4xf32> into tensor<?x4xf32>
// CHECK:         %[[CODES:.*]] = linalg.generic {{.*}} ins(%[[ROWS]] : tensor<?x4xf32>) outs(%{{.*}} : tensor<?x4xi8>)
// CHECK:           arith.constant 2.500000e-01 : f32
// CHECK:           math.roundeven
// CHECK:           arith.constant -5.000000e+00 : f32
// CHECK:         %[[SX:.*]] = arith.constant dense<2.500000e-01> : tensor<1xf32>
// CHECK:         bufferization.to_buffer %[[CODES]] read_only
// CHECK:         bufferization.to_buffer %[[SX]] read_only
// CHECK:         %[[ZERO:.*]] = arith.constant -5 : i32
// CHECK:         func.call @quantc_qgemm_s8({{.*}}, %[[ZERO]],
// CHECK:         %[[Y:.*]] = bufferization.to_tensor
// CHECK:         tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [1, %{{.*}}, 2] : tensor<?x2xf32> into tensor<1x?x2xf32>
func.func @w8a8_static_batched(%x: tensor<1x?x4xf32>) -> tensor<1x?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %q = quant.qcast %x : tensor<1x?x4xf32> to tensor<1x?x4x!quant.uniform<i8:f32, 0.25:-5>>
  %y = qc.quantized_matmul %q, %w : (tensor<1x?x4x!quant.uniform<i8:f32, 0.25:-5>>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// Two products of one weight share one packed copy.
// CHECK-LABEL: func.func @shared_weight(
// CHECK:         arith.constant dense_resource<int8_weight> : tensor<1024xi8>
// CHECK-NOT:     dense_resource<int8_weight>
// CHECK-COUNT-2: func.call @quantc_qgemm_s8
func.func @shared_weight(%q: tensor<?x4xi8>, %s: tensor<?x1xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %a = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  %b = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %a, %b : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// A per-tensor dynamic scale (0-d) becomes a one-element buffer.
// CHECK-LABEL: func.func @per_tensor_scale(
// CHECK:         tensor.expand_shape %{{.*}} [] output_shape [1] : tensor<f32> into tensor<1xf32>
// CHECK:         func.call @quantc_qgemm_s8
func.func @per_tensor_scale(%x: tensor<3x4xi8>, %s: tensor<f32>) -> tensor<3x2xf32> {
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32, 0.5>>
  %y = qc.quantized_matmul %x scaled by %s, %w : (tensor<3x4xi8>, tensor<f32>, tensor<4x2x!quant.uniform<i8:f32, 0.5>>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// W4A8 with groups of 2 rows: the codes go to quantc_qgemm_grouped as
// nibbles offset by 8 (runtime/ukernels/QGemmGrouped.h: per panel and
// group, 64 bytes per 8 rows, byte 4c + r holding row r of column c), the
// f16 group scales [groups, 16] (no f32 ones), an empty table of column
// sums (the zero point is 0), then the zero point, 4 bits and 2 rows per
// group.
// No column sums without a zero point, anywhere in the module (its
// resources included).
// NOSUMS-LABEL: func.func @w4a8_groups(
// NOSUMS-NOT:   grouped_weight_sums
// NOSUMS-LABEL: func.func @w3a8_static(
// CHECK-LABEL: func.func @w4a8_groups(
// CHECK-DAG:     arith.constant dense_resource<grouped_weight> : tensor<128xi8>
// CHECK-DAG:     arith.constant dense_resource<grouped_weight_scales> : tensor<32xf16>
// CHECK-DAG:     arith.constant dense<> : tensor<0xf32>
// CHECK:         %[[Q:.*]], %[[S:.*]] = qc.dynamic_quantize %arg0
// CHECK-DAG:     arith.constant dense<> : tensor<0xi32>
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-DAG:     %[[BITS:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[ROWS:.*]] = arith.constant 2 : index
// CHECK:         scf.forall
// CHECK:           func.call @quantc_qgemm_grouped(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]], %[[BITS]], %[[ROWS]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT:     quantc_qgemm_s8
// CHECK:       func.func private @quantc_qgemm_grouped(memref<?x?xi8>, memref<?xi8>, memref<?xf16>, memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?x?xf32>, i32, index, index, index, index, index, index) attributes {llvm.emit_c_interface}
// CHECK:       grouped_weight: "0x0100000009080000050A0000{{(00){55}00}}010C0000080F0000{{(00){55}00}}"
// CHECK:       grouped_weight_scales: "0x02000000003C0038{{(00){27}00}}00400034{{(00){27}00}}"
func.func @w4a8_groups(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
  %y = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// One padded weight (4 rows in groups of 2) multiplied by activations of
// K = 3 and K = 4: each product gets the codes packed for its K (rows past
// K left out: row 3's 4 and 7 only in the second), not the first's.
// CHECK-LABEL: func.func @two_ks(
// CHECK-DAG:     %[[W3:.*]] = arith.constant dense_resource<grouped_weight> : tensor<128xi8>
// CHECK-DAG:     %[[W4:.*]] = arith.constant dense_resource<grouped_weight_1> : tensor<128xi8>
// CHECK:         func.call @quantc_qgemm_grouped
// CHECK:         func.call @quantc_qgemm_grouped
// CHECK:       grouped_weight_1: "0x0100000009080000050A0000{{(00){55}00}}010C0000080F0000
// CHECK:       grouped_weight: "0x0100000009080000050A0000{{(00){55}00}}01000000080000
func.func @two_ks(%x: tensor<?x3xf32>, %y: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<?x3xf32> -> tensor<?x3xi8>, tensor<?x1xf32>
  %a = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x3xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>) -> tensor<?x2xf32>
  %q2, %s2 = qc.dynamic_quantize %y {granularity = #qc.granularity<per_token>, bits = 8} : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
  %b = qc.quantized_matmul %q2 scaled by %s2, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i4:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>) -> tensor<?x2xf32>
  return %a, %b : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// W3A8 per column with static activations (zero point -5): the same kernel,
// the column sums, the zero point, 3 bits, one group of all 4 rows.
// CHECK-LABEL: func.func @w3a8_static(
// CHECK:         %[[SUMS:.*]] = arith.constant dense_resource<grouped_weight_sums> : tensor<16xi32>
// CHECK:         bufferization.to_buffer %[[SUMS]] read_only
// CHECK-NEXT:    %[[SUMSBUF:.*]] = memref.cast
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant -5 : i32
// CHECK-DAG:     %[[BITS:.*]] = arith.constant 3 : index
// CHECK-DAG:     %[[ROWS:.*]] = arith.constant 4 : index
// CHECK:         func.call @quantc_qgemm_grouped(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SUMSBUF]], %{{.*}}, %{{.*}}, %[[ZERO]], %[[BITS]], %[[ROWS]],
// Codes + 4, one block of 8 rows per column (the last 4 rows zero); the
// column sums 0 and 2, which the zero point needs; f32 scales (one group).
// CHECK:       grouped_weight: "0x0100000005040007010604070000000000000000
// CHECK:       grouped_weight_sums: "0x04000000000000000200000000000000
// CHECK:       grouped_weight_scales: "0x040000000000803F0000003F00000000
func.func @w3a8_static(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-4, 0], [3, 3]]> : tensor<4x2xi3>
  %w = quant.scast %c : tensor<4x2xi3> to tensor<4x2x!quant.uniform<i3:f32:1, {1.0, 0.5}>>
  %xq = quant.qcast %x : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.25:-5>>
  %y = qc.quantized_matmul %xq, %w : (tensor<?x4x!quant.uniform<i8:f32, 0.25:-5>>, tensor<4x2x!quant.uniform<i3:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// What the kernels do not take is left for qc-lower-quantized: float
// activations, weight zero points (8 and 4 bits), group-wise 8-bit weights,
// int8 results. No kernel is declared then.
// CHECK-LABEL: func.func @left_alone(
// CHECK-COUNT-5: qc.quantized_matmul
// CHECK-NOT:     quantc_qgemm
func.func @left_alone(%x: tensor<?x4xf32>, %q: tensor<?x4xi8>, %s: tensor<?x1xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2x!quant.uniform<i8:f32, 0.5>>) {
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %a = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  %c4 = arith.constant dense<1> : tensor<4x2xi4>
  %w4 = quant.scast %c4 : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0:1, 0.5}>>
  %b = qc.quantized_matmul %q scaled by %s, %w4 : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0:1, 0.5}>>) -> tensor<?x2xf32>
  %wg = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>
  %g = qc.quantized_matmul %q scaled by %s, %wg : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:{0:2, 1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>) -> tensor<?x2xf32>
  %wz = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0:3, 0.5}>>
  %z = qc.quantized_matmul %q scaled by %s, %wz : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0:3, 0.5}>>) -> tensor<?x2xf32>
  %xq = quant.qcast %x : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.25>>
  %r = qc.quantized_matmul %xq, %w : (tensor<?x4x!quant.uniform<i8:f32, 0.25>>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2x!quant.uniform<i8:f32, 0.5>>
  return %a, %b, %g, %z, %r : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

// Only constant weights are repacked.
func.func @weight_argument(%q: tensor<?x4xi8>, %s: tensor<?x1xf32>, %c: tensor<4x2xi8>) -> tensor<?x2xf32> {
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  // expected-error @below {{weight must be a quant.scast of an integer constant to be lowered}}
  %y = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
