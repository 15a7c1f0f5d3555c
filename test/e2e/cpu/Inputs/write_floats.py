"""Writes a float32 .npy of ones: write_floats.py OUT SHAPE (SHAPE like 3 or
2x4)."""
import sys

import numpy as np

dims = [int(d) for d in sys.argv[2].split("x")]
np.save(sys.argv[1], np.ones(dims, dtype=np.float32))
