# Native frames end to end: a -O2 -g program prints its own backtrace with glibc's
# backtrace_symbols_fd() (tests/data/native-frames/crash.c: a nested call chain with an
# inlined function); the lines are symbolicated from the file on disk, then from a stripped
# copy with its debug file uploaded to the store (by build-id, with --module NAME=BUILDID@BASE),
# then through the (func+0x…) form and a Symbolicator-shaped JSON payload; every answer is
# checked against llvm-symbolizer at the same module-relative addresses (minus one for callers).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v gcc > /dev/null || fail "gcc is required"
command -v llvm-symbolizer > /dev/null || fail "llvm-symbolizer is required"

"$SRC/tests/data/native-frames/build.sh" bin
./bin/crash > run.txt
grep -v '^maps:' run.txt > bt.txt
grep -q '^\./bin/crash(+0x[0-9a-f]*)' bt.txt || fail "unexpected backtrace: $(cat bt.txt)"

# Expected answer for the lines of module $2 (backtrace in $1) from llvm-symbolizer on $3:
# one "FUNCTION at FILE:LINE:COLUMN" per inline level, innermost first, frame 0 at its own
# offset and callers at offset - 1. Frames llvm-symbolizer cannot place (??) are skipped.
expected() {
  local trace=$1 module=$2 obj=$3 index=0 line off
  while IFS= read -r line; do
    if [[ $line == "$module("* ]]; then
      off=$(sed -n 's/^[^(]*(+\(0x[0-9a-f]*\)).*/\1/p' <<< "$line")
      if [ -n "$off" ]; then
        [ $index -gt 0 ] && off=$(printf '0x%x' $((off - 1)))
        llvm-symbolizer --obj="$obj" "$off" | awk 'NF == 0 { next }
          NR % 2 == 1 { fn = $0; next }
          $0 !~ /^\?\?/ && fn != "??" { print fn " at " $0 }'
      fi
    fi
    index=$((index + 1))
  done < "$trace"
}
# Our text answer for module basename $2 in output $1, in the same shape.
ours() {
  sed -n "s/^#[0-9]* *0x[0-9a-f]* in \\(.* at .*\\) ($2+0x[0-9a-f]*)\\( (inlined)\\)\\{0,1\\}\$/\\1/p" "$1"
}

# 1. From the file on disk: every frame of the program, inline levels expanded.
$UNRAVEL symbolicate bt.txt > out1.txt
expected bt.txt ./bin/crash bin/crash > want1.txt
ours out1.txt crash > got1.txt
[ "$(wc -l < want1.txt)" -ge 5 ] || fail "llvm-symbolizer gave too little: $(cat want1.txt)"
diff want1.txt got1.txt > /dev/null || fail "disk: differs from llvm-symbolizer:
$(diff want1.txt got1.txt)"
grep -q ' in print_trace at .*crash.c:[0-9]*:[0-9]* (crash+0x[0-9a-f]*)$' out1.txt ||
  fail "frame 0: $(cat out1.txt)"
grep -q ' in middle_function at .*crash.c:[0-9]*:[0-9]* (crash+0x[0-9a-f]*) (inlined)$' out1.txt ||
  fail "inlined frame not marked: $(cat out1.txt)"
grep -A1 ' in middle_function ' out1.txt | grep -q ' in outer_function at ' ||
  fail "inlined frame not followed by its caller: $(cat out1.txt)"
# Numbering: one #N per printed level, in order.
[ "$(sed -n 's/^#\([0-9]*\) .*/\1/p' out1.txt | tr '\n' ' ')" = "$(seq -s ' ' 0 $(($(grep -c '^#' out1.txt) - 1))) " ] ||
  fail "numbering: $(cat out1.txt)"

# JSON for text input: kind text, frames with address/module and resolved.frames.
$UNRAVEL symbolicate bt.txt --format json > out1.json
node -e '
const o = JSON.parse(require("fs").readFileSync("out1.json", "utf8"));
if (o.kind !== "text") throw new Error("kind");
const fr = o.exceptions[0].frames;
const f0 = fr[0], f2 = fr[2];
if (f0.resolved.status !== "symbolicated" || f0.resolved.frames[0].function !== "print_trace") throw new Error("f0 " + JSON.stringify(f0));
if (f0.resolved.adjusted !== false || fr[1].resolved.adjusted !== true) throw new Error("adjusted");
if (!/^0x[0-9a-f]+$/.test(f0.address) || f0.module !== "./bin/crash") throw new Error("input fields " + JSON.stringify(f0));
const levels = f2.resolved.frames.map(l => l.function + (l.inlined ? "*" : ""));
if (levels.join(",") !== "middle_function*,outer_function") throw new Error("inline " + levels);
if (typeof f2.resolved.frames[0].line !== "number" || !f2.resolved.build_id) throw new Error("f2 " + JSON.stringify(f2));
' || fail "text JSON: $(head -c 3000 out1.json)"

