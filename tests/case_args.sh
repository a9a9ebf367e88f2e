# tests/case_args.sh - the arguments of the case scripts (tests/cli/run.sh,
# tests/hostile/run.sh), sourced by both:  [--bin PATH] CASE, with ND_BIN
# for the binary when --bin is not given and ND_WRAP for a command prefix
# (valgrind).  Sets HERE (the script's directory), SRC (the source tree),
# BIN, CASE and the array WRAP.
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=${ND_BIN:-}
if [ "${1:-}" = "--bin" ]; then
  BIN=$2
  shift 2
fi
CASE=${1:-}
read -r -a WRAP <<< "${ND_WRAP:-}"
