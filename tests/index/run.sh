#!/usr/bin/env bash
# tests/index/run.sh - `neardup index add` killed at random moments (issue 15).
#
#   tests/index/run.sh [--bin PATH] CASE   (or ND_BIN=PATH tests/index/run.sh CASE)
#   tests/index/run.sh --list
#
# Case sigkill: an index of a base corpus (tests/paragraphs.awk, 40 files)
# is made once; a second corpus of ND_INDEX_FILES files (default 200, of
# 16 KiB) is added to copies of it, and one undisturbed add gives the time T
# and the counts of the new state ("index check" prints them).  Then
# ND_INDEX_RUNS runs (default 24) each get SIGKILL at a moment drawn from
# [0, 1.1 T] (bash RANDOM seeded with ND_INDEX_SEED, default 15).  After every
# kill:
#   - `index check` passes (SQLite's integrity check and the index's own
#     invariants) and its counts are those of the old state or of the new
#     one, never a mix;
#   - a rerun of the add exits 0, and the index then checks with the
#     counts of the new state.
# At least one kill must have hit a running add (old state found).
#
# Case create-sigkill: `neardup index create` of the second corpus killed
# with SIGKILL at ND_INDEX_RUNS moments drawn from [0, 1.1 T] (T: an
# undisturbed create): a new index is built in a temporary file beside DB
# and appears whole or not at all, so afterwards DB is missing or checks
# with the counts of the undisturbed create; a rerun (when it is missing)
# completes.  Only the temporary file (DB.new-PID-N) may be left; one
# failed create (a PATH... of which nothing can be read is not a failure:
# an unwritable directory is) leaves no DB either.
#
# Case concurrent: while one `index add` writes the second corpus, queries
# run again and again (each must succeed and give the result of the old
# state or of the new one, never an error or a mix), and a second writer
# adding a third corpus waits for the lock and succeeds; afterwards the
# index checks with both corpora in it.
# The concurrent case's second corpus has 2,000 files (600 with
# ND_INDEX_SMALL), so that the add outlasts the first queries.
# ND_INDEX_SMALL=1 (sanitizer builds) shortens it: 80 files, 8 runs.
# Exit 0 = pass, 1 = fail.
set -u

# shellcheck source=../case_args.sh
. "$(dirname "$0")/../case_args.sh"

CASES=(sigkill concurrent create-sigkill)
case_start "${CASES[@]}"
case " ${CASES[*]} " in *" $CASE "*) ;; *) echo "unknown case '$CASE'" >&2; exit 2 ;; esac

FILES=${ND_INDEX_FILES:-200}
RUNS=${ND_INDEX_RUNS:-24}
if [ "${ND_INDEX_SMALL:-0}" = 1 ]; then
  FILES=${ND_INDEX_FILES:-80}
  RUNS=${ND_INDEX_RUNS:-8}
fi
# concurrent: the add must outlast the first queries (a query takes some
# tens of milliseconds; an add of 200 files about 0.2 s), so more files
if [ "$CASE" = concurrent ]; then
  FILES=${ND_INDEX_FILES:-2000}
  [ "${ND_INDEX_SMALL:-0}" = 1 ] && FILES=${ND_INDEX_FILES:-600}
fi
RANDOM=${ND_INDEX_SEED:-15}

case_tmp idx
cd "$TMP" || exit 2
mkdir base more
awk -v seed=3 -v nfiles=40 -v want=16384 -v dir=base -f "$SRC/tests/paragraphs.awk" || exit 2
awk -v seed=9 -v nfiles="$FILES" -v want=16384 -v dir=more -f "$SRC/tests/paragraphs.awk" || exit 2

