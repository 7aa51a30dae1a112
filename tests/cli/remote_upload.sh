# The build side against a running service: `unravel upload sourcemaps|symbols --url --token`
# and `unravel deploy` (remote and local). A terser build's maps (sources from disk, not
# embedded) are sent to `unravel serve`, a Rollbar item is posted with curl and read back
# symbolicated. Retries: a port where nothing listens (exit 3 after 4 tries, bounded time) and a
# fake server answering 429 with Retry-After, then 503, then 200. A wrong token shows the
# server's 403 message and is never printed; deploy create, patch and 409.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
terser="$NODE_MODULES/terser/bin/terser"
[ -x "$(command -v node)" ] || fail "node is required"
[ -x "$(command -v curl)" ] || fail "curl is required"
unset UNRAVEL_URL UNRAVEL_TOKEN

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# A build whose program throws inside computeArea; the map does not embed its source, so the
# upload sends shapes.js from disk as a part of its own.
mkdir -p dist
cp "$SRC/tests/data/js-basic/shapes.js" shapes.js
node "$terser" shapes.js --toplevel -c -m --source-map "url='app.min.js.map'" -o dist/app.min.js
grep -q sourcesContent dist/app.min.js.map && fail "fixture: the map embeds its sources"
if node dist/app.min.js 2> stack.txt; then fail "minified program did not throw"; fi
read -r line1 col1 < <(grep -m1 -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | awk -F: '{print $2, $3}')
[ -n "$col1" ] || fail "no frame in $(cat stack.txt)"

