"""Integer reference for requantize.test: writes the expected output."""
import sys
import numpy as np

x = np.load(sys.argv[1]).astype(np.float64)
w = np.array([[1, -3], [0, 2], [-7, 0], [4, 7]], np.int64)
sx, zx, sw, sy, zy = 0.0625, 3, np.array([0.5, 0.25]), 0.125, -2
qx = np.clip(np.round(x / sx) + zx, -128, 127).astype(np.int64)  # half to even
acc = (qx - zx) @ w
real = acc * (sx * sw / sy)
rounded = np.sign(real) * np.floor(np.abs(real) + 0.5)  # half away from zero
qy = np.clip(rounded + zy, -128, 127)
np.save(sys.argv[2], (sy * (qy - zy)).astype(np.float32))
