// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4" | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4 group-size=3" | FileCheck %s --check-prefix=GROUP
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=8 group-size=-1 symmetric=false" | FileCheck %s --check-prefix=TENSOR
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4 clip=mse" | FileCheck %s --check-prefix=CLIP
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=4 clip=p99" 2>&1 | FileCheck %s --check-prefix=BADCLIP
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-apply-stats="stats-file=%S/Inputs/channel-stats.json allow-missing=true" --qc-quantize-weights="bits=4 clip=mse" | FileCheck %s --check-prefix=WEIGHTED
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4 group-size=-1 method=gptq calibrated-only=true" | FileCheck %s --check-prefix=GPTQ
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4 group-size=-1 method=gptq act-order=true calibrated-only=true" | FileCheck %s --check-prefix=ACTORDER
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=4 method=gptq" 2>&1 | FileCheck %s --check-prefix=NOGRAM
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=4 method=gptq dampening=-1" 2>&1 | FileCheck %s --check-prefix=DAMPENING
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=4 method=gptq dampening=0 calibrated-only=true" 2>&1 | FileCheck %s --check-prefix=INDEFINITE
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4 group-size=-1 lorc-rank=1" | FileCheck %s --check-prefix=LORC
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=4 lorc-rank=-1" 2>&1 | FileCheck %s --check-prefix=BADRANK
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-quantize-weights="bits=4 codebook=nf4" | FileCheck %s --check-prefix=NF4
// RUN: not quant-opt %s --split-input-file --qc-quantize-weights="bits=3 codebook=nf4" 2>&1 | FileCheck %s --check-prefix=NF4BITS

// Per channel, symmetric 4 bits: column 0 has max|w| = 7 (scale 1), column 1
// max|w| = 4 (scale fl(4/7), a little above 4/7). Rounding is half to even:
// 0.5 -> 0, 3.5 -> 4; -2 / fl(4/7) = -3.4999998 -> -3.
// CHECK-LABEL: func.func @per_channel(
// CHECK:         %[[C:.*]] = arith.constant dense<{{\[}}[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi4>
// CHECK:         %[[W:.*]] = quant.scast %[[C]] : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {1.000000e+00,0.571428{{[0-9]*}}}>>
// CHECK:         qc.quantized_matmul %{{.*}}, %[[W]] : (tensor<?x4xf32>, tensor<4x2x!quant.uniform<i4:f32:1, {{.*}}>>) -> tensor<?x2xf32>
// CHECK-NOT:     qc.matmul
// Group size 3 with K = 4: the last group holds one row (its scales come
// from that row alone: 3.5 / 7, 4 / 7); the constant is padded with
// zero-code rows to 6 and the product still reads K = 4.
// GROUP-LABEL: func.func @per_channel(
// GROUP:         arith.constant dense<{{\[}}[1, -7], [0, 3], [-7, 1], [7, 7], [0, 0], [0, 0]]> : tensor<6x2xi4>
// GROUP:         quant.scast %{{.*}} : tensor<6x2xi4> to tensor<6x2x!quant.uniform<i4:f32:{0:3, 1:1}, {{\{}}{1.000000e+00, 0.2857{{[0-9]*}}}, {5.000000e-01, 0.5714{{[0-9]*}}}}>>
// GROUP:         qc.quantized_matmul {{.*}} : (tensor<?x4xf32>, tensor<6x2x!quant.uniform{{.*}}>) -> tensor<?x2xf32>
// Per tensor, asymmetric 8 bits over [-7, 4]: scale 11/255, zero point
// -128 - round(-7 / (11/255)) = 34.
// TENSOR-LABEL: func.func @per_channel(
// TENSOR:         quant.scast %{{.*}} : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32, 0.0431372{{[0-9]*}}:34>>
// BITS: error: qc-quantize-weights: bits must be in [2, 8], got 9
// method=gptq calibrated-only: no qc.input_gram, the product stays float.
// GPTQ-LABEL: func.func @per_channel(
// GPTQ:         qc.matmul %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x2xf32>)
func.func @per_channel(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0], [0.5, 1.0], [-7.0, 0.25], [3.5, 4.0]]> : tensor<4x2xf32>
  %y = qc.matmul %x, %w : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Activation products and batched weights are not weight matmuls.
// CHECK-LABEL: func.func @not_weights(
// CHECK:         qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<4x2xf32>)
// CHECK:         qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<3x4x2xf32>)
// CHECK-NOT:     qc.quantized_matmul
func.func @not_weights(%x: tensor<2x4xf32>, %v: tensor<4x2xf32>) -> (tensor<2x2xf32>, tensor<3x2x2xf32>) {
  %a = qc.matmul %x, %v : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %w = arith.constant dense<1.0> : tensor<3x4x2xf32>
  %b = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<3x4x2xf32>) -> tensor<3x2x2xf32>
  return %a, %b : tensor<2x2xf32>, tensor<3x2x2xf32>
}

