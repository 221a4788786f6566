#!/usr/bin/env bash
# `make conformance`: the SDK against the vendor spec (Prism), and the sandbox against the vendor spec
# (schemathesis). The last line reads:
#   conformance: prism <called>/121 operations, <n> violations; schemathesis <n> failures
#
# - Prism (@stoplight/prism-cli, installed here with `npm ci`) serves ../shared/api/autoshares-openapi.json as a
#   validating mock, in dynamic mode with a fixed seed; `prism-check` calls every operation through the SDK. A
#   request that breaks the spec gets 422 from Prism and a `Violation: request...` line in its log; both are
#   counted. With AUTOSHARES_PRISM_URL set, that Prism is used instead of starting one (audit its own log).
# - schemathesis (installed into .venv) runs every operation of the spec against the sandbox binary, logged in as
#   the seeded `trader`. Checks: no server error, response bodies and content types as the spec declares them.
#   Not checked, on purpose: status codes the spec does not list (the vendor's docs describe 400/404/409 answers
#   its spec omits, CATALOGUE §3.7, and the sandbox follows the docs), and acceptance/rejection of generated data
#   (random ids are other users' or nobody's, which the platform answers with 401/404 by design).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SPEC="$ROOT/../shared/api/autoshares-openapi.json"
if [ ! -f "$SPEC" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "conformance: the vendor spec is missing at $SPEC, and CI must run the conformance suite" >&2
    exit 1
  fi
  echo "conformance: skipped: the vendor spec (../shared/api/autoshares-openapi.json) is not beside this checkout"
  exit 0
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # url seconds
  for _ in $(seq 1 "$(( $2 * 5 ))"); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "conformance: nothing answered at $1" >&2
  return 1
}

cargo build --quiet -p autoshares-conformance -p autoshares-sandbox

# ---- Prism: every SDK request against the spec ----
if [ -n "${AUTOSHARES_PRISM_URL:-}" ]; then
  PRISM_URL=$AUTOSHARES_PRISM_URL
  PRISM_LOG=""
else
  (cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  PORT=$(free_port)
  PRISM_LOG="$WORK/prism.log"
  tests/conformance/node_modules/.bin/prism mock --dynamic --seed autoshares -h 127.0.0.1 -p "$PORT" "$SPEC" >"$PRISM_LOG" 2>&1 &
  PIDS+=($!)
  PRISM_URL="http://127.0.0.1:$PORT"
  wait_http "$PRISM_URL/v1.0/streamers" 90
  # The readiness probe above carries no headers and is logged as a violation: count only what follows it.
  sleep 0.5
  PRISM_BASE=$(grep -c 'Violation: request' "$PRISM_LOG" || true)
fi
set +e
target/debug/prism-check "$PRISM_URL" | tee "$WORK/prism.txt"
set -e
summary=$(tail -n 1 "$WORK/prism.txt")
called=$(sed -E 's#^prism: ([0-9]+)/.*#\1#' <<<"$summary")
total=$(sed -E 's#^prism: [0-9]+/([0-9]+) .*#\1#' <<<"$summary")
sdk_violations=$(sed -E 's#.* ([0-9]+) violations.*#\1#' <<<"$summary")
violations=$sdk_violations
if [ -n "$PRISM_LOG" ]; then
  log_violations=$(( $(grep -c 'Violation: request' "$PRISM_LOG" || true) - PRISM_BASE ))
  echo "prism log: $log_violations request violations"
  grep 'Violation: request' "$PRISM_LOG" | tail -n "+$(( PRISM_BASE + 1 ))" | sed 's/^/  /' | head -50 || true
  [ "$log_violations" -gt "$violations" ] && violations=$log_violations
fi

# ---- schemathesis: every sandbox response against the spec ----
VENV="$ROOT/.venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import schemathesis' 2>/dev/null || "$VENV/bin/pip" install --quiet 'schemathesis==4.32.5'
SB_PORT=$(free_port)
target/debug/autoshares-sandbox --port "$SB_PORT" --credentials-file "$WORK/creds.json" >"$WORK/sandbox.log" 2>&1 &
PIDS+=($!)
SB_URL="http://127.0.0.1:$SB_PORT"
wait_http "$SB_URL/.well-known/openid-configuration" 30
read -r APP_KEY USERNAME PASSWORD < <(python3 - "$WORK/creds.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
user = next(u for u in c["users"] if u["username"] == "trader")
print(c["app_key"], user["username"], user["password"])
PY
)
TOKEN=$(curl -s -X POST -H "Et-App-Key: $APP_KEY" -H "Username: $USERNAME" -H "Password: $PASSWORD" -H 'Content-Length: 0' \
  "$SB_URL/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Token"])')
# Real ids of the logged-in user, so that generated requests reach the handlers instead of the 401/404 of
# someone else's (or nobody's) account.
read -r USER_ID ACCOUNT_ID CLEARING < <(curl -s -H "Et-App-Key: $APP_KEY" -H "Authorization: Bearer $TOKEN" \
  "$SB_URL/v1.0/users/@me/accounts" | python3 -c 'import json,sys; a=json.load(sys.stdin)[0]; print(a["Owners"][0]["UserId"], a["Id"], a["ClearingAccount"])')
# Logout ends the session it is called with: it gets a session of its own (the seeded `other` user).
OTHER_PASSWORD=$(python3 -c 'import json,sys; print(next(u["password"] for u in json.load(open(sys.argv[1]))["users"] if u["username"] == "other"))' "$WORK/creds.json")
LOGOUT_TOKEN=$(curl -s -X POST -H "Et-App-Key: $APP_KEY" -H "Username: other" -H "Password: $OTHER_PASSWORD" -H 'Content-Length: 0' \
  "$SB_URL/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Token"])')
cat >"$WORK/schemathesis.toml" <<TOML
[parameters]
"path.version" = "1.0"
"header.Authorization" = "Bearer $TOKEN"
"header.Et-App-Key" = "$APP_KEY"
"path.userId" = $USER_ID
"path.accountId" = $ACCOUNT_ID
"path.clearingNumber" = "$CLEARING"

[[operations]]
include-operation-id = "Logout"
parameters = { "header.Authorization" = "Bearer $LOGOUT_TOKEN" }
TOML
set +e
(cd "$WORK" && "$VENV/bin/st" run "$SPEC" --url "$SB_URL" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --phases examples,fuzzing --max-examples "${SCHEMATHESIS_EXAMPLES:-10}" --workers 2 \
  --seed 1 --no-color) >"$WORK/schemathesis.txt" 2>&1
st_rc=$?
set -e
tail -n 60 "$WORK/schemathesis.txt"
failures=$(python3 - "$WORK/schemathesis.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.findall(r"(\d+) failures?", text)
print(m[-1] if m else ("0" if "No issues found" in text or " passed" in text else "-1"))
PY
)
[ "$failures" = "-1" ] && { echo "conformance: could not read the schemathesis summary (exit $st_rc)" >&2; failures=1; }
mkdir -p target/conformance
cp "$WORK/prism.txt" "$WORK/schemathesis.txt" target/conformance/
[ -n "$PRISM_LOG" ] && cp "$PRISM_LOG" target/conformance/
echo "(full reports in target/conformance/)"
echo "conformance: prism $called/$total operations, $violations violations; schemathesis $failures failures"
[ "$called" = "$total" ] && [ "$violations" = "0" ] && [ "$failures" = "0" ]
