#!/usr/bin/env bash
# tests/cli/run.sh - runs one CLI test case against the real neardup binary.
#
#   tests/cli/run.sh [--bin PATH] CASE      (or ND_BIN=PATH tests/cli/run.sh CASE)
#   tests/cli/run.sh --list                 the case names
#
# Environment:
#   ND_BIN          the neardup binary (unless --bin is given)
#   ND_WRAP         a command prefix, e.g. "valgrind -q --error-exitcode=99 ...";
#                   lines of the form "==PID== ..." are dropped from stderr
#                   before it is compared (and shown if the case fails)
#   ND_CLI_UPDATE=1 rewrite the golden files under tests/cli/expected/ from
#                   the current binary instead of comparing (then READ them)
#
# Every case runs in the source directory with relative paths, so the paths in
# golden files are stable.  Fixtures are made at run time in a temporary
# directory that is removed on exit.  Exit 0 = pass, 1 = fail (with diffs).
set -u

# shellcheck source=../case_args.sh
. "$(dirname "$0")/../case_args.sh"
EXP=$HERE/expected
UPDATE=${ND_CLI_UPDATE:-0}

SEEDS=examples/seeds
S000=$SEEDS/000_11051e509f6edff7.txt
S001=$SEEDS/001_67f235fca624bad1.txt
S002=$SEEDS/002_13674df05d4d43f5.txt
S003=$SEEDS/003_1d07424bca0ceb50.txt
S004=$SEEDS/004_0d1cd47ed3852840.txt

CASES=(version help unknown-command bad-option-value bands-without-rows
       option-syntax params-default params-jsonl params-given
       scan-text scan-jsonl scan-json scan-csv scan-deterministic scan-stats
       output-file write-error missing-path no-input binary-file gzip
       corrupt-gzip stdin given-twice walk-rules tmpdir-errors emit-paragraphs norm-flags too-large
       symlink-loop not-regular escape-path
       scan-html compare-text compare-errors clean clean-refuse
       clean-help clean-options clean-leftover
       encodings encoding-guess encoding-option clean-encodings
       jsonl-scan jsonl-clean compare-encodings scan-passages scan-passages-formats
       archive-scan archive-clean compare-corpus index index-errors
       scan-db scan-db-generated)

case_start "${CASES[@]}"

case_tmp cli
cd "$SRC" || exit 2

OUT=$TMP/stdout
ERR=$TMP/stderr
RAWERR=$TMP/stderr.raw
RC=0

# nd ARGS... : runs the binary; stdout in $OUT, stderr in $ERR, status in $RC.
# Runs in $ND_DIR if set (else the source directory); reads standard input
# from $ND_STDIN if set, else from /dev/null; writes to $ND_STDOUT if set.
nd() {
  (cd "${ND_DIR:-$SRC}" && exec "${WRAP[@]}" "$BIN" "$@") \
    > "${ND_STDOUT:-$OUT}" 2> "$RAWERR" < "${ND_STDIN:-/dev/null}"
  RC=$?
  grep -v -E '^==[0-9]+==' "$RAWERR" > "$ERR"
  if [ "$RC" = 99 ] || grep -q -E '^==[0-9]+==|runtime error:|Sanitizer' "$RAWERR"; then
    fail "the wrapper (${WRAP[*]:-none}) reported errors for: neardup $*"
    cat "$RAWERR"
  fi
}

# Same, but the output files are copied to $TMP/NAME.out / NAME.err.
nd_as() {
  local name=$1
  shift
  nd "$@"
  cp "$OUT" "$TMP/$name.out"
  cp "$ERR" "$TMP/$name.err"
}

expect_rc() {
  if [ "$RC" != "$1" ]; then
    fail "exit status $RC, expected $1"
    echo "--- stderr:"
    cat "$RAWERR"
  fi
}

# expect_file ACTUAL EXPECTED_FILE_UNDER_expected/
expect_golden() {
  local actual=$1 golden=$EXP/$2
  if [ "$UPDATE" = 1 ]; then
    mkdir -p "$EXP"
    cp "$actual" "$golden"
    echo "updated $golden"
    return
  fi
  if [ ! -f "$golden" ]; then
    fail "missing golden file $golden"
    return
  fi
  if ! cmp -s "$actual" "$golden"; then
    fail "output differs from $golden"
    diff -u "$golden" "$actual" | head -n 60
  fi
}

# expect_text FILE TEXT : the file holds exactly TEXT (plus final newline
# unless TEXT is empty).
expect_text() {
  local file=$1 text=$2
  if [ -z "$text" ]; then
    printf '' > "$TMP/expected.txt"
  else
    printf '%s\n' "$text" > "$TMP/expected.txt"
  fi
  if ! cmp -s "$file" "$TMP/expected.txt"; then
    fail "$(basename "$file") differs"
    diff -u "$TMP/expected.txt" "$file" | head -n 40
  fi
}

expect_stdout() { expect_text "$OUT" "$1"; }
expect_stderr() { expect_text "$ERR" "$1"; }

expect_same() { # expect_same FILE_A FILE_B WHAT
  if ! cmp -s "$1" "$2"; then
    fail "$3"
    diff -u "$1" "$2" | head -n 40
  fi
}

# same_as_scan WHEN PATH [--db DB] [--skip-compare]: `scan --db DB` (default
# idx.db) in $TMP gives the bytes `scan PATH` gives, in every format (jsonl
# and json with every paragraph and its text); the jsonl report from the
# index is left in $TMP/db.jsonl.
same_as_scan() {
  local when=$1 path=$2 db=idx.db f extra
  shift 2
  if [ "${1:-}" = "--db" ]; then db=$2; shift 2; fi
  [ "${1:-}" = "--skip-compare" ] && return
  for f in text jsonl json csv html; do
    extra=()
    case $f in jsonl|json) extra=(--emit-paragraphs --text) ;; esac
    ND_DIR=$TMP nd scan -q -f $f "${extra[@]}" "$path"
    cp "$OUT" "$TMP/scan.$f"
    ND_DIR=$TMP nd scan --db "$db" -f $f "${extra[@]}"
    expect_rc 0
    expect_stderr ""
    cp "$OUT" "$TMP/db.$f"
    expect_same "$TMP/scan.$f" "$TMP/db.$f" "$when: scan --db -f $f differs from scan"
  done
}

expect_nonempty() {
  if [ ! -s "$1" ]; then
    fail "$(basename "$1") is empty"
  fi
}

# The JSONL report of a run, with the document path replaced by PATH and
# fields that legitimately differ between the plain and the gzip input
# ("gzip") neutralised, so cluster lists can be compared.
neutral() { # neutral FILE OLD_PATH
  sed -e "s|\"$2\"|\"PATH\"|g" -e 's/"gzip":[a-z0-9]*/"gzip":X/g' "$1"
}

# The scan-passages fixture in $TMP/in: an English sentence in a.txt and
# b.txt and, twice, in c.txt (a.txt and b.txt share it and no paragraph); a
# Chinese passage in b.txt copied into c.txt in Traditional script.
passages_fixture() {
  mkdir "$TMP/in"
  local S='The harbour lights were counted twice by the keeper before the winter storm arrived from the north.'
  printf 'A first paragraph about gardens, %s And it went on about other things entirely.\n\nUnrelated closing words for a.\n' "$S" > "$TMP/in/a.txt"
  printf 'Letters from the market: prices rose. %s Nobody minded much.\n\n我们坚持把意识形态工作同业务工作同部署、同落实、同检查、同考核，纳入年终绩效考核的主要内容，不断增强干部职工的责任意识。\n' "$S" > "$TMP/in/b.txt"
  printf '%s\nSomething else in between.\n%s\n\n前言不同。我們堅持把意識形態工作同業務工作同部署、同落實、同檢查、同考核，納入年終績效考核的主要內容，不斷增強幹部職工的責任意識。\n' "$S" "$S" > "$TMP/in/c.txt"
}

case "$CASE" in
version)
  nd --version
  expect_rc 0
  expect_stdout "neardup 0.4.0"
  expect_stderr ""
  nd -V
  expect_rc 0
  expect_stdout "neardup 0.4.0"
  ;;

help)
  nd --help
  expect_rc 0
  expect_golden "$OUT" help.txt
  expect_stderr ""
  cp "$OUT" "$TMP/main-help"
  nd -h
  expect_rc 0
  expect_same "$TMP/main-help" "$OUT" "-h differs from --help"
  nd help
  expect_rc 0
  expect_same "$TMP/main-help" "$OUT" "'help' differs from --help"
  nd # no arguments: the usage on stderr, exit 1
  expect_rc 1
  expect_stdout ""
  expect_same "$TMP/main-help" "$ERR" "no-argument usage differs from --help"
  nd scan --help
  expect_rc 0
  expect_golden "$OUT" scan-help.txt
  expect_stderr ""
  cp "$OUT" "$TMP/scan-help"
  nd help scan
  expect_rc 0
  expect_same "$TMP/scan-help" "$OUT" "'help scan' differs from 'scan --help'"
  nd scan -h
  expect_rc 0
  expect_same "$TMP/scan-help" "$OUT" "'scan -h' differs from 'scan --help'"
  nd params --help
  expect_rc 0
  expect_golden "$OUT" params-help.txt
  cp "$OUT" "$TMP/params-help"
  nd help params
  expect_rc 0
  expect_same "$TMP/params-help" "$OUT" "'help params' differs"
  # every option of the scan table is documented
  for o in --format --output --split --min-chars --threshold --num-perm \
           --shingle --bands --rows --seed --no-nfkc --no-casefold --no-t2s \
           --keep-pinyin --no-strip --emit-paragraphs --text --top --preview \
           --max-file-size --threads --quiet --help; do
    grep -q -e "$o" "$TMP/scan-help" || fail "scan --help does not list $o"
  done
  ;;

unknown-command)
  nd frobnicate
  expect_rc 1
  expect_stdout ""
  expect_stderr "neardup: unknown command 'frobnicate' (see 'neardup --help')"
  nd help frobnicate
  expect_rc 1
  expect_stderr "neardup: unknown command 'frobnicate' (see 'neardup --help')"
  nd --frobnicate
  expect_rc 1
  expect_stderr "neardup: unknown option '--frobnicate' (see 'neardup --help')"
  ;;

bad-option-value)
  nd scan --threshold 1.5 "$S000"
  expect_rc 1
  expect_stdout ""
  expect_stderr "neardup scan: --threshold: '1.5' is not a number in (0, 1]"
  nd scan --threshold=0 "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --threshold: '0' is not a number in (0, 1]"
  nd scan --threshold 0.8x "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --threshold: '0.8x' is not a number in (0, 1]"
  nd scan --num-perm -5 "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --num-perm: '-5' is not an integer in [0, 4294967295]"
  nd scan --top 4294967296 "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --top: '4294967296' is not an integer in [0, 4294967295]"
  nd scan -f xml "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --format: 'xml' is not one of text, jsonl, json, csv, html"
  nd scan --split=para "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --split: 'para' is not one of auto, line, blank"
  nd scan --max-file-size 10X "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --max-file-size: '10X' is not a size (bytes, or a number with suffix K, M, G or T)"
  nd scan --frob "$S000"
  expect_rc 1
  expect_stderr "neardup scan: unknown option '--frob' (see 'neardup scan --help')"
  nd scan -Z "$S000"
  expect_rc 1
  expect_stderr "neardup scan: unknown option '-Z' (see 'neardup scan --help')"
  nd scan --quiet=yes "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --quiet: does not take a value"
  nd scan "$S000" --threshold
  expect_rc 1
  expect_stderr "neardup scan: --threshold: missing value"
  nd scan
  expect_rc 1
  expect_stderr "neardup scan: no PATH given ('-' reads standard input; see 'neardup scan --help')"
  # ranges the library owns: the message of nd_options_check
  nd scan --shingle 0 "$S000"
  expect_rc 1
  expect_stdout ""
  if ! grep -q -E "^neardup scan: .*shingle" "$ERR" || [ "$(wc -l < "$ERR")" != 1 ]; then
    fail "--shingle 0: expected one 'neardup scan: ...shingle...' line"
    cat "$ERR"
  fi
  nd params --threshold 2
  expect_rc 1
  expect_stderr "neardup params: --threshold: '2' is not a number in (0, 1]"
  nd params extra
  expect_rc 1
  expect_stderr "neardup params: unexpected argument 'extra' (see 'neardup params --help')"
  ;;

bands-without-rows)
  nd scan --bands 16 "$S000"
  expect_rc 1
  expect_stdout ""
  expect_stderr "neardup scan: --bands and --rows must be given together"
  nd scan --rows 8 "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --bands and --rows must be given together"
  nd params --bands 16
  expect_rc 1
  expect_stderr "neardup params: --bands and --rows must be given together"
  # the library's checks name option fields (num_perm); the CLI says the flags
  nd scan --bands 30 --rows 7 "$S000"
  expect_rc 1
  expect_stderr "neardup scan: --bands x --rows (30 x 7) exceeds --num-perm 128"
  nd params --bands 30 --rows 7 --num-perm 64
  expect_rc 1
  expect_stderr "neardup params: --bands x --rows (30 x 7) exceeds --num-perm 64"
  nd clean --max-paragraph-bytes 10 --out "$TMP/x" "$S000"
  expect_rc 1
  expect_stderr "neardup clean: --max-paragraph-bytes must be between 64 and 67108864"
  ;;

