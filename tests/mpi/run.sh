#!/usr/bin/env bash
# tests/mpi/run.sh - neardup-mpi against neardup: the same report, byte for
# byte, for 1, 2 and 4 ranks (issue 16).
#
#   tests/mpi/run.sh --bin build/neardup CASE   (ND_MPI_BIN: build/neardup-mpi)
#   tests/mpi/run.sh --list
#
# Environment:
#   ND_MPI_BIN     the neardup-mpi binary (required)
#   ND_GEN_CORPUS  bench/gen_corpus, for the generated corpora (the corpus
#                  cases are skipped, exit 77, without it)
#   ND_MPIRUN      the launcher (default: mpirun; skipped, exit 77, when absent)
#   ND_MPI_SIZE_MB the generated corpus's size (default 50, as issue 16 asks)
#
# Every run has a time limit (a rank left waiting must fail the case, not
# hang it).  Open MPI refuses root unless told: the case sets
# OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) itself.  Exit 0 pass, 1 fail, 77 skipped.
set -u

# shellcheck source=../case_args.sh
. "$(dirname "$0")/../case_args.sh"

CASES=(seeds seeds-threads1 seeds-options seeds-passages corpus-zh corpus-en
       containers empty-ranks cross-rank clean clean-cross-rank errors rank0-memory
       clean-memory huge-file cut-file passages)
case_start "${CASES[@]}"

MPI_BIN=${ND_MPI_BIN:-}
if [ -z "$MPI_BIN" ] || [ ! -x "$MPI_BIN" ]; then
  echo "SKIP [$CASE]: neardup-mpi not built (ND_MPI_BIN='$MPI_BIN')"
  exit 77
fi
read -r -a MPIRUN <<< "${ND_MPIRUN:-mpirun}"
if ! command -v "${MPIRUN[0]}" > /dev/null 2>&1; then
  echo "SKIP [$CASE]: '${MPIRUN[0]}' not found (Debian: openmpi-bin)"
  exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# one node, oversubscribed: shared memory between the ranks only
export OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1

case_tmp mpi
cd "$SRC" || exit 2
SEEDS=examples/seeds
FORMATS=(text jsonl json csv html)
LIMIT=${ND_MPI_TIMEOUT:-300}

# same N ARGS... : `neardup scan ARGS` and `mpirun -n N neardup-mpi scan
# ARGS` give the same standard output and exit status.
same() {
  local n=$1; shift
  local ref=$TMP/ref.out mine=$TMP/mpi.out
  timeout "$LIMIT" "$BIN" scan "$@" > "$ref" 2> "$TMP/ref.err"
  local rc_ref=$?
  timeout "$LIMIT" "${MPIRUN[@]}" -n "$n" "$MPI_BIN" scan "$@" > "$mine" 2> "$TMP/mpi.err"
  local rc=$?
  if [ "$rc" -ne "$rc_ref" ]; then
    fail "n=$n scan $*: exit $rc, neardup exits $rc_ref"
    sed 's/^/    /' "$TMP/mpi.err" | head -20
  elif ! cmp -s "$ref" "$mine"; then
    fail "n=$n scan $*: report differs from neardup's ($(wc -c < "$ref") vs $(wc -c < "$mine") bytes)"
    diff "$ref" "$mine" | head -10 | sed 's/^/    /'
  else
    echo "ok   n=$n scan $* ($(wc -c < "$ref") bytes)"
  fi
}

# every_format N ARGS...: same, for each format.
every_format() {
  local n=$1; shift
  for f in "${FORMATS[@]}"; do same "$n" -f "$f" "$@"; done
}

