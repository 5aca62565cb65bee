#!/usr/bin/env bash
# `npm run bench [-- --duration 30 --devices 100 --window 10 --cpu-prof]`: builds, makes sure Redis
# and InfluxDB answer (starting them under DATA_DIR like the quick start), then runs the ingestion
# benchmark (Mosquitto ceiling, the platform at full load and at half the target rate, the ratio).
# Results: bench/results/ingest-latest.json and .md.
# Quick tries: BENCH_INGEST_SECONDS=10 shortens each ingestion round, BENCH_CPU_PROF=1 profiles the
# platform's full-load round (bench/results/ingest-profile-latest.md), BENCH_ONLY=ingest skips the
# other benchmarks, BENCH_ONLY=footprint runs only the idle-footprint benchmark (bench/footprint.bench.ts:
# idle RSS after a first start and after a restart, split into PGlite's WebAssembly memory, the V8
# heap, other native memory and mapped files; bench/results/footprint-latest.md), which runs first.
# The fleet benchmark (bench/fleet.bench.ts: bulk import, connections held per step, restart
# storm) runs last with BENCH_FLEET_DEVICES devices (default 10000; 50000 is the issue's target,
# beyond a machine whose hard open-file limit is lower; 0 skips it), on the PostgreSQL server at
# BENCH_DATABASE_URL when one answers (a property company's fleet runs on one: with embedded PGlite
# a restart storm of 15,000 devices takes about twice as long), on PGlite otherwise.
# The cluster benchmark (bench/cluster.bench.ts: 1, 2 and 3 processes behind HAProxy) needs a
# PostgreSQL server at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# without one it is skipped with a message. BENCH_CLUSTER=0 skips it too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ -d node_modules ]] || npm ci --no-audit --no-fund
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export INFLUX_URL="${INFLUX_URL:-http://127.0.0.1:8086/property_iot}"
bash scripts/install-system-deps.sh --for run
bash scripts/services.sh ensure-run-services
npm run -s build
influx_base="${INFLUX_URL%/*}"
if [[ "${BENCH_ONLY:-}" != ingest ]]; then
  node dist/bench/footprint.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
  [[ "${BENCH_ONLY:-}" == footprint ]] && exit 0
fi
ingest_args=(--duration "${BENCH_INGEST_SECONDS:-30}")
[[ "${BENCH_CPU_PROF:-0}" == 1 ]] && ingest_args+=(--cpu-prof)
node dist/bench/ingest.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base" "${ingest_args[@]}" "$@"
[[ "${BENCH_ONLY:-}" == ingest ]] && exit 0
node dist/bench/alarm-latency.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
node dist/bench/gate-latency.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
node dist/bench/dashboards.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
bench_db="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bench_db_answers=0
node -e 'const { Client } = require("pg"); const c = new Client({ connectionString: process.argv[1] }); c.connect().then(() => c.end()).catch(() => process.exit(1))' "$bench_db" && bench_db_answers=1
if [[ "${BENCH_FLEET_DEVICES:-10000}" != 0 ]]; then
  # Every MQTT connection is an open file: a platform process holds at most its limit of them,
  # so raise the soft limit to the hard one (raising the hard limit needs root's CAP_SYS_RESOURCE).
  ulimit -n "$(ulimit -Hn)"
  fleet_db=(--database pglite)
  [[ $bench_db_answers == 1 ]] && fleet_db=(--database postgres --postgres-url "$bench_db")
  node dist/bench/fleet.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base" --devices "${BENCH_FLEET_DEVICES:-10000}" "${fleet_db[@]}" ${BENCH_FLEET_ARGS:-}
fi
if [[ "${BENCH_CLUSTER:-1}" != 0 ]]; then
  if [[ $bench_db_answers == 1 ]]; then
    bash scripts/install-system-deps.sh haproxy
    node dist/bench/cluster.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base" --database-url "$bench_db"
  else
    echo "[bench] cluster benchmark skipped: no PostgreSQL answers at $bench_db (set BENCH_DATABASE_URL)" >&2
  fi
fi
node dist/bench/broker-registry.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
