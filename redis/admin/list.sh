#!/usr/bin/env bash
# Prints Cutter's (Clipper's) configuration as it stands in Redis.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/connect.sh"
for db_name in "5 applications" "2 models" "3 containers"; do
  set -- $db_name
  echo "== $2 (DB $1)"
  for key in $(cli -n "$1" --scan); do echo "$key: $(cli -n "$1" HGETALL "$key" | paste -sd' ')"; done
done
echo "== current versions (DB 6)"
for key in $(cli -n 6 --scan); do echo "$key = $(cli -n 6 GET "$key")"; done
echo "== links (DB 7)"
for key in $(cli -n 7 --scan); do echo "$key -> $(cli -n 7 SMEMBERS "$key" | paste -sd' ')"; done
