#!/usr/bin/env bash
# Cutter past capacity, under open-loop load (bench/openloop.c: constant arrival rate, latency from
# the intended send time). The `sleep` model (1 ms + 0.05 ms per input per batch) behind a 20 ms SLO,
# max_batch_size 64, distinct inputs (cache off); cutter and the container pinned to core 0, the
# load generator to core 1. The model's own limit is 64 / (1 ms + 64 × 0.05 ms) = 15,200 inputs/s.
#
# It finds the capacity (predictions per second at the highest rate, in steps of 500/s, whose p99.9
# stays within the SLO), then offers 0.5, 0.9, 1.5, 2 and 4 times it and prints a table.
# Run: ./bench/overload.sh [seconds per point]   (with BIN=path/to/cutter to measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
. bench/common.sh
bin=${BIN:-.build/release/cutter}
slo_ms=20

[ "${BIN:-}" ] || ./scripts/setup.sh -c release >/dev/null
gcc -O2 -o "$out/openloop" bench/openloop.c -levent

start_cutter "$bin" --set cache_bytes=0 --set max_batch_size=64
deploy $((slo_ms * 1000)) "$core0" sleeper --model sleep --fixed-ms 1 --per-item-ms 0.05

point() { # rate -> RESULT line
  $core1 "$out/openloop" 127.0.0.1 18337 /app/predict "$1" "$seconds" 1000 1
}

echo "== overload run $(date -u +%FT%TZ), ${seconds}s a point, SLO ${slo_ms} ms" | tee "$out/overload.txt"
point 5000 >/dev/null  # warm-up: the profile learns
capacity=0; capacity_rate=0
for rate in $(seq 9000 500 16000); do
  line=$(point "$rate")
  printf 'search %6d/s: %s\n' "$rate" "${line#RESULT }" | tee -a "$out/overload.txt" >&2
  p999=$(field "$line" p999_ms)
  if awk -v p="$p999" -v s="$slo_ms" 'BEGIN { exit !(p <= s) }'; then
    capacity=$(field "$line" predictions_per_s); capacity_rate=$rate
  else
    break
  fi
done
echo "capacity: $capacity predictions/s (offered $capacity_rate/s with p99.9 within the SLO); the model's own limit: 15200 inputs/s; ratio $(awk -v c="$capacity" 'BEGIN { printf "%.2f", c / 15200 }')" | tee -a "$out/overload.txt"

printf '\n| offered | predictions/s | defaults/s | of them shed | p50 ms | p99 ms | p99.9 ms | shed p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n' | tee -a "$out/overload.txt"
for factor in 0.5 0.9 1.5 2 4; do
  rate=$(awk -v c="$capacity" -v f="$factor" 'BEGIN { printf "%d", c * f }')
  line=$(point "$rate")
  printf '| %s× (%d/s) | %s | %s | %s | %s | %s | %s | %s |\n' "$factor" "$rate" "$(field "$line" predictions_per_s)" \
    "$(field "$line" defaults_per_s)" "$(field "$line" shed_per_s)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" \
    "$(field "$line" p999_ms)" "$(field "$line" shed_p99_ms)" | tee -a "$out/overload.txt"
done
curl -s localhost:18337/metrics | grep -E '^cutter_model_batch_size_(sum|count)|^cutter_app_defaults_total' | tee -a "$out/overload.txt"
