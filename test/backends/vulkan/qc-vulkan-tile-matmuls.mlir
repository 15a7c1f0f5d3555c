// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-tile-matmuls | FileCheck %s

// A matmul with a dynamic row count: ceil(N / 64) x ceil(M / 64) workgroups
// of 16 x 16 threads; A and B slices staged in workgroup memory (space 3)
// between two barriers per 16-wide slice of K; 16 accumulators per thread,
// read from C once before and written once after, every global access
// guarded.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:      %[[A:.*]]: memref<?x32xf32>, %[[B:.*]]: memref<32x80xf32>, %[[C:.*]]: memref<?x80xf32>
// CHECK:         %[[M:.*]] = memref.dim %[[A]], %c0
// CHECK:         %[[K:.*]] = memref.dim %[[A]], %c1
// CHECK:         %[[N:.*]] = memref.dim %[[B]], %c1
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}} = %{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %[[T:c16.*]], {{.*}} = %[[T]], {{.*}} = %c1
// CHECK:           %[[AT:.*]] = memref.alloc() : memref<64x16xf32, 3>
// CHECK:           %[[BT:.*]] = memref.alloc() : memref<16x64xf32, 3>
// CHECK-COUNT-16:  memref.load %[[C]]
// CHECK:           %[[ACC:.*]]:16 = scf.for %{{.*}} = %{{.*}} to %[[K]] step %{{.*}} iter_args(
// CHECK-COUNT-4:     memref.store %{{.*}}, %[[AT]]
// CHECK:             gpu.barrier
// CHECK:             scf.for
// CHECK-COUNT-4:       memref.load %[[AT]]
// CHECK-COUNT-4:       memref.load %[[BT]]
// CHECK-COUNT-16:      arith.addf
// CHECK:             gpu.barrier
// CHECK-COUNT-16:  memref.store %{{.*}}, %[[C]]
// CHECK:           gpu.terminator
// CHECK-NOT:     linalg.matmul
func.func @matmul(%a: memref<?x32xf32>, %b: memref<32x80xf32>, %c: memref<?x80xf32>) {
  linalg.matmul ins(%a, %b : memref<?x32xf32>, memref<32x80xf32>) outs(%c : memref<?x80xf32>)
  return
}

// -----

// W8A8's i8 x i8 -> i32 product: the slices are staged widened to i32
// (sign-extended; zero-extended for cast_unsigned) and accumulated with
// integer multiply-adds.
// CHECK-LABEL: func.func @int8(
// CHECK:         gpu.launch
// CHECK:           memref.alloc() : memref<64x16xi32, 3>
// CHECK:           memref.alloc() : memref<16x64xi32, 3>
// CHECK:           scf.for
// CHECK:             %[[A8:.*]] = scf.if %{{.*}} -> (i8)
// CHECK:             arith.extsi %[[A8]] : i8 to i32
// CHECK:             gpu.barrier
// CHECK:             scf.for
// CHECK-COUNT-16:      arith.addi
// CHECK-NOT:           arith.addf
// CHECK:             gpu.barrier
// CHECK-LABEL: func.func @uint8(
// CHECK:           arith.extui %{{.*}} : i8 to i32
// CHECK-NOT:     linalg.matmul
func.func @int8(%a: memref<?x48xi8>, %b: memref<48x16xi8>, %c: memref<?x16xi32>) {
  linalg.matmul ins(%a, %b : memref<?x48xi8>, memref<48x16xi8>) outs(%c : memref<?x16xi32>)
  return
}
func.func @uint8(%a: memref<4x8xi8>, %b: memref<8x4xi8>, %c: memref<4x4xi32>) {
  linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %b : memref<4x8xi8>, memref<8x4xi8>) outs(%c : memref<4x4xi32>)
  return
}

// -----

// Left alone: mixed float types, transposed operands (user-defined maps),
// and tensors (the pass runs on buffers).
// CHECK-LABEL: func.func @untouched(
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-3: linalg.matmul
func.func @untouched(%a: memref<4x8xf16>, %b: memref<8x4xf16>, %c: memref<4x4xf32>,
                     %x: memref<8x4xf32>, %y: memref<8x4xf32>, %z: memref<4x4xf32>,
                     %t: tensor<4x8xf32>, %u: tensor<8x4xf32>, %v: tensor<4x4xf32>) -> tensor<4x4xf32> {
  linalg.matmul ins(%a, %b : memref<4x8xf16>, memref<8x4xf16>) outs(%c : memref<4x4xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %y : memref<8x4xf32>, memref<8x4xf32>) outs(%z : memref<4x4xf32>)
  %r = linalg.matmul ins(%t, %u : tensor<4x8xf32>, tensor<8x4xf32>) outs(%v : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}
