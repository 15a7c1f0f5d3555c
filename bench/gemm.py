#!/usr/bin/env python3
"""LLM-shaped linear layers, a GPT block and decode chains: quantc against
ONNX Runtime and the machine's peaks, all measured in one run.

usage: bench/gemm.py [--quantc build/bin/quantc] [--ort DIR] [--models DIR]
                     [--threads 1,2] [--runs 10] [--warmup 3] [--filter REGEX]
                     [--schemes fp32,w8a8-dyn,w8a8-static]

The models come from ../shared/bench/make_models.py (fp32, ONNX Runtime's QDQ
dynamic-int8 and 4-bit MatMulNBits forms of the same layer, fixed seeds,
fp32 references):

  /usr/bin/python3 ../shared/bench/make_models.py --out /tmp/ortbench/models \\
      --only linear,gpt --shapes 128x4096x4096,128x768x3072,1x4096x4096 \\
      --variants fp32,qdq,dyn,nbits-bs32-acc0,nbits-bs128-acc0

--ort is the folder where `npm install --ignore-scripts onnxruntime-node`
ran. quantc compiles each fp32 model as fp32, W8A8 with dynamic per-token
activations, W8A8 with static activations calibrated on the layer's own
input, and W4A16 with groups of 32; ONNX Runtime runs the fp32 model for
fp32, its best int8 form (QDQ or dynamic) for W8A8 and its best
float-activation MatMulNBits (block 32 or 128, accuracy level 0) for W4A16.
../shared/bench/peak measures the fp32 FMA and int8 VNNI peaks in the same
run (bench/peak_avx2.cpp on a CPU without AVX-512: FMA on ymm registers and
the AVX2 int8 dot product).

Decode chains (`make_models.py --only chain --chain-bytes 268435456`: L
layers of 4096 x 4096 at M = 1, each variant with L chosen for the bytes)
are timed per layer: quantc compiles the fp32 chain under each scheme, ONNX
Runtime runs its own chain of each variant, and the weight bytes each layer
reads per second are compared with ../shared/bench/peak's streaming read
rate over a buffer of about the chain's size, measured in the same run.
(quantc's quantized schemes run the fp32 chain's L layers, so their weights
total less than the chain's bytes and may stay in a large last-level
cache; the read rate is then taken at their own total.)

Prints a Markdown table: median ms, GOP/s (2*M*K*N summed over the products),
% of the peak (FMA for fp32 and W4A16, VNNI or AVX2's int8 dot for int8; the peak at that
thread count),
ORT ms, ratio ORT/quantc (above 1: quantc is faster) and the relative error
||y - y_ref|| / ||y_ref|| against the float64 reference.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', 'shared'))
SHARED_BENCH = os.path.join(SHARED, 'bench')

# quantc scheme -> (compile flags, ONNX Runtime variants it is compared with)
SCHEMES = {
    'fp32': ([], ['fp32']),
    'w8a8-dyn': (['--scheme', 'w8a8', '--activations', 'dynamic'], ['qdq', 'dyn']),
    'w8a8-static': (['--scheme', 'w8a8'], ['qdq', 'dyn']),
    # Float activations, 4-bit weights in groups of 32: against ORT's
    # MatMulNBits in its float-activation form (accuracy level 0).
    'w4a16-g32': (['--scheme', 'w4a16', '--group-size', '32'],
                  ['nbits-bs32-acc0', 'nbits-bs128-acc0']),
    # Dynamic per-token int8 activations, 4-bit weights in groups of 32:
    # against every MatMulNBits form (the "ORT's best variant").
    'w4a8-g32': (['--scheme', 'w4a8', '--group-size', '32', '--activations', 'dynamic'],
                 ['nbits-bs32-acc0', 'nbits-bs128-acc0', 'nbits-bs32-acc4',
                  'nbits-bs128-acc4']),
}
# The GPT block has no MatMulNBits form: its W4A8 is compared with ORT's
# int8 QDQ block (the "W4A8 g32 >= 1.0x ORT QDQ").
ORT_FORMS_BY_KIND = {('w4a8-g32', 'gpt_block'): ['qdq']}


def ort_forms(entry, scheme):
    return ORT_FORMS_BY_KIND.get((scheme, entry['kind']), SCHEMES[scheme][1])


# Schemes whose products run on the f32 FMA units (% of the FMA peak).
FLOAT_SCHEMES = {'fp32', 'w4a16-g32'}
# Weight bytes a [K, N] layer reads under each scheme, as the artifact stores
# it: int8 codes with column sums and scales; 4-bit codes with f16 group
# scales.
SCHEME_BYTES = {
    'fp32': lambda k, n: 4 * k * n,
    'w8a8-dyn': lambda k, n: k * n + 8 * n,
    'w8a8-static': lambda k, n: k * n + 8 * n,
    'w4a16-g32': lambda k, n: k * n // 2 + 2 * (k // 32) * n,
    'w4a8-g32': lambda k, n: k * n // 2 + 2 * (k // 32) * n,
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cpu_flags():
    with open('/proc/cpuinfo') as f:
        return f.read()


def has_avx512():
    return ' avx512f' in cpu_flags()


def peak_tool(tmp):
    """Builds the peak tool for this CPU and returns (exe, {key: test}):
    ../shared/bench/peak where the CPU has AVX-512 (it measures with zmm
    registers, VNNI and AMX), else bench/peak_avx2.cpp, the same method
    with AVX2 (its int8 test is MLAS's vpmaddubsw/vpmaddwd dot product, an
    upper bound for quantc's exact int8 x int8 kernel; no VNNI exists
    there)."""
    exe = os.path.join(tmp, 'peak')
    flags_text = cpu_flags()
    if ' avx512f' in flags_text:
        src, flags = os.path.join(SHARED_BENCH, 'peak', 'peak.cpp'), ['-march=native']
        amx = ' amx_int8' in flags_text
        tests = {'fma': 'fma', 'vnni': 'vnni', **({'amx': 'amx'} if amx else {})}
    else:
        src, flags = os.path.join(HERE, 'peak_avx2.cpp'), ['-mavx2', '-mfma']
        tests = {'fma': 'fma', 'vnni': 'int8'}
    if not os.path.exists(exe):
        subprocess.run(['g++', '-O2', '-std=c++17', *flags, '-pthread', src, '-o', exe],
                       check=True)
    return exe, tests


def int8_peak_name():
    return 'VNNI' if has_avx512() else 'AVX2 maddubs'


def measure_peaks(tmp, runs):
    """{('fma'|'vnni'|'amx', threads): GOP/s} from the peak tool ('vnni' is
    the int8 dot-product peak: VNNI, or AVX2's maddubs on a CPU without
    AVX-512; amx only where the CPU has AMX-INT8)."""
    exe, tests = peak_tool(tmp)
    peaks = {}
    for key, test in tests.items():
        out = subprocess.run([exe, test, str(max(3, runs // 2))], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            r = json.loads(line)
            # AMX: the register-only variant (no tile loads), its upper bound.
            if key != 'amx' or r['variant'] == 'tdp-reg-only':
                peaks[(key, r['threads'])] = r['median']
    return peaks


def measure_read_rates(tmp):
    """{(bytes, threads): GB/s}: the peak tool's streaming read rate per
    buffer size (the better of its page modes)."""
    exe, _ = peak_tool(tmp)
    out = subprocess.run([exe, 'bw', '3'], check=True, capture_output=True,
                         text=True).stdout
    rates = {}
    for line in out.splitlines():
        r = json.loads(line)
        key = (r['bytes'], r['threads'])
        rates[key] = max(rates.get(key, 0.0), r['median'])
    return rates


def read_rate(rates, nbytes, threads):
    """The read rate over the buffer size nearest `nbytes` (in ratio)."""
    sizes = sorted({b for b, t in rates if t == threads})
    if not sizes:
        return float('nan')
    best = min(sizes, key=lambda b: abs(np.log(b / max(nbytes, 1))))
    return rates[(best, threads)]


def to_npy(entry, models, tmp):
    """The model's single input as .npy (make_models.py writes raw f32)."""
    inp = entry['inputs'][0]
    path = os.path.join(tmp, inp['file'] + '.npy')
    if not os.path.exists(path):
        x = np.fromfile(os.path.join(models, inp['file']), dtype='<f4')
        np.save(path, x.reshape(inp['shape']))
    return inp['name'], path


