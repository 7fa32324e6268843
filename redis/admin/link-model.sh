#!/usr/bin/env bash
# Links a model to an application straight in Redis (DB 7).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 APP MODEL" >&2
  exit 2
fi
redis-cli -h "${REDIS_HOST:-127.0.0.1}" -p "${REDIS_PORT:-6379}" -n 7 SADD "$1" "$2"
