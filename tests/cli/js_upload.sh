# Upload variants: sources found on disk (no sourcesContent), inline data: URL maps, a map named by
# sourceMappingURL in another directory, ignoreList, names without any original source,
# dry runs and re-uploads.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
terser="$NODE_MODULES/terser/bin/terser"
cp "$SRC/tests/data/js-basic/shapes.js" shapes.js

# 1. No sourcesContent: the original source is taken from disk, next to the map's `sources`.
mkdir -p plain/js
node "$terser" shapes.js --toplevel -c -m --source-map "url='app.min.js.map'" -o plain/js/app.min.js
sed -i 's#"sources":\["shapes.js"\]#"sources":["../../shapes.js"]#' plain/js/app.min.js.map
grep -q '"sources":\["../../shapes.js"\]' plain/js/app.min.js.map || fail "fixture: $(head -c 200 plain/js/app.min.js.map)"
if node plain/js/app.min.js 2> stack.txt; then fail "did not throw"; fi
$UNRAVEL upload sourcemaps plain --project p --version 1 --store ./store --url-prefix 'https://shop.example/' > up.txt
grep -q "1 source from disk, 0 embedded" up.txt || fail "sources from disk: $(cat up.txt)"
sed 's#/[^ ]*/plain/js/app.min.js#https://shop.example/js/app.min.js#' stack.txt > remote.txt
$UNRAVEL symbolicate remote.txt --project p --version 1 --store ./store --context 1 > out.txt
grep -q "at computeArea (../../shapes.js:6:" out.txt || fail "stored source: $(cat out.txt)"
grep -q "> 6 |   return shape.width \* shape.height.value;" out.txt || fail "context from disk source: $(cat out.txt)"
# A URL on another host does not match a key pinned to https://shop.example/.
sed 's#/[^ ]*/plain/js/app.min.js#https://evil.example/js/app.min.js#' stack.txt > other.txt
$UNRAVEL symbolicate other.txt --project p --version 1 --store ./store > other-out.txt
grep -q "missing_sourcemap" other-out.txt || fail "host pinning: $(cat other-out.txt)"

# 2. Inline data: URL map.
mkdir inline
node "$terser" shapes.js --toplevel -c -m --source-map "url=inline,includeSources" -o inline/app.js
grep -q "sourceMappingURL=data:application/json" inline/app.js || fail "fixture: no inline map"
if node inline/app.js 2> stack2.txt; then fail "did not throw"; fi
$UNRAVEL upload sourcemaps inline --project p --version 2 --store ./store > up2.txt
grep -q "1 script, 1 map" up2.txt || fail "inline upload: $(cat up2.txt)"
$UNRAVEL symbolicate stack2.txt --project p --version 2 --store ./store > out2.txt
grep -q "at computeArea (shapes.js:6:" out2.txt || fail "inline map: $(cat out2.txt)"

# 3. A map in another directory, named by a relative sourceMappingURL.
mkdir -p split/js split/maps
node "$terser" shapes.js --toplevel -c -m --source-map "includeSources,url='../maps/app.min.js.map'" \
  -o split/js/app.min.js
mv split/js/app.min.js.map split/maps/
$UNRAVEL upload sourcemaps split --project p --version 3 --store ./store > up3.txt
grep -q "1 script, 1 map" up3.txt || fail "relative map: $(cat up3.txt)"
if node split/js/app.min.js 2> stack3.txt; then fail "did not throw"; fi
$UNRAVEL symbolicate stack3.txt --project p --version 3 --store ./store > out3.txt
grep -q "at computeArea (shapes.js:6:" out3.txt || fail "relative map symbolication: $(cat out3.txt)"

# 4. ignoreList marks frames; explicit --sourcemap mode.
node -e '
const fs = require("fs");
const m = JSON.parse(fs.readFileSync("inline/app.js", "utf8").match(/base64,(.*)$/m)[1] &&
  Buffer.from(fs.readFileSync("inline/app.js", "utf8").match(/base64,(\S*)/)[1], "base64").toString());
