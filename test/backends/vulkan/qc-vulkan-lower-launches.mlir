// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="lower-host=false" --qc-vulkan-lower-launches | FileCheck %s
// RUN: quant-opt %S/Inputs/launch-without-spirv.mlir --verify-diagnostics --qc-vulkan-lower-launches
// RUN: quant-opt %S/Inputs/host-copies.mlir --qc-vulkan-lower-launches | FileCheck %S/Inputs/host-copies.mlir

// An elementwise chain over a dynamic batch (one fused kernel): its SPIR-V
// goes into @quantc_kernels ("QCVK", version 2, 1 kernel, then the entry
// point "main_kernel" of 11 bytes, 3 bindings, no optional capabilities,
// 1 push constant: binding 0, the size), the launch into a dispatch of kernel 0
// with one {value, bytes, kind} record per binding (the dynamic size as a
// scalar: kind 1, 4 bytes; each buffer's aligned address, the bytes its
// sizes and strides reach, kind 0); the host waits before the return reads
// the result.
// CHECK:       memref.global "public" constant @quantc_kernels : memref<{{[0-9]+}}xi8> = dense<"0x5143564B02000000010000000B0000006D61696E5F6B65726E656C0003000000000000000100000000000000
// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %[[X:.*]]: memref<?x16xf32>
// CHECK:         %[[N:.*]] = memref.dim %[[X]], %c0
// CHECK:         %[[Y:.*]] = memref.alloc(%[[N]])
// CHECK:         %[[R:.*]] = memref.alloca() : memref<9xi64>
// CHECK:         %[[NI:.*]] = arith.index_castui %[[N]] : index to i64
// CHECK:         memref.store %[[NI]], %[[R]][%c0
// CHECK:         memref.store %c4_i64, %[[R]][%c1
// CHECK:         memref.store %{{c1_i64[_0-9]*}}, %[[R]][%c2
// CHECK:         %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK:         %[[PI:.*]] = arith.index_castui %[[P]]
// CHECK:         memref.store %[[PI]], %[[R]][%c3
// CHECK:         memref.extract_strided_metadata %[[X]]
// CHECK:         %[[ELEMS:.*]] = arith.select
// CHECK:         %[[BYTES:.*]] = arith.muli %[[ELEMS]], %c4
// CHECK:         %[[BI:.*]] = arith.index_castui %[[BYTES]]
// CHECK:         memref.store %[[BI]], %[[R]][%c4
// CHECK:         memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK:         %[[RP:.*]] = memref.extract_aligned_pointer_as_index %[[R]]
// CHECK:         %[[RI:.*]] = arith.index_castui %[[RP]]
// CHECK:         call @quantc_gpu_dispatch(%c0_i64{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c3_i64, %[[RI]]) : (i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NEXT:    call @quantc_gpu_sync() : () -> ()
// CHECK-NEXT:    return %[[Y]]
// CHECK:       func.func private @quantc_gpu_dispatch(i64, i64, i64, i64, i64, i64)
// CHECK:       func.func private @quantc_gpu_sync()
// CHECK-NOT:   gpu.module
// CHECK-NOT:   spirv.module
func.func @main(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%n) : tensor<?x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x16xf32>) outs(%e : tensor<?x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = math.exp %a : f32
    linalg.yield %z : f32
  } -> tensor<?x16xf32>
  %f = tensor.empty(%n) : tensor<?x16xf32>
  %w = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<?x16xf32>) outs(%f : tensor<?x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = math.sqrt %a : f32
    linalg.yield %z : f32
  } -> tensor<?x16xf32>
  return %w : tensor<?x16xf32>
}