# checked DB: the counts `index check` prints, or FAIL
# killed_within T ARGS...: runs "$BIN" ARGS and kills it (SIGKILL) at a
# random moment in [0, 1.1 T] microseconds
killed_within() {
  local t=$1 delay pid
  shift
  delay=$(( (RANDOM * 32768 + RANDOM) % (t * 11 / 10 + 1) ))
  "$BIN" "$@" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%06d' $((delay / 1000000)) $((delay % 1000000)))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

checked() {
  local out rc
  out=$("${WRAP[@]}" "$BIN" index check "$1" 2>&1)
  rc=$?
  if [ "$rc" != 0 ]; then
    fail "index check failed ($rc): $out"
    echo "BAD"
    return
  fi
  echo "${out#*: ok }"
}

"$BIN" index create base.db base > /dev/null || { fail "create failed"; exit 1; }

if [ "$CASE" = concurrent ]; then
  mkdir extra
  awk -v seed=21 -v nfiles=5 -v want=16384 -v dir=extra -f "$SRC/tests/paragraphs.awk" || exit 2
  # the query: a paragraph of the second corpus and one of the base
  { awk 'BEGIN{RS=""} NR==3' more/f0007.txt; echo; awk 'BEGIN{RS=""} NR==2' base/f0001.txt; } > q.txt
  "$BIN" query -f jsonl base.db q.txt > old.jsonl || fail "query of the old state failed"
  cp base.db ref.db
  "$BIN" index add ref.db more > /dev/null || fail "the undisturbed add failed"
  "$BIN" query -f jsonl ref.db q.txt > new.jsonl || fail "query of the new state failed"
  cmp -s old.jsonl new.jsonl && fail "the add does not change the query's result"
  "$BIN" index add ref.db extra > /dev/null || fail "the undisturbed second add failed"
  WANT=$(checked ref.db)
  cp base.db w.db
  "$BIN" index add w.db more > add1.out 2> add1.err &
  pid1=$!
  sleep 0.1
  "$BIN" index add w.db extra > add2.out 2> add2.err &
  pid2=$!
  nq=0 nold=0 nnew=0
  while kill -0 "$pid1" 2>/dev/null; do
    if ! "$BIN" query -f jsonl w.db q.txt > got.jsonl 2> got.err; then
      fail "a query during the add failed: $(cat got.err)"
      break
    fi
    nq=$((nq + 1))
    if cmp -s got.jsonl old.jsonl; then nold=$((nold + 1))
    elif cmp -s got.jsonl new.jsonl; then nnew=$((nnew + 1))
    else fail "a query during the add gave neither state's result"; diff old.jsonl got.jsonl | head -5
    fi
  done
  wait "$pid1" || fail "the first add failed: $(cat add1.err)"
  wait "$pid2" || fail "the second add failed: $(cat add2.err)"
  [ "$nold" -ge 1 ] || fail "no query ran while the add wrote ($nq queries)"
  echo "$nq queries during the add: $nold of the old state, $nnew of the new"
  got=$(checked w.db)
  [ "$got" = "$WANT" ] || fail "after both adds: $got, not $WANT"
  if [ "$FAILED" != 0 ]; then
    exit 1
  fi
  echo "PASS [$CASE]"
  exit 0
fi
if [ "$CASE" = create-sigkill ]; then
  t0=$(date +%s%N)
  "$BIN" index create ref.db more > /dev/null || { fail "the undisturbed create failed"; exit 1; }
  t1=$(date +%s%N)
  WANT=$(checked ref.db)
  T=$(( (t1 - t0) / 1000 ))
  echo "create gives $WANT, takes $T us"
  none=0
  for run in $(seq 1 "$RUNS"); do
    rm -f w.db w.db-wal w.db-shm w.db.new-*
    killed_within "$T" index create w.db more
    if [ -e w.db ]; then
      got=$(checked w.db)
      [ "$got" = "$WANT" ] || fail "run $run (kill after $delay us): a partial index: $got"
    else
      none=$((none + 1))
      "$BIN" index create w.db more > /dev/null 2> rerun.err ||
        fail "run $run: the rerun failed: $(cat rerun.err)"
      got=$(checked w.db)
      [ "$got" = "$WANT" ] || fail "run $run: after the rerun: $got, not $WANT"
    fi
    for f in w.db*; do
      case $f in w.db | w.db-wal | w.db-shm | w.db.new-*) ;; *) fail "run $run: left '$f'" ;; esac
    done
  done
  echo "$RUNS kills, $none before the index appeared"
  [ "$none" -ge 1 ] || fail "no kill hit a running create"
  # a create that fails (its directory is missing or cannot be written)
  # leaves nothing
  "$BIN" index create nodir/x.db more > /dev/null 2> nodir.err && fail "a create into a missing directory succeeded"
  grep -q "cannot create 'nodir/x.db'" nodir.err || fail "create into a missing directory: $(cat nodir.err)"
  mkdir ro && chmod a-w ro
  if [ "$(id -u)" != 0 ]; then
    "$BIN" index create ro/x.db more > /dev/null 2> ro.err && fail "a create into a read-only directory succeeded"
    [ -z "$(ls ro)" ] || fail "a failed create left: $(ls ro)"
  fi
  if [ "$FAILED" != 0 ]; then
    exit 1
  fi
  echo "PASS [$CASE]"
  exit 0
fi

OLD=$(checked base.db)
cp base.db ref.db
t0=$(date +%s%N)
"$BIN" index add ref.db more > /dev/null || { fail "the undisturbed add failed"; exit 1; }
t1=$(date +%s%N)
NEW=$(checked ref.db)
T=$(( (t1 - t0) / 1000 )) # microseconds
[ "$OLD" != "$NEW" ] || fail "the add changed nothing"
echo "old state $OLD, new state $NEW, add takes $T us"

old_seen=0
for run in $(seq 1 "$RUNS"); do
  rm -f w.db w.db-wal w.db-shm
  cp base.db w.db
  # [0, 1.1 T]: the commit and the checkpoint at close are the run's last
  # moments, so some kills land there and a few after the exit
  killed_within "$T" index add w.db more
  got=$(checked w.db)
  if [ "$got" = "$OLD" ]; then
    old_seen=$((old_seen + 1))
  elif [ "$got" != "$NEW" ]; then
    fail "run $run (kill after $delay us): the index holds neither state: $got"
  fi
  if ! "$BIN" index add w.db more > /dev/null 2> rerun.err; then
    fail "run $run: the rerun failed: $(cat rerun.err)"
  fi
  got=$(checked w.db)
  [ "$got" = "$NEW" ] || fail "run $run: after the rerun: $got, not $NEW"
done
echo "$RUNS kills, $old_seen before the commit, $((RUNS - old_seen)) after it"
[ "$old_seen" -ge 1 ] || fail "no kill hit a running add"

if [ "$FAILED" != 0 ]; then
  exit 1
fi
echo "PASS [$CASE]"
exit 0
