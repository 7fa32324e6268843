#!/usr/bin/env bash
# Installs what Cutter needs on a fresh Debian/Ubuntu machine that has Swift, Python and gcc,
# then builds it: apt packages (only the missing ones), a Python venv in .venv with the
# container SDK, and `swift build`. Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "error: need root (or sudo) to install: $*" >&2; exit 1; fi; }

packages=(libevent-dev libhiredis-dev redis-server redis-tools pkg-config curl)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  step "system packages present (${packages[*]})"
fi

if [ ! -x .venv/bin/python ]; then
  step "creating Python venv in .venv"
  python3 -m venv .venv || { as_root apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv; }
fi
step "installing the Python container SDK (containers/python) into .venv"
.venv/bin/pip install -q --disable-pip-version-check -e './containers/python[test]'

step "building Cutter (swift build)"
swift build "$@" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)' || true
bin=$(swift build "$@" --show-bin-path)
test -x "$bin/cutter" || { echo "error: the build did not produce $bin/cutter" >&2; exit 1; }
