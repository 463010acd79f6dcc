#!/usr/bin/env bash
# Builds tests/consumer/example.c against glint and runs it on the bundled model.
#   run.sh install   BUILD_DIR SOURCE_DIR   installs BUILD_DIR, then builds with
#                                           find_package and with pkg-config
#   run.sh subdir    BUILD_DIR SOURCE_DIR   builds with add_subdirectory
set -euo pipefail
mode=$1 build=$2 src=$3
model="$src/tools/models/stories260K.gguf"
work=$(mktemp -d "${TMPDIR:-/tmp}/glint-consumer-XXXXXX")
trap 'rm -rf "$work"' EXIT
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

check_output() {
  local out
  out=$("$1" "$model" "Once upon a time")
  echo "$out"
  case "$out" in
    "Once upon a time, there was a little girl"*) ;;
    *) echo "unexpected output from $1" >&2; exit 1 ;;
  esac
}

case "$mode" in
  install)
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    cmake -S "$src/tests/consumer/project" -B "$work/fp" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >/dev/null
    cmake --build "$work/fp" >/dev/null
    check_output "$work/fp/example"
    # pkg-config: a plain compiler command line, as Makefile users write it.
    pc="$work/prefix/lib/pkgconfig"
    [ -d "$pc" ] || pc=$(dirname "$(find "$work/prefix" -name glint.pc | head -1)")
    flags=$(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs --static glint)
    # shellcheck disable=SC2086
    c++ -x c "$src/tests/consumer/example.c" -x none -o "$work/example-pc" $flags
    check_output "$work/example-pc"
    ;;
  subdir)
    cmake -S "$src/tests/consumer/project" -B "$work/sub" -DCMAKE_BUILD_TYPE=Release -DUSE_SUBDIRECTORY=ON \
      -DGLINT_SOURCE_DIR="$src" "${launcher[@]}" >/dev/null
    cmake --build "$work/sub" -j"${JOBS:-2}" >/dev/null
    check_output "$work/sub/example"
    ;;
  *) echo "usage: run.sh install|subdir BUILD_DIR SOURCE_DIR" >&2; exit 2 ;;
esac
