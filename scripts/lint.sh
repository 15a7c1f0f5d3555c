#!/usr/bin/env bash
# Checks that C and C++ sources are formatted as .clang-format says
# (clang-format-22, the version setup.sh installs). CI runs it over the tree.
#
#   scripts/lint.sh              every .c/.cpp/.h file git tracks or would add
#   scripts/lint.sh --changed [BASE]
#                                only files changed since BASE (default
#                                origin/main, else HEAD) plus uncommitted ones
#   scripts/lint.sh --fix [...]  reformat in place instead of checking
#
# Exits non-zero, listing the files, when any file would change.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

fix=0
changed=0
base=""
while (($#)); do
  case $1 in
  --fix) fix=1 ;;
  --changed)
    changed=1
    if [[ ${2:-} && $2 != --* ]]; then
      base=$2
      shift
    fi
    ;;
  -h | --help)
    sed -n '2,12p' "$0"
    exit 0
    ;;
  *)
    echo "lint.sh: unknown argument '$1'" >&2
    exit 2
    ;;
  esac
  shift
done

clang_format=$(command -v clang-format-22 || true)
if [[ -z $clang_format ]]; then
  echo "lint.sh: clang-format-22 not found (scripts/setup.sh installs it)" >&2
  exit 2
fi

pattern='\.(c|cpp|h)$'
if ((changed)); then
  if [[ -z $base ]]; then
    base=origin/main
    git rev-parse -q --verify "$base" >/dev/null || base=HEAD
  fi
  mapfile -t files < <({
    git diff --name-only --diff-filter=ACMR "$base" --
    git ls-files --others --exclude-standard
  } | grep -E "$pattern" | sort -u)
else
  mapfile -t files < <(git ls-files --cached --others --exclude-standard |
    grep -E "$pattern")
fi
((${#files[@]})) || { echo "lint.sh: no files to check"; exit 0; }

if ((fix)); then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  [[ -f $f ]] || continue
  "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "lint.sh: ${#bad[@]} file(s) not formatted (scripts/lint.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "lint.sh: ${#files[@]} files formatted"