# Bare `[0x…]` lines name no module: the --module whose BASE and extent hold the address.
base1=$(awk '/^maps:/ { split($2, r, "-"); print r[1]; exit }' run.txt)
sed 's/.*\(\[0x[0-9a-f]*\]\)$/\1/' bt.txt > bare.txt
$UNRAVEL symbolicate bare.txt --module "bin/crash=@$base1" > out1b.txt
ours out1b.txt crash | diff want1.txt - > /dev/null || fail "bare addresses: $(cat out1b.txt)"
grep -q '\[unknown_image: the line names no module' out1b.txt || fail "libc bare address: $(cat out1b.txt)"

# 2. A stripped copy, its debug file only in the store, found by build-id.
mkdir -p strip && cp bin/crash.stripped strip/app
./strip/app > run2.txt
grep -v '^maps:' run2.txt > bt2.txt
build_id=$(readelf -n strip/app | awk '/Build ID/ { print $3 }')
base=$(awk '/^maps:/ { split($2, r, "-"); print r[1]; exit }' run2.txt)
[ -n "$build_id" ] && [ -n "$base" ] || fail "build-id '$build_id' or base '$base' missing"
# Without debug info anywhere: the module opens, nothing covers the address.
$UNRAVEL symbolicate bt2.txt > out2a.txt
grep -q '^#0  0x[0-9a-f]* in ?? (app+0x[0-9a-f]*) \[missing_symbol' out2a.txt ||
  fail "stripped without debug file: $(cat out2a.txt)"
if $UNRAVEL upload symbols --help > /dev/null 2>&1; then
  $UNRAVEL upload symbols bin/crash.debug --project native --version 1.0 --store ./store > up.txt
  $UNRAVEL symbolicate bt2.txt --module "app=$build_id@$base" --store ./store > out2.txt
  sed "s/^\.\/strip\/app(/.\/bin\/crash(/" bt2.txt > bt2-as-crash.txt
  expected bt2-as-crash.txt ./bin/crash bin/crash > want2.txt
  ours out2.txt app > got2.txt
  diff want2.txt got2.txt > /dev/null || fail "store by build-id: differs from llvm-symbolizer:
$(diff want2.txt got2.txt)"
  # The same with only the base: the store is searched by the build-id of the file on disk.
  $UNRAVEL symbolicate bt2.txt --module "app=@$base" --store ./store --project native > out2b.txt
  ours out2b.txt app | diff want2.txt - > /dev/null || fail "--module NAME=@BASE: $(cat out2b.txt)"
  # --module with a build-id that is stored nowhere: missing.
  $UNRAVEL symbolicate bt2.txt --module "app=0011223344@$base" --store ./store > out2c.txt
  grep -q '\[missing: no debug file with build-id 0011223344' out2c.txt || fail "unknown build-id: $(cat out2c.txt)"
else
  echo "native_symbolicate: upload symbols not available, store part skipped"
fi

# 3. `(func+0x…)` lines (-rdynamic): the symbol's address in the module plus the offset.
./bin/crash.rdynamic > run3.txt
# Frame 0 is a bare `[0x…]` (no module: unknown_image), so leaf_function is a caller (- 1).
echo '[0x1000]' > bt3.txt
grep '(leaf_function+0x\|(outer_function+0x\|(main+0x' run3.txt >> bt3.txt || fail "no symbol lines: $(cat run3.txt)"
$UNRAVEL symbolicate bt3.txt > out3.txt
grep -q '^#0  0x0000000000001000 in ?? \[unknown_image: ' out3.txt || fail "bare address: $(cat out3.txt)"
grep -q ' in leaf_function at .*crash.c:[0-9]*:[0-9]* (crash.rdynamic+0x' out3.txt || fail "func+off: $(cat out3.txt)"
leaf=$(sed -n 's/.*(leaf_function+\(0x[0-9a-f]*\)).*/\1/p' bt3.txt)
leaf_addr=$(nm bin/crash.rdynamic | awk '$3 == "leaf_function" { print $1 }')
want=$(llvm-symbolizer --obj=bin/crash.rdynamic $(printf '0x%x' $((0x$leaf_addr + leaf - 1))) | sed -n 2p)
grep -q " in leaf_function at $want " out3.txt || fail "func+off line: want $want, got $(cat out3.txt)"

