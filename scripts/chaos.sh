#!/usr/bin/env bash
# `npm run chaos`: the fault table of tests/faults/ at full length against a real stack (the test
# run's own Redis, InfluxDB, PostgreSQL and Mosquitto), then bench/results/chaos-latest.md with
# one row per fault: acknowledged, stored, lost, duplicated, recovery time. Slow; not part of
# `npm test`, which runs each fault briefly. FAULT_SCALE=short runs the brief versions (a quick
# check of the run itself). Extra arguments go to jest (e.g. a test name filter).
source "$(dirname "${BASH_SOURCE[0]}")/lib/long-run.sh"

report="$ROOT/.tmp/chaos-results.jsonl"
: >"$report"
rc=0
FAULT_SCALE="${FAULT_SCALE:-long}" FAULT_REPORT="$report" "${JEST[@]}" \
  --selectProjects integration --runInBand --testTimeout 1800000 tests/faults "$@" || rc=$?

node - "$report" "$rc" <<'JS' >bench/results/chaos-latest.md
const [file, rc] = process.argv.slice(2);
const rows = require('node:fs').readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const n = (v) => Number(v).toLocaleString('en-US');
console.log(`# Chaos run ${new Date().toISOString()}\n`);
console.log(`${rows.length} faults at FAULT_SCALE=${rows[0]?.scale ?? 'long'}, jest exit code ${rc}. Every row compares what was acknowledged with what was stored.\n`);
console.log('| fault | load | acknowledged | stored | lost | duplicated | recovery (s) | notes |');
console.log('|---|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.fault} | ${r.load} | ${n(r.acknowledged)} | ${n(r.stored)} | ${n(r.lost)} | ${n(r.duplicated)} | ${r.recoverySeconds.toFixed(1)} | ${r.notes ?? ''} |`);
}
JS
echo "[chaos] wrote bench/results/chaos-latest.md" >&2
exit "$rc"
