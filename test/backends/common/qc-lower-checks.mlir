// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-lower-checks | FileCheck %s

// Each qc.assume_equal becomes a comparison of its sizes and, when they
// differ, a call to quantc_check_failed with the check's index and both
// sizes; the messages go to the module by index, named after the ONNX node
// of the op's location.
// CHECK:      module attributes {qc.checks = ["node 'add_node': broadcast dimension 0: sizes {0} and {1} differ", "node 'mul_node': broadcast dimension 1: sizes {0} and {1} differ"]}
// CHECK:        func.func private @quantc_check_failed(i64, i64, i64)
// CHECK-LABEL:  func.func @main(
// CHECK-SAME:     %[[N:.*]]: index, %[[M:.*]]: index, %[[K:.*]]: index
// CHECK:          %[[NE0:.*]] = arith.cmpi ne, %[[N]], %[[M]] : index
// CHECK:          scf.if %[[NE0]] {
// CHECK:            %[[ID0:.*]] = arith.constant 0 : i64
// CHECK:            %[[A0:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:            %[[B0:.*]] = arith.index_cast %[[M]] : index to i64
// CHECK:            func.call @quantc_check_failed(%[[ID0]], %[[A0]], %[[B0]]) : (i64, i64, i64) -> ()
// CHECK:          }
// CHECK:          %[[NE1:.*]] = arith.cmpi ne, %[[M]], %[[K]] : index
// CHECK:          scf.if %[[NE1]] {
// CHECK:            arith.constant 1 : i64
// CHECK-NOT:      qc.assume_equal
func.func @main(%n: index, %m: index, %k: index) {
  qc.assume_equal %n, %m {what = "broadcast dimension 0"} loc("add_node")
  qc.assume_equal %m, %k {what = "broadcast dimension 1"} loc(fused["mul_node", "x.onnx":1:1])
  return
}

// -----

// A module that already defines the callee is refused rather than
// called into.
// expected-error @below {{the module already defines @quantc_check_failed}}
module {
  func.func private @quantc_check_failed(i64, i64, i64)
  func.func @main(%n: index, %m: index) {
    qc.assume_equal %n, %m {what = "broadcast dimension 0"}
    return
  }
}

// -----

// A buffer sized at run time: each dynamic size is checked against 2^46
// bytes over the bytes before it (unsigned, so a negative size fails too):
// 4-byte elements times the static 3 give 12 bytes, so %n may be at most
// 2^46 / 12; then %n x 12 (at least 1) bounds %m. The message names the
// node of the tensor.empty.
// CHECK:      module attributes {qc.checks = ["node 'fill': a tensor size of {0} is negative or makes its buffer larger than 2^46 bytes (at most {1} here)"]}
// CHECK-LABEL:  func.func @buffer(
// CHECK-SAME:     %[[N:.*]]: index, %[[M:.*]]: index
// CHECK-DAG:      %[[LIMIT:.*]] = arith.constant 70368744177664 : index
// CHECK-DAG:      %[[TWELVE:.*]] = arith.constant 12 : index
// CHECK-DAG:      %[[ONE:.*]] = arith.constant 1 : index
// CHECK:          %[[MOST0:.*]] = arith.divui %[[LIMIT]], %[[TWELVE]] : index
// CHECK:          %[[OVER0:.*]] = arith.cmpi ugt, %[[N]], %[[MOST0]] : index
// CHECK:          scf.if %[[OVER0]] {
// CHECK:            func.call @quantc_check_failed
// CHECK:          %[[PRODUCT:.*]] = arith.muli %[[TWELVE]], %[[N]] : index
// CHECK:          %[[ACC:.*]] = arith.maxui %[[PRODUCT]], %[[ONE]] : index
// CHECK:          %[[MOST1:.*]] = arith.divui %[[LIMIT]], %[[ACC]] : index
// CHECK:          arith.cmpi ugt, %[[M]], %[[MOST1]] : index
// CHECK:          tensor.empty(%[[N]], %[[M]]) : tensor<?x3x?xf32>
func.func @buffer(%n: index, %m: index) -> tensor<?x3x?xf32> {
  %e = tensor.empty(%n, %m) : tensor<?x3x?xf32> loc("fill")
  return %e : tensor<?x3x?xf32>
}

// -----

// qc.assume_in_range: the index must lie in [-size, size); either side
// failing calls quantc_check_failed with the index and the size.
// CHECK:      module attributes {qc.checks = ["node 'gather': indices: index {0} is out of range for a dimension of size {1}"]}
// CHECK-LABEL:  func.func @range(
// CHECK-SAME:     %[[I:.*]]: index, %[[S:.*]]: index
// CHECK:          %[[ZERO:.*]] = arith.constant 0 : index
// CHECK:          %[[NEG:.*]] = arith.subi %[[ZERO]], %[[S]] : index
// CHECK:          %[[BELOW:.*]] = arith.cmpi slt, %[[I]], %[[NEG]] : index
// CHECK:          %[[ABOVE:.*]] = arith.cmpi sge, %[[I]], %[[S]] : index
// CHECK:          %[[OUT:.*]] = arith.ori %[[BELOW]], %[[ABOVE]] : i1
// CHECK:          scf.if %[[OUT]] {
// CHECK:            %[[ID:.*]] = arith.constant 0 : i64
// CHECK:            %[[A:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:            %[[B:.*]] = arith.index_cast %[[S]] : index to i64
// CHECK:            func.call @quantc_check_failed(%[[ID]], %[[A]], %[[B]])
// CHECK-NOT:      qc.assume_in_range
func.func @range(%i: index, %s: index) {
  qc.assume_in_range %i, %s {what = "indices"} loc("gather")
  return
}