# clean_same N ARGS...: `neardup clean --out DIR --log LOG ARGS` and the
# same under `mpirun -n N neardup-mpi` give the same standard output, exit
# status, cleaned tree (diff -r: every file's bytes) and log.
clean_same() {
  local n=$1; shift
  rm -rf "$TMP/cref" "$TMP/cmpi" "$TMP/cref.log" "$TMP/cmpi.log"
  timeout "$LIMIT" "$BIN" clean --out "$TMP/cref" --log "$TMP/cref.log" "$@" \
    > "$TMP/ref.out" 2> "$TMP/ref.err"
  local rc_ref=$?
  timeout "$LIMIT" "${MPIRUN[@]}" -n "$n" "$MPI_BIN" clean --out "$TMP/cmpi" --log "$TMP/cmpi.log" "$@" \
    > "$TMP/mpi.out" 2> "$TMP/mpi.err"
  local rc=$?
  if [ "$rc" -ne "$rc_ref" ]; then
    fail "n=$n clean $*: exit $rc, neardup exits $rc_ref"
    sed 's/^/    /' "$TMP/mpi.err" | head -20
  elif ! cmp -s "$TMP/ref.out" "$TMP/mpi.out"; then
    fail "n=$n clean $*: standard output differs from neardup's"
    diff "$TMP/ref.out" "$TMP/mpi.out" | head -10 | sed 's/^/    /'
  elif [ -e "$TMP/cref" ] && ! diff -r "$TMP/cref" "$TMP/cmpi" > "$TMP/diff" 2>&1; then
    fail "n=$n clean $*: cleaned tree differs from neardup's"
    head -10 "$TMP/diff" | sed 's/^/    /'
  elif [ -e "$TMP/cref.log" ] && ! cmp -s "$TMP/cref.log" "$TMP/cmpi.log"; then
    fail "n=$n clean $*: log differs from neardup's"
  else
    echo "ok   n=$n clean $* ($(tail -n 1 "$TMP/ref.out"))"
  fi
}

# chain DIR: eight files of about the same size, each with one version of
# a paragraph, the last one shifted by five words, among paragraphs found
# nowhere else: one cluster of 8 whose members live on every rank (two
# files a rank with 4 ranks).
chain() {
  mkdir -p "$1"
  for k in 0 1 2 3 4 5 6 7; do
    awk -v k="$k" 'function w(i,  s) { s = ""; do { s = s sprintf("%c", 97 + i % 26); i = int(i / 26) } while (i > 0); return "w" s }
      function para(b, m,  j, t) { t = ""; for (j = 0; j < m; j++) t = t w(b + j) " "; print t; print "" }
      BEGIN { for (p = 0; p < 12; p++) para(100000 + k * 1000 + p * 50, 40)
              para(5 * k, 100)
              for (p = 0; p < 12; p++) para(200000 + k * 1000 + p * 50, 40) }' > "$1/doc$k.txt"
  done
}

# rank_peaks N ARGS...: runs `mpirun -n N neardup-mpi ARGS` with each rank
# under bench/rank_peak.py, which prints the rank's peak resident set (its
# child's ru_maxrss, KiB) on stderr as "peak rank R KIB cpu S"; the lines go
# to $TMP/peaks.  Skips the case without python3.
rank_peaks() {
  local n=$1; shift
  if ! command -v python3 > /dev/null 2>&1; then
    echo "SKIP [$CASE]: python3 not found (each rank's peak memory)"
    exit 77
  fi
  timeout "$LIMIT" "${MPIRUN[@]}" -n "$n" python3 bench/rank_peak.py "$MPI_BIN" "$@" \
    > /dev/null 2> "$TMP/peaks.err"
  local rc=$?
  [ "$rc" -eq 0 ] || fail "rank_peaks n=$n $*: exit $rc"
  grep -o 'peak rank [0-9]* [0-9]*' "$TMP/peaks.err" > "$TMP/peaks"
}

gen() { # gen DIR ARGS...: a generated corpus, or the case is skipped
  if [ -z "${ND_GEN_CORPUS:-}" ] || [ ! -x "${ND_GEN_CORPUS}" ]; then
    echo "SKIP [$CASE]: bench/gen_corpus not built (ND_GEN_CORPUS)"
    exit 77
  fi
  "$ND_GEN_CORPUS" --out "$@" > /dev/null || { fail "gen_corpus $*"; exit 1; }
}