# 4. A Symbolicator-shaped request built from run 1: modules from /proc/self/maps and
#    readelf -n; one frame outside every module, one in a module without symbols.
first=$(awk '/^maps:/ { split($2, r, "-"); print r[1]; exit }' run.txt)
last=$(awk '/^maps:/ { split($2, r, "-"); e = r[2] } END { print e }' run.txt)
size=$((0x$last - 0x$first))
cp bin/crash.stripped nodebug
strip --strip-all --remove-section=.gnu_debuglink nodebug
frames=$(grep '^\./bin/crash(' bt.txt | sed 's/.*\[\(0x[0-9a-f]*\)\].*/{"instruction_addr":"\1"}/' | paste -sd, -)
cat > request.json <<JSON
{"signal": 11,
 "modules": [
  {"type": "elf", "code_file": "$PWD/bin/crash", "code_id": "$(readelf -n bin/crash | awk '/Build ID/ { print $3 }')",
   "image_addr": "0x$first", "image_size": $size},
  {"type": "elf", "code_file": "$PWD/nodebug", "image_addr": "0x10000000", "image_size": 65536}],
 "stacktraces": [{"frames": [$frames, {"instruction_addr": "0x10001234"}, {"instruction_addr": 4096}]}]}
JSON
$UNRAVEL symbolicate request.json --format json > out4.json
$UNRAVEL symbolicate request.json > out4.txt
grep -q '^Stack trace 0 (signal 11):' out4.txt || fail "payload text header: $(cat out4.txt)"
grep -v '(app+\|nodebug' out4.txt | ours /dev/stdin crash > got4.txt
grep '^\./bin/crash(' bt.txt > bt4.txt
expected bt4.txt ./bin/crash bin/crash > want4.txt
diff want4.txt got4.txt > /dev/null || fail "payload text: differs from llvm-symbolizer:
$(diff want4.txt got4.txt)"
node -e '
const o = JSON.parse(require("fs").readFileSync("out4.json", "utf8"));
const fr = o.stacktraces[0].frames;
const n = fr.length;
if (fr[0].resolved.status !== "symbolicated" || fr[0].resolved.frames[0].function !== "print_trace") throw new Error("f0");
if (o.signal !== 11 || o.modules.length !== 2) throw new Error("payload fields not kept");
if (fr[n - 2].resolved.status !== "missing_symbol") throw new Error("nodebug " + JSON.stringify(fr[n - 2]));
if (fr[n - 1].resolved.status !== "unknown_image") throw new Error("outside " + JSON.stringify(fr[n - 1]));
if (fr[1].resolved.module_offset !== fr[1].resolved.file_address) throw new Error("PIE offsets");
' || fail "payload JSON: $(head -c 4000 out4.json)"

# Sentry event shape: frames caller first, debug_meta.images.
rev=$(grep '^\./bin/crash(' bt.txt | tac | sed 's/.*\[\(0x[0-9a-f]*\)\].*/{"instruction_addr":"\1"}/' | paste -sd, -)
cat > event.json <<JSON
{"release": "1.0", "platform": "native",
 "exception": {"values": [{"type": "SIGSEGV", "value": "Segfault", "stacktrace": {"frames": [$rev]}}]},
 "debug_meta": {"images": [{"type": "elf", "code_file": "$PWD/bin/crash", "image_addr": "0x$first", "image_size": $size}]}}
JSON
$UNRAVEL symbolicate event.json > out5.txt
grep -q '^SIGSEGV: Segfault' out5.txt || fail "event header: $(cat out5.txt)"
ours out5.txt crash > got5.txt
diff want4.txt got5.txt > /dev/null || fail "sentry event: $(diff want4.txt got5.txt)"

# --no-demangle and errors.
$UNRAVEL symbolicate bt.txt --no-demangle > /dev/null || fail "--no-demangle"
set +e
$UNRAVEL symbolicate bt.txt --module 'app=xyzw@1' 2> err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "not a hex digit" err.txt || fail "bad --module: rc=$rc $(cat err.txt)"
echo '{"modules": [{"image_addr": "zz"}], "stacktraces": []}' > bad.json
$UNRAVEL symbolicate bad.json 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "modules\[0\].image_addr" err.txt || fail "bad payload: rc=$rc $(cat err.txt)"
set -e
echo "native_symbolicate: ok"
