"""Writes an int64 ids .npy: write_ids.py OUT SHAPE ID[,ID...] (SHAPE like
1x4; the ids fill it in order, repeating the last)."""
import sys

import numpy as np

out, shape, ids = sys.argv[1], sys.argv[2], sys.argv[3]
dims = [int(d) for d in shape.split("x")]
values = [int(v) for v in ids.split(",")]
count = int(np.prod(dims))
values += [values[-1]] * (count - len(values))
np.save(out, np.array(values[:count], dtype=np.int64).reshape(dims))
