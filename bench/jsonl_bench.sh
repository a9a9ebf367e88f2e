#!/usr/bin/env bash
# bench/jsonl_bench.sh - JSON Lines input against plain files holding the
# same text (issue 13: JSONL input >= 70% of plain-file scan throughput).
#
#   bench/jsonl_bench.sh [--build DIR] [--work DIR] [--size-mb M] [--lang zh|en]
#                        [--runs N] [--threads T] [--ascii]
#
# Generates a corpus with gen_corpus (seed 42; English: --layout wrapped)
# unless WORK/docs exists, writes its documents as records of one file with
# to_jsonl (WORK/all.jsonl, or WORK/ascii.jsonl with --ascii: every
# non-ASCII character as \uXXXX), checks that both scans give the same
# summary (but for the bytes) and then runs, alternating, N times each:
#   neardup scan -q --threads T -f jsonl -o /dev/null WORK/docs
#   neardup scan -q --threads T --jsonl text -f jsonl -o /dev/null WORK/all.jsonl
# and prints the median wall time and CPU time (user + system) of each,
# MB/s of the plain text, and JSONL as a share of plain.
set -u
BUILD=build WORK= SIZE=100 LANG_=zh RUNS=5 THREADS=1 ASCII=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --size-mb) SIZE=$2; shift 2 ;;
    --lang) LANG_=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --ascii) ASCII=1; shift ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
done
[ -n "$WORK" ] || WORK=/tmp/nd-jsonl-bench-$LANG_-$SIZE
ND=$BUILD/neardup
for b in "$ND" "$BUILD/bench/gen_corpus" "$BUILD/bench/to_jsonl"; do
  [ -x "$b" ] || { echo "jsonl_bench: '$b' not built" >&2; exit 2; }
done
if [ ! -d "$WORK/docs" ]; then
  extra=()
  [ "$LANG_" = en ] && extra=(--lang en --layout wrapped)
  "$BUILD/bench/gen_corpus" --seed 42 --size-mb "$SIZE" "${extra[@]}" --out "$WORK" || exit 1
fi
J=$WORK/all.jsonl
[ "$ASCII" = 1 ] && J=$WORK/ascii.jsonl
if [ ! -f "$J" ]; then
  a=()
  [ "$ASCII" = 1 ] && a=(--ascii)
  "$BUILD/bench/to_jsonl" "${a[@]}" "$WORK/docs" "$J" || exit 1
fi
strip() { head -n 1 "$1" | sed -e 's/"bytes":[0-9]*,//'; }
"$ND" scan -q --threads "$THREADS" -f jsonl -o "$WORK/plain.out" "$WORK/docs" || exit 1
"$ND" scan -q --threads "$THREADS" --jsonl text -f jsonl -o "$WORK/jsonl.out" "$J" || exit 1
if [ "$(strip "$WORK/plain.out")" != "$(strip "$WORK/jsonl.out")" ]; then
  echo "jsonl_bench: the two scans differ:" >&2
  strip "$WORK/plain.out" >&2
  strip "$WORK/jsonl.out" >&2
  exit 1
fi
bytes=$(du -sb "$WORK/docs" | cut -f1)
TF=$(mktemp)
trap 'rm -f "$TF"' EXIT
: > "$WORK/times"
for ((i = 0; i < RUNS; i++)); do
  for kind in plain jsonl; do
    if [ $kind = plain ]; then in=("$WORK/docs"); else in=(--jsonl text "$J"); fi
    /usr/bin/time -f "%e %U %S" -o "$TF" "$ND" scan -q --threads "$THREADS" -f jsonl \
      -o /dev/null "${in[@]}" || exit 1
    read -r e u s < "$TF"
    echo "$kind $e $(echo "$u + $s" | bc)" >> "$WORK/times"
  done
done
median() { # KIND COLUMN
  awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$WORK/times" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
pw=$(median plain 2) jw=$(median jsonl 2) pc=$(median plain 3) jc=$(median jsonl 3)
printf 'corpus %s (%s bytes of text), %s, threads %s, %s runs each, load %s\n' "$WORK" "$bytes" \
  "$(basename "$J")" "$THREADS" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  plain: wall %.2f s (%.1f MB/s)  cpu %.2f s (%.1f MB/s)\n' "$pw" \
  "$(echo "$bytes / $pw / 1000000" | bc -l)" "$pc" "$(echo "$bytes / $pc / 1000000" | bc -l)"
printf '  jsonl: wall %.2f s (%.1f MB/s)  cpu %.2f s (%.1f MB/s)\n' "$jw" \
  "$(echo "$bytes / $jw / 1000000" | bc -l)" "$jc" "$(echo "$bytes / $jc / 1000000" | bc -l)"
printf '  jsonl / plain throughput: wall %.1f%%, cpu %.1f%%\n' \
  "$(echo "100 * $pw / $jw" | bc -l)" "$(echo "100 * $pc / $jc" | bc -l)"