case $CASE in
  seeds)
    for n in 1 2 4; do every_format "$n" "$SEEDS"; done
    ;;
  seeds-threads1) # one thread per rank: the split sketches as it goes (fused)
    for n in 1 2 4; do every_format "$n" --threads 1 "$SEEDS"; done
    ;;
  seeds-options) # options that change what is compared and how it is shown
    same 2 --split blank --threshold 0.6 --shingle 3 -f jsonl --emit-paragraphs "$SEEDS"
    same 4 --min-chars 5 --num-perm 64 --top 50 --preview 40 "$SEEDS"
    same 3 --bands 16 --rows 4 --seed 7 -f csv "$SEEDS"
    # every paragraph with its text: rank 0 reads the rows it does not
    # hold back from its rows file
    same 4 -f json --emit-paragraphs --text "$SEEDS"
    # neardup spills its band keys under --memory 1M; neardup-mpi's ranks
    # keep theirs (a share's fit): the report must not tell
    same 2 --memory 1M -f json "$SEEDS"
    # -o FILE: written by rank 0 alone
    timeout "$LIMIT" "${MPIRUN[@]}" -n 2 "$MPI_BIN" scan -f json -o "$TMP/o.json" "$SEEDS" 2> /dev/null \
      || fail "-o FILE: exit $?"
    "$BIN" scan -f json "$SEEDS" > "$TMP/ref.json"
    cmp -s "$TMP/ref.json" "$TMP/o.json" || fail "-o FILE: differs from neardup's"
    ;;
  seeds-passages)
    for n in 2 4; do
      same "$n" --passages -f text "$SEEDS"
      same "$n" --passages -f json "$SEEDS"
    done
    ;;
  corpus-zh) # issue 16's generated corpus: 50 MB of Chinese (ND_MPI_SIZE_MB)
    gen "$TMP/zh" --seed 42 --size-mb "${ND_MPI_SIZE_MB:-50}"
    for n in 1 2 4; do every_format "$n" "$TMP/zh"; done
    # band keys in rounds bounded by --memory, and spilled by each rank
    # whose share's keys pass it (as neardup spills): with 4M, every share
    # of 2 and 4 ranks is sketched in batches, one batch and band a round;
    # with 16M, the shares of 4 ranks stay in memory, two bands a round
    for mem in 4M 16M; do
      same 2 --memory "$mem" -f jsonl "$TMP/zh"
      same 4 --memory "$mem" -f text "$TMP/zh"
    done
    timeout "$LIMIT" "${MPIRUN[@]}" -n 2 "$MPI_BIN" scan --memory 4M --stats "$TMP/zh" \
      > /dev/null 2> "$TMP/st"
    awk '/stats per rank/ { on = 1; next } on && $1 ~ /^[0-9]+$/ { split($9, q, "/"); ranks++; if (q[3] > 1) spilled++ }
         END { exit !(ranks == 2 && spilled == 2) }' "$TMP/st" \
      || { fail "--memory 4M: want both ranks' band keys spilled in batches"; grep -A3 "per rank" "$TMP/st" | sed 's/^/    /'; }
    ;;
  corpus-en) # English, one paragraph per line, and blank-line blocks
    gen "$TMP/en" --seed 42 --size-mb 8 --lang en --layout lines
    gen "$TMP/enw" --seed 43 --size-mb 8 --lang en
    for n in 2 4; do
      same "$n" -f jsonl "$TMP/en"
      same "$n" -f text --split auto "$TMP/enw" "$TMP/en"
    done
    ;;
  containers) # gzip data and JSON Lines records: decoded by every rank's walk
    mkdir -p "$TMP/c"
    gzip -c "$SEEDS/001_67f235fca624bad1.txt" > "$TMP/c/a.txt.gz"
    cp "$SEEDS/002_13674df05d4d43f5.txt" "$TMP/c/b.txt"
    awk 'NF { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "{\"text\": \"%s\", \"n\": %d}\n", $0, NR }' \
      "$SEEDS/000_11051e509f6edff7.txt" "$SEEDS/001_67f235fca624bad1.txt" > "$TMP/c/r.jsonl"
    for n in 1 2 4; do
      every_format "$n" "$TMP/c/a.txt.gz" "$TMP/c/b.txt"
      same "$n" -f jsonl --jsonl text "$TMP/c/r.jsonl" "$TMP/c/b.txt"
    done
    ;;
  empty-ranks) # ranks whose share holds no document (nor a paragraph)
    for n in 3 4; do
      every_format "$n" "$SEEDS/000_11051e509f6edff7.txt" "$SEEDS/001_67f235fca624bad1.txt"
      every_format "$n" "$SEEDS/002_13674df05d4d43f5.txt"
    done
    ;;
  cross-rank) # one cluster whose members live on every rank: a chain of
    # eight versions of a paragraph, each the last one shifted by five
    # words, in eight files of about the same size (two a rank with 4
    # ranks), among paragraphs found nowhere else.  Neighbours are verified
    # pairs across ranks; far members were no candidates with the
    # representative, so their similarities are computed by another rank.
    chain "$TMP/chain"
    for n in 2 3 4; do every_format "$n" "$TMP/chain"; done
    same 4 --threshold 0.7 -f json "$TMP/chain"
    # the case is what it says: one cluster of 8, forest edges merged up to
    # rank 0, similarities answered by several ranks, some computed
    "$BIN" scan "$TMP/chain" | grep -q "8 paragraphs in 1 cluster" || fail "chain: not one cluster of 8"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 4 "$MPI_BIN" scan --stats "$TMP/chain" > /dev/null 2> "$TMP/st"
    awk '/stats per rank/ { on = 1; next } on && $1 ~ /^[0-3]$/ {
           split($16, q, "/"); if (q[1] > 0) answering++; computed += q[2]; if ($1 == 0) forest = $15 }
         END { exit !(answering >= 2 && computed > 0 && forest == 7) }' "$TMP/st" \
      || { fail "chain --stats: want similarities from >= 2 ranks, some computed, 7 forest edges on rank 0"; sed 's/^/    /' "$TMP/st" | grep -A5 "per rank"; }
    ;;
  clean) # the cleaned copy and its log, as neardup clean writes them
    for n in 1 2 4; do clean_same "$n" "$SEEDS"; done
    clean_same 2 --dry-run "$SEEDS"
    clean_same 4 --keep longest --scope cross --threshold 0.7 "$SEEDS"
    mkdir -p "$TMP/cc"
    gzip -c "$SEEDS/001_67f235fca624bad1.txt" > "$TMP/cc/a.txt.gz"
    cp "$SEEDS/001_67f235fca624bad1.txt" "$TMP/cc/b.txt"
    awk 'NF { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "{\"text\": \"%s\", \"n\": %d}\n", $0, NR }' \
      "$SEEDS/000_11051e509f6edff7.txt" "$SEEDS/001_67f235fca624bad1.txt" > "$TMP/cc/r.jsonl"
    for n in 2 4; do
      clean_same "$n" "$TMP/cc/a.txt.gz" "$TMP/cc/b.txt"
      clean_same "$n" --jsonl text "$TMP/cc/r.jsonl" "$TMP/cc/b.txt"
    done
    ;;
  clean-cross-rank) # clean from rank 0's sparse report: the kept member
    # and the removed ones of one cluster on different ranks, every
    # document's other paragraphs' rows read back from rank 0's rows file
    # when the document is checked and written (cut-file cleans a document
    # whose pieces several ranks split)
    chain "$TMP/chain"
    for n in 2 3 4; do clean_same "$n" "$TMP/chain"; done
    clean_same 4 --keep longest "$TMP/chain"
    clean_same 3 --scope cross --threshold 0.7 "$TMP/chain"
    "$BIN" clean --out "$TMP/cref" --log "$TMP/cref.log" --force "$TMP/chain" > /dev/null 2>&1
    [ "$(wc -l < "$TMP/cref.log")" -eq 7 ] || fail "chain: want 7 removals in the log"
    mkdir -p "$TMP/rep"
    # files that repeat their own paragraphs and each other's
    for k in 0 1 0; do cat "$TMP/chain/doc$k.txt"; done > "$TMP/rep/a.txt"
    for k in 1 2 1 3; do cat "$TMP/chain/doc$k.txt"; done > "$TMP/rep/b.txt"
    for n in 2 4; do
      clean_same "$n" "$TMP/rep"
      clean_same "$n" --scope within --keep longest "$TMP/rep"
    done
    ;;
  errors) # no rank may be left waiting: each run ends, with neardup's status
    same 2 "$SEEDS" "$TMP/missing"        # a path that is not there: exit 2
    same 2 --threshold 2 "$SEEDS"         # a usage error on every rank: exit 1
    same 4 --no-such-option "$SEEDS"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 2 "$MPI_BIN" scan - < "$SEEDS/000_11051e509f6edff7.txt" \
      > "$TMP/o" 2> "$TMP/e"
    rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "stdin: exit $rc, want a refusal"
    grep -q "standard input ('-') cannot be shared" "$TMP/e" || fail "stdin: no message"
    [ -s "$TMP/o" ] && fail "stdin: a report was written"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 2 "$MPI_BIN" compare "$SEEDS" > /dev/null 2> "$TMP/e"
    rc=$?
    [ "$rc" -eq 1 ] || fail "compare: exit $rc, want 1 (only scan and clean run under MPI)"
    # clean: refused outputs end every rank (rank 0 refuses before the run)
    mkdir -p "$TMP/exists"
    touch "$TMP/exists/x"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 2 "$MPI_BIN" clean --out "$TMP/exists" "$SEEDS" \
      > /dev/null 2> "$TMP/e"
    rc=$?
    "$BIN" clean --out "$TMP/exists" "$SEEDS" > /dev/null 2>&1
    rc_ref=$?
    [ "$rc" -eq "$rc_ref" ] || fail "clean --out EXISTING: exit $rc, neardup exits $rc_ref"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 2 "$MPI_BIN" clean --out "$TMP/o2" - < "$SEEDS/000_11051e509f6edff7.txt" \
      > /dev/null 2> "$TMP/e"
    rc=$?
    [ "$rc" -eq 1 ] || fail "clean -: exit $rc, want 1"
    ;;
  rank0-memory) # rank 0 holds only the rows of the clusters' members (the
    # others go to its rows file, the paragraph counts are reduced), so
    # under --memory its peak stays with the other ranks' (it held 54 bytes
    # a paragraph of the run more: +7 MB here)
    gen "$TMP/en" --seed 42 --size-mb 16 --lang en --layout lines
    same 4 --memory 4M -f jsonl --emit-paragraphs --text "$TMP/en"
    same 2 --memory 4M -f text "$TMP/en"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 4 "$MPI_BIN" scan --memory 4M --threads 1 --stats \
      -f jsonl -o /dev/null "$TMP/en" > /dev/null 2> "$TMP/st"
    awk '/stats per rank/ { on = 1; next } on && $1 ~ /^[0-3]$/ { if ($1 == 0) r0 = $NF; else if ($NF > most) most = $NF; ranks++ }
         END { exit !(ranks == 4 && r0 <= most + 2.0) }' "$TMP/st" \
      || { fail "--memory 4M: rank 0's peak passes the other ranks' by more than 2 MB"; grep -A5 "per rank" "$TMP/st" | sed 's/^/    /'; }
    ;;
  clean-memory) # clean plans and writes from rank 0's sparse report (the
    # rows of the clusters' members; every other row read back from its
    # rows file): rank 0's peak stays with the other ranks' (it held 54
    # bytes a paragraph of the run more before: +6 MB here)
    gen "$TMP/en" --seed 42 --size-mb 16 --lang en --layout lines
    clean_same 4 --memory 4M "$TMP/en"
    rank_peaks 4 clean --memory 4M --threads 1 --out "$TMP/cm" --log "$TMP/cm.log" "$TMP/en"
    awk '{ if ($3 == 0) r0 = $4; else if ($4 > most) most = $4; ranks++ }
         END { exit !(ranks == 4 && r0 <= most + 2048) }' "$TMP/peaks" \
      || { fail "clean --memory 4M: rank 0's peak passes the other ranks' by more than 2 MB"; sed 's/^/    /' "$TMP/peaks"; }
    cmp -s "$TMP/cref.log" "$TMP/cm.log" || fail "clean --memory 4M: log differs"
    ;;
  huge-file) # one large file cut across the ranks at paragraph boundaries
    # (its bytes shared out like many files'): hard-wrapped English (blank
    # mode), one paragraph a line with CRLF ends, and one among small files
    gen "$TMP/w" --seed 43 --size-mb 8 --lang en
    gen "$TMP/l" --seed 42 --size-mb 6 --lang en --layout lines
    mkdir -p "$TMP/h"
    cat "$TMP/w"/docs/* > "$TMP/h/wrapped.txt"
    cat "$TMP/l"/docs/* | sed 's/$/\r/' > "$TMP/h/crlf.txt"
    for n in 2 4; do every_format "$n" "$TMP/h/wrapped.txt"; done
    for n in 3 4; do same "$n" -f jsonl --emit-paragraphs "$TMP/h/crlf.txt"; done
    same 4 -f csv --split line "$TMP/h/wrapped.txt"
    same 3 -f jsonl "$TMP/w/docs" "$TMP/h/crlf.txt" "$TMP/l/docs"
    clean_same 4 "$TMP/h/wrapped.txt"
    # paragraphs cut at --max-paragraph-bytes on every rank: one notice, the
    # single process's (the sum of the pieces' cuts, the first one's line)
    "$BIN" scan -f text --max-paragraph-bytes 300 "$TMP/h/wrapped.txt" > "$TMP/ref.out" 2> "$TMP/ref.err"
    timeout "$LIMIT" "${MPIRUN[@]}" -n 4 "$MPI_BIN" scan -f text --max-paragraph-bytes 300 \
      "$TMP/h/wrapped.txt" > "$TMP/mpi.out" 2> "$TMP/mpi.err"
    if ! cmp -s "$TMP/ref.out" "$TMP/mpi.out" || ! grep -q "cut into pieces" "$TMP/ref.err" ||
       [ "$(grep "cut into pieces" "$TMP/ref.err")" != "$(grep "cut into pieces" "$TMP/mpi.err")" ]; then
      fail "--max-paragraph-bytes 300: report or notice differs from neardup's"
      grep "cut into" "$TMP/ref.err" "$TMP/mpi.err" | sed 's/^/    /'
    else
      echo "ok   n=4 --max-paragraph-bytes 300: report and notice"
    fi
    # the case is what it says: the one file is split by all four ranks
    timeout "$LIMIT" "${MPIRUN[@]}" -n 4 "$MPI_BIN" scan --stats -o /dev/null "$TMP/h/wrapped.txt" \
      > /dev/null 2> "$TMP/st"
    awk '/stats per rank/ { on = 1; next } on && $1 ~ /^[0-3]$/ { ranks++; if ($2 == "0-1" && $4 > 1000) cut++ }
         END { exit !(ranks == 4 && cut == 4) }' "$TMP/st" \
      || { fail "want the file's paragraphs split by all 4 ranks"; grep -A5 "per rank" "$TMP/st" | sed 's/^/    /'; }
    ;;
  cut-file) # each rank reads only its piece of one cut file: the auto
    # split mode is decided from the file's first bytes alone (the same on
    # every rank), and each piece's lines are numbered after the lines of
    # the pieces before it.  The file: 3 MB of one-line paragraphs between
    # blank lines (no join, so no vote: the decision reads past them), 1.5
    # MB of hard-wrapped text that decides blank mode, then 4 MB of
    # one-paragraph-per-line text in blocks of ten lines, which ranks 2 and
    # 3 split (as blocks, not lines) knowing the lines before their pieces
    gen "$TMP/a" --seed 44 --size-mb 3 --lang en --layout lines
    gen "$TMP/b" --seed 45 --size-mb 2 --lang en
    gen "$TMP/c" --seed 46 --size-mb 4 --lang en --layout lines
    mkdir -p "$TMP/f"
    { cat "$TMP/a"/docs/* | awk '{ print; print "" }' | head -c 3000000 | sed '$d'
      echo; echo; cat "$TMP/b"/docs/* | head -c 1500000 | sed '$d'
      echo; echo; cat "$TMP/c"/docs/* | awk '{ print } NR % 10 == 0 { print "" }'
    } > "$TMP/f/cut.txt"
    for n in 2 3 4; do
      same "$n" -f jsonl --emit-paragraphs "$TMP/f/cut.txt"
      same "$n" -f text "$TMP/f/cut.txt"
    done
    every_format 4 --max-paragraph-bytes 400 "$TMP/f/cut.txt"
    same 4 -f jsonl --split line "$TMP/f/cut.txt"
    # clean of the cut file: its rows come from every rank; rank 0 checks
    # and writes it from its rows file
    clean_same 3 "$TMP/f/cut.txt"
    clean_same 2 --scope within --keep longest "$TMP/f/cut.txt"
    # the case is what it says: the file is in blank mode, its pieces are
    # split by all four ranks, and each reads little more than its quarter
    # (the decision's prefix of at most 4 MiB and its piece: "read MB",
    # rchar of /proc/self/io around the split stage), not the whole file
    "$BIN" scan -f jsonl "$TMP/f/cut.txt" | grep -q '"split":"blank"' \
      || fail "cut.txt: want blank mode"
    size=$(wc -c < "$TMP/f/cut.txt")
    timeout "$LIMIT" "${MPIRUN[@]}" -n 4 "$MPI_BIN" scan --stats -o /dev/null "$TMP/f/cut.txt" \
      > /dev/null 2> "$TMP/st"
    awk -v size="$size" '/stats per rank/ { on = 1; next }
         on && $1 ~ /^[0-3]$/ { ranks++; if ($2 == "0-1" && $4 > 1000) cut++
                                if ($(NF - 1) * 1e6 > size / 4 + 4.6e6) big++ }
         END { exit !(ranks == 4 && cut == 4 && big == 0) }' "$TMP/st" \
      || { fail "want the file split by all 4 ranks, each reading at most its quarter + 4.6 MB"; grep -A5 "per rank" "$TMP/st" | sed 's/^/    /'; }
    ;;
  passages) # scan --passages shared out: each rank fingerprints its
    # documents, the buckets' fingerprints and the pairs' seeds go between
    # the ranks, each aligns the pairs of its documents, rank 0 makes the
    # records (planted passages: sentences copied into other paragraphs,
    # merged and split paragraphs, passages inside very long lines)
    gen "$TMP/zh" --seed 42 --size-mb 8 --passages 0.1
    gen "$TMP/en" --seed 43 --size-mb 6 --lang en --passages 0.1
    for n in 1 2 3 4; do same "$n" --passages -f jsonl "$TMP/zh/docs"; done
    every_format 3 --passages "$TMP/en/docs"
    # the kept texts spilled to each rank's files under --memory, and a
    # threshold and gap that change what the alignment keeps
    same 2 --passages --memory 4M -f text "$TMP/zh/docs"
    same 4 --passages --min-passage 30 --max-gap 4 --threshold 0.6 -f jsonl "$TMP/en/docs"
    # one file of several MB cut across the ranks for the paragraphs is
    # fingerprinted whole by one of them; with the other files' pairs
    mkdir -p "$TMP/h"
    cat "$TMP/zh"/docs/00000* > "$TMP/h/one.txt"
    same 4 --passages -f jsonl "$TMP/h/one.txt" "$TMP/zh/docs/000100.txt" "$TMP/en/docs"
    same 3 --passages --common-docs 2 -f json "$TMP/zh/docs"
    ;;
  *) fail "no case '$CASE'" ;;
esac
exit $FAILED
