# unravel addr2line against the tools it replaces: byte-identical to llvm-symbolizer 14
# (--inlining --demangle, the default llvm style, plus -a/-p/-s/--no-inlines/--functions=none)
# and to GNU addr2line -f -i -C (gnu style; discriminators left out: the DWARF model does not
# keep them) over ~200+ addresses of a small -O2 -g program with inlined code, on DWARF 5 and
# DWARF 4; standard input (and coprocess use), a stripped binary found through
# .gnu_debuglink, .debug/ and --debug-dir/.build-id, a dwz supplementary file, the store's
# symcache, --build-id through the store, JSON, bad input and errors.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in gcc nm objcopy llvm-symbolizer addr2line; do
  command -v "$tool" > /dev/null || fail "$tool is required"
done
LLVM=llvm-symbolizer

cat > prog.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>

struct acc { long sum; int count; };

static inline int square_mix(int x)
{
    return x * x + (x >> 3);
}

static inline void add(struct acc *a, int v)
{
    a->sum += square_mix(v);
    a->count++;
}

static int __attribute__((noinline)) scale(int x, int k)
{
    if (x > 100000) {
        fprintf(stderr, "too big: %d\n", x);
        abort();
    }
    return x * k + 1;
}

long __attribute__((noinline)) work(int n)
{
    struct acc a = {0, 0};
    for (int i = 0; i < n; i++)
        add(&a, i ^ n);
    return a.sum / (a.count ? a.count : 1) + scale(n, 3);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    printf("%ld %d\n", work(n), scale(argc, 7));
    return 0;
}
EOF
gcc -O2 -g -o prog prog.c
gcc -O2 -gdwarf-4 -o prog4 prog.c

