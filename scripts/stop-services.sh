#!/usr/bin/env bash
# `npm run stop`: stops the platform started by `npm run demo` and the Redis / InfluxDB that
# scripts/services.sh started under $DATA_DIR (default ./data). Services it did not start
# (system services, containers) are left alone.
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/services.sh" stop