def run_quantc(a, entry, scheme, tmp):
    """{threads: (ms, rel_err)} for one model compiled with one scheme."""
    name, x = to_npy(entry, a.models, tmp)
    so = os.path.join(tmp, f"{entry['name']}.{scheme}.so")
    flags = list(SCHEMES[scheme][0])
    if scheme == 'w8a8-static':
        flags += ['--calib', x]
    subprocess.run([a.quantc, 'compile', os.path.join(a.models, entry['file']),
                    '-o', so, '--no-header'] + flags, check=True)
    ref = np.fromfile(os.path.join(a.models, entry['ref']), dtype='<f4').astype(np.float64)
    results = {}
    for threads in a.threads:
        outdir = os.path.join(tmp, 'out')
        out = subprocess.run(
            [a.quantc, 'run', so, '--input', f'{name}={x}', '--repeat', str(a.runs),
             '--warmup', str(a.warmup), '--threads', str(threads), '--output-dir', outdir],
            check=True, capture_output=True, text=True).stdout
        ms = float(re.search(r'ran in ([0-9.]+) ms', out).group(1))
        path = re.search(r'-> (\S+\.npy)', out).group(1)
        y = np.load(path).astype(np.float64).ravel()
        err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
        results[threads] = (ms, err)
    return results


def run_ort(a, names, tmp):
    """{(model name, threads): ms} from ../shared/bench/ort_bench.js."""
    out = os.path.join(tmp, 'ort.json')
    ort = a.ort
    if os.path.isdir(os.path.join(ort, 'node_modules')):
        ort = os.path.join(ort, 'node_modules', 'onnxruntime-node')
    subprocess.run(
        ['node', os.path.join(SHARED_BENCH, 'ort_bench.js'), '--models', a.models,
         '--filter', '^(' + '|'.join(re.escape(n) for n in names) + ')$',
         '--threads', ','.join(map(str, a.threads)), '--no-profile', '--ort', ort,
         '--out', out], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return {(r['name'], r['threads']): r['latency_ms']['median']
                for r in json.load(f)['results'] if 'latency_ms' in r}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quantc', default=os.path.join(HERE, '..', 'build', 'bin', 'quantc'))
    p.add_argument('--ort', default='/tmp/ortbench')
    p.add_argument('--models', default='/tmp/ortbench/models')
    p.add_argument('--threads', default='1,2')
    p.add_argument('--runs', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--filter', default='')
    p.add_argument('--schemes', default=','.join(SCHEMES))
    a = p.parse_args()
    a.threads = [int(t) for t in a.threads.split(',')]
    schemes = a.schemes.split(',')
    for s in schemes:
        if s not in SCHEMES:
            p.error(f"unknown scheme '{s}' (known: {', '.join(SCHEMES)})")
    manifest = os.path.join(a.models, 'manifest.json')
    if not os.path.exists(manifest):
        p.error(f'no {manifest}: build the models first (see --help)')
    with open(manifest) as f:
        entries = json.load(f)['models']
    by_name = {e['name']: e for e in entries}
    layers = [e for e in entries if e['variant'] == 'fp32'
              and e['kind'] in ('linear', 'gpt_block', 'chain')
              and re.search(a.filter, e['name'])]
    if not layers:
        p.error('no fp32 linear, gpt_block or chain model matches')
    # A chain's variants have their own layer counts (the same bytes).
    chains = {e['variant']: e for e in entries if e['kind'] == 'chain'}

    def ort_name(entry, variant):
        if entry['kind'] == 'chain':
            return chains[variant]['name'] if variant in chains else ''
        return entry['name'].replace('_fp32_', f'_{variant}_', 1)

    with tempfile.TemporaryDirectory() as tmp:
        log('measuring peaks')
        peaks = measure_peaks(tmp, a.runs)
        rates = {}
        if any(e['kind'] == 'chain' for e in layers):
            log('measuring the read rate')
            rates = measure_read_rates(tmp)
        ort_names = sorted({ort_name(e, v) for e in layers for s in schemes
                            for v in ort_forms(e, s) if ort_name(e, v) in by_name})
        log(f'timing ONNX Runtime on {len(ort_names)} models')
        ort = run_ort(a, ort_names, tmp)
        rows, chain_rows = [], []
        for e in layers:
            for s in schemes:
                log(f"quantc {e['name']} {s}")
                try:
                    q = run_quantc(a, e, s, tmp)
                except subprocess.CalledProcessError as err:
                    log(f'  failed: {err}')
                    continue
                for t in a.threads:
                    ms, rel = q[t]
                    if e['kind'] == 'chain':
                        # Per layer, each chain by its own layer count.
                        per = ms / e['layers']
                        ort_ms = [(ort[(ort_name(e, v), t)] / chains[v]['layers'], v)
                                  for v in ort_forms(e, s) if (ort_name(e, v), t) in ort]
                        best = min(ort_ms) if ort_ms else (float('nan'), '-')
                        nbytes = SCHEME_BYTES[s](e['K'], e['N'])
                        gbs = nbytes / (per / 1e3) / 1e9
                        rate = read_rate(rates, nbytes * e['layers'], t)
                        chain_rows.append((e['name'].replace('_fp32', ''), s, t, per,
                                           gbs, 100 * gbs / rate, best[0], best[1],
                                           best[0] / per, rel))
                        continue
                    ort_ms = [(ort[(ort_name(e, v), t)], v) for v in ort_forms(e, s)
                              if (ort_name(e, v), t) in ort]
                    best = min(ort_ms) if ort_ms else (float('nan'), '-')
                    gops = e['ops'] / (ms / 1e3) / 1e9
                    peak = peaks.get(('fma' if s in FLOAT_SCHEMES else 'vnni', t),
                                     float('nan'))
                    rows.append((e['name'].replace('_fp32', ''), s, t, ms, gops,
                                 100 * gops / peak, best[0], best[1], best[0] / ms, rel))

    print(f"peaks (this run): fp32 FMA {peaks.get(('fma', 1), 0):.0f} GFLOP/s at 1 thread, "
          f"{peaks.get(('fma', 2), 0):.0f} at 2; int8 {int8_peak_name()} "
          f"{peaks.get(('vnni', 1), 0):.0f} "
          f"GOP/s at 1 thread, {peaks.get(('vnni', 2), 0):.0f} at 2"
          + (f"; AMX int8 {peaks[('amx', 1)]:.0f} GOP/s at 1 thread, "
             f"{peaks.get(('amx', 2), 0):.0f} at 2" if ('amx', 1) in peaks else ''))
    # Which microkernels ran (the runtime's choice for this CPU, or the
    # QUANTC_ISA cap): the figures mean little without it.
    devices = subprocess.run([a.quantc, 'devices'], capture_output=True,
                             text=True).stdout
    kernels = next((l.split(':', 1)[1].strip() for l in devices.splitlines()
                    if l.startswith('cpu int8 kernels:')), 'unknown')
    print(f"quantc kernels: {kernels} (int8; f32 uses the AVX-512 kernel for "
          f"amx/avx512-vnni, AVX2 for avx2)")
    print()
    print('| layer | quantc | threads | quantc ms | GOP/s | % peak | ORT ms | ORT form '
          '| ORT/quantc | rel. error |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f'| {r[0]} | {r[1]} | {r[2]} | {r[3]:.3f} | {r[4]:.1f} | {r[5]:.1f} | '
              f'{r[6]:.3f} | {r[7]} | {r[8]:.3f} | {r[9]:.2e} |')
    if chain_rows:
        print()
        print('read rate (this run, GB/s): ' + ', '.join(
            f'{b >> 20} MiB {rates[(b, t)]:.1f} at {t} thread{"s" if t > 1 else ""}'
            for b, t in sorted(rates) if t in a.threads))
        print()
        print('| chain | quantc | threads | quantc ms/layer | weight GB/s | % read rate '
              '| ORT ms/layer | ORT form | ORT/quantc | rel. error |')
        print('|---|---|---|---|---|---|---|---|---|---|')
        for r in chain_rows:
            print(f'| {r[0]} | {r[1]} | {r[2]} | {r[3]:.3f} | {r[4]:.1f} | {r[5]:.1f} | '
                  f'{r[6]:.3f} | {r[7]} | {r[8]:.3f} | {r[9]:.2e} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
