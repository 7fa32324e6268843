#!/usr/bin/env bash
# Runs every test: sets up (scripts/setup.sh), then the Python SDK's tests, then `swift test`
# (unit tests, and integration tests against real redis-server, cutter and containers).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
printf '\n==> Python container SDK tests (pytest)\n'
.venv/bin/python -m pytest -q containers/python/tests
printf '\n==> Swift tests (swift test)\n'
swift test 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)|^◇ |^↳ '
