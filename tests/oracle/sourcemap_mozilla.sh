#!/usr/bin/env bash
# Oracle: `unravel sourcemap lookup` against mozilla source-map 0.7 (originalPositionFor,
# default bias) on real bundler output:
#   terser -c -m --toplevel over lodash, acorn and marked (marked's map with a sourceRoot),
#   an esbuild --bundle --minify bundle importing all three plus a module with non-ASCII and
#   astral-plane strings (UTF-16 columns), the same bundle unminified with --source-root,
#   and an index map whose sections are three of those (two abutting on one line).
# Then > 100,000 deterministic positions, compared one by one (tests/oracle/sourcemap/).
# Env: UNRAVEL, NODE_MODULES, SRC (run by tests/run-shell-test.sh in a temp dir).
set -euo pipefail
: "${UNRAVEL:?}" "${NODE_MODULES:?}" "${SRC:?}"
helpers="$SRC/tests/oracle/sourcemap"
bin="$NODE_MODULES/.bin"
for tool in node "$bin/terser" "$bin/esbuild"; do
  command -v "$tool" >/dev/null || { echo "sourcemap_mozilla: missing $tool (run npm ci)" >&2; exit 1; }
done

# Inputs are copied next to the outputs so that maps name them by short relative paths.
mkdir -p src out
cp "$NODE_MODULES/lodash/lodash.js" "$NODE_MODULES/acorn/dist/acorn.js" \
   "$NODE_MODULES/marked/lib/marked.umd.js" src/
ln -s "$NODE_MODULES" node_modules

cat > src/strings.js <<'EOF'
// Non-ASCII text so that generated columns after it differ between UTF-16 and bytes.
export const greetings = ["héllo wörld", "日本語のテキスト", "🔥 fire 🔥", "𝒳𝒴𝒵 math", "emoji 👩‍💻 zwj"];
export function decorate(text, index) {
  const mark = index % 2 === 0 ? "✓" : "✗";
  return `${mark} ${greetings[index % greetings.length]} — ${text} 🎉`;
}
export class Banner {
  constructor(title) { this.title = "« " + title + " »"; }
  render(width) { return this.title.padEnd(width, "·") + " ⚡"; }
}
EOF
cat > src/entry.js <<'EOF'
import { greetings, decorate, Banner } from "./strings.js";
import _ from "lodash";
import * as acorn from "acorn";
import { marked } from "marked";

function describe(source) {
  const ast = acorn.parse(source, { ecmaVersion: 2022, sourceType: "module" });
  const kinds = _.countBy(ast.body, (node) => node.type);
  return _.map(_.toPairs(kinds), ([kind, n], i) => decorate(`${kind}×${n}`, i));
}

export function render(source) {
  const banner = new Banner("résumé 🚀");
  const lines = describe(source);
  const html = marked.parse(`# ${greetings[2]}\n\n${lines.map((l) => "- " + l).join("\n")}`);
  return banner.render(40) + "\n" + _.escape(html);
}

console.log(render("const a = 1; function f() { return a; } export { f };"));
EOF

# (a) terser over real library files, in parallel (2 cores).
"$bin/terser" src/lodash.js -c -m --toplevel --source-map "includeSources,url='lodash.min.js.map'" \
  -o out/lodash.min.js &
p1=$!
"$bin/terser" src/acorn.js -c -m --toplevel --source-map "includeSources" -o out/acorn.min.js &
p2=$!
wait $p1 $p2
"$bin/terser" src/marked.umd.js -c -m --toplevel \
  --source-map "includeSources,root='https://cdn.example.com/pkg'" -o out/marked.min.js &
p3=$!
# (b) esbuild minified bundle, non-ASCII kept as is (--charset=utf8).
"$bin/esbuild" src/entry.js --bundle --minify --sourcemap --charset=utf8 --preserve-symlinks --log-level=warning \
  --outfile=out/bundle.min.js
# (c) esbuild unminified bundle, with a sourceRoot without a trailing slash.
"$bin/esbuild" src/entry.js --bundle --sourcemap --charset=utf8 --preserve-symlinks --source-root=/srv/app \
  --log-level=warning --outfile=out/bundle.js
wait $p3
# (d) index map: acorn, then lodash on the same line (sections abut inside a line; lodash
# starts with a comment line that has no mappings), then the minified bundle on a new line.
node "$helpers/make_index_map.js" out/index.js.map out/index.js \
  out/acorn.min.js.map:out/acorn.min.js \
  out/lodash.min.js.map:out/lodash.min.js:same-line \
  out/bundle.min.js.map:out/bundle.min.js

node "$helpers/compare.js" "$UNRAVEL" "$NODE_MODULES" \
  out/lodash.min.js.map:out/lodash.min.js:25000 \
  out/acorn.min.js.map:out/acorn.min.js:20000 \
  out/marked.min.js.map:out/marked.min.js:12000 \
  out/bundle.min.js.map:out/bundle.min.js:25000 \
  out/bundle.js.map:out/bundle.js:15000 \
  out/index.js.map:out/index.js:20000
