#!/usr/bin/env bash
# tests/install/run.sh - what `cmake --install` puts in a prefix, used the way
# a user outside the project would use it.  One ctest per case
# (tests/install/install.cmake, label "install"):
#
#   install    cmake --install BUILD --prefix PREFIX; every file is there; the
#              installed program finds the installed library ($ORIGIN RUNPATH)
#   symbols    libneardup.so exports exactly the functions neardup.h declares
#              (ND_API), nothing internal; SONAME libneardup.so.0
#   pkgconfig  consumer.c built with cc and `pkg-config --cflags --libs
#              neardup`: its counts on examples/seeds equal the program's
#   cmake      cmake_consumer/ built with find_package(neardup): the shared
#              and the static target, the same counts
#   man        every page renders with `man -l --warnings` and no warning;
#              every option of every command's --help is on its page
#   completion bash -n and a completion run; zsh -n (skipped visibly, exit 77,
#              without zsh)
#   readme     the C example of README.md ("## The library") compiles as
#              written against PREFIX, warning-free, and runs on the seeds
#
# Environment: ND_BUILD (build directory), ND_PREFIX (the temporary prefix,
# made by the install case), ND_SOURCE (source tree), ND_SEEDS, CC,
# ND_CONSUMER_CFLAGS (the sanitizer flags of a sanitizer build).
set -euo pipefail

cases="install symbols pkgconfig cmake man completion readme"
if [ "${1:-}" = --list ]; then
  tr ' ' '\n' <<<"$cases"
  exit 0
fi
case_name=${1:?usage: run.sh --list | run.sh CASE}
: "${ND_BUILD:?}" "${ND_PREFIX:?}" "${ND_SOURCE:?}" "${ND_SEEDS:?}"
CC=${CC:-cc}
read -r -a extra_cflags <<<"${ND_CONSUMER_CFLAGS:-}"
commands="scan clean compare params index query"
libdir=$ND_PREFIX/lib

fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nd-install-$case_name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# the counts of the summary record of `neardup scan -f jsonl`, as name value
program_counts() {
  "$ND_PREFIX/bin/neardup" scan -f jsonl "$ND_SEEDS" | awk "NR == 1" |
    grep -oE '"(files|paragraphs|clustered_paragraphs|clusters|verified_pairs)":[0-9]+' |
    sed -E 's/"([a-z_]+)":/\1 /'
}

# compares a consumer's output ($1) with the program's counts and version
check_consumer() {
  local out=$1 name=$2
  program_counts >"$work/expected"
  grep -E '^(files|paragraphs|clustered_paragraphs|clusters|verified_pairs) ' "$out" \
    >"$work/got" || true
  [ "$(wc -l <"$work/expected")" -eq 5 ] || fail "the program's summary lacks counts"
  diff -u "$work/expected" "$work/got" || fail "$name: counts differ from neardup scan"
  grep -qx "version $("$ND_PREFIX/bin/neardup" --version | cut -d' ' -f2)" "$out" ||
    fail "$name: another version of the library"
  local clusters
  clusters=$(grep -c '^cluster ' "$out" || true)
  [ "$clusters" -eq "$(awk '$1 == "clusters" {print $2}' "$work/expected")" ] ||
    fail "$name: $clusters cluster lines"
  echo "$name: $(tr '\n' ' ' <"$work/got")"
}

case $case_name in
install)
  rm -rf "$ND_PREFIX"
  cmake --install "$ND_BUILD" --prefix "$ND_PREFIX" >"$work/log" ||
    { cat "$work/log"; fail "cmake --install"; }
  for f in bin/neardup lib/libneardup.so lib/libneardup.so.0 lib/libneardup.a \
           include/neardup.h lib/pkgconfig/neardup.pc \
           lib/cmake/neardup/neardup-config.cmake \
           lib/cmake/neardup/neardup-config-version.cmake \
           lib/cmake/neardup/neardup-targets.cmake \
           share/man/man1/neardup.1 share/bash-completion/completions/neardup \
           share/zsh/site-functions/_neardup; do
    [ -e "$ND_PREFIX/$f" ] || fail "not installed: $f"
  done
  for c in $commands; do
    [ -e "$ND_PREFIX/share/man/man1/neardup-$c.1" ] || fail "no page neardup-$c.1"
  done
  [ -L "$libdir/libneardup.so" ] || fail "libneardup.so is not the link to the SONAME"
  # the installed program loads the installed library, not the build's
  readelf -d "$ND_PREFIX/bin/neardup" | grep -q 'RUNPATH.*\$ORIGIN/\.\./lib' ||
    fail "bin/neardup has no \$ORIGIN/../lib RUNPATH"
  loaded=$(ldd "$ND_PREFIX/bin/neardup" | awk '$1 == "libneardup.so.0" {print $3}')
  [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$libdir/libneardup.so.0")" ] ||
    { ldd "$ND_PREFIX/bin/neardup"; fail "bin/neardup does not load $libdir/libneardup.so.0"; }
  "$ND_PREFIX/bin/neardup" scan "$ND_SEEDS" >"$work/report"
  grep -q '^neardup report' "$work/report" || fail "the installed program's report"
  echo "installed into $ND_PREFIX: $(cd "$ND_PREFIX" && find . -type f -o -type l | wc -l) files"
  ;;
