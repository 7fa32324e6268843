#!/usr/bin/env bash
# Runs every test: sets up (scripts/setup.sh), then the Python SDK's tests, then `swift test`
# (unit tests, and integration tests against real redis-server, cutter and containers).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# promtool (Debian's prometheus package) checks /metrics in the Swift tests; without it that
# check is skipped and says so.
if ! command -v promtool >/dev/null; then
  printf '\n==> installing promtool (Debian package prometheus) for the metrics format check\n'
  { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } \
    || sudo -n apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || echo "could not install promtool: the metrics format check will be skipped"
fi
printf '\n==> Layers: no dependency cycle between the folders of Sources/Cutter, C only in its wrappers\n'
python3 scripts/check-layers.py
printf '\n==> Python container SDK tests (pytest)\n'
.venv/bin/python -m pytest -q containers/python/tests
printf '\n==> Clipper compatibility: the real clipper_admin 0.4.1 drives cutter (pytest, own venv .venv-compat)\n'
if [ ! -x .venv-compat/bin/python ]; then python3 -m venv .venv-compat; fi
.venv-compat/bin/pip install -q --disable-pip-version-check -r compat/requirements.txt ./containers/python
.venv-compat/bin/pip install -q --disable-pip-version-check "cloudpickle>=2" 2>&1 | grep -vE "dependency resolver|cloudpickle==0.5.3, but" || true
.venv-compat/bin/python -m pytest -q compat

printf '\n==> Swift tests (swift test)\n'
swift test 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)|^◇ |^↳ '
