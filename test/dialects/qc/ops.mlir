// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --emit-bytecode | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Every qc op survives a round trip through text, bytecode and the generic
// form with its attributes intact.

// CHECK-LABEL: func.func @graph_ops(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x?x64xf32>
func.func @graph_ops(%x: tensor<2x?x64xf32>, %w: tensor<64x172xf32>,
                     %a: tensor<4x8xf32>, %b: tensor<16x8xf32>, %c: tensor<16xf32>,
                     %scale: tensor<64xf32>, %bias: tensor<64xf32>)
    -> (tensor<2x?x172xf32>, tensor<4x16xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>) {
  // CHECK: qc.matmul %[[X]], %{{.*}} : (tensor<2x?x64xf32>, tensor<64x172xf32>) -> tensor<2x?x172xf32>
  %0 = qc.matmul %x, %w : (tensor<2x?x64xf32>, tensor<64x172xf32>) -> tensor<2x?x172xf32>
  // CHECK: qc.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, trans_b = true}
  %1 = qc.gemm %a, %b, %c {alpha = 0.5 : f32, trans_b = true} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  // CHECK: qc.layer_norm %[[X]], %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
  %2 = qc.layer_norm %x, %scale, %bias {epsilon = 1.0e-6 : f32} : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  // CHECK: qc.rms_norm %[[X]], %{{.*}} {axis = 2 : i64}
  %3 = qc.rms_norm %x, %scale {axis = 2 : i64} : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  return %0, %1, %2, %3 : tensor<2x?x172xf32>, tensor<4x16xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>
}

// CHECK-LABEL: func.func @conv(
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x4x4xf32> {
  // CHECK: qc.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64}
      : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  return %0 : tensor<1x6x4x4xf32>
}

// CHECK-LABEL: func.func @assume_equal(
func.func @assume_equal(%n: index, %m: index) {
  // CHECK: qc.assume_equal %{{.*}}, %{{.*}} {what = "broadcast dimension 1"}
  qc.assume_equal %n, %m {what = "broadcast dimension 1"}
  return
}

// CHECK-LABEL: func.func @assume_in_range(
func.func @assume_in_range(%i: index, %n: index) {
  // CHECK: qc.assume_in_range %{{.*}}, %{{.*}} {what = "indices"}
  qc.assume_in_range %i, %n {what = "indices"}
  return
}

// CHECK-LABEL: func.func @observe(
func.func @observe(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // CHECK: qc.observe %{{.*}} {name = "fc1.input", range = #qc.range<-1.500000e+00, 2.250000e+00, kl>} : tensor<?x64xf32>
  %0 = qc.observe %x {name = "fc1.input", range = #qc.range<-1.5, 2.25, kl>} : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

!w4g32 = !quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>
!w8pc = !quant.uniform<i8:f32:1, {0.5, 0.25}>
!a8 = !quant.uniform<i8:f32, 0.05:3>

// CHECK-LABEL: func.func @quantized_matmuls(
func.func @quantized_matmuls(%x: tensor<?x64xf32>, %w4: tensor<64x2x!w4g32>, %w8: tensor<64x2x!w8pc>,
                             %xa: tensor<?x64x!a8>, %ua: tensor<64x4xf32>, %ub: tensor<4x2xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  // CHECK: %[[Q:.*]], %[[S:.*]] = qc.dynamic_quantize %{{.*}} {bits = 8 : i64, granularity = #qc.granularity<per_token>}
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
  // CHECK: qc.quantized_matmul %[[Q]] scaled by %[[S]], %{{.*}} : (tensor<?x64xi8>, tensor<?x1xf32>, tensor<64x2x!quant.uniform<i8:f32:1, {5.000000e-01,2.500000e-01}>>)
  %0 = qc.quantized_matmul %q scaled by %s, %w8 : (tensor<?x64xi8>, tensor<?x1xf32>, tensor<64x2x!w8pc>) -> tensor<?x2xf32>
  // CHECK: qc.quantized_matmul %{{.*}}, %{{.*}} low_rank(%{{.*}}, %{{.*}}) : (tensor<?x64xf32>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}
  %1 = qc.quantized_matmul %x, %w4 low_rank(%ua, %ub) : (tensor<?x64xf32>, tensor<64x2x!w4g32>, tensor<64x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  // CHECK: qc.quantized_matmul %{{.*}}, %{{.*}} : (tensor<?x64x!quant.uniform<i8:f32, 5.000000e-02:3>>
  %2 = qc.quantized_matmul %xa, %w8 : (tensor<?x64x!a8>, tensor<64x2x!w8pc>) -> tensor<?x2xf32>
  return %0, %1, %2 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// LoRC factors stored as 8-bit integers with a scale per column.
// CHECK-LABEL: func.func @quantized_low_rank_factors(
// CHECK: qc.quantized_matmul %{{.*}}, %{{.*}} low_rank(%{{.*}}, %{{.*}}) : (tensor<?x64xf32>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{.*}}>>, tensor<64x4x!quant.uniform<i8:f32:1, {{.*}}>>, tensor<4x2x!quant.uniform<i8:f32:1, {{.*}}>>) -> tensor<?x2xf32>
func.func @quantized_low_rank_factors(%x: tensor<?x64xf32>, %w4: tensor<64x2x!w4g32>,
    %a: tensor<64x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>, %b: tensor<4x2x!w8pc>) -> tensor<?x2xf32> {
  %0 = qc.quantized_matmul %x, %w4 low_rank(%a, %b) : (tensor<?x64xf32>, tensor<64x2x!w4g32>, tensor<64x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>, tensor<4x2x!w8pc>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// CHECK-LABEL: func.func @quantized_conv_and_codebook(
func.func @quantized_conv_and_codebook(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>,
                                       %idx: tensor<64x2xui4>, %levels: tensor<2x2x16xf32>)
    -> (tensor<1x3x4x4xf32>, tensor<64x2xf32>) {
  // CHECK: qc.quantized_conv
  %0 = qc.quantized_conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<1x3x4x4xf32>
  // CHECK: qc.codebook_decode %{{.*}}, %{{.*}} {group_size = 32 : i64} : (tensor<64x2xui4>, tensor<2x2x16xf32>) -> tensor<64x2xf32>
  %1 = qc.codebook_decode %idx, %levels {group_size = 32 : i64} : (tensor<64x2xui4>, tensor<2x2x16xf32>) -> tensor<64x2xf32>
  return %0, %1 : tensor<1x3x4x4xf32>, tensor<64x2xf32>
}