m.ignoreList = [0]; m.file = "app.js";
fs.writeFileSync("ignored.map", JSON.stringify(m));'
$UNRAVEL symbolicate stack2.txt --sourcemap ignored.map --format json > ign.json
node -e '
const o = JSON.parse(require("fs").readFileSync("ign.json", "utf8"));
const r = o.exceptions[0].frames[0].resolved;
if (r.status !== "symbolicated" || r.in_ignore_list !== true) { console.error(JSON.stringify(r)); process.exit(1); }' \
  || fail "ignoreList: $(cat ign.json)"
$UNRAVEL symbolicate stack2.txt --sourcemap ignored.map | grep -q "\[ignore-listed\]" || fail "text marks ignore-listed"

# 5. No original source anywhere: names come from the minified scopes through `names`, and for
#    the anonymous IIFE terser made of totalArea, from the callee name at the caller's call site.
mkdir -p nosrc/src nosrc/dist
cp shapes.js nosrc/src/shapes.js
(cd nosrc && node "$terser" src/shapes.js --toplevel -c -m --source-map "url='app.min.js.map'" \
  -o dist/app.min.js)
if node nosrc/dist/app.min.js 2> stack5.txt; then fail "did not throw"; fi
rm nosrc/src/shapes.js
$UNRAVEL upload sourcemaps nosrc/dist --project p --version 5 --store ./store 2> warn5.txt > up5.txt
grep -q "src/shapes.js' is neither embedded" warn5.txt || fail "missing source warning: $(cat warn5.txt)"
$UNRAVEL symbolicate stack5.txt --project p --version 5 --store ./store --format json > out5.json
node -e '
const fr = JSON.parse(require("fs").readFileSync("out5.json", "utf8")).exceptions[0].frames;
const want = [["computeArea", "minified_scope", 6], ["totalArea", "call_site", 12]];
want.forEach(([fn, how, line], i) => {
  const r = fr[i].resolved;
  if (r.function !== fn || r.function_source !== how || r.line !== line) {
    console.error(i, JSON.stringify(r)); process.exit(1); }
});' || fail "names without sources: $(cat out5.json)"
# Sources that terser wrote relative to where it ran are found from the current directory too.
mkdir -p cwd/src && cp shapes.js cwd/src/shapes.js && cp -r nosrc/dist cwd/dist
(cd cwd && $UNRAVEL upload sourcemaps dist --project p --version 6 --store ../store > ../up6.txt)
grep -q "1 source from disk" up6.txt || fail "source relative to the current directory: $(cat up6.txt)"

# 6. Dry run stores nothing; re-upload replaces; problems name the file.
$UNRAVEL upload sourcemaps inline --project p --version 9 --store ./dry --dry-run > dry.txt
grep -q "dry run" dry.txt || fail "dry run summary: $(cat dry.txt)"
[ ! -e dry ] || fail "dry run created a store"
$UNRAVEL upload sourcemaps inline --project p --version 2 --store ./store -q
$UNRAVEL symbolicate stack2.txt --project p --version 2 --store ./store > again.txt
cmp out2.txt again.txt || fail "re-upload changed the answer"
set +e
$UNRAVEL upload sourcemaps nowhere --project p --version 1 --store ./store 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "nowhere" err.txt || fail "missing dir: rc=$rc $(cat err.txt)"
$UNRAVEL upload sourcemaps inline --project 'bad name' --version 1 --store ./store 2> err.txt; rc=$?
[ $rc -eq 2 ] || fail "bad project name: rc=$rc $(cat err.txt)"
$UNRAVEL upload sourcemaps inline --version 1 2> err.txt; rc=$?
[ $rc -eq 2 ] || fail "missing --project: rc=$rc"
set -e
echo "js_upload: ok"
