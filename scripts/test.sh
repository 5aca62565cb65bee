#!/usr/bin/env bash
# `npm test`: the whole suite. Installs npm packages if node_modules is missing and the system
# packages the integration tests need (scripts/install-system-deps.sh --for test), then runs the
# jest "unit" project and the "integration" project (one file at a time; its global set-up starts the run's
# own Redis, InfluxDB, PostgreSQL and Mosquitto on private ports and stops them afterwards).
# Exits non-zero if anything fails. Extra arguments go to both jest runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[test] %s\n' "$*" >&2; }

if [[ ! -d node_modules ]]; then
  log "node_modules is missing: running npm ci"
  npm ci --no-audit --no-fund
fi

bash scripts/install-system-deps.sh --for test

# PGlite loads parts of itself with import(), which jest's module sandbox allows only with this flag.
JEST=(node --experimental-vm-modules node_modules/jest/bin/jest.js)
[[ -f node_modules/jest/bin/jest.js ]] || JEST=(env NODE_OPTIONS=--experimental-vm-modules npx --no-install jest)
CI_FLAGS=()
[[ -n "${CI:-}" ]] && CI_FLAGS+=(--ci)

rc=0
log "unit tests"
"${JEST[@]}" "${CI_FLAGS[@]}" --selectProjects unit --passWithNoTests "$@" || rc=$?
log "build (the fault and cluster tests run the built platform as processes of their own)"
npm run build >/dev/null || rc=$?
log "integration tests"
# One test file at a time, in a worker that is replaced once it holds more than 1.5 GB after a file:
# in band, the embedded PostgreSQL (PGlite) instances and compiled modules of 60 files add up in one
# heap until V8 aborts.
"${JEST[@]}" "${CI_FLAGS[@]}" --selectProjects integration --maxWorkers=1 --workerIdleMemoryLimit=1.5GB --passWithNoTests "$@" || rc=$?

if [[ $rc -ne 0 ]]; then
  log "FAILED (exit $rc)"
else
  log "all tests passed"
fi
exit "$rc"
