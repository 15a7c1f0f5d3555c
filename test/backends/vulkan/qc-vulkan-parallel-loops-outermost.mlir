// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-parallel-loops-outermost | FileCheck %s

// The W8A8 epilogue's (row, group, column) order puts a parallel loop
// inside the reduction; it becomes (row, column, group).
// CHECK-DAG: #[[ACC:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @epilogue(
// CHECK:         linalg.generic {indexing_maps = [#[[ACC]], #[[SCALE]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @epilogue(%acc: tensor<16x2x4xi32>, %s: tensor<2x4xf32>, %out: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(m, g, n) -> (m, g, n)>, affine_map<(m, g, n) -> (g, n)>, affine_map<(m, g, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%acc, %s : tensor<16x2x4xi32>, tensor<2x4xf32>) outs(%out : tensor<16x4xf32>) {
  ^bb0(%a: i32, %w: f32, %o: f32):
    %f = arith.sitofp %a : i32 to f32
    %p = arith.mulf %f, %w : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<16x4xf32>
  return %y : tensor<16x4xf32>
}

// -----

// Ops already in parallel-then-reduction order (a named matmul) are left as
// they are. Reordering loops has no failure mode for ops that need it
// (every linalg op here generalizes), so no case expects an error.
// CHECK-LABEL: func.func @matmul(
// CHECK:         linalg.matmul
func.func @matmul(%a: tensor<8x4xf32>, %b: tensor<4x2xf32>, %c: tensor<8x2xf32>) -> tensor<8x2xf32> {
  %y = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x2xf32>) outs(%c : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}
