"""Writes a version-2 stats file with a gram side file for qc-apply-stats:
tensor "g.input" with 2 channels, E[x x^T] = [[1, 0.5], [0.5, 2]] and a
sample of 3 rows [[1, -1], [0.5, 2], [-1, 0]].

usage: write_gram_stats.py OUT.json [--bad-offset] [--bad-sample]
(--bad-offset points the matrix past the end of the side file;
--bad-sample claims 4 sample rows where the file holds 3.)
"""
import json
import struct
import sys

out = sys.argv[1]
offset = 64 if '--bad-offset' in sys.argv else 8
with open(out + '.gram', 'wb') as f:
    f.write(b'QCGRAM01' + struct.pack('<4f', 1.0, 0.5, 0.5, 2.0)
            + struct.pack('<6f', 1.0, -1.0, 0.5, 2.0, -1.0, 0.0))
stats = {
    'format': 'quantc-stats', 'version': 2, 'samples': 1,
    'gram_file': out.split('/')[-1] + '.gram',
    'tensors': {'g.input': {
        'min': -1, 'max': 1, 'observer': 'minmax',
        'channels': {'mean_abs': [1, 1], 'max_abs': [1, 2],
                     'mean_square': [1, 2], 'rows': 4,
                     'gram_offset': offset, 'sample_offset': 24,
                     'sample_rows': 4 if '--bad-sample' in sys.argv else 3}}},
}
with open(out, 'w') as f:
    json.dump(stats, f)
