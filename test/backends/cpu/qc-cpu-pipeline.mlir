// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-cpu-pipeline | FileCheck %s

// The whole CPU pipeline: qc ops and softmax disappear, the entry gets a C
// interface for the runtime, buffers come from the runtime's allocator, f32
// erf becomes a polynomial while f64 erf calls libm, and nothing is left
// outside the LLVM dialect.
// CHECK-LABEL: llvm.func @main(
// CHECK:         llvm.call @_mlir_memref_to_llvm_alloc
// CHECK-NOT:     llvm.call @erff
// CHECK:         llvm.call @erf(
// CHECK-LABEL: llvm.func @_mlir_ciface_main(
// CHECK-NOT:     func.func
// CHECK-NOT:     linalg.
// CHECK-NOT:     {{^ *(%[^ ]+ = )?qc\.}}
// CHECK-NOT:     _mlir_ciface_erff
func.func @main(%x: tensor<?x64xf32>, %w: tensor<64x8xf32>) -> tensor<?x8xf32> {
  %h = qc.matmul %x, %w : (tensor<?x64xf32>, tensor<64x8xf32>) -> tensor<?x8xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %h, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%d) : tensor<?x8xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.erf %a : f32
    %wide = arith.extf %a : f32 to f64
    %r64 = math.erf %wide : f64
    %n = arith.truncf %r64 : f64 to f32
    %s = arith.addf %r, %n : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  %y = linalg.softmax dimension(1) ins(%g : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A qc op no lowering handles yet stops the pipeline with its location.
func.func @main(%idx: tensor<4x4xi2>, %levels: tensor<4xf32>) -> tensor<4x4xf32> {
  // expected-error @below {{'qc.codebook_decode' op has no lowering in this pipeline}}
  %w = qc.codebook_decode %idx, %levels : (tensor<4x4xi2>, tensor<4xf32>) -> tensor<4x4xf32>
  return %w : tensor<4x4xf32>
}

// -----

// Outside calibration builds an observer is the identity.
// CHECK-LABEL: llvm.func @observed(
// CHECK-NOT:     quantc_observe
func.func @observed(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.observe %x {name = "x"} : tensor<4xf32>
  return %y : tensor<4xf32>
}
