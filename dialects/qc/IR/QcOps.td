//===- QcOps.td - qc dialect operations ---------------------*- tablegen -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCOPS_TD
#define QUANTC_DIALECTS_QC_IR_QCOPS_TD

include "dialects/qc/IR/QcAttrs.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Qc_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Qc_AnyTensor : RankedTensorOf<[AnyType]>;

//===----------------------------------------------------------------------===//
// Float graph ops
//===----------------------------------------------------------------------===//

def Qc_MatmulOp : Qc_Op<"matmul", [Pure]> {
  let summary = "Batched matrix product with NumPy batch broadcasting";
  let description = [{
    `result[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n]`, the semantics
    of ONNX `MatMul` for operands of rank 2 or more. Leading (batch) dimensions
    broadcast as in NumPy; the result has the larger operand rank.

    Verifier rules:
    - both operands have rank >= 2 and the result's element type;
    - the contraction sizes agree (`lhs` dim -1 == `rhs` dim -2 when static);
    - batch dimensions are broadcast-compatible and the result shape is the
      broadcast batch shape followed by `[m, n]`.

    ```mlir
    %y = qc.matmul %x, %w : (tensor<?x64xf32>, tensor<64x172xf32>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins Qc_FloatTensor:$lhs, Qc_FloatTensor:$rhs);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qc_GemmOp : Qc_Op<"gemm", [Pure]> {
  let summary = "General matrix multiply: alpha * op(a) * op(b) + beta * c";
  let description = [{
    ONNX `Gemm`: `op(x)` transposes `x` when `trans_a`/`trans_b` is set; `c`
    is optional and broadcasts unidirectionally to `[m, n]`.

    Verifier rules:
    - `a` and `b` are 2-D, the result is `[m, n]`, contraction sizes agree;
    - `c`, when present, has rank <= 2 and each dimension is 1 or matches.

    Canonicalization drops `c` when `beta` is 0, and turns a gemm that only
    multiplies (`alpha` 1, no transposes, no `c`) into `qc.matmul`.

    ```mlir
    %y = qc.gemm %a, %b, %c {trans_b = true} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins Qc_FloatTensor:$a, Qc_FloatTensor:$b,
                       Optional<Qc_FloatTensor>:$c,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

// Convolution geometry shared by the float and the quantized convolution.
class Qc_ConvGeometry {
  dag geometry = (ins DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                      DenseI64ArrayAttr:$dilations,
                      DefaultValuedAttr<I64Attr, "1">:$group);
}

def Qc_ConvOp : Qc_Op<"conv", [Pure]>, Qc_ConvGeometry {
  let summary = "N-d grouped convolution, channels first";
  let description = [{
    ONNX `Conv` with explicit padding: `input` is `[N, C, D1..Dk]`, `weight`
    `[M, C / group, K1..Kk]`, the optional `bias` `[M]`. `pads` holds the k
    leading pads followed by the k trailing pads; `strides` and `dilations`
    hold k positive values each. Output size per spatial dimension:
    `floor((D + pad_begin + pad_end - dilation * (K - 1) - 1) / stride) + 1`.

    Verifier rules:
    - input and weight have the same rank >= 3, the bias is 1-D of size M;
    - attribute lengths match the spatial rank, strides and dilations > 0,
      pads >= 0, group > 0 divides C and M;
    - static result dimensions agree with the formula above.

    ```mlir
    %y = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = !con((ins Qc_FloatTensor:$input, Qc_FloatTensor:$weight,
                            Optional<Qc_FloatTensor>:$bias), geometry);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qc_LayerNormOp : Qc_Op<"layer_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization over the trailing dimensions";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * scale + bias`, with mean and
    variance over dimensions `[axis, rank)` (ONNX `LayerNormalization`).
    `scale` and `bias` broadcast to those trailing dimensions.

    Verifier rules: `axis` lies in `[-rank, rank)`; `scale` and `bias` have at
    most `rank - axis` dimensions, each 1 or equal to the input's.
  }];
  let arguments = (ins Qc_FloatTensor:$input, Qc_FloatTensor:$scale,
                       Optional<Qc_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qc_RmsNormOp : Qc_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalization over the trailing dimensions";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * scale`, with the mean over dimensions
    `[axis, rank)`. The scale is the per-channel factor that outlier smoothing
    folds into.

    Verifier rules: as `qc.layer_norm`.
  }];
  let arguments = (ins Qc_FloatTensor:$input, Qc_FloatTensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

def Qc_ObserveOp : Qc_Op<"observe", [SameOperandsAndResultType,
                                     MemoryEffects<[MemWrite]>]> {
  let summary = "Marks a tensor whose value range calibration records";
  let description = [{
    Returns its operand unchanged. A calibration run records statistics of
    every observed tensor under `name`; applying them sets `range`. The op
    writes to the calibration state, so it is neither folded nor erased while
    it has no users.

    Verifier rules: `name` is not empty.

    ```mlir
    %0 = qc.observe %x {name = "layers.0.attn.wq.input"} : tensor<1x?x64xf32>
    ```
  }];
  let arguments = (ins Qc_FloatTensor:$input, StrAttr:$name,
                       OptionalAttr<Qc_RangeAttr>:$range);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Qc_AssumeEqualOp : Qc_Op<"assume_equal", [MemoryEffects<[MemWrite]>]> {
  let summary = "Two run-time sizes the IR after it relies on being equal";
  let description = [{
    The importer (or a pass) relies on `lhs == rhs`, e.g. two dynamic sizes
    meeting in a broadcast, which the generated loops index with one
    induction variable. Compiled code checks it where the op stands (on
    sizes, outside every loop) and, when it does not hold, stops the run:
    the runtime returns a status naming the op's ONNX node, `what`, and
    both sizes, instead of reading out of bounds. The op writes that status,
    so it is not erased; it folds away when both sides are the same value
    or equal constants.

    ```mlir
    qc.assume_equal %n, %m {what = "broadcast dimension 1"}
    ```
  }];
  let arguments = (ins Index:$lhs, Index:$rhs, StrAttr:$what);
  let assemblyFormat = "$lhs `,` $rhs attr-dict";
  let hasCanonicalizeMethod = 1;
}

def Qc_AssumeInRangeOp : Qc_Op<"assume_in_range", [MemoryEffects<[MemWrite]>]> {
  let summary = "A run-time index the IR after it relies on being in range";
  let description = [{
    The importer relies on `-size <= index < size`: an ONNX index into an
    axis of `size` elements, negative ones counting from the end (Gather,
    GatherElements, GatherND, ScatterND). Out-of-range indices are an error
    in ONNX; compiled code checks the op where it stands (the importer
    passes the smallest and the largest index of a tensor, outside every
    loop) and stops the run with a status naming the op's ONNX node, `what`,
    the index and the size. Like `qc.assume_equal` it writes that status, so
    it is not erased; it folds away when both operands are constants that
    satisfy it.

    ```mlir
    qc.assume_in_range %largest, %vocab {what = "indices"}
    ```
  }];
  let arguments = (ins Index:$index, Index:$size, StrAttr:$what);
  let assemblyFormat = "$index `,` $size attr-dict";
  let hasCanonicalizeMethod = 1;
}

//===----------------------------------------------------------------------===//
// Quantized compute
//===----------------------------------------------------------------------===//

def Qc_DynamicQuantizeOp : Qc_Op<"dynamic_quantize", [Pure]> {
  let summary = "Symmetric quantization with scales computed at run time";
  let description = [{
    Per token (one scale per row of the last dimension) or per tensor:
    `scale = max|x| / (2^(bits-1) - 1)`, `q = clamp(round(x / scale))`,
    rounding half to even. `q` holds the integers in a signless storage type;
    `scale` has the input's shape with the last dimension 1 (per token) or is
    a 0-d tensor (per tensor).

    Verifier rules:
    - `bits` lies in [2, 8] and fits the storage type of `q`;
    - `q` has the input's shape; `scale` has the shape described above and
      the input's element type.

    ```mlir
    %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8}
        : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
    ```
  }];
  let arguments = (ins Qc_FloatTensor:$input, Qc_GranularityAttr:$granularity,
                       ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>:$bits);
  let results = (outs RankedTensorOf<[AnySignlessInteger]>:$q,
                      Qc_FloatTensor:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($q) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Qc_QuantizedMatmulOp : Qc_Op<"quantized_matmul",
                                 [Pure, AttrSizedOperandSegments]> {
  let summary = "Matrix product with quantized weights";
  let description = [{
    `result = lhs * dequant(rhs) [+ (lhs * lrc_a) * lrc_b]`, computed in
    integer arithmetic where the scheme allows it. `rhs` is a `[K, N]` weight
    whose element type carries its scales and zero points:
    `!quant.uniform<i8:f32, s>` (per tensor), `!quant.uniform<i4:f32:1, {...}>`
    (per output channel, axis 1), or the sub-channel form with blocks of `g`
    consecutive input channels per output channel (group-wise). When `g`
    does not divide `K` the last group is ragged: the weight is padded with
    zero rows to a whole number of groups (upstream requires whole blocks)
    and the product reads only its first `K` rows.

    The activation `lhs` is float (weight-only schemes), a per-tensor
    `!quant.uniform` tensor (static activation quantization), or signless
    integers with the run-time scales of `qc.dynamic_quantize` in `lhs_scale`.
    `lrc_a` (`[K, r]`) and `lrc_b` (`[r, N]`) are the optional low-rank
    correction of LoRC: float, or 8-bit integers with one scale per column
    (`!quant.uniform<i8:f32:1, {...}>`, what qc-quantize-weights stores).

    `codebook` (`[2^b]` levels, non-uniform quantization: NF4, k-means)
    changes what a code means: the weight is
    `scale * codebook[q + 2^(b-1)]` instead of `scale * (q - z)` (codes
    signed and full range, zero points 0), so the
    codes index a table shared by the whole weight and the scales (per
    channel or group) stretch it.

    Verifier rules:
    - `rhs` is 2-D with a quantized element type of at most 8 storage bits;
      a per-axis type quantizes axis 1; a sub-channel type has block size 1
      along N; its expressed type is the result's element type;
    - `lhs` has rank >= 2 and last dimension K (a group-wise weight may have
      up to g - 1 padding rows beyond K); `lhs_scale` is present exactly
      when `lhs` is plain integer;
    - a `codebook` is 1-D with 2^b entries of the result's float type, for
      a weight without zero points and float activations;
    - `lrc_a` and `lrc_b` come together and have shapes `[K, r]`, `[r, N]`,
      each with the result's float element type or an 8-bit per-axis type
      on axis 1 expressed in it;
    - the result has `lhs`'s shape with the last dimension N.

    ```mlir
    %y = qc.quantized_matmul %x, %w : (tensor<?x64xf32>, tensor<64x172x!quant.uniform<i4:f32:1, {...}>>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins Qc_AnyTensor:$lhs, Optional<Qc_FloatTensor>:$lhs_scale,
                       Qc_AnyTensor:$rhs,
                       Optional<Qc_AnyTensor>:$lrc_a,
                       Optional<Qc_AnyTensor>:$lrc_b,
                       Optional<Qc_FloatTensor>:$codebook);
  let results = (outs Qc_AnyTensor:$result);
  let assemblyFormat = [{
    $lhs (`scaled` `by` $lhs_scale^)? `,` $rhs
    (`low_rank` `(` $lrc_a^ `,` $lrc_b `)`)?
    (`codebook` `(` $codebook^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qc_QuantizedConvOp : Qc_Op<"quantized_conv", [Pure]>, Qc_ConvGeometry {
  let summary = "Convolution with quantized weights";
  let description = [{
    `qc.conv` whose `weight` has a quantized element type: per tensor, or per
    axis on dimension 0 (output channels). The input is float or a per-tensor
    `!quant.uniform` tensor; bias and result are float.

    Verifier rules: those of `qc.conv`, plus the weight type rules above.
  }];
  let arguments = !con((ins Qc_AnyTensor:$input, Qc_AnyTensor:$weight,
                            Optional<Qc_FloatTensor>:$bias), geometry);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qc_CodebookDecodeOp : Qc_Op<"codebook_decode", [Pure]> {
  let summary = "Non-uniform weights: b-bit indices into a table of levels";
  let description = [{
    `result[k, n] = codebook[..., indices[k, n]]`, where the table is shared
    by the whole tensor (`codebook` is `[L]`), is per output channel
    (`[N, L]`), or per group of `group_size` input channels and output channel
    (`[ceil(K / group_size), N, L]`), with `L = 2^b` levels for `b`-bit
    indices. The backends are to fuse the lookup into the consuming matmul so
    that the float weights are never materialized.

    Verifier rules:
    - `indices` is 2-D with a signless or unsigned integer type of <= 8 bits;
    - the last dimension of `codebook` is `2^b`;
    - `group_size` is given exactly for a 3-D codebook and its group count
      matches K;
    - the result is `[K, N]` with the codebook's element type.

    ```mlir
    %w = qc.codebook_decode %idx, %levels : (tensor<64x172xui4>, tensor<172x16xf32>) -> tensor<64x172xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyInteger]>:$indices,
                       Qc_FloatTensor:$codebook,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group_size);
  let results = (outs Qc_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `,` $codebook attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // QUANTC_DIALECTS_QC_IR_QCOPS_TD
