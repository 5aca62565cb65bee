#!/usr/bin/env bash
# `npm run demo`: the quick start. Installs what is missing, starts Redis and InfluxDB if they do
# not answer, builds if needed, starts the platform in the background and runs the device
# simulator in the foreground. Ctrl-C stops the simulator and the platform; Redis and InfluxDB
# keep running (`npm run stop` stops them too).
#
# Environment (all optional): HTTP_PORT (3000), DATA_DIR (./data), REDIS_URL, INFLUX_URL,
# MQTT_URL / MQTT_PORT / MQTT_WS_PORT, DATABASE_URL, ADMIN_USERNAME (admin), ADMIN_PASSWORD
# (generated once into $DATA_DIR/admin-password), PLATFORM_START_TIMEOUT_S (120),
# DEMO_NO_SIM=1 (start the platform only and wait), DEMO_SIM_ARGS (extra simulator arguments).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[demo] %s\n' "$*" >&2; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

export HTTP_PORT="${HTTP_PORT:-3000}"
export DATA_DIR="${DATA_DIR:-./data}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
export DATA_DIR
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export INFLUX_URL="${INFLUX_URL:-http://127.0.0.1:8086/property_iot}"
export ADMIN_USERNAME="${ADMIN_USERNAME:-admin}"
START_TIMEOUT_S="${PLATFORM_START_TIMEOUT_S:-120}"
PID_FILE="$DATA_DIR/platform.pid"
LOG_FILE="$DATA_DIR/platform.log"
API="http://127.0.0.1:$HTTP_PORT"

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
free_port_from() { local p="$1"; while port_open "$p"; do p=$(( p + 1 )); done; printf '%s' "$p"; }
pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# ---- 1. npm packages ------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not installed (Node.js >= 20.19 is required)"
if [[ ! -d node_modules ]]; then
  log "node_modules is missing: running npm ci"
  npm ci --no-audit --no-fund
fi

# ---- 2. system packages and services ----------------------------------------------------------
# services.sh installs (scripts/install-system-deps.sh) only what it has to start itself; a Redis
# or InfluxDB that already answers at REDIS_URL / INFLUX_URL is used as it is.
bash scripts/services.sh ensure-run-services

# ---- 3. build if needed ---------------------------------------------------------------------------
platform_main() {
  local f
  for f in dist/apps/platform/src/main.js dist/apps/platform/main.js; do
    [[ -f "$f" ]] && { printf '%s' "$f"; return 0; }
  done
  return 1
}
SIM_MAIN="dist/device-sim/src/main.js"
needs_build() {
  local main
  main="$(platform_main)" || return 0
  [[ -f "$SIM_MAIN" ]] || return 0
  local newer
  newer="$(find apps libs device-sim nest-cli.json tsconfig.json tsconfig.build.json package-lock.json \
    -type f -newer "$main" -not -path '*/node_modules/*' -not -name '*.spec.ts' -print -quit 2>/dev/null || true)"
  [[ -n "$newer" ]] && { log "sources changed since the last build ($newer)"; return 0; }
  return 1
}
if needs_build; then
  log "building: npm run build"
  npm run build
fi
PLATFORM_MAIN="$(platform_main)" || die "the build did not produce dist/apps/platform/src/main.js"

# ---- 4. admin password ------------------------------------------------------------------------
if [[ -z "${ADMIN_PASSWORD:-}" ]]; then
  if [[ -s "$DATA_DIR/admin-password" ]]; then
    ADMIN_PASSWORD="$(head -n1 "$DATA_DIR/admin-password")"
  else
    ADMIN_PASSWORD="$(node -e 'process.stdout.write(require("crypto").randomBytes(15).toString("base64url"))')"
    (umask 077; printf '%s\n' "$ADMIN_PASSWORD" >"$DATA_DIR/admin-password")
    log "generated an administrator password into $DATA_DIR/admin-password"
  fi
fi
export ADMIN_PASSWORD

# ---- 5. ports -------------------------------------------------------------------------------
old_pid="$(tr -dc '0-9' 2>/dev/null <"$PID_FILE" || true)"
if pid_alive "$old_pid" && tr '\0' ' ' <"/proc/$old_pid/cmdline" 2>/dev/null | grep -q node; then
  log "a platform started by an earlier demo is still running (pid $old_pid): stopping it"
  kill -TERM "$old_pid" 2>/dev/null || true
  for (( i = 0; i < 150; i++ )); do pid_alive "$old_pid" || break; sleep 0.1; done
  pid_alive "$old_pid" && kill -KILL "$old_pid" 2>/dev/null || true
fi
rm -f "$PID_FILE"
port_open "$HTTP_PORT" && die "port $HTTP_PORT (HTTP_PORT) is in use: stop what uses it or set HTTP_PORT"

SIM_MQTT_ARGS=()
if [[ -z "${MQTT_URL:-}" ]]; then
  # The embedded broker. On a machine that already runs a broker on 1883, use the next free port.
  if [[ -z "${MQTT_PORT:-}" ]]; then
    MQTT_PORT=1883
    if port_open 1883; then
      MQTT_PORT="$(free_port_from 11883)"
      log "port 1883 is taken (another MQTT broker?): the embedded broker uses $MQTT_PORT"
    fi
  fi
  if [[ -z "${MQTT_WS_PORT:-}" ]]; then
    MQTT_WS_PORT=8083
    port_open 8083 && MQTT_WS_PORT="$(free_port_from 18083)"
  fi
  export MQTT_PORT MQTT_WS_PORT
  SIM_MQTT_URL="mqtt://127.0.0.1:$MQTT_PORT"
