# Uploads over HTTP (multipart/form-data as Rollbar's): a source map with its original source
# posted after an item of its version arrived unresolved — background reprocessing must then
# resolve the stored occurrence; native debug files; multipart errors (missing parts, invalid
# map, oversize parts, bad bodies) with the server still serving; group-committed ingest under
# concurrent posts; SIGTERM exits cleanly.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
terser="$NODE_MODULES/terser/bin/terser"
[ -x "$(command -v node)" ] || fail "node is required"
[ -x "$(command -v curl)" ] || fail "curl is required"
[ -x "$(command -v gcc)" ] || fail "gcc is required"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# A build whose program throws inside computeArea; its map does NOT embed the source.
mkdir -p dist
cp "$SRC/tests/data/js-basic/shapes.js" shapes.js
node "$terser" shapes.js --toplevel -c -m --source-map "url='app.min.js.map'" -o dist/app.min.js
if node dist/app.min.js 2> stack.txt; then fail "minified program did not throw"; fi
read -r line1 col1 < <(grep -m1 -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | awk -F: '{print $2, $3}')
read -r line2 col2 < <(grep -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | sed -n 2p | awk -F: '{print $2, $3}')
node -e 'const m = JSON.parse(require("fs").readFileSync("dist/app.min.js.map", "utf8")); if (m.sourcesContent || m.sources[0] !== "shapes.js") process.exit(1)' ||
    fail "unexpected map: $(cat dist/app.min.js.map)"

$UNRAVEL project create shop --store ./store > project.txt
post_token=$(awk '$1 == "token" && $2 == "post_server_item,post_client_item" {print $3}' project.txt)
read_token=$($UNRAVEL token create --project shop --scope read --store ./store)
client_token=$($UNRAVEL token create --project shop --scope post_client_item --store ./store)

max_body=300000
$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file ready.txt --threads 4 \
    --max-body $max_body 2> serve.log &
server_pid=$!
pids+=($server_pid)
for _ in $(seq 100); do [ -s ready.txt ] && break; sleep 0.05; done
[ -s ready.txt ] || fail "server did not start"
base="http://$(cat ready.txt)"

req() { # METHOD PATH [curl args…]: prints the status; the body goes to body.json
    local method=$1 path=$2
    shift 2
    curl -s -o body.json -D headers.txt -w '%{http_code}' -X "$method" "$@" "$base$path"
}
expect() { # STATUS METHOD PATH [curl args…]
    local want=$1
    shift
    local got
    got=$(req "$@")
    [ "$got" = "$want" ] || fail "$1 $2: status $got, expected $want: $(cat body.json)"
}
json() { node -e "const o = JSON.parse(require('fs').readFileSync('body.json', 'utf8')); $1"; }
is_error() { # SUBSTRING: a JSON error whose message contains it
    node -e 'const o = JSON.parse(require("fs").readFileSync("body.json", "utf8"));
        if (o.err !== 1 || !o.message.includes(process.argv[1])) process.exit(1)' "$1" ||
        fail "expected an error mentioning '$1': $(cat body.json)"
}

# 1. An item of version 2.0.0 before any map: stored, its frames unresolved.
cat > item.json <<JSON
{"data":{"environment":"production","code_version":"2.0.0","platform":"browser","level":"error",
 "body":{"trace":{"exception":{"class":"TypeError","message":"Cannot read properties of undefined"},
  "frames":[{"filename":"https://shop.example/static/app.min.js","lineno":$line2,"colno":$col2,"method":"n"},
            {"filename":"https://shop.example/static/app.min.js","lineno":$line1,"colno":$col1,"method":"o"}]}}}}
JSON
expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data-binary @item.json
occurrence_id=$(json 'console.log(o.result.id)')
expect 200 GET "/api/1/occurrence/$occurrence_id" -H "X-Rollbar-Access-Token: $read_token"
json 'const fr = o.result.resolved.data.body.trace.frames; if (fr[fr.length - 1].resolved.status === "symbolicated") process.exit(1)' ||
    fail "resolved without a map: $(cat body.json)"

# 2. Multipart errors, each answered with a JSON error; nothing is stored by them.
map=(-F "source_map=@dist/app.min.js.map")
expect 403 POST /api/1/sourcemap -F version=2.0.0 -F minified_url=https://shop.example/static/app.min.js "${map[@]}"
is_error "missing access token"
expect 403 POST /api/1/sourcemap -F access_token="$client_token" -F version=2.0.0 \
    -F minified_url=https://shop.example/static/app.min.js "${map[@]}"
