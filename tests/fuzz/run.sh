#!/usr/bin/env bash
# tests/fuzz/run.sh - makes a harness's seed corpus and runs the harness.
#
#   tests/fuzz/run.sh --bin PATH [--runs N | --time SECONDS] [--dir DIR] [--fresh]
#                     NAME [-- LIBFUZZER ARGS]
#
# NAME is norm, split, gzip, scan, write, decode, jsonl or archive.  Seeds are made from the bundled
# corpus (examples/seeds: the first 4 KiB of each file, with the harness's
# parameter bytes in front; gzip copies for the gzip harness) plus a few
# hostile snippets, into DIR/seeds-NAME (default: the current directory),
# afresh on every run.  New inputs found go to DIR/corpus-NAME, which is
# kept between runs (--fresh empties it first, for a reproducible run).  With --runs the
# run is deterministic (-seed=1); crashes are saved as DIR/crash-* and the
# script exits non-zero.  Replay one input: PATH INPUT.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN= RUNS= TIME= DIR=. FRESH=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin) BIN=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --time) TIME=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) NAME=$1; shift ;;
  esac
done
if [ -z "$BIN" ] || [ -z "${NAME:-}" ]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
mkdir -p "$DIR" || exit 2
DIR=$(cd "$DIR" && pwd)
SEEDS=$DIR/seeds-$NAME
CORPUS=$DIR/corpus-$NAME
rm -rf "$SEEDS"
[ "$FRESH" = 1 ] && rm -rf "$CORPUS"
mkdir -p "$SEEDS" "$CORPUS" || exit 2

# seed FILE PREFIX-BYTES(printf format) : PREFIX + first 4 KiB of FILE
seed() {
  local out=$SEEDS/$(basename "$1")$3
  { printf "$2"; head -c 4096 "$1"; } > "$out"
}
# snippet NAME PRINTF-FORMAT : a hand-made hostile input
snippet() { printf "$2" > "$SEEDS/snippet-$1"; }

HOSTILE=(
  "crlf:line one\r\nline two\r\n\r\nline three\r\n"
  "cr:line one\rline two\r\rline three"
  "bom:\xef\xbb\xbfbom first line\n\xef\xbb\xbf\nsecond"
  "invalid:ok \xff\xfe bad \xc0\xaf overlong \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big \xe4\xb8"
  "nul:a\0b\0\0c\n\0\n"
  "blanks:\xc2\xa0\n\xe3\x80\x80 \t\n\xe2\x80\x8b\n\xe2\x81\x9f\nx"
  "cjk:\xe4\xb8\xad\xe6\x96\x87\xe6\xae\xb5\xe8\x90\xbd\xef\xbc\x88t\xc3\xa0i\xef\xbc\x89\n\xe6\x85\x8b(t\xc3\xa0i)\n"
  "markup:<script>alert(1)</script> & \"quoted\", comma\n</td>&amp;\n"
)

