#!/usr/bin/env bash
# tests/hostile/run.sh - hostile inputs against the real neardup binary.
#
#   tests/hostile/run.sh [--bin PATH] CASE     (or ND_BIN=PATH tests/hostile/run.sh CASE)
#   tests/hostile/run.sh --list
#
# Every case asserts the exit status and the exact stderr, and checks the
# output where it matters.  Fixtures are made at run time in a temporary
# directory (mktemp -d) that is removed on exit, big ones included.  ND_WRAP
# is a command prefix (valgrind); lines "==PID== ..." are dropped from stderr
# and make the case fail, as do sanitizer reports (they are shown, so ctest's
# FAIL_REGULAR_EXPRESSION sees them).  Exit 0 = pass, 1 = fail, 77 = skipped
# (with a message saying why).  ND_HOSTILE_SMALL=1 (set for the sanitizer
# build, where everything is ~10x slower) shrinks the two big fixtures: the
# long line to 32 MiB and the tiny files to 20,000; the checks stay the same.
set -u

# shellcheck source=../case_args.sh
. "$(dirname "$0")/../case_args.sh"

CASES=(empty long-line max-paragraph nul-bytes bad-utf8 bom line-endings
       gzip-truncated gzip-corrupt gzip-bomb stdin-limits unreadable symlinks
       special-files names many-files full-disk interrupt encodings archives
       jsonl-malformed jsonl-escapes jsonl-gzip)

case_start "${CASES[@]}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nd-hostile.XXXXXX") || exit 2
MOUNTED=
cleanup() {
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
chmod 755 "$TMP"
cd "$TMP" || exit 2
SEEDS=$SRC/examples/seeds
S000=$SEEDS/000_11051e509f6edff7.txt
S001=$SEEDS/001_67f235fca624bad1.txt

OUT=$TMP/.stdout
ERR=$TMP/.stderr
RAWERR=$TMP/.stderr.raw
RC=0

skip() {
  echo "SKIP [$CASE]: $*"
  exit 77
}

# nd ARGS... : runs the binary in $TMP; stdout in $OUT, stderr in $ERR.
nd() {
  "${WRAP[@]}" "$BIN" "$@" > "$OUT" 2> "$RAWERR" < "${ND_STDIN:-/dev/null}"
  RC=$?
  check_wrapper "$@"
}

check_wrapper() {
  grep -v -E '^==[0-9]+==' "$RAWERR" > "$ERR"
  if [ "$RC" = 99 ] || grep -q -E '^==[0-9]+==|runtime error:|Sanitizer' "$RAWERR"; then
    fail "memory checker or sanitizer report for: neardup $*"
    cat "$RAWERR"
  fi
}

expect_rc() {
  if [ "$RC" != "$1" ]; then
    fail "exit status $RC, expected $1"
    echo "--- stderr:"
    cat "$RAWERR"
  fi
}

# expect_stderr LINE... : stderr is exactly these lines (none: empty)
expect_stderr() {
  if [ $# -eq 0 ]; then : > "$TMP/.want"; else printf '%s\n' "$@" > "$TMP/.want"; fi
  if ! cmp -s "$ERR" "$TMP/.want"; then
    fail "stderr differs"
    diff -u "$TMP/.want" "$ERR" | head -n 40
  fi
}

# expect_json_field FILE KEY VALUE : the first jsonl record (summary) has KEY=VALUE
expect_summary() {
  local got
  got=$(python3 -c 'import json,sys
r=json.loads(open(sys.argv[1],encoding="utf-8").readline())
print(r[sys.argv[2]])' "$OUT" "$1" 2>&1)
  [ "$got" = "$2" ] || fail "summary $1 is '$got', expected '$2'"
}

# expect_file_gone GLOB... : nothing matches
expect_none() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || [ -L "$f" ] && fail "'$f' exists"
  done
  return 0
}

big_file() { # NAME MiB : one line of words, no line terminator
  python3 - "$1" "$2" <<'PY'
import sys
words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
n = int(sys.argv[2]) << 20
with open(sys.argv[1], "wb") as f:
    block = words * (1 << 14)
    left = n
    while left:
        f.write(block[:left])
        left -= min(left, len(block))
PY
}

case $CASE in
empty)
  : > empty.txt
  printf '' | gzip -c > empty.gz
  printf '\n\n  \t\n\r\n' > blank.txt
  nd scan -f jsonl empty.txt empty.gz blank.txt
  expect_rc 0
  expect_stderr
  expect_summary files 3
  expect_summary paragraphs 0
  nd scan empty.txt
  expect_rc 0
  expect_stderr
  ;;

long-line)
  # one 200 MiB line: cut into pieces of at most 1 MiB (the default), with
  # a note; nothing dropped; memory stays far below the file's size
  mib=200
  [ "${ND_HOSTILE_SMALL:-0}" = 1 ] && mib=32
  big_file line.txt $mib
  nd scan -f jsonl --emit-paragraphs line.txt
  expect_rc 0
  expect_stderr "neardup: note: 'line.txt': 1 paragraph longer than 1048576 bytes (--max-paragraph-bytes) cut into pieces, the first at line 1"
  expect_summary bytes $((mib << 20))
  python3 - "$OUT" $mib <<'PY' || fail "pieces do not cover the line"
