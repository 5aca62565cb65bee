#!/usr/bin/env bash
# `npm run chaos`: the fault table of tests/faults/ at full length against a real stack (the test
# run's own Redis, InfluxDB, PostgreSQL and Mosquitto), then bench/results/chaos-latest.md with
# one row per fault: acknowledged, stored, lost, duplicated, recovery time. Slow; not part of
# `npm test`, which runs each fault briefly. FAULT_SCALE=short runs the brief versions (a quick
# check of the run itself). Extra arguments go to jest (e.g. a test name filter).
source "$(dirname "${BASH_SOURCE[0]}")/lib/long-run.sh"

report="$ROOT/.tmp/chaos-results.jsonl"
outcome="$ROOT/.tmp/chaos-jest.json"
: >"$report"
rm -f "$outcome"
rc=0
FAULT_SCALE="${FAULT_SCALE:-long}" FAULT_REPORT="$report" "${JEST[@]}" tests/faults "$@" \
  --runInBand --testTimeout 1800000 --json --outputFile="$outcome" --selectProjects integration || rc=$?

node - "$report" "$rc" "$outcome" <<'JS' >bench/results/chaos-latest.md
const fs = require('node:fs');
const [file, rc, outcomeFile] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const failed = fs.existsSync(outcomeFile)
  ? JSON.parse(fs.readFileSync(outcomeFile, 'utf8')).testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => ({ name: a.fullName, why: (a.failureMessages[0] ?? '').split('\n').filter((l) => l.trim()).slice(0, 3).join(' ').replace(/\u001b\[[0-9;]*m/g, '') })))
  : [];
const n = (v) => Number(v).toLocaleString('en-US');
console.log(`# Chaos run ${new Date().toISOString()}\n`);
console.log(`${rows.length} faults at FAULT_SCALE=${rows[0]?.scale ?? 'long'}, jest exit code ${rc}. Every row compares what was acknowledged with what was stored.\n`);
console.log('| fault | load | acknowledged | stored | lost | duplicated | recovery (s) | notes |');
console.log('|---|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.fault} | ${r.load} | ${n(r.acknowledged)} | ${n(r.stored)} | ${n(r.lost)} | ${n(r.duplicated)} | ${r.recoverySeconds.toFixed(1)} | ${r.notes ?? ''} |`);
}
if (failed.length > 0) {
  console.log(`\n## Failed checks (${failed.length})\n\nA row above may come from a test that failed a later check; a test that failed before recording has no row.\n`);
  for (const f of failed) console.log(`- ${f.name}: ${f.why}`);
}
JS
echo "[chaos] wrote bench/results/chaos-latest.md" >&2
exit "$rc"
