// x + y with a dynamic leading dimension, named as the importer names
// boundary values.
func.func @main(%x: tensor<?x3xf32> {onnx.name = "x", onnx.dtype = "float"},
                %y: tensor<?x3xf32> {onnx.name = "y", onnx.dtype = "float"})
    -> (tensor<?x3xf32> {onnx.name = "sum", onnx.dtype = "float"}) {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%d) : tensor<?x3xf32>
  %s = linalg.add ins(%x, %y : tensor<?x3xf32>, tensor<?x3xf32>) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %s : tensor<?x3xf32>
}
