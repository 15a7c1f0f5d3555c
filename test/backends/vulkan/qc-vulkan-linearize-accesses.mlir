// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-linearize-accesses | FileCheck %s

// A row-major buffer with a dynamic inner size has a dynamic stride: the
// access in the loop goes through a 1-d view of the base taken where the
// buffer is defined, at offset + i * s0 + j * s1 + k * s2.
// CHECK-LABEL: func.func @dynamic_inner(
// CHECK-SAME:      %[[A:.*]]: memref<1x?x64xf32>
// CHECK:         %[[BASE:.*]], %[[OFF:.*]], %[[SIZES:.*]]:3, %[[STRIDES:.*]]:3 = memref.extract_strided_metadata %[[A]]
// CHECK:         %[[FLAT:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%{{.*}}], strides: [1] : memref<f32> to memref<?xf32>
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK:           %[[T0:.*]] = arith.muli %{{.*}}, %[[STRIDES]]#0
// CHECK:           %[[X0:.*]] = arith.addi %[[OFF]], %[[T0]]
// CHECK:           %[[T1:.*]] = arith.muli %[[I]], %[[STRIDES]]#1
// CHECK:           %[[X1:.*]] = arith.addi %[[X0]], %[[T1]]
// CHECK:           %[[T2:.*]] = arith.muli %[[J]], %[[STRIDES]]#2
// CHECK:           %[[X2:.*]] = arith.addi %[[X1]], %[[T2]]
// CHECK:           memref.store %{{.*}}, %[[FLAT]][%[[X2]]] : memref<?xf32>
func.func @dynamic_inner(%a: memref<1x?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %a, %c1 : memref<1x?x64xf32>
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    memref.store %z, %a[%c0, %i, %j] : memref<1x?x64xf32>
  }
  return
}

// -----

// A slice with a dynamic offset: the view is taken right after the subview
// (on the host), the load reads the same element.
// CHECK-LABEL: func.func @slice(
// CHECK:         %[[S:.*]] = memref.subview
// CHECK-NEXT:    %[[BASE:.*]], %[[OFF:.*]], %{{.*}}, %[[STRIDE:.*]] = memref.extract_strided_metadata %[[S]]
// CHECK:         %[[FLAT:.*]] = memref.reinterpret_cast %[[BASE]]
// CHECK:         scf.parallel
// CHECK:           memref.load %[[FLAT]][%{{.*}}] : memref<?xf32>
func.func @slice(%a: memref<64xf32>, %o: index, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %s = memref.subview %a[%o] [8] [1] : memref<64xf32> to memref<8xf32, strided<[1], offset: ?>>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %x = memref.load %s[%i] : memref<8xf32, strided<[1], offset: ?>>
    memref.store %x, %out[%i] : memref<8xf32>
  }
  return
}

// -----

// Static strides (SPIR-V linearizes those itself) and host code outside
// loops are left alone.
// CHECK-LABEL: func.func @untouched(
// CHECK-NOT:     memref.reinterpret_cast
// CHECK:         memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x16xf32>
// CHECK:         memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<4x?xf32>
func.func @untouched(%a: memref<?x16xf32>, %b: memref<4x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %n = memref.dim %a, %c0 : memref<?x16xf32>
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c16) step (%c1, %c1) {
    memref.store %z, %a[%i, %j] : memref<?x16xf32>
  }
  memref.store %z, %b[%c0, %c0] : memref<4x?xf32>
  return
}