import json, sys
mib = int(sys.argv[2])
recs = [json.loads(l) for l in open(sys.argv[1])]
ps = [r for r in recs if r["type"] == "paragraph"]
assert len(ps) >= mib, len(ps)
pos = 0
for p in ps:
    assert p["offset"] == pos and 0 < p["length"] <= 1 << 20 and p["line"] == 1, p
    pos += p["length"]
assert pos == mib << 20, pos
PY
  rm -f line.txt
  ;;

max-paragraph)
  { printf 'short first line\n'; head -c 3000 "$S001" | tr '\n' ' '; printf '\nlast\n'; } > long.txt
  nd scan -f jsonl --emit-paragraphs --max-paragraph-bytes 1K long.txt
  expect_rc 0
  expect_stderr "neardup: note: 'long.txt': 1 paragraph longer than 1024 bytes (--max-paragraph-bytes) cut into pieces, the first at line 2"
  python3 - "$OUT" <<'PY' || fail "pieces do not cover the long line"
import json, sys
ps = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "paragraph"]
lines = [p["line"] for p in ps]
assert lines[0] == 1 and lines[-1] == 3 and set(lines[1:-1]) == {2}, lines
assert len(ps) >= 5 and all(p["length"] <= 1024 for p in ps)
# the pieces of line 2 are contiguous: no byte of it is dropped
assert ps[1]["offset"] == 17 and ps[-2]["offset"] + ps[-2]["length"] == 17 + 3000
for a, b in zip(ps[1:-2], ps[2:-1]):
    assert a["offset"] + a["length"] == b["offset"], (a, b)
PY
  nd scan -q --max-paragraph-bytes 1K long.txt
  expect_rc 0
  expect_stderr
  nd scan --max-paragraph-bytes 63 long.txt
  expect_rc 1
  expect_stderr "neardup scan: --max-paragraph-bytes must be between 64 and 67108864"
  ;;

nul-bytes)
  printf 'text\0with a NUL byte\n' > nul.txt
  { head -c 9000 "$S000"; printf '\0late NUL after the sniffed 8 KiB\n'; } > late.txt
  nd scan -f jsonl nul.txt late.txt
  expect_rc 2
  expect_stderr "neardup: skipping 'nul.txt': binary file"
  expect_summary files 1
  expect_summary skipped 1
  nd scan nul.txt
  expect_rc 4
  expect_stderr "neardup: skipping 'nul.txt': binary file" "neardup: no input could be read"
  ;;

bad-utf8)
  # invalid bytes, overlong forms, surrogates, truncated sequences, > U+10FFFF
  line=$'caf\xc3\xa9 \xff\xfe invalid \xc0\xaf overlong \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big \xe4\xb8 cut end'
  printf '%s\n' "$line" > a.txt
  printf '%s\n' "$line" > b.txt
  nd scan -f jsonl --emit-paragraphs --min-chars 5 a.txt b.txt
  expect_rc 0
  expect_stderr
  expect_summary clusters 1
  for f in text json jsonl csv; do
    nd scan -f "$f" --min-chars 5 a.txt b.txt
    expect_rc 0
    iconv -f UTF-8 -t UTF-8 "$OUT" > /dev/null 2>&1 || fail "$f output is not valid UTF-8"
  done
  grep -q $'caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd invalid' "$OUT" ||
    fail "csv preview does not show U+FFFD for the invalid bytes"
  ;;