option-syntax)
  # --opt=value, --opt value, -o value, -ovalue, grouped flags and "--"
  nd_as a scan --format=jsonl --top=3 "$S000" "$S001"
  expect_rc 0
  expect_nonempty "$TMP/a.out"
  nd_as b scan --format jsonl --top 3 "$S000" "$S001"
  expect_same "$TMP/a.out" "$TMP/b.out" "--format jsonl differs from --format=jsonl"
  nd_as c scan -f jsonl "$S000" --top 3 "$S001"
  expect_same "$TMP/a.out" "$TMP/c.out" "-f jsonl (options after paths) differs"
  nd_as d scan -qfjsonl --top 3 -- "$S000" "$S001"
  expect_same "$TMP/a.out" "$TMP/d.out" "-qfjsonl -- differs"
  nd scan -f jsonl -- --no-such-file
  expect_rc 4
  expect_stderr "neardup: cannot open '--no-such-file': No such file or directory
neardup: no input could be read"
  # a unique prefix of a long option is that option (as git and getopt);
  # an ambiguous one is refused, naming the candidates
  nd_as g scan --form=jsonl --to 3 "$S000" "$S001"
  expect_same "$TMP/a.out" "$TMP/g.out" "--form=jsonl --to 3 differs from --format=jsonl --top=3"
  nd scan --th 0.9 "$S000"
  expect_rc 1
  expect_stderr "neardup scan: option '--th' is ambiguous: --threshold, --threads"
  nd_as h scan -f jsonl --keep-p "$S000" "$S001"
  nd_as i scan -f jsonl --no-pinyin "$S000" "$S001"
  expect_same "$TMP/h.out" "$TMP/i.out" "--keep-p differs from the old --no-pinyin"
  # the old spelling is hidden: its exact name only, never a prefix
  nd scan --no-pin "$S000"
  expect_rc 1
  expect_stderr "neardup scan: unknown option '--no-pin' (see 'neardup scan --help')"
  # the defaults given explicitly change nothing
  nd_as e scan -f jsonl --threshold 0.8 --num-perm 128 --shingle 5 \
    --min-chars 20 --max-file-size 1G --split auto "$S000" "$S001"
  nd_as f scan -f jsonl "$S000" "$S001"
  expect_same "$TMP/e.out" "$TMP/f.out" "explicit defaults change the output"
  ;;

params-default)
  nd params
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" params.txt
  ;;

params-jsonl)
  nd params --format jsonl --threshold 0.7 --num-perm 64
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" params-0.7-64.jsonl
  if [ "$(wc -l < "$OUT")" != 1 ]; then
    fail "params --format jsonl printed more than one line"
  fi
  if command -v python3 > /dev/null; then
    python3 -c 'import json,sys; json.loads(sys.stdin.read())' < "$OUT" ||
      fail "params --format jsonl is not valid JSON"
  fi
  ;;

params-given)
  nd params --bands 20 --rows 5 --threshold 0.825
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" params-given.txt
  ;;

scan-text | scan-jsonl | scan-json | scan-csv)
  fmt=${CASE#scan-}
  nd scan -f "$fmt" "$SEEDS"
  expect_rc 0
  expect_stderr ""
  expect_nonempty "$OUT"
  expect_golden "$OUT" "seeds.$fmt"
  if [ "$fmt" = text ]; then # the default format is text
    cp "$OUT" "$TMP/text"
    nd scan "$SEEDS"
    expect_same "$TMP/text" "$OUT" "the default format is not text"
  fi
  if [ "$fmt" = jsonl ] && command -v python3 > /dev/null; then
    python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    json.loads(line)
' < "$OUT" || fail "jsonl output has an invalid line"
  fi
  if [ "$fmt" = json ] && command -v python3 > /dev/null; then
    python3 -c 'import json,sys; json.load(sys.stdin)' < "$OUT" ||
      fail "json output is not valid JSON"
  fi
  ;;

scan-deterministic)
  for fmt in text jsonl; do
    nd_as one scan -f "$fmt" "$SEEDS"
    expect_rc 0
    nd_as two scan -f "$fmt" "$SEEDS"
    expect_rc 0
    expect_same "$TMP/one.out" "$TMP/two.out" "two $fmt scans differ"
    nd_as t1 scan -f "$fmt" --threads 1 "$SEEDS"
    expect_rc 0
    expect_same "$TMP/one.out" "$TMP/t1.out" "$fmt: --threads 1 differs from the default"
    nd_as t3 scan -f "$fmt" --threads 3 "$SEEDS"
    expect_rc 0
    expect_same "$TMP/one.out" "$TMP/t3.out" "$fmt: --threads 3 differs from the default"
  done
  ;;

scan-stats)
  # --stats leaves the report as it is and prints the figures to stderr;
  # digits are masked and runs of spaces squeezed, since times and memory
  # (and so the column padding) vary from run to run and build to build.
  nd scan --stats "$SEEDS"
  expect_rc 0
  expect_golden "$OUT" seeds.text
  sed -E 's/[0-9]+/N/g; s/ +/ /g' "$ERR" > "$TMP/stats.txt"
  expect_text "$TMP/stats.txt" "neardup: stats (N threads; peak memory is the process's resident set; input files are read, not mapped)
 stage seconds peak memory
 read N.N N.N MB
 split N.N N.N MB
 sketch N.N N.N MB
 exact N.N N.N MB
 lsh N.N N.N MB
 verify N.N N.N MB
 cluster N.N N.N MB
 report N.N N.N MB
 write N.N
 total N.N
 files N, bytes N, paragraphs N (N short), candidate pairs N, verified N, clusters N
 LSH N bands x N rows, memory limit N.N MB, N spill runs (N bytes)"
  grep -q -F "  files 5, bytes 697186, paragraphs 1197 (172 short), candidate pairs " "$ERR" ||
    fail "--stats counts differ from the report's"
  nd scan --stats --threads 1 -f jsonl "$SEEDS"
  expect_rc 0
  head -n 1 "$OUT" | sed -E 's/[0-9]+(\.[0-9]+)?/N/g; s/^.*(,"stats":)/\1/' > "$TMP/stats.json"
  expect_text "$TMP/stats.json" ',"stats":{"threads":N,"seconds":{"read":N,"split":N,"sketch":N,"exact":N,"lsh":N,"verify":N,"cluster":N,"passage":N,"report":N,"total":N},"peak_rss_bytes":{"read":N,"split":N,"sketch":N,"exact":N,"lsh":N,"verify":N,"cluster":N,"passage":N,"report":N},"memory_limit":N,"spill_runs":N,"spill_bytes":N}}'
  sed -E '1s/,"stats":\{.*\}\}$/}/' "$OUT" > "$TMP/nostats.jsonl"
  expect_golden "$TMP/nostats.jsonl" seeds.jsonl
  ;;

output-file)
  mkdir "$TMP/o"
  for fmt in text jsonl json csv; do
    nd_as std scan -f "$fmt" "$S000" "$S001" "$S003"
    expect_rc 0
    nd scan -f "$fmt" -o "$TMP/o/report.$fmt" "$S000" "$S001" "$S003"
    expect_rc 0
    expect_stdout ""
    expect_stderr ""
    expect_same "$TMP/std.out" "$TMP/o/report.$fmt" "-o $fmt differs from stdout"
  done
  # overwriting an existing file; -o - is standard output
  nd scan --output="$TMP/o/report.text" "$S000"
  expect_rc 0
  nd_as dash scan -o - "$S000"
  expect_same "$TMP/dash.out" "$TMP/o/report.text" "-o - differs from -o FILE"
  left=$(cd "$TMP/o" && ls -A | tr '\n' ' ')
  if [ "$left" != "report.csv report.json report.jsonl report.text " ]; then
    fail "files left in the output directory: $left"
  fi
  ;;

write-error)
  # an output that cannot be made is found before any input is read (the
  # missing input is never reported)
  nd scan -o "$TMP/no-such-dir/report.txt" "$S000" examples/no-such-file
  expect_rc 3
  expect_stdout ""
  expect_stderr "neardup: cannot create '$TMP/no-such-dir/report.txt': No such file or directory"
  if [ -e "$TMP/no-such-dir" ]; then fail "a directory was created"; fi
  nd scan -o "$TMP" "$S000" examples/no-such-file
  expect_rc 3
  expect_stderr "neardup: cannot create '$TMP': Is a directory"
  nd clean --out "$TMP/cl" --log "$TMP/no-such-dir/log.jsonl" "$S000" examples/no-such-file
  expect_rc 3
  expect_stderr "neardup: cannot create '$TMP/no-such-dir/log.jsonl': No such file or directory"
  : > "$TMP/plain-file"
  nd clean --out "$TMP/plain-file/sub/out" "$S000" examples/no-such-file
  expect_rc 3
  expect_stderr "neardup: cannot create '$TMP/plain-file/sub/out': Not a directory"
  if [ -e "$TMP/cl" ]; then fail "clean made its output"; fi
  ls -A "$TMP" | grep -q neardup-probe && fail "a probe was left behind"
  if [ -w /dev/full ]; then # a full disk on standard output
    ND_STDOUT=/dev/full nd scan "$S000"
    expect_rc 3
    expect_stderr "neardup: cannot write standard output: No space left on device"
    ND_STDOUT=/dev/full nd params
    expect_rc 3
    expect_stderr "neardup: cannot write standard output: No space left on device"
  fi
  ;;

missing-path)
  nd scan -f jsonl "$S000" examples/no-such-file "$S001"
  expect_rc 2
  expect_stderr "neardup: cannot open 'examples/no-such-file': No such file or directory"
  expect_golden "$OUT" missing.jsonl
  # the other inputs are scanned: both documents are in the report
  for p in "$S000" "$S001"; do
    grep -q -F "\"$p\"" "$OUT" || fail "$p is missing from the report"
  done
  nd scan -q examples/no-such-file "$S000"
  expect_rc 2
  expect_stderr ""
  ;;

no-input)
  nd scan examples/no-such-file examples/no-such-dir/x
  expect_rc 4
  expect_stdout ""
  expect_stderr "neardup: cannot open 'examples/no-such-file': No such file or directory
neardup: cannot open 'examples/no-such-dir/x': No such file or directory
neardup: no input could be read"
  ;;

binary-file)
  mkdir "$TMP/in"
  cp "$S000" "$TMP/in/a.txt"
  printf 'some text\0more text\n' > "$TMP/in/b.dat"
  cp "$S001" "$TMP/in/c.txt"
  ND_DIR=$TMP nd scan -f jsonl in
  expect_rc 2
  expect_stderr "neardup: skipping 'in/b.dat': binary file"
  grep -q -F '"in/a.txt"' "$OUT" || fail "in/a.txt is missing from the report"
  grep -q -F '"in/c.txt"' "$OUT" || fail "in/c.txt is missing from the report"
  # b.dat is no document: only a "skipped" record (issue 17), right after
  # the summary, with its path and reason
  if grep -F 'b.dat' "$OUT" | grep -q -v -F '"type":"skipped"'; then
    fail "in/b.dat is in the report as more than a skipped record"
  fi
  [ "$(sed -n 2p "$OUT")" = '{"type":"skipped","path":"in/b.dat","reason":"binary file","status":"binary file","errno":0,"detail":null}' ] ||
    fail "no skipped record for in/b.dat on line 2: $(sed -n 2p "$OUT")"
  ;;

gzip)
  cp "$S003" "$TMP/plain.txt"
  gzip -c -n "$S003" > "$TMP/packed.txt.gz"
  cp "$TMP/packed.txt.gz" "$TMP/packed-no-suffix" # detected by magic bytes
  ND_DIR=$TMP nd_as plain scan -f jsonl plain.txt
  expect_rc 0
  ND_DIR=$TMP nd_as packed scan -f jsonl packed.txt.gz
  expect_rc 0
  expect_stderr ""
  ND_DIR=$TMP nd_as nosuffix scan -f jsonl packed-no-suffix
  expect_rc 0
  neutral "$TMP/plain.out" plain.txt > "$TMP/a"
  neutral "$TMP/packed.out" packed.txt.gz > "$TMP/b"
  neutral "$TMP/nosuffix.out" packed-no-suffix > "$TMP/c"
  expect_nonempty "$TMP/a"
  expect_same "$TMP/a" "$TMP/b" "the .gz copy gives other results than the plain file"
  expect_same "$TMP/a" "$TMP/c" "gzip without .gz suffix gives other results"
  if ! grep -q -F '"gzip":true' "$TMP/packed.out" && ! grep -q -F '"gzip":1' "$TMP/packed.out"; then
    fail "the report does not mark packed.txt.gz as gzip"
  fi
  ;;

corrupt-gzip)
  gzip -c -n "$S000" > "$TMP/full.gz"
  head -c 200 "$TMP/full.gz" > "$TMP/cut.gz"
  ND_DIR=$TMP nd scan cut.gz "$SRC/$S001"
  expect_rc 2
  expect_stderr "neardup: skipping 'cut.gz': corrupt or truncated gzip data"
  ;;

stdin)
  ND_STDIN=$S003 nd_as in scan -f jsonl -
  expect_rc 0
  expect_stderr ""
  nd_as file scan -f jsonl "$S003"
  neutral "$TMP/in.out" - > "$TMP/a"
  neutral "$TMP/file.out" "$S003" > "$TMP/b"
  expect_nonempty "$TMP/a"
  expect_same "$TMP/b" "$TMP/a" "'-' (stdin) gives other results than the file"
  # stdin among files, "-" after "--"
  ND_STDIN=$S001 nd_as mixed scan -f jsonl "$S000" -- -
  expect_rc 0
  grep -q -F '"-"' "$TMP/mixed.out" || fail "the stdin document '-' is not in the report"
  # "-" twice: read once, a note (as for a file given twice), not a skipped input
  ND_STDIN=$S003 nd_as twice scan -f jsonl - -
  expect_rc 0
  expect_stderr "neardup: note: '-': given more than once, read once"
  expect_same "$TMP/in.out" "$TMP/twice.out" "'- -' gives other results than '-'"
  ;;

