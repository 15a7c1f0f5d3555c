// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-record-weight-info | FileCheck %s

// Float constants count by element and byte (f32: 4 bytes, f16: 2); scalars,
// integer constants and dynamic values do not.
// CHECK: module attributes {qc.weights = {float_bytes = 160 : i64, float_params = 48 : i64, quantized_bytes = 0 : i64, quantized_params = 0 : i64}}
func.func @main(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<1.0> : tensor<8x4xf32>
  %h = arith.constant dense<1.0> : tensor<16xf16>
  %s = arith.constant dense<1.0> : tensor<f32>
  %i = arith.constant dense<1> : tensor<8x4xi32>
  %y = qc.matmul %x, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A module without weights records zeros (nothing to count is not an error).
// CHECK: module attributes {qc.weights = {float_bytes = 0 : i64, float_params = 0 : i64, quantized_bytes = 0 : i64, quantized_params = 0 : i64}}
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A quantized weight counts its K x N codes and the bytes qc-lower-quantized
// stores: 8 int4 codes packed two a byte (4 bytes) and 2 f32 scales (8).
// CHECK: module attributes {qc.weights = {float_bytes = 0 : i64, float_params = 0 : i64, quantized_bytes = 12 : i64, quantized_params = 8 : i64}}
func.func @main(%x: tensor<?x4xf32>, %w: tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32> {
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