# Addresses: every function symbol at a few offsets inside it (and one past its end), plus
# addresses before the first function and far away.
addresses() {
  local start size off
  nm -S --defined-only "$1" | while read -r start size type name; do
    if [ -z "$name" ]; then # "ADDR TYPE NAME": no size
      name=$type type=$size size=0
      case "$type" in t | T | w | W) ;; *) continue ;; esac
      name=
    fi
    case "$type" in t | T | w | W) ;; *) continue ;; esac
    if [ -z "$name" ]; then # no size: the start and a little after it
      printf '0x%x\n0x%x\n' $((16#$start)) $((16#$start + 4))
      continue
    fi
    for ((off = 0; off < 16#$size && off < 600; off += 1)); do
      printf '0x%x\n' $((16#$start + off))
    done
    printf '0x%x\n' $((16#$start + 16#$size))
  done
  echo 0x0
  echo 0x10
  echo 0xffffffffffff
}
addresses prog > addrs.txt
addresses prog4 > addrs4.txt
count=$(wc -l < addrs.txt)
[ "$count" -ge 150 ] || fail "only $count addresses from nm: $(nm -S prog | head)"

mismatch() { # NAME OURS THEIRS
  if ! cmp -s "$2" "$3"; then
    diff "$2" "$3" | head -20 >&2
    fail "$1: $(diff "$2" "$3" | grep -c '^<') lines differ"
  fi
}

# 1. llvm style, addresses as arguments and on stdin, DWARF 5 and 4, and the llvm options.
$UNRAVEL addr2line -e prog $(cat addrs.txt) > ours.txt
$LLVM --obj=prog --inlining --demangle $(cat addrs.txt) > llvm.txt
mismatch "llvm style (arguments)" ours.txt llvm.txt
grep -q '^square_mix$' ours.txt || fail "no inlined frame in: $(head -20 ours.txt)"
grep -q '^scale\.constprop\.0$\|^scale$' ours.txt || fail "scale not named"
$UNRAVEL addr2line --obj=prog < addrs.txt > ours_stdin.txt
mismatch "llvm style (stdin)" ours_stdin.txt llvm.txt
$UNRAVEL addr2line --obj prog4 < addrs4.txt > ours4.txt
$LLVM --obj=prog4 < addrs4.txt > llvm4.txt
mismatch "llvm style (DWARF 4)" ours4.txt llvm4.txt
for opts in "-a" "-p" "-a -p" "-s" "--no-inlines" "--functions=none" "-p --no-inlines" "--no-demangle"; do
  $UNRAVEL addr2line -e prog $opts < addrs.txt > o.txt
  $LLVM --obj=prog $opts < addrs.txt > l.txt
  mismatch "llvm style $opts" o.txt l.txt
done

# 2. gnu style against GNU addr2line (binutils), DWARF 5 and 4, with its options.
strip_discriminators() { sed 's/ (discriminator [0-9]*)//'; }
for bin in prog prog4; do
  list=addrs.txt; [ "$bin" = prog4 ] && list=addrs4.txt
  for opts in "-f -i -C" "" "-f" "-i" "-a" "-a -p -f -i" "-p -i" "-f -s"; do
    $UNRAVEL addr2line -e $bin --output-style gnu $opts < $list > o.txt
    addr2line -e $bin $opts < $list | strip_discriminators > g.txt
    mismatch "gnu style ($bin) $opts" o.txt g.txt
  done
done
grep -q '??:0' g.txt || fail "no unknown address in the GNU comparison"

# 3. Input that is not an address: echoed back like llvm-symbolizer; GNU reads hex anyway.
printf 'foo\n\n11a0\n0x\n0x1g\nCODE 0x%s\n  0x%s trailing words\n+5\n99999999999999999999999\n0b11\n017\n4198\n' \
  "$(nm prog | awk '$3 == "main" {print $1}')" "$(nm prog | awk '$3 == "work" {print $1}')" > odd.txt
$UNRAVEL addr2line -e prog < odd.txt > o.txt
$LLVM --obj=prog < odd.txt > l.txt
mismatch "odd input lines (llvm)" o.txt l.txt
grep -qx foo o.txt || fail "garbage line not echoed"
$UNRAVEL addr2line -e prog --output-style gnu -a -f < odd.txt > o.txt
addr2line -e prog -a -f < odd.txt | strip_discriminators > g.txt
mismatch "odd input lines (gnu)" o.txt g.txt
printf '0x1' | $UNRAVEL addr2line -e prog > o.txt # no final newline
$LLVM --obj=prog 0x1 > l.txt
mismatch "last line without newline" o.txt l.txt

# 4. JSON: llvm-symbolizer's objects (we leave out Discriminator, StartFileName, StartLine,
# and StartAddress of inlined frames is approximate: compared without them).
json_norm() { sed 's/"Discriminator":[0-9]*,//g; s/,"StartFileName":"[^"]*","StartLine":[0-9]*//g; s/"StartAddress":"[^"]*"//g'; }
$UNRAVEL addr2line -e prog --output-style json < addrs.txt | json_norm > o.txt
$LLVM --obj=prog --output-style=JSON < addrs.txt | json_norm > l.txt
mismatch "json (stdin)" o.txt l.txt
$UNRAVEL addr2line -e prog --output-style JSON 0x0 bogus $(head -5 addrs.txt) | json_norm > o.txt
$LLVM --obj=prog --output-style=JSON 0x0 bogus $(head -5 addrs.txt) | json_norm > l.txt
mismatch "json (arguments: one array)" o.txt l.txt
if command -v node > /dev/null; then
  $UNRAVEL addr2line -e prog --output-style json $(head -20 addrs.txt) > arr.json
  node -e 'const a = JSON.parse(require("fs").readFileSync("arr.json", "utf8"));
    if (!Array.isArray(a) || a.length !== 20 || !a.every(o => o.Symbol && o.Address)) process.exit(1);' ||
    fail "json array does not parse: $(head -c 300 arr.json)"
fi

# 5. Coprocess: each answer arrives before the next address is written.
coproc A2L { $UNRAVEL addr2line -e prog; }
a2l_pid=$A2L_PID
first=$(sed -n 1p addrs.txt)
echo "$first" >&"${A2L[1]}"
IFS= read -r -t 10 fn <&"${A2L[0]}" || fail "coprocess: no answer within 10 s"
IFS= read -r -t 10 loc <&"${A2L[0]}" || fail "coprocess: no location line"
expected=$($LLVM --obj=prog "$first" | head -2 | tr '\n' '|')
[ "$fn|$loc|" = "$expected" ] || fail "coprocess answer '$fn|$loc|', expected '$expected'"
exec {A2L[1]}>&-
wait "$a2l_pid" || fail "coprocess exit status"

# 6. A stripped binary whose DWARF is in a separate file: .gnu_debuglink beside it, in .debug/,
# under --debug-dir by build-id; a debuglink whose CRC does not match is refused.
mkdir -p split/.debug byid
objcopy --only-keep-debug prog split/prog.debug
objcopy --strip-all --add-gnu-debuglink=split/prog.debug prog split/prog
$UNRAVEL addr2line -e split/prog < addrs.txt > o.txt
$LLVM --obj=split/prog < addrs.txt > l.txt
mismatch "stripped + debuglink (llvm)" o.txt l.txt
grep -q '^/.*prog.c:[0-9]*:[0-9]*$' o.txt || fail "no DWARF through the debuglink: $(head -5 o.txt)"
$UNRAVEL addr2line -e split/prog --output-style gnu -f -i -C < addrs.txt > o.txt
addr2line -e split/prog -f -i -C < addrs.txt | strip_discriminators > g.txt
mismatch "stripped + debuglink (gnu)" o.txt g.txt
$UNRAVEL addr2line -v -e split/prog 0x0 2> verbose.txt > /dev/null
grep -q "debug info from .*split/prog.debug" verbose.txt || fail "verbose: $(cat verbose.txt)"
mv split/prog.debug split/.debug/prog.debug
$UNRAVEL addr2line -e split/prog < addrs.txt > o2.txt
mismatch "debuglink in .debug/" o2.txt l.txt
build_id=$(readelf -n prog | awk '/Build ID/ {print $3}')
[ -n "$build_id" ] || fail "gcc made no build-id"
mkdir -p "byid/.build-id/${build_id:0:2}"
cp split/.debug/prog.debug "byid/.build-id/${build_id:0:2}/${build_id:2}.debug"
objcopy --strip-all prog stripped-nolink
$UNRAVEL addr2line -e stripped-nolink --debug-dir byid < addrs.txt > o3.txt
$LLVM --obj=stripped-nolink --debug-file-directory=byid < addrs.txt > l3.txt
mismatch "build-id under --debug-dir" o3.txt l3.txt
cmp -s o3.txt o2.txt || fail "build-id and debuglink lookups differ"
# A debug file for another build (different build-id and CRC) is not used.
gcc -O1 -g -o other prog.c
objcopy --only-keep-debug other split/.debug/prog.debug
$UNRAVEL addr2line -e split/prog -v < addrs.txt > o4.txt 2> verbose.txt
grep -q "no debug file found" verbose.txt || fail "mismatched debuglink accepted: $(cat verbose.txt)"
grep -q 'prog.c' o4.txt && fail "line info from a mismatched debug file"

# 7. dwz: the supplementary file is followed (the same answers as without dwz; llvm 14 and
# binutils themselves get dwz inline names wrong, so they are not the oracle here).
if command -v dwz > /dev/null; then
  cp prog dz1
  cp prog4 dz2
  if dwz -m common.dwz -M "$PWD/common.dwz" dz1 dz2 2> dwz.txt && readelf -S dz1 | grep -q gnu_debugaltlink; then
    $UNRAVEL addr2line -v -e dz1 < addrs.txt > o.txt 2> verbose.txt
    grep -q "dwz" verbose.txt || fail "dwz file not used: $(cat verbose.txt)"
    mismatch "dwz" o.txt llvm.txt
  else
    echo "note: dwz made no supplementary file here: $(cat dwz.txt)"
  fi
fi

# 8. The store's symcache: the second run reads no DWARF and answers the same.
$UNRAVEL addr2line -e prog --store ./store -v < addrs.txt > c1.txt 2> v1.txt
$UNRAVEL addr2line -e prog --store ./store -v < addrs.txt > c2.txt 2> v2.txt
mismatch "store cache (cold)" c1.txt llvm.txt
mismatch "store cache (warm)" c2.txt llvm.txt
grep -q "cached symcache" v1.txt && fail "first run claims a cache hit"
grep -q "cached symcache" v2.txt || fail "second run did not use the cache: $(cat v2.txt)"
$UNRAVEL addr2line -e prog --store ./store --output-style gnu -f -i -C < addrs.txt > c3.txt
addr2line -e prog -f -i -C < addrs.txt | strip_discriminators > g.txt
mismatch "store cache (gnu variant)" c3.txt g.txt
# A corrupt cache file is rebuilt.
for f in $(find store/cache -type f); do printf 'garbage' > "$f"; done
$UNRAVEL addr2line -e prog --store ./store < addrs.txt > c4.txt
mismatch "corrupt cache rebuilt" c4.txt llvm.txt

# 9. --build-id through the store (needs `unravel upload symbols`).
if $UNRAVEL upload symbols --help > /dev/null 2>&1; then
  $UNRAVEL upload symbols split/prog stripped-nolink "byid/.build-id/${build_id:0:2}/${build_id:2}.debug" \
    --project p --version 1 --store ./store2 > upload.txt || fail "upload symbols: $(cat upload.txt)"
  $UNRAVEL addr2line --build-id "$build_id" --store ./store2 < addrs.txt > b.txt
  grep -q '^/.*prog.c:[0-9]*:[0-9]*$' b.txt || fail "--build-id: no DWARF: $(head -5 b.txt)"
  $UNRAVEL addr2line --build-id "$build_id" --store ./store2 --project p 0x0 > /dev/null ||
    fail "--build-id with --project"
  set +e
  $UNRAVEL addr2line --build-id 0123456789abcdef --store ./store2 0x0 > /dev/null 2> err.txt
  rc=$?
  set -e
  [ $rc -eq 1 ] || fail "unknown build-id: exit $rc"
  grep -q "0123456789abcdef" err.txt || fail "unknown build-id not named: $(cat err.txt)"
else
  echo "skipped: --build-id through the store (unravel upload symbols is not built yet)"
fi

# 10. Errors: exit codes and messages naming what is wrong.
expect_exit() { # CODE PATTERN ARGS...
  local code=$1 pattern=$2
  shift 2
  set +e
  "$UNRAVEL" addr2line "$@" < /dev/null > out.txt 2> err.txt
  local rc=$?
  set -e
  [ $rc -eq "$code" ] || fail "addr2line $*: exit $rc, expected $code ($(cat err.txt))"
  grep -q -- "$pattern" err.txt || fail "addr2line $*: message '$(cat err.txt)' lacks '$pattern'"
}
expect_exit 1 "missing-file" -e missing-file 0x0
echo "not an elf" > notelf
expect_exit 1 "notelf" -e notelf 0x0
expect_exit 1 "build-id" --build-id abcdef12 0x0
expect_exit 1 "build-id" --build-id xyz 0x0
expect_exit 2 "exactly one" 0x0
expect_exit 2 "exactly one" -e prog --build-id abcd 0x0
expect_exit 2 "unknown option" -e prog --frobnicate 0x0
expect_exit 2 "output-style" -e prog --output-style yaml 0x0
expect_exit 2 "needs a value" -e
$UNRAVEL help addr2line | grep -q "llvm-symbolizer" || fail "help text"
$UNRAVEL addr2line --help | grep -q "Examples" || fail "--help"
echo "addr2line: ok ($count addresses)"
