// x * W with a constant weight: one observer (x) for calibration.
func.func @main(%x: tensor<?x3xf32> {onnx.name = "x", onnx.dtype = "float"})
    -> (tensor<?x2xf32> {onnx.name = "y", onnx.dtype = "float"}) {
  %w = arith.constant dense<[[1.0, -2.0], [0.5, 0.25], [-1.0, 3.0]]> : tensor<3x2xf32>
  %y = qc.matmul %x, %w : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32> loc("fc")
  return %y : tensor<?x2xf32>
}
