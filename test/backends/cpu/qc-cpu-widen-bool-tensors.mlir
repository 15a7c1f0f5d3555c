// RUN: quant-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(qc-cpu-widen-bool-tensors))' | FileCheck %s

// A mask computed once and read by a select through a view: produced as
// i8, truncated back in the reader; the values are the same.
// CHECK-LABEL: func.func @mask(
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x4xi8>
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} outs(%[[E]] : tensor<4x4xi8>)
// CHECK:           %[[C:.*]] = arith.cmpi sgt
// CHECK:           %[[W:.*]] = arith.extui %[[C]] : i1 to i8
// CHECK:           linalg.yield %[[W]] : i8
// CHECK:         } -> tensor<4x4xi8>
// CHECK:         %[[V:.*]] = tensor.expand_shape %[[M]] {{.*}} : tensor<4x4xi8> into tensor<1x4x4xi8>
// CHECK:         linalg.generic {{.*}} ins(%[[V]], %{{.*}} : tensor<1x4x4xi8>, tensor<1x4x4xf32>)
// CHECK:         ^bb0(%[[B:.*]]: i8, %[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[T:.*]] = arith.trunci %[[B]] : i8 to i1
// CHECK:           arith.select %[[T]], %{{.*}}, %[[X]] : f32
#id2 = affine_map<(i, j) -> (i, j)>
#id3 = affine_map<(b, i, j) -> (b, i, j)>
func.func @mask(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %e = tensor.empty() : tensor<4x4xi1>
  %m = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<4x4xi1>) {
  ^bb0(%o: i1):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c = arith.cmpi sgt, %j, %i : index
    linalg.yield %c : i1
  } -> tensor<4x4xi1>
  %v = tensor.expand_shape %m [[0, 1], [2]] output_shape [1, 4, 4] : tensor<4x4xi1> into tensor<1x4x4xi1>
  %f = tensor.empty() : tensor<1x4x4xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v, %x : tensor<1x4x4xi1>, tensor<1x4x4xf32>) outs(%f : tensor<1x4x4xf32>) {
  ^bb0(%b: i1, %a: f32, %o: f32):
    %ninf = arith.constant 0xFF800000 : f32
    %s = arith.select %b, %ninf, %a : f32
    linalg.yield %s : f32
  } -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// Negative cases, left as i1 without a diagnostic (--verify-diagnostics
// fails on any): a result the function returns (its type is the caller's),
// and a result read as another op's init.
// CHECK-LABEL: func.func @kept(
// CHECK-NOT:     i8
// CHECK:         return {{.*}} : tensor<4xi1>, tensor<4xi1>
#id1 = affine_map<(i) -> (i)>
func.func @kept(%x: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>) {
  %e = tensor.empty() : tensor<4xi1>
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xi1>) {
  ^bb0(%a: f32, %o: i1):
    %z = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %a, %z : f32
    linalg.yield %c : i1
  } -> tensor<4xi1>
  %e2 = tensor.empty() : tensor<4xi1>
  %s = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e2 : tensor<4xi1>) {
  ^bb0(%a: f32, %o: i1):
    %z = arith.constant 1.0 : f32
    %c = arith.cmpf olt, %a, %z : f32
    linalg.yield %c : i1
  } -> tensor<4xi1>
  %t = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%s : tensor<4xi1>) {
  ^bb0(%a: f32, %o: i1):
    %n = arith.xori %o, %o : i1
    linalg.yield %n : i1
  } -> tensor<4xi1>
  return %r, %t : tensor<4xi1>, tensor<4xi1>
}

// -----

// A view of the mask that another kind of op also reads keeps it i1.
// CHECK-LABEL: func.func @view_with_other_user(
// CHECK-NOT:     i8
// CHECK:         tensor.extract {{.*}} : tensor<1x4xi1>
#id1 = affine_map<(i) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
func.func @view_with_other_user(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, i1) {
  %e = tensor.empty() : tensor<4xi1>
  %m = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e : tensor<4xi1>) {
  ^bb0(%o: i1):
    %i = linalg.index 0 : index
    %c2 = arith.constant 2 : index
    %c = arith.cmpi sgt, %i, %c2 : index
    linalg.yield %c : i1
  } -> tensor<4xi1>
  %v = tensor.expand_shape %m [[0, 1]] output_shape [1, 4] : tensor<4xi1> into tensor<1x4xi1>
  %f = tensor.empty() : tensor<1x4xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%v, %x : tensor<1x4xi1>, tensor<1x4xf32>) outs(%f : tensor<1x4xf32>) {
  ^bb0(%b: i1, %a: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %s = arith.select %b, %z, %a : f32
    linalg.yield %s : f32
  } -> tensor<1x4xf32>
  %c0 = arith.constant 0 : index
  %one = tensor.extract %v[%c0, %c0] : tensor<1x4xi1>
  return %y, %one : tensor<1x4xf32>, i1
}