is_error "post_server_item"
expect 400 POST /api/1/sourcemap -F access_token="$post_token" \
    -F minified_url=https://shop.example/static/app.min.js "${map[@]}"
is_error "'version'"
expect 400 POST /api/1/sourcemap -F access_token="$post_token" -F version=2.0.0 "${map[@]}"
is_error "'minified_url'"
expect 400 POST /api/1/sourcemap -F access_token="$post_token" -F version=2.0.0 \
    -F minified_url=https://shop.example/static/app.min.js
is_error "'source_map'"
printf '{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,#"}' > bad.map
expect 422 POST /api/1/sourcemap -F access_token="$post_token" -F version=2.0.0 \
    -F minified_url=https://shop.example/static/app.min.js -F "source_map=@bad.map"
is_error "bad.map"
printf 'not json' > worse.map
expect 422 POST /api/1/sourcemap -F access_token="$post_token" -F version=2.0.0 \
    -F minified_url=https://shop.example/static/app.min.js -F "source_map=@worse.map"
is_error "source_map"
head -c 400000 /dev/zero | tr '\0' 'x' > big.js
expect 413 POST /api/1/sourcemap -F access_token="$post_token" -F version=2.0.0 \
    -F minified_url=https://shop.example/static/app.min.js "${map[@]}" -F "shapes.js=@big.js"
is_error "larger than $max_body"
# Without a Content-Length (chunked), the part itself hits the ceiling as it arrives.
expect 413 POST /api/1/sourcemap -H "Transfer-Encoding: chunked" -F access_token="$post_token" \
    -F version=2.0.0 -F minified_url=https://shop.example/static/app.min.js "${map[@]}" -F "shapes.js=@big.js"
is_error "larger than $max_body"
expect 415 POST /api/1/sourcemap -H "X-Rollbar-Access-Token: $post_token" --data-binary @dist/app.min.js.map
expect 400 POST /api/1/sourcemap -H "X-Rollbar-Access-Token: $post_token" \
    -H "Content-Type: multipart/form-data" --data-binary 'x'
is_error "boundary"
# A body that ends inside a part (no closing boundary).
printf -- '--XyZ\r\nContent-Disposition: form-data; name="version"\r\n\r\n2.0.0\r\n--XyZ\r\nContent-Disposition: form-data; name="source_map"; filename="a.map"\r\n\r\n{"version":3' > truncated.txt
expect 400 POST /api/1/sourcemap -H "X-Rollbar-Access-Token: $post_token" \
    -H "Content-Type: multipart/form-data; boundary=XyZ" --data-binary @truncated.txt
is_error "malformed multipart"
expect 405 GET /api/1/sourcemap
expect 200 GET /health
expect 200 GET "/api/1/occurrence/$occurrence_id" -H "X-Rollbar-Access-Token: $read_token"
json 'const fr = o.result.resolved.data.body.trace.frames; if (fr[fr.length - 1].resolved.status === "symbolicated") process.exit(1)' ||
    fail "resolved by a rejected upload: $(cat body.json)"

# 3. The map and its original source, as rollbar's docs show it (token in a part).
expect 200 POST /api/1/sourcemap -F access_token="$post_token" -F version=2.0.0 \
    -F minified_url=https://shop.example/static/app.min.js "${map[@]}" -F "shapes.js=@shapes.js"
json 'if (o.err !== 0 || o.result.sources !== 1 || o.result.version !== "2.0.0") process.exit(1)' ||
    fail "upload answer: $(cat body.json)"

# 4. Background reprocessing resolves the stored occurrence (bounded wait: 10 s).
resolved=no
for _ in $(seq 100); do
    expect 200 GET "/api/1/occurrence/$occurrence_id" -H "X-Rollbar-Access-Token: $read_token"
    if json 'const fr = o.result.resolved.data.body.trace.frames; const top = fr[fr.length - 1].resolved;
        if (top.status !== "symbolicated" || top.function !== "computeArea" || top.source !== "shapes.js" || top.line !== 6) process.exit(1);
        if (fr[0].resolved.function !== "totalArea") process.exit(1);' 2>/dev/null; then
        resolved=yes
        break
    fi
    sleep 0.1
done
[ $resolved = yes ] || fail "occurrence not reprocessed within 10 s: $(cat body.json)"
# The uploaded original source (the map embeds none) backs the context lines.
$UNRAVEL symbolicate item.json --project shop --store ./store --context 1 > context.txt ||
    fail "symbolicate: $(cat context.txt)"
