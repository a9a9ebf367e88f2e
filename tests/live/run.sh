#!/usr/bin/env bash
# tests/live/run.sh - inputs that change while neardup reads them (issue 12).
#
#   tests/live/run.sh [--bin PATH] CASE     (or ND_BIN=PATH tests/live/run.sh CASE)
#   tests/live/run.sh --list
#
# CASE is the command under test: scan, clean or compare.  A corpus is made
# at run time in a temporary directory (removed on exit): big.txt (ND_LIVE_MB
# MiB, default 48), mid.txt (4 MiB; compare's A), a.txt and b.txt (small,
# sharing paragraphs with big.txt and mid.txt), and a same-size other text
# for each file that is changed.  Every run works on a fresh copy.  First one
# run undisturbed gives the command's time T (exit 0 expected); then, for
# ND_LIVE_RUNS runs (default 24), the file is changed at a moment drawn
# uniformly from [0, 1.2 T] (for compare, which reads its files in its first
# milliseconds, every other moment from [0, 30 ms]; bash RANDOM seeded with
# ND_LIVE_SEED, default 12) by one of, in turn: truncate to 0, truncate to half, rewrite in place
# (same size, other bytes), delete, replace by rename, grow (append).
#
# Runs alternate, two by two, between 1 and 2 threads (the fused split and
# sketch, and the separate sketch stage that reads the big file again).
# Checked for every run: the exit status is 0 or 2, never a signal (>= 128);
# stderr holds only the line
#   neardup: 'FILE' changed while it was read; results for it may be incomplete
# for the changed file (and, for clean, "neardup: 'FILE' is left out of the
# cleaned copy"; for compare of a file deleted before neardup first saw it,
# "cannot open 'FILE'"), which must be there when the status is 2; scan's
# JSONL report parses (python3); clean writes every unchanged input, and no
# copy of a file it reported.  The normal run of scan and clean must see at
# least one change.
# ND_WRAP (valgrind) or ND_LIVE_SMALL=1 (sanitizer build) shorten the test:
# 2 MiB, 256 KiB for compare, 8 runs.  Exit 0 = pass, 1 = fail.
set -u

# shellcheck source=../case_args.sh
. "$(dirname "$0")/../case_args.sh"

CASES=(scan clean compare)
case_start "${CASES[@]}"
case " ${CASES[*]} " in *" $CASE "*) ;; *) echo "unknown case '$CASE'" >&2; exit 2 ;; esac

SHORT=0
if [ -n "${ND_WRAP:-}" ] || [ "${ND_LIVE_SMALL:-0}" = 1 ]; then SHORT=1; fi
MB=${ND_LIVE_MB:-48}
MID_KB=4096
RUNS=${ND_LIVE_RUNS:-24}
if [ "$SHORT" = 1 ]; then
  MB=2
  MID_KB=256
  RUNS=${ND_LIVE_RUNS:-8}
fi
RANDOM=${ND_LIVE_SEED:-12}

case_tmp live

# gen SEED BYTES FILE: exactly BYTES bytes of tests/paragraphs.awk's
# paragraphs (near-duplicates among them, so clusters exist).
gen() {
  awk -v seed="$1" -v want="$2" -f "$SRC/tests/paragraphs.awk" > "$3"
}

TPL=$TMP/tpl
mkdir -p "$TPL"
gen 1 $((MB << 20)) "$TPL/big.txt"
gen 2 $((MB << 20)) "$TMP/big.alt"
gen 3 $((MID_KB << 10)) "$TPL/mid.txt"
gen 4 $((MID_KB << 10)) "$TMP/mid.alt"
head -c 65536 "$TPL/big.txt" > "$TPL/a.txt"
head -c 65536 "$TPL/mid.txt" > "$TPL/b.txt"
gen 5 65536 "$TMP/grow.add"

W=$TMP/w       # the inputs of one run
OUTD=$TMP/out  # clean's output
if [ "$CASE" = compare ]; then TARGET=mid.txt; else TARGET=big.txt; fi
FILE=$W/$TARGET
CHANGED_LINE="neardup: '$FILE' changed while it was read; results for it may be incomplete"
LEFT_LINE="neardup: '$FILE' is left out of the cleaned copy"
GONE_LINE="neardup: cannot open '$FILE': No such file or directory"

fresh() {
  rm -rf "$W" "$OUTD"
  cp -r "$TPL" "$W"
}

PID=
THREADS=2
start() {
  case "$CASE" in
    scan) "${WRAP[@]}" "$BIN" scan --threads "$THREADS" --format jsonl -o "$TMP/report.jsonl" "$W" \
            > /dev/null 2> "$TMP/err" & ;;
    clean) "${WRAP[@]}" "$BIN" clean --threads "$THREADS" --out "$OUTD" "$W" \
             > /dev/null 2> "$TMP/err" & ;;
    compare) "${WRAP[@]}" "$BIN" compare "$W/mid.txt" "$W/b.txt" \
               > /dev/null 2> "$TMP/err" & ;;
  esac
  PID=$!
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# the undisturbed run: its time, and exit 0
fresh
t0=$(now_ms)
start
wait "$PID"
rc=$?
T=$(( $(now_ms) - t0 ))
if [ "$rc" != 0 ]; then
  fail "undisturbed run exited $rc"
  cat "$TMP/err"
  exit 1
