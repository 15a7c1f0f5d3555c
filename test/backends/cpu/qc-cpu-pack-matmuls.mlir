// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-pack-matmuls | FileCheck %s

// A dynamic M with a fill init: the weight is repacked into [N/32][K][32]
// panels, the product goes into a fresh buffer through one kernel call per
// (64-row, 256-column) tile, starting from the fill value (accumulate = 0).
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>
// CHECK:         %[[PANELS:.*]] = arith.constant dense_resource<packed_weight> : tensor<2x4x32xf32>
// CHECK:         %[[PACKED:.*]] = tensor.collapse_shape %[[PANELS]] {{\[\[}}0, 1, 2]] : tensor<2x4x32xf32> into tensor<256xf32>
// CHECK:         %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[M:.*]] = tensor.dim %[[X]]
// CHECK:         %[[OUT:.*]] = memref.alloc(%[[M]]) {alignment = 64 : i64} : memref<?x64xf32>
// CHECK:         %[[A:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<?x4xf32> to memref<?x4xf32>
// CHECK:         %[[A2:.*]] = memref.cast %[[A]] : memref<?x4xf32> to memref<?x?xf32>
// CHECK:         %[[W:.*]] = bufferization.to_buffer %[[PACKED]] read_only : tensor<256xf32> to memref<256xf32>
// CHECK:         %[[W2:.*]] = memref.cast %[[W]] : memref<256xf32> to memref<?xf32>
// CHECK:         %[[OUT2:.*]] = memref.cast %[[OUT]] : memref<?x64xf32> to memref<?x?xf32>
// CHECK:         %[[FRESH:.*]] = arith.constant 0 : i32
// CHECK:         scf.forall
// CHECK:           func.call @quantc_sgemm_f32(%[[A2]], %[[W2]], %[[OUT2]], %[[Z]], %[[FRESH]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         %[[Y:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x64xf32> to tensor<?x64xf32>
// CHECK:         return %[[Y]]
// CHECK:       func.func private @quantc_sgemm_f32(memref<?x?xf32>, memref<?xf32>, memref<?x?xf32>, f32, i32, index, index, index, index) attributes {llvm.emit_c_interface}
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

// An init that is not a fill is copied into the output and the kernel adds
// the product to it (accumulate = 1); a static M keeps its static buffer.
// CHECK-LABEL: func.func @accumulate(
// CHECK-SAME:      %{{.*}}: tensor<16x8xf32>, %[[C:.*]]: tensor<16x32xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x32xf32>
// CHECK:         %[[INIT:.*]] = bufferization.to_buffer %[[C]] read_only : tensor<16x32xf32> to memref<16x32xf32>
// CHECK:         memref.copy %[[INIT]], %[[OUT]]
// CHECK:         %[[ADD:.*]] = arith.constant 1 : i32
// CHECK:         func.call @quantc_sgemm_f32({{.*}}, %[[ADD]],
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable : memref<16x32xf32> to tensor<16x32xf32>
func.func @accumulate(%x: tensor<16x8xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %w = arith.constant dense<2.0> : tensor<8x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %y : tensor<16x32xf32>
}

// -----

// Two products of one weight share one packed copy; a ragged N (48: one
// panel and half of a zero-padded second) needs no padded output, the
// kernel stores only the 48 columns.
// CHECK-LABEL: func.func @shared_ragged_weight(
// CHECK:         arith.constant dense_resource<packed_weight> : tensor<2x8x32xf32>
// CHECK-NOT:     dense_resource<packed_weight>
// CHECK-COUNT-2: func.call @quantc_sgemm_f32
// CHECK-NOT:     tensor.extract_slice
// CHECK:         return
func.func @shared_ragged_weight(%x: tensor<8x8xf32>, %c: tensor<8x48xf32>) -> (tensor<8x48xf32>, tensor<8x48xf32>) {
  %w = arith.constant dense<3.0> : tensor<8x48xf32>
  %a = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x48xf32>) outs(%c : tensor<8x48xf32>) -> tensor<8x48xf32>
  %b = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x48xf32>) outs(%a : tensor<8x48xf32>) -> tensor<8x48xf32>
  return %a, %b : tensor<8x48xf32>, tensor<8x48xf32>
}

