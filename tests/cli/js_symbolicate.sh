# Symbolication through the store: text, Rollbar, Raygun and Firefox inputs; statuses; errors;
# the decoded-map cache. Uses a real terser build of tests/data/js-basic/shapes.js.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
terser="$NODE_MODULES/terser/bin/terser"
[ -x "$(command -v node)" ] || fail "node is required"

mkdir -p dist
cp "$SRC/tests/data/js-basic/shapes.js" shapes.js
node "$terser" shapes.js --toplevel -c -m --source-map "includeSources,url='app.min.js.map'" \
  -o dist/app.min.js
# The minified program throws: TypeError reading `value` of undefined inside computeArea.
if node dist/app.min.js 2> stack.txt; then fail "minified program did not throw"; fi
grep -q "TypeError" stack.txt || fail "no TypeError in: $(cat stack.txt)"

# Upload
$UNRAVEL upload sourcemaps dist --project shop --version 1.0.0 --store ./store > upload.txt
grep -q "1 script, 1 map" upload.txt || fail "upload summary: $(cat upload.txt)"

# Text (V8) input: the top frame names computeArea at the line of `shape.height.value`.
$UNRAVEL symbolicate stack.txt --project shop --version 1.0.0 --store ./store > out.txt
grep -q "at computeArea (shapes.js:6:" out.txt || fail "top frame: $(cat out.txt)"
grep -q "at totalArea (shapes.js:12:" out.txt || fail "second frame: $(cat out.txt)"
grep -q "TypeError" out.txt || fail "message line not echoed"

# JSON output keeps the input and adds resolved fields (1-based line and column).
$UNRAVEL symbolicate stack.txt --project shop --version 1.0.0 --store ./store --format json \
  --context 1 > out.json
node -e '
const o = JSON.parse(require("fs").readFileSync("out.json", "utf8"));
const f = o.exceptions[0].frames[0];
const r = f.resolved;
if (r.status !== "symbolicated" || r.function !== "computeArea" || r.source !== "shapes.js" || r.line !== 6)
  { console.error(JSON.stringify(f)); process.exit(1); }
if (!r.context || !r.context.context_line.includes("shape.height.value")) { console.error(JSON.stringify(r)); process.exit(1); }
if (r.approximate !== false) process.exit(1);
' || fail "json output"

# Positions of the first two frames, for the payloads below.
read -r line1 col1 < <(grep -m1 -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | awk -F: '{print $2, $3}')
read -r line2 col2 < <(grep -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | sed -n 2p | awk -F: '{print $2, $3}')

# Rollbar payload (frames oldest first, version from the payload, URL with a host and query).
cat > rollbar.json <<JSON
{"access_token":"x","data":{"environment":"production","code_version":"1.0.0","platform":"browser",
 "body":{"trace":{"exception":{"class":"TypeError","message":"boom"},
  "frames":[{"filename":"https://shop.example/app.min.js?v=1","lineno":$line2,"colno":$col2,"method":"n"},
            {"filename":"https://shop.example/app.min.js?v=1","lineno":$line1,"colno":$col1,"method":"o"}]}}}}
JSON
$UNRAVEL symbolicate rollbar.json --project shop --store ./store > rb.txt
grep -q "^TypeError: boom" rb.txt || fail "rollbar header: $(cat rb.txt)"
head -2 rb.txt | tail -1 | grep -q "at computeArea (shapes.js:6:" || fail "rollbar top frame: $(cat rb.txt)"
$UNRAVEL symbolicate rollbar.json --project shop --store ./store --format json > rb.json
node -e '
const o = JSON.parse(require("fs").readFileSync("rb.json", "utf8"));
const fr = o.data.body.trace.frames;
if (fr[1].method !== "o" || fr[1].resolved.function !== "computeArea") process.exit(1);
if (o.access_token !== "x") process.exit(1);
' || fail "rollbar json keeps the payload and adds resolved: $(cat rb.json)"

# Raygun entry without columns (raygun4node): approximate, first mapping of the line.
cat > raygun.json <<JSON
{"OccurredOn":"2026-01-01T00:00:00Z","Details":{"Version":"1.0.0","Error":{"ClassName":"TypeError",
 "Message":"boom","StackTrace":[{"LineNumber":$line1,"FileName":"/srv/shop/dist/app.min.js","MethodName":"o"}]}}}
JSON
$UNRAVEL symbolicate raygun.json --project shop --store ./store --format json > rg.json
node -e '
const o = JSON.parse(require("fs").readFileSync("rg.json", "utf8"));
const r = o.Details.Error.StackTrace[0].resolved;
if (r.status !== "symbolicated" || r.approximate !== true) { console.error(JSON.stringify(r)); process.exit(1); }
' || fail "raygun approximate: $(cat rg.json)"

# Firefox text, and a frame whose file has no map.
printf 'o@https://shop.example/app.min.js:%s:%s\nf@https://shop.example/vendor.js:1:10\n' \
  "$line1" "$col1" > firefox.txt
$UNRAVEL symbolicate firefox.txt --project shop --version 1.0.0 --store ./store --format json > ff.json
node -e '
const o = JSON.parse(require("fs").readFileSync("ff.json", "utf8"));
const fr = o.exceptions[0].frames;
if (fr[0].resolved.function !== "computeArea") process.exit(1);
if (fr[1].resolved.status !== "missing_sourcemap") process.exit(1);
' || fail "firefox: $(cat ff.json)"

# Explicit map mode, no store.
$UNRAVEL symbolicate stack.txt --sourcemap dist/app.min.js.map > explicit.txt
grep -q "at computeArea (shapes.js:6:" explicit.txt || fail "explicit mode: $(cat explicit.txt)"

# The decoded map is cached; a corrupt cache file is rebuilt, never trusted.
n=$(find store/cache -type f | wc -l)
[ "$n" -ge 1 ] || fail "no cache files after symbolication"
find store/cache -type f | while read -r f; do head -c 40 "$f" > "$f.tmp" && mv "$f.tmp" "$f"; done
$UNRAVEL symbolicate stack.txt --project shop --version 1.0.0 --store ./store > again.txt
cmp out.txt again.txt || fail "output changed after cache corruption"

# Errors: unknown project (1), not a trace (1), usage (2), missing input (3).
set +e
$UNRAVEL symbolicate stack.txt --project nope --store ./store 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "no project 'nope'" err.txt || fail "unknown project: rc=$rc $(cat err.txt)"
echo "hello world" > notrace.txt
$UNRAVEL symbolicate notrace.txt --project shop --store ./store 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "no stack frames" err.txt || fail "not a trace: rc=$rc $(cat err.txt)"
$UNRAVEL symbolicate stack.txt 2> err.txt; rc=$?
[ $rc -eq 2 ] || fail "usage: rc=$rc"
$UNRAVEL symbolicate missing.txt --project shop --store ./store 2> err.txt; rc=$?
[ $rc -eq 3 ] && grep -q "missing.txt" err.txt || fail "missing input: rc=$rc $(cat err.txt)"
# An invalid map is reported by upload with the file name, exit 1.
mkdir bad && echo 'x();' > bad/x.js && echo '{"version":3,"sources":[],"mappings":"!!"}' > bad/x.js.map
$UNRAVEL upload sourcemaps bad --project shop --version 1.0.1 --store ./store 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "x.js.map" err.txt || fail "invalid map upload: rc=$rc $(cat err.txt)"
set -e
echo "js_symbolicate: ok"
