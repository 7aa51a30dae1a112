# Crash dumps over HTTP: Breakpad .sym files uploaded with POST /api/1/symbols, then
# Breakpad's minidump2.dmp posted to POST /api/1/minidump as Crashpad/Breakpad clients send it
# (multipart, part upload_file_minidump, annotations as fields): stored as an occurrence whose
# resolved report names the crash and the original frames, grouped into an item (a second post
# of the same crash joins it); a password in an annotation is scrubbed; errors: no token 403,
# no dump part 400, a JSON body 415, a corrupt dump 422 — the server keeps serving.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
data="$SRC/tests/data/minidump"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

$UNRAVEL project create native --store ./store > project.txt
post_token=$(awk '$1 == "token" && $2 == "post_server_item,post_client_item" {print $3}' project.txt)
read_token=$($UNRAVEL token create --project native --scope read --store ./store)
$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file ready.txt 2> serve.log &
pids+=($!)
for _ in $(seq 100); do [ -s ready.txt ] && break; sleep 0.05; done
[ -s ready.txt ] || fail "server did not start"
base="http://$(cat ready.txt)"
req() { # METHOD PATH [curl args…]: prints the status; the body goes to body.json
    local method=$1 path=$2
    shift 2
    curl -s -o body.json -w '%{http_code}' -X "$method" "$@" "$base$path"
}
expect() { # STATUS METHOD PATH [curl args…]
    local want=$1
    shift
    local got
    got=$(req "$@")
    [ "$got" = "$want" ] || fail "$1 $2: status $got, expected $want: $(cat body.json)"
}
json() { node -e "const o = JSON.parse(require('fs').readFileSync('body.json', 'utf8')); $1"; }
auth=(-H "X-Rollbar-Access-Token: $post_token")

# symbols first: the two .sym files of Breakpad's test data
sym1=$(ls "$data"/symbols/test_app.pdb/*/test_app.sym)
sym2=$(ls "$data"/symbols/linux_inline/*/linux_inline.sym)
expect 200 POST /api/1/symbols "${auth[@]}" -F version=1.0 -F "symbols=@$sym1" -F "symbols=@$sym2"
json 'const f = o.result.files; if (f.length !== 2 || f.some((x) => x.kind !== "breakpad")) process.exit(1)' ||
    fail "symbols upload: $(cat body.json)"

# the dump, as Crashpad posts it
expect 200 POST /api/1/minidump "${auth[@]}" -F "upload_file_minidump=@$data/minidump2.dmp" \
    -F prod=test_app -F ver=1.0 -F guid=5f2c -F password=hunter2-secret
id=$(json 'console.log(o.result.id)')
json 'if (!(o.result.frames_symbolicated >= 3)) process.exit(1)' || fail "minidump: $(cat body.json)"
expect 200 GET "/api/1/occurrence/$id" -H "X-Rollbar-Access-Token: $read_token"
json '
const r = o.result;
const res = r.resolved;
if (res.crash_info.type !== "EXCEPTION_ACCESS_VIOLATION_WRITE") throw new Error("crash type " + res.crash_info.type);
const fns = res.crashing_thread.frames.map((f) => f.function);
if (fns[0] !== "`anonymous namespace'"'"'::CrashFunction" || fns[1] !== "main") throw new Error("frames " + fns);
if (res.crashing_thread.frames[0].line !== 58) throw new Error("line " + res.crashing_thread.frames[0].line);
const raw = JSON.stringify(r.raw);
if (raw.includes("hunter2")) throw new Error("password stored: " + raw);
if (r.version !== "1.0") throw new Error("version " + r.version);
' || fail "stored occurrence: $(cat body.json)"
item=$(json 'console.log(o.result.item_id)')
expect 200 POST /api/1/minidump "${auth[@]}" -F "upload_file_minidump=@$data/minidump2.dmp" -F ver=1.0
expect 200 GET "/api/1/item/$item" -H "X-Rollbar-Access-Token: $read_token"
json 'if (o.result.total_occurrences !== 2) process.exit(1)' || fail "grouping: $(cat body.json)"
grep -rq hunter2 store && fail "the password is in a file of the store"
"$STORE_TEXT" store > payloads.txt || fail "store_text: $(cat payloads.txt)"
[ -s payloads.txt ] || fail "no payload read back from the store"
grep -q hunter2 payloads.txt && fail "the password is in a stored payload"

# errors
expect 403 POST /api/1/minidump -F "upload_file_minidump=@$data/minidump2.dmp"
expect 400 POST /api/1/minidump "${auth[@]}" -F ver=1.0
json 'if (o.err !== 1 || !/upload_file_minidump/.test(o.message)) process.exit(1)' || fail "400 body: $(cat body.json)"
expect 415 POST /api/1/minidump "${auth[@]}" -H 'Content-Type: application/json' -d '{}'
head -c 500 "$data/minidump2.dmp" > cut.dmp
expect 422 POST /api/1/minidump "${auth[@]}" -F "upload_file_minidump=@cut.dmp"
json 'if (o.err !== 1 || !o.message) process.exit(1)' || fail "422 body: $(cat body.json)"
printf 'not a dump at all' > junk.dmp
expect 422 POST /api/1/minidump "${auth[@]}" -F "upload_file_minidump=@junk.dmp"
expect 200 GET /health
echo "minidump service: all checks passed"