grep -qF '> 6 |   return shape.width * shape.height.value;' context.txt || fail "no context from the uploaded source: $(cat context.txt)"
grep -q 'reprocessed 1 occurrences of version 2.0.0 (1 resolved' serve.log || fail "reprocess log"

# A new item of that version resolves at ingest.
node -e 'const fs = require("fs"); const o = JSON.parse(fs.readFileSync("item.json")); o.data.body.trace.exception.message = "again"; fs.writeFileSync("item2.json", JSON.stringify(o));'
expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data-binary @item2.json
id2=$(json 'console.log(o.result.id)')
expect 200 GET "/api/1/occurrence/$id2" -H "X-Rollbar-Access-Token: $read_token"
json 'const fr = o.result.resolved.data.body.trace.frames; if (fr[fr.length - 1].resolved.function !== "computeArea") process.exit(1)' ||
    fail "ingest after upload: $(cat body.json)"

# 5. Native debug files: a program built with -g, uploaded with its build-id.
cat > prog.c <<'C'
int leaf(int x) { return x * 3 + 1; }
int main(int argc, char **argv) { (void)argv; return leaf(argc); }
C
gcc -g -O0 -Wl,--build-id prog.c -o prog
build_id=$(readelf -n prog | awk '/Build ID:/ {print $3}')
[ ${#build_id} = 40 ] || fail "no build-id in prog: $build_id"
expect 200 POST /api/1/symbols -H "X-Rollbar-Access-Token: $post_token" -F version=2.0.0 -F "symbols=@prog"
json "const f = o.result.files; if (f.length !== 1 || f[0].name !== 'prog' || f[0].kind !== 'debuginfo' || f[0].build_id !== '$build_id') process.exit(1)" ||
    fail "symbols answer: $(cat body.json)"
leaf_addr=$(nm prog | awk '$3 == "leaf" {print "0x" $1}')
$UNRAVEL addr2line --store ./store --build-id "$build_id" "$leaf_addr" > a2l.txt || fail "addr2line: $(cat a2l.txt)"
grep -q '^leaf$' a2l.txt || fail "uploaded debug file not found by build-id: $(cat a2l.txt)"
expect 422 POST /api/1/symbols -H "X-Rollbar-Access-Token: $post_token" -F version=2.0.0 \
    -F "symbols=@prog" -F "other=@shapes.js"
is_error "shapes.js"
expect 400 POST /api/1/symbols -H "X-Rollbar-Access-Token: $post_token" -F version=2.0.0
is_error "no debug files"
expect 400 POST /api/1/symbols -H "X-Rollbar-Access-Token: $post_token" -F "symbols=@prog"
is_error "'version'"

# 6. Group commit: concurrent posts all acknowledged, each stored exactly once.
node -e '
const fs = require("fs");
for (let i = 0; i < 40; i++) {
  const o = JSON.parse(fs.readFileSync("item.json"));
  o.data.uuid = "00000000-0000-4000-8000-" + String(i).padStart(12, "0");
  o.data.body.trace.exception.message = "burst " + i;
  fs.writeFileSync("burst" + i + ".json", JSON.stringify(o));
}'
burst=()
for i in $(seq 0 39); do
    curl -s -o "burst$i.out" -w '%{http_code}' -H "X-Rollbar-Access-Token: $post_token" \
        --data-binary "@burst$i.json" "$base/api/1/item/" > "burst$i.code" &
    burst+=($!)
done
# Each post is waited for on its own, so a curl failure is reported, not swallowed by set -e.
for i in $(seq 0 39); do
    curl_status=0
    wait "${burst[$i]}" || curl_status=$?
    [ "$curl_status" = 0 ] || fail "burst $i: curl exited $curl_status ($(cat "burst$i.code" 2>/dev/null))"
    [ "$(cat "burst$i.code")" = 200 ] || fail "burst $i: $(cat "burst$i.code") $(cat "burst$i.out")"
done
ids=$(node -e 'const fs = require("fs"); const ids = new Set();
for (let i = 0; i < 40; i++) ids.add(JSON.parse(fs.readFileSync("burst" + i + ".out")).result.id);
console.log(ids.size)')
[ "$ids" = 40 ] || fail "40 distinct occurrence ids expected, got $ids"

# Still serving; SIGTERM drains and exits 0.
expect 200 GET /health
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
[ "$status" = 0 ] || fail "server exit status $status"
pids=()
grep -q 'group commits' serve.log || fail "no group-commit summary at stop"
echo "ok"
