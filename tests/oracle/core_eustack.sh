#!/usr/bin/env bash
# Oracle: `unravel symbolicate CORE` against `eu-stack -i -s --core CORE` (elfutils) on real
# core files made at test time: the programs of tests/data/crash/ (a SIGSEGV in an inlined
# helper with three parked threads; abort() in a worker through an inlined check; an uncaught
# C++ exception in a worker ending in std::terminate/abort), built with gcc/g++ -O2 -g, run
# under gdb, which stops at the fatal signal and writes the core with `gcore` (so the
# machine's core_pattern does not matter).
# Per core: every thread eu-stack lists must be in unravel's output (by TID), and the crashing
# thread's frames (inlined frames expanded on both sides) must agree with eu-stack's on
# function and line for >= 95% of them (tests/oracle/crash/compare.js); also the crash reason.
# Env: UNRAVEL, SRC (run by tests/run-shell-test.sh in a temp dir).
set -euo pipefail
: "${UNRAVEL:?}" "${SRC:?}"
for tool in gcc g++ gdb eu-stack node; do
  command -v "$tool" > /dev/null || { echo "core_eustack: missing $tool" >&2; exit 1; }
done
data="$SRC/tests/data/crash"
threshold=95
ulimit -c 0 # the kernel's own core dumps stay off; gdb writes ours
fail=0
total_frames=0
total_agree=0

run_case() { # NAME SOURCE COMPILER EXPECTED_REASON
  local name=$1 src=$2 cc=$3 reason=$4
  "$cc" -O2 -g -pthread "$data/$src" -o "$name"
  timeout 120 gdb -q -batch -nx -ex 'set pagination off' -ex run -ex "gcore $name.core" \
    --args "./$name" > "$name.gdb.log" 2>&1 || true
  [ -s "$name.core" ] || { echo "core_eustack: $name: gdb wrote no core: $(tail -5 "$name.gdb.log")" >&2; fail=1; return; }
  eu-stack -i -s --core="$name.core" -e "./$name" > "$name.eu.txt" 2> "$name.eu.err" || true
  if ! "$UNRAVEL" symbolicate "$name.core" --format json > "$name.json" 2> "$name.err"; then
    echo "core_eustack: $name: unravel failed: $(cat "$name.err")" >&2
    fail=1
    return
  fi
  "$UNRAVEL" symbolicate "$name.core" > "$name.txt" 2>&1 || true
  node "$SRC/tests/oracle/crash/compare.js" "$name.json" "$name.eu.txt" "$name" | tee "$name.cmp"
  local result
  result=$(grep '^RESULT ' "$name.cmp")
  val() { tr ' ' '\n' <<< "$result" | awk -F= -v k="$1" '$1 == k {print $2}'; }
  local frames agree missing
  frames=$(val crash_frames)
  agree=$(val crash_agree)
  missing=$(val threads_missing)
  total_frames=$((total_frames + frames))
  total_agree=$((total_agree + agree))
  if [ "$missing" != 0 ]; then
    echo "core_eustack: $name: $missing thread(s) eu-stack lists are missing" >&2
    fail=1
  fi
  if [ "$frames" = 0 ] || [ $((agree * 100)) -lt $((frames * threshold)) ]; then
    echo "core_eustack: $name: crashing thread agrees on $agree of $frames frames (< $threshold%)" >&2
    sed -n '1,60p' "$name.txt" >&2
    fail=1
  fi
  local got
  got=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log((r.crash_info&&r.crash_info.type)||"")' "$name.json")
  case "$got" in
    "$reason"*) ;;
    *) echo "core_eustack: $name: crash reason '$got', expected '$reason…'" >&2; fail=1 ;;
  esac
}

run_case segv segv.c gcc "SIGSEGV"
run_case abort abort.c gcc "SIGABRT"
run_case throw throw.cc g++ "SIGABRT"
echo "core_eustack: crashing threads agree with eu-stack on $total_agree of $total_frames frames"
exit $fail
