# The HTTP service end to end: a project and its tokens, source maps of a real terser build
# uploaded to the store, a Rollbar item from the real node stack read back symbolicated, a
# Raygun entry, auth failures, limits, hostile inputs, CORS, duplicates, scrubbing on disk,
# deploys, metrics and a clean SIGTERM exit.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
terser="$NODE_MODULES/terser/bin/terser"
[ -x "$(command -v node)" ] || fail "node is required"
[ -x "$(command -v curl)" ] || fail "curl is required"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# A build whose program throws inside computeArea.
mkdir -p dist
cp "$SRC/tests/data/js-basic/shapes.js" shapes.js
node "$terser" shapes.js --toplevel -c -m --source-map "includeSources,url='app.min.js.map'" \
    -o dist/app.min.js
if node dist/app.min.js 2> stack.txt; then fail "minified program did not throw"; fi
read -r line1 col1 < <(grep -m1 -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | awk -F: '{print $2, $3}')
read -r line2 col2 < <(grep -o 'app.min.js:[0-9]*:[0-9]*' stack.txt | sed -n 2p | awk -F: '{print $2, $3}')

# Project and tokens, then the build's maps, all before the server starts.
$UNRAVEL project create shop --store ./store > project.txt
post_token=$(awk '$1 == "token" && $2 == "post_server_item,post_client_item" {print $3}' project.txt)
rw_token=$(awk '$1 == "token" && $2 == "read,write" {print $3}' project.txt)
[ ${#post_token} = 32 ] && [ ${#rw_token} = 32 ] || fail "project create output: $(cat project.txt)"
$UNRAVEL project list --store ./store | grep -qx "1 shop" || fail "project list"
if $UNRAVEL project create shop --store ./store 2> dup.txt; then fail "project created twice"; fi
client_token=$($UNRAVEL token create --project shop --scope post_client_item --name web --store ./store)
read_token=$($UNRAVEL token create --project shop --scope read --store ./store)
[ ${#client_token} = 32 ] || fail "token create: $client_token"
if $UNRAVEL token create --project nope --scope read --store ./store 2>/dev/null; then
    fail "token for a missing project"
fi
if $UNRAVEL token create --project shop --scope root --store ./store 2>/dev/null; then
    fail "token with an unknown scope"
fi
$UNRAVEL upload sourcemaps dist --project shop --version 1.0.0 --store ./store > upload.txt

start_server() { # LOG READY ARGS…
    local log=$1 ready=$2
    shift 2
    $UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file "$ready" "$@" 2> "$log" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
    [ -s "$ready" ] || fail "server did not start: $(cat "$log")"
}
start_server serve.log ready.txt --threads 2
server_pid=${pids[0]}
base="http://$(cat ready.txt)"

# req METHOD PATH [curl args…]: prints the status; the body goes to body.json.
req() {
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
is_error() { json 'if (o.err !== 1 || typeof o.message !== "string" || !o.message) process.exit(1)' ||
    fail "not a JSON error: $(cat body.json)"; }

expect 200 GET /health
json 'if (o.status !== "ok") process.exit(1)' || fail "health body"

# A Rollbar item as rollbar.js sends it (frames oldest first), with secrets to scrub.
cat > item.json <<JSON
{"data":{"environment":"production","code_version":"1.0.0","platform":"browser","level":"error",
 "uuid":"0b7c6d0e-3f1a-4c55-9d5e-5a1f3c2e9b01",
 "body":{"trace":{"exception":{"class":"TypeError","message":"Cannot read properties of undefined"},
  "frames":[{"filename":"https://shop.example/app.min.js","lineno":$line2,"colno":$col2,"method":"n"},
            {"filename":"https://shop.example/app.min.js","lineno":$line1,"colno":$col1,"method":"o"}]}},
 "request":{"url":"https://shop.example/cart","headers":{"Cookie":"session=s3cr3t-c00kie-value"}},
 "custom":{"password":"hunter2-very-secret-pw","note":"kept"}}}
JSON
expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" \
    -H 'Content-Type: application/json' --data-binary @item.json
json 'if (o.err !== 0 || !(o.result.id > 0) || o.result.uuid !== "0b7c6d0e-3f1a-4c55-9d5e-5a1f3c2e9b01") process.exit(1)' ||
    fail "item answer: $(cat body.json)"
occurrence_id=$(json 'console.log(o.result.id)')
grep -qi '^Access-Control-Allow-Origin: \*' headers.txt || fail "CORS header on POST"
grep -qi '^X-Rate-Limit-Remaining: ' headers.txt || fail "rate limit headers"

# The same uuid again: the same answer, nothing stored twice.
expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data-binary @item.json
json "if (o.result.id !== $occurrence_id) process.exit(1)" || fail "duplicate answer: $(cat body.json)"

# Read it back: one item, one occurrence, the top frame resolved to computeArea at shapes.js:6.
expect 200 GET /api/1/items -H "X-Rollbar-Access-Token: $read_token"
json 'const it = o.result.items; if (it.length !== 1 || it[0].total_occurrences !== 1 || it[0].status !== "active" || !it[0].title.includes("TypeError")) process.exit(1)' ||
    fail "items: $(cat body.json)"
item_id=$(json 'console.log(o.result.items[0].id)')
expect 200 GET "/api/1/item/$item_id" -H "X-Rollbar-Access-Token: $read_token"
json "if (o.result.id !== $item_id) process.exit(1)" || fail "item: $(cat body.json)"
expect 200 GET "/api/1/item/$item_id/occurrences" -H "X-Rollbar-Access-Token: $read_token"
json "if (o.result.instances.length !== 1 || o.result.instances[0].id !== $occurrence_id) process.exit(1)" ||
    fail "occurrences: $(cat body.json)"
expect 200 GET "/api/1/occurrence/$occurrence_id?access_token=$read_token"
json '
const fr = o.result.resolved.data.body.trace.frames;
const top = fr[fr.length - 1].resolved;
if (top.status !== "symbolicated" || top.function !== "computeArea" || top.source !== "shapes.js" || top.line !== 6) process.exit(1);
if (fr[0].resolved.function !== "totalArea") process.exit(1);
if (o.result.raw.data.custom.note !== "kept" || o.result.raw.data.custom.password === "hunter2-very-secret-pw") process.exit(1);
if (o.result.version !== "1.0.0" || o.result.environment !== "production") process.exit(1);
' || fail "resolved occurrence: $(cat body.json)"
expect 200 GET /api/1/versions -H "X-Rollbar-Access-Token: $read_token"
json 'if (!o.result.versions.some(v => v.version === "1.0.0")) process.exit(1)' || fail "versions: $(cat body.json)"

# The token in the body, and a form-encoded payload (rollbar.js's fallback).
node -e '
const fs = require("fs");
const o = JSON.parse(fs.readFileSync("item.json", "utf8"));
o.access_token = process.argv[1]; delete o.data.uuid; o.data.body.trace.exception.message = "second";
fs.writeFileSync("item2.json", JSON.stringify(o));
' "$post_token"
expect 200 POST /api/1/item/ --data-binary @item2.json
expect 200 POST /api/1/item/ --data-urlencode "payload@item2.json"
json 'if (o.err !== 0 || typeof o.result.uuid !== "string" || o.result.uuid.length < 8) process.exit(1)' ||
    fail "form post: $(cat body.json)"

# PATCH the item (write scope), filter by status.
expect 200 PATCH "/api/1/item/$item_id" -H "X-Rollbar-Access-Token: $rw_token" \
    --data '{"status":"resolved","resolved_in_version":"1.0.0"}'
json 'if (o.result.status !== "resolved" || o.result.resolved_in_version !== "1.0.0") process.exit(1)' ||
    fail "patch: $(cat body.json)"
expect 403 PATCH "/api/1/item/$item_id" -H "X-Rollbar-Access-Token: $read_token" --data '{"status":"muted"}'
expect 422 PATCH "/api/1/item/$item_id" -H "X-Rollbar-Access-Token: $rw_token" --data '{"status":"gone"}'
expect 200 GET "/api/1/items?status=resolved" -H "X-Rollbar-Access-Token: $read_token"
json 'if (o.result.items.length !== 1) process.exit(1)' || fail "items?status=resolved: $(cat body.json)"
expect 400 GET "/api/1/items?page=0" -H "X-Rollbar-Access-Token: $read_token"
expect 404 GET /api/1/item/999999 -H "X-Rollbar-Access-Token: $read_token"
is_error

# A Raygun entry (raygun4node: no columns) with X-ApiKey, and a bulk post with ?apikey=.
cat > entry.json <<JSON
{"OccurredOn":"2026-01-01T00:00:00Z","Details":{"Version":"1.0.0","Client":{"Name":"raygun4node"},
 "Error":{"ClassName":"TypeError","Message":"boom",
  "StackTrace":[{"LineNumber":$line1,"FileName":"/srv/shop/dist/app.min.js","MethodName":"o"}]}}}
JSON
expect 202 POST /entries -H "X-ApiKey: $post_token" --data-binary @entry.json
[ ! -s body.json ] || fail "raygun answer not empty: $(cat body.json)"
(printf '['; cat entry.json; printf ','; cat entry.json; printf ']') > bulk.json
expect 202 POST "/entries/bulk?apikey=$post_token" --data-binary @bulk.json
expect 422 POST /entries -H "X-ApiKey: $post_token" --data '{"nope":1}'
is_error
expect 403 POST /entries -H "X-ApiKey: $client_token" --data-binary @entry.json

# Auth: missing, unknown and insufficient tokens; client tokens only for client platforms.
expect 403 POST /api/1/item/ --data-binary @item.json
is_error
expect 403 POST /api/1/item/ -H 'X-Rollbar-Access-Token: 0123456789abcdef0123456789abcdef' --data-binary @item.json
expect 403 POST /api/1/item/ -H "X-Rollbar-Access-Token: $read_token" --data-binary @item.json
expect 403 GET /api/1/items -H "X-Rollbar-Access-Token: $post_token"
expect 403 GET /api/1/items
expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $client_token" --data-binary @item2.json
sed 's/"platform":"browser"/"platform":"linux"/' item.json > server_item.json
expect 403 POST /api/1/item/ -H "X-Rollbar-Access-Token: $client_token" --data-binary @server_item.json
is_error
grep -q "$post_token\|$read_token\|$client_token" serve.log && fail "a token was logged"

# Hostile inputs: each a 4xx with a JSON message, and the server keeps serving.
expect 400 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data '{"data": '
is_error
expect 400 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token"
expect 422 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data '{"data":{"environment":"x"}}'
is_error
expect 422 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data '{"data":"x"}'
expect 422 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data '[1,2]'
expect 422 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" \
    --data '{"data":{"uuid":5,"body":{"message":{"body":"x"}}}}'
expect 422 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" \
    --data '{"data":{"body":{"trace":{"frames":7}}}}'
# uuids holding a digit run that passes Luhn are not scrubbed into one another (and the
# scrubbed payload never leaves the fields read before scrubbing dangling).
for uuid in q-4111111111111111 q-4111111111111129; do
  expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" \
      --data "{\"data\":{\"uuid\":\"$uuid\",\"body\":{\"message\":{\"body\":\"luhn $uuid\"}}}}"
  json "if (o.result.uuid !== '$uuid') process.exit(1)" || fail "uuid $uuid came back as $(cat body.json)"
done
node -e 'process.stdout.write("[".repeat(100000) + "]".repeat(100000))' > deep.json
expect 400 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data-binary @deep.json
node -e 'process.stdout.write(JSON.stringify({data:{body:{message:{body:"x".repeat(3000000)}}}}))' > huge.json
expect 200 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data-binary @huge.json
node -e 'process.stdout.write(JSON.stringify({data:{body:{message:{body:"y"}}}, pad:"z".repeat(9000000)}))' > toobig.json
expect 413 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" --data-binary @toobig.json
is_error
expect 413 POST /api/1/item/ -H "X-Rollbar-Access-Token: $post_token" -H 'Transfer-Encoding: chunked' \
    --data-binary @toobig.json
expect 404 GET /api/1/nothing-here
is_error
expect 404 GET /api/1/item/abc -H "X-Rollbar-Access-Token: $read_token"
expect 405 DELETE /api/1/items -H "X-Rollbar-Access-Token: $read_token"
is_error
grep -qi '^Allow: GET' headers.txt || fail "Allow header on 405"
expect 405 GET /api/1/item/

# CORS preflight.
expect 204 OPTIONS /api/1/item/ -H 'Origin: https://shop.example' \
    -H 'Access-Control-Request-Method: POST'
grep -qi '^Access-Control-Allow-Origin: \*' headers.txt || fail "preflight origin"
grep -qi '^Access-Control-Allow-Methods: .*POST' headers.txt || fail "preflight methods"
grep -qi '^Access-Control-Allow-Headers: .*X-Rollbar-Access-Token' headers.txt || fail "preflight headers"

# Deploys: create, list, finish, and no second finish (409).
expect 200 POST /api/1/deploy -H "X-Rollbar-Access-Token: $post_token" \
    --data '{"environment":"production","revision":"abc123","local_username":"ci","comment":"go","status":"started"}'
deploy_id=$(json 'if (!(o.data.deploy_id > 0)) process.exit(1); console.log(o.data.deploy_id)') ||
    fail "deploy create: $(cat body.json)"
expect 422 POST /api/1/deploy -H "X-Rollbar-Access-Token: $post_token" --data '{"revision":"abc"}'
expect 403 POST /api/1/deploy -H "X-Rollbar-Access-Token: $read_token" \
    --data '{"environment":"production","revision":"abc123"}'
expect 200 GET /api/1/deploys -H "X-Rollbar-Access-Token: $read_token"
json "const d = o.result.deploys; if (d.length !== 1 || d[0].id !== $deploy_id || d[0].status !== 'started' || d[0].revision !== 'abc123') process.exit(1)" ||
    fail "deploys: $(cat body.json)"
expect 200 PATCH "/api/1/deploy/$deploy_id" -H "X-Rollbar-Access-Token: $post_token" --data '{"status":"succeeded"}'
json 'if (o.result.status !== "succeeded") process.exit(1)' || fail "deploy patch: $(cat body.json)"
expect 409 PATCH "/api/1/deploy/$deploy_id" -H "X-Rollbar-Access-Token: $post_token" --data '{"status":"failed"}'
is_error

# Metrics.
expect 200 GET /metrics
grep -q '^unravel_http_requests_total{route="/api/1/item/",status="200"} ' body.json || fail "metrics: $(cat body.json)"
grep -q '^unravel_occurrences_stored_total [1-9]' body.json || fail "occurrences metric"
grep -q '^unravel_symbolication_frames_total{result="hit"} [1-9]' body.json || fail "hits metric"
grep -q '^unravel_store_bytes [1-9]' body.json || fail "store size metric"
grep -q '^unravel_http_request_duration_seconds_count [1-9]' body.json || fail "latency metric"

# A second server on the same store: the rate limit per token and a small body ceiling.
start_server serve2.log ready2.txt --rate-limit 3 --max-body 4096 --threads 1
base2="http://$(cat ready2.txt)"
for i in 1 2 3; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Rollbar-Access-Token: $read_token" "$base2/api/1/items")
    [ "$code" = 200 ] || fail "request $i under the rate limit: $code"
done
code=$(curl -s -o body.json -D headers.txt -w '%{http_code}' -H "X-Rollbar-Access-Token: $read_token" "$base2/api/1/items")
[ "$code" = 429 ] || fail "rate limit: $code"
grep -qi '^X-Rate-Limit-Remaining: 0' headers.txt || fail "remaining header on 429"
is_error
code=$(curl -s -o body.json -w '%{http_code}' -H "X-Rollbar-Access-Token: $rw_token" "$base2/api/1/items")
[ "$code" = 200 ] || fail "another token is not limited: $code"
node -e 'process.stdout.write(JSON.stringify({data:{body:{message:{body:"m".repeat(10000)}}}}))' > medium.json
code=$(curl -s -o body.json -w '%{http_code}' -H "X-Rollbar-Access-Token: $post_token" --data-binary @medium.json "$base2/api/1/item/")
[ "$code" = 413 ] || fail "413 with a small ceiling: $code"

# Still serving after all that; then SIGTERM drains and exits 0.
expect 200 GET /health
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
[ "$status" = 0 ] || fail "server exit status $status"
pids=("${pids[@]:1}")

# Scrubbed before anything was written: the secrets are in no file of the store.
"$STORE_TEXT" store > payloads.txt || fail "store_text: $(cat payloads.txt)"
grep -q -F '[scrubbed]' payloads.txt || fail "no scrubbed payload read back from the store"
for secret in hunter2-very-secret-pw s3cr3t-c00kie-value; do
    if grep -r -q -a "$secret" store; then fail "secret $secret found in the store"; fi
    if grep -q -F "$secret" payloads.txt; then fail "secret $secret found in a stored payload"; fi
done
ls store/unravel.db > /dev/null || fail "no database"
echo "ok"
