#!/usr/bin/env bash
# End-to-end golden test of JavaScript symbolication, with node as the oracle.
#
# tests/data/js-app is a small script-style app (5 files) with several ways to fail. For each
# scenario we (a) run the ORIGINAL files with node: V8's stack is the ground truth of (file,
# line, column, function) per frame; (b) minify the app with the pinned terser the way a
# production build does (one bundle, --toplevel -c -m, default inlining, map with sources);
# (c) run the bundle: the real minified stack; (d) upload the build output; (e) symbolicate the
# minified stack; (f) check with harness/check.js that every bundle frame resolves to a
# frame of the ground truth, in order (inlining may drop frames), the throwing frame exactly,
# node's own frames are left unresolved, the text output rewrites only the app frames, and
# --context shows the right source lines.
#
# Environment: UNRAVEL, SRC, NODE_MODULES; runs in a fresh temporary directory.
set -euo pipefail
: "${UNRAVEL:?}" "${SRC:?}" "${NODE_MODULES:?}"
app_src=$SRC/tests/data/js-app
terser=$NODE_MODULES/terser/bin/terser
scenarios=(price quantity sku config rounding)
work=$PWD
failures=0

say() { printf '%s\n' "$*"; }
die() { say "js_node_e2e: $*" >&2; exit 1; }

# Runs node on an app entry and expects the scenario to fail with a stack on stderr.
# usage: run_failing OUT_STDERR ENTRY ARGS...
run_failing() {
  local out=$1; shift
  local rc=0
  node --stack-trace-limit=50 "$@" >"$out.stdout" 2>"$out" || rc=$?
  [ "$rc" -ne 0 ] || die "node $* succeeded; expected a stack trace (stdout: $(cat "$out.stdout"))"
  grep -q '^    at ' "$out" || die "node $* printed no stack:"$'\n'"$(cat "$out")"
}

# The app is copied so that the build and its output live in the temporary directory.
mkdir -p app/dist
cp -R "$app_src/src" app/
cp "$app_src/files.txt" app/
cp -R "$app_src/harness" app/
mapfile -t files < app/files.txt
[ "${#files[@]}" -ge 4 ] || die "files.txt lists ${#files[@]} files"

# (a) Ground truth from the original files.
for s in "${scenarios[@]}"; do
  run_failing "truth-$s.txt" app/harness/run-original.js "$s"
done
run_failing truth-uncaught.txt app/harness/run-original.js config --uncaught

# (b) Production build: one bundle, mangled and compressed with terser's default inlining.
(cd app && node "$terser" "${files[@]}" --toplevel -c -m \
  --source-map "includeSources,url='app.min.js.map'" -o dist/app.min.js) ||
  die "terser failed"
[ -s app/dist/app.min.js ] && [ -s app/dist/app.min.js.map ] || die "terser wrote no bundle or map"
[ "$(wc -l < app/dist/app.min.js)" -le 2 ] || die "the bundle is not minified"
bundle=$work/app/dist/app.min.js

# The bundle still behaves like the original.
node app/harness/run-original.js ok > ok-original.txt
node "$bundle" ok > ok-minified.txt
diff -u ok-original.txt ok-minified.txt || die "the minified app prints something else than the original"

# (c) The real minified stacks.
for s in "${scenarios[@]}"; do
  run_failing "minified-$s.txt" "$bundle" "$s"
  grep -qF "($bundle:1:" "minified-$s.txt" || die "minified stack of $s has no bundle frame"
done
# Uncaught: node's own crash report (source excerpt, caret, "Node.js vX") around the stack.
run_failing minified-uncaught.txt "$bundle" config --uncaught
grep -q '^Node.js v' minified-uncaught.txt || die "no crash report from node for --uncaught"

# (d) Upload the build output.
if ! "$UNRAVEL" upload sourcemaps app/dist --project demo --version 1.0.0 --store ./store > upload.txt 2>&1 ||
   grep -qE 'Sanitizer|runtime error:' upload.txt; then
  cat upload.txt
  die "upload sourcemaps failed"
fi
say "upload sourcemaps:"; sed 's/^/  | /' upload.txt

# (e) Symbolicate each stack three ways, then (f) check.
symbolicate() {
  local input=$1 out=$2; shift 2
  local rc=0
  "$UNRAVEL" symbolicate "$input" --project demo --version 1.0.0 --store ./store "$@" > "$out" 2> "$out.stderr" || rc=$?
  # Exit 1 (the input had problems) is allowed: node's internal frames have no source maps.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    say "FAIL: unravel symbolicate $input $* exited $rc:"; cat "$out.stderr"
    return 1
  fi
  # A sanitizer build may report and still exit 0 or 1.
  if grep -qE 'Sanitizer|runtime error:' "$out.stderr"; then
    say "FAIL: unravel symbolicate $input $*:"; cat "$out.stderr"
    return 1
  fi
}
check() {
  local name=$1 truth=$2 input=$3
  symbolicate "$input" "$name.json" --format json &&
  symbolicate "$input" "$name.text" &&
  symbolicate "$input" "$name.context.json" --format json --context 2 &&
  node app/harness/check.js --name "$name" --src-dir app/src --bundle "$bundle" \
    --truth "$truth" --minified "$input" --json "$name.json" --text "$name.text" \
    --context-json "$name.context.json" --context 2
}
for s in "${scenarios[@]}"; do
  check "$s" "truth-$s.txt" "minified-$s.txt" || failures=$((failures + 1))
done
check uncaught truth-uncaught.txt minified-uncaught.txt || failures=$((failures + 1))

# Stdin works like a file.
"$UNRAVEL" symbolicate - --project demo --version 1.0.0 --store ./store < minified-price.txt > stdin.text || true
if ! cmp -s stdin.text price.text; then
  say "FAIL stdin: symbolicate - differs from symbolicate FILE:"; diff -u price.text stdin.text || true
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  say "js_node_e2e: $failures failing checks"
  say "--- example: minified stack of price ---"; cat minified-price.txt
  say "--- symbolicated (text) ---"; cat price.text 2>/dev/null || true
  exit 1
fi
say "js_node_e2e: all ${#scenarios[@]} scenarios + uncaught + stdin ok"
