"""Writes a 1-D float32 .npy of N ones: write_floats.py OUT N."""
import sys

import numpy as np

np.save(sys.argv[1], np.ones(int(sys.argv[2]), dtype=np.float32))
