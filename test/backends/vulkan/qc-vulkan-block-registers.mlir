// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-block-registers | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-block-registers --cse | FileCheck %s --check-prefix=CSE

// An 8 x 8 matmul with its accumulator in a register: 4 x 4 blocks, one
// jammed reduction loop carrying 16 accumulators; after CSE the block loads
// 4 elements of A and 4 of B per step.
// CHECK-LABEL: func.func @matmul(
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) = (%c0, %c0) to (%c8, %c8) step (%[[C4:.*]], %[[C4B:.*]])
// CHECK-COUNT-16:  memref.load %arg2
// CHECK:           %[[R:.*]]:16 = scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-16:    arith.addf
// CHECK:             scf.yield
// CHECK:           }
// CHECK-COUNT-16:  memref.store
// CSE-LABEL:   func.func @matmul(
// CSE:           scf.for
// CSE-COUNT-8:     memref.load
// CSE-NOT:         memref.load
// CSE:             scf.yield
func.func @matmul(%a: memref<8x16xf32>, %b: memref<16x8xf32>, %c: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %init = memref.load %c[%i, %j] : memref<8x8xf32>
    %r = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<8x16xf32>
      %y = memref.load %b[%k, %j] : memref<16x8xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %r, %c[%i, %j] : memref<8x8xf32>
  }
  return
}

// -----

// Extents 6 and 3: a factor of 2 divides 6 (3 blocks) but not 3.
// CHECK-LABEL: func.func @ragged(
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c6, %c3) step (%{{.*}}, %c1)
// CHECK:           scf.for {{.*}} -> (f32, f32) {
func.func @ragged(%a: memref<6x4xf32>, %c: memref<6x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c6, %c3) step (%c1, %c1) {
    %init = memref.load %c[%i, %j] : memref<6x3xf32>
    %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<6x4xf32>
      %s = arith.addf %acc, %x : f32
      scf.yield %s : f32
    }
    memref.store %r, %c[%i, %j] : memref<6x3xf32>
  }
  return
}

// -----

// Left alone: no carried accumulator (an elementwise loop), a dynamic
// extent, a reduction loop whose bound depends on the parallel index.
// CHECK-LABEL: func.func @untouched(
// CHECK-NOT:     step (%c4
// CHECK-NOT:     step (%c2
// CHECK:         return
func.func @untouched(%a: memref<8x8xf32>, %n: index, %d: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    memref.store %z, %a[%i, %j] : memref<8x8xf32>
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %r = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %z) -> (f32) {
      %x = memref.load %a[%k, %c0] : memref<8x8xf32>
      %s = arith.addf %acc, %x : f32
      scf.yield %s : f32
    }
    memref.store %r, %d[%i] : memref<?xf32>
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %r = scf.for %k = %c0 to %i step %c1 iter_args(%acc = %z) -> (f32) {
      %x = memref.load %a[%k, %c0] : memref<8x8xf32>
      %s = arith.addf %acc, %x : f32
      scf.yield %s : f32
    }
    memref.store %r, %d[%i] : memref<?xf32>
  }
  return
}
