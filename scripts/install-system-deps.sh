#!/usr/bin/env bash
# Installs (with apt-get) the system services this project runs against, but only the ones
# that are missing. Idempotent: a second run installs nothing and does not touch apt.
#
#   scripts/install-system-deps.sh --for run    # influxdb redis-server (what `npm run demo` needs)
#   scripts/install-system-deps.sh --for test   # + postgresql mosquitto haproxy chromium fonts-noto-cjk
#   scripts/install-system-deps.sh influxdb redis-server   # explicit package names
#   scripts/install-system-deps.sh --check --for test      # only report, exit 1 if something is missing
#
# Environment: APT_LISTS_MAX_AGE_MIN (default 1440): skip `apt-get update` when the package
# lists are younger than this and every wanted package has an install candidate.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
export NEEDRESTART_MODE=a

log() { printf '[install-system-deps] %s\n' "$*" >&2; }
die() { printf '[install-system-deps] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

RUN_PKGS=(influxdb redis-server)
TEST_PKGS=(influxdb redis-server postgresql mosquitto haproxy chromium fonts-noto-cjk)

wanted=()
check_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --for)
      [[ $# -ge 2 ]] || die "--for needs a value: run | test"
      case "$2" in
        run) wanted+=("${RUN_PKGS[@]}") ;;
        test|all) wanted+=("${TEST_PKGS[@]}") ;;
        *) die "unknown --for value '$2' (expected run or test)" ;;
      esac
      shift 2 ;;
    --for=*)
      case "${1#--for=}" in
        run) wanted+=("${RUN_PKGS[@]}") ;;
        test|all) wanted+=("${TEST_PKGS[@]}") ;;
        *) die "unknown --for value '${1#--for=}' (expected run or test)" ;;
      esac
      shift ;;
    --check) check_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) wanted+=("$1"); shift ;;
  esac
done
[[ ${#wanted[@]} -gt 0 ]] || wanted=("${RUN_PKGS[@]}")

# de-duplicate, keep order
declare -A seen=()
pkgs=()
for p in "${wanted[@]}"; do
  [[ -n "${seen[$p]:-}" ]] && continue
  seen[$p]=1
  pkgs+=("$p")
done

dpkg_installed() {
  command -v dpkg-query >/dev/null 2>&1 || return 1
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# A package also counts as present when its program is already there (e.g. built from source
# or installed some other way).
binary_present() {
  case "$1" in
    influxdb) command -v influxd >/dev/null 2>&1 || [[ -x /usr/bin/influxd ]] ;;
    redis-server) command -v redis-server >/dev/null 2>&1 ;;
    mosquitto) command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]] ;;
    haproxy) [[ -x /usr/sbin/haproxy ]] ;;
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null 2>&1 ;;
    chromium) command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] ;;
    *) return 1 ;;
  esac
}

missing=()
for p in "${pkgs[@]}"; do
  if dpkg_installed "$p" || binary_present "$p"; then
    log "present: $p"
  else
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "nothing to install (${pkgs[*]})"
  exit 0
fi

log "missing: ${missing[*]}"
if [[ $check_only -eq 1 ]]; then
  exit 1
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get is not available on this machine. Install these yourself: ${missing[*]} (Debian/Ubuntu package names)"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n -E)
  else
    die "need root to install ${missing[*]}: run 'sudo $0 ${pkgs[*]}' or install them yourself"
  fi
fi

# Are the package lists fresh enough, and does every missing package have a candidate?
lists_fresh() {
  local max_age="${APT_LISTS_MAX_AGE_MIN:-1440}"
  local newest
  newest=$(find /var/lib/apt/lists -maxdepth 1 -type f \( -name '*_Packages*' -o -name '*InRelease' \) -mmin "-$max_age" 2>/dev/null | head -n1)
  [[ -n "$newest" ]] || return 1
  local p cand
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    [[ -n "$cand" && "$cand" != "(none)" ]] || return 1
  done
  return 0
}

if lists_fresh; then
  log "apt package lists are fresh; skipping apt-get update"
else
  log "running: apt-get update"
  "${SUDO[@]}" apt-get update -q -o DPkg::Lock::Timeout=600 || die "apt-get update failed"
fi

log "running: apt-get install -y --no-install-recommends ${missing[*]}"
"${SUDO[@]}" apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" || die "apt-get install failed for: ${missing[*]}"

# verify
still=()
for p in "${missing[@]}"; do
  dpkg_installed "$p" || binary_present "$p" || still+=("$p")
done
[[ ${#still[@]} -eq 0 ]] || die "still missing after install: ${still[*]}"
log "installed: ${missing[*]}"
