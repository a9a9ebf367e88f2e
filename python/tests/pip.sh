#!/usr/bin/env bash
# python/tests/pip.sh PYTHON SRC - `pip install SRC` into a new virtual
# environment without any package index (the build backend is in SRC, so
# nothing is downloaded), then the installed package scans the seeds through
# the library of the install prefix found by the dynamic loader
# (LD_LIBRARY_PATH, no NEARDUP_LIBRARY).  ctest python_pip.
set -euo pipefail
python=${1:?usage: pip.sh PYTHON SRC}
src=${2:?usage: pip.sh PYTHON SRC}
: "${ND_PREFIX:?}" "${ND_SEEDS:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/nd-pip.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv" || { echo "FAIL: $python -m venv (python3-venv)"; exit 1; }
# a copy of SRC: pip must not write into the source tree
cp -r "$src" "$work/src"
"$work/venv/bin/python" -m pip install --no-index --no-cache-dir -q "$work/src" ||
  { echo "FAIL: pip install ./python without a package index"; exit 1; }
cd "$work"  # not beside the source: the installed package is imported
unset NEARDUP_LIBRARY PYTHONPATH
LD_LIBRARY_PATH=$ND_PREFIX/lib "$work/venv/bin/python" - "$ND_SEEDS" <<'PY'
import sys
import neardup
assert "/venv/" in neardup.__file__, neardup.__file__
with neardup.scan(sys.argv[1]) as r:
    n = sum(1 for _ in r.clusters)
    assert n == r.summary.clusters > 0
    print("pip-installed neardup %s: %d clusters in %d documents"
          % (neardup.version(), n, len(r.documents)))
PY
"$work/venv/bin/python" -m pip uninstall -y -q neardup
echo "pip install, import, scan, uninstall: fine"
