#!/usr/bin/env python3
"""Checks a `quantc conformance --json` result against the list of tests
that must pass. Exits 1 when a listed test failed or did not run; prints the
tests that pass but are not listed yet, so the list can grow.

usage: check-conformance.py RESULT.json PASSING.txt [--update]
"""
import json
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    result = json.load(open(argv[1]))
    listed = [l.strip() for l in open(argv[2])
              if l.strip() and not l.startswith('#')]
    by_name = {t['suite'] + '/' + t['name']: t for t in result['tests']}
    regressions = []
    for name in listed:
        t = by_name.get(name)
        if t is None:
            regressions.append(f'{name}: did not run')
        elif not t['passed']:
            regressions.append(f"{name}: [{t['stage']}] {t['message']}")
    new = sorted(n for n, t in by_name.items()
                 if t['passed'] and n not in set(listed))
    print(f"{result['passed']} passed, {result['failed']} failed; "
          f"{len(listed)} listed, {len(regressions)} regressions, "
          f"{len(new)} newly passing")
    for n in new:
        print(f'newly passing: {n}')
    for r in regressions:
        print(f'REGRESSION: {r}')
    if '--update' in argv and not regressions:
        header = [l for l in open(argv[2]) if l.startswith('#')]
        with open(argv[2], 'w') as f:
            f.writelines(header)
            f.write('\n'.join(sorted(set(listed) | set(new))) + '\n')
    return 1 if regressions else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
