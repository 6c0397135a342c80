#!/usr/bin/env bash
# Browser tests of the residents' page (issue 15): builds portal/web,
# starts a real sonae-portald on a seeded store with the build as its
# web_root, puts tests/e2e/server.mjs in front (a pass-through that
# records the API routes used), and
# drives Debian's chromium with playwright-core.  Screenshots go to
# build/e2e-screenshots/ (docs/img/ with SONAE_UPDATE_SCREENSHOTS=1).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: e2e: $1"; }
ko() { failed=$((failed + 1)); echo "FAIL: e2e: $1"; }
finish() { echo "$passed passed, $failed failed"; exit $((failed > 0)); }

web=portal/web
if [[ ! -x /usr/bin/chromium ]]; then ko "chromium missing (tools/packages.txt)"; finish; fi
if bash tools/setup.d/50-web.sh && ./tools/build-web.sh --force; then ok "web build (vite)"; else ko "web build"; finish; fi

sonae=build/cli/sonae
portald=build/portal/sonae-portald
if [[ ! -x $portald || ! -x $sonae ]]; then ko "portal not built"; finish; fi

tmp=$(mktemp -d)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
        [[ -s "$tmp/portald.pid" ]] && kill -TERM "$(cat "$tmp/portald.pid")" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pport=$(freeport)
sport=$(freeport)
$sonae init "$tmp/run" >/dev/null
conf="$tmp/run/sonae.conf"
sed -i "s|^listen *=.*|listen = 127.0.0.1:$pport|; s|^web_root *=.*|web_root = $top/$web/dist|" "$conf"

# Web Push on the page: a channel with a fresh VAPID key, so
# /api/v1/webpush/key answers.  Its only endpoint host is under .invalid
# (never resolves): the test's subscription is a stub (headless chromium
# has no push service) and nothing is ever sent anywhere.
if openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/vapid.pem" 2>/dev/null; then
        printf '\n[notify.e2e-push]\ntype = webpush\nvapid_key_file = %s\nsubject = mailto:e2e@example.invalid\nendpoint_hosts = push.e2e.invalid\n' "$tmp/vapid.pem" >>"$conf"
fi

# The seeded store: `sonae db migrate` + `sonae db seed`.  Every route the
# page uses is the portal's own, so without the seed there is nothing to test.
seeded=no
if $sonae -c "$conf" db migrate >/dev/null 2>&1 && $sonae -c "$conf" db seed >/dev/null 2>&1; then
        seeded=yes
        ok "store seeded (sonae db seed)"
else
        ko "store seeded (sonae db migrate + seed)"
        finish
fi
if [[ -x build/cli/sonae ]] && $sonae -c "$conf" import addresses tests/fixtures/geo/isj_oaza_06203_sjis.csv >/dev/null 2>&1; then
        echo "e2e: addresses imported from tests/fixtures/geo"
fi

# The way to the shelter: an authored street grid (tests/e2e/roads_grid.py)
# over the seed's shelters and the home points the tests choose, so the
# hazard answer gives every shelter a route and the page's route checks run.
if python3 tests/e2e/roads_grid.py "$tmp/roads.geojson" &&
        $sonae -c "$conf" import roads "$tmp/roads.geojson" --name e2e-grid --version authored >/dev/null 2>&1; then
        ok "authored street grid imported (sonae import roads)"
else
        ko "authored street grid imported (sonae import roads)"
fi

# The dashboard's tests (tests/e2e/hq.mjs): an editor, a wall's display
# token, source health and two sensor nodes.
hqpw=hq-e2e-password-1
if [[ $seeded == yes ]] && echo "$hqpw" | $sonae -c "$conf" user add hq-ed --role editor >/dev/null 2>&1; then
        echo "$hqpw" | $sonae -c "$conf" user add hq-view --role viewer >/dev/null 2>&1
        echo "$hqpw" | $sonae -c "$conf" user add hq-op --role shelter_operator --shelter 4 >/dev/null 2>&1
        hqtoken=$($sonae -c "$conf" user display add hq-wall 2>/dev/null | tail -1)
        hqdb="$tmp/run/data/sonae.db"
        build/tests/portal-seed "$hqdb" source kriver ok >/dev/null
        build/tests/portal-seed "$hqdb" source jma failing "HTTP 503" >/dev/null
        build/tests/portal-seed "$hqdb" device node-01 sensor-200 online 3.2 -97 2 >/dev/null
        build/tests/portal-seed "$hqdb" device node-02 sensor-201 offline 3.9 -80 0 >/dev/null
fi

$portald -c "$conf" 2>"$tmp/portald.log" &
echo $! >"$tmp/portald.pid"

# The dashboard's test of a dropped stream stops the portal and starts it
# again on the same port and store: `restart-portald.sh stop|start`.
cat >"$tmp/restart-portald.sh" <<EOF
#!/usr/bin/env bash
up() { curl -sf "http://127.0.0.1:$pport/api/v1/ping" >/dev/null; }
case \$1 in
stop)
        kill -TERM "\$(cat "$tmp/portald.pid")"
        for _ in \$(seq 100); do up || exit 0; sleep 0.1; done
        exit 1 ;;
start)
        "$top/$portald" -c "$conf" </dev/null >/dev/null 2>>"$tmp/portald.log" &
        echo \$! >"$tmp/portald.pid"
        for _ in \$(seq 100); do up && exit 0; sleep 0.1; done
        exit 1 ;;