FILES=("$SRC"/examples/seeds/*.txt)
case $NAME in
  norm)
    for f in "${FILES[@]}"; do seed "$f" '\x1f' ""; seed "$f" '\x00' .raw; done
    for h in "${HOSTILE[@]}"; do snippet "${h%%:*}" "\x1f${h#*:}"; done ;;
  split)
    for f in "${FILES[@]}"; do
      seed "$f" '\x00\x00\x01' .auto; seed "$f" '\x01\x40\x00' .line; seed "$f" '\x02\x00\x00' .blank
    done
    for h in "${HOSTILE[@]}"; do snippet "${h%%:*}" "\x02\x00\x00${h#*:}"; done ;;
  gzip)
    for f in "${FILES[@]}"; do head -c 4096 "$f" | gzip -9 -c > "$SEEDS/$(basename "$f").gz"; done
    f=${FILES[0]}
    { head -c 1000 "$f" | gzip -c; head -c 1000 "${FILES[1]}" | gzip -c; } > "$SEEDS/two-members.gz"
    { head -c 1000 "$f" | gzip -c; printf '\0\0\0\0'; } > "$SEEDS/zero-padded.gz"
    head -c 1000 "$f" | gzip -c | head -c 300 > "$SEEDS/truncated.gz"
    head -c 1000000 /dev/zero | gzip -9 -c > "$SEEDS/bomb.gz"
    printf '' | gzip -c > "$SEEDS/empty.gz" ;;
  decode)
    # first byte: the encoding (0 = detect, 1 gbk, 3 big5, 4 shift_jis,
    # 7 windows-1252, 8 utf-16le, 11 utf-32be; see fuzz_decode.c)
    for f in "${FILES[@]}"; do
      b=$SEEDS/$(basename "$f")
      { printf '\x00'; head -c 2048 "$f"; } > "$b.detect"
      { printf '\x00'; head -c 2048 "$f" | iconv -c -f UTF-8 -t GBK; } > "$b.gbk-detect"
      { printf '\x01'; head -c 2048 "$f" | iconv -c -f UTF-8 -t GBK; } > "$b.gbk"
      { printf '\x03'; head -c 2048 "$f" | iconv -c -f UTF-8 -t BIG5; } > "$b.big5"
      { printf '\x04'; head -c 2048 "$f" | iconv -c -f UTF-8 -t SHIFT_JIS; } > "$b.sjis"
      { printf '\x00'; head -c 2048 "$f" | iconv -c -f UTF-8 -t UTF-16LE; } > "$b.utf16le"
      { printf '\x0b'; head -c 1024 "$f" | iconv -c -f UTF-8 -t UTF-32BE; } > "$b.utf32be"
    done
    printf '\x00caf\xe9 cr\xe8me \x93quoted\x94 na\xefve\n' > "$SEEDS/snippet-cp1252"
    printf '\x07\x80\x81\x8d\x8f\x90\x9d\xff' > "$SEEDS/snippet-cp1252-holes"
    printf '\x08\x00\xd8a\x00\x00\xdcb\x00x' > "$SEEDS/snippet-surrogates"
    printf '\x0d\x1b$B$3$s$K$A$O\x1b(B hello\n' > "$SEEDS/snippet-iso2022jp"
    printf '\x00\xff\xfeh\x00i\x00' > "$SEEDS/snippet-bom16"
    for h in "${HOSTILE[@]}"; do snippet "${h%%:*}" "\x00${h#*:}"; done ;;
  archive)
    # tar(1) and zip(1) archives of small pieces of the corpus, in every
    # kind read (GNU, ustar, pax; gzip, bzip2, xz, zstd; zip), and damaged ones
    work=$SEEDS/.src
    mkdir -p "$work/d/sub"
    for f in "${FILES[@]:0:2}"; do head -c 700 "$f" > "$work/d/$(basename "$f")"; done
    printf 'short\n\nsecond paragraph\n' > "$work/d/sub/s.txt"
    ln -s s.txt "$work/d/sub/link"
    T=(tar -C "$work" --sort=name --mtime=@1600000000 --owner=0 --group=0 --numeric-owner)
    "${T[@]}" --format=gnu -cf "$SEEDS/gnu.tar" d
    "${T[@]}" --format=ustar -cf "$SEEDS/ustar.tar" d
    "${T[@]}" --format=pax -cf "$SEEDS/pax.tar" d
    "${T[@]}" -czf "$SEEDS/a.tar.gz" d
    "${T[@]}" -cjf "$SEEDS/a.tar.bz2" d 2>/dev/null
    "${T[@]}" -cJf "$SEEDS/a.tar.xz" d 2>/dev/null
    command -v zstd >/dev/null && "${T[@]}" --zstd -cf "$SEEDS/a.tar.zst" d
    command -v zip >/dev/null && (cd "$work" && TZ=UTC zip -qry "$SEEDS/a.zip" d)
    head -c 1500 "$SEEDS/gnu.tar" > "$SEEDS/truncated.tar"
    [ -f "$SEEDS/a.zip" ] && head -c 900 "$SEEDS/a.zip" > "$SEEDS/truncated.zip"
    head -c 1000 "${FILES[0]}" | gzip -c > "$SEEDS/text.gz"
    rm -rf "$work" ;;
  jsonl)
    # first byte: flags (0: field "text"; 1: and records named by "id")
    for f in "${FILES[@]}"; do
      b=$SEEDS/$(basename "$f")
      { printf '\x00'; head -c 3000 "$f" | python3 -c 'import json,sys
t = sys.stdin.buffer.read().decode("utf-8", "ignore")
for i, p in enumerate(t.split("\n")[:6]):
    print(json.dumps({"id": i, "text": p, "meta": {"k": [1, "}"]}}, ensure_ascii=i % 2 == 0))'; } > "$b.jsonl"
    done
    printf '\x01{"id":"a","text":"x\\n\\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\/"}\r\n\n{"text":"\\ud800 lone","id":7}\n' \
      > "$SEEDS/snippet-escapes"
    printf '\x00\xef\xbb\xbf{"text":"bom"}\n{bad\n{"text":5}\n[1]\n{"text":"a","text":"dup"}\n{"text":"x"} y\n' \
      > "$SEEDS/snippet-malformed"
    printf '\x02{"t":"short field","text":1}\n{"a":{"t":"nested"},"t":"top"}\n' > "$SEEDS/snippet-field-t"
    ;;
  scan|write)
    # options (8 bytes): auto split / 2 documents, all norm flags, shingle 5,
    # min_chars 8, threshold 0.80, num_perm 64, max paragraph 64+0x0400;
    # then per document: name length, name, 2-byte length (not for the last)
    for f in "${FILES[@]}"; do
      out=$SEEDS/$(basename "$f")
      { printf '\x04\x1f\x04\x08\x4f\x07\x00\x04'
        printf '\x05a.txt\x00\x08'; head -c 2048 "$f"
        printf '\x0cdir/b "x",.md'; head -c 2048 "$f" | tail -c 1500; } > "$out"
    done
    for h in "${HOSTILE[@]}"; do
      snippet "${h%%:*}" "\x08\x1f\x02\x02\x31\x03\x00\x00\x04n\nm\xff${h#*:}"
    done ;;
  *) echo "run.sh: unknown harness '$NAME'" >&2; exit 2 ;;
esac

ARGS=(-seed=1 -max_len=16384 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
      "-artifact_prefix=$DIR/crash-$NAME-")
[ -n "$RUNS" ] && ARGS+=("-runs=$RUNS")
[ -n "$TIME" ] && ARGS+=("-max_total_time=$TIME")
# new inputs go to the first directory; regress/NAME holds the inputs of
# fixed bugs, read (never written) on every run
DIRS=("$CORPUS" "$SEEDS")
[ -d "$HERE/regress/$NAME" ] && DIRS+=("$HERE/regress/$NAME")
# corpus/NAME: the corpus a campaign grew (libFuzzer -merge=1 minimised),
# read by timed runs only, so the CI smoke runs stay short
[ -n "$TIME" ] && [ -d "$HERE/corpus/$NAME" ] && DIRS+=("$HERE/corpus/$NAME")
exec "$BIN" "${ARGS[@]}" "$@" "${DIRS[@]}"
