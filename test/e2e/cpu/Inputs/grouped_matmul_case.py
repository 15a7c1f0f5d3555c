"""Writes WbA8 products with group-wise (or per-column) 2-4 bit weights,
dynamic per-token and static per-tensor int8 activations, with inputs and
exact references, for checking qc-cpu-int8-matmuls' grouped kernel calls
and the runtime's quantc_qgemm_grouped.

usage: grouped_matmul_case.py OUT_DIR

OUT_DIR/{dyn,static}_{g32,g5,pc}.mlir: x[?, K] * W[K, N] with
  g32: 4 bits, groups of 32, K = 172 (a ragged last group of 12: the
       weight has 192 rows, the last 20 random and never used), N = 100
       (a ragged last 16-column panel), codes over all of [-8, 7];
  g5:  2 bits, groups of 5 (each stored as 8 rows), K = 23 (25 weight
       rows), N = 17;
  pc:  3 bits per column (one group of K = 64), N = 600 (three column
       tiles, the last ragged);
  static: activation scale 0.05, zero point -5.
OUT_DIR/x{1,3,130}_{g32,g5,pc}.npy: 1, 3 and 130 rows (130: two 128-row
tiles; 1 and 3 take the VNNI path on AMX machines);
OUT_DIR/{dyn,static}_x{rows}_{shape}.npy: the references.

The references follow runtime/ukernels/QGemmGrouped.h: each group's exact
integer sum of (x codes - zero point) * q, F = fma(float(sum), scale, F) in
group order, out = F * row scale. numpy has no fma: the product of two
float32 is exact in float64 and the sum is rounded to float64 and then to
float32, which equals a float32 fma unless the float64 result falls exactly
halfway between two float32 (about 2^-29 per operation; with the fixed seed
none does, so the test is deterministic). Group scales are drawn as f16
values, which the compiler stores exactly.
"""
import os
import sys

import numpy as np

from int8_activations import (codes_and_row_scales, dense, product_text,
                              write_inputs)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
# name: (K, N, bits, rows per group or 0 for per column)
SHAPES = {"g32": (172, 100, 4, 32), "g5": (23, 17, 2, 5), "pc": (64, 600, 3, 0)}


def weight(k, n, bits, group):
    """Codes [rows, n] with rows = K rounded up to whole groups (the
    quantized type needs them; the rows past K multiply nothing) and the
    [groups, n] scales."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    groups = (k + group - 1) // group if group else 1
    rows = groups * group if group else k
    codes = rng.integers(lo, hi + 1, size=(rows, n), dtype=np.int64)
    codes[0, :] = lo  # the extremes, for the nibble offset
    codes[1 % k, :] = hi
    scales = rng.uniform(0.001, 0.02, size=(groups, n))
    scales = scales.astype(np.float16 if group else np.float32).astype(np.float32)
    return codes, scales


def write_model(path, k, codes, scales, bits, group, static):
    rows, n = codes.shape
    if group:
        groups = ", ".join("{" + ", ".join(f"{float(s):.9e}" for s in g) + "}"
                           for g in scales)
        qtype = f"!quant.uniform<i{bits}:f32:{{0:{group}, 1:1}}, {{{groups}}}>"
    else:
        qtype = (f"!quant.uniform<i{bits}:f32:1, {{"
                 + ", ".join(f"{float(s):.9e}" for s in scales[0]) + "}>")
    wtype = f"tensor<{rows}x{n}x{qtype}>"
    lhs = product_text(k, n, wtype, static)
    with open(path, "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c = arith.constant {dense(codes)} : tensor<{rows}x{n}xi{bits}>
  %w = quant.scast %c : tensor<{rows}x{n}xi{bits}> to {wtype}
{lhs}
  return %y : tensor<?x{n}xf32>
}}
""")


def reference(x, codes, scales, group, static):
    q, row = codes_and_row_scales(x, static)
    k = x.shape[1]
    group = group or k
    f = np.zeros((x.shape[0], codes.shape[1]), np.float32)
    for g in range(scales.shape[0]):
        t = q[:, g * group:(g + 1) * group] @ codes[g * group:min((g + 1) * group, k)]
        prod = t.astype(np.float32).astype(np.float64) * scales[g].astype(np.float64)
        f = (prod + f.astype(np.float64)).astype(np.float32)
    return f * row


for name, (k, n, bits, group) in SHAPES.items():
    codes, scales = weight(k, n, bits, group)
    for static in (False, True):
        kind = "static" if static else "dyn"
        write_model(os.path.join(out, f"{kind}_{name}.mlir"), k, codes,
                    scales, bits, group, static)
    write_inputs(out, name, k, rng,
                 lambda x, static: reference(x, codes, scales, group, static))