// -----

// Gemm as a Linear layer: W = alpha * B^T (here twice the per_channel
// weight, so the same codes with doubled scales), then + beta * C.
// CHECK-LABEL: func.func @gemm(
// CHECK:         %[[C:.*]] = arith.constant dense<{{\[}}[1, -3], [0, 2], [-7, 0], [4, 7]]> : tensor<4x2xi4>
// CHECK:         %[[W:.*]] = quant.scast %[[C]] : tensor<4x2xi4> to tensor<4x2x!quant.uniform<i4:f32:1, {2.000000e+00,1.1428{{[0-9]*}}}>>
// CHECK:         %[[P:.*]] = qc.quantized_matmul %arg0, %[[W]]
// CHECK:         linalg.generic {{.*}} ins(%[[P]], %arg1 : tensor<?x2xf32>, tensor<2xf32>)
// CHECK:           arith.constant 5.000000e-01 : f32
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK-NOT:     qc.gemm
// A transposed A is not a Linear layer: it stays float.
// CHECK-LABEL: func.func @gemm_trans_a(
// CHECK:         qc.gemm
func.func @gemm(%x: tensor<?x4xf32>, %c: tensor<2xf32>) -> tensor<?x2xf32> {
  %b = arith.constant dense<[[1.0, 0.5, -7.0, 3.5], [-2.0, 1.0, 0.25, 4.0]]> : tensor<2x4xf32>
  %y = qc.gemm %x, %b, %c {trans_b = true, alpha = 2.0 : f32, beta = 0.5 : f32} : (tensor<?x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
func.func @gemm_trans_a(%x: tensor<4x3xf32>) -> tensor<3x2xf32> {
  %b = arith.constant dense<1.0> : tensor<4x2xf32>
  %y = qc.gemm %x, %b {trans_a = true} : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Convolutions: one scale per output channel on axis 0 (channel 0:
// max|w| 7 -> scale 1; channel 1: max|w| 3.5 -> scale 0.5).
// CHECK-LABEL: func.func @conv(
// CHECK:         %[[C:.*]] = arith.constant dense<{{\[\[\[\[}}1, -7]]], {{\[\[\[}}7, -4]]]]> : tensor<2x1x1x2xi4>
// CHECK:         %[[W:.*]] = quant.scast %[[C]] : tensor<2x1x1x2xi4> to tensor<2x1x1x2x!quant.uniform<i4:f32:0, {1.000000e+00,5.000000e-01}>>
// CHECK:         qc.quantized_conv %arg0, %[[W]], %arg1 {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
func.func @conv(%x: tensor<1x1x4x4xf32>, %b: tensor<2xf32>) -> tensor<1x2x4x3xf32> {
  %w = arith.constant dense<[[[[1.0, -7.0]]], [[[3.5, -2.0]]]]> : tensor<2x1x1x2xf32>
  %y = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x4x3xf32>
  return %y : tensor<1x2x4x3xf32>
}

// -----

// A weight whose data is not in the module cannot be quantized.
func.func @elided(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense_resource<__elided__> : tensor<4x2xf32>
  // expected-error @below {{weight constant cannot be read for quantization}}
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// clip=mse: a column with an outlier (7) among values up to 1. The full
// range (scale 1) rounds 0.5 and -0.5 to 0 (half to even); clipping to 0.98
// of it (scale 0.98) represents them as +-1 and reconstructs the column
// with less squared error (0.659 against 0.6875), the least over r = 1 ...
// 0.5. Without clip, the same column keeps scale 1.
// CLIP-LABEL: func.func @outlier(
// CLIP:         arith.constant dense<{{\[}}[1], [-1], [0], [1], [-1], [1], [0], [7]]> : tensor<8x1xi4>
// CLIP:         quant.scast %{{.*}} to tensor<8x1x!quant.uniform<i4:f32:1, {0.98000001907348633}>>
// CHECK-LABEL: func.func @outlier(
// CHECK:         quant.scast %{{.*}} to tensor<8x1x!quant.uniform<i4:f32:1, {1.000000e+00}>>
// BADCLIP: for the --clip option: Cannot find option named 'p99'!
func.func @outlier(%x: tensor<?x8xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[0.5], [-0.5], [0.25], [1.0], [-1.0], [0.75], [-0.25], [7.0]]> : tensor<8x1xf32>
  %y = qc.matmul %x, %w : (tensor<?x8xf32>, tensor<8x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// clip=mse weighted by the input channels' calibrated mean x^2 (the
// qc.channel_mean_square qc-apply-stats puts on the observer): the outlier
// weight (7) meets a channel with mean x^2 = 0, so its error does not count
// and the search clips to r = 0.52 (scale 0.52: codes 1, -1, 0, 2, -2, 1, 0
// and a saturated 7), against 0.98 unweighted (the @outlier case above).
// WEIGHTED-LABEL: func.func @weighted(
// WEIGHTED:         qc.observe {{.*}}qc.channel_mean_abs = {{.*}}qc.channel_mean_square = dense<[1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00]> : tensor<8xf32>
// WEIGHTED:         arith.constant dense<{{\[}}[1], [-1], [0], [2], [-2], [1], [0], [7]]> : tensor<8x1xi4>
// WEIGHTED:         quant.scast %{{.*}} to tensor<8x1x!quant.uniform<i4:f32:1, {0.51999998092651367}>>
func.func @weighted(%x: tensor<?x8xf32>) -> tensor<?x1xf32> {
  %o = qc.observe %x {name = "x.input"} : tensor<?x8xf32>
  %w = arith.constant dense<[[0.5], [-0.5], [0.25], [1.0], [-1.0], [0.75], [-0.25], [7.0]]> : tensor<8x1xf32>
  %y = qc.matmul %o, %w : (tensor<?x8xf32>, tensor<8x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// method=gptq, worked by hand (4 bits per tensor: the scale is max|w| / 7
// = 1; H is the qc.input_gram, the default damping adding 0.01 x mean diag
// = 0.01 to its diagonal). Row 0 rounds 2.5 -> 2 (half to even), error 0.5;
// GPTQ moves row 1 by -U01/U00 x 0.5 = H01/H11 x 0.5 = 0.9/1.01 x 0.5 =
// 0.446 (U the upper Cholesky factor of H^-1), so 3.2 + 0.446 rounds to 4
// where RTN gives 3. The layer-output error
// e^T H e: 0.17 against RTN's 0.47. A product whose input has no
// qc.input_gram stays float with calibrated-only, and is an error without.
// GPTQ-LABEL: func.func @gptq(
// GPTQ:         arith.constant dense<{{\[}}[2, 7], [4, 0]]> : tensor<2x2xi4>
// GPTQ:         quant.scast %{{.*}} to tensor<2x2x!quant.uniform<i4:f32, 1.000000e+00>>
// NOGRAM: error: 'qc.matmul' op method=gptq needs the calibrated E[x x^T] of its input: a qc.observe with a [4, 4] qc.input_gram
// DAMPENING: error: qc-quantize-weights: dampening must lie in [0, 1e6), got -1
func.func @gptq(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %o = qc.observe %x {name = "x.input", qc.input_gram = dense<[[1.0, 0.9], [0.9, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[2.5, 7.0], [3.2, 0.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// act-order: with H = [[1, 0.9], [0.9, 4]] (+ 0.025 I) row 1 (diag 4)
// goes first: 3.2 -> 3 (error 0.2) moves row 0 by 0.9/1.025 x 0.2 = 0.176,
// and 2.676 rounds to 3 (e^T H e = 0.23). In row order row 0 goes first
// (2.5 -> 2, error 0.5), row 1 moves by 0.9/4.025 x 0.5 to 3.31 and still
// rounds to 3 (e^T H e = 0.59).
// GPTQ-LABEL: func.func @gptq_act_order(
// GPTQ:         arith.constant dense<{{\[}}[2, 7], [3, 0]]> : tensor<2x2xi4>
// ACTORDER-LABEL: func.func @gptq_act_order(
// ACTORDER:         arith.constant dense<{{\[}}[3, 7], [3, 0]]> : tensor<2x2xi4>
func.func @gptq_act_order(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %o = qc.observe %x {name = "x.input", qc.input_gram = dense<[[1.0, 0.9], [0.9, 4.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[2.5, 7.0], [3.2, 0.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A Gram matrix that is not positive definite (|H01| > H00, H11) cannot be
// factorized: the damping is raised tenfold until it can (here at 1000 x
// 0.01 x mean diag = 10); with dampening 0 it cannot be raised, and GPTQ
// fails with an error at the product.
// GPTQ-LABEL: func.func @gptq_indefinite(
// GPTQ:         qc.quantized_matmul
// INDEFINITE: error: 'qc.matmul' op GPTQ failed: the weight or its input's E[x x^T] is not finite, or E[x x^T] is not positive definite
func.func @gptq_indefinite(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %o = qc.observe %x {name = "x.input", qc.input_gram = dense<[[1.0, 10.0], [10.0, 1.0]]> : tensor<2x2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[2.5, 7.0], [3.2, 0.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// lorc-rank=1: the product gets the rank-1 factors of its residual as 8-bit
// codes with a scale per column ([K, 1] and [1, N]). This weight is exact
// on the 4-bit grid (scale 1), so the residual is 0: codes 0, scale 1. (The
// factors' values are checked against the SVD in LowRankTest, and their
// effect end to end in test/e2e/cpu/lorc.test.)
// LORC-LABEL: func.func @lorc_exact(
// LORC-DAG:     %[[W:.*]] = quant.scast %{{.*}} : tensor<2x2xi4> to tensor<2x2x!quant.uniform<i4:f32, 1.000000e+00>>
// LORC-DAG:     %[[A:.*]] = quant.scast %{{.*}} : tensor<2x1xi8> to tensor<2x1x!quant.uniform<i8:f32:1, {1.000000e+00}>>
// LORC-DAG:     %[[B:.*]] = quant.scast %{{.*}} : tensor<1x2xi8> to tensor<1x2x!quant.uniform<i8:f32:1, {1.000000e+00,1.000000e+00}>>
// LORC:         qc.quantized_matmul %arg0, %[[W]] low_rank(%[[A]], %[[B]])
// BADRANK: error: qc-quantize-weights: lorc-rank must be non-negative, got -1
func.func @lorc_exact(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0], [-3.0, 7.0]]> : tensor<2x2xf32>
  %y = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// codebook=nf4, per channel: the scale is max|w| = 1, and each w / scale
// takes the nearest NF4 level: 1.0 is level 15 (code 15 - 8 = 7); 0.5 lies
// between levels 12 (0.4407) and 13 (0.5626) and is nearer 12 (code 4);
// -0.7 is nearest level 1 (-0.6962, code -7). The table is the product's
// codebook operand.
// NF4-LABEL: func.func @nf4(
// NF4-DAG:     %[[T:.*]] = arith.constant dense<[-1.000000e+00, -0.69619{{[0-9]*}}, {{.*}}, 1.000000e+00]> : tensor<16xf32>
// NF4-DAG:     %[[C:.*]] = arith.constant dense<{{\[\[}}7], [4], [-7]]> : tensor<3x1xi4>
// NF4:         %[[W:.*]] = quant.scast %[[C]] : tensor<3x1xi4> to tensor<3x1x!quant.uniform<i4:f32:1, {1.000000e+00}>>
// NF4:         qc.quantized_matmul %arg0, %[[W]] codebook(%[[T]])
// NF4BITS: error: qc-quantize-weights: a codebook needs per-channel or group scales
func.func @nf4(%x: tensor<?x3xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [0.5], [-0.7]]> : tensor<3x1xf32>
  %y = qc.matmul %x, %w : (tensor<?x3xf32>, tensor<3x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// A layer copied into both branches of an If (the importer's rank split) is
// quantized once: its codes are built before the If and both copies read
// them, so the artifact stores and packs them once.
// CHECK-LABEL: func.func @branch_copies(
// CHECK:         %[[Q:.*]] = quant.scast %{{.*}} : tensor<3x8xi4>
// CHECK-NOT:     quant.scast
// CHECK:         scf.if
// CHECK:           qc.quantized_matmul %{{.*}}, %[[Q]] : (tensor<1x3xf32>
// CHECK:         } else {
// CHECK:           qc.quantized_matmul %{{.*}}, %[[Q]] : (tensor<?x3xf32>
func.func @branch_copies(%c: i1, %x: tensor<?x3xf32>, %v: tensor<1x3xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.25, 2.0, 1.0, -0.5, 0.75, -2.0], [1.0, 0.5, -0.25, 0.125, -1.0, 2.0, 0.0, 1.5], [0.0, 0.25, 0.5, -0.75, 1.0, -1.25, 1.5, -1.75]]> : tensor<3x8xf32>
  %r = scf.if %c -> (tensor<?x8xf32>) {
    %y = qc.matmul %v, %w : (tensor<1x3xf32>, tensor<3x8xf32>) -> tensor<1x8xf32> loc("fc")
    %d = tensor.cast %y : tensor<1x8xf32> to tensor<?x8xf32>
    scf.yield %d : tensor<?x8xf32>
  } else {
    %y = qc.matmul %x, %w : (tensor<?x3xf32>, tensor<3x8xf32>) -> tensor<?x8xf32> loc("fc")
    scf.yield %y : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}
