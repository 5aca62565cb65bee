#!/usr/bin/env bash
# `npm ci`, with one fallback: npm ci refuses a package-lock.json that lacks other platforms'
# optional binaries (@swc/core-darwin-*, @msgpackr-extract/*-win32-*, …), which happens when the
# lock was written against a registry that does not have those versions (npm/cli#4828, #8805).
# Then `npm install --no-save` installs the same locked versions without touching the lock file.
# Any other npm ci failure is final.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
set +e
npm ci --no-audit --no-fund </dev/null 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
[[ $rc -eq 0 ]] && exit 0
if grep -q "can only install packages when your package.json and package-lock.json" "$out" \
  && ! grep -q "Invalid: lock file's" "$out"; then
  echo "[npm-ci] WARNING: npm ci rejected the lock file only for missing optional platform packages;" >&2
  echo "[npm-ci]          installing the locked versions with 'npm install --no-save' instead" >&2
  exec npm install --no-audit --no-fund --no-save </dev/null
fi
exit "$rc"
