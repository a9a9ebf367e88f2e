#!/usr/bin/env bash
# scripts/setup.sh - installs what is missing (Debian 12), builds, and runs.
#
#   scripts/setup.sh run    install what running needs, build (no tests), scan
#                           the bundled sample corpus
#   scripts/setup.sh test   install everything, make three builds (normal,
#                           ASan/UBSan, libFuzzer), run every test
#   scripts/setup.sh deps   only install the Debian packages (all of them)
#   scripts/setup.sh build  install everything and build (build/, with tests)
#
# Needs root or sudo for apt-get when packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- packages: what running needs, and what only the tests need (issue 17) ---
# `run` installs RUN_PACKAGES and builds without the tests; `test`, `build`
# and `deps` install TEST_PACKAGES and MPI_PACKAGES too.
RUN_PACKAGES=(build-essential cmake pkg-config
              libxxhash-dev zlib1g-dev libutf8proc-dev libuchardet-dev
              libopencc-dev libopencc-data libarchive-dev libjson-c-dev
              libsqlite3-dev)
# Criterion (unit tests), the test archives, clang + its sanitizer runtime
# (fuzz build), clang-format (the style test), valgrind, hyperfine and xxhsum
# (benchmarks), python3 (the
# real-text test), chromium and a CJK font so Chinese renders (HTML test and
# docs/report.png), groff/man-db and zsh (man pages and
# completions, tests/install), pytest and venv (the Python binding, python/),
# and the packages whose texts tests/realtext reads
TEST_PACKAGES=(libcriterion-dev xxhash xz-utils zstd zip unzip
               clang clang-format libclang-rt-14-dev valgrind hyperfine python3
               chromium fonts-noto-cjk groff-base man-db zsh python3-pytest python3-venv
               fortunes fortunes-min fortunes-zh python3-doc wamerican miscfiles
               debian-reference-zh-cn git python3-pip distro-info-data netbase
               publicsuffix)
# neardup-mpi and its tests (issue 16): installed with test and build (the
# program is built when CMake finds MPI; `run` does not need it)
MPI_PACKAGES=(libopenmpi-dev openmpi-bin)

deps() {  # deps PACKAGE...
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
# --- end of the packages block ---

JOBS=$(nproc 2>/dev/null || echo 2)

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DND_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

case "${1:-run}" in
  deps)  deps "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${MPI_PACKAGES[@]}" ;;
  build) deps "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${MPI_PACKAGES[@]}"; build build -DND_BUILD_TESTS=ON -DND_BUILD_BENCH=ON ;;
  run)   deps "${RUN_PACKAGES[@]}"; build build -DND_BUILD_TESTS=OFF -DND_BUILD_BENCH=OFF
         ./build/neardup scan examples/seeds ;;
  test)
    deps "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${MPI_PACKAGES[@]}"
    build build -DND_BUILD_TESTS=ON -DND_BUILD_BENCH=ON
    (cd build && ctest --output-on-failure -j "$JOBS")
    build build-asan -DND_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DND_BUILD_BENCH=OFF
    (cd build-asan && ctest --output-on-failure -j "$JOBS" -LE valgrind)
    # libFuzzer harnesses (tests/fuzz), a short fixed number of runs each
    build build-fuzz -DND_FUZZ=ON -DCMAKE_C_COMPILER=clang -DND_BUILD_TESTS=OFF -DND_BUILD_BENCH=OFF
    (cd build-fuzz && ctest --output-on-failure -j "$JOBS" -L fuzz)
    ;;
  *) echo "usage: scripts/setup.sh [run|test|deps|build]" >&2; exit 1 ;;
esac
