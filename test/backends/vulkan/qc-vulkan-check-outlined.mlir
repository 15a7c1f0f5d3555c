// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-vulkan-check-outlined | FileCheck %s
// RUN: not quant-opt %S/Inputs/ragged-elementwise.mlir --qc-vulkan-pipeline 2>&1 | FileCheck %s --check-prefix=PIPELINE

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

// The pipeline used to leave a 16 x 8 nest on the host silently (its tiled
// bound is an affine.min over an unfolded product); now it says so.
// PIPELINE: ragged-elementwise.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'scf.parallel' op was not mapped to a GPU kernel
