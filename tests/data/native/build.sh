#!/usr/bin/env bash
# Builds the native test programs of this folder in variants for the symbolication oracle
# (tests/oracle/native_llvm.sh) and the unit tests:
#
#   tests/data/native/build.sh OUT_DIR
#
#   c-O0-dwarf4  c-O0-dwarf5  c-O2-dwarf4  c-O2-dwarf5        gcc, sources given by relative
#                                                             paths (names relative to DW_AT_comp_dir)
#   cpp-O0-dwarf4 cpp-O0-dwarf5 cpp-O2-dwarf4 cpp-O2-dwarf5   g++, absolute source paths
#   cpp-O2-gz     -gdwarf-5 -gz=zlib (SHF_COMPRESSED debug sections)
#   cpp-O2-split  strip --strip-debug + .gnu_debuglink to cpp-O2-split.debug
#                 (objcopy --only-keep-debug) in the same folder
#   rust-O2       rustc -g -C opt-level=2, only when rustc is on PATH (else skipped, said on stderr)
#
# Writes OUT_DIR/variants.txt: one "NAME BINARY" line per binary built. Up to two compilers
# run at once.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
cc=${CC:-gcc}
cxx=${CXX:-g++}

c_sources=(c/main.c c/util.c c/tree.c)
cpp_sources=("$here/cpp/main.cpp" "$here/cpp/geometry.cpp" "$here/cpp/text.cpp")

pids=()
# run CMD...: in the background, at most two at once.
run() {
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
  "$@" &
  pids+=($!)
}

build_c() { # NAME OPT DWARF
  (cd "$here" && "$cc" -std=c17 "$2" "-gdwarf-$3" -o "$out/$1" "${c_sources[@]}")
}
build_cpp() { # NAME OPT DWARF [EXTRA...]
  local name=$1 opt=$2 dwarf=$3
  shift 3
  "$cxx" -std=c++17 "$opt" "-gdwarf-$dwarf" "$@" -o "$out/$name" "${cpp_sources[@]}"
}
build_split() {
  build_cpp cpp-O2-split -O2 5
  objcopy --only-keep-debug "$out/cpp-O2-split" "$out/cpp-O2-split.debug"
  strip --strip-debug "$out/cpp-O2-split"
  (cd "$out" && objcopy --add-gnu-debuglink=cpp-O2-split.debug cpp-O2-split)
}

names=()
for opt in O0 O2; do
  for dwarf in 4 5; do
    run build_c "c-$opt-dwarf$dwarf" "-$opt" "$dwarf"
    names+=("c-$opt-dwarf$dwarf")
  done
done
for opt in O0 O2; do
  for dwarf in 4 5; do
    run build_cpp "cpp-$opt-dwarf$dwarf" "-$opt" "$dwarf"
    names+=("cpp-$opt-dwarf$dwarf")
  done
done
run build_cpp cpp-O2-gz -O2 5 -gz=zlib
names+=(cpp-O2-gz)
run build_split
names+=(cpp-O2-split)
if command -v rustc >/dev/null 2>&1; then
  run rustc -g -C opt-level=2 --edition 2021 -o "$out/rust-O2" "$here/rust/main.rs"
  names+=(rust-O2)
else
  echo "build.sh: rustc not found, rust-O2 skipped" >&2
fi
for pid in "${pids[@]}"; do
  wait "$pid"
done

for name in "${names[@]}"; do
  [ -s "$out/$name" ] || { echo "build.sh: $out/$name was not built" >&2; exit 1; }
  echo "$name $out/$name"
done > "$out/variants.txt"
