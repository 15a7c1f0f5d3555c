// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-hoist-accumulators | FileCheck %s

// A matmul as convert-linalg-to-parallel-loops writes it: the output element
// becomes an iter_arg, read once before the reduction and written once after.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:      %[[A:.*]]: memref<8x16xf32>, %[[B:.*]]: memref<16x4xf32>, %[[C:.*]]: memref<8x4xf32>
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK:           %[[INIT:.*]] = memref.load %[[C]][%[[I]], %[[J]]]
// CHECK:           %[[R:.*]] = scf.for %{{.*}} = {{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NOT:         memref.load %[[C]]
// CHECK-NOT:         memref.store
// CHECK:             %[[S:.*]] = arith.addf %[[ACC]], %{{.*}} : f32
// CHECK:             scf.yield %[[S]] : f32
// CHECK:           }
// CHECK:           memref.store %[[R]], %[[C]][%[[I]], %[[J]]]
func.func @matmul(%a: memref<8x16xf32>, %b: memref<16x4xf32>, %c: memref<8x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
    scf.for %k = %c0 to %c16 step %c1 {
      %x = memref.load %a[%i, %k] : memref<8x16xf32>
      %y = memref.load %b[%k, %j] : memref<16x4xf32>
      %acc = memref.load %c[%i, %j] : memref<8x4xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %c[%i, %j] : memref<8x4xf32>
    }
  }
  return
}

// -----

// A window reduction (two nested loops): the accumulator leaves both.
// CHECK-LABEL: func.func @window(
// CHECK:         %[[INIT:.*]] = memref.load %{{.*}}[%[[I:.*]]] : memref<6xf32>
// CHECK:         %[[OUTER:.*]] = scf.for {{.*}} iter_args(%[[A0:.*]] = %[[INIT]]) -> (f32) {
// CHECK:           %[[INNER:.*]] = scf.for {{.*}} iter_args(%[[A1:.*]] = %[[A0]]) -> (f32) {
// CHECK:           scf.yield %[[INNER]] : f32
// CHECK:         memref.store %[[OUTER]], %{{.*}}[%[[I]]] : memref<6xf32>
func.func @window(%x: memref<8x4xf32>, %out: memref<6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  scf.parallel (%i) = (%c0) to (%c6) step (%c1) {
    scf.for %w = %c0 to %c3 step %c1 {
      scf.for %k = %c0 to %c4 step %c1 {
        %r = arith.addi %i, %w : index
        %v = memref.load %x[%r, %k] : memref<8x4xf32>
        %acc = memref.load %out[%i] : memref<6xf32>
        %s = arith.addf %acc, %v : f32
        memref.store %s, %out[%i] : memref<6xf32>
      }
    }
  }
  return
}

// -----

// Left alone, inside a kernel's parallel loop: the output is also read at
// another element (a prefix sum), and a view of the same allocation is read
// in the loop.
// CHECK-LABEL: func.func @not_accumulators(
// CHECK-NOT:     iter_args
func.func @not_accumulators(%a: memref<16xf32>, %c: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c15 = arith.constant 15 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%t) = (%c0) to (%c1) step (%c1) {
    scf.for %k = %c1 to %c16 step %c1 {
      %p = arith.subi %k, %c1 : index
      %prev = memref.load %c[%p] : memref<16xf32>
      %x = memref.load %a[%k] : memref<16xf32>
      %s = arith.addf %prev, %x : f32
      memref.store %s, %c[%k] : memref<16xf32>
    }
  }
  %v = memref.subview %c[1] [15] [1] : memref<16xf32> to memref<15xf32, strided<[1], offset: 1>>
  scf.parallel (%t) = (%c0) to (%c1) step (%c1) {
    scf.for %k = %c0 to %c15 step %c1 {
      %acc = memref.load %c[%c0] : memref<16xf32>
      %y = memref.load %v[%k] : memref<15xf32, strided<[1], offset: 1>>
      %s = arith.addf %acc, %y : f32
      memref.store %s, %c[%c0] : memref<16xf32>
    }
  }
  return
}

// -----

// A top-level sequential loop (a full reduction) becomes a one-thread
// kernel as a whole later: its accumulator stays in memory here.
// CHECK-LABEL: func.func @top_level(
// CHECK:         scf.for
// CHECK-NOT:       iter_args
// CHECK:           memref.load %arg1[%c0]
// CHECK:           memref.store
func.func @top_level(%a: memref<16xf32>, %c: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %k = %c0 to %c16 step %c1 {
    %acc = memref.load %c[%c0] : memref<1xf32>
    %x = memref.load %a[%k] : memref<16xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %c[%c0] : memref<1xf32>
  }
  return
}