given-twice)
  # the same file reached twice is read once, with a note; nothing is skipped
  nd_as twice scan -f jsonl "$S000" "$S000"
  expect_rc 0
  expect_stderr "neardup: note: '$S000': given more than once, read once"
  nd_as once scan -f jsonl "$S000"
  expect_same "$TMP/once.out" "$TMP/twice.out" "a file given twice is not read once"
  nd_as dirs scan -f jsonl "$SEEDS" "$SEEDS"
  expect_rc 0
  : > "$TMP/dirs.expected"
  for f in "$SEEDS"/*; do
    echo "neardup: note: '$f': given more than once, read once" >> "$TMP/dirs.expected"
  done
  expect_same "$TMP/dirs.expected" "$TMP/dirs.err" "a directory given twice: stderr differs"
  # the same file reached through another spelling of its path
  nd scan -f jsonl "$SEEDS" "./$S001"
  expect_rc 0
  expect_stderr "neardup: note: './$S001': the same file as '$S001', read once"
  nd_as single scan -f jsonl "$SEEDS"
  expect_same "$TMP/single.out" "$TMP/dirs.out" "a directory given twice changes the report"
  # a link beside its target (as in /usr/share/common-licenses): one
  # document, under the first name met
  mkdir -p "$TMP/lic"
  cp "$S000" "$TMP/lic/b-real.txt"
  ln -s b-real.txt "$TMP/lic/a-link.txt"
  nd_as lic scan -f jsonl "$TMP/lic"
  expect_rc 0
  expect_stderr "neardup: note: '$TMP/lic/b-real.txt': the same file as '$TMP/lic/a-link.txt', read once"
  grep -q '"type":"document".*"path":"[^"]*a-link.txt"' "$TMP/lic.out" || fail "the link's name is not the document's"
  if grep -q '"path":"[^"]*b-real.txt"' "$TMP/lic.out"; then fail "the file is a document twice"; fi
  ;;

walk-rules)
  # --include/--exclude (a '/' matches the path below the directory given,
  # else the name), --hidden; clean takes the same rows
  mkdir -p "$TMP/w/docs/old" "$TMP/w/.git"
  for f in a.txt b.md .hidden.txt .git/c.txt docs/d.txt docs/e.md docs/old/f.txt; do
    cp "$S000" "$TMP/w/$f"
  done
  docs_of() { sed -n 's/.*"type":"document".*"path":"[^"]*\/w\/\([^"]*\)".*/\1/p' "$1" | tr '\n' ' '; }
  nd_as all scan -f jsonl "$TMP/w"
  expect_rc 0
  got=$(docs_of "$TMP/all.out")
  [ "$got" = "a.txt b.md docs/d.txt docs/e.md docs/old/f.txt " ] || fail "default walk: '$got'"
  nd_as rules scan -f jsonl --include '*.txt' --exclude docs/old --hidden "$TMP/w"
  expect_rc 0
  got=$(docs_of "$TMP/rules.out")
  [ "$got" = ".git/c.txt .hidden.txt a.txt docs/d.txt " ] || fail "--include/--exclude/--hidden: '$got'"
  nd_as rel scan -f jsonl --include 'docs/*' "$TMP/w"
  got=$(docs_of "$TMP/rel.out")
  [ "$got" = "docs/d.txt docs/e.md " ] || fail "--include with a '/': '$got'"
  nd_as empty scan --include '' "$TMP/w"
  expect_rc 1
  expect_stderr "neardup scan: --include: the pattern is empty"
  nd_as cl clean --exclude '*.md' --out "$TMP/wout" "$TMP/w"
  expect_rc 0
  got=$(cd "$TMP/wout" && find . -type f | sort | tr '\n' ' ')
  [ "$got" = "./a.txt ./docs/d.txt ./docs/old/f.txt " ] || fail "clean --exclude: '$got'"
  ;;

tmpdir-errors)
  # an unusable --tmpdir fails before any input is read (scan and clean);
  # a failed write of temporary files names their directory and the error
  nd scan --tmpdir "$TMP/none" "$SEEDS"
  expect_rc 3
  expect_stderr "neardup: --tmpdir '$TMP/none': cannot create a temporary file there: No such file or directory"
  nd clean --tmpdir "$TMP/none" --out "$TMP/cl" "$SEEDS"
  expect_rc 3
  expect_stderr "neardup: --tmpdir '$TMP/none': cannot create a temporary file there: No such file or directory"
  [ -e "$TMP/cl" ] && fail "clean made its output despite the bad --tmpdir"
  mkdir -p "$TMP/spill"
  # spilling 1197 paragraphs' band keys needs ~150 KB; files may have 1 KB
  (trap '' XFSZ; ulimit -f 1; nd scan --memory 1K --tmpdir "$TMP/spill" "$SEEDS"; echo "$RC" > "$TMP/rc")
  RC=$(cat "$TMP/rc")
  expect_rc 3
  expect_stderr "neardup: scan failed: '$TMP/spill': File too large"
  ;;

emit-paragraphs)
  nd_as plain scan -f jsonl "$S000" "$S003"
  expect_rc 0
  nd_as paras scan -f jsonl --emit-paragraphs "$S000" "$S003"
  expect_rc 0
  expect_stderr ""
  # the same records plus one "paragraph" record per paragraph
  grep -v '"type":"paragraph"' "$TMP/paras.out" > "$TMP/a"
  expect_same "$TMP/plain.out" "$TMP/a" "--emit-paragraphs changes the other records"
  want=$(sed -n 's/.*"type":"summary".*"paragraphs":\([0-9]*\).*/\1/p' "$TMP/plain.out" | head -n 1)
  got=$(grep -c '"type":"paragraph"' "$TMP/paras.out")
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    fail "--emit-paragraphs: $got paragraph records, the summary says '$want'"
  fi
  ;;

norm-flags)
  # each --no-X is accepted and reaches the library
  nd_as all scan -f jsonl "$S003"
  expect_rc 0
  for flag in --no-nfkc --no-casefold --no-t2s --keep-pinyin --no-pinyin --no-strip; do
    nd_as one scan -f jsonl "$flag" "$S003"
    expect_rc 0
    expect_stderr ""
    expect_nonempty "$TMP/one.out"
  done
  # --keep-pinyin keeps them; --no-pinyin is its hidden old spelling
  nd_as keep scan -f jsonl --keep-pinyin "$S003"
  nd_as old scan -f jsonl --no-pinyin "$S003"
  expect_same "$TMP/keep.out" "$TMP/old.out" "--no-pinyin differs from --keep-pinyin"
  if cmp -s "$TMP/all.out" "$TMP/keep.out"; then
    fail "--keep-pinyin does not change the normalised character counts"
  fi
  nd scan --help
  grep -q -E '^ +--keep-pinyin ' "$OUT" || fail "scan --help does not list --keep-pinyin"
  if grep -q -E '^ +--(no-)?pinyin' "$OUT"; then fail "scan --help lists the hidden --no-pinyin"; fi
  nd_as nostrip scan -f jsonl --no-strip "$S003"
  if cmp -s "$TMP/all.out" "$TMP/nostrip.out"; then
    fail "--no-strip does not change the normalised character counts"
  fi
  nd_as both scan -f jsonl --no-strip --strip "$S003"
  expect_same "$TMP/all.out" "$TMP/both.out" "--strip after --no-strip does not restore the default"
  ;;

too-large)
  nd scan --max-file-size 1K "$S000" "$S001"
  expect_rc 4
  expect_stdout ""
  expect_stderr "neardup: skipping '$S000': file larger than --max-file-size (limit is 1024 bytes)
neardup: skipping '$S001': file larger than --max-file-size (limit is 1024 bytes)
neardup: no input could be read"
  nd scan --max-file-size 10K "$S000" "$S001"
  expect_rc 2
  expect_stderr "neardup: skipping '$S001': file larger than --max-file-size (limit is 10240 bytes)"
  ;;

symlink-loop)
  mkdir "$TMP/l"
  ln -s loop "$TMP/l/loop"
  cp "$S000" "$TMP/l/a.txt"
  ND_DIR=$TMP nd scan l
  expect_rc 2
  expect_stderr "neardup: skipping 'l/loop': symbolic link loop"
  ;;

not-regular)
  mkfifo "$TMP/fifo"
  ND_DIR=$TMP nd scan fifo "$SRC/$S000"
  expect_rc 2
  expect_stderr "neardup: skipping 'fifo': not a regular file"
  ;;

escape-path)
  nd scan $'examples/new\nline\x1b[31m\xff.txt' "$S000"
  expect_rc 2
  expect_stderr "neardup: cannot open 'examples/new\\x0aline\\x1b[31m\\xff.txt': No such file or directory"
  nd scan examples/中文.txt "$S000"
  expect_rc 2
  expect_stderr "neardup: cannot open 'examples/中文.txt': No such file or directory"
  ;;

scan-html)
  nd scan -f html "$SEEDS"
  expect_rc 0
  expect_stderr ""
  head -n 1 "$OUT" > "$TMP/first"
  expect_text "$TMP/first" "<!DOCTYPE html>"
  cp "$OUT" "$TMP/one.html"
  nd scan -f html -o "$TMP/two.html" "$SEEDS"
  expect_rc 0
  expect_same "$TMP/one.html" "$TMP/two.html" "-o FILE html differs from stdout"
  cells=$(grep -o '<td class="cell' "$TMP/one.html" | wc -l)
  [ "$cells" = 25 ] || fail "$cells heat map cells for 5 documents"
  ;;

compare-text)
  mkdir "$TMP/c"
  printf 'Intro line here.\nThe quick brown fox jumps over the lazy dog near the river bank today.\nSomething else entirely different is written in this line.\n' > "$TMP/c/a.txt"
  printf 'Other start.\nHe said that the quick brown fox jumped over the lazy dog near the river bank today, and left.\nTail.\n' > "$TMP/c/b.txt"
  # one word edited: the sentence's sides have token-shingle Jaccard 1/3,
  # so at the default --threshold 0.8 the passage is the part after the edit
  ND_DIR=$TMP/c nd compare --preview 20 a.txt b.txt
  expect_rc 0
  expect_stderr ""
  expect_stdout "A  a.txt  (118 characters)
B  b.txt  (88 characters)

29.7% of A appears in B (35 of 118 comparable characters)
39.8% of B appears in A (35 of 88 comparable characters)
1 shared passage of at least 30 characters

#0  35 matching characters
  A  a.txt:2  over the lazy dog ne...
  B  b.txt:2  over the lazy dog ne..."
  # -o: the library's atomic, umask-aware output (it was 0644 whatever the
  # umask), identical to standard output, no temporary file left
  ND_DIR=$TMP/c nd compare --preview 20 a.txt b.txt
  cp "$OUT" "$TMP/c-stdout"
  (umask 077; ND_DIR=$TMP/c nd compare --preview 20 -o cmp.txt a.txt b.txt)
  [ "$(stat -c %a "$TMP/c/cmp.txt")" = 600 ] || fail "compare -o ignores the umask: $(stat -c %a "$TMP/c/cmp.txt")"
  expect_same "$TMP/c-stdout" "$TMP/c/cmp.txt" "compare -o differs from standard output"
  [ "$(ls -A "$TMP/c" | wc -l)" = 3 ] || fail "compare -o left files behind: $(ls -A "$TMP/c")"
  rm "$TMP/c/cmp.txt"
  # compare A B draws a progress bar too (issue 17), its figures named
  ND_DIR=$TMP/c nd compare --progress --preview 20 a.txt b.txt
  expect_rc 0
  expect_same "$TMP/c-stdout" "$OUT" "compare --progress changes the report"
  grep -q -a -E 'passage \[[#.]+\] +[0-9]+%  elapsed [0-9]+s' "$ERR" ||
    fail "compare --progress drew no bar: $(tr '\r' '\n' < "$ERR" | head -3)"
  # --preview 0 means no preview, as in scan (it printed whole passages)
  ND_DIR=$TMP/c nd compare --preview 0 a.txt b.txt
  expect_rc 0
  expect_stdout "A  a.txt  (118 characters)
B  b.txt  (88 characters)

29.7% of A appears in B (35 of 118 comparable characters)
39.8% of B appears in A (35 of 88 comparable characters)
1 shared passage of at least 30 characters

#0  35 matching characters
  A  a.txt:2
  B  b.txt:2"
  # and at --threshold 0.3 the edit is bridged: one passage in 2 pieces
  ND_DIR=$TMP/c nd compare --preview 20 --threshold 0.3 a.txt b.txt
  expect_rc 0
  expect_stderr ""
  expect_stdout "A  a.txt  (118 characters)
B  b.txt  (88 characters)

46.6% of A appears in B (55 of 118 comparable characters)
62.5% of B appears in A (55 of 88 comparable characters)
1 shared passage of at least 30 characters

