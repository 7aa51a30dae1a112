#!/usr/bin/env bash
# Builds the native-frames fixtures into DIR (default: the current directory):
#   crash        crash.c with -O2 -g (PIE), its DWARF kept
#   crash.debug  the DWARF split off with objcopy --only-keep-debug
#   crash.stripped  the same executable stripped, pointing at crash.debug by .gnu_debuglink
#   crash.rdynamic  crash.c linked with -rdynamic, so backtrace_symbols() prints `(func+0x…)`
# Needs gcc and binutils (objcopy, strip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-.}
mkdir -p "$out"
gcc -O2 -g -fno-omit-frame-pointer -Wl,--build-id=sha1 -o "$out/crash" "$here/crash.c"
objcopy --only-keep-debug "$out/crash" "$out/crash.debug"
strip --strip-all -o "$out/crash.stripped" "$out/crash"
objcopy --add-gnu-debuglink="$out/crash.debug" "$out/crash.stripped"
gcc -O2 -g -fno-omit-frame-pointer -rdynamic -Wl,--build-id=sha1 -o "$out/crash.rdynamic" "$here/crash.c"
