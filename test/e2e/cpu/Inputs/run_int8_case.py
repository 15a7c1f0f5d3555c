"""Runs the artifacts int8_matmul_case.py's (or grouped_matmul_case.py's)
models were compiled to under every microkernel ISA cap and compares each
output with its reference.

usage: run_int8_case.py DIR QUANTC [SHAPE ...]
DIR holds {dyn,static}_{SHAPE}.so beside the case script's files (SHAPE by
default big, odd, wide); QUANTC is the quantc binary. Prints one line per (ISA cap, model, rows);
exits 1 if any output differs from its reference (they must be
bit-identical). A cap above what the machine has runs its best variant.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

d, quantc = sys.argv[1], sys.argv[2]
shapes = sys.argv[3:] or ["big", "odd", "wide"]
failed = False
for isa in ("scalar", "avx2", "avx512-vnni", "amx"):
    env = dict(os.environ, QUANTC_ISA=isa)
    used = subprocess.run([quantc, "devices"], env=env, check=True,
                          capture_output=True, text=True).stdout
    print(f"cap {isa}: " + next(l for l in used.splitlines()
                                if l.startswith("cpu int8 kernels:")))
    for model in [f"{kind}_{shape}" for kind in ("dyn", "static")
                  for shape in shapes]:
        kind, shape = model.split("_")
        for rows in (1, 3, 130):
            with tempfile.TemporaryDirectory() as outdir:
                subprocess.run(
                    [quantc, "run", os.path.join(d, model + ".so"), "--input",
                     os.path.join(d, f"x{rows}_{shape}.npy"), "--output-dir",
                     outdir, "--threads", "2"], env=env, check=True,
                    stdout=subprocess.DEVNULL)
                got = np.load(os.path.join(outdir, "output0.npy"))
            want = np.load(os.path.join(d, f"{kind}_x{rows}_{shape}.npy"))
            err = float(np.abs(got.astype(np.float64) - want).max())
            same = got.shape == want.shape and np.array_equal(
                got.view(np.uint32), want.view(np.uint32))
            failed |= not same
            print(f"{isa} {model} rows {rows}: "
                  f"{'identical' if same else f'DIFFERS (max abs error {err:.3g})'}")
sys.exit(1 if failed else 0)