symbols)
  lib=$ND_BUILD/libneardup.so
  readelf -d "$lib" | grep -q 'SONAME.*\[libneardup\.so\.0\]' || fail "SONAME is not libneardup.so.0"
  # every defined dynamic symbol, and the functions the header declares
  nm -D --defined-only "$lib" | awk '{print $NF}' | sort >"$work/exported"
  # (preprocessor lines and comments out first)
  grep -v '^#' "$ND_SOURCE/include/neardup.h" | tr '\n' ' ' |
    sed 's:/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/: :g' |
    grep -oE '^ND_API [^;(]*\(|[^_A-Za-z0-9]ND_API [^;(]*\(' |
    sed -E 's/[[:space:]]*\($//; s/.*[^_A-Za-z0-9]//' | sort >"$work/declared"
  [ -s "$work/declared" ] || fail "no ND_API declaration found in neardup.h"
  if grep -v '^nd_' "$work/exported"; then
    fail "libneardup.so exports the symbols above, outside nd_*"
  fi
  diff -u "$work/declared" "$work/exported" ||
    fail "exported symbols (+) differ from the functions neardup.h declares (-)"
  # and no declaration without ND_API: a function declared at the start of a
  # line must carry it
  if grep -nE '^[a-z_][a-z0-9_ ]*[ *]nd_[a-z0-9_]+\(' "$ND_SOURCE/include/neardup.h"; then
    fail "declarations without ND_API above"
  fi
  echo "$(wc -l <"$work/exported") functions exported, as many as neardup.h declares"
  ;;
pkgconfig)
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  pkg-config --exists neardup || fail "pkg-config does not find neardup in $PKG_CONFIG_PATH"
  [ "$(pkg-config --modversion neardup)" = "$("$ND_PREFIX/bin/neardup" --version | cut -d' ' -f2)" ] ||
    fail "neardup.pc's version is not the program's"
  pkg-config --static --libs neardup | grep -q -- '-lsqlite3' ||
    fail "pkg-config --static --libs lacks the static dependencies"
  # shellcheck disable=SC2046
  "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror "${extra_cflags[@]}" \
    -o "$work/consumer" "$ND_SOURCE/tests/install/consumer.c" \
    $(pkg-config --cflags --libs neardup) -Wl,-rpath,"$libdir" ||
    fail "consumer.c does not build with pkg-config"
  "$work/consumer" "$ND_SEEDS" >"$work/out" || fail "the pkg-config consumer failed"
  check_consumer "$work/out" pkg-config
  ;;
cmake)
  cflags="${ND_CONSUMER_CFLAGS:-}"
  cmake -S "$ND_SOURCE/tests/install/cmake_consumer" -B "$work/build" \
    -DCMAKE_PREFIX_PATH="$ND_PREFIX" -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" >"$work/log" 2>&1 ||
    { cat "$work/log"; fail "find_package(neardup) project does not configure"; }
  cmake --build "$work/build" >>"$work/log" 2>&1 ||
    { cat "$work/log"; fail "find_package(neardup) project does not build"; }
  [ -x "$work/build/consumer_static" ] ||
    { cat "$work/log"; fail "neardup::neardup_static was not available"; }
  for kind in shared static; do
    "$work/build/consumer_$kind" "$ND_SEEDS" >"$work/out" || fail "consumer_$kind failed"
    check_consumer "$work/out" "find_package ($kind)"
  done
  # the shared one uses the installed library, the static one none
  loaded=$(ldd "$work/build/consumer_shared" | awk '$1 == "libneardup.so.0" {print $3}')
  [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$libdir/libneardup.so.0")" ] ||
    fail "consumer_shared does not load $libdir/libneardup.so.0"
  if ldd "$work/build/consumer_static" | grep -q libneardup; then
    fail "consumer_static loads libneardup"
  fi
  ;;
