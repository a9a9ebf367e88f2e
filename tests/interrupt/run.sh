#!/usr/bin/env bash
# tests/interrupt/run.sh - `neardup clean` stopped at random moments (issue 13).
#
#   tests/interrupt/run.sh [--bin PATH] CASE   (or ND_BIN=PATH tests/interrupt/run.sh CASE)
#   tests/interrupt/run.sh --list
#
# CASE is the signal: sigint, sigterm or sigkill.  A corpus of ND_INTR_FILES
# files (default 400) of 16 KiB is made at run time in a temporary directory
# (removed on exit), with near-duplicate paragraphs across files, so that
# `clean --out out --log removed.jsonl` takes about a second, most of it
# writing the cleaned copy.  One undisturbed run gives the reference output
# and log and the time T (from the moment the program catches SIGINT and
# SIGTERM, read in /proc/PID/status, to its exit).  Then ND_INTR_RUNS runs
# (default 24) each get the signal at a moment drawn from [0, T] (bash
# RANDOM seeded with ND_INTR_SEED, default 13) after that same point.
# Checked after every run:
#   - sigint, sigterm: stderr is exactly "neardup: interrupted" and the exit
#     status 130 (a run that was already done when the signal came exits 0
#     with its summary; at least one run must have been interrupted);
#     no temporary file or directory is left;
#   - the output directory is absent, or it is complete: the same files and
#     bytes as the reference, and the log is then present and equal to the
#     reference log; the output with the log rebuilds every input file
#     (python3: the log's spans inserted back at their offsets);
#   - for sigint and sigterm the log is absent when the directory is; after
#     sigkill a log without the directory is allowed only complete (the kill
#     fell between the log's rename and the tree's; the README says so);
#   - a rerun (with --force when an output exists) exits 0, writes the
#     reference output, and its stderr names exactly the temporary siblings
#     the kill left ("neardup: 'out.neardup-tmp.XXXXXX' is left from an
#     interrupted run; remove it"), which it must not have touched.
# ND_INTR_SMALL=1 (sanitizer builds) shortens the test: 120 files, 8 runs.
# Exit 0 = pass, 1 = fail.
set -u
set -m # background jobs with the default SIGINT (a script ignores it otherwise)

# shellcheck source=../case_args.sh
. "$(dirname "$0")/../case_args.sh"

