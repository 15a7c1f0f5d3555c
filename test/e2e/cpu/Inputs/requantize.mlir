// W8A8 with an int8 output: x quantized statically (scale 1/16, zero point
// 3), per-channel int8 weights (scales 1/2, 1/4), the i32 accumulator
// requantized to scale 1/8, zero point -2, then dequantized for the caller.
func.func @main(%x: tensor<?x4xf32> {onnx.name = "x", onnx.dtype = "float"})
    -> (tensor<?x2xf32> {onnx.name = "y", onnx.dtype = "float"}) {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  %q = quant.qcast %x : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.0625:3>>
  %y = qc.quantized_matmul %q, %w : (tensor<?x4x!quant.uniform<i8:f32, 0.0625:3>>, tensor<4x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>) -> tensor<?x2x!quant.uniform<i8:f32, 0.125:-2>>
  %f = quant.dcast %y : tensor<?x2x!quant.uniform<i8:f32, 0.125:-2>> to tensor<?x2xf32>
  return %f : tensor<?x2xf32>
}
