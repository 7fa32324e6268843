#!/usr/bin/env bash
# Links a model to an application straight in Redis (DB 7).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 APP MODEL" >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/connect.sh"
cli -n 7 SADD "$1" "$2"