$UNRAVEL project create shop --store ./store > project.txt
post_token=$(awk '$1 == "token" && $2 == "post_server_item,post_client_item" {print $3}' project.txt)
rw_token=$(awk '$1 == "token" && $2 == "read,write" {print $3}' project.txt)
[ ${#post_token} = 32 ] && [ ${#rw_token} = 32 ] || fail "project create output: $(cat project.txt)"

$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file ready.txt --threads 2 2> serve.log &
pids+=($!)
for _ in $(seq 200); do [ -s ready.txt ] && break; sleep 0.05; done
[ -s ready.txt ] || fail "server did not start"
base="http://$(cat ready.txt)"

# 1. Source maps to the service (not to a local store: none is created here).
$UNRAVEL upload sourcemaps dist --version 1.0.0 --url "$base" --token "$post_token" \
    --store ./not-used > up.txt 2> up.err || fail "remote upload: $(cat up.txt up.err)"
grep -q "^uploaded to $base @1.0.0: 1 script, 1 map, 1 source from disk, 0 embedded" up.txt ||
    fail "summary: $(cat up.txt)"
[ ! -e not-used ] || fail "a remote upload created a local store"
grep -q '\[' up.err && fail "progress bar drawn on a stderr that is not a terminal: $(cat up.err)"
# The same through the environment, with --project shown in the summary.
UNRAVEL_URL=$base UNRAVEL_TOKEN=$post_token \
    $UNRAVEL upload sourcemaps dist --project shop --version 1.0.0 > up-env.txt ||
    fail "upload with UNRAVEL_URL/UNRAVEL_TOKEN: $(cat up-env.txt)"
grep -q "^uploaded to $base shop@1.0.0: 1 script, 1 map" up-env.txt || fail "env summary: $(cat up-env.txt)"

# A Rollbar item for that build, read back symbolicated with the uploaded map and source.
cat > item.json <<JSON
{"data":{"environment":"production","code_version":"1.0.0","platform":"browser","level":"error",
 "body":{"trace":{"exception":{"class":"TypeError","message":"Cannot read properties of undefined"},
  "frames":[{"filename":"https://shop.example/app.min.js","lineno":$line1,"colno":$col1}]}}}}
JSON
curl -s -o item-answer.json -H "X-Rollbar-Access-Token: $post_token" \
    -H 'Content-Type: application/json' --data-binary @item.json "$base/api/1/item/"
occurrence=$(node -e 'const o = JSON.parse(require("fs").readFileSync("item-answer.json", "utf8"));
if (o.err !== 0) process.exit(1); console.log(o.result.id)') || fail "item: $(cat item-answer.json)"
curl -s -o occurrence.json -H "X-Rollbar-Access-Token: $rw_token" "$base/api/1/occurrence/$occurrence"
node -e '
const o = JSON.parse(require("fs").readFileSync("occurrence.json", "utf8"));
const fr = o.result.resolved.data.body.trace.frames;
const top = fr[fr.length - 1].resolved;
// The name comes from the scopes of the original source: the source sent from disk reached the
// service (without it the name would come from the minified scope).
if (top.status !== "symbolicated" || top.function !== "computeArea" || top.source !== "shapes.js" ||
    top.line !== 6 || top.function_source !== "original_scope") process.exit(1);' ||
    fail "occurrence: $(cat occurrence.json)"

# 2. Debug files to the service.
printf 'int helper(int x) { return x * 3; }\nint main(void) { return helper(1) - 3; }\n' > prog.c
gcc -g -O0 -Wl,--build-id -o prog prog.c
$UNRAVEL upload symbols prog --version 2.0.0 --url "$base" --token "$post_token" > sym.txt ||
    fail "remote symbols: $(cat sym.txt)"
grep -q "1 file (1 with debug info, 0 executables, 0 Breakpad .sym), 0 without build-id" sym.txt || fail "symbols summary: $(cat sym.txt)"
build_id=$(grep -o 'build-id [0-9a-f]*' sym.txt | cut -d' ' -f2)
[ -n "$build_id" ] || fail "no build-id printed: $(cat sym.txt)"
addr=$(nm prog | awk '$3 == "helper" {print "0x" $1}')
$UNRAVEL addr2line --store ./store --build-id "$build_id" -f "$addr" > a2l.txt || fail "addr2line: $(cat a2l.txt)"
grep -q '^helper$' a2l.txt || fail "the service did not store the debug file: $(cat a2l.txt)"

# 3. A wrong token: the server's 403 message is shown, exit 3, the token never printed.
bad_token=0123456789abcdef0123456789abcdef
set +e
$UNRAVEL upload sourcemaps dist --version 1.0.0 --url "$base" --token "$bad_token" > bad.out 2> bad.err
rc=$?
set -e
[ $rc -eq 3 ] || fail "wrong token: exit $rc: $(cat bad.out bad.err)"
message=$(curl -s -X POST -H "X-Rollbar-Access-Token: $bad_token" -F version=1 "$base/api/1/sourcemap" |
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).message))')
[ -n "$message" ] || fail "no 403 message from the server"
grep -qF "HTTP 403: $message" bad.err || fail "server message not shown: $(cat bad.err)"
cat bad.out bad.err | grep -q "$bad_token" && fail "token printed: $(cat bad.err)"

# 4. Deploys on the service: create, patch, patch again (409).
id=$($UNRAVEL deploy --env production --revision abc123 --user ci --comment 'go' \
    --url "$base" --token "$post_token") || fail "deploy create"
[[ $id =~ ^[0-9]+$ ]] || fail "deploy id: $id"
curl -s -H "X-Rollbar-Access-Token: $rw_token" "$base/api/1/deploy/$id" > deploy.json
node -e 'const d = JSON.parse(require("fs").readFileSync("deploy.json", "utf8")).result;
if (d.environment !== "production" || d.revision !== "abc123" || d.local_username !== "ci" ||
    d.comment !== "go" || d.status !== "started") process.exit(1)' || fail "deploy: $(cat deploy.json)"
$UNRAVEL deploy --id "$id" --status succeeded --url "$base" --token "$post_token" > patch.txt ||
    fail "deploy patch"
grep -qx "deploy $id: succeeded" patch.txt || fail "patch output: $(cat patch.txt)"
set +e
$UNRAVEL deploy --id "$id" --status failed --url "$base" --token "$post_token" 2> conflict.err
rc=$?
set -e
[ $rc -eq 3 ] && grep -q "HTTP 409: .*already succeeded" conflict.err || fail "409: exit $rc $(cat conflict.err)"
grep -q "$post_token" conflict.err && fail "token printed"
set +e
$UNRAVEL deploy --env production --url "$base" --token "$post_token" 2> usage.err
[ $? -eq 2 ] || fail "deploy without --revision"
$UNRAVEL deploy --id 1 --url "$base" --token "$post_token" 2> usage.err
[ $? -eq 2 ] || fail "deploy --id without --status"
$UNRAVEL deploy --env p --revision r --status done --url "$base" --token "$post_token" 2> usage.err
[ $? -eq 2 ] || fail "deploy with a bad status"
$UNRAVEL deploy --env p --revision r --url "ftp://x" --token "$post_token" 2> usage.err
[ $? -eq 2 ] || fail "deploy with a bad URL"
set -e

# 5. Deploys in a local store: the same commands without --url.
lid=$($UNRAVEL deploy --env staging --revision r1 --project web --store ./local) || fail "local deploy"
[ "$lid" = 1 ] || fail "local deploy id: $lid"
$UNRAVEL deploy --id "$lid" --status failed --project web --store ./local | grep -qx "deploy 1: failed" ||
    fail "local patch"
set +e
$UNRAVEL deploy --id "$lid" --status succeeded --project web --store ./local 2> local.err
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "already failed" local.err || fail "local conflict: exit $rc $(cat local.err)"

# 6. Nothing listening: 4 tries (0.5 s, 1 s, 2 s apart), exit 3, within bounded time.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });')
start=$(date +%s%N)
set +e
$UNRAVEL upload sourcemaps dist --version 1 --url "http://127.0.0.1:$port" --token "$post_token" \
    > refused.out 2> refused.err
rc=$?
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 3 ] || fail "nothing listening: exit $rc: $(cat refused.err)"
[ "$(grep -c 'trying again' refused.err)" = 3 ] || fail "expected 3 retries: $(cat refused.err)"
grep -q "after 4 tries" refused.err || fail "final error: $(cat refused.err)"
[ $elapsed_ms -ge 3400 ] && [ $elapsed_ms -lt 15000 ] || fail "retry timing: ${elapsed_ms} ms"
grep -q "$post_token" refused.err && fail "token printed"

