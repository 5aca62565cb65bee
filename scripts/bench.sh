#!/usr/bin/env bash
# `npm run bench [-- --rate 45000 --duration 30 --devices 100]`: builds, makes sure Redis and
# InfluxDB answer (starting them under DATA_DIR like the quick start), then runs the ingestion
# benchmark. Results: bench/results/ingest-latest.json and .md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ -d node_modules ]] || bash scripts/npm-ci.sh
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export INFLUX_URL="${INFLUX_URL:-http://127.0.0.1:8086/property_iot}"
bash scripts/install-system-deps.sh --for run
bash scripts/services.sh ensure-run-services
npm run -s build
influx_base="${INFLUX_URL%/*}"
node dist/bench/ingest.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base" "$@"
node dist/bench/alarm-latency.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
node dist/bench/gate-latency.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
node dist/bench/dashboards.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
node dist/bench/broker-registry.bench.js --redis-url "$REDIS_URL" --influx-url "$influx_base"
