#!/usr/bin/env bash
# Oracle: `unravel addr2line` against `llvm-symbolizer --inlining --demangle` on native code.
#   1. The test programs of tests/data/native/ (C, C++ and, with rustc, Rust) built by its
#      build.sh: -O0/-O2, DWARF 4/5, compressed debug sections, a stripped binary with its
#      debug file found through .gnu_debuglink.
#   2. libc.so.6, whose debug file (Debian libc6-dbg) both tools must find by build-id under
#      /usr/lib/debug/.build-id/ (skipped when libc6-dbg is not installed).
#   3. The store: the split variant's debug file uploaded with `unravel upload symbols` and
#      looked up with `unravel addr2line --build-id ID --store DIR`, against llvm-symbolizer on
#      that debug file.
# Per binary 10,000 deterministic addresses in .text (tests/oracle/native/addresses.js), one
# process of each tool over all of them (stdin), answers compared address by address on
# function, file, line and inline depth, columns reported apart (tests/oracle/native/compare.js).
# Functions are compared by their raw (mangled) names, from a second run of both tools with
# demangling off: libiberty and LLVM 14 spell some demangled names differently; the share of
# identical demangled spellings is reported too.
# Fails when any binary agrees on fewer than 99.9% of its addresses.
# Env: UNRAVEL, SRC (run by tests/run-shell-test.sh in a temp dir).
set -euo pipefail
: "${UNRAVEL:?}" "${SRC:?}"
helpers="$SRC/tests/oracle/native"
count=${NATIVE_ORACLE_COUNT:-10000}
threshold=0.999
for tool in node llvm-symbolizer readelf nm objcopy strip gcc g++; do
  command -v "$tool" >/dev/null || { echo "native_llvm: missing $tool" >&2; exit 1; }
done
if ! help=$("$UNRAVEL" addr2line --help 2>&1) || grep -q 'not built yet' <<<"$help"; then
  echo "native_llvm: \`unravel addr2line --help\` fails or says it is not built yet" >&2
  exit 1
fi
ours_args=(addr2line -f -i -C --output-style llvm)
failed=()

# text_bounds FILE: prints "START END" (hex, no 0x) of FILE's .text section.
text_bounds() {
  local start size
  read -r start size < <(readelf -SW "$1" 2>/dev/null | sed 's/^ *\[ *[0-9]*\] *//' | awk '$1 == ".text" { print $3, $5 }')
  [ -n "${start:-}" ] || { echo "native_llvm: $1 has no .text" >&2; return 1; }
  printf '%x %x\n' "$((16#$start))" "$((16#$start + 16#$size))"
}

# check NAME BINARY SYMBOL_FILE SEED: addresses, both tools, comparison.
check() {
  local name=$1 bin=$2 syms=$3 seed=$4 start end
  read -r start end < <(text_bounds "$bin")
  nm -S --defined-only "$syms" > "$name.nm" 2>/dev/null || : > "$name.nm"
  node "$helpers/addresses.js" "$seed" "$count" "$start" "$end" "$name.nm" > "$name.addr"
  llvm-symbolizer --obj="$bin" --inlining --demangle < "$name.addr" > "$name.llvm"
  llvm-symbolizer --obj="$bin" --inlining --no-demangle < "$name.addr" > "$name.llvm-raw"
  if ! "$UNRAVEL" "${ours_args[@]}" -e "$bin" < "$name.addr" > "$name.ours" 2> "$name.err" ||
     ! "$UNRAVEL" "${ours_args[@]}" --no-demangle -e "$bin" < "$name.addr" > "$name.ours-raw" 2> "$name.err"; then
    echo "FAIL $name: unravel addr2line -e $bin exited non-zero: $(head -c 600 "$name.err")"
    failed+=("$name")
    return
  fi
  node "$helpers/compare.js" "$name" "$name.addr" "$name.ours" "$name.llvm" \
    --ours-raw "$name.ours-raw" --ref-raw "$name.llvm-raw" \
    --threshold "$threshold" --show 10 || failed+=("$name")
}

