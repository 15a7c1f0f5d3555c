// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-check-lowered | FileCheck %s

// IR without qc ops passes through unchanged.
// CHECK-LABEL: func.func @lowered(
// CHECK:         linalg.matmul
func.func @lowered(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %y = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A qc op left over is named at its location.
func.func @observer_left(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'qc.observe' op has no lowering in this pipeline}}
  %y = qc.observe %x {name = "x"} : tensor<4xf32>
  return %y : tensor<4xf32>
}
