# unravel serve over HTTPS with a self-signed certificate; startup errors (missing key file,
# address in use, bad --listen) exit non-zero with a message; SIGINT stops it with 0.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
[ -x "$(command -v openssl)" ] || { echo "skipped: openssl is missing"; exit 0; }
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
    -subj /CN=127.0.0.1 > /dev/null 2>&1 || fail "openssl req"

$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file ready.txt \
    --tls-cert cert.pem --tls-key key.pem 2> serve.log &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do [ -s ready.txt ] && break; sleep 0.05; done
[ -s ready.txt ] || fail "server did not start"
addr=$(cat ready.txt)
code=$(curl -s --cacert cert.pem -o body.json -w '%{http_code}' "https://$addr/health")
[ "$code" = 200 ] && grep -q '"ok"' body.json || fail "https health: $code $(cat body.json)"
if curl -s -o /dev/null "http://$addr/health"; then fail "plain HTTP answered on the TLS port"; fi

# The port is taken: a second server cannot start and says why.
if $UNRAVEL serve --store ./store --listen "$addr" 2> inuse.txt; then fail "second server started"; fi
grep -q "cannot listen" inuse.txt || fail "address in use message: $(cat inuse.txt)"

kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || fail "exit status after SIGINT: $status"
pids=()

# Startup errors.
status=0
$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --tls-cert cert.pem --tls-key missing.pem \
    2> missing.txt || status=$?
[ "$status" = 3 ] || fail "missing key file: exit $status"
grep -q "missing.pem" missing.txt || fail "missing key message: $(cat missing.txt)"
status=0
$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --tls-cert cert.pem 2> /dev/null || status=$?
[ "$status" = 2 ] || fail "--tls-cert without --tls-key: exit $status"
status=0
$UNRAVEL serve --store ./store --listen nowhere 2> listen.txt || status=$?
[ "$status" = 2 ] || fail "bad --listen: exit $status"
grep -q "HOST:PORT" listen.txt || fail "bad --listen message: $(cat listen.txt)"
echo "ok"