fi
[ "$T" -lt 1 ] && T=1
SPAN=$(( T * 6 / 5 ))
EARLY=${ND_LIVE_EARLY_MS:-30}

ACTIONS=(truncate0 truncate-half rewrite delete rename grow)
SIZE=$(stat -c %s "$TPL/$TARGET")
ALT=$TMP/${TARGET%.txt}.alt
seen_changed=0
for ((i = 0; i < RUNS; i++)); do
  action=${ACTIONS[i % ${#ACTIONS[@]}]}
  # compare reads its files whole in its first milliseconds: every other
  # moment is drawn from that start
  span=$SPAN
  if [ "$CASE" = compare ] && [ $((i % 2)) = 1 ] && [ "$span" -gt "$EARLY" ]; then span=$EARLY; fi
  delay=$(( (RANDOM * 32768 + RANDOM) % (span + 1) ))
  # 1 thread sketches while splitting (scan.c, "Fused"); with 2 threads the
  # big file dominates, so the sketch stage reads it again: both paths
  THREADS=$((1 + (i / 2) % 2))
  fresh
  start
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  case "$action" in
    truncate0) truncate -s 0 "$FILE" ;;
    truncate-half) truncate -s $((SIZE / 2)) "$FILE" ;;
    rewrite) dd if="$ALT" of="$FILE" bs=1M conv=notrunc status=none ;;
    delete) rm -f "$FILE" ;;
    rename) cp "$ALT" "$TMP/replacement" && mv "$TMP/replacement" "$FILE" ;;
    grow) cat "$TMP/grow.add" >> "$FILE" ;;
  esac
  wait "$PID"
  rc=$?
  what="run $i ($action at ${delay} ms of ${T} ms, $THREADS thread(s))"
  if [ "$rc" -ge 128 ]; then
    fail "$what: killed by signal $((rc - 128))"
    continue
  fi
  if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then
    fail "$what: exit $rc"
    cat "$TMP/err"
    continue
  fi
  if grep -q -E '^==[0-9]+==|runtime error:|Sanitizer' "$TMP/err"; then
    fail "$what: memory checker or sanitizer report"
    cat "$TMP/err"
    continue
  fi
  # stderr: only the expected lines
  while IFS= read -r line; do
    case "$line" in
      "$CHANGED_LINE") ;;
      "$LEFT_LINE") [ "$CASE" = clean ] || fail "$what: unexpected: $line" ;;
      "$GONE_LINE") [ "$CASE" = compare ] && [ "$action" = delete ] ||
                      fail "$what: unexpected: $line" ;;
      *) fail "$what: unexpected stderr line: $line" ;;
    esac
  done < "$TMP/err"
  changed=0
  grep -q -x -F "$CHANGED_LINE" "$TMP/err" && changed=1
  seen_changed=$((seen_changed + changed))
  if [ "$rc" = 2 ] && [ "$changed" = 0 ] &&
     ! { [ "$CASE" = compare ] && grep -q -x -F "$GONE_LINE" "$TMP/err"; }; then
    fail "$what: exit 2 without naming '$FILE'"
    cat "$TMP/err"
  fi
  if [ "$rc" = 0 ] && [ -s "$TMP/err" ]; then
    fail "$what: exit 0 with messages"
    cat "$TMP/err"
  fi
  case "$CASE" in
    scan)
      if command -v python3 > /dev/null &&
         ! python3 -c 'import json, sys
for line in open(sys.argv[1]): json.loads(line)' "$TMP/report.jsonl"; then
        fail "$what: the JSONL report does not parse"
      fi ;;
    clean)
      for f in a.txt b.txt mid.txt; do
        [ -f "$OUTD/$f" ] || fail "$what: unchanged input $f not in the cleaned copy"
      done
      if [ "$changed" = 1 ]; then
        [ -e "$OUTD/big.txt" ] && fail "$what: the changed file was written"
        grep -q -x -F "$LEFT_LINE" "$TMP/err" || fail "$what: clean did not say it left the file out"
      fi ;;
  esac
  echo "run $i: $action at $delay of $T ms, $THREADS thread(s): exit $rc, changed=$changed"
done
# (compare reads its files in a few milliseconds, which a moment seldom
# hits: its detection is tested in tests/test_input.c, changed_files_*)
if [ "$SHORT" = 0 ] && [ "$CASE" != compare ] && [ "$seen_changed" = 0 ]; then
  fail "no run saw the change (moments drawn from 0..$SPAN ms)"
fi
echo "$CASE: $RUNS runs, $seen_changed reported the change"
exit "$FAILED"