#0  55 matching characters in 2 pieces
  A  a.txt:2  The quick brown fox ...
  B  b.txt:2  the quick brown fox ..."
  ND_DIR=$TMP/c nd compare -f jsonl --min-passage 60 a.txt b.txt
  expect_rc 0
  expect_stdout '{"type":"compare","a":"a.txt","b":"b.txt","a_bytes":147,"b_bytes":114,"a_encoding":"utf-8","b_encoding":"utf-8","a_chars":118,"b_chars":88,"a_in_b_chars":0,"a_in_b_share":0.0000,"b_in_a_chars":0,"b_in_a_share":0.0000,"passages":0,"min_passage":60,"max_gap":16,"threshold":0.8000,"shingle":5}'
  gzip -c -n "$TMP/c/b.txt" > "$TMP/c/b.gz"
  ND_DIR=$TMP/c nd_as gz compare -f jsonl a.txt b.gz
  ND_DIR=$TMP/c nd_as plain compare -f jsonl a.txt b.txt
  sed 's/"b":"b.gz"/"b":"b.txt"/' "$TMP/gz.out" > "$TMP/gz.fixed"
  expect_same "$TMP/plain.out" "$TMP/gz.fixed" "compare of a gzip copy differs"
  ND_DIR=$TMP/c nd compare -f html -o out.html a.txt b.txt
  expect_rc 0
  expect_stdout ""
  grep -q 'id="b-p0"' "$TMP/c/out.html" || fail "compare -o html: no passage in B"
  ;;

compare-errors)
  nd compare "$S000"
  expect_rc 1
  expect_stdout ""
  expect_stderr "neardup compare: expected two documents A and B, got 1 (see 'neardup compare --help')"
  nd compare --min-passage 0 "$S000" "$S001"
  expect_rc 1
  expect_stderr "neardup compare: --min-passage: '0' is not an integer in [1, 100000]"
  nd compare -f csv "$S000" "$S001"
  expect_rc 1
  expect_stderr "neardup compare: --format: 'csv' is not one of text, jsonl, html"
  nd compare "$S000" examples/no-such-file
  expect_rc 2
  expect_stdout ""
  expect_stderr "neardup: cannot open 'examples/no-such-file': No such file or directory"
  nd compare "$SEEDS" "$S000"
  expect_rc 2
  expect_stderr "neardup: skipping '$SEEDS': not a regular file (a directory; compare takes two files)"
  ND_STDOUT=/dev/full nd compare "$S000" "$S001"
  expect_rc 3
  expect_stderr "neardup: cannot write standard output: No space left on device"
  nd compare --help
  expect_rc 0
  for o in --format --output --min-passage --max-gap --preview --encoding --no-strip --help; do
    grep -q -e "$o" "$OUT" || fail "compare --help does not list $o"
  done
  ;;

scan-passages)
  # Passages copied into otherwise different paragraphs (which whole-
  # paragraph clustering cannot see): an English sentence in a.txt and b.txt
  # and, twice, in c.txt; a Chinese passage in b.txt copied into c.txt in
  # Traditional script.  One record each, with every place (golden files),
  # the same bytes on 1 and 3 threads, and nothing of it without --passages.
  passages_fixture
  ND_DIR=$TMP nd scan --passages --min-passage 40 in
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" scan-passages.txt
  ND_DIR=$TMP nd scan --passages --min-passage 40 -f jsonl in
  expect_rc 0
  expect_golden "$OUT" scan-passages.jsonl
  cp "$OUT" "$TMP/passages.jsonl"
  ND_DIR=$TMP nd scan --passages --min-passage 40 -f jsonl --threads 3 in
  expect_same "$TMP/passages.jsonl" "$OUT" "--threads 3 gives other passages"
  # the normalised texts in spill files instead of memory: the same
  ND_DIR=$TMP nd scan --passages --min-passage 40 -f jsonl --threads 2 --memory 1K in
  expect_same "$TMP/passages.jsonl" "$OUT" "--memory 1K gives other passages"
  # a.txt and b.txt share a sentence and no paragraph: no cluster, yet the
  # documents, the pair and the passage are reported (from the passages)
  ND_DIR=$TMP nd scan --passages --min-passage 40 in/a.txt in/b.txt
  expect_rc 0
  expect_golden "$OUT" scan-passages-ab.txt
  ND_DIR=$TMP nd scan -f jsonl in
  grep -q '"passage' "$OUT" && fail "passages without --passages"
  ND_DIR=$TMP nd scan in
  grep -q 'Copied passages' "$OUT" && fail "a passages section without --passages"
  ND_DIR=$TMP nd scan --passages --min-passage 0 in
  expect_rc 1
  expect_stderr "neardup scan: --min-passage: '0' is not an integer in [1, 100000]"
  ;;

compare-corpus)
  # One document against a corpus: q.txt shares a sentence with a.txt, a
  # Chinese paragraph with c.txt (in Traditional script there), nothing with
  # b.txt; a.txt and b.txt share a sentence that is no business of q.txt's.
  # The golden files show the ranking, shares and passages; each document's
  # passages are those `compare q.txt DOC` finds; FILE inside the corpus is
  # read once and not compared with itself; errors about FILE are exit 2.
  mkdir "$TMP/in"
  S='The harbour lights were counted twice by the keeper before the winter storm arrived from the north.'
  T='An unrelated line that the two corpus documents a and b share, but never the query document.'
  printf 'My own opening words, which nobody copied from me.\n%s\n\n我们坚持把意识形态工作同业务工作同部署、同落实、同检查、同考核，纳入年终绩效考核的主要内容。\n' "$S" > "$TMP/q.txt"
  printf 'Letters from the market: prices rose. %s Nobody minded much.\n%s\n' "$S" "$T" > "$TMP/in/a.txt"
  printf 'Mountains and valleys only.\n%s\n' "$T" > "$TMP/in/b.txt"
  printf '前言不同。我們堅持把意識形態工作同業務工作同部署、同落實、同檢查、同考核，納入年終績效考核的主要內容。\n' > "$TMP/in/c.txt"
  ND_DIR=$TMP nd compare --min-passage 40 q.txt in
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" compare-corpus.txt
  ND_DIR=$TMP nd compare --min-passage 40 -f jsonl q.txt in
  expect_rc 0
  expect_golden "$OUT" compare-corpus.jsonl
  cp "$OUT" "$TMP/corpus.jsonl"
  ND_DIR=$TMP nd compare --min-passage 40 -f jsonl --threads 3 q.txt in/c.txt in/a.txt in/b.txt
  sed 's/"doc":[0-9]*,//' "$TMP/corpus.jsonl" > "$TMP/corpus.nodoc"
  sed 's/"doc":[0-9]*,//' "$OUT" > "$TMP/named.nodoc"
  expect_same "$TMP/corpus.nodoc" "$TMP/named.nodoc" "naming the files (and 3 threads) gives other passages"
  for d in a b c; do # the passages of each pair, as compare A B finds them
    ND_DIR=$TMP nd compare --min-passage 40 -f jsonl q.txt "in/$d.txt"
    grep '"type":"passage"' "$OUT" | sed -e 's/.*"a":\({[^}]*}\),"b":\({[^}]*}\).*/\1 \2/' > "$TMP/pair.$d"
    grep '"type":"passage"' "$TMP/corpus.jsonl" | grep "\"path\":\"in/$d.txt\"" |
      sed -e 's/.*"query":\({[^}]*}\),"doc":\({[^}]*}\).*/\1 \2/' > "$TMP/corpus.$d"
    expect_same "$TMP/pair.$d" "$TMP/corpus.$d" "compare q.txt DIR differs from compare q.txt in/$d.txt"
  done
  [ -s "$TMP/pair.a" ] && [ -s "$TMP/pair.c" ] && [ ! -s "$TMP/pair.b" ] || fail "passages expected with a and c only"
  ND_DIR=$TMP nd compare --min-passage 40 -f html -o out.html q.txt in
  expect_rc 0
  grep -q '我們堅持' "$TMP/out.html" || fail "compare -o html: no passage of c.txt"
  ND_DIR=$TMP nd compare --min-passage 40 in/a.txt in
  expect_rc 0
  expect_stderr "neardup: note: 'in/a.txt': given more than once, read once"
  grep -q 'compared with 2 documents; 1 shares' "$OUT" || fail "in/a.txt compared with itself"
  ND_DIR=$TMP nd compare q.txt no-such.txt in
  expect_rc 2
  expect_stderr "neardup: cannot open 'no-such.txt': No such file or directory"
  ND_DIR=$TMP nd compare no-such.txt in
  expect_rc 2
  expect_stderr "neardup: cannot open 'no-such.txt': No such file or directory"
  ND_DIR=$TMP nd compare in in
  expect_rc 2
  expect_stderr "neardup: skipping 'in': not a regular file (a directory; compare takes one FILE)"
  (cd "$TMP" && tar cf two.tar in/a.txt in/b.txt)
  ND_DIR=$TMP nd compare two.tar in
  expect_rc 2
  expect_stderr "neardup: skipping 'two.tar': unknown format or malformed data (holds 2 documents; compare takes one FILE)"
  ;;

scan-passages-formats)
  # The passages of the scan-passages fixture in csv and html (golden files;
  # the html's generator line, which names the version, is left out).  csv:
  # one row per place behind a kind column.  html: a view per document pair
  # - a.txt and b.txt share the sentence and no paragraph, and still get
  # theirs - with each passage marked on both sides and linked.  Without
  # --passages neither has any of it (scan-csv checks that csv's bytes).
  passages_fixture
  ND_DIR=$TMP nd scan --passages --min-passage 40 -f csv in
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" scan-passages.csv
  [ "$(grep -c '^passage,' "$OUT")" = 6 ] || fail "csv: not one row per place (6)"
  ND_DIR=$TMP nd scan --passages --min-passage 40 -f html in
  expect_rc 0
  expect_stderr ""
  grep -v '^<meta name="generator"' "$OUT" > "$TMP/passages.html"
  expect_golden "$TMP/passages.html" scan-passages.html
  grep -q '<details class="pairview" id="pair-0-1" data-a="0" data-b="1">' "$OUT" ||
    fail "html: no view of a.txt and b.txt, which share only a passage"
  for v in 0 1 2; do
    for side in a b; do
      grep -q "href=\"#v$v-$side-p[0-9]\"" "$OUT" || fail "html: view $v lists no link to side $side"
      grep -q "id=\"v$v-$side-p[0-9]\"" "$OUT" || fail "html: view $v marks nothing on side $side"
    done
  done
  ND_DIR=$TMP nd scan --passages --min-passage 40 -f html --threads 3 in
  grep -v '^<meta name="generator"' "$OUT" > "$TMP/passages3.html"
  expect_same "$TMP/passages.html" "$TMP/passages3.html" "html: --threads 3 gives other bytes"
  ND_DIR=$TMP nd scan -f html in
  grep -q 'pairview\|data-views' "$OUT" && fail "html: pair views without --passages"
  ND_DIR=$TMP nd scan -f csv in
  head -n 1 "$OUT" > "$TMP/first"
  expect_text "$TMP/first" "cluster,size,member,path,doc,line,offset,length,chars,similarity,preview"
  ;;

compare-encodings)
  # A GBK copy of a text compared with its UTF-8 original: all of it is
  # shared (before decoding, nothing was), the passage's offset and length
  # are of the copy's own bytes (read back and decoded, they are the
  # passage's text), and --encoding utf-8 takes the decoding away again.
  head -c 3000 "$S000" | sed '$d' > "$TMP/a.txt"
  iconv -f UTF-8 -t GBK "$TMP/a.txt" > "$TMP/b-gbk.txt" || fail "iconv GBK"
  ND_DIR=$TMP nd compare a.txt b-gbk.txt
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" compare-encodings.txt
  ND_DIR=$TMP nd compare -f jsonl a.txt b-gbk.txt
  expect_rc 0
  grep -q '"b_bytes":'"$(wc -c < "$TMP/b-gbk.txt")"',"a_encoding":"utf-8","b_encoding":"gb18030"' "$OUT" \
    || fail "the compare record does not give b's own size and encoding"
  off=$(sed -n 2p "$OUT" | sed 's/.*"b":{[^}]*"offset":\([0-9]*\),"length":\([0-9]*\).*/\1 \2/')
  set -- $off
  tail -c +$(($1 + 1)) "$TMP/b-gbk.txt" | head -c "$2" | iconv -f GBK -t UTF-8 > "$TMP/b-slice.txt" \
    || fail "the reported range is not whole GBK characters"
  head -c "$(wc -c < "$TMP/b-slice.txt")" "$TMP/a.txt" | cmp -s - "$TMP/b-slice.txt" \
    || fail "the reported range of b-gbk.txt is not the shared text"
  ND_DIR=$TMP nd compare -f jsonl --encoding utf-8 a.txt b-gbk.txt
  expect_rc 0
  grep -q '"passages":0' "$OUT" || fail "--encoding utf-8 still decoded the GBK copy"
  ND_DIR=$TMP nd compare --encoding no-such-code a.txt b-gbk.txt
  expect_rc 1
  expect_stderr "neardup compare: --encoding is not \"auto\" nor a name iconv can decode"
  ND_DIR=$TMP nd compare -o no-such-dir/out.txt a.txt b-gbk.txt
  expect_rc 3
  expect_stderr "neardup: cannot create 'no-such-dir/out.txt': No such file or directory"
  ;;

