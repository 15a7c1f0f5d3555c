// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-approximate-math | FileCheck %s

// f32 exp and erf become arithmetic: no libm call remains.
// CHECK-LABEL: func.func @f32_math(
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.erf
// CHECK:         arith.mulf
// CHECK:         return
func.func @f32_math(%x: f32) -> (f32, f32) {
  %e = math.exp %x : f32
  %r = math.erf %x : f32
  return %e, %r : f32, f32
}

// -----

// f64 keeps the math op (libm later): the approximations are f32 only. The
// pass has no failure mode, so no case expects an error.
// CHECK-LABEL: func.func @f64_exp_kept(
// CHECK:         math.exp %{{.*}} : f64
func.func @f64_exp_kept(%x: f64) -> f64 {
  %e = math.exp %x : f64
  return %e : f64
}
