//===- Passes.td - quantc's qc-level passes ----------------*- tablegen -*-===//
//
// Passes that work on the qc dialect, grouped by stage and kept alphabetical
// within a group.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_PASSES_TD
#define QUANTC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

def ApplyStats : Pass<"qc-apply-stats", "func::FuncOp"> {
  let summary = "Set each observer's range from a calibration stats file";
  let description = [{
    Reads the JSON file that calibration writes and sets `range` on every
    `qc.observe` whose name it lists:

    ```json
    {"format": "quantc-stats", "version": 1,
     "tensors": {"layers.0.attn.wq.input":
                   {"min": -1.5, "max": 2.25, "observer": "minmax"}}}
    ```

    `observer` is one of `minmax`, `percentile`, `mse`, `kl` (default
    `minmax`). Per-channel statistics over the observed tensor's last
    dimension (version 2, when its size matches) become attributes the
    weight quantization reads: `qc.channel_mean_square` (f32 `[K]`, the mean
    x^2 of each channel) and, when the file has a gram side file,
    `qc.input_gram` (f32 `[K, K]` resource blob, E[x x^T]).
    An observer the file does not list is an error unless
    `allow-missing` is set; so are an unreadable or malformed file and an
    entry whose bounds are not finite or have min > max.
  }];
  let options = [
    Option<"statsFile", "stats-file", "std::string", /*default=*/"\"\"",
           "The stats file (JSON) to read">,
    Option<"allowMissing", "allow-missing", "bool", /*default=*/"false",
           "Leave observers the file does not list without a range">,
  ];
}

