#!/usr/bin/env bash
# `unravel dump-syms` on a program built -O2 -g (tests/data/crash/segv.c):
#   1. the .sym has Breakpad's records: MODULE Linux x86_64 with the debug ID derived from the
#      build-id, INFO CODE_ID = the build-id, FILE, INLINE_ORIGIN, FUNC (main, process,
#      sum_scaled), INLINE (scale inlined into sum_scaled), line records, STACK CFI INIT;
#      every FUNC address is where `nm` puts that function (minus the load address);
#   2. the .sym alone resolves a real core of the program (gdb gcore) like the ELF does: the
#      crashing thread's frames in the program (functions, files, lines, inlined frames) are
#      the same when symbols come from --symbols-from DIR/segv/ID/segv.sym and when they come
#      from the executable itself;
#      and with --context the faulting line's source is printed under its frame;
#   3. `unravel upload symbols` takes the .sym (kind breakpad, same debug ID);
#   4. errors: a missing file and a non-ELF file exit 1 naming the file.
# Env: UNRAVEL, SRC.
set -euo pipefail
: "${UNRAVEL:?}" "${SRC:?}"
fail() { echo "dump_syms: $*" >&2; exit 1; }
for tool in gcc gdb nm node; do command -v $tool > /dev/null || fail "missing $tool"; done
gcc -O2 -g -pthread "$SRC/tests/data/crash/segv.c" -o segv

"$UNRAVEL" dump-syms segv -o segv.sym 2> ds.err || fail "dump-syms: $(cat ds.err)"
read -r _ os arch id name < <(head -1 segv.sym)
[ "$os $arch $name" = "Linux x86_64 segv" ] || fail "MODULE line: $(head -1 segv.sym)"
[[ $id =~ ^[0-9A-F]{33}$ ]] || fail "debug ID '$id'"
build_id=$(readelf -n segv | awk '/Build ID/ {print toupper($3)}')
grep -qx "INFO CODE_ID $build_id" segv.sym || fail "INFO CODE_ID: $(grep INFO segv.sym)"
# Breakpad's debug ID: the first 16 bytes of the build-id as a GUID (first three fields
# byte-swapped) + age 0
b=$build_id
want="${b:6:2}${b:4:2}${b:2:2}${b:0:2}${b:10:2}${b:8:2}${b:14:2}${b:12:2}${b:16:16}0"
[ "$id" = "$want" ] || fail "debug ID $id, expected $want"
for fn in main process sum_scaled; do
  addr=$(nm segv | awk -v f="$fn" '$3 == f {print $1}' | sed 's/^0*//')
  grep -Eq "^FUNC (m )?$addr [0-9a-f]+ [0-9a-f]+ $fn\$" segv.sym || fail "no FUNC $addr $fn: $(grep -E "FUNC.* $fn\$" segv.sym)"
done
grep -q '^INLINE_ORIGIN [0-9]* scale$' segv.sym || fail "no INLINE_ORIGIN scale"
grep -q '^INLINE 0 ' segv.sym || fail "no INLINE records"
grep -q '^STACK CFI INIT ' segv.sym || fail "no STACK CFI INIT records"
grep -Eq '^[0-9a-f]+ [0-9a-f]+ [0-9]+ [0-9]+$' segv.sym || fail "no line records"

# 2. a core resolved from the .sym alone
ulimit -c 0
timeout 120 gdb -q -batch -nx -ex run -ex 'gcore segv.core' --args ./segv > gdb.log 2>&1 || true
[ -s segv.core ] || fail "gdb wrote no core: $(tail -3 gdb.log)"
mkdir -p "symbols/segv/$id"
cp segv.sym "symbols/segv/$id/segv.sym"
"$UNRAVEL" symbolicate segv.core --format json --crashed-only > elf.json 2> e1.err || fail "$(cat e1.err)"
mv segv segv.hidden # the .sym must be what resolves the program's frames
"$UNRAVEL" symbolicate segv.core --format json --crashed-only --symbols-from symbols > sym.json 2> e2.err ||
  fail "$(cat e2.err)"
mv segv.hidden segv
node -e '
const fs = require("fs");
const pick = (p) => JSON.parse(fs.readFileSync(p, "utf8")).crashing_thread.frames
  .filter((f) => f.module === "segv")
  .map((f) => [...(f.inlines || []).map((i) => `${i.function} ${i.file}:${i.line}`), `${f.function} ${(f.file || "").split("/").pop()}:${f.line}`].join(" <- "));
const a = pick("elf.json"), b = pick("sym.json");
console.log("from the ELF:  " + a.join(" | "));
console.log("from the .sym: " + b.join(" | "));
if (a.length < 3 || JSON.stringify(a.map((s) => s.replace(/ \/[^ ]*\//g, " "))) !== JSON.stringify(b.map((s) => s.replace(/ \/[^ ]*\//g, " ")))) process.exit(1);
if (!/^scale .*segv.c:\d+ <- sum_scaled/.test(b[0])) process.exit(1);
' || fail "frames from the .sym differ from the ELF's (above)"

# source context from the source file on this machine (debug info names its path)
"$UNRAVEL" symbolicate segv.core --crashed-only --context 1 > ctx.txt 2>&1 || fail "context: $(cat ctx.txt)"
grep -Eq '^    > +[0-9]+      return p\[i\] \* 2; /\* p is NULL: the fault \*/$' ctx.txt ||
  fail "no source context for the faulting line: $(sed -n 1,30p ctx.txt)"

# 3. upload
"$UNRAVEL" project create p --store st > /dev/null
"$UNRAVEL" upload symbols segv.sym --project p --version 1 --store st > up.txt || fail "upload: $(cat up.txt)"
grep -q "debug ID $id" up.txt || fail "upload report: $(cat up.txt)"

# 4. errors
if "$UNRAVEL" dump-syms missing.bin > /dev/null 2> err.txt; then fail "a missing file was accepted"; fi
grep -q missing.bin err.txt || fail "error does not name the file: $(cat err.txt)"
echo 'not an ELF' > text.bin
set +e
"$UNRAVEL" dump-syms text.bin > /dev/null 2> err.txt
status=$?
set -e
[ $status = 1 ] || fail "non-ELF input: exit $status: $(cat err.txt)"
grep -q text.bin err.txt || fail "error does not name the file: $(cat err.txt)"
echo "dump_syms: all checks passed"
