// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-check-outlined | FileCheck %s

// A host function that only launches kernels passes.
// CHECK-LABEL: func.func @launches_only(
// CHECK:         gpu.launch_func @kernels::@k
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @launches_only(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}

// -----

// A loop left on the host is an error at the loop.
func.func @host_loop(%a: memref<16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %z = arith.constant 0.0 : f32
  // expected-error @below {{was not mapped to a GPU kernel: a Vulkan artifact cannot run loops on the host}}
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) {
    memref.store %z, %a[%i, %j] : memref<16x8xf32>
  }
  return
}
