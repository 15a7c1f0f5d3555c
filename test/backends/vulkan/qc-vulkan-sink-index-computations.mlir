// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-sink-index-computations | FileCheck %s

// Constants move into the launch; memref.dim stays on the host (SPIR-V
// cannot read a run-time array's size), and with it the arithmetic over the
// size, which reaches the kernel as one value defined outside.
// CHECK-LABEL: func.func @dynamic(
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[H:.*]] = arith.divui %[[N]], %c2 : index
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      memref.store %[[Z]], %{{.*}}[%[[H]]]
// CHECK-NEXT:      gpu.terminator
func.func @dynamic(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %z = arith.constant 0.0 : f32
  %n = memref.dim %a, %c0 : memref<?xf32>
  %h = arith.divui %n, %c2 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %z, %a[%h] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// A memref value itself is never sunk.
// CHECK-LABEL: func.func @buffer(
// CHECK:         %[[B:.*]] = memref.alloc
// CHECK:         gpu.launch
// CHECK-NEXT:      arith.constant 0.0
// CHECK-NEXT:      %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:      memref.store %{{.*}}, %[[B]][%[[C0]]]
func.func @buffer() -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  %b = memref.alloc() : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %z, %b[%c0] : memref<4xf32>
    gpu.terminator
  }
  return %b : memref<4xf32>
}