else
  SIM_MQTT_URL="$MQTT_URL"
fi

# ---- 6. start the platform --------------------------------------------------------------------
PLATFORM_PID=""
stop_platform() {
  local pid="$PLATFORM_PID"
  [[ -n "$pid" ]] || return 0
  PLATFORM_PID=""
  if pid_alive "$pid"; then
    log "stopping the platform (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for (( i = 0; i < 150; i++ )); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then log "the platform did not stop within 15s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$PID_FILE"
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_platform
  log "Redis and InfluxDB keep running; 'npm run stop' stops them. Platform log: $LOG_FILE"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting the platform ($PLATFORM_MAIN), log: $LOG_FILE"
{ printf '\n==== %s demo start ====\n' "$(date -Is)"; } >>"$LOG_FILE"
# Own session (setsid) so the terminal's Ctrl-C reaches only this script, which then stops the
# platform cleanly. The child writes its own pid before exec'ing node.
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" node "$PLATFORM_MAIN" \
  >>"$LOG_FILE" 2>&1 </dev/null &
for (( i = 0; i < 50; i++ )); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
PLATFORM_PID="$(tr -dc '0-9' 2>/dev/null <"$PID_FILE" || true)"
[[ -n "$PLATFORM_PID" ]] || die "could not start the platform"

health_status() {
  node -e '
    const r = require("http").get(process.argv[1], { timeout: 3000 }, (res) => { console.log(res.statusCode); res.resume(); });
    r.on("timeout", () => r.destroy(new Error("timeout")));
    r.on("error", () => console.log(0));
  ' "$API/health"
}
ok=0
for (( i = 0; i < START_TIMEOUT_S * 2; i++ )); do
  if ! pid_alive "$PLATFORM_PID"; then
    tail -n 40 "$LOG_FILE" >&2 || true
    die "the platform exited during start-up; see $LOG_FILE"
  fi
  if [[ "$(health_status)" == "200" ]]; then ok=1; break; fi
  sleep 0.5
done
if [[ $ok -ne 1 ]]; then
  tail -n 40 "$LOG_FILE" >&2 || true
  die "the platform did not report healthy at $API/health within ${START_TIMEOUT_S}s; see $LOG_FILE"
fi

# Does the administrator password work? (It will not when DATA_DIR holds a database created
# with another one.)
login_status="$(node -e '
  const body = JSON.stringify({ username: process.argv[2], password: process.argv[3] });
  const r = require("http").request(process.argv[1] + "/api/v1/auth/login",
    { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: 5000 },
    (res) => { console.log(res.statusCode); res.resume(); });
  r.on("timeout", () => r.destroy(new Error("timeout")));
  r.on("error", () => console.log(0));
  r.end(body);
' "$API" "$ADMIN_USERNAME" "$ADMIN_PASSWORD")"
if [[ "$login_status" != 200 && "$login_status" != 201 ]]; then
  die "logging in as $ADMIN_USERNAME failed (HTTP $login_status): the database in $DATA_DIR was created with another administrator password. Set ADMIN_PASSWORD to it, or use a fresh DATA_DIR."
fi

cat >&2 <<EOF

  ================================================================
   Platform is up.
   Dashboard:  http://127.0.0.1:$HTTP_PORT/dashboard/
   Login:      $ADMIN_USERNAME / $ADMIN_PASSWORD
   API:        $API/api/v1   (OpenAPI: $API/api/docs)
   MQTT:       $SIM_MQTT_URL
   Log:        $LOG_FILE
   Ctrl-C stops the simulator and the platform.
  ================================================================

EOF

# ---- 7. the simulator in the foreground -------------------------------------------------------
if [[ -n "${DEMO_NO_SIM:-}" ]]; then
  log "DEMO_NO_SIM is set: not starting the simulator; waiting (Ctrl-C to stop)"
  while pid_alive "$PLATFORM_PID"; do sleep 1; done
  die "the platform exited; see $LOG_FILE"
fi
[[ -f "$SIM_MAIN" ]] || die "$SIM_MAIN is missing (npm run build builds it)"
sim_args=(demo --api "$API" --username "$ADMIN_USERNAME" --password "$ADMIN_PASSWORD")
# Pass the broker address when the simulator knows the option (it may also ask the API).
sim_help="$({ node "$SIM_MAIN" --help; node "$SIM_MAIN" demo --help; } 2>/dev/null || true)"
grep -q -- '--mqtt' <<<"$sim_help" && sim_args+=(--mqtt "$SIM_MQTT_URL")
# Its credentials files go next to the platform's data.
grep -q -- '--data-dir' <<<"$sim_help" && sim_args+=(--data-dir "$DATA_DIR")
# shellcheck disable=SC2206
[[ -n "${DEMO_SIM_ARGS:-}" ]] && sim_args+=($DEMO_SIM_ARGS)
log "starting the simulator: node $SIM_MAIN ${sim_args[*]/"$ADMIN_PASSWORD"/***}"
set +e
node "$SIM_MAIN" "${sim_args[@]}"
sim_rc=$?
set -e
log "the simulator exited (code $sim_rc)"
exit "$sim_rc"
