#!/usr/bin/env bash
# Registers an application straight in Redis (DB 5), as Clipper's management API would.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 NAME INPUT_TYPE DEFAULT_OUTPUT SLO_MICROS   (INPUT_TYPE: bytes|integers|floats|doubles|strings)" >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/connect.sh"
cli -n 5 HSET "$1" input_type "$2" policy DefaultOutputSelectionPolicy default_output "$3" latency_slo_micros "$4"
