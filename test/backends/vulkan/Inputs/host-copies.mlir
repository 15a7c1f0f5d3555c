// Host copies for qc-vulkan-lower-launches (run from
// ../qc-vulkan-lower-launches.mlir): a copy between row-major buffers
// becomes a device copy, queued like a dispatch (no sync before it; a sync
// before the host load that follows); a strided copy and a copy of
// sub-byte elements stay host copies.
// CHECK-LABEL: func.func @copies(
// CHECK-SAME:      %[[A:.*]]: memref<?x16xf32>, %[[B:.*]]: memref<?x16xf32>,
// The bytes are the source's extent (rows x 16 x 4; 0 when empty).
// CHECK:         memref.extract_strided_metadata %[[A]]
// CHECK:         %[[ELEMS:.*]] = arith.select
// CHECK:         %[[BYTES:.*]] = arith.muli %[[ELEMS]], %c4
// CHECK:         %[[PA:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK:         %[[PAI:.*]] = arith.index_castui %[[PA]]
// CHECK:         %[[PB:.*]] = memref.extract_aligned_pointer_as_index %[[B]]
// CHECK:         %[[PBI:.*]] = arith.index_castui %[[PB]]
// CHECK:         %[[BI:.*]] = arith.index_castui %[[BYTES]]
// CHECK-NOT:     call @quantc_gpu_sync
// CHECK:         call @quantc_gpu_copy(%[[PAI]], %[[PBI]], %[[BI]]) : (i64, i64, i64) -> ()
// CHECK-NEXT:    call @quantc_gpu_sync() : () -> ()
// CHECK-NEXT:    memref.load %[[B]]
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<4xf32, strided<[2]>> to memref<4xf32>
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<8xi1> to memref<8xi1>
// CHECK:       func.func private @quantc_gpu_copy(i64, i64, i64)
func.func @copies(%a: memref<?x16xf32>, %b: memref<?x16xf32>,
                  %s: memref<4xf32, strided<[2]>>, %t: memref<4xf32>,
                  %p: memref<8xi1>, %q: memref<8xi1>) -> f32 {
  %c0 = arith.constant 0 : index
  memref.copy %a, %b : memref<?x16xf32> to memref<?x16xf32>
  %v = memref.load %b[%c0, %c0] : memref<?x16xf32>
  memref.copy %s, %t : memref<4xf32, strided<[2]>> to memref<4xf32>
  memref.copy %p, %q : memref<8xi1> to memref<8xi1>
  return %v : f32
}
