#!/bin/sh
# Regenerates the grouping fixtures: tests/data/js-basic/shapes.js minified by two different
# terser configurations (build a keeps top-level names; build b mangles them and inlines main
# and totalArea), each run with node to capture its real stack trace. Paths are rewritten to
# /srv/app/dist so the traces do not depend on the checkout's location.
# Usage: tests/data/grouping/make.sh [NODE_MODULES]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nm=${1:-$here/../../../node_modules}
cd "$here"
cp ../js-basic/shapes.js shapes.js
"$nm/.bin/terser" shapes.js --compress --mangle \
  --source-map "includeSources,url=build-a.min.js.map" -o build-a.min.js
"$nm/.bin/terser" shapes.js --compress passes=2,unsafe=true --mangle toplevel=true --toplevel \
  --source-map "includeSources,url=build-b.min.js.map" --preamble "/* build b */" -o build-b.min.js
rm shapes.js
for b in a b; do
  node build-$b.min.js 2>&1 | sed -n '/^TypeError/,$p' | grep -v '^Node.js' | grep -v '^$' |
    sed "s#$here/#/srv/app/dist/#" > trace-$b.txt || true
done
