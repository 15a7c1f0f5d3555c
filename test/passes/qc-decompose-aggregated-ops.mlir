// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-decompose-aggregated-ops | FileCheck %s

// Softmax becomes max-reduce, exp(x - max), sum-reduce and a division.
// CHECK-LABEL: func.func @softmax(
// CHECK-NOT:     linalg.softmax
// CHECK:         arith.maxnumf
// CHECK:         math.exp
// CHECK:         arith.addf
// CHECK:         arith.divf
func.func @softmax(%x: tensor<2x?x16xf32>) -> tensor<2x?x16xf32> {
  %c1 = arith.constant 1 : index
  %d = tensor.dim %x, %c1 : tensor<2x?x16xf32>
  %e = tensor.empty(%d) : tensor<2x?x16xf32>
  %y = linalg.softmax dimension(2) ins(%x : tensor<2x?x16xf32>) outs(%e : tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %y : tensor<2x?x16xf32>
}

// -----

// Ops that are not aggregated stay as they are; the pass has no failure mode
// (every upstream aggregated op decomposes), so no case expects an error.
// CHECK-LABEL: func.func @matmul_untouched(
// CHECK:         linalg.matmul
func.func @matmul_untouched(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %y = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