man)
  command -v man >/dev/null || fail "man is not installed (man-db, groff-base: scripts/setup.sh test)"
  # the check itself must be able to fail: a page with an unknown request
  printf '.TH T 1\n.SH NAME\nt \\- t\n.XYZZY\n.SH DESCRIPTION\nt\n' >"$work/bad.1"
  [ -n "$(MANWIDTH=80 man -l --warnings -E UTF-8 "$work/bad.1" 2>&1 >/dev/null)" ] ||
    fail "man -l --warnings does not report warnings here: the check would prove nothing"
  pages=0
  for page in "$ND_PREFIX"/share/man/man1/*.1; do
    warnings=$(MANWIDTH=80 man -l --warnings -E UTF-8 "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] || { echo "$warnings"; fail "$(basename "$page") renders with warnings"; }
    pages=$((pages + 1))
  done
  [ "$pages" -eq 7 ] || fail "$pages pages, expected neardup.1 and one per command (7)"
  for c in $commands; do
    MANWIDTH=200 man -l -E UTF-8 "$ND_PREFIX/share/man/man1/neardup-$c.1" 2>/dev/null \
      >"$work/page"
    # every long option --help lists, on the page, and the sections
    "$ND_PREFIX/bin/neardup" "$c" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' |
      sed -E 's/.*--//' | while read -r name; do
        grep -q -- "--$name" "$work/page" || fail "neardup-$c.1 lacks --$name"
      done
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' 'SEE ALSO'; do
      grep -q "^$s" "$work/page" || fail "neardup-$c.1 lacks the section $s"
    done
  done
  echo "$pages pages render without warnings and list every option"
  ;;
completion)
  bashc=$ND_PREFIX/share/bash-completion/completions/neardup
  bash -n "$bashc" || fail "bash completion: syntax"
  # a run: complete "neardup scan --form", "neardup scan -f ", "neardup ind"
  got=$(bash -c 'source "$1"
    COMP_WORDS=(neardup scan --form); COMP_CWORD=2; _neardup; echo "${COMPREPLY[*]}"
    COMP_WORDS=(neardup scan -f ""); COMP_CWORD=3; _neardup; echo "${COMPREPLY[*]}"
    COMP_WORDS=(neardup ind); COMP_CWORD=1; _neardup; echo "${COMPREPLY[*]}"
    COMP_WORDS=(neardup clean --no-t); COMP_CWORD=2; _neardup; echo "${COMPREPLY[*]}"' _ "$bashc")
  expected=$'--format\ntext jsonl json csv html\nindex\n--no-t2s'
  [ "$got" = "$expected" ] || { echo "got:"; echo "$got"; fail "bash completion results"; }
  echo "bash completion: syntax and results fine"
  if command -v zsh >/dev/null; then
    zsh -n "$ND_PREFIX/share/zsh/site-functions/_neardup" || fail "zsh completion: syntax"
    echo "zsh completion: syntax fine"
  else
    echo "SKIP: zsh is not installed; the zsh completion's syntax was not checked"
    exit 77
  fi
  ;;
readme)
  # the first ```c block after "## The library" in README.md, as written
  awk '/^## The library/ {lib = 1} lib && /^```c$/ {code = 1; next}
       code && /^```$/ {exit} code {print}' "$ND_SOURCE/README.md" >"$work/example.c"
  lines=$(wc -l <"$work/example.c")
  [ "$lines" -ge 10 ] || fail "no C example under '## The library' in README.md"
  grep -q 'int main' "$work/example.c" || fail "the README example is not a whole program"
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  # shellcheck disable=SC2046
  "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror "${extra_cflags[@]}" \
    -o "$work/example" "$work/example.c" \
    $(pkg-config --cflags --libs neardup) -Wl,-rpath,"$libdir" ||
    { cat -n "$work/example.c"; fail "the README example does not compile"; }
  (cd "$work" && ./example "$ND_SEEDS") >"$work/out" || fail "the README example failed"
  cat "$work/out"
  [ -s "$work/out" ] || fail "the README example printed nothing"
  echo "README example: $lines lines, compiles and runs"
  ;;
*) fail "unknown case '$case_name'" ;;
esac
