// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-lower-quantized | FileCheck %s

// W4, per channel, float activations: the codes are repacked two per byte
// along K (column 0: (1, 0) -> 0x01, (-7, 4) -> 0x49; column 1: (-3, 2) ->
// 0x2D, (0, 7) -> 0x70) and unpacked inside one generic that accumulates
// x * s * q in f32.
// CHECK-LABEL: func.func @w4_per_channel(
// CHECK-DAG:     %[[PLANE:.*]] = arith.constant dense<{{\[\[\[}}1, 45], [73, 112]]]> : tensor<1x2x2xi8>
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 5.000000e-01]]> : tensor<1x2xf32>
// CHECK:         %[[X:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, 1, 2, 2] : tensor<?x1x4xf32> into tensor<?x1x2x2xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel"]} ins(%[[X]], %[[PLANE]], %[[SCALE]] : tensor<?x1x2x2xf32>, tensor<1x2x2xi8>, tensor<1x2xf32>)
// CHECK:           arith.extui %{{.*}} : i8 to i32
// CHECK:           linalg.index 3
// CHECK:           arith.shli
// CHECK:           arith.shrsi
// CHECK:           arith.sitofp
// CHECK-NOT:     quant.
func.func @w4_per_channel(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// W3, groups of 2 rows, K = 3 (ragged: the weight carries a padding row):
// eight codes per 3-byte word, so three planes; f16 group scales. The
// activation is padded to whole groups (3 -> 4) and words (2 -> 8 per group).
// CHECK-LABEL: func.func @w3_groups(
// CHECK-DAG:     %[[P0:.*]] = arith.constant dense<{{\[\[\[}}1, 21]], {{\[\[}}4, 3]]]> : tensor<2x1x2xi8>
// CHECK-DAG:     %[[S:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 5.000000e-01], [2.000000e+00, 2.500000e-01]]> : tensor<2x2xf16>
// CHECK:         tensor.pad %{{.*}} low[0, 0] high[0, 1]
// CHECK:         tensor.pad %{{.*}} low[0, 0, 0] high[0, 0, 6]
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[P0]], %{{.*}}, %{{.*}}, %[[S]] : tensor<?x2x1x8xf32>, tensor<2x1x2xi8>, tensor<2x1x2xi8>, tensor<2x1x2xi8>, tensor<2x2xf16>)
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK:         tensor.expand_shape %{{.*}} output_shape [1, %{{.*}}, 2] : tensor<?x2xf32> into tensor<1x?x2xf32>
func.func @w3_groups(%x: tensor<1x?x3xf32>) -> tensor<1x?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-4, 3], [0, 0]]> : tensor<4x2xi3>
  %w = quant.scast %c : tensor<4x2xi3> to tensor<4x2x!quant.uniform<i3:f32:{0:2,1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>
  %y = qc.quantized_matmul %x, %w : (tensor<1x?x3xf32>, tensor<4x2x!quant.uniform<i3:f32:{0:2,1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// W8A8 with per-token activations: max|x| per row, scale max / 127 (1 for
// an all-zero row), codes rounded half to even and saturated; then
// i8 x i8 -> i32 and one epilogue with both scales.
// CHECK-LABEL: func.func @w8a8_dynamic(
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           math.absf
// CHECK:           arith.maximumf
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[MAX]] : tensor<?xf32>)
// CHECK:           arith.constant 1.270000e+02 : f32
// CHECK:           arith.select
// CHECK:         %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[S]] : tensor<?x4xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?x4xi8>)
// CHECK:           math.roundeven
// CHECK:           arith.fptosi %{{.*}} : f32 to i8
// CHECK:         %[[ACC:.*]] = linalg.matmul ins(%[[Q]], %{{.*}} : tensor<?x4xi8>, tensor<4x2xi8>) outs(%{{.*}} : tensor<?x2xi32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x1x2xi32>, tensor<1x2xf32>, tensor<?xf32>)
func.func @w8a8_dynamic(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
  %y = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// W8A8 with a static asymmetric activation (scale 0.25, zero point -5):
// the zero point is folded out with the weight's column sums
// (1 + 0 - 7 + 4 = -2, -3 + 2 + 0 + 7 = 6): acc - (-5) * colsum.
// CHECK-LABEL: func.func @w8a8_static(
// CHECK:         linalg.generic
// CHECK:           arith.constant 2.500000e-01 : f32
// CHECK:           math.roundeven
// CHECK:           arith.constant -5.000000e+00 : f32
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x4xi8>, tensor<4x2xi8>)
// CHECK:         %[[SUMS:.*]] = arith.constant dense<{{\[\[}}-2, 6]]> : tensor<1x2xi32>
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[SUMS]] : tensor<?x1x2xi32>, tensor<1x2xf32>, tensor<1x2xi32>)
// CHECK:           arith.constant -5 : i32
// CHECK:           arith.muli
// CHECK:           arith.subi
func.func @w8a8_static(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %q = quant.qcast %x : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.25:-5>>
  %y = qc.quantized_matmul %q, %w : (tensor<?x4x!quant.uniform<i8:f32, 0.25:-5>>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A batched static activation: the result's leading sizes come from the
// float activation, so nothing reads the quantized value after lowering.
// CHECK-LABEL: func.func @w8a8_static_batched(
// CHECK:         %[[DIM:.*]] = tensor.dim %arg0, %c1 : tensor<1x?x4xf32>
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [1, %[[DIM]], 2] : tensor<?x2xf32> into tensor<1x?x2xf32>
// CHECK-NOT:     quant.
func.func @w8a8_static_batched(%x: tensor<1x?x4xf32>) -> tensor<1x?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  %q = quant.qcast %x : tensor<1x?x4xf32> to tensor<1x?x4x!quant.uniform<i8:f32, 0.25:-5>>
  %y = qc.quantized_matmul %q, %w : (tensor<1x?x4x!quant.uniform<i8:f32, 0.25:-5>>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// W4A8 per group: the integer product is kept per group (acc[m, g, n]) and
// the epilogue sums the groups with their scales.
// CHECK-LABEL: func.func @w4a8_groups(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel"]} {{.*}} outs(%{{.*}} : tensor<?x2x2xi32>)
// CHECK:           arith.extsi %{{.*}} : i8 to i32
// CHECK:           arith.muli
// CHECK:           arith.addi
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2xi32>, tensor<2x2xf16>, tensor<?xf32>)
func.func @w4a8_groups(%x: tensor<?x4xi8>, %s: tensor<?x1xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>
  %y = qc.quantized_matmul %x scaled by %s, %w : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i4:f32:{0:2,1:1}, {{1.0, 0.5}, {2.0, 0.25}}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Requantization to an int8 output: per column a Q31 multiplier and a shift
// (0.25 * 0.5 / 0.25 = 1/2 -> 2^30 >> 31; 0.25 * 0.25 / 0.25 = 1/4 ->
// 2^30 >> 32), rounded half away from zero in i64, saturated, then the
// dequantizing cast.
// CHECK-LABEL: func.func @requantized(
// CHECK:         %[[ACC:.*]] = linalg.matmul
// CHECK:         %[[MUL:.*]] = arith.constant dense<1073741824> : tensor<2xi64>
// CHECK:         %[[SHIFT:.*]] = arith.constant dense<[31, 32]> : tensor<2xi64>
// CHECK:         %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MUL]], %[[SHIFT]] : tensor<?x2xi32>, tensor<2xi64>, tensor<2xi64>) outs(%{{.*}} : tensor<?x2xi8>)
// CHECK:           arith.muli {{.*}} : i64
// CHECK:           math.absi
// CHECK:           arith.shrui
// CHECK:           arith.maxsi
// CHECK:           arith.minsi
// CHECK:           arith.trunci {{.*}} : i64 to i8
// CHECK:         linalg.generic {{.*}} ins(%[[Q]] : tensor<?x2xi8>) outs(%{{.*}} : tensor<?x2xf32>)
// CHECK:           arith.sitofp
// CHECK-NOT:     quant.
func.func @requantized(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  %q = quant.qcast %x : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.25>>
  %y = qc.quantized_matmul %q, %w : (tensor<?x4x!quant.uniform<i8:f32, 0.25>>, tensor<4x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>) -> tensor<?x2x!quant.uniform<i8:f32, 0.25>>
  %f = quant.dcast %y : tensor<?x2x!quant.uniform<i8:f32, 0.25>> to tensor<?x2xf32>
  return %f : tensor<?x2xf32>
}

// -----

// A requantization scale of 1 or more (here 0.25 * 0.5 / 0.125) is refused.
func.func @requantize_upscale(%x: tensor<?x4xf32>) -> tensor<?x2x!quant.uniform<i8:f32, 0.125>> {
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  %q = quant.qcast %x : tensor<?x4xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.25>>
  // expected-error @below {{requantization scale 1.000000e+00 is outside (2^-32, 1)}}
  %y = qc.quantized_matmul %q, %w : (tensor<?x4x!quant.uniform<i8:f32, 0.25>>, tensor<4x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>) -> tensor<?x2x!quant.uniform<i8:f32, 0.125>>
  return %y : tensor<?x2x!quant.uniform<i8:f32, 0.125>>
}

// -----

// A quantized convolution keeps one code per byte and scales each step by
// its output channel's scale.
// CHECK-LABEL: func.func @conv(
// CHECK-DAG:     %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}1, -7]]], {{\[\[\[}}7, -4]]]]> : tensor<2x1x1x2xi8>
// CHECK-DAG:     %[[S:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK:         linalg.generic {{.*}} ins(%arg0, %[[W]], %[[S]] : tensor<1x1x4x4xf32>, tensor<2x1x1x2xi8>, tensor<2xf32>)
// CHECK:           arith.extsi %{{.*}} : i8 to i32
// CHECK:           arith.sitofp
// CHECK:           arith.mulf
// CHECK-NOT:     quant.
func.func @conv(%x: tensor<1x1x4x4xf32>, %b: tensor<2xf32>) -> tensor<1x2x4x3xf32> {
  %c = arith.constant dense<[[[[1, -7]]], [[[7, -4]]]]> : tensor<2x1x1x2xi4>
  %w = quant.scast %c : tensor<2x1x1x2xi4> to tensor<2x1x1x2x!quant.uniform<i4:f32:0, {1.0, 0.5}>>
  %y = qc.quantized_conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x2x!quant.uniform<i4:f32:0, {1.0, 0.5}>>, tensor<2xf32>) -> tensor<1x2x4x3xf32>
  return %y : tensor<1x2x4x3xf32>
}

// -----

// Integer activations for convolutions have no lowering yet.
func.func @conv_int8_input(%x: tensor<1x1x4x4x!quant.uniform<i8:f32, 0.5>>) -> tensor<1x2x4x3xf32> {
  %c = arith.constant dense<1> : tensor<2x1x1x2xi8>
  %w = quant.scast %c : tensor<2x1x1x2xi8> to tensor<2x1x1x2x!quant.uniform<i8:f32:0, {1.0, 0.5}>>
  // expected-error @below {{lowering supports float activations only}}
  %y = qc.quantized_conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x4x4x!quant.uniform<i8:f32, 0.5>>, tensor<2x1x1x2x!quant.uniform<i8:f32:0, {1.0, 0.5}>>) -> tensor<1x2x4x3xf32>
  return %y : tensor<1x2x4x3xf32>
}

// -----

// Only constant weights are repacked.
func.func @weight_argument(%x: tensor<?x4xf32>, %c: tensor<4x2xi4>) -> tensor<?x2xf32> {
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  // expected-error @below {{weight must be a quant.scast of an integer constant to be lowered}}
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// An int8 result needs the activation scale at compile time.
func.func @quantized_result(%x: tensor<?x4xf32>) -> tensor<?x2x!quant.uniform<i8:f32, 0.5>> {
  %c = arith.constant dense<1> : tensor<4x2xi8>
  %w = quant.scast %c : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>
  // expected-error @below {{an int8 output needs a statically quantized lhs (its scale must be known when compiling)}}
  %y = qc.quantized_matmul %x, %w : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i8:f32:1, {1.0, 0.5}>>) -> tensor<?x2x!quant.uniform<i8:f32, 0.5>>
  return %y : tensor<?x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

// A quant op that feeds something else than a quantized product.
func.func @stray_qcast(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @below {{has no lowering outside qc.quantized_matmul}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

// LoRC: y = x * dequant(W) + ((x * A) * sa) * B * sb, the correction as
// two reductions after the weight kernel. 8-bit factors keep their codes
// (i8 constants) and apply one scale per column after each sum (A: one per
// rank index, r = 3: 0.25, 0.5, 0.75; B: one per output column, N = 2: 1
// and 2). The maps say which scale goes with which loop: sa with the
// reduction over r (d2), sb with the output column (d1).
// CHECK-DAG:     #[[MAPR:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG:     #[[MAPN:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @low_rank(
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel"]}
// CHECK-DAG:     %[[A:.*]] = arith.constant dense<{{\[\[}}1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 8, 9]]> : tensor<4x3xi8>
// CHECK-DAG:     %[[SA:.*]] = arith.constant dense<[2.500000e-01, 5.000000e-01, 7.500000e-01]> : tensor<3xf32>
// CHECK-DAG:     %[[B:.*]] = arith.constant dense<{{\[\[}}-1, 1], [2, -2], [3, 0]]> : tensor<3x2xi8>
// CHECK-DAG:     %[[SB:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK:         %[[T:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[A]] : tensor<?x4xf32>, tensor<4x3xi8>) outs(%{{.*}} : tensor<?x3xf32>)
// CHECK:           arith.sitofp %{{.*}} : i8 to f32
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[MAPR]], #[[MAPN]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[T]], %[[B]], %[[SA]], %[[SB]] : tensor<?x3xf32>, tensor<3x2xi8>, tensor<3xf32>, tensor<2xf32>) outs(%[[P]] : tensor<?x2xf32>)
func.func @low_rank(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %ca = arith.constant dense<[[1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 8, 9]]> : tensor<4x3xi8>
  %a = quant.scast %ca : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>
  %cb = arith.constant dense<[[-1, 1], [2, -2], [3, 0]]> : tensor<3x2xi8>
  %b = quant.scast %cb : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
  %y = qc.quantized_matmul %x, %w low_rank(%a, %b) : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 0.75}>>, tensor<3x2x!quant.uniform<i8:f32:1, {1.0, 2.0}>>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Float factors are used as they are; integer activations cannot take a
// correction (it reads the float activation).
// CHECK-LABEL: func.func @low_rank_float(
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x1xf32>)
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<1x2xf32>)
func.func @low_rank_float(%x: tensor<?x4xf32>, %a: tensor<4x1xf32>, %b: tensor<1x2xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  %y = qc.quantized_matmul %x, %w low_rank(%a, %b) : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x1xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

func.func @low_rank_integer(%xi: tensor<?x4xi8>, %s: tensor<?x1xf32>, %a: tensor<4x1xf32>, %b: tensor<1x2xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -7]]> : tensor<4x2xi4>
  %w = quant.scast %c : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>
  // expected-error @below {{with a low-rank correction needs float activations}}
  %z = qc.quantized_matmul %xi scaled by %s, %w low_rank(%a, %b) : (tensor<?x4xi8>, tensor<?x1xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {1.0, 0.5}>>, tensor<4x1xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}

// -----

// A codebook weight: the unpacked code q (here 2 bits, packed four per
// byte) indexes the table at q + 2 inside the kernel, then the scale
// applies: w = s[n] * table[q + 2].
// CHECK-LABEL: func.func @codebook(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "reduction", "parallel"]}
// CHECK:           %[[I:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK:           %[[J:.*]] = arith.addi %[[I]], %c2
// CHECK:           tensor.extract %{{.*}}[%[[J]]] : tensor<4xf32>
// CHECK-NOT:       arith.sitofp
func.func @codebook(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[[-2, 1], [0, -1], [1, -2], [-1, 0]]> : tensor<4x2xi2>
  %w = quant.scast %c : tensor<4x2xi2> to tensor<4x2x!quant.uniform<i2:f32:1, {1.0, 0.5}>>
  %t = arith.constant dense<[-1.0, -0.25, 0.5, 1.0]> : tensor<4xf32>
  %y = qc.quantized_matmul %x, %w codebook(%t) : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i2:f32:1, {1.0, 0.5}>>, tensor<4xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
