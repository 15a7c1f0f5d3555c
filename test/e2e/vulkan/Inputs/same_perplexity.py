"""Compares the perplexities of two `quantc eval` JSON reports.

usage: same_perplexity.py A.txt B.txt --rel-tol T
Fails unless |ppl(A) - ppl(B)| <= T * ppl(B).
"""
import argparse
import json
import sys


def perplexity(path):
    lines = [l for l in open(path).read().splitlines() if l.startswith("{")]
    if not lines:
        sys.exit(f"{path}: no JSON report from quantc eval")
    return json.loads(lines[-1])["perplexity"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--rel-tol", type=float, required=True)
    args = p.parse_args()
    a, b = perplexity(args.a), perplexity(args.b)
    rel = abs(a - b) / b
    print(f"perplexity {a:.6f} vs {b:.6f}: relative difference {rel:.2e} "
          f"(<= {args.rel_tol})")
    if rel > args.rel_tol:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
