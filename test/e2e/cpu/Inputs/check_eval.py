"""Checks the JSON line `quantc eval` prints last against bounds.

usage: quantc eval ... | check_eval.py [--max-perplexity X]
           [--max-bytes-per-param X] [--min-sqnr-db X] [--min-top1 X]

Prints the checked figures; exits 1 naming the first bound that fails.
"""
import argparse
import json
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--max-perplexity", type=float)
    p.add_argument("--max-bytes-per-param", type=float)
    p.add_argument("--min-sqnr-db", type=float)
    p.add_argument("--min-top1", type=float)
    args = p.parse_args()
    lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
    if not lines:
        sys.exit("no output from quantc eval")
    report = json.loads(lines[-1])
    failures = []

    def check(name, value, bound, upper):
        if bound is None:
            return
        ok = value <= bound if upper else value >= bound
        print(f"{name} {value:.4f} ({'<=' if upper else '>='} {bound})")
        if not ok:
            failures.append(name)

    if args.max_perplexity is not None:
        check("perplexity", report["perplexity"], args.max_perplexity, True)
    w = report["weights"]
    if args.max_bytes_per_param is not None:
        check("bytes-per-param", w["quantized_bytes"] / w["quantized_params"],
              args.max_bytes_per_param, True)
    out = next(iter(report.get("outputs", {}).values()), None)
    if args.min_sqnr_db is not None or args.min_top1 is not None:
        if out is None:
            sys.exit("no reference comparison in the report")
        # quantc eval writes null for an infinite SQNR (identical outputs).
        sqnr = out["sqnr_db"]
        check("sqnr-db", float("inf") if sqnr is None else sqnr,
              args.min_sqnr_db, False)
        check("top1", out["top1_agreement"], args.min_top1, False)
    if failures:
        print("FAILED: " + ", ".join(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
