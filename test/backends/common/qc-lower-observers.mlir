// RUN: quant-opt %s --split-input-file --qc-lower-observers | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-lower-observers=instrument=true | FileCheck %s --check-prefix=INSTRUMENT

// Without instrumentation an observer is the identity.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:.*]]: tensor<2x?xf32>
// CHECK-NOT:     qc.observe
// CHECK:         %[[E:.*]] = math.exp %[[X]]
// CHECK:         return %[[E]]
// A calibration build reports each observer, by index, through
// quantc_observe; the names go to the module.
// INSTRUMENT:      module attributes {qc.observers = ["a.input", "b.input"]}
// INSTRUMENT:        func.func private @quantc_observe(i64, tensor<*xf32> {bufferization.access = "read"})
// INSTRUMENT-LABEL:  func.func @main(
// INSTRUMENT:          %[[ID0:.*]] = arith.constant 0 : i64
// INSTRUMENT:          %[[U0:.*]] = tensor.cast %arg0 : tensor<2x?xf32> to tensor<*xf32>
// INSTRUMENT:          call @quantc_observe(%[[ID0]], %[[U0]])
// INSTRUMENT:          %[[E:.*]] = math.exp %arg0
// INSTRUMENT:          %[[ID1:.*]] = arith.constant 1 : i64
// INSTRUMENT:          call @quantc_observe(%[[ID1]], %{{.*}})
// INSTRUMENT:          return %[[E]]
func.func @main(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %a = qc.observe %x {name = "a.input"} : tensor<2x?xf32>
  %e = math.exp %a : tensor<2x?xf32>
  %b = qc.observe %e {name = "b.input"} : tensor<2x?xf32>
  return %b : tensor<2x?xf32>
}

// -----

// Calibration reads f32 tensors only.
func.func @half(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @below {{calibration observes f32 tensors only, got 'f16'}}
  %a = qc.observe %x {name = "h.input"} : tensor<4xf16>
  return %a : tensor<4xf16>
}

// -----

// Observers sharing a name (a layer's copies in both branches of an If)
// report through one index; the name is listed once.
// INSTRUMENT:      module attributes {qc.observers = ["fc.input"]}
// INSTRUMENT-LABEL:  func.func @main(
// INSTRUMENT:          scf.if
// INSTRUMENT:            %[[A:.*]] = arith.constant 0 : i64
// INSTRUMENT:            call @quantc_observe(%[[A]],
// INSTRUMENT:          } else {
// INSTRUMENT:            %[[B:.*]] = arith.constant 0 : i64
// INSTRUMENT:            call @quantc_observe(%[[B]],
func.func @main(%c: i1, %x: tensor<3xf32>, %y: tensor<2x3xf32>) -> f32 {
  %r = scf.if %c -> (f32) {
    %a = qc.observe %x {name = "fc.input"} : tensor<3xf32>
    %i = arith.constant 0 : index
    %e = tensor.extract %a[%i] : tensor<3xf32>
    scf.yield %e : f32
  } else {
    %b = qc.observe %y {name = "fc.input"} : tensor<2x3xf32>
    %i = arith.constant 0 : index
    %e = tensor.extract %b[%i, %i] : tensor<2x3xf32>
    scf.yield %e : f32
  }
  return %r : f32
}
