func.func @main(%x: tensor<?x2xf32> {onnx.name = "x"}) -> (tensor<?x2xf32> {onnx.name = "y"}) {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("fc")
  return %y : tensor<?x2xf32>
}
