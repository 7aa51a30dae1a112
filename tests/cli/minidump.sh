#!/usr/bin/env bash
# Minidumps from Breakpad's own test data (tests/data/minidump/, see its README) against
# Breakpad's expected output:
#   1. minidump2.dmp (Windows x86, STACK WIN unwinding) with --symbols-from the Breakpad
#      symbol directory: `--format breakpad-m` must equal minidump_stackwalk -m's output line
#      for line, except the kernel32 frame's function (Breakpad's test had kernel32's
#      symbols, we have none: module offset instead);
#   2. the text format names the crash reason, address and the frames like minidump_stackwalk;
#   3. linux_inline.dmp (Linux x86-64): the crashing frame is main at a.cpp:42 with the inlined
#      frames foo() b.cpp:39, bar() c.cpp:32, func() linux_inline.cpp:27 (Breakpad's resolver
#      test), the crash reason SIGILL;
#   4. the same .sym files uploaded into a store with `unravel upload symbols` serve the same
#      answers without --symbols-from.
# Env: UNRAVEL, SRC.
set -euo pipefail
: "${UNRAVEL:?}" "${SRC:?}"
data="$SRC/tests/data/minidump"
fail() { echo "minidump: $*" >&2; exit 1; }

# 1. breakpad-m
"$UNRAVEL" symbolicate "$data/minidump2.dmp" --symbols-from "$data/symbols" --format breakpad-m \
  > m.out 2> m.err || fail "breakpad-m: exit $?: $(cat m.err)"
grep -v '^0|3|kernel32.dll|' "$data/minidump2.stackwalk.machine_readable.out" > expected.txt
grep -v '^0|3|kernel32.dll|' m.out > got.txt
diff -u expected.txt got.txt || fail "breakpad-m differs from minidump_stackwalk -m (above)"
grep -qx '0|3|kernel32.dll||||0x16fd7' m.out || fail "kernel32 frame: $(grep kernel32.dll m.out | tail -1)"

# 2. text
"$UNRAVEL" symbolicate "$data/minidump2.dmp" --symbols-from "$data/symbols" > t.out 2>&1 ||
  fail "text: $(cat t.out)"
for want in 'EXCEPTION_ACCESS_VIOLATION_WRITE' 'Crash address: 0x45' \
  "test_app.exe!\`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]" \
  'test_app.exe!main [test_app.cc : 65 + 0x5]' 'Thread 0 (crashed)'; do
  grep -qF "$want" t.out || { cat t.out >&2; fail "text output lacks: $want"; }
done

# 3. linux_inline
"$UNRAVEL" symbolicate "$data/linux_inline.dmp" --symbols-from "$data/symbols" --format json \
  > li.json 2> li.err || fail "linux_inline: $(cat li.err)"
node -e '
const r = JSON.parse(require("fs").readFileSync("li.json", "utf8"));
const f = r.crashing_thread.frames[0];
const got = [...(f.inlines || []).map((i) => `${i.function} ${i.file}:${i.line}`), `${f.function} ${f.file}:${f.line}`];
const want = ["func() linux_inline.cpp:27", "bar() c.cpp:32", "foo() b.cpp:39", "main a.cpp:42"];
if (JSON.stringify(got) !== JSON.stringify(want)) { console.error("frame 0:", got, "want", want); process.exit(1); }
if (!/^SIGILL/.test(r.crash_info.type)) { console.error("crash type", r.crash_info.type); process.exit(1); }
if (f.trust !== "context") { console.error("trust", f.trust); process.exit(1); }
' || fail "linux_inline frames (above)"

# 4. from a store
"$UNRAVEL" project create crashy --store store > /dev/null
"$UNRAVEL" upload symbols "$data/symbols" --project crashy --version 1.0 --store store > up.txt ||
  fail "upload .sym: $(cat up.txt)"
grep -q '2 files (0 with debug info, 0 executables, 2 Breakpad .sym)' up.txt || fail "upload summary: $(cat up.txt)"
"$UNRAVEL" symbolicate "$data/minidump2.dmp" --store store --project crashy --format breakpad-m \
  > s.out 2> s.err || fail "store: $(cat s.err)"
diff -u m.out s.out || fail "breakpad-m from the store differs from --symbols-from (above)"

# bad input: a truncated dump is an error naming the problem, exit 1
head -c 300 "$data/minidump2.dmp" > cut.dmp
if "$UNRAVEL" symbolicate cut.dmp > cut.out 2>&1; then fail "a truncated minidump was accepted"; fi
grep -q 'cut.dmp' cut.out || fail "truncated dump error does not name the file: $(cat cut.out)"
echo "minidump: all checks passed"
