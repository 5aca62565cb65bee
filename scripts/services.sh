#!/usr/bin/env bash
# Local Redis and InfluxDB for the quick start (`npm run demo`).
#
#   scripts/services.sh ensure-run-services   start Redis / InfluxDB under $DATA_DIR if they do not answer
#   scripts/services.sh status                say what answers and what this script started
#   scripts/services.sh stop                  stop what this script (and demo.sh) started
#
# Environment (same names and defaults as the platform, contract §1):
#   REDIS_URL   redis://127.0.0.1:6379
#   INFLUX_URL  http://127.0.0.1:8086/property_iot
#   DATA_DIR    ./data   (relative to the repository root)
#   SERVICE_START_TIMEOUT_S  30
#
# Something that already answers at the URL (a system service, a container, a remote host) is
# used as it is. Only a service on this machine (127.0.0.1 / localhost) is ever started. The
# started daemons keep running after this script exits; their pid files are
# $DATA_DIR/redis/redis.pid and $DATA_DIR/influxdb/influxd.pid.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
INFLUX_URL="${INFLUX_URL:-http://127.0.0.1:8086/property_iot}"
DATA_DIR="${DATA_DIR:-./data}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
START_TIMEOUT_S="${SERVICE_START_TIMEOUT_S:-30}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- helpers --------------------------------------------------------------------------------

# url_host URL ; url_port URL DEFAULT  (handles user:pass@ and a path; not IPv6 literals)
url_authority() { local r="${1#*://}"; r="${r%%/*}"; r="${r%%\?*}"; printf '%s' "${r##*@}"; }
url_host() { local a; a="$(url_authority "$1")"; printf '%s' "${a%%:*}"; }
url_port() {
  local a; a="$(url_authority "$1")"
  if [[ "$a" == *:* ]]; then printf '%s' "${a##*:}"; else printf '%s' "$2"; fi
}
url_password() {
  local r="${1#*://}"; r="${r%%/*}"
  [[ "$r" == *@* ]] || return 0
  r="${r%@*}"
  [[ "$r" == *:* ]] && printf '%s' "${r#*:}"
  return 0
}
is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "0.0.0.0" ]]; }
connect_host() { if [[ "$1" == "localhost" || "$1" == "0.0.0.0" ]]; then printf '127.0.0.1'; else printf '%s' "$1"; fi; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# A Redis answers when a PING gets +PONG (or an auth error: it is a Redis, just protected).
redis_answers() {
  local host="$1" port="$2" reply
  reply="$(timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r line <&3 && printf '%s' \"\$line\"" 2>/dev/null)" || return 1
  [[ "$reply" == +PONG* || "$reply" == -NOAUTH* || "$reply" == -WRONGPASS* ]]
}

# HTTP status of a GET, 0 when nothing answers. Uses node (always there for this project).
http_status() {
  node -e '
    const u = process.argv[1];
    const m = u.startsWith("https:") ? require("https") : require("http");
    const r = m.get(u, { timeout: 2000 }, (res) => { console.log(res.statusCode); res.resume(); process.exit(0); });
    r.on("timeout", () => r.destroy(new Error("timeout")));
    r.on("error", () => { console.log(0); process.exit(0); });
  ' "$1"
}

