#!/usr/bin/env bash
# Heap allocations per request, counted (not timed): cutter runs with bench/malloc_count.c
# preloaded, which counts every malloc-family call; a snapshot is taken before and after a wrk
# load, and the difference over the requests served is the figure. Steady state only: the first
# seconds (connections, pools, caches filling) are excluded by a warm-up load.
#   GET /healthz            the HTTP layer's own cost: reading, decoding, replying, pooling;
#   cached predict          plus JSON decoding, cache lookup and the reply's rendering;
#   Python noop, no cache   plus selection, batching and the container RPC.
# Run: ./bench/allocations.sh [seconds] [cutter binary, default .build/release/cutter]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
duration=${1:-5}; binary=${2:-.build/release/cutter}
./scripts/setup.sh -c release >/dev/null
needs wrk:wrk
gcc -O2 -shared -fPIC -o "$out/malloc_count.so" bench/malloc_count.c
counts="$out/malloc-count.txt"

snapshot() {
  rm -f "$counts"
  kill -USR2 "$cutter_pid"
  for _ in $(seq 100); do [ -s "$counts" ] && break; sleep 0.02; done
  cat "$counts"
}

measure() { # label url distinct get
  local line before after requests
  DISTINCT=$3 GET=$4 $core1 wrk -t2 -c64 -d2s -s bench/predict.lua "$2" >/dev/null  # warm-up
  before=$(snapshot)
  line=$(DISTINCT=$3 GET=$4 $core1 wrk -t2 -c64 -d"${duration}s" -s bench/predict.lua "$2" | grep '^RESULT')
  after=$(snapshot)
  requests=$(field "$line" requests)
  awk -v l="$1" -v a="$((after - before))" -v r="$requests" \
    'BEGIN { printf "%-28s %12d allocations / %9d requests = %6.2f per request\n", l, a, r, a / r }' | tee -a "$out/allocations.txt"
}

echo "== allocations $(date -u +%FT%TZ), $binary" | tee "$out/allocations.txt"
launcher="env LD_PRELOAD=$PWD/$out/malloc_count.so MALLOC_COUNT_FILE=$PWD/$counts"
start_cutter "$binary"
deploy 1000000 "$core1" noop --model noop
measure "GET /healthz" http://127.0.0.1:18337/healthz 0 1
measure "cached predict" http://127.0.0.1:18337/app/predict 0 0
stop_cutter
start_cutter "$binary" --set cache_bytes=0
deploy 1000000 "$core1" noop --model noop
measure "Python noop, no cache" http://127.0.0.1:18337/app/predict 1 0
stop_cutter
