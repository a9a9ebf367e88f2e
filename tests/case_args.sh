# tests/case_args.sh - the arguments of the case scripts (tests/cli/run.sh,
# tests/hostile/run.sh, tests/live/run.sh, tests/interrupt/run.sh), sourced by each:  [--bin PATH]
# CASE, with ND_BIN for the binary when --bin is not given and ND_WRAP for a
# command prefix (valgrind).  Sets HERE (the script's directory), SRC (the
# source tree), BIN, CASE and the array WRAP; case_start does the rest.
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=${ND_BIN:-}
if [ "${1:-}" = "--bin" ]; then
  BIN=$2
  shift 2
fi
CASE=${1:-}
read -r -a WRAP <<< "${ND_WRAP:-}"

# case_start NAME... : with the script's case names, answers --list (and
# exits), refuses a missing case or binary with the usage (exit 2) and
# makes BIN absolute.
case_start() {
  if [ "$CASE" = "--list" ]; then
    printf '%s\n' "$@"
    exit 0
  fi
  if [ -z "$CASE" ] || [ -z "$BIN" ]; then
    echo "usage: ND_BIN=PATH $0 CASE   (cases: $0 --list)" >&2
    exit 2
  fi
  if [ ! -x "$BIN" ]; then
    echo "$(basename "$0"): '$BIN' is not an executable" >&2
    exit 2
  fi
  BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
}

# fail MESSAGE...: the case fails ("FAIL [CASE]: MESSAGE"; FAILED=1, which
# the script turns into its exit status).
FAILED=0
fail() {
  echo "FAIL [$CASE]: $*"
  FAILED=1
}

# case_tmp NAME: TMP is a new directory /tmp/nd-NAME.XXXXXX (under $TMPDIR if
# set), removed with everything in it when the script exits.
case_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/nd-$1.XXXXXX") || exit 2
  trap 'rm -rf "$TMP"' EXIT
}
