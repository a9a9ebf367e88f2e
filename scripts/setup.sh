#!/usr/bin/env bash
# scripts/setup.sh - installs what is missing (Debian 12), builds, and runs.
#
#   scripts/setup.sh run    install, build, scan the bundled sample corpus
#   scripts/setup.sh test   install, build (normal + ASan/UBSan + fuzz), run every test
#   scripts/setup.sh deps   only install the Debian packages
#   scripts/setup.sh build  install and build (build/)
#
# Needs root or sudo for apt-get when packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config
          libxxhash-dev xxhash zlib1g-dev libutf8proc-dev libuchardet-dev
          libopencc-dev libopencc-data libarchive-dev xz-utils zstd zip unzip
          libcriterion-dev libjson-c-dev libsqlite3-dev
          clang libclang-rt-14-dev valgrind hyperfine python3
          chromium
          fortunes fortunes-min fortunes-zh python3-doc wamerican miscfiles
          debian-reference-zh-cn git python3-pip distro-info-data netbase
          publicsuffix
          # neardup-mpi and its tests (issue 16)
          libopenmpi-dev openmpi-bin)

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

JOBS=$(nproc 2>/dev/null || echo 2)

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DND_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

case "${1:-run}" in
  deps)  deps ;;
  build) deps; build build ;;
  run)   deps; build build; ./build/neardup scan examples/seeds ;;
  test)
    deps
    build build
    (cd build && ctest --output-on-failure -j "$JOBS")
    build build-asan -DND_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DND_BUILD_BENCH=OFF
    (cd build-asan && ctest --output-on-failure -j "$JOBS" -LE valgrind)
    # libFuzzer harnesses (tests/fuzz), a short fixed number of runs each
    build build-fuzz -DND_FUZZ=ON -DCMAKE_C_COMPILER=clang -DND_BUILD_TESTS=OFF -DND_BUILD_BENCH=OFF
    (cd build-fuzz && ctest --output-on-failure -j "$JOBS" -L fuzz)
    ;;
  *) echo "usage: scripts/setup.sh [run|test|deps|build]" >&2; exit 1 ;;
esac