clean)
  mkdir -p "$TMP/in/sub"
  P='这是一个用于测试的段落，内容相当长，足以被聚类算法识别为重复的段落之一。'
  printf "Title A\r\n\r\n$P\r\n\r\nUnique paragraph number one about apples and oranges.\r\n" > "$TMP/in/a.txt"
  printf "Intro B\n$P\nAnother unique line about the weather in Beijing today.\n$P\n" > "$TMP/in/sub/b.txt"
  gzip -c -n "$TMP/in/sub/b.txt" > "$TMP/in/sub/c.txt.gz"
  printf 'no duplicates here\n' > "$TMP/in/d.txt"
  ND_DIR=$TMP nd clean --dry-run --out out in
  expect_rc 0
  expect_stderr ""
  expect_stdout "in/sub/b.txt:2: remove 109 bytes, duplicate of in/a.txt:3 (similarity 1.0000)
in/sub/b.txt:4: remove 109 bytes, duplicate of in/a.txt:3 (similarity 1.0000)
in/sub/c.txt.gz:2: remove 109 bytes, duplicate of in/a.txt:3 (similarity 1.0000)
in/sub/c.txt.gz:3: remove 56 bytes, duplicate of in/sub/b.txt:3 (similarity 1.0000)
in/sub/c.txt.gz:4: remove 109 bytes, duplicate of in/a.txt:3 (similarity 1.0000)
would remove 5 paragraphs (492 bytes) from 2 of 4 files"
  [ -e "$TMP/out" ] && fail "--dry-run created the output directory"
  ND_DIR=$TMP nd clean --out out --log removed.jsonl in
  expect_rc 0
  expect_stderr ""
  expect_stdout "removed 5 paragraphs (492 bytes) from 2 of 4 files"
  expect_same "$TMP/in/a.txt" "$TMP/out/a.txt" "a file without removals was changed"
  expect_same "$TMP/in/d.txt" "$TMP/out/d.txt" "a file without removals was changed"
  printf "Intro B\nAnother unique line about the weather in Beijing today.\n" > "$TMP/b.expected"
  expect_same "$TMP/b.expected" "$TMP/out/sub/b.txt" "cleaned b.txt"
  gzip -t "$TMP/out/sub/c.txt.gz" || fail "c.txt.gz is not gzip data"
  printf "Intro B\n" > "$TMP/c.expected"
  gzip -dc "$TMP/out/sub/c.txt.gz" > "$TMP/c.out"
  expect_same "$TMP/c.expected" "$TMP/c.out" "cleaned c.txt.gz"
  [ "$(wc -l < "$TMP/removed.jsonl")" = 5 ] || fail "the log does not have 5 lines"
  head -n 1 "$TMP/removed.jsonl" > "$TMP/log1"
  expect_text "$TMP/log1" "{\"path\":\"in/sub/b.txt\",\"line\":2,\"offset\":8,\"length\":109,\"text\":\"$P\\n\",\"kept_path\":\"in/a.txt\",\"kept_line\":3,\"kept_offset\":11,\"similarity\":1.0000}"
  left=$(cd "$TMP/out" && find . -name '.*' ! -name . | wc -l)
  [ "$left" = 0 ] || fail "temporary files left in the output"
  # scope and keep
  ND_DIR=$TMP nd clean -n --scope within --out out2 in
  expect_rc 0
  expect_stdout "in/sub/b.txt:4: remove 109 bytes, duplicate of in/sub/b.txt:2 (similarity 1.0000)
in/sub/c.txt.gz:4: remove 109 bytes, duplicate of in/sub/c.txt.gz:2 (similarity 1.0000)
would remove 2 paragraphs (218 bytes) from 2 of 4 files"
  ;;

encodings)
  # GBK, Big5, UTF-16LE without a mark and Windows-1252 copies beside their
  # UTF-8 originals: they cluster with them (exact clusters: the golden
  # file), are named in the "encoding" field, and every paragraph of a copy,
  # read from the copy's own bytes at the offset and length reported, is the
  # original's paragraph at the same line.
  mkdir "$TMP/in"
  head -c 4000 "$S000" | sed '$d' > "$TMP/in/a-utf8.txt"
  iconv -f UTF-8 -t GBK "$TMP/in/a-utf8.txt" > "$TMP/in/a-gbk.txt" || fail "iconv GBK"
  head -c 2600 "$S004" | sed '$d' > "$TMP/in/b-utf8.txt"
  iconv -f UTF-8 -t BIG5 "$TMP/in/b-utf8.txt" > "$TMP/in/b-big5.txt" || fail "iconv BIG5"
  head -c 3000 "$S001" | sed '$d' > "$TMP/in/c-utf8.txt"
  iconv -f UTF-8 -t UTF-16LE "$TMP/in/c-utf8.txt" > "$TMP/in/c-utf16le.txt" || fail "iconv UTF-16LE"
  cat > "$TMP/in/d-utf8.txt" <<'EOT'
The café on the corner served crème brûlée and “proper” coffee, said the naïve señor.
Résumé writing is an art: you don’t list everything — you choose what matters most.
Le garçon apporta l’addition ; « déjà ? » demanda Zoë, étonnée par la rapidité.
Über den Wolken muss die Freiheit wohl grenzenlos sein, sang er fröhlich im Café.
EOT
  iconv -f UTF-8 -t WINDOWS-1252 "$TMP/in/d-utf8.txt" > "$TMP/in/d-cp1252.txt" || fail "iconv 1252"
  ND_DIR=$TMP nd scan -f jsonl --emit-paragraphs --split line in
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" encodings.jsonl
  cp "$OUT" "$TMP/encodings.jsonl"
  for t in 1 3; do # the same bytes on any number of threads
    ND_DIR=$TMP nd scan -f jsonl --emit-paragraphs --split line --threads $t in
    expect_same "$TMP/encodings.jsonl" "$OUT" "--threads $t gives another report"
  done
  for pe in a-utf8.txt:utf-8 a-gbk.txt:gb18030 b-big5.txt:big5 c-utf16le.txt:utf-16le \
            d-cp1252.txt:windows-1252; do
    grep '"type":"document"' "$OUT" | grep -F "\"path\":\"in/${pe%%:*}\"" |
      grep -q -F "\"encoding\":\"${pe#*:}\"" || fail "${pe%%:*} is not reported as ${pe#*:}"
  done
  # four copies, each a cluster mate of its original at every long line
  python3 - "$OUT" "$TMP" <<'EOP' || fail "offsets or clusters of the copies"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
docs = {r["doc"]: r for r in recs if r["type"] == "document"}
paras = {}
for r in recs:
    if r["type"] == "paragraph":
        paras.setdefault(r["path"], []).append(r)
py = {"gb18030": "gb18030", "big5": "big5", "utf-16le": "utf-16-le", "windows-1252": "cp1252"}
ok = True
for d in docs.values():
    if d["encoding"] == "utf-8":
        continue
    twin = d["path"].split("-")[0] + "-utf8.txt"
    raw = open(sys.argv[2] + "/" + d["path"], "rb").read()
    mine, theirs = paras[d["path"]], paras[twin]
    orig = open(sys.argv[2] + "/" + twin, "rb").read()
    if len(mine) != len(theirs):
        print("paragraph counts differ", d["path"]); ok = False; continue
    for p, q in zip(mine, theirs):
        text = raw[p["offset"]:p["offset"] + p["length"]].decode(py[d["encoding"]])
        want = orig[q["offset"]:q["offset"] + q["length"]].decode("utf-8")
        if text != want or p["line"] != q["line"]:
            print("paragraph differs", d["path"], p["line"], p["offset"]); ok = False
        if q["chars"] >= 20 and (p["cluster"] is None or p["cluster"] != q["cluster"]):
            print("not clustered with its original", d["path"], p["line"]); ok = False
sys.exit(0 if ok else 1)
EOP
  ;;

jsonl-scan)
  # --jsonl text: every record of r.jsonl (one written with \uXXXX escapes
  # and a surrogate pair, one with raw UTF-8 and other fields) and of its
  # gzip copy is a document named FILE:LINE; malformed lines are one warning
  # each (exit 2); the escaped record clusters with the plain file holding
  # the same text, and every reported offset and length, read from the
  # file's (inflated) bytes as a JSON string, is the paragraph's text.
  mkdir "$TMP/in"
  head -c 3000 "$S000" | sed '$d' > "$TMP/in/plain.txt"
  python3 - "$TMP/in" <<'EOP' || fail "making the records"
import json, sys
d = sys.argv[1]
t = open(d + "/plain.txt", encoding="utf-8").read()
paras = t.split("\n")
with open(d + "/r.jsonl", "w") as f:
    f.write(json.dumps({"id": "esc", "text": t + "\U0001F600 a line with an emoji, long enough\n"}) + "\n")
    f.write("{bad json\n")
    f.write("\n")
    f.write(json.dumps({"id": 2, "text": 5}) + "\n")
    f.write(json.dumps({"id": 3, "meta": {"a": [1, "x}"]}, "text": "\n".join(paras[2:6])},
                       ensure_ascii=False) + "\r\n")
    f.write(json.dumps({"text": "no id here, and a \"quoted\" word"}) + "\n")
EOP
  gzip -c "$TMP/in/r.jsonl" > "$TMP/in/r2.jsonl.gz"
  ND_DIR=$TMP nd scan -f jsonl --emit-paragraphs --split line --jsonl text in
  expect_rc 2
  expect_golden "$ERR" jsonl-scan.err
  expect_golden "$OUT" jsonl-scan.jsonl
  cp "$OUT" "$TMP/scan.jsonl"
  for t in 1 3; do # the same bytes on any number of threads
    ND_DIR=$TMP nd scan -f jsonl --emit-paragraphs --split line --jsonl text --threads $t in
    expect_same "$TMP/scan.jsonl" "$OUT" "--threads $t gives another report"
  done
  python3 - "$TMP/scan.jsonl" "$TMP" <<'EOP' || fail "offsets or clusters of the records"
import gzip, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
paras = {}
for r in recs:
    if r["type"] == "paragraph":
        paras.setdefault(r["path"], []).append(r)
plain = {p["line"]: p for p in paras["in/plain.txt"]}
ok = True
for path, ps in paras.items():
    if ".jsonl" not in path:
        continue
    f = path.rsplit(":", 1)[0]
    raw = open(sys.argv[2] + "/" + f, "rb").read()
    if f.endswith(".gz"):
        raw = gzip.decompress(raw)
    for p in ps:
        text = json.loads(b'"' + raw[p["offset"]:p["offset"] + p["length"]] + b'"')
        if path.endswith(":1") and p["line"] in plain:
            q = plain[p["line"]]
            if text.encode() != open(sys.argv[2] + "/in/plain.txt", "rb").read()[q["offset"]:q["offset"] + q["length"]]:
                print("paragraph differs", path, p["line"]); ok = False
            if q["chars"] >= 20 and p["cluster"] != q["cluster"]:
                print("not clustered with the plain file", path, p["line"]); ok = False
sys.exit(0 if ok else 1)
EOP
  ND_DIR=$TMP nd scan -f jsonl --jsonl text --id-field id in/r.jsonl
  expect_rc 2
  expect_stderr "neardup: skipping 'in/r.jsonl:2': malformed JSON Lines record (bad JSON: quoted object property name expected)
