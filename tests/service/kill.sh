# Crash safety of ingest: concurrent clients post Rollbar items with distinct uuids while the
# server is SIGKILLed mid-load; after a restart on the same store every uuid that was answered
# 200 must be stored (read back through the read API). Then a SIGTERM under load drains the
# requests in flight and exits 0, and again every answered uuid is stored.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && tail -n 20 serve.log | sed 's/^/  serve: /' >&2
    exit 1
}
command -v node > /dev/null || fail "node is required"
command -v curl > /dev/null || fail "curl is required"
loops=${KILL_LOOPS:-8}

server_pid=
loop_pids=()
cleanup() {
    for p in "${loop_pids[@]}"; do kill "$p" 2> /dev/null || true; done
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
}
trap cleanup EXIT

$UNRAVEL project create crash --store ./store > project.txt
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
    base="http://$(cat ready.txt)"
}

# post_loop PHASE N SECONDS: posts items uuid PHASE-N-I until SECONDS have passed, appending
# each uuid answered 200 with that uuid to acked.PHASE.N and each one sent to sent.PHASE.N.
post_loop() {
    local phase=$1 n=$2 until=$((SECONDS + $3)) i=0 uuid code
    : > "acked.$phase.$n"
    : > "sent.$phase.$n"
    while [ $SECONDS -lt $until ]; do
        i=$((i + 1))
        uuid="$phase-n$n-i$i-r$RANDOM"  # letters between digits: no run looks like a card number
        echo "$uuid" >> "sent.$phase.$n"
        code=$(curl -s -m 15 -o "answer.$phase.$n" -w '%{http_code}' "$base/api/1/item/" \
            -H "X-Rollbar-Access-Token: $post_token" -H 'Content-Type: application/json' \
            --data-binary "{\"data\":{\"environment\":\"crash\",\"platform\":\"linux\",\"level\":\"error\",
 \"uuid\":\"$uuid\",\"body\":{\"trace\":{\"exception\":{\"class\":\"Error\",\"message\":\"loop $n\"},
 \"frames\":[{\"filename\":\"/srv/app/main.js\",\"lineno\":$n,\"colno\":$i,\"method\":\"handler\"}]}}}}") ||
            true
        if [ "$code" = 200 ] && grep -q "\"uuid\":\"$uuid\"" "answer.$phase.$n"; then
            echo "$uuid" >> "acked.$phase.$n"
        fi
    done
}

run_load() { # PHASE SECONDS
    loop_pids=()
    for n in $(seq "$loops"); do
        post_loop "$1" "$n" "$2" &
        loop_pids+=($!)
    done
}
wait_load() {
    for p in "${loop_pids[@]}"; do wait "$p" || fail "a post loop failed"; done
    loop_pids=()
}

# check LABEL: every acked uuid so far is stored.
check() {
    UV_BASE=$base UV_TOKEN=$read_token node "$SRC/tests/service/clients/collect_uuids.js" \
        > stored.txt 2> collect.err || fail "read back: $(cat collect.err)"
    sort -u stored.txt > stored.sorted
    [ "$(wc -l < stored.txt)" = "$(wc -l < stored.sorted)" ] || fail "a uuid is stored twice"
    cat acked.* | sort -u > acked.sorted
    cat sent.* | sort -u > sent.sorted
    comm -23 acked.sorted stored.sorted > lost.txt
    comm -13 sent.sorted stored.sorted > unknown.txt
    echo "$1: sent $(wc -l < sent.sorted), acknowledged $(wc -l < acked.sorted)," \
        "stored $(wc -l < stored.sorted), acknowledged but lost $(wc -l < lost.txt)"
    [ ! -s lost.txt ] || fail "$1: acknowledged uuids lost: $(head -5 lost.txt | tr '\n' ' ')"
    [ ! -s unknown.txt ] || fail "$1: stored uuids never sent: $(head -5 unknown.txt | tr '\n' ' ')"
}

# 1. SIGKILL mid-load.
start_server
run_load kill 3
sleep 1.5
kill -KILL "$server_pid"
wait "$server_pid" 2> /dev/null || true
server_pid=
wait_load
[ "$(cat acked.kill.* | wc -l)" -gt 0 ] || fail "nothing was acknowledged before the kill"
# The loops went on posting after the kill: the kill was mid-load.
[ "$(cat sent.kill.* | wc -l)" -gt "$(cat acked.kill.* | wc -l)" ] || fail "no request failed after the kill"
start_server
check "after SIGKILL"

# 2. SIGTERM mid-load: drains, exits 0.
run_load term 3
sleep 1.5
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
wait_load
start_server
check "after SIGTERM"
echo "ok"