# --- 1. the test programs ----------------------------------------------------------------
bash "$SRC/tests/data/native/build.sh" bin
seed=1
while read -r name bin; do
  syms=$bin
  [ -f "$bin.debug" ] && syms=$bin.debug
  check "$name" "$bin" "$syms" "$seed"
  seed=$((seed + 1))
done < bin/variants.txt

# --- 2. libc by build-id -------------------------------------------------------------------
libc=/lib/x86_64-linux-gnu/libc.so.6
build_id=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
libc_debug=/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug
if [ -z "$build_id" ] || [ ! -f "$libc_debug" ]; then
  echo "skip libc: no debug file for $libc (build-id ${build_id:-none}; install Debian's libc6-dbg)"
else
  if readelf -SW "$libc_debug" 2>/dev/null | grep -q '\.gnu_debugaltlink'; then
    dwz="dwz-compressed (has .gnu_debugaltlink)"
  else
    dwz="not dwz-compressed"
  fi
  compressed=$(readelf -SW "$libc_debug" 2>/dev/null | awk '$2 == ".debug_info" && $0 ~ / C / { print "SHF_COMPRESSED"; exit }')
  echo "libc: $libc build-id $build_id, debug file $libc_debug: $dwz${compressed:+, $compressed sections}"
  check libc "$libc" "$libc_debug" 1000
fi

# --- 3. the store: lookups by build-id -----------------------------------------------------
if help=$("$UNRAVEL" upload symbols --help 2>&1) && ! grep -q 'not built yet' <<<"$help"; then
  split=bin/cpp-O2-split
  id=$(readelf -n "$split" | awk '/Build ID:/ { print $3; exit }')
  if ! "$UNRAVEL" upload symbols "$split.debug" --project oracle --version 1 --store store \
       > upload.out 2>&1; then
    echo "FAIL store: unravel upload symbols $split.debug: $(head -c 600 upload.out)"
    failed+=(store)
  elif ! "$UNRAVEL" "${ours_args[@]}" --build-id "$id" --store store < cpp-O2-split.addr \
         > store.ours 2> store.err ||
       ! "$UNRAVEL" "${ours_args[@]}" --no-demangle --build-id "$id" --store store \
         < cpp-O2-split.addr > store.ours-raw 2> store.err; then
    echo "FAIL store: unravel addr2line --build-id $id --store store: $(head -c 600 store.err)"
    failed+=(store)
  else
    # The store holds the debug file only, so the reference is llvm-symbolizer on that file
    # (the stripped binary's own symbol table, which --strip-debug thinned, is not there).
    llvm-symbolizer --obj="$split.debug" --inlining --demangle < cpp-O2-split.addr > store.llvm
    llvm-symbolizer --obj="$split.debug" --inlining --no-demangle < cpp-O2-split.addr \
      > store.llvm-raw
    node "$helpers/compare.js" "store (build-id $id)" cpp-O2-split.addr store.ours store.llvm \
      --ours-raw store.ours-raw --ref-raw store.llvm-raw \
      --threshold "$threshold" --show 10 || failed+=(store)
    # The same debug file by path and by build-id from the store: identical bytes.
    "$UNRAVEL" "${ours_args[@]}" -e "$split.debug" < cpp-O2-split.addr > split-debug.ours
    if cmp -s store.ours split-debug.ours; then
      echo "ok   store: --build-id answers are byte-identical to -e $split.debug"
    else
      echo "FAIL store: --build-id answers differ from -e $split.debug:"
      diff split-debug.ours store.ours | head -n 20 || true
      failed+=(store-vs-file)
    fi
  fi
else
  echo "skip store: \`unravel upload symbols --help\` fails or says it is not built yet"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "native_llvm: below ${threshold} agreement (or failed): ${failed[*]}" >&2
  exit 1
fi
echo "native_llvm: every binary agrees on >= ${threshold} of its addresses"
