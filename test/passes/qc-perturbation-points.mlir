// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-perturbation-points | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-perturbation-points="activations=true" | FileCheck %s --check-prefix=NOISE

// The constant weight becomes the last argument, named after the node; a
// weight that is already an input, or a product of two activations, is
// left as it is.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %[[X:.*]]: tensor<?x2xf32> {onnx.name = "x"}, %[[B:.*]]: tensor<2x?xf32> {onnx.name = "b"}, %[[W:.*]]: tensor<2x3xf32> {onnx.name = "fc.weight"})
// CHECK-NOT:     arith.constant dense
// CHECK:         qc.matmul %[[X]], %[[W]]
// CHECK:         qc.matmul %[[X]], %[[B]]
// With activations=true the product reads x + sigma * noise, whose
// parameters (sigma, kind, seed) are another argument; the noise hashes
// the element's linear index (murmur3's finalizer) and picks uniform,
// Gaussian or Laplace by kind.
// NOISE-LABEL: func.func @main(
// NOISE-SAME:      %[[X:.*]]: tensor<?x2xf32> {onnx.name = "x"}, %{{.*}}: tensor<2x?xf32> {onnx.name = "b"}, %[[W:.*]]: tensor<2x3xf32> {onnx.name = "fc.weight"}, %[[P:.*]]: tensor<3xf32> {onnx.name = "fc.input.noise"})
// NOISE:         %[[SIGMA:.*]] = tensor.extract %[[P]][%c0]
// NOISE:         %[[N:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<?x2xf32>)
// NOISE:           linalg.index 0
// NOISE:           arith.muli %{{.*}}, %c-2048144789_i32 : i32
// NOISE:           math.log
// NOISE:           math.cos
// NOISE:           %[[S:.*]] = arith.mulf %[[SIGMA]], %{{.*}} : f32
// NOISE:           arith.addf %{{.*}}, %[[S]] : f32
// NOISE:         qc.matmul %[[N]], %[[W]]
func.func @main(%x: tensor<?x2xf32> {onnx.name = "x"}, %b: tensor<2x?xf32> {onnx.name = "b"}) -> (tensor<?x3xf32>, tensor<?x?xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %y = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32> loc("fc")
  %z = qc.matmul %x, %b : (tensor<?x2xf32>, tensor<2x?xf32>) -> tensor<?x?xf32> loc("scores")
  return %y, %z : tensor<?x3xf32>, tensor<?x?xf32>
}

// -----

// The copies of a layer in both branches of an If (the importer's rank
// split) read one weight input and one noise input: the layer is perturbed
// whichever branch runs.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %[[W:[^:]*]]: tensor<3x8xf32> {onnx.name = "fc.weight"})
// CHECK:         scf.if
// CHECK:           qc.matmul %{{.*}}, %[[W]] : (tensor<1x3xf32>
// CHECK:         } else {
// CHECK:           qc.matmul %{{.*}}, %[[W]] : (tensor<?x3xf32>
// NOISE-LABEL: func.func @main(
// NOISE-SAME:      {onnx.name = "fc.weight"}, %{{[^:]*}}: tensor<3xf32> {onnx.name = "fc.input.noise"})
// NOISE-NOT:       onnx.name = "fc.input.noise"
func.func @main(%c: i1, %x: tensor<?x3xf32>, %v: tensor<1x3xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x8xf32>
  %r = scf.if %c -> (tensor<?x8xf32>) {
    %y = qc.matmul %v, %w : (tensor<1x3xf32>, tensor<3x8xf32>) -> tensor<1x8xf32> loc("fc"("onnx-node-copy":7:0))
    %d = tensor.cast %y : tensor<1x8xf32> to tensor<?x8xf32>
    scf.yield %d : tensor<?x8xf32>
  } else {
    %y = qc.matmul %x, %w : (tensor<?x3xf32>, tensor<3x8xf32>) -> tensor<?x8xf32> loc("fc"("onnx-node-copy":7:0))
    scf.yield %y : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}

// -----

// An input already named like the new one is an error (a product without
// a node name is named after its position: matmul0).
func.func @main(%x: tensor<?x2xf32> {onnx.name = "matmul0.weight"}) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<2x3xf32>
  // expected-error @below {{perturbation input name 'matmul0.weight' is already used}}
  %y = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// expected-error @below {{qc-perturbation-points: the module has no func.func @main}}
module {
  func.func @other(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}
