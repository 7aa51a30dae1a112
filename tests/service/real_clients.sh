# The service against the real, unmodified npm clients: rollbar (node) and raygun (raygun4node)
# report an error thrown inside a terser-minified app whose source maps are in the store; the
# occurrences are read back through the read API with their top frames resolved to the original
# file, line and function, and the secret passed as custom data is in no file of the store.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
terser="$NODE_MODULES/terser/bin/terser"
clients="$SRC/tests/service/clients"
command -v node > /dev/null || fail "node is required"
command -v curl > /dev/null || fail "curl is required"
[ -d "$NODE_MODULES/rollbar" ] && [ -d "$NODE_MODULES/raygun" ] ||
    fail "rollbar and raygun are missing from $NODE_MODULES (run npm ci)"
export NODE_PATH="$NODE_MODULES"
secret="hunter2-SECRET"
card="4111111111111111"

server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
}
trap cleanup EXIT

# The app, minified; the expected original positions come from where the source says so.
mkdir -p dist
cp "$clients/app.js" app.js
node "$terser" app.js --toplevel -c -m --source-map "includeSources,url='app.min.js.map'" \
    -o dist/app.min.js
app="$PWD/dist/app.min.js"

$UNRAVEL project create shop --store ./store > project.txt
post_token=$(awk '$1 == "token" && $2 == "post_server_item,post_client_item" {print $3}' project.txt)
read_token=$(awk '$1 == "token" && $2 == "read,write" {print $3}' project.txt)
[ ${#post_token} = 32 ] && [ ${#read_token} = 32 ] || fail "project create output: $(cat project.txt)"

start_server() {
    rm -f ready.txt
    $UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file ready.txt --threads 2 \
        2>> serve.log &
    server_pid=$!
    for _ in $(seq 200); do [ -s ready.txt ] && break; sleep 0.05; done
    [ -s ready.txt ] || fail "server did not start"
    addr=$(cat ready.txt)
    port=${addr##*:}
    base="http://$addr"
}

# Upload the maps: through the running server when `upload --url` exists, else into the store
# directly before the server starts.
if $UNRAVEL upload sourcemaps --help 2>&1 | grep -q -- '--url URL'; then
    start_server
    $UNRAVEL upload sourcemaps dist --project shop --version 1.0.0 --url "$base" \
        --token "$post_token" > upload.txt 2>&1 || fail "remote upload: $(cat upload.txt)"
    echo "maps uploaded with --url"
else
    $UNRAVEL upload sourcemaps dist --project shop --version 1.0.0 --store ./store > upload.txt
    echo "maps uploaded into the store directly (no upload --url yet)"
    start_server
fi

# The clients get everything from the environment: rollbar sends process.argv along.
export UV_TOKEN=$post_token UV_APP=$app UV_SECRET=$secret
# rollbar: POST /api/1/item/ with the node stack (absolute paths, columns, trace_chain).
UV_ENDPOINT="$base/api/1/item/" node "$clients/report_rollbar.js" > rollbar.json 2> rollbar.err ||
    fail "rollbar client: $(cat rollbar.err rollbar.json)"
# raygun4node: POST /entries (absolute paths, camelCase keys), without columns (its default)
# and with its reportColumnNumbers option.
for columns in 0 1; do
    UV_HOST=127.0.0.1 UV_PORT=$port UV_COLUMNS=$columns node "$clients/report_raygun.js" \
        > raygun.txt 2> raygun.err || fail "raygun client (columns $columns): $(cat raygun.err raygun.txt)"
    [ "$(cat raygun.txt)" = 202 ] || fail "raygun answer: $(cat raygun.txt)"
done

UV_BASE=$base UV_TOKEN=$read_token UV_SRC=app.js UV_MAP=dist/app.min.js.map \
    UV_RUNS=rollbar,raygun,raygun-columns node "$clients/check_occurrences.js" > check.txt 2>&1 ||
    fail "read back: $(cat check.txt)"
cat check.txt

# SIGTERM drains and exits 0; then no secret in any file of the store.
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" = 0 ] || fail "server exit status $status"
ls store/unravel.db > /dev/null || fail "no database"
# Payloads are stored compressed: read them back as text too (and check that is not vacuous).
"$STORE_TEXT" store > payloads.txt || fail "store_text: $(cat payloads.txt)"
grep -q -F '[scrubbed]' payloads.txt || fail "no scrubbed payload read back from the store"
for s in "$secret" "$card"; do
    if grep -r -l -a -F "$s" store; then fail "secret $s found in the store"; fi
    if grep -q -F "$s" payloads.txt; then fail "secret $s found in a stored payload"; fi
done
echo "ok"