// -----

// B stored [N, K] (ONNX Gemm with transB): a generic with B's map (n, k) is
// the same product; the panels are packed from the transpose (row k of
// panel 0 holds column k of the stored weight: 1, 3 for k = 0, then 2, 4).
// CHECK-LABEL: func.func @transposed_weight(
// CHECK:         arith.constant dense_resource<packed_weight> : tensor<1x2x32xf32>
// CHECK:         func.call @quantc_sgemm_f32
// CHECK-NOT:     linalg.generic
// CHECK:       packed_weight: "0x040000000000803F00004040{{0+}}0000004000008040
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_weight(%x: tensor<?x2xf32>, %c: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%c : tensor<?x2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A tied weight read as [K, N] by one product and as [N, K] by another is
// packed once per orientation.
// CHECK-LABEL: func.func @tied_weight(
// CHECK-COUNT-2: arith.constant dense_resource<packed_weight{{.*}}> : tensor<1x2x32xf32>
// CHECK-COUNT-2: func.call @quantc_sgemm_f32
#tk = affine_map<(m, n, k) -> (m, k)>
#tw = affine_map<(m, n, k) -> (n, k)>
#to = affine_map<(m, n, k) -> (m, n)>
func.func @tied_weight(%x: tensor<?x2xf32>, %c: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = linalg.matmul ins(%x, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%c : tensor<?x2xf32>) -> tensor<?x2xf32>
  %b = linalg.generic {indexing_maps = [#tk, #tw, #to], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%c : tensor<?x2xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %a, %b : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// A contraction body that does more than multiply-add (a negated operand)
// is not the kernel's product: left alone.
// CHECK-LABEL: func.func @not_multiply_add(
// CHECK:         linalg.generic
// CHECK:           arith.negf
// CHECK-NOT:     quantc_sgemm_f32
#nk = affine_map<(m, n, k) -> (m, k)>
#nw = affine_map<(m, n, k) -> (n, k)>
#no = affine_map<(m, n, k) -> (m, n)>
func.func @not_multiply_add(%x: tensor<?x2xf32>, %c: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = linalg.generic {indexing_maps = [#nk, #nw, #no], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%c : tensor<?x2xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %n = arith.negf %q : f32
    %m = arith.mulf %p, %n : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Left alone: a weight that is not a constant, f16 operands, and a generic
// whose maps are not a matmul's (A read as [k, m]); no kernel is declared.
// CHECK-LABEL: func.func @untouched(
// CHECK-COUNT-2: linalg.matmul
// CHECK:         linalg.generic
// CHECK-NOT:     quantc_sgemm_f32
func.func @untouched(%x: tensor<4x8xf32>, %v: tensor<8x32xf32>, %h: tensor<4x8xf16>,
                     %c32: tensor<4x32xf32>, %c16: tensor<4x32xf16>)
    -> (tensor<4x32xf32>, tensor<4x32xf16>, tensor<4x32xf32>) {
  %b = linalg.matmul ins(%x, %v : tensor<4x8xf32>, tensor<8x32xf32>) outs(%c32 : tensor<4x32xf32>) -> tensor<4x32xf32>
  %w16 = arith.constant dense<1.0> : tensor<8x32xf16>
  %c = linalg.matmul ins(%h, %w16 : tensor<4x8xf16>, tensor<8x32xf16>) outs(%c16 : tensor<4x32xf16>) -> tensor<4x32xf16>
  %w8 = arith.constant dense<1.0> : tensor<8x32xf32>
  %xt = arith.constant dense<1.0> : tensor<8x4xf32>
  %d = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xt, %w8 : tensor<8x4xf32>, tensor<8x32xf32>) outs(%c32 : tensor<4x32xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  return %b, %c, %d : tensor<4x32xf32>, tensor<4x32xf16>, tensor<4x32xf32>
}
