// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-serialize-inner-parallel | FileCheck %s

// A top-level 3-D loop keeps one parallel dimension: the first whose trip
// count is not 1 (here the second); the others run serially inside.
// CHECK-LABEL: func.func @batch_one(
// CHECK:         scf.parallel (%[[T:.*]]) = (%c0) to (%[[N:.*]]) step (%c1)
// CHECK-NEXT:      scf.for %[[B:.*]] = %c0 to %c1 step %c1
// CHECK-NEXT:        scf.for %[[C:.*]] = %c0 to %c64 step %c1
// CHECK-NEXT:          memref.store %{{.*}}, %{{.*}}[%[[B]], %[[T]], %[[C]]]
// CHECK-NOT:     scf.parallel
func.func @batch_one(%m: memref<1x?x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 0.0 : f32
  scf.parallel (%b, %t, %c) = (%c0, %c0, %c0) to (%c1, %n, %c64) step (%c1, %c1, %c1) {
    memref.store %f, %m[%b, %t, %c] : memref<1x?x64xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop inside a reduction loop becomes a serial loop: threads
// would otherwise be forked once per k.
// CHECK-LABEL: func.func @inside_reduction(
// CHECK:         scf.parallel (%[[M:.*]]) =
// CHECK:           scf.for %[[K:.*]] =
// CHECK-NEXT:        scf.for %[[N:.*]] =
// CHECK-NOT:     scf.parallel
func.func @inside_reduction(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.parallel (%m) = (%c0) to (%c8) step (%c1) {
    scf.for %k = %c0 to %c16 step %c1 {
      scf.parallel (%n) = (%c0) to (%c32) step (%c1) {
        %x = memref.load %a[%m, %k] : memref<8x16xf32>
        %y = memref.load %b[%k, %n] : memref<16x32xf32>
        %z = memref.load %c[%m, %n] : memref<8x32xf32>
        %p = arith.mulf %x, %y : f32
        %s = arith.addf %z, %p : f32
        memref.store %s, %c[%m, %n] : memref<8x32xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// Loops that reduce into values (linalg's loops never do) are not expected.
func.func @parallel_reduction(%m: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{'scf.parallel' op with reductions is not expected here}}
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %x = memref.load %m[%i] : memref<8xf32>
    scf.reduce(%x : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
