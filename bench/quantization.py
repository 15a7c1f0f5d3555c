#!/usr/bin/env python3
"""stories260k under every quantization scheme: perplexity on all of
eval.ids.npy (192 windows of 256), weight bytes, and the latency of one
256-token forward at 1 and 2 threads, and the compile time (calibration
included); ONNX Runtime's fp32 forward on the same input is timed in the
same run as the anchor.

usage: bench/quantization.py [--quantc build/bin/quantc] [--ort DIR]
                             [--runs 10] [--warmup 3] [--only NAME,...]

Prints a Markdown table (the one in docs/quantization.md).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from stories260k import (MODEL, ORT_BENCH, SHARED, add_common_args,  # noqa: E402
                         write_ids)

DATA = os.path.join(SHARED, 'models', 'stories260k')
CALIB = os.path.join(DATA, 'calib.ids.npy')
EVAL = os.path.join(DATA, 'eval.ids.npy')

# name, compile flags
SCHEMES = [
    ('fp32', []),
    ('W8A8 static (minmax)', ['--scheme', 'w8a8', '--calib', CALIB]),
    ('W8A8 dynamic per token', ['--scheme', 'w8a8', '--activations', 'dynamic']),
    ('W4A16 per channel', ['--scheme', 'w4a16']),
    ('W4A16 g64', ['--scheme', 'w4a16', '--group-size', '64']),
    ('W4A16 g32', ['--scheme', 'w4a16', '--group-size', '32']),
    ('W4A16 g32 asymmetric', ['--scheme', 'w4a16', '--group-size', '32',
                              '--asymmetric-weights']),
    ('W4A8 g32 static', ['--scheme', 'w4a8', '--group-size', '32',
                         '--calib', CALIB]),
    ('W4A8 g32 dynamic', ['--scheme', 'w4a8', '--group-size', '32',
                          '--activations', 'dynamic']),
    ('W3A16 g32', ['--scheme', 'w3a16', '--group-size', '32']),
    ('W3A16 g32 asymmetric', ['--scheme', 'w3a16', '--group-size', '32',
                              '--asymmetric-weights']),
    ('W2A16 g32', ['--scheme', 'w2a16', '--group-size', '32']),
    ('W2A16 g32 asymmetric', ['--scheme', 'w2a16', '--group-size', '32',
                              '--asymmetric-weights']),
    # The weight algorithms (docs/quantization.md); compile times include
    # the calibration they run.
    ('W4A16 g32 clip mse weighted', ['--scheme', 'w4a16', '--group-size', '32',
                                     '--clip', 'mse', '--calib', CALIB]),
] + [
    (f'W{b}A16 g32 GPTQ{" + LoRC r8" if lorc else ""}',
     ['--scheme', f'w{b}a16', '--group-size', '32', '--asymmetric-weights',
      '--clip', 'mse', '--weights', 'gptq', '--act-order', '--calib', CALIB]
     + (['--lorc-rank', '8'] if lorc else []))
    for lorc in (False, True) for b in (4, 3, 2)
] + [
    ('W4A16 g32 AWQ', ['--scheme', 'w4a16', '--group-size', '32',
                       '--asymmetric-weights', '--weights', 'awq',
                       '--calib', CALIB]),
    ('W4A16 g32 NF4', ['--scheme', 'w4a16', '--group-size', '32',
                       '--codebook', 'nf4']),
    ('W4A16 g32 k-means', ['--scheme', 'w4a16', '--group-size', '32',
                           '--codebook', 'kmeans', '--calib', CALIB]),
    ('W4A16 g32 GPTQ k-means', ['--scheme', 'w4a16', '--group-size', '32',
                                '--codebook', 'kmeans', '--weights', 'gptq',
                                '--act-order', '--calib', CALIB]),
    ('W4A16 per channel rotation + GPTQ',
     ['--scheme', 'w4a16', '--asymmetric-weights', '--clip', 'mse',
      '--rotate', 'hadamard', '--weights', 'gptq', '--act-order',
      '--calib', CALIB]),
]


def time_run(quantc, so, ids, runs, warmup, threads):
    out = subprocess.run(
        [quantc, 'run', so, '--input', 'input_ids=' + ids, '--repeat',
         str(runs), '--warmup', str(warmup), '--threads', str(threads)],
        check=True, capture_output=True, text=True).stdout
    return float(re.search(r'ran in ([0-9.]+) ms', out).group(1))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(p)
    p.add_argument('--only', default='', help='comma-separated scheme names')
    a = p.parse_args()
    only = [s for s in a.only.split(',') if s]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ids = os.path.join(tmp, 'ids.npy')
        write_ids(ids, 256)
        for name, flags in SCHEMES:
            if only and name not in only:
                continue
            so = os.path.join(tmp, 'm.so')
            start = time.monotonic()
            subprocess.run([a.quantc, 'compile', MODEL, '-o', so] + flags,
                           check=True)
            compile_s = time.monotonic() - start
            report = subprocess.run([a.quantc, 'eval', so, '--perplexity', EVAL],
                                    check=True, capture_output=True,
                                    text=True).stdout.strip().splitlines()[-1]
            report = json.loads(report)
            ms = [time_run(a.quantc, so, ids, a.runs, a.warmup, t) for t in (1, 2)]
            rows.append((name, report, ms, compile_s))
            print(f'{name}: ppl {report["perplexity"]:.4f}, {ms[0]:.2f} / {ms[1]:.2f} ms',
                  file=sys.stderr)
        ort = None
        if os.path.isdir(os.path.join(a.ort, 'node_modules')):
            env = dict(os.environ, NODE_PATH=os.path.join(a.ort, 'node_modules'))
            ort = []
            for t in (1, 2):
                out = subprocess.run(
                    ['node', ORT_BENCH, MODEL, '--len', '256', '--runs', str(a.runs),
                     '--warmup', str(a.warmup), '--threads', str(t)],
                    check=True, capture_output=True, text=True, env=env).stdout
                ort.append(json.loads(out)['median_ms'])

    print('| scheme | perplexity | quantized weight bytes (B/param) | all weight bytes | '
          '1 thread ms | 2 threads ms | compile s |')
    print('|---|---|---|---|---|---|---|')
    for name, r, ms, compile_s in rows:
        w = r['weights']
        q = w['quantized_params']
        qtext = (f'{w["quantized_bytes"]} ({w["quantized_bytes"] / q:.3f})' if q
                 else '—')
        total = w['quantized_bytes'] + w['float_bytes']
        print(f'| {name} | {r["perplexity"]:.4f} | {qtext} | {total} | '
              f'{ms[0]:.2f} | {ms[1]:.2f} | {compile_s:.1f} |')
    if ort:
        print(f'| ONNX Runtime fp32 (same run) | | | | {ort[0]:.2f} | {ort[1]:.2f} | |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
