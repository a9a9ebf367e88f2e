#!/usr/bin/env bash
# tests/format.sh SRCDIR - every tracked C source and header is as
# clang-format (with the root .clang-format) would write it: the house
# style is one style, kept by the tool, not by review.  Prints each file
# that differs and the first lines of its difference; exit 0 = all formatted,
# 1 = some are not, 77 = skipped (no clang-format or no git checkout), which
# ctest reports as a skip, never as a pass.
set -u
src=${1:?usage: format.sh SRCDIR}
cd "$src" || exit 2
if ! command -v clang-format > /dev/null; then
  echo "SKIP: clang-format is not installed (Debian: clang-format)"
  exit 77
fi
if ! git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  echo "SKIP: $src is not a git checkout (the files checked are the tracked ones)"
  exit 77
fi
bad=0 n=0
while IFS= read -r f; do
  n=$((n + 1))
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then
    echo "not formatted: $f (clang-format -i $f)"
    clang-format --style=file "$f" | diff "$f" - | head -8
    bad=$((bad + 1))
  fi
done < <(git ls-files '*.c' '*.h')
echo "$n files checked, $bad not formatted ($(clang-format --version))"
[ "$bad" = 0 ]
