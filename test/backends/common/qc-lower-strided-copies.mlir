// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-lower-strided-copies | FileCheck %s

// A copy out of a strided view becomes linalg.copy (plain loops later)
// instead of a call into MLIR's runner utilities.
// CHECK-LABEL: func.func @strided_source(
// CHECK:         linalg.copy ins(%{{.*}} : memref<4x4xf32, strided<[16, 2], offset: 3>>) outs(%{{.*}} : memref<4x4xf32>)
// CHECK-NOT:     memref.copy
func.func @strided_source(%src: memref<4x4xf32, strided<[16, 2], offset: 3>>, %dst: memref<4x4xf32>) {
  memref.copy %src, %dst : memref<4x4xf32, strided<[16, 2], offset: 3>> to memref<4x4xf32>
  return
}

// -----

// Contiguous copies stay memref.copy: they lower to memcpy. The pass has no
// failure mode, so no case expects an error.
// CHECK-LABEL: func.func @contiguous(
// CHECK:         memref.copy
// CHECK-NOT:     linalg.copy
func.func @contiguous(%src: memref<?x4xf32>, %dst: memref<?x4xf32>) {
  memref.copy %src, %dst : memref<?x4xf32> to memref<?x4xf32>
  return
}
