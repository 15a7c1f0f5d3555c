// A qc op the CPU pipeline has no lowering for (observers are issue 4's).
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 1.0 : f32
  %y = qc.observe %x {name = "x"} : tensor<4xf32>
  return %y : tensor<4xf32>
}
