// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-vectorize-contractions | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-vectorize-contractions="max-width=12" | FileCheck %s --check-prefix=NARROW

// An interchanged matmul (m, k, n): rows as scf.forall, k as scf.for, and
// one vector FMA-shaped update of the 32-wide accumulator row per step.
// CHECK-LABEL: func.func @matmul_rows(
// CHECK:         scf.forall (%[[M:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:           scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x32xf32>)
// CHECK:             tensor.extract_slice %[[ACC]]
// CHECK:             vector.transfer_read {{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK:             arith.mulf %{{.*}} : vector<1x1x32xf32>
// CHECK:             vector.multi_reduction <add>, {{.*}} : vector<1x1x32xf32> to vector<1x32xf32>
// CHECK:             vector.transfer_write
// CHECK:           tensor.parallel_insert_slice
// NARROW-LABEL: func.func @matmul_rows(
// NARROW-NOT:     vector.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
func.func @matmul_rows(%a: tensor<?x64xf32>, %b: tensor<64x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<?x64xf32>, tensor<64x32xf32>) outs(%c : tensor<?x32xf32>) {
  ^bb0(%x: f32, %w: f32, %o: f32):
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// A reduction whose innermost loop is the reduced one is left alone; so is
// a dynamic innermost size. No failure mode for qualifying ops (tiling by 1
// and vectorizing static 1 x N tiles always succeed), so no case expects an
// error.
// CHECK-LABEL: func.func @row_sum_left_alone(
// CHECK-NOT:     vector.
// CHECK:         linalg.generic
func.func @row_sum_left_alone(%x: tensor<8x?xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x?xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Quantized kernels: an i8 x i8 -> i32 product (W8A8) is vectorized the
// same way, sign extensions included; an f64 accumulator is not a case.
// CHECK-LABEL: func.func @int8_rows(
// CHECK:         scf.forall
// CHECK:           scf.for {{.*}} -> (tensor<1x16xi32>)
// CHECK:             vector.transfer_read {{.*}} : tensor<1x16xi8>, vector<1x1x16xi8>
// CHECK:             arith.extsi %{{.*}} : vector<1x1x16xi8> to vector<1x1x16xi32>
// CHECK:             arith.muli %{{.*}} : vector<1x1x16xi32>
// CHECK:             vector.multi_reduction <add>, {{.*}} : vector<1x1x16xi32> to vector<1x16xi32>
// CHECK-LABEL: func.func @f64_left_alone(
// CHECK-NOT:     vector.
// Past max-width (12 here), a row is still vectorized whole up to twice
// that when it fills whole zmm registers (16 i32), not when it does not (20).
// NARROW-LABEL: func.func @int8_rows(
// NARROW:         vector.multi_reduction
// NARROW-LABEL: func.func @f64_left_alone(
// NARROW-LABEL: func.func @rows_of_20(
// NARROW-NOT:     vector.
// CHECK-LABEL: func.func @rows_of_20(
// CHECK:         vector.multi_reduction
func.func @int8_rows(%a: tensor<?x16xi8>, %b: tensor<16x16xi8>, %c: tensor<?x16xi32>) -> tensor<?x16xi32> {
  %y = linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>, affine_map<(m, k, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<?x16xi8>, tensor<16x16xi8>) outs(%c : tensor<?x16xi32>) {
  ^bb0(%x: i8, %w: i8, %o: i32):
    %xe = arith.extsi %x : i8 to i32
    %we = arith.extsi %w : i8 to i32
    %p = arith.muli %xe, %we : i32
    %s = arith.addi %o, %p : i32
    linalg.yield %s : i32
  } -> tensor<?x16xi32>
  return %y : tensor<?x16xi32>
}
func.func @f64_left_alone(%a: tensor<?x16xf64>, %b: tensor<16x16xf64>, %c: tensor<?x16xf64>) -> tensor<?x16xf64> {
  %y = linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>, affine_map<(m, k, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<?x16xf64>, tensor<16x16xf64>) outs(%c : tensor<?x16xf64>) {
  ^bb0(%x: f64, %w: f64, %o: f64):
    %p = arith.mulf %x, %w : f64
    %s = arith.addf %o, %p : f64
    linalg.yield %s : f64
  } -> tensor<?x16xf64>
  return %y : tensor<?x16xf64>
}
func.func @rows_of_20(%a: tensor<?x16xi8>, %b: tensor<16x20xi8>, %c: tensor<?x20xi32>) -> tensor<?x20xi32> {
  %y = linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>, affine_map<(m, k, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<?x16xi8>, tensor<16x20xi8>) outs(%c : tensor<?x20xi32>) {
  ^bb0(%x: i8, %w: i8, %o: i32):
    %xe = arith.extsi %x : i8 to i32
    %we = arith.extsi %w : i8 to i32
    %p = arith.muli %xe, %we : i32
    %s = arith.addi %o, %p : i32
    linalg.yield %s : i32
  } -> tensor<?x20xi32>
  return %y : tensor<?x20xi32>
}

// -----

// A short row (probs * v of 8-value heads): 4 heads per tile, so that the
// reduction carries 4 independent accumulator rows instead of one chain of
// dependent FMAs; each row's sum keeps its order. The dynamic dim cannot be
// blocked; the static one that 4 divides is.
// CHECK-LABEL: func.func @short_rows_blocked(
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (8, %{{.*}}) step (4, 1)
// CHECK:           scf.for {{.*}} -> (tensor<4x1x8xf32>)
// CHECK:             vector.transfer_read {{.*}} : tensor<4x1x8xf32>, vector<4x1x8xf32>
// CHECK:             arith.mulf %{{.*}} : vector<4x1x1x8xf32>
// CHECK:             vector.multi_reduction <add>, {{.*}} : vector<4x1x1x8xf32> to vector<4x1x8xf32>
// CHECK:           tensor.parallel_insert_slice {{.*}} into %{{.*}}[%{{.*}}, %{{.*}}, 0] [4, 1, 8]
// NARROW-LABEL: func.func @short_rows_blocked(
// NARROW:         scf.forall {{.*}} step (4, 1)
#p = affine_map<(h, i, k, j) -> (h, i, k)>
#v = affine_map<(h, i, k, j) -> (h, k, j)>
#o = affine_map<(h, i, k, j) -> (h, i, j)>
func.func @short_rows_blocked(%p: tensor<8x?x16xf32>, %v: tensor<8x16x8xf32>, %o: tensor<8x?x8xf32>) -> tensor<8x?x8xf32> {
  %y = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : tensor<8x?x16xf32>, tensor<8x16x8xf32>) outs(%o : tensor<8x?x8xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %m = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x?x8xf32>
  return %y : tensor<8x?x8xf32>
}

// -----

// No static dim that 4 divides (6 heads): one row per tile, as for long rows.
// CHECK-LABEL: func.func @short_rows_unblocked(
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (6, %{{.*}})
// CHECK:           scf.for {{.*}} -> (tensor<1x1x8xf32>)
// NARROW-LABEL: func.func @short_rows_unblocked(
#p2 = affine_map<(h, i, k, j) -> (h, i, k)>
#v2 = affine_map<(h, i, k, j) -> (h, k, j)>
#o2 = affine_map<(h, i, k, j) -> (h, i, j)>
func.func @short_rows_unblocked(%p: tensor<6x?x16xf32>, %v: tensor<6x16x8xf32>, %o: tensor<6x?x8xf32>) -> tensor<6x?x8xf32> {
  %y = linalg.generic {indexing_maps = [#p2, #v2, #o2], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : tensor<6x?x16xf32>, tensor<6x16x8xf32>) outs(%o : tensor<6x?x8xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %m = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<6x?x8xf32>
  return %y : tensor<6x?x8xf32>
}