# 7. A server that answers 429 (Retry-After: 1), then 503, then accepts: the deploy goes through.
cat > flaky.js <<'JS'
const fs = require("fs");
let n = 0;
const server = require("http").createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    n++;
    fs.appendFileSync("flaky.log", `${Date.now()} ${req.method} ${req.url} ${req.headers["x-rollbar-access-token"] ? "token" : "none"}\n`);
    if (n === 1) { res.writeHead(429, {"Retry-After": "1", "Content-Type": "application/json"});
      res.end('{"err":1,"message":"rate limit"}'); }
    else if (n === 2) { res.writeHead(503); res.end('{"err":1,"message":"busy"}'); }
    else { res.writeHead(200, {"Content-Type": "application/json"}); res.end('{"err":0,"data":{"deploy_id":77}}'); }
  });
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync("flaky.port", String(server.address().port)));
JS
node flaky.js &
pids+=($!)
for _ in $(seq 100); do [ -s flaky.port ] && break; sleep 0.05; done
start=$(date +%s%N)
fid=$($UNRAVEL deploy --env e --revision r --url "http://127.0.0.1:$(cat flaky.port)" \
    --token "$post_token" 2> flaky.err) || fail "deploy through 429 and 503: $(cat flaky.err)"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$fid" = 77 ] || fail "flaky deploy id: $fid"
[ "$(wc -l < flaky.log)" = 3 ] || fail "requests: $(cat flaky.log)"
grep -q "HTTP 429, trying again in 1.0 s" flaky.err || fail "Retry-After not honoured: $(cat flaky.err)"
grep -q "HTTP 503, trying again in 1.0 s" flaky.err || fail "backoff after 503: $(cat flaky.err)"
[ $elapsed_ms -ge 1900 ] || fail "retries too fast: ${elapsed_ms} ms"
grep -q none flaky.log && fail "a request without the token header"

echo "remote_upload: ok"