neardup: skipping 'in/r.jsonl:4': malformed JSON Lines record (field \"text\" is not a string)
neardup: skipping 'in/r.jsonl:6': malformed JSON Lines record (no id field \"id\")"
  grep '"type":"document"' "$OUT" | grep -o '"path":"[^"]*"' > "$TMP/names"
  expect_text "$TMP/names" '"path":"esc"
"path":"3"'
  ND_DIR=$TMP nd scan --id-field id in/r.jsonl
  expect_rc 1
  expect_stderr "neardup scan: --id-field needs --jsonl"
  ;;

archive-scan)
  # archives of every kind are read by content: each regular member is a
  # document ARCHIVE//MEMBER; the same text as a plain file clusters with it
  # in every kind, at the same offsets (of the member's bytes); binary and
  # nested members get a note (exit 0); a .gz of text is still one document;
  # the same report on 1 and 3 threads
  mkdir -p "$TMP/src/d/sub" "$TMP/in"
  head -c 3000 "$S000" | sed '$d' > "$TMP/src/d/a.txt"
  head -c 2000 "$S001" | sed '$d' | iconv -f UTF-8 -t GBK > "$TMP/src/d/sub/gbk.txt"
  printf 'binary\0data\0' > "$TMP/src/d/bin.dat"
  ln -s a.txt "$TMP/src/d/link"
  gzip -c -n "$TMP/src/d/a.txt" > "$TMP/src/d/sub/nested.txt.gz"
  find "$TMP/src" -exec touch -h -d @1600000000 {} +
  cp "$TMP/src/d/a.txt" "$TMP/in/plain.txt"
  gzip -c -n "$TMP/src/d/a.txt" > "$TMP/in/text.gz"
  T=(tar -C "$TMP/src" --sort=name --owner=0 --group=0 --numeric-owner)
  "${T[@]}" -cf "$TMP/in/t.tar" d
  "${T[@]}" -czf "$TMP/in/t.tgz" d
  "${T[@]}" -cJf "$TMP/in/t.tar.xz" d
  "${T[@]}" --zstd -cf "$TMP/in/t.tar.zst" d
  (cd "$TMP/src" && TZ=UTC zip -q -X -r -y "$TMP/in/t.zip" d)
  cp "$TMP/in/t.tgz" "$TMP/in/no-suffix" # by content, not by name
  ND_DIR=$TMP nd scan -f jsonl --emit-paragraphs --split line in
  expect_rc 0
  expect_golden "$ERR" archive-scan.err
  expect_golden "$OUT" archive-scan.jsonl
  cp "$OUT" "$TMP/scan.jsonl"
  for t in 1 3; do
    ND_DIR=$TMP nd scan -f jsonl --emit-paragraphs --split line --threads $t in
    expect_same "$TMP/scan.jsonl" "$OUT" "--threads $t gives another report"
  done
  python3 - "$TMP/scan.jsonl" "$TMP" <<'EOP' || fail "members do not cluster with the plain file"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
docs = [r["path"] for r in recs if r["type"] == "document"]
paras = {}
for r in recs:
    if r["type"] == "paragraph":
        paras.setdefault(r["path"], []).append(r)
plain = open(sys.argv[2] + "/in/plain.txt", "rb").read()
ref = {p["line"]: p for p in paras["in/plain.txt"]}
ok = True
for a in ["t.tar", "t.tgz", "t.tar.xz", "t.tar.zst", "t.zip", "no-suffix"]:
    name = "in/%s//d/a.txt" % a
    if name not in paras:
        print("no document", name); ok = False; continue
    for p in paras[name]:
        q = ref[p["line"]]
        if (p["offset"], p["length"]) != (q["offset"], q["length"]):
            print("offsets differ", name, p["line"]); ok = False
        if q["chars"] >= 20 and p["cluster"] != q["cluster"]:
            print("not clustered", name, p["line"]); ok = False
    if "in/%s//d/sub/gbk.txt" % a not in docs:
        print("no GBK member in", a); ok = False
for d in docs:
    if "bin.dat" in d or "nested" in d or d.endswith("/link"):
        print("not a text member:", d); ok = False
if "in/text.gz" not in docs:
    print("a .gz of text is no longer one document"); ok = False
sys.exit(0 if ok else 1)
EOP
  grep -q -F '"path":"in/t.zip//d/sub/gbk.txt","bytes":' "$TMP/scan.jsonl" &&
    grep '"path":"in/t.zip//d/sub/gbk.txt"' "$TMP/scan.jsonl" | grep -q -F '"encoding":"gb18030"' ||
    fail "the GBK member is not decoded"
  # an archive on standard input: members named -//MEMBER
  ND_STDIN=$TMP/in/t.tar.zst ND_DIR=$TMP nd scan -f jsonl --split line -
  expect_rc 0
  grep '"type":"document"' "$OUT" | grep -o '"path":"[^"]*"' > "$TMP/names"
  expect_text "$TMP/names" '"path":"-//d/a.txt"
"path":"-//d/sub/gbk.txt"'
  # compare takes single documents: an archive of several is refused
  ND_DIR=$TMP nd compare in/t.tar in/plain.txt
  expect_rc 2
  expect_stderr "neardup: note: 'in/t.tar//d/bin.dat': binary member: not read
neardup: note: 'in/t.tar//d/sub/nested.txt.gz': an archive or compressed data inside an archive: not expanded
neardup: skipping 'in/t.tar': unknown format or malformed data (holds 2 documents; compare takes two single documents)"
  ;;

archive-clean)
  # clean of a .tar.gz and a .zip writes archives of the same kind: the same
  # entries in the same order with the same names, modes and times, cleaned
  # members without the removed paragraphs, other members unchanged; the log
  # gives member-relative offsets and rebuilds every member
  mkdir -p "$TMP/src/d" "$TMP/src/e" "$TMP/in"
  awk 'length($0) > 90' "$S000" | head -n 4 > "$TMP/dup.txt"
  awk 'length($0) > 90' "$S001" | head -n 3 > "$TMP/uniq.txt"
  cp "$TMP/dup.txt" "$TMP/in/kept.txt" # "in/kept.txt" sorts first: kept
  paste -d '\n' "$TMP/uniq.txt" <(head -n 3 "$TMP/dup.txt") > "$TMP/src/d/a.txt"
  tail -n 1 "$TMP/dup.txt" >> "$TMP/src/d/a.txt"
  awk 'length($0) > 90' "$S002" | head -n 2 > "$TMP/src/d/b.txt"
  awk 'length($0) > 90' "$S003" | sed -n 5,6p | iconv -f UTF-8 -t GBK > "$TMP/uniq-g.txt"
  { cat "$TMP/uniq-g.txt"; head -n 2 "$TMP/dup.txt" | iconv -f UTF-8 -t GBK; } > "$TMP/src/d/g.txt"
  awk 'length($0) > 90' "$S004" | head -n 3 > "$TMP/uniq-z.txt"
  { head -n 2 "$TMP/dup.txt"; cat "$TMP/uniq-z.txt"; } > "$TMP/src/e/a.txt"
  awk 'length($0) > 90' "$S003" | head -n 2 > "$TMP/src/e/b.txt"
  printf 'binary\0data\0' > "$TMP/src/d/bin.dat"
  cp "$TMP/src/d/bin.dat" "$TMP/src/e/bin.dat"
  ln -s b.txt "$TMP/src/d/link"
  chmod 600 "$TMP/src/d/b.txt" "$TMP/src/e/b.txt"
  chmod 751 "$TMP/src/d"
  find "$TMP/src" -exec touch -h -d @1600000000 {} +
  touch -d @1500000000 "$TMP/src/d/a.txt" "$TMP/src/e/a.txt"
  T=(tar -C "$TMP/src" --sort=name --owner=0 --group=0 --numeric-owner)
  "${T[@]}" -czf "$TMP/in/t.tar.gz" d
  (cd "$TMP/src" && TZ=UTC zip -q -X -r -y "$TMP/in/z.zip" e)
  ND_DIR=$TMP nd clean --split line --out out --log removed.jsonl in
  expect_rc 0
  expect_stderr "neardup: note: 'in/t.tar.gz//d/bin.dat': binary member: not read
neardup: note: 'in/z.zip//e/bin.dat': binary member: not read"
  expect_stdout "removed 8 paragraphs (6664 bytes) from 3 of 6 files"
  expect_golden "$TMP/removed.jsonl" archive-clean-log.jsonl
  head -c 2 "$TMP/out/t.tar.gz" | od -An -tx1 | grep -q '1f 8b' || fail "out/t.tar.gz is not gzip data"
  for f in t.tar.gz; do
    tar -tvz --numeric-owner -f "$TMP/in/$f" > "$TMP/list.in"
    tar -tvz --numeric-owner -f "$TMP/out/$f" > "$TMP/list.out"
    # only the cleaned members' sizes differ
    grep -v -E ' d/[ag].txt$' "$TMP/list.in" > "$TMP/list.in2"
    grep -v -E ' d/[ag].txt$' "$TMP/list.out" > "$TMP/list.out2"
    expect_same "$TMP/list.in2" "$TMP/list.out2" "the entries of $f changed"
    cut -c1-30 "$TMP/list.in" | awk '{print $1, $2}' > "$TMP/modes.in"
    cut -c1-30 "$TMP/list.out" | awk '{print $1, $2}' > "$TMP/modes.out"
    expect_same "$TMP/modes.in" "$TMP/modes.out" "the modes or owners of $f changed"
    awk '{print $4, $5, $6}' "$TMP/list.in" > "$TMP/names.in"
    awk '{print $4, $5, $6}' "$TMP/list.out" > "$TMP/names.out"
    expect_same "$TMP/names.in" "$TMP/names.out" "the times, names or order in $f changed"
  done
  python3 - "$TMP" <<'EOP' || fail "the cleaned archives or the log"
import base64, json, sys, tarfile, zipfile
t = sys.argv[1]
log = [json.loads(l) for l in open(t + "/removed.jsonl")]
ok = True
def members_tar(p):
    with tarfile.open(p) as a:
        return [(m.name, m.mode, m.mtime, m.type, m.linkname, a.extractfile(m).read() if m.isfile() else None)
                for m in a.getmembers()]
def members_zip(p):
    # the mode and type are the high 16 bits (MS-DOS attributes are not kept)
    with zipfile.ZipFile(p) as a:
        return [(i.filename, i.external_attr >> 16, i.date_time, None, None, a.read(i)) for i in a.infolist()]
want = {"d/a.txt": open(t + "/uniq.txt", "rb").read(), "e/a.txt": open(t + "/uniq-z.txt", "rb").read(),
        "d/g.txt": open(t + "/uniq-g.txt", "rb").read()}  # GBK: its own bytes less the removals
for arch, read in (("t.tar.gz", members_tar), ("z.zip", members_zip)):
    before, after = read(t + "/in/" + arch), read(t + "/out/" + arch)
    if [m[:5] for m in before] != [m[:5] for m in after]:
        print(arch, "entries differ:", [m[:5] for m in before], [m[:5] for m in after]); ok = False
    for b, a in zip(before, after):
        name = b[0]
        if name in want:
            if a[5] != want[name]:
                print(arch, name, "cleaned is", a[5][:80]); ok = False
            # rebuilt from the log: each text back at its offset, in order
            text = a[5]
            for r in [r for r in log if r["path"] == "in/%s//%s" % (arch, name)]:
                cut = r["text"].encode() if "text" in r else base64.b64decode(r["base64"])
                text = text[:r["offset"]] + cut + text[r["offset"]:]
            if text != b[5]:
                print(arch, "the log does not rebuild", name); ok = False
        elif b[5] != a[5]:
            print(arch, name, "changed"); ok = False
sys.exit(0 if ok else 1)
EOP
  # again: the same bytes (no time of writing in the archives)
  ND_DIR=$TMP nd clean --split line --out out2 in
  expect_rc 0
  expect_same "$TMP/out/t.tar.gz" "$TMP/out2/t.tar.gz" "a second clean wrote another .tar.gz"
  expect_same "$TMP/out/z.zip" "$TMP/out2/z.zip" "a second clean wrote another .zip"
  ;;

jsonl-clean)
  # clean of JSON Lines writes JSON Lines: every line in its place (bad ones
  # too), unchanged but for the text field of records that lost paragraphs;
  # other fields keep their values; --drop-empty leaves out the records whose
  # text became empty (only those); the log rebuilds every field's value
  # (and, with --drop-empty, every dropped record); .jsonl.gz stays gzip.
  mkdir "$TMP/in"
  python3 - "$TMP/in" "$S000" <<'EOP' || fail "making the records"
import json, sys
paras = [p for p in open(sys.argv[2], encoding="utf-8").read().split("\n") if len(p) > 60][:12]
with open(sys.argv[1] + "/a.jsonl", "w") as f:
    f.write(json.dumps({"id": 1, "text": "\n".join(paras[0:6]), "n": [1, {"x": "y"}]}) + "\n")
    f.write(json.dumps({"id": 2, "text": "\n".join(paras[3:5])}, ensure_ascii=False) + "\n")
    f.write("not json at all\n")
    f.write(json.dumps({"id": 3, "text": ""}) + "\n")
    f.write(json.dumps({"id": 4, "text": paras[0] + "\n\n" + "A short new line that stays.\n" + paras[7]}) + "\r\n")
    f.write(json.dumps({"text": paras[8] + "\n" + paras[9], "id": 5}, ensure_ascii=False) + "\n")
    f.write(json.dumps({"id": 6, "text": paras[9] + "\n" + paras[8] + "\n" + paras[10]}))
EOP
  gzip -c "$TMP/in/a.jsonl" > "$TMP/in/b.jsonl.gz"
  ND_DIR=$TMP nd clean --jsonl text --out out --log log.jsonl in
  expect_rc 2
  expect_stderr "neardup: skipping 'in/a.jsonl:3': malformed JSON Lines record (bad JSON: null expected)
neardup: skipping 'in/b.jsonl.gz:3': malformed JSON Lines record (bad JSON: null expected)"
  expect_golden "$TMP/log.jsonl" jsonl-clean-log.jsonl
  ND_DIR=$TMP nd clean --jsonl text --drop-empty --out out2 --log log2.jsonl in
  expect_rc 2
  ND_DIR=$TMP nd clean -q --jsonl text --drop-empty --dry-run --out out3 --log log3.jsonl in
  expect_rc 2
  expect_same "$TMP/log2.jsonl" "$TMP/log3.jsonl" "--dry-run writes another log"
  gzip -t "$TMP/out/b.jsonl.gz" || fail "b.jsonl.gz is not gzip data"
  python3 - "$TMP" <<'EOP' || fail "the cleaned records or the log"
import gzip, json, sys
t = sys.argv[1]
ok = True
def lines(path):
    raw = open(path, "rb").read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.split(b"\n")
for out, log, drop in (("out", "log.jsonl", False), ("out2", "log2.jsonl", True)):
    recs = [json.loads(l) for l in open(t + "/" + log)]
    for name in ("a.jsonl", "b.jsonl.gz"):
        orig, new = lines(t + "/in/" + name), lines(t + "/" + out + "/" + name)
        if new[-1] == b"" and orig[-1] != b"":
            new.pop()  # the last record dropped: the one before keeps its LF
        mine = [r for r in recs if r["path"] == "in/" + name]
        dropped = {r["record"]: r["dropped"].encode() for r in mine if "dropped" in r}
        for n, line in dropped.items():  # the line with its terminator
            if not line.endswith(b"\n") and n != len(orig):
                print(out, name, "record", n, "dropped without its terminator"); ok = False
            dropped[n] = line[:-1] if line.endswith(b"\n") else line
        if drop != bool(dropped):
            print(out, name, "dropped records:", sorted(dropped)); ok = False
        # put the dropped lines back, in their place
        rebuilt, k = [], 0
        for n in range(1, len(orig) + 1):
            if n in dropped:
                rebuilt.append(dropped[n])
            else:
                rebuilt.append(new[k]); k += 1
        if k != len(new):
            print(out, name, "line count"); ok = False; continue
        for n, (a, b) in enumerate(zip(orig, rebuilt), 1):
            if a == b:
                continue
            ja, jb = json.loads(a), json.loads(b)
            text = jb["text"]
            for r in [r for r in mine if r["record"] == n and "text" in r]:
                bt = text.encode()
                bt = bt[:r["offset"]] + r["text"].encode() + bt[r["offset"]:]
                text = bt.decode()
            if text != ja["text"] or {k: v for k, v in ja.items() if k != "text"} != \
                    {k: v for k, v in jb.items() if k != "text"}:
                print(out, name, "record", n, "does not rebuild"); ok = False
            if (jb["text"] == "") and drop and ja["text"] != "":
                print(out, name, "record", n, "became empty but was kept"); ok = False
            # the line differs only inside the text field's string
            if b.endswith(b"\r") != a.endswith(b"\r"):
                print(out, name, "record", n, "lost its CR"); ok = False
