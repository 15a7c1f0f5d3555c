// RUN: quant-opt %s --split-input-file --verify-diagnostics

// A matmul contracts the last dimension of lhs with the second-to-last of rhs.
func.func @matmul_contraction_mismatch(%a: tensor<4x8xf32>, %b: tensor<9x16xf32>) -> tensor<4x16xf32> {
  // expected-error @below {{'qc.matmul' op contraction sizes differ: lhs has 8 columns, rhs has 9 rows}}
  %0 = qc.matmul %a, %b : (tensor<4x8xf32>, tensor<9x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @matmul_rank_one(%a: tensor<8xf32>, %b: tensor<8x16xf32>) -> tensor<16xf32> {
  // expected-error @below {{'qc.matmul' op operands must have rank >= 2, got ranks 1 and 2}}
  %0 = qc.matmul %a, %b : (tensor<8xf32>, tensor<8x16xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<3x4x8xf32>, %b: tensor<2x8x16xf32>) -> tensor<3x4x16xf32> {
  // expected-error @below {{'qc.matmul' op batch dimensions [3] and [2] do not broadcast}}
  %0 = qc.matmul %a, %b : (tensor<3x4x8xf32>, tensor<2x8x16xf32>) -> tensor<3x4x16xf32>
  return %0 : tensor<3x4x16xf32>
}

// -----

func.func @matmul_wrong_result(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x15xf32> {
  // expected-error @below {{'qc.matmul' op result shape [4, 15] does not end in [m, n] = [4, 16]}}
  %0 = qc.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x15xf32>
  return %0 : tensor<4x15xf32>
}

// -----

func.func @matmul_mixed_types(%a: tensor<4x8xf16>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  // expected-error @below {{'qc.matmul' op element types must all be 'f32', got 'f16'}}
  %0 = qc.matmul %a, %b : (tensor<4x8xf16>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @gemm_transposed_mismatch(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  // expected-error @below {{'qc.gemm' op contraction sizes differ: op(a) has 8 columns, op(b) has 16 rows}}
  %0 = qc.gemm %a, %b {trans_b = true} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @gemm_bad_c(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<3xf32>) -> tensor<4x16xf32> {
  // expected-error @below {{'qc.gemm' op c of shape [3] does not broadcast to [4, 16]}}
  %0 = qc.gemm %a, %b, %c : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<3xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @gemm_not_2d(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  // expected-error @below {{'qc.gemm' op a, b and the result must be 2-D}}
  %0 = qc.gemm %a, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @below {{'qc.conv' op input has 3 channels but weight expects 2 x group 1}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_attribute_lengths(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @below {{'qc.conv' op expected 2 strides, 2 dilations and 4 pads for 2 spatial dimensions}}
  %0 = qc.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_output_size(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @below {{'qc.conv' op result spatial dimension 0 is 8, expected 6}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @conv_group(%x: tensor<1x4x8x8xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32> {
  // expected-error @below {{'qc.conv' op group 2 does not divide the 3 output channels}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64}
      : (tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32>
  return %0 : tensor<1x3x6x6xf32>
}

// -----

func.func @conv_negative_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @below {{'qc.conv' op pads must be non-negative}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, -1, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @below {{'qc.conv' op bias must be 1-D of size 4}}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x64xf32>, %s: tensor<64xf32>) -> tensor<2x64xf32> {
  // expected-error @below {{'qc.layer_norm' op axis 2 is out of range for rank 2}}
  %0 = qc.layer_norm %x, %s {axis = 2 : i64} : (tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @layer_norm_scale_shape(%x: tensor<2x64xf32>, %s: tensor<32xf32>) -> tensor<2x64xf32> {
  // expected-error @below {{'qc.layer_norm' op scale/bias shape [32] does not broadcast to the normalized shape [64]}}
  %0 = qc.layer_norm %x, %s : (tensor<2x64xf32>, tensor<32xf32>) -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @rms_norm_scale_rank(%x: tensor<2x64xf32>, %s: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @below {{'qc.rms_norm' op scale/bias shape [2, 64] has more dimensions than the normalized shape [64]}}
  %0 = qc.rms_norm %x, %s : (tensor<2x64xf32>, tensor<2x64xf32>) -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @observe_without_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'qc.observe' op needs a non-empty 'name' to key its statistics}}
  %0 = qc.observe %x {name = ""} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @range_inverted(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{range min 2.000000e+00 is greater than max 1.000000e+00}}
  %0 = qc.observe %x {name = "x", range = #qc.range<2.0, 1.0, minmax>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dynamic_quantize_bits(%x: tensor<4x8xf32>) -> (tensor<4x8xi4>, tensor<4x1xf32>) {
  // expected-error @below {{'qc.dynamic_quantize' op storage type 'i4' cannot hold 8-bit values}}
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<4x8xf32> -> tensor<4x8xi4>, tensor<4x1xf32>
  return %q, %s : tensor<4x8xi4>, tensor<4x1xf32>
}

// -----

func.func @dynamic_quantize_scale_shape(%x: tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<4x8xf32>) {
  // expected-error @below {{'qc.dynamic_quantize' op a per-token scale must have shape [4, 1]}}
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8} : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4x8xf32>
  return %q, %s : tensor<4x8xi8>, tensor<4x8xf32>
}

// -----

func.func @dynamic_quantize_per_tensor_scale(%x: tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<1xf32>) {
  // expected-error @below {{'qc.dynamic_quantize' op a per-tensor scale must be a 0-d tensor}}
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_tensor>, bits = 8} : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<1xf32>
  return %q, %s : tensor<4x8xi8>, tensor<1xf32>
}

// -----

func.func @dynamic_quantize_too_many_bits(%x: tensor<4x8xf32>) -> (tensor<4x8xi16>, tensor<4x1xf32>) {
  // expected-error @below {{attribute 'bits' failed to satisfy constraint}}
  %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 16} : tensor<4x8xf32> -> tensor<4x8xi16>, tensor<4x1xf32>
  return %q, %s : tensor<4x8xi16>, tensor<4x1xf32>
}

// -----

func.func @quantized_matmul_float_weight(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op weight must have a quantized element type, got 'f32'}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_wrong_axis(%x: tensor<4x8xf32>, %w: tensor<8x2x!quant.uniform<i8:f32:0, {0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1}>>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op per-axis weight must be quantized along axis 1, got 0}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x8xf32>, tensor<8x2x!quant.uniform<i8:f32:0, {0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1}>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_wide_storage(%x: tensor<4x8xf32>, %w: tensor<8x2x!quant.uniform<i16:f32, 0.1>>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op weight storage must be at most 8 bits, got 16}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x8xf32>, tensor<8x2x!quant.uniform<i16:f32, 0.1>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_group_along_n(%x: tensor<4x64xf32>, %w: tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:2}, {{0.1}, {0.2}}>>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op sub-channel weight must have block size 1 along axis 1}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x64xf32>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:2}, {{0.1}, {0.2}}>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_missing_scales(%x: tensor<4x8xi8>, %w: tensor<8x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op integer lhs needs its run-time scales ('scaled by')}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x8xi8>, tensor<8x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_k(%x: tensor<4x9xf32>, %w: tensor<8x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op lhs has 9 columns but the weight has 8 rows}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x9xf32>, tensor<8x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_low_rank(%x: tensor<4x8xf32>, %w: tensor<8x2x!quant.uniform<i8:f32, 0.1>>, %a: tensor<8x4xf32>, %b: tensor<3x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op low-rank factors must be [K, r] and [r, N] with K = 8 and N = 2, got [8, 4] and [3, 2]}}
  %0 = qc.quantized_matmul %x, %w low_rank(%a, %b) : (tensor<4x8xf32>, tensor<8x2x!quant.uniform<i8:f32, 0.1>>, tensor<8x4xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_low_rank_type(%x: tensor<4x8xf32>, %w: tensor<8x2x!quant.uniform<i8:f32, 0.1>>, %a: tensor<8x1x!quant.uniform<i8:f32:0, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}>>, %b: tensor<1x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op low-rank factors must have element type 'f32' or an 8-bit per-axis (axis 1) quantized type over it}}
  %0 = qc.quantized_matmul %x, %w low_rank(%a, %b) : (tensor<4x8xf32>, tensor<8x2x!quant.uniform<i8:f32, 0.1>>, tensor<8x1x!quant.uniform<i8:f32:0, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}>>, tensor<1x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_matmul_expressed(%x: tensor<4x8xf32>, %w: tensor<8x2x!quant.uniform<i8:f16, 0.1>>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op weight expresses 'f16' but the result is 'f32'}}
  %0 = qc.quantized_matmul %x, %w : (tensor<4x8xf32>, tensor<8x2x!quant.uniform<i8:f16, 0.1>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @quantized_conv_axis(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<1x3x4x4xf32> {
  // expected-error @below {{'qc.quantized_conv' op per-axis weight must be quantized along axis 0, got 1}}
  %0 = qc.quantized_conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<3x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

func.func @codebook_levels(%idx: tensor<8x2xui4>, %cb: tensor<8xf32>) -> tensor<8x2xf32> {
  // expected-error @below {{'qc.codebook_decode' op codebook has 8 levels but 4-bit indices need 16}}
  %0 = qc.codebook_decode %idx, %cb : (tensor<8x2xui4>, tensor<8xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @codebook_groups(%idx: tensor<70x2xui4>, %cb: tensor<2x2x16xf32>) -> tensor<70x2xf32> {
  // expected-error @below {{'qc.codebook_decode' op codebook has 2 groups but K = 70 with group size 32 needs 3}}
  %0 = qc.codebook_decode %idx, %cb {group_size = 32 : i64} : (tensor<70x2xui4>, tensor<2x2x16xf32>) -> tensor<70x2xf32>
  return %0 : tensor<70x2xf32>
}

// -----

func.func @codebook_group_size_needed(%idx: tensor<64x2xui4>, %cb: tensor<2x2x16xf32>) -> tensor<64x2xf32> {
  // expected-error @below {{'qc.codebook_decode' op 'group_size' is required exactly for a 3-D codebook}}
  %0 = qc.codebook_decode %idx, %cb : (tensor<64x2xui4>, tensor<2x2x16xf32>) -> tensor<64x2xf32>
  return %0 : tensor<64x2xf32>
}

// -----

func.func @codebook_signed(%idx: tensor<8x2xsi4>, %cb: tensor<16xf32>) -> tensor<8x2xf32> {
  // expected-error @below {{'qc.codebook_decode' op indices must be signless or unsigned integers of at most 8 bits, got 'si4'}}
  %0 = qc.codebook_decode %idx, %cb : (tensor<8x2xsi4>, tensor<16xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @quantized_matmul_codebook_size(%x: tensor<4x8xf32>, %w: tensor<8x2x!quant.uniform<i4:f32:1, {0.1, 0.2}>>, %t: tensor<8xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{'qc.quantized_matmul' op codebook must be [16] of 'f32' (one level per code), got 'tensor<8xf32>'}}
  %0 = qc.quantized_matmul %x, %w codebook(%t) : (tensor<4x8xf32>, tensor<8x2x!quant.uniform<i4:f32:1, {0.1, 0.2}>>, tensor<8xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
