// A W4A16 linear layer with a low-rank correction, in the qc dialect.
!w4 = !quant.uniform<i4:f32:1, {0.05, 0.04}>
func.func @linear(%x: tensor<?x8xf32>, %w: tensor<8x2x!w4>, %a: tensor<8x2xf32>, %b: tensor<2x2xf32>) -> tensor<?x2xf32> {
  %x0 = qc.observe %x {name = "linear.input"} : tensor<?x8xf32>
  %y = qc.quantized_matmul %x0, %w low_rank(%a, %b) : (tensor<?x8xf32>, tensor<8x2x!w4>, tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
