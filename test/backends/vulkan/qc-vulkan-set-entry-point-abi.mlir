// RUN: quant-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(gpu.module(qc-vulkan-set-entry-point-abi))' | FileCheck %s

// A kernel's known_block_size becomes its SPIR-V entry point ABI; device
// functions that are not kernels are left alone.
// CHECK-LABEL: gpu.module @kernels
// CHECK:         gpu.func @k(%{{.*}}: memref<4xf32>) kernel attributes {known_block_size = array<i32: 16, 8, 1>, spirv.entry_point_abi = #spirv.entry_point_abi<workgroup_size = [16, 8, 1]>}
// CHECK:         gpu.func @helper() {
gpu.module @kernels {
  gpu.func @k(%a: memref<4xf32>) kernel attributes {known_block_size = array<i32: 16, 8, 1>} {
    gpu.return
  }
  gpu.func @helper() {
    gpu.return
  }
}

// -----

// The module's SPIR-V target also becomes its spirv.target_env attribute,
// where the math-to-SPIR-V patterns look for it.
// CHECK-LABEL: gpu.module @targeted
// CHECK-SAME:    attributes {spirv.target_env = #spirv.target_env<#spirv.vce<v1.3, [Shader, Float64], []>, api=Vulkan, #spirv.resource_limits<>>}
gpu.module @targeted [#spirv.target_env<#spirv.vce<v1.3, [Shader, Float64], []>, api=Vulkan, #spirv.resource_limits<>>] {
  gpu.func @k(%a: memref<4xf64>) kernel attributes {known_block_size = array<i32: 4, 1, 1>} {
    gpu.return
  }
}

// -----

gpu.module @unsized {
  // expected-error @below {{kernel has no known_block_size to take its workgroup size from}}
  gpu.func @k(%a: memref<4xf32>) kernel {
    gpu.return
  }
}
