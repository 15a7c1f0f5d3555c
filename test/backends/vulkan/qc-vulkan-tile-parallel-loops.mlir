// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-tile-parallel-loops | FileCheck %s

// A 16 x 8 nest is one 16 x 8 workgroup (upstream's 16 x 16 tile left a
// ragged bound the GPU mapping could not size).
// CHECK-LABEL: func.func @small_2d(
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = ({{.*}}) to (%c16, %c8) step (%[[T16:c16_[0-9]+]], %[[T8:c8_[0-9]+]])
// CHECK-NOT:       affine.min
// CHECK:           scf.parallel (%{{.*}}, %{{.*}}) = ({{.*}}) to (%[[T16]], %[[T8]]) step (%c1, %c1)
func.func @small_2d(%a: memref<16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) {
    memref.store %z, %a[%i, %j] : memref<16x8xf32>
  }
  return
}

// -----

// (batch, row, column): the contiguous column gets 64 threads, the row the
// remaining 4, the batch 1; the ragged row bound keeps its constant in the
// affine.min map, where the GPU mapping reads the workgroup size.
// CHECK:       #[[MIN:.*]] = affine_map<(d0)[s0] -> (-d0 + s0, 4)>
// CHECK-LABEL: func.func @batched(
// CHECK:         scf.parallel (%{{.*}}, %[[I:.*]], %{{.*}}) = {{.*}} to (%c3, %dim, %c128) step (%c1, %[[C4:c4_[0-9]+]], %[[C64:c64_[0-9]+]])
// CHECK:           %[[B:.*]] = affine.min #[[MIN]](%[[I]])[%dim]
// CHECK:           scf.parallel {{.*}} to (%c1, %[[B]], %[[C64]]) step (%c1, %c1, %c1)
func.func @batched(%a: memref<3x?x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c128 = arith.constant 128 : index
  %n = memref.dim %a, %c1 : memref<3x?x128xf32>
  %z = arith.constant 0.0 : f32
  scf.parallel (%b, %i, %j) = (%c0, %c0, %c0) to (%c3, %n, %c128) step (%c1, %c1, %c1) {
    memref.store %z, %a[%b, %i, %j] : memref<3x?x128xf32>
  }
  return
}

// -----

// A (1, 4, 1, 8, S) copy (stories260k's head transpose): a grid has three
// dimensions, and the GPU mapping ran the others sequentially in each
// thread (4 one-thread workgroups). The three outer dimensions collapse
// into one of extent 4 (folded), leaving (4, 8, S): 64 threads along S,
// 4 along the 8 rows, 1 along the collapsed dimension.
// CHECK-LABEL: func.func @deep(
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %[[K:.*]]) = ({{.*}}) to (%{{c4[_0-9]*}}, %{{c8[_0-9]*}}, %[[S:arg1]]) step (%{{c1[_0-9]*}}, %[[C4:c4_[0-9]+]], %{{c64[_0-9]*}})
// CHECK:           %[[B:.*]] = affine.min #{{.*}}(%[[K]])[%[[S]]]
// CHECK:           scf.parallel {{.*}} to (%{{c1[_0-9]*}}, %[[C4]], %[[B]]) step
// CHECK-NOT:       scf.parallel
func.func @deep(%a: memref<1x4x1x8x?xf32>, %s: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j, %k, %l, %m) = (%c0, %c0, %c0, %c0, %c0) to (%c1, %c4, %c1, %c8, %s) step (%c1, %c1, %c1, %c1, %c1) {
    memref.store %z, %a[%i, %j, %k, %l, %m] : memref<1x4x1x8x?xf32>
  }
  return
}

// -----

// A 1-D loop takes all 256 threads.
// CHECK:       #[[FLAT:.*]] = affine_map<(d0) -> (-d0 + 1000, 256)>
// CHECK-LABEL: func.func @flat(
// CHECK:         scf.parallel (%[[I:.*]]) = (%c0) to (%c1000) step (%c256{{.*}})
// CHECK:           %[[B:.*]] = affine.min #[[FLAT]](%[[I]])
// CHECK:           scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[B]]) step (%c1)
func.func @flat(%a: memref<1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c1000) step (%c1) {
    memref.store %z, %a[%i] : memref<1000xf32>
  }
  return
}

// -----

// A full reduction (a sequential loop at the top level) becomes a
// one-iteration parallel loop, so that it runs as a one-thread kernel.
// CHECK-LABEL: func.func @full_reduction(
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.for
func.func @full_reduction(%a: memref<64xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    %x = memref.load %a[%i] : memref<64xf32>
    %s = memref.load %out[] : memref<f32>
    %t = arith.addf %s, %x : f32
    memref.store %t, %out[] : memref<f32>
  }
  return
}

// -----

func.func @reduction(%a: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %init = arith.constant 0.0 : f32
  // expected-error @below {{with reductions cannot be tiled into workgroups}}
  %r = scf.parallel (%i) = (%c0) to (%c64) step (%c1) init (%init) -> f32 {
    %x = memref.load %a[%i] : memref<64xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %r : f32
}
