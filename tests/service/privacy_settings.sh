# Per-project privacy settings (`unravel project settings`) are applied at ingest: extra scrub
# fields, and the IP policy (anonymize, drop); scrubbing can be switched off per project.
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    [ -f serve.log ] && sed 's/^/  serve: /' serve.log >&2
    exit 1
}
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT

for p in anon dropper open; do
    $UNRAVEL project create $p --store ./store > $p.txt
done
token() { awk '$1 == "token" && $2 == "'"$2"'" {print $3}' "$1.txt"; }

# Settings round trip and validation.
$UNRAVEL project settings anon --ip anonymize --scrub-field ssn --store ./store > s1.txt
grep -qx '{"ip":"anonymize","scrub_fields":\["ssn"\]}' s1.txt || fail "settings: $(cat s1.txt)"
$UNRAVEL project settings dropper --ip drop --store ./store > /dev/null
$UNRAVEL project settings open --scrub off --store ./store > /dev/null
$UNRAVEL project settings anon --store ./store | grep -q anonymize || fail "settings not kept"
set +e
$UNRAVEL project settings anon --ip maybe --store ./store 2> err.txt; rc=$?
[ $rc -eq 2 ] && grep -q 'settings.ip' err.txt || fail "bad --ip: rc=$rc $(cat err.txt)"
$UNRAVEL project settings nope --store ./store 2> err.txt; rc=$?
[ $rc -eq 1 ] || fail "unknown project: rc=$rc"
$UNRAVEL project list --ip drop --store ./store 2> err.txt; rc=$?
[ $rc -eq 2 ] || fail "settings options on list: rc=$rc"
set -e

$UNRAVEL serve --store ./store --listen 127.0.0.1:0 --ready-file ready.txt 2> serve.log &
pid=$!
for _ in $(seq 100); do [ -s ready.txt ] && break; sleep 0.05; done
[ -s ready.txt ] || fail "server did not start"
base="http://$(cat ready.txt)"

post() { # PROJECT UUID
    local body="{\"data\":{\"uuid\":\"$2\",\"body\":{\"message\":{\"body\":\"hello\"}},
      \"request\":{\"user_ip\":\"203.0.113.77\"},\"custom\":{\"ssn\":\"078-05-1120\",\"password\":\"pw-$2\"}}}"
    local code
    code=$(curl -s -o post.json -w '%{http_code}' -H "X-Rollbar-Access-Token: $(token "$1" post_server_item,post_client_item)" \
        --data "$body" "$base/api/1/item/")
    [ "$code" = 200 ] || fail "post to $1: $code $(cat post.json)"
    node -e 'console.log(JSON.parse(require("fs").readFileSync("post.json","utf8")).result.id)'
}
raw() { # PROJECT ID
    curl -s -H "X-Rollbar-Access-Token: $(token "$1" read,write)" "$base/api/1/occurrence/$2" > occ.json
    node -e 'const o = JSON.parse(require("fs").readFileSync("occ.json","utf8")).result;
             const raw = typeof o.raw === "string" ? JSON.parse(o.raw) : o.raw;
             console.log(JSON.stringify(raw.data))'
}
id=$(post anon a1); r=$(raw anon "$id")
grep -q '"user_ip":"203.0.113.0"' <<<"$r" || fail "anonymized IP: $r"
grep -q '"ssn":"\[scrubbed\]"' <<<"$r" || fail "extra scrub field: $r"
grep -q '"password":"\[scrubbed\]"' <<<"$r" || fail "default scrubbing kept: $r"
id=$(post dropper d1); r=$(raw dropper "$id")
if grep -q '203.0.113' <<<"$r"; then fail "dropped IP still there: $r"; fi
grep -q '"ssn":"078-05-1120"' <<<"$r" || fail "ssn is not a default field: $r"
id=$(post open o1); r=$(raw open "$id")
grep -q '"password":"pw-o1"' <<<"$r" || fail "scrubbing off: $r"
grep -q '"user_ip":"203.0.113.77"' <<<"$r" || fail "IP stored as sent: $r"
kill -TERM "$pid"; wait "$pid"; pid=
echo "privacy_settings: ok"
