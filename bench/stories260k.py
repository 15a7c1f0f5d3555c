#!/usr/bin/env python3
"""One 256-token forward of stories260k: quantc's compiled CPU model against
ONNX Runtime on the same input, in one run, at 1 and 2 threads.

usage: bench/stories260k.py [--quantc build/bin/quantc] [--ort DIR]
                            [--runs 10] [--warmup 3] [--len 256]

--ort is the folder where `npm install --ignore-scripts onnxruntime-node`
ran (default /tmp/ort). Prints one line per (engine, threads) and the
ratios ORT time / quantc time (above 1: quantc is faster).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', 'shared'))
MODEL = os.path.join(SHARED, 'models', 'stories260k', 'stories260k.onnx')
ORT_BENCH = os.path.join(SHARED, 'models', 'stories260k', 'bench.js')


def write_ids(path, n):
    """int64 [1, n] .npy of ids 1 + (i % 511), the input bench.js uses."""
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, %d), }" % n
    header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + len(header).to_bytes(2, 'little'))
        f.write(header.encode())
        for i in range(n):
            f.write((1 + i % 511).to_bytes(8, 'little', signed=True))


def add_common_args(p):
    """--quantc, --ort, --runs, --warmup: shared by the stories260k benches."""
    p.add_argument('--quantc', default=os.path.join(HERE, '..', 'build', 'bin', 'quantc'))
    p.add_argument('--ort', default='/tmp/ort')
    p.add_argument('--runs', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(p)
    p.add_argument('--len', type=int, default=256)
    a = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, 'stories260k.so')
        ids = os.path.join(tmp, 'ids.npy')
        subprocess.run([a.quantc, 'compile', MODEL, '-o', so], check=True)
        write_ids(ids, a.len)
        results = {}
        for threads in (1, 2):
            out = subprocess.run(
                [a.quantc, 'run', so, '--input', 'input_ids=' + ids,
                 '--repeat', str(a.runs), '--warmup', str(a.warmup),
                 '--threads', str(threads)],
                check=True, capture_output=True, text=True).stdout
            ms = float(re.search(r'ran in ([0-9.]+) ms', out).group(1))
            results[('quantc', threads)] = ms
            env = dict(os.environ, NODE_PATH=os.path.join(a.ort, 'node_modules'))
            ort = subprocess.run(
                ['node', ORT_BENCH, MODEL, '--len', str(a.len), '--runs', str(a.runs),
                 '--warmup', str(a.warmup), '--threads', str(threads)],
                check=True, capture_output=True, text=True, env=env).stdout
            results[('ort', threads)] = json.loads(ort)['median_ms']

    print(f'stories260k, one forward of {a.len} tokens, median of {a.runs} runs')
    for (engine, threads), ms in sorted(results.items()):
        print(f'  {engine:7s} {threads} thread(s): {ms:9.3f} ms')
    for threads in (1, 2):
        ratio = results[('ort', threads)] / results[('quantc', threads)]
        print(f'  ratio ORT/quantc at {threads} thread(s): {ratio:.3f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
