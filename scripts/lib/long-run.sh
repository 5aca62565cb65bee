# Shared preamble of the long runs (scripts/chaos.sh, scripts/fuzz.sh); source it, don't run it.
# Puts the shell at the repository root, installs what the integration tests need, builds the
# platform (some suites start the built platform as processes of their own), prepares .tmp and
# bench/results, and sets JEST to the jest command line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/install-system-deps.sh --for test
npm run build >/dev/null
mkdir -p .tmp bench/results
JEST=(node --experimental-vm-modules node_modules/jest/bin/jest.js)