sys.exit(0 if ok else 1)
EOP
  # an empty record stays; a record whose text became empty is dropped
  grep -c '"id": 3' "$TMP/out2/a.jsonl" > "$TMP/n3"
  expect_text "$TMP/n3" 1
  grep -c '"dropped"' "$TMP/log2.jsonl" > "$TMP/nd"
  expect_text "$TMP/nd" 6
  ;;

encoding-guess)
  # too few non-ASCII bytes to tell: read in the guess, with one warning
  mkdir "$TMP/in"
  printf 'Un caf\xe9 cr\xe8me\n' > "$TMP/in/small.txt"
  cp "$S000" "$TMP/in/zh.txt"
  ND_DIR=$TMP nd scan -f jsonl in
  expect_rc 0
  expect_stderr "neardup: 'in/small.txt': encoding guessed as windows-1252"
  grep -q -F '"path":"in/small.txt","bytes":14,' "$OUT" || fail "small.txt is not in the report"
  ND_DIR=$TMP nd scan -q -f jsonl in
  expect_stderr ""
  ;;

encoding-option)
  mkdir "$TMP/in"
  head -c 4000 "$S000" | sed '$d' > "$TMP/in/a.txt"
  iconv -f UTF-8 -t UTF-16LE "$TMP/in/a.txt" > "$TMP/in/b.txt"
  ND_DIR=$TMP nd scan --encoding klingon in
  expect_rc 1
  expect_stderr "neardup scan: --encoding 'klingon' is not \"auto\" nor a name iconv can decode"
  ND_DIR=$TMP nd scan --encoding utf-8 -f jsonl in # as before: UTF-16 is binary
  expect_rc 2
  expect_stderr "neardup: skipping 'in/b.txt': binary file"
  ND_DIR=$TMP nd scan --encoding UTF-16LE -f jsonl in/b.txt
  expect_rc 0
  grep -q -F '"encoding":"utf-16le"' "$OUT" || fail "--encoding UTF-16LE not used"
  ND_DIR=$TMP nd_as auto scan -f jsonl in
  expect_rc 0
  ND_DIR=$TMP nd clean --encoding klingon --out out in
  expect_rc 1
  expect_stderr "neardup clean: --encoding 'klingon' is not \"auto\" nor a name iconv can decode"
  ;;

clean-encodings)
  # clean of GBK and UTF-16LE files writes their own bytes back, less the
  # removed paragraphs; the log gives original offsets and bytes
  mkdir "$TMP/in"
  awk 'length($0) > 90' "$S000" | head -n 4 > "$TMP/dup.txt"
  awk 'length($0) > 90' "$S001" | head -n 3 > "$TMP/uniq-GBK.txt"
  awk 'length($0) > 90' "$S002" | head -n 3 > "$TMP/uniq-UTF-16LE.txt"
  cp "$TMP/dup.txt" "$TMP/in/a.txt"
  for e in GBK UTF-16LE; do
    paste -d '\n' "$TMP/uniq-$e.txt" <(head -n 3 "$TMP/dup.txt") > "$TMP/mixed.txt"
    tail -n 1 "$TMP/dup.txt" >> "$TMP/mixed.txt"
    iconv -f UTF-8 -t $e "$TMP/mixed.txt" > "$TMP/in/b-$e.txt"
    iconv -f UTF-8 -t $e "$TMP/uniq-$e.txt" > "$TMP/b-$e.expected"
  done
  ND_DIR=$TMP nd clean --split line --out out --log removed.jsonl in
  expect_rc 0
  expect_stderr ""
  expect_stdout "removed 8 paragraphs (4664 bytes) from 2 of 3 files"
  expect_same "$TMP/in/a.txt" "$TMP/out/a.txt" "a file without removals was changed"
  for e in GBK UTF-16LE; do
    expect_same "$TMP/b-$e.expected" "$TMP/out/b-$e.txt" "cleaned b-$e.txt"
  done
  # the first removal of b-GBK.txt starts after its first (unique) line
  first=$(head -n 1 "$TMP/uniq-GBK.txt" | iconv -f UTF-8 -t GBK | wc -c)
  head -n 1 "$TMP/removed.jsonl" | grep -q -F "\"path\":\"in/b-GBK.txt\",\"line\":2,\"offset\":$first," ||
    fail "the first removal is not at GBK offset $first"
  grep -c '"base64"' "$TMP/removed.jsonl" | grep -q -x 8 || fail "removed GBK/UTF-16 bytes not logged as base64"
  ;;

clean-refuse)
  mkdir -p "$TMP/in"
  cp "$S000" "$S001" "$TMP/in/"
  ND_DIR=$TMP nd clean --out in/cleaned in
  expect_rc 1
  expect_stdout ""
  expect_stderr "neardup: refusing to write into input directory 'in'"
  [ -e "$TMP/in/cleaned" ] && fail "an output directory was created inside the input"
  ND_DIR=$TMP/in nd clean --force --out . 000_11051e509f6edff7.txt
  expect_rc 1
  expect_stderr "neardup: refusing to overwrite input file './000_11051e509f6edff7.txt'"
  ND_DIR=$TMP nd clean --out out in
  expect_rc 0
  ND_DIR=$TMP nd clean --out out in
  expect_rc 1
  expect_stdout ""
  expect_stderr "neardup: 'out/000_11051e509f6edff7.txt' exists (use --force to overwrite)"
  ND_DIR=$TMP nd clean --force --out out in
  expect_rc 0
  ND_DIR=$TMP nd clean --force --out out --log in/log.jsonl in
  expect_rc 1
  expect_stderr "neardup: refusing to write into input directory 'in'"
  ND_DIR=$TMP nd clean in
  expect_rc 1
  expect_stderr "neardup clean: --out DIR is required (see 'neardup clean --help')"
  ND_DIR=$TMP nd clean --out out -
  expect_rc 1
  expect_stderr "neardup: cannot clean standard input; give files"
  ND_DIR=$TMP nd clean --keep last --out out in
  expect_rc 1
  expect_stderr "neardup clean: --keep: 'last' is not one of first, longest"
  ;;

clean-help)
  nd clean --help
  expect_rc 0
  expect_golden "$OUT" clean-help.txt
  expect_stderr ""
  cp "$OUT" "$TMP/clean-help"
  nd scan --help
  cp "$OUT" "$TMP/scan-help"
  # every scan option that changes what is compared or how the scan runs is
  # a clean option too, with the same help line (one list: cli_scan_args)
  for o in --split --min-chars --threshold --num-perm --shingle --bands --rows \
           --seed --no-nfkc --no-casefold --no-t2s --keep-pinyin --no-strip \
           --max-file-size --max-paragraph-bytes --threads --common-docs \
           --memory --tmpdir --progress --quiet; do
    grep -A1 -E -e "^ +(-[a-z], )?$o( |\$)" "$TMP/scan-help" > "$TMP/scan-row"
    grep -A1 -E -e "^ +(-[a-z], )?$o( |\$)" "$TMP/clean-help" > "$TMP/clean-row"
    [ -s "$TMP/scan-row" ] || fail "scan --help does not list $o"
    expect_same "$TMP/scan-row" "$TMP/clean-row" "clean --help differs from scan's for $o"
  done
  ;;

clean-options)
  mkdir -p "$TMP/in/sub"
  P='这是一个用于测试的段落，内容相当长，足以被聚类算法识别为重复的段落之一。'
  printf "Title A\n\n$P\n\nUnique paragraph number one about apples and oranges.\n" > "$TMP/in/a.txt"
  printf "Intro B\n$P\nAnother unique line about the weather in Beijing today.\n$P\n" > "$TMP/in/sub/b.txt"
  ND_DIR=$TMP nd clean --out out --log removed.jsonl in
  expect_rc 0
  expect_stdout "removed 2 paragraphs (218 bytes) from 1 of 2 files"
  # the scan options are accepted and reach the scan
  ND_DIR=$TMP nd clean --no-casefold --no-nfkc --bands 16 --rows 8 --common-docs 5 \
    --max-paragraph-bytes 64K --memory 64M --tmpdir "$TMP" --no-progress \
    --threads 1 --split auto --seed 7 --max-file-size 1M -q --out out2 in
  expect_rc 0
  expect_stderr ""
  expect_stdout "removed 2 paragraphs (218 bytes) from 1 of 2 files"
  expect_same "$TMP/out/sub/b.txt" "$TMP/out2/sub/b.txt" "clean with scan options"
  ND_DIR=$TMP nd clean --min-chars 1000 --out out3 in
  expect_rc 0
  expect_stdout "removed 0 paragraphs (0 bytes) from 0 of 2 files"
  ND_DIR=$TMP nd clean --bands 4 --out out4 in
  expect_rc 1
  expect_stderr "neardup clean: --bands and --rows must be given together"
  [ -e "$TMP/out4" ] && fail "a usage error created the output"
  # --dry-run writes the log the real run wrote, and no tree
  ND_DIR=$TMP nd clean -n --out out5 --log dry.jsonl in
  expect_rc 0
  expect_stderr ""
  expect_same "$TMP/removed.jsonl" "$TMP/dry.jsonl" "the --dry-run log differs from the log"
  [ -e "$TMP/out5" ] && fail "--dry-run created the output directory"
  ND_DIR=$TMP nd clean -n --out out5 --log dry.jsonl in
  expect_rc 1
  expect_stderr "neardup: 'dry.jsonl' exists (use --force to overwrite)"
  # --progress draws the bar on stderr and clears it
  ND_DIR=$TMP nd clean --progress --out out6 in
  expect_rc 0
  grep -q -a -F 'report  [' "$ERR" || fail "clean --progress drew no progress bar"
  grep -q -a -F 'write   [' "$ERR" || fail "clean --progress drew no bar for the writing"
  # every figure after the bar is named (issue 17): "elapsed Ns", never a
  # bare number of seconds at the end
  grep -q -a -E 'report  \[[#.]+\] +[0-9]+%  elapsed [0-9]+s' "$ERR" ||
    fail "the bar's figures are not labelled: $(tr '\r' '\n' < "$ERR" | grep -a report | head -1)"
  if tr '\r' '\n' < "$ERR" | grep -a '\[' | grep -a -q -E '%  [0-9]+s'; then
    fail "a bar line ends with unlabelled seconds"
  fi
  printf '\r\033[K' > "$TMP/clear"
  [ "$(tail -c 4 "$RAWERR" | od -An -tx1)" = "$(od -An -tx1 < "$TMP/clear")" ] ||
    fail "the progress bar is not cleared at the end"
  ;;

clean-leftover)
  mkdir -p "$TMP/in"
  cp "$S000" "$S001" "$S003" "$TMP/in/"
  # what a killed run leaves: named, never reused, and the run succeeds
  mkdir "$TMP/out.neardup-tmp.Ab12Cd"
  printf 'partial' > "$TMP/out.neardup-tmp.Ab12Cd/000_11051e509f6edff7.txt"
  printf '{"path":' > "$TMP/removed.jsonl.neardup-tmp.Zz99Yy"
  ND_DIR=$TMP nd clean --out out --log removed.jsonl in
  expect_rc 0
  expect_stderr "neardup: 'out.neardup-tmp.Ab12Cd' is left from an interrupted run; remove it