bom)
  printf '\xef\xbb\xbfthe first paragraph of a file with a BOM\nand a second one\n' > bom.txt
  printf 'the first paragraph of a file with a BOM\nand a second one\n' > plain.txt
  printf '\xef\xbb\xbf\n\xef\xbb\xbf\n' > only-bom.txt
  nd scan -f jsonl --emit-paragraphs --min-chars 5 bom.txt plain.txt only-bom.txt
  expect_rc 0
  expect_stderr
  expect_summary clusters 2
  expect_summary paragraphs 4
  ;;

line-endings)
  printf 'alpha paragraph one\nbeta paragraph two\n\ngamma three\n' > lf.txt
  printf 'alpha paragraph one\r\nbeta paragraph two\r\n\r\ngamma three\r\n' > crlf.txt
  printf 'alpha paragraph one\rbeta paragraph two\r\rgamma three\r' > cr.txt
  nd scan -f jsonl --emit-paragraphs --min-chars 5 --split line lf.txt crlf.txt cr.txt
  expect_rc 0
  expect_stderr
  expect_summary clusters 3
  expect_summary clustered_paragraphs 9
  python3 - "$OUT" <<'PY' || fail "lines or lengths differ between LF, CRLF and CR"
import json, sys
ps = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "paragraph"]
by = {}
for p in ps:
    by.setdefault(p["doc"], []).append((p["line"], p["length"]))
assert by[0] == by[1] == by[2] == [(1, 19), (2, 18), (4, 11)], by
PY
  ;;

archives)
  # a truncated .tar.gz, a tar with a damaged header in the middle and a zip
  # whose deflate data is corrupt: one warning each naming the archive and
  # libarchive's reason, the members before the damage are documents, exit
  # 2; a stored zip member with a bad CRC is skipped on its own and the
  # members after it are read; a member over --max-file-size is skipped
  # without being inflated; a gzip file named .tar.gz that holds text is
  # one document; clean leaves the damaged archives out, saying so
  python3 - <<'PY'
import os, random
r = random.Random(7)
w = ["alpha", "beta", "gamma", "delta", "river", "stone", "cloud", "paper"]
os.makedirs("src/d")
for n in "abc":
    with open("src/d/%s.txt" % n, "w") as f:
        for i in range(3000):
            f.write(" ".join(r.choice(w) + str(r.randrange(1000)) for _ in range(12)) + "\n")
PY
  find src -exec touch -h -d @1600000000 {} +
  T=(tar -C src --sort=name --owner=0 --group=0 --numeric-owner)
  "${T[@]}" -czf full.tar.gz d
  size=$(stat -c %s full.tar.gz)
  head -c $((size * 6 / 10)) full.tar.gz > cut.tar.gz
  "${T[@]}" -cf t.tar d
  (cd src && zip -q -X ../z9.zip d/a.txt d/b.txt d/c.txt && zip -q -0 -X ../z0.zip d/a.txt d/b.txt d/c.txt)
  python3 - <<'PY'
import tarfile, zipfile
d = bytearray(open("t.tar", "rb").read())
m = tarfile.open("t.tar").getmember("d/b.txt")
d[m.offset + 148] ^= 0x07          # the header's checksum no longer holds
open("badhdr.tar", "wb").write(d)
for src, dst, x in (("z9.zip", "inflate.zip", 0xff), ("z0.zip", "crc.zip", 0x20)):
    i = zipfile.ZipFile(src).getinfo("d/b.txt")
    d = bytearray(open(src, "rb").read())
    d[i.header_offset + 30 + len(i.filename) + len(i.extra) + 100] ^= x
    open(dst, "wb").write(d)
PY
  head -c 50M /dev/zero > zeros.txt
  zip -q -X bomb.zip zeros.txt src/d/a.txt
  head -c 3000 "$S000" | gzip -c -n > text.tar.gz
  nd scan -f jsonl --max-file-size 1M cut.tar.gz badhdr.tar inflate.zip crc.zip bomb.zip text.tar.gz
  expect_rc 2
  expect_stderr \
    "neardup: 'cut.tar.gz': corrupt or truncated archive (truncated gzip input; 1 member before it read)" \
    "neardup: 'badhdr.tar': corrupt or truncated archive (Damaged tar archive; 1 member before it read)" \
    "neardup: 'inflate.zip': corrupt or truncated archive (ZIP decompression failed (-3); 1 member before it read)" \
    "neardup: 'crc.zip//d/b.txt': corrupt or truncated archive (ZIP bad CRC: 0x2fb0d785 should be 0x96868f05; member skipped)" \
    "neardup: skipping 'bomb.zip//zeros.txt': file larger than --max-file-size (limit is 1048576 bytes)"
  python3 - "$OUT" <<'PY' || fail "the documents read"