CASES=(sigint sigterm sigkill)
case_start "${CASES[@]}"
case " ${CASES[*]} " in *" $CASE "*) ;; *) echo "unknown case '$CASE'" >&2; exit 2 ;; esac
SIG=${CASE#sig}
SIG=${SIG^^}

FILES=${ND_INTR_FILES:-400}
RUNS=${ND_INTR_RUNS:-24}
if [ "${ND_INTR_SMALL:-0}" = 1 ]; then
  FILES=${ND_INTR_FILES:-120}
  RUNS=${ND_INTR_RUNS:-8}
fi
RANDOM=${ND_INTR_SEED:-13}

case_tmp intr

mkdir "$TMP/in" "$TMP/ref" "$TMP/w"
awk -v seed=7 -v nfiles="$FILES" -v want=16384 -v dir="$TMP/in" \
  -f "$SRC/tests/paragraphs.awk" || exit 2

# rebuild IN OUT LOG: every input file is the cleaned file with the log's
# spans inserted back at their offsets, and OUT holds nothing else
cat > "$TMP/rebuild.py" <<'PY'
import base64, json, os, sys
inp, out, log = sys.argv[1:4]
spans = {}
with open(log, "rb") as fh:
    for line in fh:
        o = json.loads(line)
        b = o["text"].encode("utf-8") if "text" in o else base64.b64decode(o["base64"])
        if len(b) != o["length"]:
            sys.exit("length of a logged span differs: %r" % line[:80])
        spans.setdefault(os.path.basename(o["path"]), []).append((o["offset"], b))
names = sorted(os.listdir(inp))
if sorted(os.listdir(out)) != names:
    sys.exit("the output does not hold exactly the input files")
for name in names:
    orig = open(os.path.join(inp, name), "rb").read()
    cleaned = open(os.path.join(out, name), "rb").read()
    res, pos = bytearray(), 0
    for off, b in sorted(spans.get(name, [])):
        take = off - len(res)
        res += cleaned[pos:pos + take]
        pos += take
        res += b
    res += cleaned[pos:]
    if bytes(res) != orig:
        sys.exit("%s is not rebuilt by the output and the log" % name)
PY

PID=
# start DIR [ARGS...]: clean in DIR with relative names, in the background
start() {
  local dir=$1
  shift
  (cd "$dir" && exec "${WRAP[@]}" "$BIN" clean --out out --log removed.jsonl "$@" ../in) \
    > "$TMP/stdout" 2> "$TMP/err" < /dev/null &
  PID=$!
}

# ready: waits until the program catches SIGINT and SIGTERM (SigCgt bits 2
# and 15 in /proc/PID/status) or has ended; at most about 5 s
# (the exec'd program, not the shell that starts it: /proc/PID/exe)
REALBIN=$(readlink -f "$BIN")
# (a program that never catches them - the code before issue 13 - is given
# 10 polls after its exec, so that it is tested too)
ready() {
  local mask execd=0
  for ((k = 0; k < 1000; k++)); do
    [ -e "/proc/$PID/status" ] || return 0
    grep -q '^State:[[:space:]]*Z' "/proc/$PID/status" 2> /dev/null && return 0
    if [ "$(readlink "/proc/$PID/exe" 2> /dev/null)" = "$REALBIN" ]; then
      mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$PID/status" 2> /dev/null)
      [ -n "$mask" ] && (( (16#$mask & 0x4002) == 0x4002 )) && return 0
      execd=$((execd + 1))
      [ "$execd" -ge 10 ] && return 0
    fi
    sleep 0.005
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# the undisturbed run
start "$TMP/ref"
ready
t0=$(now_ms)
wait "$PID"
rc=$?
T=$(( $(now_ms) - t0 ))
if [ "$rc" != 0 ] || [ -s "$TMP/err" ]; then
  fail "undisturbed run exited $rc"
  cat "$TMP/err"
  exit 1
fi
cp "$TMP/stdout" "$TMP/ref.stdout"
if command -v python3 > /dev/null; then
  python3 "$TMP/rebuild.py" "$TMP/in" "$TMP/ref/out" "$TMP/ref/removed.jsonl" ||
    fail "the undisturbed run's output and log do not rebuild the input"
fi
[ "$T" -lt 1 ] && T=1
SPAN=$T

# complete DIR: DIR/out and DIR/removed.jsonl are the reference's
complete() {
  diff -r -q "$TMP/ref/out" "$1/out" > /dev/null &&
    cmp -s "$TMP/ref/removed.jsonl" "$1/removed.jsonl"
}

leftovers() { (cd "$TMP/w" && ls -d -- *.neardup-tmp.* 2> /dev/null); }

interrupted=0
for ((i = 0; i < RUNS; i++)); do
  delay=$(( (RANDOM * 32768 + RANDOM) % (SPAN + 1) ))
  rm -rf "$TMP/w"
  mkdir "$TMP/w"
  start "$TMP/w"
  ready
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -s "$SIG" "$PID" 2> /dev/null
  wait "$PID" 2> /dev/null
  rc=$?
  krc=$rc
  what="run $i ($SIG at $delay of $T ms)"
  state=absent
  [ -e "$TMP/w/out" ] && state=present
  if grep -q -E '^==[0-9]+==|runtime error:|Sanitizer' "$TMP/err"; then
    fail "$what: sanitizer report"
    cat "$TMP/err"
  fi
  if [ "$SIG" != KILL ]; then
    if [ "$rc" = 130 ] && [ "$(cat "$TMP/err")" = "neardup: interrupted" ]; then
      interrupted=$((interrupted + 1))
    elif [ "$rc" = 0 ] && [ ! -s "$TMP/err" ] && cmp -s "$TMP/stdout" "$TMP/ref.stdout"; then
      : # done before the signal came
    else
      fail "$what: exit $rc (expected 130 and 'neardup: interrupted'), stderr:"
      head -n 5 "$TMP/err"
    fi
    left=$(cd "$TMP/w" && find . -name '*.neardup-tmp.*' -o -name '.*.??????' | head -n 3)
    [ -z "$left" ] || fail "$what: temporary files left: $left"
    if [ "$state" = absent ] && [ -e "$TMP/w/removed.jsonl" ]; then
      fail "$what: the log was written, the output directory was not"
    fi
  else
    [ "$rc" = 137 ] && interrupted=$((interrupted + 1))
    if [ "$state" = absent ] && [ -e "$TMP/w/removed.jsonl" ]; then
      cmp -s "$TMP/ref/removed.jsonl" "$TMP/w/removed.jsonl" ||
        fail "$what: an incomplete log without the output directory"
    fi
  fi
  if [ "$state" = present ]; then
    if ! complete "$TMP/w"; then
      fail "$what: the output directory or the log is incomplete"
      diff -r -q "$TMP/ref/out" "$TMP/w/out" | head -n 3
    elif command -v python3 > /dev/null &&
         ! python3 "$TMP/rebuild.py" "$TMP/in" "$TMP/w/out" "$TMP/w/removed.jsonl"; then
      fail "$what: the output and the log do not rebuild the input"
    fi
  fi
  # the rerun: names what the kill left, leaves it alone, and succeeds
  mapfile -t left < <(leftovers)
  : > "$TMP/expected.err"
  for l in "${left[@]}"; do
    printf "neardup: '%s' is left from an interrupted run; remove it\n" "$l" >> "$TMP/expected.err"
    [ -d "$TMP/w/$l" ] && ls -l -R "$TMP/w/$l" > "$TMP/w.listing.$l" 2>&1
  done
  force=()
  if [ -e "$TMP/w/out" ] || [ -e "$TMP/w/removed.jsonl" ]; then force=(--force); fi
  start "$TMP/w" "${force[@]}"
  wait "$PID"
  rc=$?
  if [ "$rc" != 0 ] || ! cmp -s "$TMP/err" "$TMP/expected.err" || ! complete "$TMP/w"; then
    fail "$what: the rerun${force[*]:+ with ${force[*]}} exited $rc or wrote another output; stderr:"
    cat "$TMP/err"
    echo "expected:"
    cat "$TMP/expected.err"
  fi
  for l in "${left[@]}"; do
    if [ ! -e "$TMP/w/$l" ]; then
      fail "$what: the rerun removed or reused the leftover '$l'"
    elif [ -d "$TMP/w/$l" ] && ! ls -l -R "$TMP/w/$l" 2>&1 | cmp -s - "$TMP/w.listing.$l"; then
      fail "$what: the rerun changed the leftover '$l'"
    fi
  done
  rm -f "$TMP"/w.listing.*
  echo "run $i: $SIG at $delay of $T ms: exit $krc, output $state, ${#left[@]} leftover(s)"
done
if [ "$interrupted" = 0 ]; then
  fail "no run was interrupted (moments drawn from 0..$SPAN ms)"
fi
echo "$CASE: $RUNS runs, $interrupted interrupted"
exit "$FAILED"
