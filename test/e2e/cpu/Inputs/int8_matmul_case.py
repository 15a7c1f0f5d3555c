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

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
SHAPES = {"big": (172, 100), "odd": (5, 17), "wide": (64, 600)}
STATIC_SCALE, STATIC_ZERO = np.float32(0.05), -5


def weight(k, n):
    codes = rng.integers(-128, 128, size=(k, n), dtype=np.int64)
    codes[0, :] = -128  # the extremes, for the u8 offset and overflow
    codes[1 % k, :] = 127
    scales = (rng.uniform(0.001, 0.02, size=n)).astype(np.float32)
    return codes, scales


def dense(codes):
    rows = ", ".join("[" + ", ".join(str(int(v)) for v in r) + "]" for r in codes)
    return f"dense<[{rows}]>"


def write_model(path, codes, scales, static):
    k, n = codes.shape
    scale_list = ", ".join(f"{float(s):.9e}" for s in scales)
    wtype = f"tensor<{k}x{n}x!quant.uniform<i8:f32:1, {{{scale_list}}}>>"
    if static:
        qtype = f"!quant.uniform<i8:f32, {float(STATIC_SCALE):.9e}:{STATIC_ZERO}>"
        lhs = f"""  %q = quant.qcast %x : tensor<?x{k}xf32> to tensor<?x{k}x{qtype}>
  %y = qc.quantized_matmul %q, %w : (tensor<?x{k}x{qtype}>, {wtype}) -> tensor<?x{n}xf32>"""
    else:
        lhs = f"""  %q, %s = qc.dynamic_quantize %x {{granularity = #qc.granularity<per_token>, bits = 8}} : tensor<?x{k}xf32> -> tensor<?x{k}xi8>, tensor<?x1xf32>
  %y = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x{k}xi8>, tensor<?x1xf32>, {wtype}) -> tensor<?x{n}xf32>"""
    with open(path, "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c = arith.constant {dense(codes)} : tensor<{k}x{n}xi8>
  %w = quant.scast %c : tensor<{k}x{n}xi8> to {wtype}
{lhs}
  return %y : tensor<?x{n}xf32>
}}
""")


def quantize(x, s, z, qmin, qmax):
    v = np.round((x / s).astype(np.float32))  # numpy rounds half to even
    v = np.clip(v + np.float32(z), qmin, qmax)
    return v.astype(np.int64)


def reference(x, codes, scales, static):
    if static:
        q = quantize(x, STATIC_SCALE, STATIC_ZERO, -128, 127)
        acc = (q - STATIC_ZERO) @ codes
        row = np.full((x.shape[0], 1), STATIC_SCALE, np.float32)
    else:
        amax = np.abs(x).max(axis=1, keepdims=True)
        s = (amax / np.float32(127)).astype(np.float32)
        s[s == 0] = 1
        q = quantize(x, s, 0, -128, 127)
        acc = q @ codes
        row = s
    return acc.astype(np.float32) * (scales[None, :] * row).astype(np.float32)


for name, (k, n) in SHAPES.items():
    codes, scales = weight(k, n)
    for static in (False, True):
        kind = "static" if static else "dyn"
        write_model(os.path.join(out, f"{kind}_{name}.mlir"), codes, scales, static)
    for m in (1, 3, 130):
        x = (rng.standard_normal((m, k)) * 2).astype(np.float32)
        x[m - 1, 0] = 40.0  # an outlier: saturates the static codes
        np.save(os.path.join(out, f"x{m}_{name}.npy"), x)
        for static in (False, True):
            kind = "static" if static else "dyn"
            np.save(os.path.join(out, f"{kind}_x{m}_{name}.npy"),
                    reference(x, codes, scales, static))
