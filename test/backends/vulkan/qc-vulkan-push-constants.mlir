// RUN: quant-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(spirv.module(qc-vulkan-push-constants))' | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(spirv.module(qc-vulkan-push-constants))' | %spirv_val_all | FileCheck %s --check-prefix=VALID

// Two scalar arguments (bindings 0 and 2) become members 0 and 1 of one
// push-constant block; their storage buffers go, the buffer at binding 1
// stays, and the module lists the moved bindings in member order.
// CHECK-LABEL: spirv.module @__spv__two_scalars
// CHECK-SAME:      qc.push_constants = [0 : i32, 2 : i32]
// CHECK:         spirv.GlobalVariable @__push_constants : !spirv.ptr<!spirv.struct<(i32 [0], f32 [4])>, PushConstant>
// CHECK-NOT:     @arg_0
// CHECK:         spirv.GlobalVariable @arg_1 bind(0, 1)
// CHECK-NOT:     @arg_2
// CHECK:         spirv.func @k()
// CHECK:           %[[PC:.*]] = spirv.mlir.addressof @__push_constants
// CHECK:           %[[M0:.*]] = spirv.Constant 0 : i32
// CHECK:           %[[P0:.*]] = spirv.AccessChain %[[PC]][%[[M0]]] : {{.*}} -> !spirv.ptr<i32, PushConstant>
// CHECK:           %[[N:.*]] = spirv.Load "PushConstant" %[[P0]] : i32
// CHECK:           %[[PC1:.*]] = spirv.mlir.addressof @__push_constants
// CHECK:           %[[M1:.*]] = spirv.Constant 1 : i32
// CHECK:           %[[P1:.*]] = spirv.AccessChain %[[PC1]][%[[M1]]] : {{.*}} -> !spirv.ptr<f32, PushConstant>
// CHECK:           %[[S:.*]] = spirv.Load "PushConstant" %[[P1]] : f32
// CHECK:           spirv.AccessChain %{{.*}}[%{{.*}}, %[[N]]]
// VALID: @__spv__two_scalars: valid
spirv.module @__spv__two_scalars Logical GLSL450 requires #spirv.vce<v1.0, [Shader], [SPV_KHR_storage_buffer_storage_class]> {
  spirv.GlobalVariable @arg_0 bind(0, 0) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @arg_1 bind(0, 1) : !spirv.ptr<!spirv.struct<(!spirv.rtarray<f32, stride=4> [0])>, StorageBuffer>
  spirv.GlobalVariable @arg_2 bind(0, 2) : !spirv.ptr<!spirv.struct<(f32 [0])>, StorageBuffer>
  spirv.func @k() "None" {
    %c0 = spirv.Constant 0 : i32
    %a0 = spirv.mlir.addressof @arg_0 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p0 = spirv.AccessChain %a0[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %n = spirv.Load "StorageBuffer" %p0 : i32
    %a2 = spirv.mlir.addressof @arg_2 : !spirv.ptr<!spirv.struct<(f32 [0])>, StorageBuffer>
    %p2 = spirv.AccessChain %a2[%c0] : !spirv.ptr<!spirv.struct<(f32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<f32, StorageBuffer>
    %s = spirv.Load "StorageBuffer" %p2 : f32
    %a1 = spirv.mlir.addressof @arg_1 : !spirv.ptr<!spirv.struct<(!spirv.rtarray<f32, stride=4> [0])>, StorageBuffer>
    %p1 = spirv.AccessChain %a1[%c0, %n] : !spirv.ptr<!spirv.struct<(!spirv.rtarray<f32, stride=4> [0])>, StorageBuffer>, i32, i32 -> !spirv.ptr<f32, StorageBuffer>
    spirv.Store "StorageBuffer" %p1, %s : f32
    spirv.Return
  }
  spirv.EntryPoint "GLCompute" @k
  spirv.ExecutionMode @k "LocalSize", 1, 1, 1
}

// -----

// Left alone: a 64-bit scalar (push constants here are 32-bit slots), and a
// 32-bit scalar that is stored to (a push constant is read-only).
// CHECK-LABEL: spirv.module @__spv__untouched
// CHECK-NOT:     qc.push_constants
// CHECK-NOT:     PushConstant
// CHECK:         spirv.GlobalVariable @wide bind(0, 0)
// CHECK:         spirv.GlobalVariable @written bind(0, 1)
// VALID: @__spv__untouched: valid
spirv.module @__spv__untouched Logical GLSL450 requires #spirv.vce<v1.0, [Shader, Int64], [SPV_KHR_storage_buffer_storage_class]> {
  spirv.GlobalVariable @wide bind(0, 0) : !spirv.ptr<!spirv.struct<(i64 [0])>, StorageBuffer>
  spirv.GlobalVariable @written bind(0, 1) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.func @k() "None" {
    %c0 = spirv.Constant 0 : i32
    %a0 = spirv.mlir.addressof @wide : !spirv.ptr<!spirv.struct<(i64 [0])>, StorageBuffer>
    %p0 = spirv.AccessChain %a0[%c0] : !spirv.ptr<!spirv.struct<(i64 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i64, StorageBuffer>
    %w = spirv.Load "StorageBuffer" %p0 : i64
    %t = spirv.SConvert %w : i64 to i32
    %a1 = spirv.mlir.addressof @written : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p1 = spirv.AccessChain %a1[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    spirv.Store "StorageBuffer" %p1, %t : i32
    spirv.Return
  }
  spirv.EntryPoint "GLCompute" @k
  spirv.ExecutionMode @k "LocalSize", 1, 1, 1
}

// -----

// At most 32 scalars (128 bytes) move; the 33rd keeps its storage buffer.
// CHECK-LABEL: spirv.module @__spv__many
// CHECK:         spirv.GlobalVariable @__push_constants : !spirv.ptr<!spirv.struct<(i32 [0], {{(i32 \[[0-9]+\], )+}}i32 [124])>, PushConstant>
// CHECK:         spirv.GlobalVariable @s32 bind(0, 32)
// VALID: @__spv__many: valid
spirv.module @__spv__many Logical GLSL450 requires #spirv.vce<v1.0, [Shader], [SPV_KHR_storage_buffer_storage_class]> {
  spirv.GlobalVariable @s0 bind(0, 0) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s1 bind(0, 1) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s2 bind(0, 2) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s3 bind(0, 3) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s4 bind(0, 4) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s5 bind(0, 5) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s6 bind(0, 6) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s7 bind(0, 7) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s8 bind(0, 8) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s9 bind(0, 9) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s10 bind(0, 10) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s11 bind(0, 11) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s12 bind(0, 12) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s13 bind(0, 13) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s14 bind(0, 14) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s15 bind(0, 15) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s16 bind(0, 16) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s17 bind(0, 17) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s18 bind(0, 18) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s19 bind(0, 19) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s20 bind(0, 20) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s21 bind(0, 21) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s22 bind(0, 22) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s23 bind(0, 23) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s24 bind(0, 24) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s25 bind(0, 25) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s26 bind(0, 26) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s27 bind(0, 27) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s28 bind(0, 28) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s29 bind(0, 29) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s30 bind(0, 30) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s31 bind(0, 31) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @s32 bind(0, 32) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
  spirv.GlobalVariable @out bind(0, 33) : !spirv.ptr<!spirv.struct<(!spirv.rtarray<i32, stride=4> [0])>, StorageBuffer>
  spirv.func @k() "None" {
    %c0 = spirv.Constant 0 : i32
    %a0 = spirv.mlir.addressof @s0 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p0 = spirv.AccessChain %a0[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v0 = spirv.Load "StorageBuffer" %p0 : i32
    %sum0 = spirv.IAdd %c0, %v0 : i32
    %a1 = spirv.mlir.addressof @s1 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p1 = spirv.AccessChain %a1[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v1 = spirv.Load "StorageBuffer" %p1 : i32
    %sum1 = spirv.IAdd %sum0, %v1 : i32
    %a2 = spirv.mlir.addressof @s2 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p2 = spirv.AccessChain %a2[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v2 = spirv.Load "StorageBuffer" %p2 : i32
    %sum2 = spirv.IAdd %sum1, %v2 : i32
    %a3 = spirv.mlir.addressof @s3 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p3 = spirv.AccessChain %a3[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v3 = spirv.Load "StorageBuffer" %p3 : i32
    %sum3 = spirv.IAdd %sum2, %v3 : i32
    %a4 = spirv.mlir.addressof @s4 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p4 = spirv.AccessChain %a4[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v4 = spirv.Load "StorageBuffer" %p4 : i32
    %sum4 = spirv.IAdd %sum3, %v4 : i32
    %a5 = spirv.mlir.addressof @s5 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p5 = spirv.AccessChain %a5[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v5 = spirv.Load "StorageBuffer" %p5 : i32
    %sum5 = spirv.IAdd %sum4, %v5 : i32
    %a6 = spirv.mlir.addressof @s6 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p6 = spirv.AccessChain %a6[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v6 = spirv.Load "StorageBuffer" %p6 : i32
    %sum6 = spirv.IAdd %sum5, %v6 : i32
    %a7 = spirv.mlir.addressof @s7 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p7 = spirv.AccessChain %a7[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v7 = spirv.Load "StorageBuffer" %p7 : i32
    %sum7 = spirv.IAdd %sum6, %v7 : i32
    %a8 = spirv.mlir.addressof @s8 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p8 = spirv.AccessChain %a8[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v8 = spirv.Load "StorageBuffer" %p8 : i32
    %sum8 = spirv.IAdd %sum7, %v8 : i32
    %a9 = spirv.mlir.addressof @s9 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p9 = spirv.AccessChain %a9[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v9 = spirv.Load "StorageBuffer" %p9 : i32
    %sum9 = spirv.IAdd %sum8, %v9 : i32
    %a10 = spirv.mlir.addressof @s10 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p10 = spirv.AccessChain %a10[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v10 = spirv.Load "StorageBuffer" %p10 : i32
    %sum10 = spirv.IAdd %sum9, %v10 : i32
    %a11 = spirv.mlir.addressof @s11 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p11 = spirv.AccessChain %a11[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v11 = spirv.Load "StorageBuffer" %p11 : i32
    %sum11 = spirv.IAdd %sum10, %v11 : i32
    %a12 = spirv.mlir.addressof @s12 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p12 = spirv.AccessChain %a12[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v12 = spirv.Load "StorageBuffer" %p12 : i32
    %sum12 = spirv.IAdd %sum11, %v12 : i32
    %a13 = spirv.mlir.addressof @s13 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p13 = spirv.AccessChain %a13[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v13 = spirv.Load "StorageBuffer" %p13 : i32
    %sum13 = spirv.IAdd %sum12, %v13 : i32
    %a14 = spirv.mlir.addressof @s14 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p14 = spirv.AccessChain %a14[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v14 = spirv.Load "StorageBuffer" %p14 : i32
    %sum14 = spirv.IAdd %sum13, %v14 : i32
    %a15 = spirv.mlir.addressof @s15 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p15 = spirv.AccessChain %a15[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v15 = spirv.Load "StorageBuffer" %p15 : i32
    %sum15 = spirv.IAdd %sum14, %v15 : i32
    %a16 = spirv.mlir.addressof @s16 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p16 = spirv.AccessChain %a16[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v16 = spirv.Load "StorageBuffer" %p16 : i32
    %sum16 = spirv.IAdd %sum15, %v16 : i32
    %a17 = spirv.mlir.addressof @s17 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p17 = spirv.AccessChain %a17[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v17 = spirv.Load "StorageBuffer" %p17 : i32
    %sum17 = spirv.IAdd %sum16, %v17 : i32
    %a18 = spirv.mlir.addressof @s18 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p18 = spirv.AccessChain %a18[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v18 = spirv.Load "StorageBuffer" %p18 : i32
    %sum18 = spirv.IAdd %sum17, %v18 : i32
    %a19 = spirv.mlir.addressof @s19 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p19 = spirv.AccessChain %a19[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v19 = spirv.Load "StorageBuffer" %p19 : i32
    %sum19 = spirv.IAdd %sum18, %v19 : i32
    %a20 = spirv.mlir.addressof @s20 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p20 = spirv.AccessChain %a20[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v20 = spirv.Load "StorageBuffer" %p20 : i32
    %sum20 = spirv.IAdd %sum19, %v20 : i32
    %a21 = spirv.mlir.addressof @s21 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p21 = spirv.AccessChain %a21[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v21 = spirv.Load "StorageBuffer" %p21 : i32
    %sum21 = spirv.IAdd %sum20, %v21 : i32
    %a22 = spirv.mlir.addressof @s22 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p22 = spirv.AccessChain %a22[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v22 = spirv.Load "StorageBuffer" %p22 : i32
    %sum22 = spirv.IAdd %sum21, %v22 : i32
    %a23 = spirv.mlir.addressof @s23 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p23 = spirv.AccessChain %a23[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v23 = spirv.Load "StorageBuffer" %p23 : i32
    %sum23 = spirv.IAdd %sum22, %v23 : i32
    %a24 = spirv.mlir.addressof @s24 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p24 = spirv.AccessChain %a24[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v24 = spirv.Load "StorageBuffer" %p24 : i32
    %sum24 = spirv.IAdd %sum23, %v24 : i32
    %a25 = spirv.mlir.addressof @s25 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p25 = spirv.AccessChain %a25[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v25 = spirv.Load "StorageBuffer" %p25 : i32
    %sum25 = spirv.IAdd %sum24, %v25 : i32
    %a26 = spirv.mlir.addressof @s26 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p26 = spirv.AccessChain %a26[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v26 = spirv.Load "StorageBuffer" %p26 : i32
    %sum26 = spirv.IAdd %sum25, %v26 : i32
    %a27 = spirv.mlir.addressof @s27 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p27 = spirv.AccessChain %a27[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v27 = spirv.Load "StorageBuffer" %p27 : i32
    %sum27 = spirv.IAdd %sum26, %v27 : i32
    %a28 = spirv.mlir.addressof @s28 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p28 = spirv.AccessChain %a28[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v28 = spirv.Load "StorageBuffer" %p28 : i32
    %sum28 = spirv.IAdd %sum27, %v28 : i32
    %a29 = spirv.mlir.addressof @s29 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p29 = spirv.AccessChain %a29[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v29 = spirv.Load "StorageBuffer" %p29 : i32
    %sum29 = spirv.IAdd %sum28, %v29 : i32
    %a30 = spirv.mlir.addressof @s30 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p30 = spirv.AccessChain %a30[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v30 = spirv.Load "StorageBuffer" %p30 : i32
    %sum30 = spirv.IAdd %sum29, %v30 : i32
    %a31 = spirv.mlir.addressof @s31 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p31 = spirv.AccessChain %a31[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v31 = spirv.Load "StorageBuffer" %p31 : i32
    %sum31 = spirv.IAdd %sum30, %v31 : i32
    %a32 = spirv.mlir.addressof @s32 : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %p32 = spirv.AccessChain %a32[%c0] : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>, i32 -> !spirv.ptr<i32, StorageBuffer>
    %v32 = spirv.Load "StorageBuffer" %p32 : i32
    %sum32 = spirv.IAdd %sum31, %v32 : i32
    %o = spirv.mlir.addressof @out : !spirv.ptr<!spirv.struct<(!spirv.rtarray<i32, stride=4> [0])>, StorageBuffer>
    %q = spirv.AccessChain %o[%c0, %c0] : !spirv.ptr<!spirv.struct<(!spirv.rtarray<i32, stride=4> [0])>, StorageBuffer>, i32, i32 -> !spirv.ptr<i32, StorageBuffer>
    spirv.Store "StorageBuffer" %q, %sum32 : i32
    spirv.Return
  }
  spirv.EntryPoint "GLCompute" @k
  spirv.ExecutionMode @k "LocalSize", 1, 1, 1
}
