// A 2-D convolution with constant weights (stride 2, padding 1, bias), for
// quantized convolutions: input [1, 2, 5, 5], weight [3, 2, 3, 3].
func.func @main(%x: tensor<1x2x5x5xf32> {onnx.name = "x", onnx.dtype = "float"})
    -> (tensor<1x3x3x3xf32> {onnx.name = "y", onnx.dtype = "float"}) {
  %w = arith.constant dense<[[[[1.624, -0.612, -0.528],   [-1.073, 0.865, -2.302],   [1.745, -0.761, 0.319]],  [[-0.249, 1.462, -2.06],   [-0.322, -0.384, 1.134],   [-1.1, -0.172, -0.878]]], [[[0.042, 0.583, -1.101],   [1.145, 0.902, 0.502],   [0.901, -0.684, -0.123]],  [[-0.936, -0.268, 0.53],   [-0.692, -0.397, -0.687],   [-0.845, -0.671, -0.013]]], [[[-1.117, 0.234, 1.66],   [0.742, -0.192, -0.888],   [-0.747, 1.692, 0.051]],  [[-0.637, 0.191, 2.1],   [0.12, 0.617, 0.3],   [-0.352, -1.143, -0.349]]]]> : tensor<3x2x3x3xf32>
  %b = arith.constant dense<[-0.209, 0.587, 0.839]> : tensor<3xf32>
  %y = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}
