// A qc op the CPU pipeline has no lowering for yet (non-uniform codebooks).
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %idx = arith.constant dense<1> : tensor<4x4xi2>
  %levels = arith.constant dense<0.5> : tensor<4xf32>
  %w = qc.codebook_decode %idx, %levels : (tensor<4x4xi2>, tensor<4xf32>) -> tensor<4x4xf32>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
