"""Compares a .npy written by `quantc run` with an expected .npy or ONNX
TensorProto .pb. usage: compare_npy.py GOT.npy WANT.{npy,pb} ATOL
Prints the max abs error; exits 1 when it exceeds ATOL or the shapes or
dtypes differ."""
import sys

import numpy as np


def load(path):
    if path.endswith('.pb'):
        import onnx
        from onnx import numpy_helper
        t = onnx.TensorProto()
        t.ParseFromString(open(path, 'rb').read())
        return numpy_helper.to_array(t)
    return np.load(path)


got, want, atol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
if got.shape != want.shape or got.dtype != want.dtype:
    print(f'mismatch: got {got.dtype}{got.shape}, want {want.dtype}{want.shape}')
    sys.exit(1)
err = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max()) if got.size else 0.0
print(f'max abs error {err:.3g} (atol {atol:g})')
sys.exit(0 if err <= atol else 1)
