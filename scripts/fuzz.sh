#!/usr/bin/env bash
# `npm run fuzz`: the fuzz suites of tests/fuzz/ at full length against a real stack (the test run's
# own Redis, InfluxDB, PostgreSQL and Mosquitto): 1,000,000 MQTT payloads, 100,000 raw MQTT
# connections of mutated packets, 100,000 REST requests from the OpenAPI document. FUZZ_RUNS
# scales all three (the MQTT payload count; the others in proportion), FUZZ_SEED replays a run.
# Writes bench/results/fuzz-latest.md: sent, stored, dead-lettered, crashes, 5xx, out-of-scope
# and any failing seed. `npm test` runs each suite briefly. Extra arguments go to jest.
source "$(dirname "${BASH_SOURCE[0]}")/lib/long-run.sh"

report="$ROOT/.tmp/fuzz-results.jsonl"
: >"$report"
rc=0
started=$(date +%s)
FUZZ_SCALE=long FUZZ_REPORT="$report" "${JEST[@]}" \
  --selectProjects integration --runInBand --testTimeout 21600000 tests/fuzz "$@" || rc=$?

node - "$report" "$rc" "$(( $(date +%s) - started ))" "${FUZZ_RUNS:-1000000}" <<'JS' >bench/results/fuzz-latest.md
const [file, rc, seconds, runs] = process.argv.slice(2);
const rows = require('node:fs').readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const n = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
console.log(`# Fuzz run ${new Date().toISOString()}\n`);
console.log(`FUZZ_RUNS=${n(Number(runs))}, ${rows.length} suites reported, jest exit code ${rc}, ${n(Number(seconds))} s in all.`);
console.log('A suite that crashed the process or failed before the end reports no row; the jest exit code says so.\n');
console.log('| suite | sent | counts | seed | failures |');
console.log('|---|---:|---|---:|---:|');
for (const r of rows) {
  const counts = Object.entries(r.counts).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  console.log(`| ${r.suite} | ${n(r.sent)} | ${counts} | ${r.seed} | ${r.failures.length} |`);
}
for (const r of rows) {
  if (r.notes) console.log(`\n${r.suite}: ${r.notes}`);
  if (r.failures.length) console.log(`\nFailing cases of ${r.suite} (replay with FUZZ_SEED=${r.seed}):\n\n${r.failures.map((f) => `- ${f}`).join('\n')}`);
}
JS
echo "[fuzz] wrote bench/results/fuzz-latest.md" >&2
exit "$rc"
