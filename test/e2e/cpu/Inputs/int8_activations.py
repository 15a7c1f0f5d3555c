"""The activation side the int8 kernel tests share (int8_matmul_case.py,
grouped_matmul_case.py): the MLIR text quantizing x for a product, and the
codes and row scales the generated code computes, emulated in float32.

Static activations: scale 0.05, zero point -5; dynamic: per-token symmetric
int8 (max |x| / 127 per row).
"""
import os

import numpy as np

STATIC_SCALE, STATIC_ZERO = np.float32(0.05), -5


def dense(codes):
    rows = ", ".join("[" + ", ".join(str(int(v)) for v in r) + "]" for r in codes)
    return f"dense<[{rows}]>"


def product_text(k, n, wtype, static):
    """The MLIR lines quantizing %x [?, k] and multiplying it by %w (of type
    `wtype`) into %y [?, n]."""
    if static:
        atype = f"!quant.uniform<i8:f32, {float(STATIC_SCALE):.9e}:{STATIC_ZERO}>"
        return f"""  %q = quant.qcast %x : tensor<?x{k}xf32> to tensor<?x{k}x{atype}>
  %y = qc.quantized_matmul %q, %w : (tensor<?x{k}x{atype}>, {wtype}) -> tensor<?x{n}xf32>"""
    return f"""  %q, %s = qc.dynamic_quantize %x {{granularity = #qc.granularity<per_token>, bits = 8}} : tensor<?x{k}xf32> -> tensor<?x{k}xi8>, tensor<?x1xf32>
  %y = qc.quantized_matmul %q scaled by %s, %w : (tensor<?x{k}xi8>, tensor<?x1xf32>, {wtype}) -> tensor<?x{n}xf32>"""


def quantize(x, s, z, qmin, qmax):
    v = np.round((x / s).astype(np.float32))  # numpy rounds half to even
    v = np.clip(v + np.float32(z), qmin, qmax)
    return v.astype(np.int64)


def write_inputs(out, name, k, rng, reference):
    """x{1,3,130}_NAME.npy (K columns, the last row's first value an outlier
    that saturates the static codes) and {dyn,static}_x{rows}_NAME.npy, the
    reference(x, static) of each."""
    for m in (1, 3, 130):
        x = (rng.standard_normal((m, k)) * 2).astype(np.float32)
        x[m - 1, 0] = 40.0
        np.save(os.path.join(out, f"x{m}_{name}.npy"), x)
        for static in (False, True):
            kind = "static" if static else "dyn"
            np.save(os.path.join(out, f"{kind}_x{m}_{name}.npy"),
                    reference(x, static))


def codes_and_row_scales(x, static):
    """(codes - zero point as int64 [m, k], row scales as float32 [m, 1])."""
    if static:
        q = quantize(x, STATIC_SCALE, STATIC_ZERO, -128, 127) - STATIC_ZERO
        return q, np.full((x.shape[0], 1), STATIC_SCALE, np.float32)
    amax = np.abs(x).max(axis=1, keepdims=True)
    s = (amax / np.float32(127)).astype(np.float32)
    s[s == 0] = 1
    return quantize(x, s, 0, -128, 127), s