import json, sys
docs = [json.loads(l)["path"] for l in open(sys.argv[1]) if '"type":"document"' in l]
want = ["bomb.zip//src/d/a.txt", "badhdr.tar//d/a.txt", "crc.zip//d/a.txt", "crc.zip//d/c.txt",
        "cut.tar.gz//d/a.txt", "inflate.zip//d/a.txt", "text.tar.gz"]
if sorted(docs) != sorted(want):
    print("documents:", docs)
    sys.exit(1)
PY
  nd clean --out out cut.tar.gz crc.zip "$S001"
  expect_rc 2
  expect_stderr \
    "neardup: 'cut.tar.gz': corrupt or truncated archive (truncated gzip input; 1 member before it read)" \
    "neardup: 'crc.zip//d/b.txt': corrupt or truncated archive (ZIP bad CRC: 0x2fb0d785 should be 0x96868f05; member skipped)" \
    "neardup: 'cut.tar.gz': corrupt or truncated archive (damaged when it was read; left out of the cleaned copy)" \
    "neardup: 'crc.zip': corrupt or truncated archive (ZIP bad CRC: 0x2fb0d785 should be 0x96868f05; left out of the cleaned copy)"
  [ -e out/cut.tar.gz ] || [ -e out/crc.zip ] && fail "a damaged archive was written"
  [ -e out/001_67f235fca624bad1.txt ] || fail "the plain file was not written"
  # a zip written to a pipe (sizes only after the data) without its central
  # directory: members of unknown size, read up to the limit
  (cd src && zip -q - d/a.txt d/b.txt > ../stream.zip)
  python3 -c 'import sys; d = open("stream.zip", "rb").read(); open("stream-cut.zip", "wb").write(d[:d.find(b"PK\x01\x02")])'
  nd scan -f jsonl stream-cut.zip
  expect_rc 2
  expect_stderr "neardup: 'stream-cut.zip': corrupt or truncated archive (unreadable header; 2 members before it read)"
  grep -q -F '"path":"stream-cut.zip//d/b.txt","bytes":' "$OUT" || fail "the members of stream-cut.zip are not read"
  nd scan -f jsonl --max-file-size 100K stream-cut.zip
  expect_rc 4
  expect_stderr \
    "neardup: skipping 'stream-cut.zip//d/a.txt': file larger than --max-file-size (limit is 102400 bytes)" \
    "neardup: skipping 'stream-cut.zip//d/b.txt': file larger than --max-file-size (limit is 102400 bytes)" \
    "neardup: 'stream-cut.zip': corrupt or truncated archive (unreadable header; 2 members before it read)" \
    "neardup: no input could be read"
  ;;

gzip-truncated)
  head -c 5000 "$S000" | gzip -c > full.gz
  head -c 200 full.gz > cut.gz
  head -c 3 full.gz > magic-only.gz
  nd scan cut.gz magic-only.gz full.gz
  expect_rc 2
  expect_stderr "neardup: skipping 'cut.gz': corrupt or truncated gzip data" \
                "neardup: skipping 'magic-only.gz': corrupt or truncated gzip data"
  ;;

gzip-corrupt)
  head -c 5000 "$S000" | gzip -c > good.gz
  python3 - good.gz <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
