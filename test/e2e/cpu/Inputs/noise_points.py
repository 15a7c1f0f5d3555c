"""Writes the inputs of a noise-point model, or checks the noise it added.

usage: noise_points.py write DIR       (x = zeros [100000, 2], identity
                                        weight, parameters p0..p2 for kinds
                                        0..2 with sigma 1, seed 7)
       noise_points.py check Y.npy KIND

The model computes y = (x + sigma * noise) W with x = 0 and W = I, so y is
the noise itself: its mean must be 0 and its variance 1 (tolerances: 6
standard errors of 200000 samples), and its kurtosis tells the shapes
apart: 1.8 uniform, 3 Gaussian, 6 Laplace (tolerance 0.15, and 0.8 for the
heavy-tailed Laplace, whose kurtosis estimate varies most).
"""
import sys

import numpy as np

if sys.argv[1] == 'write':
    d = sys.argv[2]
    np.save(f'{d}/x.npy', np.zeros((100000, 2), np.float32))
    np.save(f'{d}/w.npy', np.eye(2, dtype=np.float32))
    for kind in range(3):
        np.save(f'{d}/p{kind}.npy', np.array([1.0, kind, 7], np.float32))
    sys.exit(0)

y = np.load(sys.argv[2]).astype(np.float64).ravel()
kind = int(sys.argv[3])
mean, var = y.mean(), y.var()
kurtosis = ((y - mean) ** 4).mean() / var ** 2
expected = [1.8, 3.0, 6.0][kind]
print(f'kind {kind}: mean {mean:.4f} variance {var:.4f} kurtosis {kurtosis:.3f}')
failures = []
if abs(mean) > 6 / np.sqrt(y.size):
    failures.append('mean')
if abs(var - 1) > 6 * np.sqrt(2 / y.size) * 2:
    failures.append('variance')
if abs(kurtosis - expected) > (0.8 if kind == 2 else 0.15):
    failures.append('kurtosis')
if failures:
    sys.exit('noise out of bounds: ' + ', '.join(failures))
