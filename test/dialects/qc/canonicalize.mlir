// RUN: quant-opt %s --split-input-file --canonicalize | FileCheck %s

// beta = 0 makes c dead: the gemm loses its third operand.
// CHECK-LABEL: func.func @gemm_zero_beta_drops_c(
// CHECK:         qc.gemm %{{[^,]*}}, %{{[^,]*}} {alpha = 2.000000e+00 : f32, beta = 0.000000e+00 : f32} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
func.func @gemm_zero_beta_drops_c(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = qc.gemm %a, %b, %c {alpha = 2.0 : f32, beta = 0.0 : f32} : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A gemm that only multiplies is a matmul (after its dead c is dropped).
// CHECK-LABEL: func.func @plain_gemm_is_matmul(
// CHECK-SAME:    %[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x16xf32>
// CHECK:         qc.matmul %[[A]], %[[B]] : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
// CHECK-NOT:     qc.gemm
func.func @plain_gemm_is_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = qc.gemm %a, %b, %c {beta = 0.0 : f32} : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A transposed operand keeps the gemm.
// CHECK-LABEL: func.func @transposed_gemm_stays(
// CHECK:         qc.gemm %{{.*}}, %{{.*}} {trans_b = true}
func.func @transposed_gemm_stays(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %0 = qc.gemm %a, %b {trans_b = true} : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A non-zero beta keeps c.
// CHECK-LABEL: func.func @gemm_keeps_c(
// CHECK:         qc.gemm %{{.*}}, %{{.*}}, %{{.*}} {beta = 5.000000e-01 : f32}
func.func @gemm_keeps_c(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = qc.gemm %a, %b, %c {beta = 0.5 : f32} : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// An observer is kept even when its result is unused: it records statistics.
// CHECK-LABEL: func.func @observe_is_not_dead(
// CHECK:         qc.observe
func.func @observe_is_not_dead(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

// Pure graph ops without users disappear.
// CHECK-LABEL: func.func @dead_matmul(
// CHECK-NOT:     qc.matmul
func.func @dead_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %0 = qc.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %a : tensor<4x8xf32>
}

// -----

// A size check on one value, or on two equal constants, cannot fail and
// goes; one on two different values stays (it writes the run's status).
// CHECK-LABEL: func.func @assume_equal(
// CHECK-SAME:    %[[N:.*]]: index, %[[M:.*]]: index
// CHECK-NEXT:    qc.assume_equal %[[N]], %[[M]] {what = "kept"}
// CHECK-NEXT:    return
func.func @assume_equal(%n: index, %m: index) {
  %c4 = arith.constant 4 : index
  %c4b = arith.constant 4 : index
  qc.assume_equal %n, %n {what = "same value"}
  qc.assume_equal %c4, %c4b {what = "equal constants"}
  qc.assume_equal %n, %m {what = "kept"}
  return
}

// -----

// An index check on constants that satisfy it goes; one they violate, or
// on a run-time value, stays.
// CHECK-LABEL: func.func @assume_in_range(
// CHECK-SAME:    %[[I:.*]]: index
// CHECK-DAG:     %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[CM5:.*]] = arith.constant -5 : index
// CHECK:         qc.assume_in_range %[[C4]], %[[C4]] {what = "too large"}
// CHECK-NEXT:    qc.assume_in_range %[[CM5]], %[[C4]] {what = "too small"}
// CHECK-NEXT:    qc.assume_in_range %[[I]], %[[C4]] {what = "unknown"}
// CHECK-NEXT:    return
func.func @assume_in_range(%i: index) {
  %c4 = arith.constant 4 : index
  %cm4 = arith.constant -4 : index
  %c3 = arith.constant 3 : index
  %cm5 = arith.constant -5 : index
  qc.assume_in_range %cm4, %c4 {what = "smallest"}
  qc.assume_in_range %c3, %c4 {what = "largest"}
  qc.assume_in_range %c4, %c4 {what = "too large"}
  qc.assume_in_range %cm5, %c4 {what = "too small"}
  qc.assume_in_range %i, %c4 {what = "unknown"}
  return
}