influx_ping_url() {
  local scheme="${INFLUX_URL%%://*}"
  local host; host="$(connect_host "$(url_host "$INFLUX_URL")")"
  local def=8086
  printf '%s://%s:%s/ping' "$scheme" "$host" "$(url_port "$INFLUX_URL" "$def")"
}
influx_answers() { [[ "$(http_status "$(influx_ping_url)")" == "204" ]]; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
pid_from() { [[ -s "$1" ]] && tr -dc '0-9' <"$1" || true; }
# Is pid $1 running program $2 (so a recycled pid is never killed)?
pid_is() {
  pid_alive "$1" || return 1
  [[ -r "/proc/$1/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

ensure_binary() { # ensure_binary PROGRAM PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ -x "/usr/bin/$1" || -x "/usr/sbin/$1" ]] && return 0
  log "$1 is not installed; installing package $2"
  bash "$ROOT/scripts/install-system-deps.sh" "$2"
}

# wait_until SECONDS DESCRIPTION COMMAND... ; polls every 0.2 s, bounded
wait_until() {
  local secs="$1" what="$2"; shift 2
  local attempts=$(( secs * 5 )) i
  for (( i = 0; i < attempts; i++ )); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  return 1
}

# ---- Redis ------------------------------------------------------------------------------------

ensure_redis() {
  local host port chost
  host="$(url_host "$REDIS_URL")"; port="$(url_port "$REDIS_URL" 6379)"; chost="$(connect_host "$host")"
  if redis_answers "$chost" "$port"; then
    log "Redis answers at $chost:$port (using it)"
    return 0
  fi
  [[ "$REDIS_URL" == redis://* ]] || die "Redis at $REDIS_URL does not answer (only plain redis:// on this machine can be started here)"
  is_local "$host" || die "Redis at $REDIS_URL does not answer, and it is not on this machine: start it or change REDIS_URL"
  if port_open "$chost" "$port"; then
    die "port $port (REDIS_URL) is in use by something that is not Redis: free it or change REDIS_URL"
  fi
  ensure_binary redis-server redis-server
  local dir="$DATA_DIR/redis"
  mkdir -p "$dir"
  local args=(--daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir"
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dbfilename dump.rdb
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction
    --protected-mode yes)
  local pass; pass="$(url_password "$REDIS_URL")"
  [[ -n "$pass" ]] && args+=(--requirepass "$pass")
  log "starting redis-server on 127.0.0.1:$port (data and log in $dir)"
  redis-server "${args[@]}" || die "redis-server failed to start; see $dir/redis.log"
  if ! wait_until "$START_TIMEOUT_S" redis redis_answers "$chost" "$port"; then
    tail -n 20 "$dir/redis.log" >&2 || true
    die "redis-server did not answer on port $port within ${START_TIMEOUT_S}s; see $dir/redis.log"
  fi
  log "Redis is up (pid $(pid_from "$dir/redis.pid"))"
}

# ---- InfluxDB -------------------------------------------------------------------------------

write_influx_config() { # dir httpbind rpcbind
  local dir="$1"
  cat >"$dir/influxdb.conf" <<EOF
# Generated by scripts/services.sh; rewritten on every start.
reporting-disabled = true
# RPC service for backup/restore (influxd's default 8088), moved so it cannot clash.
bind-address = "$3"

[meta]
  dir = "$dir/meta"
  logging-enabled = false

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "$2"
  auth-enabled = false
  log-enabled = false

[logging]
  level = "warn"

[continuous_queries]
  enabled = true
EOF
}

free_port_after() { # first port > $1 nothing listens on
  local p=$(( $1 + 1 ))
  while port_open 127.0.0.1 "$p"; do p=$(( p + 1 )); done
  printf '%s' "$p"
}

ensure_influx() {
  local host port
  host="$(url_host "$INFLUX_URL")"; port="$(url_port "$INFLUX_URL" 8086)"
  if influx_answers; then
    log "InfluxDB answers at $(influx_ping_url) (using it)"
    return 0
  fi
  [[ "$INFLUX_URL" == http://* ]] || die "InfluxDB at $INFLUX_URL does not answer (only plain http:// on this machine can be started here)"
  is_local "$host" || die "InfluxDB at $INFLUX_URL does not answer, and it is not on this machine: start it or change INFLUX_URL"
  if port_open 127.0.0.1 "$port"; then
    die "port $port (INFLUX_URL) is in use by something that is not InfluxDB: free it or change INFLUX_URL"
  fi
  ensure_binary influxd influxdb
  local dir="$DATA_DIR/influxdb"
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  local rpc_port="${INFLUX_RPC_PORT:-$(free_port_after "$port")}"
  write_influx_config "$dir" "127.0.0.1:$port" "127.0.0.1:$rpc_port"
  log "starting influxd on 127.0.0.1:$port (rpc 127.0.0.1:$rpc_port; data and log in $dir)"
  local influxd_bin; influxd_bin="$(command -v influxd || echo /usr/bin/influxd)"
  # setsid: own session, so a Ctrl-C in the terminal that ran the demo does not reach it.
  setsid nohup "$influxd_bin" run -config "$dir/influxdb.conf" -pidfile "$dir/influxd.pid" \
    >>"$dir/influxd.log" 2>&1 </dev/null &
  local pid=$!
  disown "$pid" 2>/dev/null || true
  local i ok=0
  for (( i = 0; i < START_TIMEOUT_S * 5; i++ )); do
    if influx_answers; then ok=1; break; fi
    if ! pid_alive "$pid"; then break; fi
    sleep 0.2
  done
  if [[ $ok -ne 1 ]]; then
    tail -n 20 "$dir/influxd.log" >&2 || true
    pid_alive "$pid" && kill "$pid" 2>/dev/null || true
    die "influxd did not answer $(influx_ping_url) within ${START_TIMEOUT_S}s; see $dir/influxd.log"
  fi
  # influxd writes the pid file itself; make sure it is there even if it has not yet.
  [[ -s "$dir/influxd.pid" ]] || echo "$pid" >"$dir/influxd.pid"
  log "InfluxDB is up (pid $(pid_from "$dir/influxd.pid"))"
}

# ---- stop / status ------------------------------------------------------------------------

stop_pidfile() { # pidfile program label
  local file="$1" prog="$2" label="$3" pid
  pid="$(pid_from "$file")"
  if [[ -z "$pid" ]]; then return 0; fi
  if ! pid_is "$pid" "$prog"; then
    log "$label: pid $pid from $file is not running; removing the stale pid file"
    rm -f "$file"
    return 0
  fi
  log "stopping $label (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for (( i = 0; i < 100; i++ )); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    log "$label did not stop within 10s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop_all() {
  stop_pidfile "$DATA_DIR/platform.pid" "node" "platform"
  # the platform first (it uses both), then both services at once
  stop_pidfile "$DATA_DIR/redis/redis.pid" "redis-server" "redis-server" &
  stop_pidfile "$DATA_DIR/influxdb/influxd.pid" "influxd" "influxd" &
  wait
  log "stopped what was started under $DATA_DIR"
}

status() {
  local host port
  host="$(connect_host "$(url_host "$REDIS_URL")")"; port="$(url_port "$REDIS_URL" 6379)"
  if redis_answers "$host" "$port"; then echo "redis:    answers at $host:$port"; else echo "redis:    DOWN at $host:$port"; fi
  if influx_answers; then echo "influxdb: answers at $(influx_ping_url)"; else echo "influxdb: DOWN at $(influx_ping_url)"; fi
  local f
  for f in platform.pid redis/redis.pid influxdb/influxd.pid; do
    local pid; pid="$(pid_from "$DATA_DIR/$f")"
    if pid_alive "$pid"; then echo "started here: $f -> pid $pid"; fi
  done
}

case "${1:-}" in
  ensure-run-services|ensure) ensure_redis; ensure_influx ;;
  ensure-redis) ensure_redis ;;
  ensure-influx) ensure_influx ;;
  stop) stop_all ;;
  status) status ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
