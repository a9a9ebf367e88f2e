#!/usr/bin/env bash
# bench/mpi_bench.sh - neardup-mpi on one machine for 1, 2 and 4 ranks
# (issue 16): per-rank time, bytes sent and received, peak memory, against
# `neardup scan` on the same corpus, and a check that every report is the
# same bytes.
#
#   bench/mpi_bench.sh [BUILD_DIR] [SIZE_MB] [THREADS_PER_RANK] [onefile|passages]
#
# BUILD_DIR defaults to build (it needs neardup, neardup-mpi and
# bench/gen_corpus), SIZE_MB to 200 (a Chinese corpus, seed 42, made under
# $TMPDIR and removed at the end), THREADS_PER_RANK to 1 (one core per rank,
# the model of bench/README.md "MPI scale-out").  The tables are the
# programs' own --stats output (stderr); the wall time is /usr/bin/time's.
# With "onefile" the corpus is hard-wrapped English (gen_corpus --lang en)
# made one file, which the ranks cut between them: the table's "read MB" is
# what each rank's split stage read() (rchar of /proc/self/io).  With
# "passages" the corpus has planted passages (gen_corpus --passages 0.1) and
# every run is `scan --passages`; the wall time of each rank's process and
# its peak resident set come from bench/rank_peak.py (one line a rank).
set -euo pipefail
BUILD=${1:-build}
SIZE=${2:-200}
THREADS=${3:-1}
ONEFILE=${4:-}
MODE=()
[ "$ONEFILE" = passages ] && MODE=(--passages)
for b in neardup neardup-mpi bench/gen_corpus; do
  [ -x "$BUILD/$b" ] || { echo "mpi_bench: $BUILD/$b not built" >&2; exit 2; }
done
command -v mpirun > /dev/null || { echo "mpi_bench: mpirun not found (openmpi-bin)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nd-mpibench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

if [ "$ONEFILE" = onefile ]; then
  "$BUILD/bench/gen_corpus" --seed 42 --size-mb "$SIZE" --lang en --out "$TMP/g" > /dev/null
  mkdir "$TMP/c"
  cat "$TMP/g"/docs/* > "$TMP/c/one.txt"
  rm -rf "$TMP/g"
  echo "corpus: $SIZE MB as one file (gen_corpus --seed 42 --lang en), $(nproc) cores, --threads $THREADS per process"
elif [ "$ONEFILE" = passages ]; then
  "$BUILD/bench/gen_corpus" --seed 42 --size-mb "$SIZE" --passages 0.1 --out "$TMP/g" > /dev/null
  mv "$TMP/g/docs" "$TMP/c"
  echo "corpus: $SIZE MB with planted passages (gen_corpus --seed 42 --passages 0.1), $(nproc) cores, --threads $THREADS per process, scan --passages"
else
  "$BUILD/bench/gen_corpus" --seed 42 --size-mb "$SIZE" --out "$TMP/c" > /dev/null
  echo "corpus: $SIZE MB (gen_corpus --seed 42), $(nproc) cores, --threads $THREADS per process"
fi
echo
echo "== neardup scan"
/usr/bin/time -f "wall %e s, peak %M KB" "$BUILD/neardup" scan "${MODE[@]}" --stats \
  --threads "$THREADS" -f jsonl "$TMP/c" > "$TMP/ref.jsonl" 2> "$TMP/err"
grep -E "^  (split|sketch|exact|lsh|verify|cluster|passage|report|total) |wall" "$TMP/err"
for n in 1 2 4; do
  echo
  echo "== mpirun -n $n neardup-mpi scan"
  if [ "$ONEFILE" = passages ]; then # each rank's peak, through rank_peak.py
    /usr/bin/time -f "wall %e s (mpirun)" mpirun -n "$n" python3 "$(dirname "$0")/rank_peak.py" \
      "$BUILD/neardup-mpi" scan --passages --stats --threads "$THREADS" -f jsonl "$TMP/c" \
      > "$TMP/mpi.jsonl" 2> "$TMP/err"
    grep -o "peak rank .*" "$TMP/err" | sort -k3n
  else
    /usr/bin/time -f "wall %e s (mpirun)" mpirun -n "$n" "$BUILD/neardup-mpi" scan --stats \
      --threads "$THREADS" -f jsonl "$TMP/c" > "$TMP/mpi.jsonl" 2> "$TMP/err"
  fi
  sed -n '/stats per rank/,/^neardup: stats/p' "$TMP/err" | grep -v "^neardup: stats"
  grep -E "^  (split|lsh|verify|passage|total) |wall" "$TMP/err"
  # the --stats summary record holds times: compare without it
  if cmp -s <(grep -v '"type":"summary"' "$TMP/ref.jsonl") <(grep -v '"type":"summary"' "$TMP/mpi.jsonl"); then
    echo "report: same bytes as neardup's (summary record with --stats' times left out)"
  else
    echo "report: DIFFERS from neardup's"
    exit 1
  fi
done
