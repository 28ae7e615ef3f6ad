#!/usr/bin/env bash
# The test command: make sure the real peers the integration tests start are installed (InfluxDB 1.x, Mosquitto,
# socat, openssl, mbpoll, pymodbus, docker-compose 1.29, which checks docker-compose.yml without an engine, and a C
# compiler with make to build the bacnet-stack peer), then run the whole vitest suite and end with one line of totals: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v influxd >/dev/null || need+=(influxdb influxdb-client)
command -v mosquitto >/dev/null || need+=(mosquitto mosquitto-clients)
command -v socat >/dev/null || need+=(socat)
command -v openssl >/dev/null || need+=(openssl)
command -v mbpoll >/dev/null || need+=(mbpoll)
command -v docker-compose >/dev/null || need+=(docker-compose)
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || need+=(python3-pymodbus)
{ command -v cc >/dev/null && command -v make >/dev/null; } || need+=(build-essential)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing test peers: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "the tests need these Debian packages: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
[ -d node_modules ] || npm ci --no-audit --no-fund

report=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" 2>/dev/null || echo "0 passed, 1 failed"
rm -f "$report"
exit $status
