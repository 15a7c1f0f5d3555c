"""Writes a qc.matmul model with a distinct-valued constant weight, inputs and
float64 references, for checking qc-cpu-pack-matmuls' packing and the f32
microkernels' tiles.

usage: pack_matmul_case.py OUT_DIR

OUT_DIR/model.mlir: x[?, 7] * W[7, 96] (three 32-column panels; every
weight distinct, so a misplaced element changes the result);
OUT_DIR/ragged.mlir: the first 72 columns of W (two panels and a ragged
third of 8 columns);
OUT_DIR/transposed.mlir: qc.gemm with trans_b over W stored as [96, 7]
(ONNX Gemm with transB, PyTorch's Linear) and a bias;
OUT_DIR/x{13,3,16,70}.npy: 13, 3, 16 and 70 rows (register tiles
with and without a remainder; 70: two 64-row output tiles);
OUT_DIR/y{13,3,16,70}.npy: the products in float64, stored as f32;
OUT_DIR/r13.npy: the ragged model's product for x13;
OUT_DIR/t13.npy: the transposed model's x13 W + bias.
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
K, N = 7, 96
w = (np.arange(K * N, dtype=np.float64).reshape(K, N) % 97 - 48) / 16.0


def write_model(path, w):
    k, n = w.shape
    rows = ",\n    ".join("[" + ", ".join(f"{v:.6f}" for v in r) + "]" for r in w)
    with open(path, "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %w = arith.constant dense<[
    {rows}]> : tensor<{k}x{n}xf32>
  %y = qc.matmul %x, %w : (tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) -> tensor<?x{n}xf32>
  return %y : tensor<?x{n}xf32>
}}
""")


write_model(os.path.join(out, "model.mlir"), w)
bias = np.arange(N, dtype=np.float64) / 8.0
wt = w.T
with open(os.path.join(out, "transposed.mlir"), "w") as f:
    rows = ",\n    ".join("[" + ", ".join(f"{v:.6f}" for v in r) + "]" for r in wt)
    b = ", ".join(f"{v:.6f}" for v in bias)
    f.write(f"""func.func @main(%x: tensor<?x{K}xf32>) -> tensor<?x{N}xf32> {{
  %w = arith.constant dense<[
    {rows}]> : tensor<{N}x{K}xf32>
  %b = arith.constant dense<[{b}]> : tensor<{N}xf32>
  %y = qc.gemm %x, %w, %b {{trans_b = true}} : (tensor<?x{K}xf32>, tensor<{N}x{K}xf32>, tensor<{N}xf32>) -> tensor<?x{N}xf32>
  return %y : tensor<?x{N}xf32>
}}
""")
write_model(os.path.join(out, "ragged.mlir"), w[:, :72])
rng = np.random.default_rng(7)
for m in (13, 3, 16, 70):
    x = rng.standard_normal((m, K)).astype(np.float32)
    np.save(os.path.join(out, f"x{m}.npy"), x)
    np.save(os.path.join(out, f"y{m}.npy"), (x.astype(np.float64) @ w).astype(np.float32))
    if m == 13:
        np.save(os.path.join(out, "r13.npy"),
                (x.astype(np.float64) @ w[:, :72]).astype(np.float32))
        np.save(os.path.join(out, "t13.npy"),
                (x.astype(np.float64) @ w + bias).astype(np.float32))