neardup: 'removed.jsonl.neardup-tmp.Zz99Yy' is left from an interrupted run; remove it"
  [ "$(cat "$TMP/out.neardup-tmp.Ab12Cd/000_11051e509f6edff7.txt")" = partial ] ||
    fail "the leftover was changed"
  for f in "$TMP"/in/*; do
    [ -f "$TMP/out/$(basename "$f")" ] || fail "$(basename "$f") is not in the cleaned copy"
  done
  rm -r "$TMP/out.neardup-tmp.Ab12Cd" "$TMP/removed.jsonl.neardup-tmp.Zz99Yy"
  # paths are named as given
  ND_DIR=$TMP/in nd clean --out ../sub/out2 .
  expect_rc 0
  mkdir "$TMP/sub/out2.neardup-tmp.Qw34Er"
  ND_DIR=$TMP/in nd clean --force --out ../sub/out2/ .
  expect_rc 0
  expect_stderr "neardup: '../sub/out2.neardup-tmp.Qw34Er' is left from an interrupted run; remove it"
  rmdir "$TMP/sub/out2.neardup-tmp.Qw34Er"
  # an existing DIR: empty is fine; otherwise refused, and --force replaces
  # it only when it holds a previous cleaned copy
  mkdir "$TMP/empty"
  ND_DIR=$TMP nd clean --out empty in
  expect_rc 0
  expect_stderr ""
  mkdir "$TMP/other"
  printf 'mine\n' > "$TMP/other/notes.txt"
  ND_DIR=$TMP nd clean --out other in
  expect_rc 1
  expect_stderr "neardup: 'other' exists (use --force to overwrite)"
  ND_DIR=$TMP nd clean --force --out other in
  expect_rc 1
  expect_stderr "neardup: 'other/notes.txt' is not part of a cleaned copy; not replacing 'other'"
  [ "$(cat "$TMP/other/notes.txt")" = mine ] || fail "a foreign file was touched"
  ND_DIR=$TMP nd clean --force --out out --log removed.jsonl in
  expect_rc 0
  expect_stderr ""
  left=$(cd "$TMP" && find . -name '*.neardup-tmp.*' | wc -l)
  [ "$left" = 0 ] || fail "temporary files left: $left"
  ;;

index)
  # a small index of three seeds; q.txt holds a verbatim copy of a paragraph
  # of 000, an edited copy of one of 001 and a line of its own
  mkdir -p "$TMP/in"
  cp "$S000" "$S001" "$S002" "$TMP/in/"
  { sed -n '5p' "$S000"; echo; sed -n '7p' "$S001" | sed -e 's/扎实抓好/认真做好/' -e 's/深入学习/全面学习/';
    echo; echo 'A line of its own that no indexed document holds, long enough to count.'; } > "$TMP/q.txt"
  ND_DIR=$TMP nd index create idx.db in
  expect_rc 0
  expect_stderr ""
  expect_stdout "indexed 3 files (3 new, 0 changed, 0 unchanged): 3 documents, 75 paragraphs written"
  ND_DIR=$TMP nd index check idx.db
  expect_rc 0
  expect_stdout "idx.db: ok (3 files, 3 documents, 75 paragraphs, 51 distinct)"
  ND_DIR=$TMP nd_as query-text query idx.db q.txt
  expect_rc 0
  expect_stderr ""
  expect_golden "$OUT" index-query.txt
  ND_DIR=$TMP nd query -f jsonl idx.db q.txt
  expect_rc 0
  expect_golden "$OUT" index-query.jsonl
  # the shares are the scan's: q.txt's found-elsewhere share in a scan of
  # the same files is the query's matched share
  share=$(grep -o '"matched_share":[0-9.]*' "$OUT" | cut -d: -f2)
  ND_DIR=$TMP nd scan -f jsonl in q.txt
  grep -q "\"path\":\"q.txt\".*\"elsewhere_share\":$share," "$OUT" ||
    fail "the query's matched share $share is not the scan's"
  ND_DIR=$TMP nd query -f csv idx.db q.txt
  expect_rc 0
  expect_golden "$OUT" index-query.csv
  ND_DIR=$TMP nd query -f html idx.db q.txt
  expect_rc 0
  expect_golden "$OUT" index-query.html
  # standard input is a query document named '-'
  ND_DIR=$TMP ND_STDIN=$TMP/q.txt nd query -f jsonl idx.db -
  expect_rc 0
  sed 's/"path":"q.txt"/"path":"-"/' "$EXP/index-query.jsonl" > "$TMP/stdin.jsonl"
  expect_same "$TMP/stdin.jsonl" "$OUT" "a query from standard input differs"
  # unchanged files cost one hash each: nothing is written
  ND_DIR=$TMP nd index add idx.db in
  expect_rc 0
  expect_stdout "added 3 files (0 new, 0 changed, 3 unchanged): 0 documents, 0 paragraphs written"
  ND_DIR=$TMP nd index status idx.db
  expect_rc 0
  expect_stdout ""
  # a changed file and a deleted one
  printf 'A new closing line for this report, long enough to be a paragraph.\n' >> "$TMP/in/002_13674df05d4d43f5.txt"
  mv "$TMP/in/000_11051e509f6edff7.txt" "$TMP/moved.txt"
  ND_DIR=$TMP nd index status idx.db
  expect_rc 0
  expect_stdout "gone     in/000_11051e509f6edff7.txt
changed  in/002_13674df05d4d43f5.txt"
  ND_DIR=$TMP nd index add idx.db in
  expect_rc 0
  expect_stdout "added 2 files (0 new, 1 changed, 1 unchanged): 1 documents, 21 paragraphs written"
  ND_DIR=$TMP nd index check idx.db
  expect_stdout "idx.db: ok (3 files, 3 documents, 75 paragraphs, 52 distinct)"
  # the query is exact without the indexed file on disk
  ND_DIR=$TMP nd query idx.db q.txt
  expect_rc 0
  expect_same "$TMP/query-text.out" "$OUT" "the query changed after the indexed file moved"
  ND_DIR=$TMP nd index remove idx.db in/000_11051e509f6edff7.txt nothing.txt
  expect_rc 2
  expect_stdout "removed 1 file"
  expect_stderr "neardup: 'nothing.txt' is not in the index"
  ND_DIR=$TMP nd index check idx.db
  expect_stdout "idx.db: ok (2 files, 2 documents, 48 paragraphs, 35 distinct)"
  ND_DIR=$TMP nd query -f jsonl idx.db q.txt
  expect_rc 0
  grep -q '000_11051e509f6edff7' "$OUT" && fail "a removed file still matches"
  grep -q '"type":"match".*001_67f235fca624bad1' "$OUT" || fail "the edited copy is not found"
  # walk rules: only what they take
  mkdir -p "$TMP/more/sub"
  printf 'A paragraph of a markdown file that the walk rules leave out of it.\n' > "$TMP/more/a.md"
  printf 'A paragraph of a text file that the walk rules take into the index.\n' > "$TMP/more/sub/b.txt"
  printf 'A hidden paragraph in a hidden file that only --hidden would take.\n' > "$TMP/more/.c.txt"
  ND_DIR=$TMP nd index add --exclude '*.md' -q idx.db more
  expect_rc 0
  expect_stdout "added 1 file (1 new, 0 changed, 0 unchanged): 1 documents, 1 paragraphs written"
  ND_DIR=$TMP nd index add --include '*.txt' --hidden idx.db more
  expect_rc 0
  expect_stdout "added 2 files (1 new, 0 changed, 1 unchanged): 1 documents, 1 paragraphs written"
  # an input that cannot be read is skipped (exit 2); the rest is added
  ND_DIR=$TMP nd index add idx.db missing.txt moved.txt
  expect_rc 2
  expect_stderr "neardup: cannot open 'missing.txt': No such file or directory"
  expect_stdout "added 1 file (1 new, 0 changed, 0 unchanged): 1 documents, 27 paragraphs written"
  ;;

index-errors)
  mkdir -p "$TMP/in"
  cp "$S000" "$TMP/in/"
  printf 'not an index\n' > "$TMP/text.txt"
  nd index
  expect_rc 1
  expect_stderr "neardup index: expected create, add, remove, check or status (see 'neardup index --help')"
  nd index frob x.db
  expect_rc 1
  expect_stderr "neardup index: unknown subcommand 'frob' (see 'neardup index --help')"
  nd index add x.db
  expect_rc 1
  expect_stderr "neardup index: add: expected DB and at least one PATH"
  nd index check
  expect_rc 1
  expect_stderr "neardup index: check: expected the index file DB"
  nd index add --threshold 0.9 x.db in
  expect_rc 1
  expect_stderr "neardup index: add: --threshold is an option of create (the index keeps its own)"
  nd index add --bands 4 --rows 4 x.db in
  expect_rc 1
  expect_stderr "neardup index: add: --bands is an option of create (the index keeps its own)"
  nd index create --threshold 2 x.db in
  expect_rc 1
  [ -s "$ERR" ] || fail "no message for a bad --threshold"
  nd query x.db
  expect_rc 1
  expect_stderr "neardup query: expected DB and at least one FILE (see 'neardup query --help')"
  ND_DIR=$TMP nd index check missing.db
  expect_rc 3
  expect_stderr "neardup: cannot open 'missing.db': No such file or directory"
  ND_DIR=$TMP nd query missing.db in
  expect_rc 3
  expect_stderr "neardup: cannot open 'missing.db': No such file or directory"
  ND_DIR=$TMP nd index check text.txt
  expect_rc 3
  expect_stderr "neardup: 'text.txt': file is not a database"
  ND_DIR=$TMP nd index create idx.db in
  expect_rc 0
  ND_DIR=$TMP nd index create idx.db in
  expect_rc 3
  expect_stderr "neardup: 'idx.db' already exists"
  ND_DIR=$TMP nd index add idx.db -
  expect_rc 3
  expect_stderr "neardup: standard input cannot be indexed (it has no path)"
  nd index --help
  expect_rc 0
  grep -q -- '--num-perm' "$OUT" || fail "index --help does not list the scan options"
  nd query --help
  expect_rc 0
  ;;

scan-db)
  # the report from the index is the scan's, byte for byte, in every format
  mkdir -p "$TMP/in"
  cp "$S000" "$S001" "$S002" "$TMP/in/"
  ND_DIR=$TMP nd index create idx.db in
  expect_rc 0
  same_as_scan "after create" in
  # new files, a changed one, then a removed one (gone from disk too)
  cp "$S003" "$S004" "$TMP/in/"
  printf 'A new closing line for this report, long enough to be a paragraph.\nok\n' >> "$TMP/in/001_67f235fca624bad1.txt"
  ND_DIR=$TMP nd index add idx.db in
  expect_rc 0
  same_as_scan "after add" in
  rm "$TMP/in/000_11051e509f6edff7.txt"
  ND_DIR=$TMP nd index remove idx.db in/000_11051e509f6edff7.txt
  expect_rc 0
  same_as_scan "after remove" in
  grep -q '000_11051e509f6edff7' "$TMP/db.jsonl" && fail "a removed file is in the report"
  # a skipped input is listed as the scan lists it (exit 0: nothing was
  # skipped by this run)
  printf '\177ELF\0\0binary' > "$TMP/in/x.bin"
  ND_DIR=$TMP nd index add -q idx.db in
  expect_rc 2
  same_as_scan "with a skipped input" in
  grep -q '"type":"skipped","path":"in/x.bin"' "$TMP/db.jsonl" || fail "no skipped record"
  # report options apply; the files are not read (moved away)
  ND_DIR=$TMP nd scan --top 2 --preview 10 --common-docs 1 --threads 1 in
  cp "$OUT" "$TMP/scan.opts"
  mv "$TMP/in" "$TMP/moved"
  ND_DIR=$TMP nd scan --db idx.db --top 2 --preview 10 --common-docs 1 --threads 1
  expect_rc 0
  expect_same "$TMP/scan.opts" "$OUT" "scan --db with report options differs from scan"
  # what is compared and what is read are the index's
  ND_DIR=$TMP nd scan --db idx.db --threshold 0.9
  expect_rc 1
  expect_stderr "neardup scan: --threshold cannot be given with --db (the index's options are used)"
  ND_DIR=$TMP nd scan --db idx.db --no-t2s
  expect_rc 1
  expect_stderr "neardup scan: --no-t2s cannot be given with --db (the index's options are used)"
  ND_DIR=$TMP nd scan --db idx.db moved
  expect_rc 1
  expect_stderr "neardup scan: --db reads the index: no PATH can be given"
  ND_DIR=$TMP nd scan --db idx.db --passages
  expect_rc 1
  expect_stderr "neardup scan: --db reads the index: --passages is not indexed"
  ND_DIR=$TMP nd scan --db missing.db
  expect_rc 3
  expect_stderr "neardup: cannot open 'missing.db': No such file or directory"
  # an index of the previous format is refused with the typed error
  if command -v python3 > /dev/null; then
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE meta SET value='2' WHERE key='format'\"); c.commit()" "$TMP/idx.db"
    ND_DIR=$TMP nd scan --db idx.db
    expect_rc 3
    expect_stderr "neardup: 'idx.db' is an index of format 2; this library reads format 5"
  else
    echo "SKIP [$CASE]: no python3: the old-format part is not run"
  fi
  ;;

scan-db-generated)
  # the generated Chinese and English corpora (bench/gen_corpus)
  if [ -z "${ND_GEN_CORPUS:-}" ] || [ ! -x "${ND_GEN_CORPUS:-}" ]; then
    echo "SKIP [$CASE]: bench/gen_corpus not built (ND_GEN_CORPUS)"
    exit 77
  fi
  "$ND_GEN_CORPUS" --seed 42 --size-mb 5 --out "$TMP/zh" > /dev/null 2>&1 || fail "gen_corpus zh"
  "$ND_GEN_CORPUS" --seed 42 --size-mb 5 --lang en --layout wrapped --out "$TMP/en" > /dev/null 2>&1 ||
    fail "gen_corpus en"
  for c in zh en; do
    ND_DIR=$TMP nd index create $c.db $c/docs
    expect_rc 0
    same_as_scan "$c, after create" $c/docs --db $c.db
  done
  # en after removing a tenth of it and adding it back changed
  for f in "$TMP"/en/docs/00000[0-8].txt; do
    ND_DIR=$TMP nd index remove en.db "en/docs/$(basename "$f")"
  done
  same_as_scan "en, before the add" en/docs --db en.db --skip-compare
  ND_DIR=$TMP nd index add en.db en/docs
  expect_rc 0
  same_as_scan "en, after remove and add" en/docs --db en.db
  ;;

*)
  echo "run.sh: unknown case '$CASE' (see $0 --list)" >&2
  exit 2
  ;;
esac

if [ "$FAILED" != 0 ]; then
  exit 1
fi
echo "PASS [$CASE]"
exit 0
