#!/usr/bin/env bash
# Property-test the JSON API against its own OpenAPI document with schemathesis (every check),
# on the release binary serving the demo zone from a throw-away SQLite file. Fails when
# schemathesis reports any failure. Usage: scripts/schemathesis.sh [path/to/lianshi]
# Settings and the reasons for the few per-operation ones: scripts/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bin=${1:-${LIANSHI_BIN:-target/release/lianshi}}
version=4.32.5
if ! python3 -m schemathesis.cli --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version…"
  python3 -m pip install --quiet "schemathesis==$version"
fi

work=$(mktemp -d /tmp/lianshi-st.XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
"$bin" --db "sqlite://$work/st.db" serve --demo --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 240); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.5
done
curl -fsS "$base/healthz" >/dev/null

# Tokens are fetched once each (the login back-off counts failures per client); the second one
# is the one `DELETE /api/v1/auth/token` revokes, so the run keeps its own.
token() {
  curl -fsS -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"Lianshi@2026"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
LIANSHI_ST_TOKEN=$(token)
LIANSHI_ST_REVOKE_TOKEN=$(token)
export LIANSHI_ST_TOKEN LIANSHI_ST_REVOKE_TOKEN

start=$(date +%s)
status=0
# Run from the temporary directory, so schemathesis keeps its example database there.
(cd "$work" && PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}" \
  LIANSHI_ST_STATUSES="$work/statuses.json" \
  python3 -m schemathesis.cli --config-file "$root/scripts/schemathesis.toml" --no-color \
  run "$base/api/v1/openapi.json" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --seed 2026 \
  --max-examples 25 \
  --workers 2 \
  --report junit --report-dir "$work/report") || status=$?
echo "schemathesis: exit $status after $(( $(date +%s) - start )) s"
# Coverage: documented operations that got at least one 2xx (the rest only saw refusals).
if [ -f "$work/statuses.json" ]; then
  curl -fsS "$base/api/v1/openapi.json" >"$work/openapi.json"
  python3 - "$work/openapi.json" "$work/statuses.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
seen = json.load(open(sys.argv[2]))
ops = [f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in item
       if m in ("get", "post", "put", "delete", "patch")]
ops = [o for o in ops if o in seen]
ok = [o for o in ops if any(200 <= s < 300 for s in seen[o])]
print(f"schemathesis: {len(ok)} of {len(ops)} operations tested got a 2xx answer")
for o in sorted(set(ops) - set(ok)):
    print(f"  no 2xx: {o} {seen[o]}")
PY
fi
if [ "$status" -ne 0 ]; then
  tail -n 40 "$work/serve.log"
fi
exit "$status"
