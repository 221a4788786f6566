#!/usr/bin/env bash
# `make soak`: the bounded soak from Rust, Python and Node in turn (SOAK_SECONDS each, 100 by default, so about
# five minutes in all), each against its own in-process sandbox under every fault at once. Each prints its own
# summary; the last line adds them up:
#   soak: ops=<n> faults=<n> duplicate_orders=<n> lost_events=<n> subscriptions_restored=<n>/<n> panics=<n>
# and the exit status is non-zero if any of the three failed its checks.
set -uo pipefail
cd "$(dirname "$0")/../.."
export SOAK_SECONDS="${SOAK_SECONDS:-100}"
VENV_PY="${VENV_PY:-.venv/bin/python}"
status=0
summaries=()
run() {
  local lang="$1"; shift
  echo "== soak ($lang, ${SOAK_SECONDS} s): $*"
  local log
  log="$(mktemp)"
  "$@" 2>&1 | tee "$log" | grep -v -E '^\s*(no definite answer|not found after|cancel without|session recovery)' || true
  local rc="${PIPESTATUS[0]}"
  [ "$rc" -eq 0 ] || { echo "soak ($lang) failed with status $rc"; status=1; }
  local line
  line="$(grep -E '^soak: ops=' "$log" | tail -1)"
  [ -n "$line" ] || { echo "soak ($lang) printed no summary"; status=1; }
  summaries+=("$line")
  rm -f "$log"
}
run rust cargo run --release -q -p autoshares-soak
run python "$VENV_PY" tests/soak/soak.py
run node node tests/soak/soak.mjs
printf '%s\n' "${summaries[@]}" | awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "subscriptions_restored") { split(kv[2], ab, "/"); ra += ab[1]; rb += ab[2] } else s[kv[1]] += kv[2] } }
  END { printf "soak: ops=%d faults=%d duplicate_orders=%d lost_events=%d subscriptions_restored=%d/%d panics=%d\n",
        s["ops"], s["faults"], s["duplicate_orders"], s["lost_events"], ra, rb, s["panics"] }'
exit "$status"
