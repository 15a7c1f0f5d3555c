//===- Passes.td - CPU backend passes ----------------------*- tablegen -*-===//

#ifndef QUANTC_BACKENDS_CPU_PASSES_TD
#define QUANTC_BACKENDS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def SplitLowRank : Pass<"qc-cpu-split-low-rank", "ModuleOp"> {
  let summary = "LoRC products as three products the weight-only kernels take";
  let description = [{
    A `qc.quantized_matmul` with a low-rank correction (LoRC: `y = x W +
    (x A) B` with quantized factors A [K, r] and B [r, N]) and float
    activations becomes the product by W, the product by A, the product of
    that by B, and a `linalg.generic` adding the first and the last, so that
    `qc-cpu-w4-matmuls` and `qc-cpu-wq-matmuls` (which take no products with
    a correction) call the runtime's kernels for each. Float factors and
    integer activations are left to `qc-lower-quantized`. The sum is the
    same up to rounding (the factors' scales are applied with their codes
    instead of after each reduction).

    ```mlir
    %y = qc.quantized_matmul %x, %w low_rank(%a, %b) : (...) -> tensor<?x64xf32>
    // qc-cpu-split-low-rank:
    %p = qc.quantized_matmul %x, %w : (...) -> tensor<?x64xf32>
    %t = qc.quantized_matmul %x, %a : (...) -> tensor<?x8xf32>
    %c = qc.quantized_matmul %t, %b : (...) -> tensor<?x64xf32>
    %y = linalg.generic {...} ins(%p, %c : ...) outs(...) { addf }
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def Int8Matmuls : Pass<"qc-cpu-int8-matmuls", "ModuleOp"> {
  let summary = "W8A8 and WbA8 products as calls to the runtime's int8 microkernels";
  let description = [{
    Every `qc.quantized_matmul` whose weight is a constant int8 tensor with
    one scale per column (or per tensor) and no zero point, whose activation
    is int8 (static `quant.qcast` to a signed per-tensor type, or the codes
    and scales of `qc.dynamic_quantize`) and whose result is f32 is
    rewritten, on tensors, into a parallel loop over output tiles (128 rows x
    256 to 1024 columns, 4 tiles across N where N allows) that calls
    `@quantc_qgemm_s8` on buffers. The weight is
    repacked at compile time into the microkernels' layout
    (`runtime/ukernels/QGemm.h`: panels of 16 columns, 4 consecutive K bytes
    per column, K padded to 64), with its column sums and scales; the
    artifact holds no other copy. Static activations are quantized in the
    generated code (round half to even, saturate, as `qc-lower-quantized`);
    the kernel applies the zero-point correction and the scales in its output
    loop. The runtime binds the call at load time to the variant for the CPU
    it runs on (AMX, AVX-512 VNNI, AVX2, scalar). Runs in the linalg front
    before `qc-lower-quantized`, which lowers every other product.

    A product whose weight has 2 to 4 bits with one scale per column for
    each group of rows (or per column) and no zero point (W4A8 g32, W3A8,
    W2A8) calls `@quantc_qgemm_grouped` instead: the codes are repacked as
    nibbles offset to unsigned (`runtime/ukernels/QGemmGrouped.h`: per
    16-column panel and group, 64 bytes per 8 rows, which a mask and a
    shift turn into two `vpdpbusd` operands or two AMX B-tile rows), the
    scales panel-major (f16 for group-wise weights, f32 per column), and,
    for an activation zero point,
    each group's column sums. The kernel adds each group's exact int32 sum,
    scaled, to f32 sums. A ragged last group (the weight's padding rows)
    is read only up to the activation's K.

    ```mlir
    %q, %s = qc.dynamic_quantize %x {granularity = #qc.granularity<per_token>, bits = 8}
        : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
    %y = qc.quantized_matmul %q scaled by %s, %w : ... -> tensor<?x32xf32>
    // qc-cpu-int8-matmuls:
    %a = bufferization.to_buffer %q read_only : tensor<?x64xi8> to memref<?x64xi8>
    %out = memref.alloc(%rows) {alignment = 64 : i64} : memref<?x32xf32>
    scf.forall (%t) in (%tiles) {
      func.call @quantc_qgemm_s8(%a', %w', %sums', %scales', %s', %out', %zero,
                                 %m0, %m1, %n0, %n1) : (...) -> ()
    }
    %y = bufferization.to_tensor %out restrict writable : ...
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "bufferization::BufferizationDialect",
                           "func::FuncDialect", "linalg::LinalgDialect",
                           "memref::MemRefDialect", "scf::SCFDialect",
                           "tensor::TensorDialect"];
}

def W4Matmuls : Pass<"qc-cpu-w4-matmuls", "ModuleOp"> {
  let summary = "W4A16 products as calls to the runtime's 4-bit microkernel";
  let description = [{
    Every `qc.quantized_matmul` with an f32 activation and result and a
    constant signed 4-bit weight with group-wise scales (an even number of
    rows per group, N a multiple of 32; no low-rank correction or codebook)
    is rewritten, on tensors, into a parallel loop over output tiles of 128
    rows x 256 columns that calls `@quantc_sgemm_w4` on buffers. The weight
    is repacked at compile time into the kernel's layout
    (`runtime/ukernels/W4Gemm.h`: panels of 32 columns, two codes per byte,
    f16 scales and i8 zero points per group and column): the same bytes as
    `qc-lower-quantized` stores. The runtime decodes a K block of a tile's
    columns to f32 (`(q - z) * scale`, as `qc-lower-quantized` dequantizes)
    and runs its f32 microkernel on it. Runs in the linalg front after
    `qc-cpu-int8-matmuls`, before `qc-lower-quantized`, which lowers every
    other product.

    ```mlir
    %y = qc.quantized_matmul %x, %w : tensor<?x64xf32>,
        tensor<64x32x!quant.uniform<i4:f32:{0:32, 1:1}, {...}>> -> tensor<?x32xf32>
    // qc-cpu-w4-matmuls:
    %out = memref.alloc(%rows) {alignment = 64 : i64} : memref<?x32xf32>
    scf.forall (%t) in (%tiles) {
      func.call @quantc_sgemm_w4(%a, %codes, %scales, %zeros, %out', %c32,
                                 %m0, %m1, %n0, %n1) : (...) -> ()
    }
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "bufferization::BufferizationDialect",
                           "func::FuncDialect", "linalg::LinalgDialect",
                           "memref::MemRefDialect", "scf::SCFDialect",
                           "tensor::TensorDialect"];
}

def WqMatmuls : Pass<"qc-cpu-wq-matmuls", "ModuleOp"> {
  let summary = "Other weight-only products as calls to the runtime's "
                "decoding f32 kernel";
  let description = [{
    Every `qc.quantized_matmul` with f32 activations and a constant signed
    weight that `qc-cpu-w4-matmuls` left (2, 3 and 8 bits, per-column f32
    scales, group-wise f16 ones with any N, codebooks), whose code words
    take at most 3 bytes and that has no low-rank correction, becomes a
    parallel loop over output tiles of 128 rows x 256 columns calling
    `quantc_sgemm_wq` (slot 4 of the microkernel table). Its weight
    operands are `qc-lower-quantized`'s constants, flattened: the planes of
    packed code words, the scales, the zero points and the codebook, so the
    artifact holds the bytes the weight report counts. The runtime decodes
    a K block of a tile's columns into f32 panels and runs its f32
    microkernel on them (runtime/ukernels/WqGemm.h), so each weight is
    decoded once per 128 rows instead of once per row.

    A weight that is not a `quant.scast` of a constant is an error.
  }];
  let dependentDialects = ["arith::ArithDialect",
                           "bufferization::BufferizationDialect",
                           "func::FuncDialect", "memref::MemRefDialect",
                           "scf::SCFDialect", "tensor::TensorDialect"];
}

def PackMatmuls : Pass<"qc-cpu-pack-matmuls", "ModuleOp"> {
  let summary = "f32 matmuls with constant weights as calls to the runtime's f32 microkernels";
  let description = [{
    Every `linalg.matmul` C[M, N] += A[M, K] * W[K, N] on f32 tensors whose W
    is a constant (static K and N), and every `linalg.generic` computing the
    same product with W stored [N, K] (maps (m, k), (n, k), (m, n) and a
    multiply-add body: ONNX Gemm with transB, PyTorch's Linear), is
    rewritten on tensors: W is repacked at
    compile time into panels `[ceil(N/32)][K][32]` (a ragged last panel is
    zero-padded; the artifact holds only this copy, shared by every matmul
    of the same weight), and the product becomes a parallel loop over output
    tiles (64 rows x 256 columns) that calls `@quantc_sgemm_f32` on buffers:
    A and the panels read-only, a fresh output buffer, the fill value when C
    is a `linalg.fill` (else C is copied into the output and the kernel
    accumulates onto it). The runtime binds the call at load time to the
    variant for the CPU it runs on (AVX-512, AVX2 + FMA, scalar;
    `runtime/ukernels/SGemm.h`), all of which compute one fused multiply-add
    per k in increasing k. Other matmuls are left as they are.

    ```mlir
    %y = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>)
                       outs(%fill : tensor<?x32xf32>) -> tensor<?x32xf32>
    // qc-cpu-pack-matmuls:
    %p = arith.constant dense_resource<packed_weight> : tensor<1x64x32xf32>
    %out = memref.alloc(%rows) {alignment = 64 : i64} : memref<?x32xf32>
    scf.forall (%t) in (%tiles) {
      func.call @quantc_sgemm_f32(%a, %p', %out', %zero, %c0_i32,
                                  %m0, %m1, %n0, %n1) : (...) -> ()
    }
    %y = bufferization.to_tensor %out restrict writable : ...
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "bufferization::BufferizationDialect",
                           "func::FuncDialect", "memref::MemRefDialect",
                           "scf::SCFDialect", "tensor::TensorDialect"];
}

def InterchangeReductions : Pass<"qc-cpu-interchange-reductions",
                                 "func::FuncOp"> {
  let summary = "Move reduction loops outside the innermost parallel loop";
  let description = [{
    The loop lowering keeps a linalg op's loop order, so `linalg.matmul`
    runs `for m, n, k: C[m, n] += A[m, k] * B[k, n]`: the innermost loop is
    a float reduction that LLVM may not vectorize (it would reassociate) and
    that walks B with a stride. When the output's innermost dimension is a
    parallel loop that every operand either indexes as its own innermost
    dimension or does not index at all, this pass makes that loop the
    innermost one (`for m, k, n`): contiguous, independent iterations that
    LLVM vectorizes. Named contractions are generalized first. Ops whose
    innermost access pattern does not allow it (row reductions, q * k^T,
    convolutions) keep their order.
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def SerializeInnerParallel : Pass<"qc-cpu-serialize-inner-parallel",
                                  "func::FuncOp"> {
  let summary = "Keep one dimension of the outermost scf.parallel parallel";
  let description = [{
    `convert-linalg-to-parallel-loops` makes every parallel dimension an
    `scf.parallel`, including those nested inside a reduction loop (an
    interchanged matmul runs `parallel m { for k { parallel n } }`). Each
    would become an OpenMP region entered once per outer iteration. This
    pass rewrites every `scf.parallel` that sits inside another loop into
    nested `scf.for` loops, so threads split only the outermost loops, and
    keeps one dimension of each outermost loop parallel: the first whose
    trip count is not statically 1 (`convert-scf-to-openmp` would otherwise
    collapse all of them, which miscompiled on MLIR 22).
  }];
  let dependentDialects = ["scf::SCFDialect"];
}

def VectorizeContractions : Pass<"qc-cpu-vectorize-contractions",
                                 "func::FuncOp"> {
  let summary = "Row-tile reductions and keep their accumulators in vectors";
  let description = [{
    For a linalg op with reductions (f32 or i32 accumulator; f32, f16, i8
    or i32 operands: float matmuls and the quantized kernels) whose
    innermost loop is parallel,
    static and at most `max-width` long (a matmul after
    `qc-cpu-interchange-reductions`), tiles the other parallel loops by 1
    (`scf.forall`, later threads), the reduction loops by 1 (`scf.for`), and
    vectorizes the remaining `1 x ... x 1 x N` op. Upstream's
    `loop-invariant-subset-hoisting`, run next in the pipeline, then carries
    each row's accumulator through the reduction loop as a vector value
    instead of reading and writing it every step.

    Rows up to `max-width` floats (64: 4 zmm registers) are vectorized
    whole, and rows up to twice that when they fill whole zmm registers (a
    multiple of 16: the GPT block's 128-wide attention scores, whose
    product then keeps 8 accumulator registers instead of reading and
    writing memory every step: W8A8 block 3.22 -> 2.83 ms, fp32 13.7 ->
    13.0 ms at 1 thread). Other wider rows (stories260k's 172 and 512)
    measured slower this way than with LLVM's own loop vectorizer (an
    odd-sized `vector<172xf32>` costs shuffles at every row's start and
    end): 10.5 ms vs 16.5 ms per forward at 1 thread.

    A row of at most 16 values is one or two vector registers: alone, its
    reduction is one chain of dependent FMAs, run at the FMA latency. Such
    ops tile the innermost parallel loop (other than the row's) whose
    static size 4 divides by 4 instead of 1, so that 4 rows' accumulators
    are independent chains (each row's sum keeps its order: results are
    unchanged). stories260k's probs x v (8-value heads), 1 thread on Zen 3:
    10.4 -> 9.0 ms per forward (fastest run), bit-identical logits.
  }];
  let options = [
    Option<"maxWidth", "max-width", "int64_t", /*default=*/"64",
           "Longest innermost loop to vectorize whole">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "scf::SCFDialect",
                           "tensor::TensorDialect", "vector::VectorDialect"];
}

def ReassociateReductions : Pass<"qc-cpu-reassociate-reductions",
                                 "func::FuncOp"> {
  let summary = "Let float reductions be reassociated and contracted";
  let description = [{
    Marks the float arithmetic inside the bodies of linalg ops that reduce
    with `fastmath<reassoc, contract>`. LLVM then vectorizes the reduction
    loops (partial sums in vector lanes) and fuses multiply-adds. The
    summation order changes, so results differ from a sequential sum by
    rounding only; ONNX does not fix a summation order either.
  }];
  let dependentDialects = ["arith::ArithDialect"];
}

def WidenBoolTensors : Pass<"qc-cpu-widen-bool-tensors", "func::FuncOp"> {
  let summary = "Store materialized i1 tensors as i8";
  let description = [{
    A `linalg.generic` result of element type i1 (a mask, a comparison)
    whose every use is an input of another `linalg.generic`, directly or
    through `tensor.expand_shape`, `collapse_shape`, `extract_slice` or
    `cast`, is produced as i8 instead (`arith.extui` before the yield), and
    each reader truncates it back (`arith.trunci` at the top of its body).
    The values are the same. Memory holds a byte per element either way,
    but LLVM loads a `vector<8xi1>` from bytes element by element and
    assembles a mask bit by bit, while a `vector<8xi8>` is one load and one
    conversion: stories260k's causal mask, read by every layer's attention,
    took a quarter of its forward before.

    Results that leave the function, feed a non-generic op or are read as
    an init keep i1, as does a producer whose init is not a `tensor.empty`
    or whose body reads its output.
  }];
  let dependentDialects = ["arith::ArithDialect", "tensor::TensorDialect"];
}

#endif // QUANTC_BACKENDS_CPU_PASSES_TD