def InsertObservers : Pass<"qc-insert-observers", "func::FuncOp"> {
  let summary = "Observe the activations that quantized matmuls and convs read";
  let description = [{
    Inserts `qc.observe` on every non-constant float operand of `qc.matmul`,
    `qc.gemm` and `qc.conv`: the inputs whose ranges static activation
    quantization needs. A value feeding several such ops (x feeding q, k and
    v) gets one observer, named after its first consumer's location name and
    role (`layers.0.attn.wq.input`; `.lhs`/`.rhs` when both operands are
    activations, as in attention's q * k^T). Constants (weights), values that
    are already observed, and mask-like values (computed with a constant of
    magnitude 1e30 or more, e.g. a causal mask's -3.4e38 fill) are left out.
    An observer name that already exists in the function is an error.
  }];
  let options = [
    Option<"activationProducts", "activation-products", "bool",
           /*default=*/"true",
           "Also observe matmuls whose operands are both activations">,
  ];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def QuantizeActivations : Pass<"qc-quantize-activations", "func::FuncOp"> {
  let summary = "Quantize the activations that quantized matmuls read";
  let description = [{
    Gives every `qc.quantized_matmul` with a float left operand integer
    activations (W8A8, W4A8):

    - `mode=static`: the operand must be a `qc.observe` with a calibrated
      `range` (see `qc-apply-stats`); it becomes `quant.qcast` to a
      per-tensor `!quant.uniform<i8:f32, s:z>` covering the range (widened
      to hold 0; asymmetric unless `symmetric`);
    - `mode=dynamic`: `qc.dynamic_quantize` computes one symmetric scale
      per token (row) at run time.

    A static activation without an observer or without a range is an
    error that names the observer.

    ```mlir
    %a = qc.observe %x {name = "fc.input", range = #qc.range<-1.0, 3.0, minmax>} : tensor<?x64xf32>
    %y = qc.quantized_matmul %a, %w : ...
    // qc-quantize-activations{mode=static}:
    %q = quant.qcast %a : tensor<?x64xf32> to tensor<?x64x!quant.uniform<i8:f32, 0.0156862754:-64>>
    %y = qc.quantized_matmul %q, %w : ...
    ```
  }];
  let options = [
    Option<"mode", "mode", "ActivationMode", /*default=*/"ActivationMode::Static",
           "static (calibrated per-tensor) or dynamic (per token)",
           [{::llvm::cl::values(
             clEnumValN(ActivationMode::Static, "static",
                        "calibrated per-tensor ranges"),
             clEnumValN(ActivationMode::Dynamic, "dynamic",
                        "one scale per token at run time"))}]>,
    Option<"bits", "bits", "unsigned", /*default=*/"8",
           "Bits per activation (2 to 8)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "Static mode: zero point 0">,
  ];
  let dependentDialects = ["quant::QuantDialect"];
}

def ActivationAwareScaling : Pass<"qc-awq", "func::FuncOp"> {
  let summary = "Scale weight rows by the activation's magnitude before "
                "rounding (AWQ)";
  let description = [{
    For every `qc.observe` that carries `qc.channel_mean_abs` and
    `qc.input_gram` (qc-apply-stats, from a stats file with gram matrices)
    and feeds `qc.matmul`s with constant 2-D f32 weights (the layers that
    read one activation: q/k/v, gate/up), chooses per-channel factors
    `s_k = mean|x_k|^alpha` (alpha on a grid of `grid` + 1 points in
    [0, 1], normalised so that max(s) min(s) = 1) that minimise the layers'
    output error after rounding with this pass's `bits`, `group-size`,
    `symmetric` and `clip` (as qc-quantize-weights will round them):
    `tr(D^T H D)`, `D = W - Q(diag(s) W) / s`, H the input's E[x x^T]
    (../shared/ALGORITHMS.md; the quadratic form stands in for the paper's
    cache of input rows exactly).

    When some alpha > 0 lowers the error, the weights become `diag(s) W`
    and the activation is divided by `s`, folded into what produces it
    when only the scaled products read it: the per-channel constant
    multiply of an imported RMSNorm/LayerNorm scale (`linalg.generic`
    x * c[k]), or the output columns of a `qc.matmul` with a constant
    weight that nothing else reads, producing x directly or as one factor
    of an elementwise product (SwiGLU's silu(gate) * up: the up
    projection's columns). Else `1/s` is an explicit multiply before the
    products (e.g. the attention output, whose channels come from the value
    projection through the heads). A remark at each observer reports alpha
    and the error before and after.
    Run it before qc-quantize-weights with the same rounding options;
    weight-only schemes (the observers' ranges describe x, not x / s).

    ```mlir
    // qc-awq: %n = x * gamma (an RMSNorm scale) feeding q/k/v
    %n = linalg.generic ... ins(%x, %gamma ...)        // gamma / s
    %o = qc.observe %n {name = "wq.input", qc.channel_mean_abs = ..., qc.input_gram = ...}
    %q = qc.matmul %o, %wq                             // diag(s) W
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Bits per weight (2 to 8), as qc-quantize-weights">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Input channels per scale, as qc-quantize-weights">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Zero point 0, as qc-quantize-weights">,
    Option<"clip", "clip", "WeightClip", /*default=*/"WeightClip::None",
           "How each scale's range is chosen, as qc-quantize-weights",
           [{::llvm::cl::values(
             clEnumValN(WeightClip::None, "none", "the values' min/max"),
             clEnumValN(WeightClip::Mse, "mse",
                        "the clipping with the least squared error"))}]>,
    Option<"grid", "grid", "int64_t", /*default=*/"20",
           "Steps of alpha over [0, 1]">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def SmoothOutliers : Pass<"qc-smooth-outliers", "func::FuncOp"> {
  let summary = "Move activation outliers into the weights before integer "
                "quantization (SmoothQuant)";
  let description = [{
    For every `qc.observe` that carries `qc.channel_max_abs` and
    `qc.input_sample` (qc-apply-stats, from a stats file made with
    `quantc calibrate --row-samples N`) and feeds `qc.matmul`s with
    constant 2-D f32 weights (the layers reading one activation, e.g.
    q/k/v or gate/up, share its factors): per-channel factors
    `s_k = max|x_k|^alpha / max|w_k|^(1 - alpha)` (w over all those
    layers' row k; ../shared/ALGORITHMS.md) with alpha on a grid of
    `grid` + 1 points in [0, 1], or the given `alpha`, chosen to minimise
    the layers' mean squared output error on the sampled rows when the
    weights are quantized per column to `weight-bits` and the activation
    per tensor (static: the range max_k max|x_k| / s_k) or per row
    (`dynamic`) to `activation-bits`, all symmetric.

    Where the best alpha beats no smoothing (s = 1), the weights become
    `diag(s) W` and the activation `x / s`, folded into what produces it
    (an imported norm scale, or the output columns of the weight product
    making it, directly or through an elementwise product), else an
    explicit multiply; the observer's statistics and range are rescaled to
    describe x / s (the range symmetric, from the channel maxima). A layer
    where smoothing does not help is left alone. A remark at each observer
    reports alpha, the error before and after, and whether it was kept.
    Run it after qc-apply-stats and before qc-quantize-weights and
    qc-quantize-activations.

    ```mlir
    // qc-smooth-outliers: %n = x * gamma (an RMSNorm scale) feeding q/k/v
    %n = linalg.generic ... ins(%x, %gamma ...)     // gamma / s
    %o = qc.observe %n {name = "wq.input", qc.channel_max_abs = ...,
                        qc.input_sample = ..., range = ...}  // of x / s
    %q = qc.matmul %o, %wq                          // diag(s) W
    ```
  }];
  let options = [
    Option<"alpha", "alpha", "double", /*default=*/"-1.0",
           "Migration strength in [0, 1]; negative: searched per layer">,
    Option<"grid", "grid", "int64_t", /*default=*/"20",
           "Steps of the alpha search over [0, 1]">,
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"8",
           "Bits of the per-column weight grid the error is measured with">,
    Option<"activationBits", "activation-bits", "unsigned", /*default=*/"8",
           "Bits of the activation grid the error is measured with">,
    Option<"dynamic", "dynamic", "bool", /*default=*/"false",
           "Activations get one scale per row at run time (else one "
           "calibrated scale per tensor)">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def PerturbationPoints : Pass<"qc-perturbation-points", "ModuleOp"> {
  let summary = "Turn weights into inputs (and add activation noise points) "
                "for one-artifact sensitivity sweeps";
  let description = [{
    In `func.func @main`, every `qc.matmul` whose right operand is a 2-D
    static f32 constant, and every `qc.conv` with a static f32 constant
    weight, gets that weight as a new last argument named
    (`onnx.name`) `<node>.weight`, `<node>` the ONNX node's name. With
    `activations`, its left operand `x` also goes through a noise point,
    `x + sigma * noise`, whose parameters are another new argument
    `<node>.input.noise` (f32 [3]: sigma, kind, seed): kind 0 uniform, 1
    Gaussian, 2 Laplace (heavy-tailed), each of unit variance, from a
    counter-based hash of the element's linear index and the seed (no
    state; the same on every target). sigma 0 leaves x unchanged.

    `quantc sensitivity` compiles a model once with this pass and then
    perturbs one layer at a time by feeding its inputs: the original
    weights and sigma 0 everywhere else.

    ```mlir
    // before
    %w = arith.constant dense<...> : tensor<64x64xf32>
    %y = qc.matmul %x, %w loc("layers.0.attn.wq")
    // after (activations=true)
    func.func @main(..., %w: tensor<64x64xf32> {onnx.name = "layers.0.attn.wq.weight"},
                    %p: tensor<3xf32> {onnx.name = "layers.0.attn.wq.input.noise"})
    %xn = linalg.generic ... ins(%x) { x + p[0] * noise(p[1], p[2], index) }
    %y = qc.matmul %xn, %w
    ```
  }];
  let options = [
    Option<"activations", "activations", "bool", /*default=*/"false",
           "Also add a noise point on each product's activation">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

def AllocateBits : Pass<"qc-allocate-bits", "func::FuncOp"> {
  let summary = "Choose each weight product's bit width under a budget from "
                "measured sensitivities";
  let description = [{
    Reads the report of `quantc sensitivity` (`sensitivity-file`): for each
    weight product, named after its ONNX node, the loss change when it
    alone is quantized at each measured width. For the `qc.matmul`s and
    `qc.conv`s with a constant weight that the report names, chooses one
    width each
    minimising the summed loss change with at most `budget` code bits per
    weight on average (code bits x parameters; scales and zero points are
    not counted): a multiple-choice knapsack solved exactly by dynamic
    programming over the budget in `steps` units (each option's cost
    rounded up, so the choice always fits). `layer-bits` fixes the width of
    the layers whose name matches a glob (`layers.0.*=8`). The choice
    becomes `qc.weight_bits` on each product, which qc-quantize-weights
    honours.

    A remark per product gives its width and predicted loss change, and a
    summary the average width and the predicted total: the sum of
    single-layer changes times the measured/sum ratio of the report's
    measured mixes (else its uniform widths) at that average width
    (single-layer changes add up to less than the joint damage). When a
    uniform width within the budget has a measured whole-model change
    (the report's "joint") below that prediction, every product gets that
    width instead (not with `layer-bits`); so does a mix the report
    refined for a budget against the measured loss (`quantc sensitivity
    --refine`), when it fits this budget.

    `size-budget` (bytes) replaces `budget`: each option then costs its
    stored bytes (codes, f16 or f32 scales, zero points: the layout of
    qc-lower-quantized), and the bytes that do not depend on the choice
    (float constants, products the report does not name at `default-bits`)
    are taken off the budget first. The summary gives the chosen codes'
    bytes, their scales' and zero points' bytes, and the model's total.

    ```mlir
    %y = qc.matmul %x, %w loc("layers.0.ffn.w2")
    // after qc-allocate-bits{sensitivity-file=sens.json budget=3.5}
    %y = qc.matmul %x, %w {qc.weight_bits = 4 : i64} loc("layers.0.ffn.w2")
    ```
  }];
  let options = [
    Option<"sensitivityFile", "sensitivity-file", "std::string",
           /*default=*/"", "The report of `quantc sensitivity` (JSON)">,
    Option<"budget", "budget", "double", /*default=*/"4.0",
           "Average code bits per weight over the allocated products">,
    ListOption<"layerBits", "layer-bits", "std::string",
               "PATTERN=BITS: fixed widths for layers whose name matches the "
               "glob">,
    Option<"steps", "steps", "int64_t", /*default=*/"4096",
           "Units the budget is divided into for the exact solver">,
    Option<"sizeBudget", "size-budget", "int64_t", /*default=*/"0",
           "Instead of budget: bytes for the whole model's weights (codes, "
           "scales, zero points and float constants)">,
    Option<"defaultBits", "default-bits", "unsigned", /*default=*/"8",
           "The width products the report does not name will get (counted "
           "by size-budget)">,
  ];
}

def RotateResidual : Pass<"qc-rotate-residual", "func::FuncOp"> {
  let summary = "Carry a residual stream in a randomized Hadamard basis, "
                "folded into the weights (QuaRot)";
  let description = [{
    Finds each residual stream: the values connected through elementwise
    float adds of equal shapes, starting from every such add. Every op
    touching the stream must commute with an orthogonal Q over its last
    dimension (d channels) or absorb it:
    - writers: a `qc.matmul` with a constant K x d f32 weight (W -> W Q), or
      a lookup of a constant V x d f32 table (an imported Gather of an
      embedding: T -> T Q);
    - an RMSNorm: x * x summed over the last dimension only (Q keeps the
      sum), and x multiplied or divided by a per-row value;
    - readers: `qc.matmul`s with constant d x N f32 weights, directly, via
      one `qc.observe`, or after the norm's constant per-channel scale
      gamma, which is folded into them: W -> Q^T diag(gamma) W and the
      scale's multiply is removed.
    Anything else (a LayerNorm's mean, a slice or reshape of channels, a
    graph output, a bias add) leaves the stream unrotated, with a remark
    naming the op when the add sums a weight product's output.

    Q is the randomized Walsh-Hadamard matrix of d
    (passes/algorithms/Rotation.h, random signs from `seed`). Nothing runs
    online: x Q exists only as the rotated tables and weights. The summed
    output error of every reader and writer after rounding with this
    pass's `bits`, `group-size`, `symmetric` and `clip` is computed with and
    without Q from the observers' `qc.input_gram` (a reader's becomes
    Q^T diag(1/gamma) H diag(1/gamma) Q), and the stream is rotated only
    when it is lower (or with `always`). Rotated readers' observers get that
    Gram matrix and its diagonal as `qc.channel_mean_square`, lose their
    per-channel |x| statistics and row samples, and are marked `qc.rotated`
    so qc-rotate-inputs leaves them alone. One remark per stream gives both
    errors and the decision. Weight-only schemes (the observers' ranges
    describe x, not x Q).
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Bits per weight (2 to 8), as qc-quantize-weights">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Input channels per scale, as qc-quantize-weights">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Zero point 0, as qc-quantize-weights">,
    Option<"clip", "clip", "WeightClip", /*default=*/"WeightClip::None",
           "How each scale's range is chosen, as qc-quantize-weights",
           [{::llvm::cl::values(
             clEnumValN(WeightClip::None, "none", "the values' min/max"),
             clEnumValN(WeightClip::Mse, "mse",
                        "the clipping with the least squared error"))}]>,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random signs">,
    Option<"always", "always", "bool", /*default=*/"false",
           "Rotate every stream that can be, even where the error rises">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def RotateInputs : Pass<"qc-rotate-inputs", "func::FuncOp"> {
  let summary = "Rotate linear layers' inputs by a randomized Hadamard "
                "matrix where that lowers their rounding error";
  let description = [{
    For every `qc.observe` that carries `qc.input_gram` and feeds
    `qc.matmul`s with constant 2-D f32 weights: y = x W = (x Q)(Q^T W) for
    the orthogonal randomized Walsh-Hadamard Q
    (passes/algorithms/Rotation.h: random signs from `seed`, block-diagonal
    over the powers of two in K when K is not one). The layers' output
    error after rounding with this pass's `bits`, `group-size`,
    `symmetric` and `clip` (as qc-quantize-weights will round) is computed
    with and without Q from H = E[x x^T] (rotated: Q^T H Q), and the
    rotation is applied only where it is lower: the weights become Q^T W,
    x Q is computed online before the observer as a fast Walsh-Hadamard
    transform (a per-channel multiply by sign / sqrt(block), then
    log2(widest block) butterfly `linalg.generic`s: O(K log K) per row, no
    K x K constant), and the observer's `qc.input_gram` and
    `qc.channel_mean_square` become those of x Q (so GPTQ after it uses the
    rotated Hessian; `qc.channel_mean_abs` is dropped). A remark per
    observer reports both errors and whether the rotation was kept.
    Observers marked `qc.rotated` (their input is a residual stream
    qc-rotate-residual rotated) are left alone.
    Weight-only schemes (the observers' ranges describe x, not x Q).
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Bits per weight (2 to 8), as qc-quantize-weights">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Input channels per scale, as qc-quantize-weights">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Zero point 0, as qc-quantize-weights">,
    Option<"clip", "clip", "WeightClip", /*default=*/"WeightClip::None",
           "How each scale's range is chosen, as qc-quantize-weights",
           [{::llvm::cl::values(
             clEnumValN(WeightClip::None, "none", "the values' min/max"),
             clEnumValN(WeightClip::Mse, "mse",
                        "the clipping with the least squared error"))}]>,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random signs">,
    Option<"always", "always", "bool", /*default=*/"false",
           "Rotate every calibrated input, even where the error rises">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def QuantizeWeights : Pass<"qc-quantize-weights", "func::FuncOp"> {
  let summary = "Round-to-nearest quantization of matmul weights";
  let description = [{
    Every `qc.matmul` whose right operand is a 2-D f32 constant `W[K, N]`
    (and every `qc.gemm` with an untransposed `a` and a 2-D f32 constant
    `b`: `W = alpha * op(b)`, then `+ beta * c` as a `linalg.generic`)
    becomes a `qc.quantized_matmul` on `quant.scast` of an integer constant
    whose `!quant.uniform` element type carries the scales and zero points
    (../shared/ALGORITHMS.md, "Uniform quantization"):

    - `group-size=0` (default): one scale per output channel, a per-axis type
      on axis 1;
    - `group-size=-1`: one scale for the whole tensor;
    - `group-size=g`: one scale per `g` consecutive input channels per output
      channel, a sub-channel type with blocks `{0:g, 1:1}`. When `g` does not
      divide `K` the last group holds the `K mod g` rest: its scale comes
      from those rows only, and the constant is padded with zero-code rows
      to a whole number of groups (`quant.scast` needs whole blocks);
      `qc.quantized_matmul` reads only the first `K` rows.

    Every `qc.conv` with a constant f32 weight becomes `qc.quantized_conv`
    with one scale per output channel (a per-axis type on axis 0; per tensor
    with `group-size=-1`; other group sizes mean per channel for
    convolutions).

    Storage is a signed `bits`-bit integer (2 to 8 bits). Symmetric weights
    have zero point 0 and scale `max|w| / (2^(b-1) - 1)`; asymmetric ones
    cover `[min, max]` (widened to hold 0) with a zero point. With
    `clip=mse` each scale's range is instead the clipping `r` x that range
    (r = 1, 0.99, ..., 0.5) whose codes reconstruct its values with the
    least squared error (r = 1 unless a smaller range is strictly better);
    when the product's input is a `qc.observe` carrying
    `qc.channel_mean_square` (qc-apply-stats, from a version-2 stats file),
    each weight's error is weighted by the mean x^2 of the input channel
    (weight row) it meets.
    Rounding is half to even. The float constant is erased unless something else still
    uses it.

    `method=gptq` chooses the codes of a matmul weight by GPTQ (Frantar et
    al., 2022; ../shared/ALGORITHMS.md): rows (input channels) are quantized
    one at a time and each one's error is spread over the rows not yet
    quantized through the inverse of H = E[x x^T] + lambda I, lambda =
    `dampening` x mean(diag H), the layer-output error
    `tr((W - W^)^T H (W - W^))` being what it minimises. H is the
    `qc.input_gram` of the `qc.observe` the product reads (qc-apply-stats,
    from a stats file with gram matrices); a product without one is an
    error, or stays float with `calibrated-only` (the driver's sequential
    GPTQ quantizes one stage of layers at a time that way). The scales of a
    group are chosen (min/max, or `clip=mse` weighted by diag H) from the
    already-updated rows when its first row is reached; `act-order` takes
    rows in order of decreasing diag H (groups stay consecutive rows).
    Convolutions are quantized round-to-nearest under either method.

    `codebook=nf4|kmeans` quantizes matmul weights to a non-uniform grid:
    per group (or channel) the scale is max|w|, and each w / scale takes
    the nearest of 2^bits levels in [-1, 1], the NF4 table (QLoRA's 16
    normal quantiles, bits=4) or one fitted per layer by k-means (Lloyd,
    each value weighted by its scale^2 and, with calibration, the mean x^2
    of its input channel). The codes are stored like uniform ones (the
    level's index minus 2^(bits-1), zero point 0) and the table becomes the
    product's `codebook` operand, looked up inside the kernel. With
    `method=gptq` the rounding inside GPTQ takes the nearest level (k-means
    fits its table first on the original weight). Not with lorc-rank.

    `lorc-rank=r` (LoRC, ZeroQuant-V2) adds to every quantized matmul the
    best rank-r approximation A B of its residual `W - W^` (truncated SVD,
    the singular values split evenly between A `[K, r]` and B `[r, N]`),
    both stored as 8-bit symmetric integers with one scale per column and
    passed as the product's `low_rank` operands: `y = x W^ + (x A) B`.

    ```mlir
    %y = qc.matmul %x, %w : (tensor<?x64xf32>, tensor<64x172xf32>) -> tensor<?x172xf32>
    // qc-quantize-weights{bits=4 group-size=32}:
    %c = arith.constant dense<...> : tensor<64x172xi4>
    %q = quant.scast %c : tensor<64x172xi4> to tensor<64x172x!quant.uniform<i4:f32:{0:32,1:1}, {...}>>
    %y = qc.quantized_matmul %x, %q : ...
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Bits per weight (2 to 8)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Input channels per scale: 0 per channel, -1 per tensor">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Zero point 0 (else asymmetric with a zero point)">,
    Option<"clip", "clip", "WeightClip", /*default=*/"WeightClip::None",
           "How each scale's range is chosen",
           [{::llvm::cl::values(
             clEnumValN(WeightClip::None, "none", "the values' min/max"),
             clEnumValN(WeightClip::Mse, "mse",
                        "the clipping (0.5 to 1 of the range, steps of "
                        "0.01) with the least squared error"))}]>,
    Option<"method", "method", "WeightMethod", /*default=*/"WeightMethod::Rtn",
           "How codes are chosen",
           [{::llvm::cl::values(
             clEnumValN(WeightMethod::Rtn, "rtn", "round to nearest"),
             clEnumValN(WeightMethod::Gptq, "gptq",
                        "GPTQ with the input's calibrated E[x x^T]"))}]>,
    Option<"actOrder", "act-order", "bool", /*default=*/"false",
           "GPTQ: rows in order of decreasing diag(H)">,
    Option<"dampening", "dampening", "double", /*default=*/"0.01",
           "GPTQ: lambda as a fraction of mean(diag H)">,
    Option<"codebook", "codebook", "WeightCodebook",
           /*default=*/"WeightCodebook::None",
           "A non-uniform grid the codes index",
           [{::llvm::cl::values(
             clEnumValN(WeightCodebook::None, "none", "uniform levels"),
             clEnumValN(WeightCodebook::Nf4, "nf4",
                        "the 16 NF4 levels (normal quantiles), 4 bits"),
             clEnumValN(WeightCodebook::Kmeans, "kmeans",
                        "2^bits levels per layer by weighted k-means"))}]>,
    Option<"lorcRank", "lorc-rank", "int64_t", /*default=*/"0",
           "LoRC: rank of the correction of each matmul weight (0: none)">,
    Option<"calibratedOnly", "calibrated-only", "bool", /*default=*/"false",
           "GPTQ: leave products whose input has no qc.input_gram float "
           "instead of failing">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "quant::QuantDialect", "tensor::TensorDialect"];
}

def FuseElementwise : Pass<"qc-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg producers into elementwise consumers";
  let description = [{
    Upstream's elementwise fusion (the patterns of
    `linalg-fuse-elementwise-ops`), restricted to consumers whose loops are
    all parallel. Fusing a producer into a reduction (a matmul's operand
    into the matmul) would recompute it for every reduced output: an RMSNorm
    scale fused into a `[T, 64] x [64, 172]` matmul runs 172 times. Named
    contractions stay named (upstream's pass also folds reshapes by
    expansion, which turns `linalg.matmul` into `linalg.generic`).
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def DecomposeAggregatedOps : Pass<"qc-decompose-aggregated-ops",
                                  "func::FuncOp"> {
  let summary = "Decompose aggregated linalg ops such as linalg.softmax";
  let description = [{
    Replaces every op implementing `linalg::AggregatedOpInterface` (upstream:
    `linalg.softmax`) with its decomposition into plain reductions and
    elementwise `linalg.generic` ops. Neither backend has a lowering for the
    aggregated form: `convert-linalg-to-loops` leaves `linalg.softmax`
    untouched, and upstream exposes the decomposition only through the
    transform dialect.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

def LowerQuantized : Pass<"qc-lower-quantized", "func::FuncOp"> {
  let summary = "Lower quantized qc ops to integer linalg on packed weights";
  let description = [{
    Rewrites `qc.quantized_matmul`, `qc.quantized_conv`,
    `qc.dynamic_quantize` and the
    `quant.qcast` of activations into linalg on tensors over integer
    storage. Float copies of quantized weights are never built:

    - weights are repacked so that a kernel unpacks them where it reads
      them: the codes of one column and group are cut along K into words
      (4 bits: 2 per byte; 2 bits: 4 per byte; 3 bits: 8 per 3 bytes) and
      byte p of every word forms plane p, a `[groups, words, N]` i8
      constant; group-wise scales are stored as f16, per-channel ones as
      f32, zero points (when any is non-zero) as i8;
    - float activations (W4A16): one `linalg.generic` over
      (row, group, word, code, column) accumulates
      `x * s * (q - z)` in float;
    - int8 activations (W8A8, W4A8): the product accumulates in i32 per
      group (`linalg.matmul` i8 x i8 -> i32 for plain per-channel int8
      weights), then one epilogue multiplies by the activation and weight
      scales, subtracts the activation zero point times the precomputed
      weight column sums, and sums the groups;
    - `quant.qcast` (static per-tensor activations) and
      `qc.dynamic_quantize` (per token: `max|x| / qmax` per row) compute
      `clamp(round_half_even(x / s) + z)`; NaN becomes the zero point.
      Upstream's `lower-quant-ops` truncates instead of rounding, so it is
      not used.

    - `qc.quantized_conv` with float activations: the convolution's
      generic reads codes one per byte (i8, the weight's shape) and scales
      each step by its output channel's scale;
    - a per-tensor quantized result (int8 output; static activations and
      one scale per column): the i32 accumulator is requantized with a Q31
      multiplier and a right shift per column, rounded half away from zero
      and saturated; `quant.dcast` of such a result becomes `s * (q - z)`.

    The activation is zero-padded to the weight's group and word layout.
    A weight that is not `quant.scast` of a constant and quant ops outside
    these patterns are errors.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

def LowerToLinalg : Pass<"qc-lower-to-linalg", "func::FuncOp"> {
  let summary = "Lower qc's float graph ops to linalg, tensor and arith";
  let description = [{
    Rewrites the float graph ops into destination-style linalg on tensors,
    the form both backends start from:

    - `qc.matmul` becomes `linalg.matmul` when the right operand is a 2-D
      weight (the left operand's leading dimensions are collapsed into rows
      and expanded back afterwards), and a `linalg.generic` contraction with
      broadcast batch maps otherwise;
    - `qc.gemm` becomes a contraction with the transposes folded into its
      indexing maps, then one elementwise `alpha * ab + beta * c`;
    - `qc.conv` becomes `tensor.pad` (when padded) and one `linalg.generic`
      whose input map carries strides, dilations and the group's channel
      offset; the bias seeds the accumulator;
    - `qc.layer_norm` and `qc.rms_norm` become row reductions followed by one
      elementwise normalization.

    Accumulation happens in the operands' element type. Dynamic sizes are
    read with `tensor.dim` or, for convolution outputs, computed with index
    arithmetic. A grouped convolution needs static channel counts; other qc
    ops (quantization) are left for their own lowerings.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

def DebugCrash : Pass<"qc-debug-crash", "ModuleOp"> {
  let summary = "Abort the process: a crash on purpose";
  let description = [{
    A debugging aid: aborts when it runs, as a crashing upstream pass would,
    so that crash recovery and reproducers can be exercised
    (`quantc compile --debug-crash` appends it to the pipeline; quant-opt's
    `--mlir-pass-pipeline-crash-reproducer` writes a reproducer for it).
    With `only-if-function` set, it aborts only when the module defines a
    function of that name and does nothing otherwise.
  }];
  let options = [
    Option<"onlyIfFunction", "only-if-function", "std::string",
           /*default=*/"", "Abort only when a function of this name exists">,
  ];
}

#endif // QUANTC_PASSES_PASSES_TD