esac
exit 2
EOF
chmod +x "$tmp/restart-portald.sh"
report="$tmp/routes.json"
node tests/e2e/server.mjs "$sport" "$pport" "$report" &
pids+=($!)
for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$pport/api/v1/ping" >/dev/null && curl -sf "http://127.0.0.1:$sport/" >/dev/null && break
        sleep 0.1
done
curl -sf "http://127.0.0.1:$sport/" -o "$tmp/index.html"
if grep -q '<div id="levels"' "$tmp/index.html"; then ok "portal serves the built page"; else ko "portal serves the built page"; tail -20 "$tmp/portald.log"; finish; fi

# Static serving of the build: every hashed asset cached a year, the entry
# script as gzipped JavaScript, the page and the service worker revalidated.
asset=$(grep -o '/assets/index-[^"]*\.js' $web/dist/index.html | head -1)
hdr=$(curl -sD - -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$pport$asset")
if grep -qi 'cache-control:.*max-age=31536000' <<<"$hdr" && grep -qi 'content-encoding: gzip' <<<"$hdr" && grep -qi 'content-type: text/javascript' <<<"$hdr"; then
        ok "entry script: JavaScript type, gzip, a year's cache"
else
        ko "entry script headers: $hdr"
fi
short=()
for f in $web/dist/assets/*; do
        curl -sD - -o /dev/null "http://127.0.0.1:$pport/assets/${f##*/}" | grep -qi 'cache-control:.*max-age=31536000' || short+=("${f##*/}")
done
if ((${#short[@]} == 0)); then ok "every hashed asset cached a year"; else ko "assets not recognised as hashed: ${short[*]}"; fi
for f in / /sw.js; do
        cc=$(curl -sD - -o /dev/null "http://127.0.0.1:$pport$f" | grep -i '^cache-control' | tr -d '\r')
        if grep -qi 'max-age=31536000' <<<"$cc"; then ko "$f cached as immutable: $cc"; else ok "$f is not cached as immutable ($cc)"; fi
done

# The no-JavaScript page, rendered by the portal from the store.
if [[ $seeded == yes ]]; then
        curl -s -D "$tmp/lite.h" "http://127.0.0.1:$pport/lite?area=0620300" -o "$tmp/lite.html"
        size=$(stat -c %s "$tmp/lite.html")
        if grep -qi '^content-type: text/html' "$tmp/lite.h" && ((size < 30720)) && ! grep -qi '<script' "$tmp/lite.html" &&
                grep -q '鶴岡市が発令：高齢者等避難（警戒レベル３）' "$tmp/lite.html" &&
                grep -q '気象庁の情報：警戒レベル４相当' "$tmp/lite.html" &&
                grep -q '避難所を開設しました（見本）' "$tmp/lite.html"; then
                ok "/lite?area=0620300: order and 相当 on separate lines, notice, no script, $size bytes"
        else
                ko "/lite?area=0620300 ($size bytes): $(head -c 600 "$tmp/lite.html")"
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pport/lite?area=%3Cscript%3E")
        if [[ $code == 400 ]]; then ok "/lite refuses a hostile area code (400)"; else ko "/lite with <script> as area: $code"; fi
        curl -s "http://127.0.0.1:$pport/lite?area=0000000" -o "$tmp/lite0.html"
        if grep -q '現在、警戒レベルの情報はありません' "$tmp/lite0.html"; then ok "/lite for an area with nothing in force says so"; else ko "/lite unknown area"; fi
fi

out="$tmp/node.out"
# Screenshots: build/e2e-screenshots/, or docs/img/ (the committed ones the
# docs show) with SONAE_UPDATE_SCREENSHOTS=1.
shots="$top/build/e2e-screenshots"
[[ "${SONAE_UPDATE_SCREENSHOTS:-0}" == 1 ]] && shots="$top/docs/img"
SONAE_PORTALD_LOG="$tmp/portald.log" node tests/e2e/residents.mjs "http://127.0.0.1:$sport" "$top/$web" "$shots" 2>&1 | tee "$out"
echo "e2e: screenshots in ${shots#"$top"/}"
res=$(grep -E '^RESULT [0-9]+ [0-9]+' "$out" | tail -1)
if [[ -z "$res" ]]; then
        ko "browser tests printed no result"
else
        read -r _ p f <<<"$res"
        passed=$((passed + p))
        failed=$((failed + f))
fi
if [[ -n "${hqtoken:-}" ]]; then
        HQ_SEED=build/tests/portal-seed HQ_DB="$hqdb" HQ_USER=hq-ed HQ_VIEWER=hq-view HQ_OPERATOR=hq-op HQ_PASSWORD="$hqpw" HQ_TOKEN="$hqtoken" HQ_RESTART="$tmp/restart-portald.sh" \
                node tests/e2e/hq.mjs "http://127.0.0.1:$pport" "$top/$web" "$shots" 2>&1 | tee "$out.hq"
        res=$(grep -E '^RESULT [0-9]+ [0-9]+' "$out.hq" | tail -1)
        if [[ -z "$res" ]]; then ko "dashboard tests printed no result"; else
                read -r _ p f <<<"$res"
                passed=$((passed + p))
                failed=$((failed + f))
        fi
else
        ko "dashboard tests: no seeded store or no editor account"
fi
sleep 0.6
echo "e2e: API routes used (all the portal's, last status): $(tr -d '\n' <"$report" 2>/dev/null)"
finish
