#!/usr/bin/env bash
# tests/html/run.sh - renders the HTML reports in a real browser (headless
# Chromium) and asserts on the DOM it built.
#
#   tests/html/run.sh --bin PATH [--screenshot OUT.png]
#
# A missing browser is a failure (install it with scripts/setup.sh deps), not
# a skip.  --screenshot also saves a PNG of the scan report (docs/report.png
# is made this way).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=""
SHOT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --screenshot) SHOT=$2; shift 2 ;;
    *) echo "usage: $0 --bin PATH [--screenshot OUT.png]" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "run.sh: '$BIN' is not an executable" >&2; exit 2; }
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "FAIL: chromium is not installed (run scripts/setup.sh deps)"
  exit 1
fi
# The corpus and the screenshot (docs/report.png) hold Chinese: without an
# installed CJK font the browser draws boxes, so a missing one is a failure
# too (Debian fonts-noto-cjk, installed by scripts/setup.sh test; the page's
# font list names Noto Sans CJK SC).
if [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
  echo "FAIL: no CJK font is installed (fonts-noto-cjk; run scripts/setup.sh test)"
  exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nd-html.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
cd "$SRC" || exit 2
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

browser() { # browser ARGS... : one headless run with a fresh profile
  local ud
  ud=$(mktemp -d "$TMP/profile.XXXXXX")
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$ud" "$@" 2> "$TMP/browser.err"
}

count() { grep -o -- "$1" "$2" | wc -l; }

# --- scan report -------------------------------------------------------------
CORPUS=tests/html/corpus
"$BIN" scan -f html -o "$TMP/report.html" "$CORPUS" || fail "scan -f html failed"
"$BIN" scan -f jsonl "$CORPUS" > "$TMP/report.jsonl" || fail "scan -f jsonl failed"
docs=$(count '"type":"document"' "$TMP/report.jsonl")
clusters=$(count '"type":"cluster"' "$TMP/report.jsonl")
browser --dump-dom "file://$TMP/report.html" > "$TMP/dom.html" || fail "chromium --dump-dom failed"
[ -s "$TMP/dom.html" ] || { fail "empty DOM"; cat "$TMP/browser.err"; }
grep -q 'data-ready="1"' "$TMP/dom.html" || fail "the page's script did not run to the end"
cells=$(count '<td class="cell' "$TMP/dom.html")
[ "$cells" = $((docs * docs)) ] || fail "$cells matrix cells, expected $docs x $docs"
[ "$docs" = 5 ] || fail "$docs documents in the test corpus, expected 5"
got=$(count '<article class="cluster"' "$TMP/dom.html")
[ "$got" = "$clusters" ] || fail "$got clusters in the DOM, the report has $clusters"
[ "$clusters" -ge 4 ] || fail "only $clusters clusters in the test corpus"
grep -q "&lt;script&gt;document.documentElement.setAttribute('data-pwned','1')&lt;/script&gt; is not a tag" \
  "$TMP/dom.html" || fail "the <script> paragraph is not shown as text"
if grep -q '<html[^>]*data-pwned' "$TMP/dom.html"; then fail "the <script> paragraph was executed"; fi
rows=$(count '<tr data-a=' "$TMP/dom.html")
[ "$rows" = "$(count '"type":"overlap"' "$TMP/report.jsonl")" ] || fail "pair table has $rows rows"
grep -q '<del>' "$TMP/dom.html" || grep -q '<ins>' "$TMP/dom.html" || fail "no character differences marked"
if grep -E -q '(src|href)="(https?:)?//' "$TMP/report.html"; then fail "the report loads something from the network"; fi

# --- scan report with passages ----------------------------------------------
# A view per document pair, each passage marked on both sides with the ids its
# table links to; the <script> paragraph, copied, is text in the views too.
"$BIN" scan --passages -f html -o "$TMP/passages.html" "$CORPUS" || fail "scan --passages -f html failed"
"$BIN" scan --passages -f jsonl "$CORPUS" > "$TMP/passages.jsonl" || fail "scan --passages -f jsonl failed"
browser --dump-dom "file://$TMP/passages.html" > "$TMP/pdom.html" || fail "chromium --dump-dom (passages) failed"
grep -q 'data-ready="1"' "$TMP/pdom.html" || fail "passages: the page's script did not run to the end"
grep -q 'data-views="1"' "$TMP/pdom.html" || fail "passages: the pair views' script did not run to the end"
pairs=$(count '"type":"overlap"' "$TMP/passages.jsonl")
views=$(count '<details class="pairview"' "$TMP/pdom.html")
[ "$views" = "$pairs" ] || fail "passages: $views pair views, the report has $pairs overlaps"
[ "$pairs" -ge 3 ] || fail "passages: only $pairs overlapping pairs in the test corpus"
rows=$(count '<td class="num"><mark class="c[0-9m]*" data-v=' "$TMP/pdom.html")
[ "$rows" -ge "$pairs" ] || fail "passages: $rows passage rows for $pairs views"
for side in a b; do
  links=$(count "href=\"#v[0-9]*-$side-p[0-9]*\"" "$TMP/pdom.html")
  ids=$(count "id=\"v[0-9]*-$side-p[0-9]*\"" "$TMP/pdom.html")
  [ "$links" = "$rows" ] || fail "passages: $links links to side $side for $rows passage rows"
  [ "$ids" = "$rows" ] || fail "passages: side $side marks $ids passages for $rows passage rows"
done
grep -q '&lt;/script&gt; is not a tag' "$TMP/pdom.html" || fail "passages: <script> text not escaped"
if grep -q '<html[^>]*data-pwned' "$TMP/pdom.html"; then fail "passages: the <script> paragraph was executed"; fi
if grep -E -q '(src|href)="(https?:)?//' "$TMP/passages.html"; then fail "passages: the report loads something from the network"; fi

# --- compare report ----------------------------------------------------------
"$BIN" compare -f html -o "$TMP/compare.html" "$CORPUS/01_report_2023.txt" "$CORPUS/02_news_copy.txt" ||
  fail "compare -f html failed"
browser --dump-dom "file://$TMP/compare.html" > "$TMP/cdom.html" || fail "chromium --dump-dom (compare) failed"
grep -q 'data-ready="1"' "$TMP/cdom.html" || fail "the compare page's script did not run"
np=$("$BIN" compare -f jsonl "$CORPUS/01_report_2023.txt" "$CORPUS/02_news_copy.txt" | count '"type":"passage"' -)
[ "$np" -ge 3 ] || fail "only $np shared passages"
for side in a b; do
  ids=$(count "id=\"$side-p[0-9]*\"" "$TMP/cdom.html")
  [ "$ids" = "$np" ] || fail "side $side highlights $ids passages, expected $np"
done
grep -q '&lt;/script&gt; is not a tag' "$TMP/cdom.html" || fail "compare: <script> text not escaped"
if grep -q '<html[^>]*data-pwned' "$TMP/cdom.html"; then fail "compare: the <script> paragraph was executed"; fi

# --- screenshot --------------------------------------------------------------
browser --hide-scrollbars --window-size=1100,1300 --screenshot="$TMP/shot.png" \
  "file://$TMP/report.html" > /dev/null || fail "chromium --screenshot failed"
if [ "$(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
  fail "the screenshot is not a PNG"
fi
[ -n "$SHOT" ] && cp "$TMP/shot.png" "$SHOT"

if [ "$FAILED" != 0 ]; then exit 1; fi
echo "PASS [html]: $docs documents, $cells cells, $clusters clusters, $views pair views, $np passages"
