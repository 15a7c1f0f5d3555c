// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-reassociate-reductions | FileCheck %s

// Float ops in a reduction's body may be reassociated and contracted.
// CHECK-LABEL: func.func @dot(
// CHECK:         arith.mulf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
// CHECK:         arith.addf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
func.func @dot(%a: tensor<16xf32>, %b: tensor<16xf32>, %acc: tensor<f32>) -> tensor<f32> {
  %y = linalg.generic {indexing_maps = [affine_map<(k) -> (k)>, affine_map<(k) -> (k)>, affine_map<(k) -> ()>], iterator_types = ["reduction"]}
      ins(%a, %b : tensor<16xf32>, tensor<16xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// Elementwise ops keep strict semantics. No failure mode: no error case.
// CHECK-LABEL: func.func @elementwise(
// CHECK:         arith.addf %{{.*}}, %{{.*}} : f32
func.func @elementwise(%a: tensor<16xf32>, %o: tensor<16xf32>) -> tensor<16xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%a : tensor<16xf32>) outs(%o : tensor<16xf32>) {
  ^bb0(%x: f32, %out: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %y : tensor<16xf32>
}