bad = d[:]; bad[len(bad) // 2] ^= 0xff                # deflate data
open("data.gz", "wb").write(bad)
bad = d[:]; bad[-6] ^= 0x01                          # CRC32
open("crc.gz", "wb").write(bad)
bad = d[:]; bad[-1] ^= 0x01                          # ISIZE
open("size.gz", "wb").write(bad)
open("garbage.gz", "wb").write(bytes(d) + b"trailing garbage")
PY
  nd scan data.gz crc.gz size.gz garbage.gz good.gz
  expect_rc 2
  expect_stderr "neardup: skipping 'data.gz': corrupt or truncated gzip data" \
                "neardup: skipping 'crc.gz': corrupt or truncated gzip data" \
                "neardup: skipping 'size.gz': corrupt or truncated gzip data" \
                "neardup: skipping 'garbage.gz': corrupt or truncated gzip data"
  ;;

gzip-bomb)
  # 1 GiB of zeros in about 1 MiB: inflating stops at --max-file-size
  head -c 1G /dev/zero | gzip -1 -c > bomb.gz
  head -c 1000 "$S000" > ok.txt
  nd scan --max-file-size 16M bomb.gz ok.txt
  expect_rc 2
  expect_stderr "neardup: skipping 'bomb.gz': file larger than --max-file-size (limit is 16777216 bytes after decompression)"
  if [ ${#WRAP[@]} -eq 0 ] && [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o rss.txt "$BIN" scan -q --max-file-size 16M bomb.gz ok.txt > /dev/null 2>&1
    rss=$(tail -n 1 rss.txt)
    # ASan's shadow memory costs more; the bomb itself would be 1 GiB
    [ "$rss" -lt 400000 ] || fail "peak RSS $rss KiB while refusing the bomb"
  fi
  ;;

stdin-limits)
  # standard input is bounded too, read past the limit or inflated past it
  cat "$SEEDS"/*.txt > all.txt
  ND_STDIN=all.txt nd scan --max-file-size 100K -
  expect_rc 4
  expect_stderr "neardup: skipping '-': file larger than --max-file-size (limit is 102400 bytes)" \
                "neardup: no input could be read"
  head -c 50M /dev/zero | gzip -1 -c > bomb.gz
  ND_STDIN=bomb.gz nd scan --max-file-size 1M -
  expect_rc 4
  expect_stderr "neardup: skipping '-': file larger than --max-file-size (limit is 1048576 bytes after decompression)" \
                "neardup: no input could be read"
  ;;

unreadable)
  # tests run as root, which reads anything: drop to user nobody
  command -v setpriv > /dev/null || skip "setpriv is missing"
  [ "$(id -u)" = 0 ] || skip "needs root to switch to user nobody (a chmod 000 file is enough otherwise)"
  head -c 2000 "$S000" > ok.txt
  head -c 2000 "$S001" > secret.txt
  mkdir closed && cp ok.txt closed/inside.txt
  chmod 644 ok.txt && chmod 000 secret.txt && chmod 000 closed
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -r ok.txt 2> /dev/null ||
    skip "user nobody cannot reach $TMP (binary or directory not accessible)"
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$BIN" ||
    skip "user nobody cannot run $BIN"
  setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "${WRAP[@]}" "$BIN" scan secret.txt closed ok.txt > "$OUT" 2> "$RAWERR" < /dev/null
  RC=$?
  check_wrapper scan secret.txt closed ok.txt
  expect_rc 2
  expect_stderr "neardup: cannot open 'secret.txt': Permission denied" \
                "neardup: cannot open 'closed': Permission denied"
  chmod 755 closed
  ;;

symlinks)
  head -c 2000 "$S000" > ok.txt
  ln -s does-not-exist broken
  ln -s loop-b loop-a
  ln -s loop-a loop-b
  mkdir -p tree/sub && cp ok.txt tree/sub/x.txt && ln -s .. tree/sub/up
  nd scan broken loop-a tree
  expect_rc 2
  expect_stderr "neardup: cannot open 'broken': No such file or directory" \
                "neardup: skipping 'loop-a': symbolic link loop" \
                "neardup: skipping 'tree/sub/up': symbolic link loop"
  ;;

special-files)
  mkfifo fifo
  mkdir dir && mkfifo dir/pipe && head -c 2000 "$S000" > dir/ok.txt
  python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind("sock")'
  # a fifo with no writer would block open(2): the scan must not even try
  timeout 60 "${WRAP[@]}" "$BIN" scan fifo /dev/zero /dev/null sock dir \
    > "$OUT" 2> "$RAWERR" < /dev/null
  RC=$?
  check_wrapper scan fifo /dev/zero /dev/null sock dir
  expect_rc 2
  expect_stderr "neardup: skipping 'fifo': not a regular file" \
                "neardup: skipping '/dev/zero': not a regular file" \
                "neardup: skipping '/dev/null': not a regular file" \
                "neardup: skipping 'sock': not a regular file" \
                "neardup: skipping 'dir/pipe': not a regular file"
  ;;

names)
  mkdir n
  text='the same paragraph in four files with awkward names'
  for f in 'n/with space.txt' $'n/new\nline.txt' $'n/bad\xffbyte.txt' 'n/q"u,o<b>&.txt'; do
    printf '%s\n' "$text" > "$f"
  done
  printf 'a\0b' > $'n/bin\tary\x01.txt'
  for fmt in text jsonl json csv; do
    nd scan -f "$fmt" --min-chars 5 n
    expect_rc 2
    expect_stderr "neardup: skipping 'n/bin\\x09ary\\x01.txt': binary file"
    cp "$OUT" "out.$fmt"
  done
  python3 - <<'PY' || fail "paths are not escaped right"
import csv, json
want = {"n/with space.txt", "n/new\nline.txt", "n/bad\ufffdbyte.txt", 'n/q"u,o<b>&.txt'}
docs = {json.loads(l)["path"] for l in open("out.jsonl", encoding="utf-8")
        if json.loads(l)["type"] == "document"}
assert docs == want, docs
j = json.load(open("out.json", encoding="utf-8"))
assert {d["path"] for d in j["documents"]} == want
rows = list(csv.reader(open("out.csv", encoding="utf-8", newline="")))
assert rows[0][3] == "path" and {r[3] for r in rows[1:]} == want, rows
text = open("out.text", encoding="utf-8").read()
assert all(ord(c) >= 32 or c == "\n" for c in text)
# names in the text report: control characters and invalid bytes escaped as
# the diagnostics write them (issue 17), not as spaces or U+FFFD
assert "n/new\\x0aline.txt" in text and "n/bad\\xffbyte.txt" in text, text
assert "n/new line.txt" not in text
PY
  ;;

many-files)
  mkdir many
  nfiles=100000
  [ "${ND_HOSTILE_SMALL:-0}" = 1 ] && nfiles=20000
  python3 - $nfiles <<'PY'
import os, sys
for i in range(int(sys.argv[1])):
    d = "many/%02d" % (i % 100)
    if i < 100: os.mkdir(d)
    with open("%s/f%06d.txt" % (d, i), "w") as f:
        f.write("tiny file number %d with a few words\n" % i)
PY
  nd scan -f jsonl many
  expect_rc 0
  expect_stderr
  expect_summary files $nfiles
  expect_summary paragraphs $nfiles
  rm -rf many
  ;;

full-disk)
  mkdir full
  if ! mount -t tmpfs -o size=16k tmpfs full 2> /dev/null; then
    if command -v unshare > /dev/null && unshare -rm true 2> /dev/null; then
      skip "cannot mount a tmpfs (not root); unshare works but the case needs a mount visible to the binary"
    fi
    skip "cannot mount a small tmpfs or loop device here (no CAP_SYS_ADMIN)"
  fi
  MOUNTED=$TMP/full
  nd scan -f json --emit-paragraphs -o full/report.json "$SEEDS"
  expect_rc 3
  expect_stderr "neardup: cannot write 'full/report.json': No space left on device"
  left=$(ls -A full)
  [ -z "$left" ] || fail "left behind on the full disk: $left"
  ;;

encodings)
  # broken text in other encodings: UTF-16 cut in the middle of a unit and
  # with lone surrogates, UTF-32 beyond U+10FFFF, GBK cut inside a
  # character, a byte-order mark and nothing else, a cp1252 file with the
  # five bytes cp1252 leaves undefined; all read, none crashes, every
  # output is valid UTF-8, offsets stay inside the files
  printf '\xff\xfeh\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0\n\0\x00\xd8x' > u16.txt
  printf 'h\0i\0 \0t\0h\0e\0r\0e\0,\0 \0o\0k\0\n\0\x00\xdcx\0' > u16-nobom.txt
  printf '\xff\xfe\0\0h\0\0\0\xff\xff\x11\0i\0\0\0' > u32.txt
  iconv -f UTF-8 -t GBK < "$S000" | head -c 5001 > gbk-cut.txt
  printf '\xff\xfe' > bom-only.txt
  printf 'Na\xefve caf\xe9 \x81\x8d\x8f\x90\x9d \x93quotes\x94 and \x96 dashes \x97 here\n' > holes.txt
  nd scan -f jsonl --emit-paragraphs --min-chars 1 u16.txt u16-nobom.txt u32.txt gbk-cut.txt \
    bom-only.txt holes.txt
  expect_rc 0
  expect_stderr "neardup: 'gbk-cut.txt': encoding guessed as gb18030" \
                "neardup: 'holes.txt': encoding guessed as windows-1252"
  expect_summary files 6
  iconv -f UTF-8 -t UTF-8 "$OUT" > /dev/null 2>&1 || fail "the report is not valid UTF-8"
  python3 - "$OUT" <<'PY' || fail "an offset lies outside its file"
import json, os, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
size = {r["path"]: r["bytes"] for r in recs if r["type"] == "document"}
for p, n in size.items():
    assert os.path.getsize(p) == n, (p, n)
for r in recs:
    if r["type"] == "paragraph":
        assert r["offset"] + r["length"] <= size[r["path"]], r
PY
  for f in text json csv html; do
    nd scan -f "$f" u16.txt u16-nobom.txt u32.txt gbk-cut.txt bom-only.txt holes.txt
    expect_rc 0
    iconv -f UTF-8 -t UTF-8 "$OUT" > /dev/null 2>&1 || fail "$f output is not valid UTF-8"
  done
  ;;

jsonl-malformed)
  # every malformed line is one warning naming FILE:LINE and why, and is
  # skipped (exit 2); blank lines are no records; the good records are read,
  # invalid UTF-8 in a text as in a plain file (U+FFFD)
  python3 - <<'PY'
with open("m.jsonl", "wb") as f:
    f.write(b"\xef\xbb\xbf" + b'{"text":"A first good record, long enough to be a paragraph."}\n')
    f.write(b'{"text":"cut in the middle\n')                  # 2
    f.write(b'{"text":"bad \xff byte"}\n')                    # 3: read (U+FFFD)
    f.write(b'{"text":"a NUL \x00 byte"}\n')                  # 4: raw control
    f.write(b"[" * 100000 + b"]" * 100000 + b"\n")           # 5: deep nesting
    f.write(b'{"text":"lone \\ud800 surrogate is U+FFFD"}\n') # 6: read
    f.write(b'{"text":"bad escape \\x41"}\n')                 # 7
    f.write(b'{"text":"\\u12"}\n')                            # 8: short \u
    f.write(b"\n  \t\r\n")                                    # 9, 10: blank
    f.write(b'{"text":["not","a","string"]}\n')               # 11
    f.write(b'{"txt":"no field"}\n')                          # 12
    f.write(b'"just a string"\n')                             # 13
    f.write(b'{"text":"two"} {"text":"values"}\n')            # 14
    f.write(b'{"text":"A last good record without a line terminator at the end."}')
PY
  nd scan -f jsonl --jsonl text m.jsonl
  expect_rc 2
  expect_stderr "neardup: skipping 'm.jsonl:2': malformed JSON Lines record (bad JSON: the record ends early)" \
    "neardup: skipping 'm.jsonl:4': malformed JSON Lines record (bad JSON: unexpected end of data)" \
    "neardup: skipping 'm.jsonl:5': malformed JSON Lines record (bad JSON: nesting too deep)" \
    "neardup: skipping 'm.jsonl:7': malformed JSON Lines record (bad JSON: invalid string sequence)" \
    "neardup: skipping 'm.jsonl:8': malformed JSON Lines record (bad JSON: invalid string sequence)" \
    "neardup: skipping 'm.jsonl:11': malformed JSON Lines record (field \"text\" is not a string)" \
    "neardup: skipping 'm.jsonl:12': malformed JSON Lines record (no field \"text\")" \
    "neardup: skipping 'm.jsonl:13': malformed JSON Lines record (not a JSON object)" \
    "neardup: skipping 'm.jsonl:14': malformed JSON Lines record (bad JSON: unexpected character)"
  expect_summary files 4
  expect_summary skipped 9
  grep '"type":"document"' "$OUT" | grep -o '"path":"[^"]*"' | tr '\n' ' ' > names
  [ "$(cat names)" = '"path":"m.jsonl:1" "path":"m.jsonl:3" "path":"m.jsonl:6" "path":"m.jsonl:15" ' ] ||
    fail "documents: $(cat names)"
  # a file of nothing but blank lines, an empty one: no records, no warning
  printf '\n\n' > blank.jsonl
  : > empty.jsonl
  nd scan -f jsonl --jsonl text blank.jsonl empty.jsonl
  expect_rc 0
  expect_stderr
  expect_summary files 0
  ;;

jsonl-escapes)
  # the same text as a plain file, as raw UTF-8 JSON, and as JSON with every
  # non-ASCII character escaped (astral ones as surrogate pairs): every
  # paragraph of each record clusters with the plain file's
  python3 - "$S001" <<'PY'
import json, sys
t = open(sys.argv[1], encoding="utf-8").read()[:6000]
t = t[:t.rfind("\n") + 1] + "Emoji \U0001F600\U0001F4A9 and \u00e9\u00e8 in a long enough paragraph.\n"
open("plain.txt", "w", encoding="utf-8").write(t)
with open("r.jsonl", "w", encoding="utf-8") as f:
    f.write(json.dumps({"text": t}, ensure_ascii=True) + "\n")
    f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
PY
  grep -q 'ud83d' r.jsonl || fail "no surrogate pair in the fixture"
  nd scan -f jsonl --emit-paragraphs --split line --jsonl text plain.txt r.jsonl
  expect_rc 0
  expect_stderr
  python3 - "$OUT" <<'PY' || fail "records do not match the plain file"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
docs = [r for r in recs if r["type"] == "document"]
paras = [r for r in recs if r["type"] == "paragraph"]
assert [d["path"] for d in docs] == ["plain.txt", "r.jsonl:1", "r.jsonl:2"], docs
by = {}
for p in paras:
    by.setdefault(p["doc"], []).append(p)
ok = len(by[0]) == len(by[1]) == len(by[2])
for a, b, c in zip(by[0], by[1], by[2]):
    if a["chars"] >= 20 and not (a["cluster"] is not None and a["cluster"] == b["cluster"] == c["cluster"]):
        ok = False; print("not one cluster:", a["line"])
    if a["chars"] != b["chars"] or a["chars"] != c["chars"]:
        ok = False; print("chars differ:", a["line"])
sys.exit(0 if ok else 1)
PY
  ;;

jsonl-gzip)
  # .jsonl.gz: records of the inflated stream; a corrupt one is skipped whole
  head -c 3000 "$S000" | python3 -c 'import json,sys; print(json.dumps({"text": sys.stdin.read()}))' > r.jsonl
  gzip -c r.jsonl > good.jsonl.gz
  head -c 100 good.jsonl.gz > cut.jsonl.gz
  cp good.jsonl.gz fake.jsonl   # gzip data whatever the name
  nd scan -f jsonl --jsonl text good.jsonl.gz cut.jsonl.gz fake.jsonl r.jsonl
  expect_rc 2
  expect_stderr "neardup: skipping 'cut.jsonl.gz': corrupt or truncated gzip data"
  grep '"type":"document"' "$OUT" | grep -c '"gzip":true' > ngz
  [ "$(cat ngz)" = 2 ] || fail "gzip documents: $(cat ngz)"
  expect_summary files 3
  ;;

interrupt)
  # SIGINT/SIGTERM while the scan reads standard input (deterministic) and
  # while it runs (a corpus that takes seconds): exit 130, "interrupted",
  # no report and no temporary file left in the output directory
  mkdir out corpus
  for i in $(seq 1 30); do
    for f in "$SEEDS"/*.txt; do sed "s/^/$i /" "$f" > "corpus/$i-$(basename "$f")"; done
  done
  for sig in INT TERM; do
    mkfifo in.fifo
    "${WRAP[@]}" "$BIN" scan -o out/report.json "$S000" - < in.fifo > "$OUT" 2> "$RAWERR" &
    pid=$!
    exec 9> in.fifo # the writer: the scan now blocks reading stdin
    printf 'some standard input\n' >&9
    sleep 1
    kill -s "$sig" "$pid"
    sleep 0.5
    exec 9>&-
    wait "$pid"
    RC=$?
    check_wrapper "scan (SIG$sig while reading)"
    expect_rc 130
    expect_stderr "neardup: interrupted"
    expect_none out/report.json
    [ -z "$(ls -A out)" ] || fail "left in the output directory: $(ls -A out)"
    rm -f in.fifo

    "${WRAP[@]}" "$BIN" scan --threads 2 -o out/report.json corpus > "$OUT" 2> "$RAWERR" < /dev/null &
    pid=$!
    sleep 1
    kill -s "$sig" "$pid"
    wait "$pid"
    RC=$?
    check_wrapper "scan (SIG$sig while scanning)"
    if [ "$RC" = 0 ]; then
      echo "note [$CASE]: the scan finished before SIG$sig arrived (too fast a machine)"
    else
      expect_rc 130
      expect_stderr "neardup: interrupted"
    fi
    [ "$RC" = 0 ] || expect_none out/report.json
    ls -A out | grep -q '^\.' && fail "temporary file left: $(ls -A out)"
    rm -f out/report.json
  done
  ;;

*)
  echo "unknown case '$CASE' (see --list)" >&2
  exit 2
  ;;
esac

[ "$FAILED" = 0 ] && echo "ok [$CASE]"
exit "$FAILED"
