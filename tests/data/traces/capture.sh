#!/bin/sh
# Regenerates the captured Node traces used by tests/unit/formats/trace.c:
# runs each script of src/ and keeps what Node printed on stderr, with this folder's path
# replaced by /app so the fixtures do not depend on where the checkout lives.
# Usage: tests/data/traces/capture.sh   (needs node; the committed .txt files came from v20)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/src"
for script in *.js *.mjs; do
    name=${script%.*}
    node "$script" 2>"$here/node-$name.raw" >/dev/null || true
    sed "s#file://$here/src#file:///app#g; s#$here/src#/app#g" "$here/node-$name.raw" \
        >"$here/node-$name.txt"
    rm -f "$here/node-$name.raw"
done
