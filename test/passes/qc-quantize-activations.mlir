// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-activations | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-quantize-activations="mode=dynamic" | FileCheck %s --check-prefix=DYNAMIC
// RUN: not quant-opt %s --split-input-file --qc-quantize-activations="mode=sometimes" 2>&1 | FileCheck %s --check-prefix=MODE

// Static: the calibrated range [-1, 3] becomes a per-tensor asymmetric int8
// type, scale 4/255 and zero point -128 - round(-1 / (4/255)) = -64.
// CHECK-LABEL: func.func @calibrated(
// CHECK:         %[[A:.*]] = qc.observe
// CHECK:         %[[Q:.*]] = quant.qcast %[[A]] : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.0156862{{[0-9]*}}:-64>>
// CHECK:         qc.quantized_matmul %[[Q]], %{{.*}} : (tensor<?x4x!quant.uniform<i8:f32, 0.0156862{{[0-9]*}}:-64>>, tensor<4x2x!quant.uniform<i8:f32:1, {1.000000e+00,5.000000e-01}>>) -> tensor<?x2xf32>
// Dynamic: one scale per row, computed at run time.
// DYNAMIC-LABEL: func.func @calibrated(
// DYNAMIC:         %[[Q:.*]], %[[S:.*]] = qc.dynamic_quantize %{{.*}} {bits = 8 : i64, granularity = #qc.granularity<per_token>} : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
// DYNAMIC:         qc.quantized_matmul %[[Q]] scaled by %[[S]], %{{.*}} : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {{.*}}>>) -> tensor<?x2xf32>
// MODE: Cannot find option named 'sometimes'
func.func @calibrated(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %a = qc.observe %x {name = "fc.input", range = #qc.range<-1.0, 3.0, minmax>} : tensor<?x4xf32>
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %y = qc.quantized_matmul %a, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Float products (no quantized weight) are left alone.
// CHECK-LABEL: func.func @float_matmul(
// CHECK-NOT:     quant.qcast
// CHECK-NOT:     qc.dynamic_quantize
func.func @float_matmul(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>) -> tensor<?x2xf32> {
  %y = qc.matmul %x, %w : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Static mode needs an observer with a range.
func.func @uncalibrated(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %a = qc.observe %x {name = "fc.input"} : tensor<?x4xf32>
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  // expected-error @below {{activation 'fc.input' has no calibrated range (run calibration and qc-apply-stats)}}
  %y = qc.quantized_matmul %a, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

func.func @unobserved(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  // expected-error @below {{static activation quantization needs an observed lhs}}
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
