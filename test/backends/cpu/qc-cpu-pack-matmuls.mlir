// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-pack-matmuls | FileCheck %s

// A dynamic M: whole 8-row blocks, then the remaining rows one at a time
// (two panels per tile: two independent FMA chains for one row);
// the fill value starts the accumulators; the weight is repacked into
// [N/32][K][32] panels and read one contiguous 32-float row per K step.
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK-DAG:     %[[PACKED:.*]] = arith.constant dense_resource<packed_weight> : tensor<2x4x32xf32>
// CHECK:         %[[BLOCKS:.*]] = arith.divui
// CHECK:         %[[TILES:.*]] = scf.forall (%[[NB:.*]], %[[MB:.*]]) in (2, %[[BLOCKS]]) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK:           %[[ZERO:.*]] = vector.broadcast %{{.*}} : f32 to vector<32xf32>
// CHECK:           %[[ACC:.*]]:8 = scf.for %[[K:.*]] = %{{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:             vector.transfer_read %[[PACKED]][%{{.*}}, %[[K]], %{{.*}}]{{.*}} : tensor<2x4x32xf32>, vector<32xf32>
// CHECK-COUNT-8:     vector.fma
// CHECK:           vector.transfer_write %[[ACC]]#7
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%{{.*}}, %{{.*}}] [8, 32] [1, 1]
// CHECK:         %[[REST:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (1, %{{.*}}) shared_outs(%{{.*}} = %[[TILES]])
// CHECK:           scf.for {{.*}} -> (vector<32xf32>, vector<32xf32>)
// CHECK:           tensor.parallel_insert_slice {{.*}} [1, 64] [1, 1]
// CHECK:         return %[[REST]]
// CHECK-NOT:     linalg.matmul
func.func @dynamic_rows(%x: tensor<?x4xf32>) -> tensor<?x64xf32> {
  %w = arith.constant dense<0.5> : tensor<4x64xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%d) : tensor<?x64xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x64xf32>) -> tensor<?x64xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A static M that is a multiple of 8 needs no remainder loop; an init that
// is not a fill is read into the accumulators (the product adds to it).
// CHECK-LABEL: func.func @static_rows(
// CHECK:         scf.forall
// CHECK:           vector.transfer_read %{{.*}} : tensor<8x32xf32>, vector<32xf32>
// CHECK:           scf.for
// CHECK:           scf.forall.in_parallel
// CHECK-NOT:     scf.forall (
// CHECK:         return
func.func @static_rows(%x: tensor<16x8xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %w = arith.constant dense<2.0> : tensor<8x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %y : tensor<16x32xf32>
}

// -----

// Two products of one weight share one packed copy.
// CHECK-LABEL: func.func @shared_weight(
// CHECK:         arith.constant dense_resource<packed_weight> : tensor<1x8x32xf32>
// CHECK-NOT:     dense_resource<packed_weight>
// CHECK:         return
func.func @shared_weight(%x: tensor<8x8xf32>, %c: tensor<8x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %w = arith.constant dense<3.0> : tensor<8x32xf32>
  %a = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  %b = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x32xf32>) outs(%a : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %a, %b : tensor<8x32xf32>, tensor<8x32xf32>
}

// -----

// N = 48 with a fill init: a padded [?, 64] output (the weight's padding
// columns are zero), sliced back to 48 columns.
// CHECK-LABEL: func.func @ragged(
// CHECK:         arith.constant dense_resource<packed_weight> : tensor<2x8x32xf32>
// CHECK:         %[[PADDED:.*]] = tensor.empty(%{{.*}}) : tensor<?x64xf32>
// CHECK:         scf.forall {{.*}} shared_outs(%{{.*}} = %[[PADDED]]) -> (tensor<?x64xf32>)
// CHECK:         %[[REST:.*]] = scf.forall
// CHECK:         %[[Y:.*]] = tensor.extract_slice %[[REST]][0, 0] [%{{.*}}, 48] [1, 1] : tensor<?x64xf32> to tensor<?x48xf32>
// CHECK:         return %[[Y]]
func.func @ragged(%x: tensor<?x8xf32>) -> tensor<?x48xf32> {
  %w = arith.constant dense<1.0> : tensor<8x48xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%d) : tensor<?x48xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x48xf32>) -> tensor<?x48xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x48xf32>) outs(%f : tensor<?x48xf32>) -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// Left alone: a ragged N whose init is not a fill (its padding columns would
// have no initial value), a weight that is not a constant, and f16
// operands.
// CHECK-LABEL: func.func @untouched(
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT:     scf.forall (
func.func @untouched(%x: tensor<4x8xf32>, %v: tensor<8x32xf32>, %h: tensor<4x8xf16>,
                     %c48: tensor<4x48xf32>, %c32: tensor<4x32xf32>, %c16: tensor<4x32xf16>)
    -> (tensor<4x48xf32>, tensor<4x32xf32>, tensor<4x32xf16>) {
  %w48 = arith.constant dense<1.0> : tensor<8x48xf32>
  %a = linalg.matmul ins(%x, %w48 : tensor<4x8xf32>, tensor<8x48xf32>) outs(%c48 : tensor<4x48xf32>) -> tensor<4x48xf32>
  %b = linalg.matmul ins(%x, %v : tensor<4x8xf32>, tensor<8x32xf32>) outs(%c32 : tensor<4x32xf32>) -> tensor<4x32xf32>
  %w16 = arith.constant dense<1.0> : tensor<8x32xf16>
  %c = linalg.matmul ins(%h, %w16 : tensor<4x8xf16>, tensor<8x32xf16>) outs(%c16 : tensor<4x32xf16>) -> tensor<4x32xf16>
  return %a, %b, %c : tensor<4x48xf32>, tensor<4x32xf32>, tensor<4x32xf16>
}
