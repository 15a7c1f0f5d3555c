// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="lower-host=false" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="int8-storage=false lower-host=false" | FileCheck %s --check-prefix=NOI8
// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="lower-host=false" | %spirv_val_all | FileCheck %s --check-prefix=VALID
// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="int8-storage=false lower-host=false" | %spirv_val_all | FileCheck %s --check-prefix=VALID-NOI8
// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="workgroup-memory=false lower-host=false" | FileCheck %s --check-prefix=NOWG
// RUN: quant-opt %s --split-input-file --qc-vulkan-pipeline="workgroup-memory=false lower-host=false" | %spirv_val_all | FileCheck %s --check-prefix=VALID
// REQUIRES: spirv-tools

// A float matmul and an elementwise sqrt(exp): the fill, the product and
// the elementwise op become three kernels; the fill and the elementwise op
// in 16 x 16 workgroups (4 along the 64 rows), the product in one workgroup
// of 16 x 16 threads staging A and B in workgroup memory between barriers
// (qc-vulkan-tile-matmuls); without it (NOWG) the product's threads own
// 4 x 4 register blocks (4 x 16 threads); exp becomes the
// CPU's polynomial (no GL.Exp), sqrt the GLSL instruction; the host keeps
// the launches with their grids.
// CHECK-LABEL: func.func @matmul_exp(
// CHECK:         gpu.launch_func @[[FILL:[a-z_0-9]+]]::@matmul_exp_kernel blocks in (%c1, %c4, %c1) threads in (%c16, %c16, %c1)
// CHECK:         gpu.launch_func @{{.*}}::@matmul_exp_kernel blocks in (%c1, %c1, %c1) threads in (%c16, %c16, %c1) args(%alloc : memref<64x16xf32>, %arg0 : memref<64x32xf32>, %arg1 : memref<32x16xf32>)
// CHECK:         gpu.launch_func
// CHECK:       spirv.module @__spv__[[FILL]] Logical GLSL450
// CHECK:         spirv.ExecutionMode @matmul_exp_kernel "LocalSize", 16, 16, 1
// CHECK:       spirv.module
// CHECK-DAG:     spirv.GlobalVariable @__workgroup_mem__1 : !spirv.ptr<!spirv.struct<(!spirv.array<1024 x f32>)>, Workgroup>
// CHECK-DAG:     spirv.GlobalVariable @__workgroup_mem__2 : !spirv.ptr<!spirv.struct<(!spirv.array<1024 x f32>)>, Workgroup>
// CHECK:         spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|WorkgroupMemory>
// CHECK:         spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|WorkgroupMemory>
// CHECK:       spirv.module
// CHECK-NOT:     spirv.GL.Exp
// CHECK:         spirv.GL.Sqrt
// NOWG-LABEL:  func.func @matmul_exp(
// NOWG:          gpu.launch_func @{{.*}}::@matmul_exp_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c16, %c1) args(%alloc : memref<64x16xf32>, %arg0 : memref<64x32xf32>, %arg1 : memref<32x16xf32>)
// NOWG-NOT:      Workgroup>
func.func @matmul_exp(%a: tensor<64x32xf32>, %b: tensor<32x16xf32>) -> tensor<64x16xf32> {
  %y = qc.matmul %a, %b : (tensor<64x32xf32>, tensor<32x16xf32>) -> tensor<64x16xf32>
  %e = tensor.empty() : tensor<64x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<64x16xf32>) outs(%e : tensor<64x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = math.exp %x : f32
    %s = math.sqrt %z : f32
    linalg.yield %s : f32
  } -> tensor<64x16xf32>
  return %r : tensor<64x16xf32>
}

// -----

// W8A8 with per-token activations and W4A16 group-wise: int8 storage
// buffers and the in-kernel 4-bit unpacking become SPIR-V; without 8-bit
// storage the i8 buffers are emulated in i32.
// Shapes are multiples of the 16 x 16 workgroup: every loop nest becomes a
// kernel (smaller or ragged loops are not mapped yet, see the pass docs).
// CHECK-LABEL: func.func @quantized(
// CHECK-NOT:     scf.parallel
// CHECK:         gpu.launch_func
// CHECK:       spirv.module {{.*}} requires #spirv.vce<{{.*}}Int8{{.*}}StorageBuffer8BitAccess
// NOI8-LABEL:  func.func @quantized(
// NOI8-NOT:      StorageBuffer8BitAccess
func.func @quantized(%x: tensor<32x32xf32>) -> (tensor<32x16xf32>, tensor<32x16xf32>) {
  %c8 = arith.constant dense<3> : tensor<32x16xi8>
  %w8 = quant.scast %c8 : tensor<32x16xi8> to tensor<32x16x!quant.uniform<i8:f32:1, {1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0}>>
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<32x32xf32> -> tensor<32x32xi8>, tensor<32x1xf32>
  %a = qc.quantized_matmul %q scaled by %s, %w8 : (tensor<32x32xi8>, tensor<32x1xf32>, tensor<32x16x!quant.uniform<i8:f32:1, {1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0}>>) -> tensor<32x16xf32>
  %c4 = arith.constant dense<-3> : tensor<32x16xi4>
  %w4 = quant.scast %c4 : tensor<32x16xi4> to tensor<32x16x!quant.uniform<i4:f32:{0:16,1:1}, {{1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0}, {1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0}}>>
  %b = qc.quantized_matmul %x, %w4 : (tensor<32x32xf32>, tensor<32x16x!quant.uniform<i4:f32:{0:16,1:1}, {{1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0}, {1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0, 1.0, 0.5, 0.25, 2.0}}>>) -> tensor<32x16xf32>
  return %a, %b : tensor<32x16xf32>, tensor<32x16xf32>
}

// Every module (3 + 9 kernels) serializes and passes spirv-val (Vulkan 1.1),
// with and without 8-bit storage.
// VALID: @__spv__matmul_exp_kernel: valid
// VALID: @__spv__quantized_kernel: valid
// VALID: 13 modules valid
// VALID-NOI8: 13 modules valid

// -----

// A 16 x 8 nest is one workgroup of 8 x 16 threads (x along the contiguous
// dimension); upstream's fixed 16 x 16 tile used to leave it on the host.
// CHECK-LABEL: func.func @ragged(
// CHECK:         gpu.launch_func @{{.*}}::@ragged_kernel blocks in (%c1, %c1, %c1) threads in (%c8, %c16, %c1)
// CHECK:       spirv.ExecutionMode @ragged_kernel "LocalSize", 8, 16, 1
func.func @ragged(%x: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %e = tensor.empty() : tensor<16x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x8xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = math.exp %a : f32
    linalg.yield %z : f32
  } -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}
