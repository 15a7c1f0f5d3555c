"""Checks a bit allocation against its evaluation: the compile's summary note
(stderr of quantc compile --sensitivity) and quantc eval's JSON line.

usage: check_allocation.py NOTE.txt EVAL.txt --fp32-nll X --max-perplexity P
           [--max-prediction-error F] [--max-bytes B]

The measured change is eval's mean NLL (log perplexity) minus the float
model's (--fp32-nll); the prediction must lie within F (a fraction, default
0.25) of it, as the issue asks. With --max-bytes, the model's weight bytes
as eval reports them (quantized and float) must be at most B and equal the
total the allocation's note predicted.
"""
import argparse
import json
import math
import re
import sys

p = argparse.ArgumentParser()
p.add_argument('note')
p.add_argument('eval')
p.add_argument('--fp32-nll', type=float, required=True)
p.add_argument('--max-perplexity', type=float, required=True)
p.add_argument('--max-prediction-error', type=float, default=0.25)
p.add_argument('--max-bytes', type=int)
a = p.parse_args()
note = open(a.note).read()
m = re.search(r'bit allocation: ([0-9.e+-]+) code bits per weight .* '
              r'predicted loss change ([0-9.e+-]+)', note)
if not m:
    sys.exit('no allocation summary in ' + a.note)
bits, predicted = float(m.group(1)), float(m.group(2))
lines = [l for l in open(a.eval).read().splitlines() if l.strip()]
ppl = json.loads(lines[-1])['perplexity']
measured = math.log(ppl) - a.fp32_nll
error = abs(predicted - measured) / measured
print(f'{bits:.3f} bits: perplexity {ppl:.4f}, delta cross-entropy measured '
      f'{measured:.4f}, predicted {predicted:.4f} ({100 * error:.1f}% off)')
failures = []
if ppl > a.max_perplexity:
    failures.append(f'perplexity {ppl:.4f} > {a.max_perplexity}')
if error > a.max_prediction_error:
    failures.append(f'prediction {100 * error:.1f}% off')
if a.max_bytes is not None:
    weights = json.loads(lines[-1])['weights']
    total = weights['quantized_bytes'] + weights['float_bytes']
    m = re.search(r'with the rest of the model ([0-9]+) bytes', note)
    print(f'weights: {total} bytes (budget {a.max_bytes})')
    if total > a.max_bytes:
        failures.append(f'{total} bytes > {a.max_bytes}')
    if not m or int(m.group(1)) != total:
        failures.append('the note does not predict the '
                        f'{total} bytes eval reports')
if failures:
    sys.exit('; '.join(failures))
