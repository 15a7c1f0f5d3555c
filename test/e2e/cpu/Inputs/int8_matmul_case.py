"""Writes W8A8 products (dynamic per-token and static per-tensor int8
activations, per-column int8 weights) with inputs and exact references, for
checking qc-cpu-int8-matmuls and the runtime's microkernels.

usage: int8_matmul_case.py OUT_DIR

OUT_DIR/{dyn,static}_{big,odd,wide}.mlir: x[?, K] * W[K, N] with
  big: K = 172, N = 100 (K not a multiple of 64, a ragged last 16-column
       panel, two 256-column... one column tile), codes over all of [-128, 127];
  odd: K = 5, N = 17 (K not a multiple of 4, one column past a panel);
  wide: K = 64, N = 600 (three 256-column tiles, the last one ragged);
  static: activation scale 0.05, zero point -5.
OUT_DIR/x{1,3,130}_{big,odd,wide}.npy: 1, 3 and 130 rows (130: two 128-row tiles);
OUT_DIR/{dyn,static}_x{rows}_{shape}.npy: the references.

The references emulate the generated code's float32 operations one by one
(max |x| per row, x / s rounded half to even, clamped; the epilogue
float(acc - z * colsum) * (s_w * s_x)) around an exact integer product, so
the artifact must match them bit for bit.
"""
import os
import sys

import numpy as np

from int8_activations import (codes_and_row_scales, dense, product_text,
                              write_inputs)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
SHAPES = {"big": (172, 100), "odd": (5, 17), "wide": (64, 600)}


def weight(k, n):
    codes = rng.integers(-128, 128, size=(k, n), dtype=np.int64)
    codes[0, :] = -128  # the extremes, for the u8 offset and overflow
    codes[1 % k, :] = 127
    scales = (rng.uniform(0.001, 0.02, size=n)).astype(np.float32)
    return codes, scales


def write_model(path, codes, scales, static):
    k, n = codes.shape
    scale_list = ", ".join(f"{float(s):.9e}" for s in scales)
    wtype = f"tensor<{k}x{n}x!quant.uniform<i8:f32:1, {{{scale_list}}}>>"
    lhs = product_text(k, n, wtype, static)
    with open(path, "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c = arith.constant {dense(codes)} : tensor<{k}x{n}xi8>
  %w = quant.scast %c : tensor<{k}x{n}xi8> to {wtype}
{lhs}
  return %y : tensor<?x{n}xf32>
}}
""")


def reference(x, codes, scales, static):
    q, row = codes_and_row_scales(x, static)
    acc = q @ codes
    return acc.astype(np.float32) * (scales[None, :] * row).astype(np.float32)


for name, (k, n) in SHAPES.items():
    codes, scales = weight(k, n)
    for static in (False, True):
        kind = "static" if static else "dyn"
        write_model(os.path.join(out, f"{kind}_{name}.mlir"), codes, scales, static)
    write_inputs(out, name, k, rng,
                 lambda x, static: reference(x, codes, scales, static))
