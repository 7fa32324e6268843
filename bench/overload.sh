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
out=bench/out
mkdir -p "$out"
bin=${BIN:-.build/release/cutter}
slo_ms=20

[ "${BIN:-}" ] || ./scripts/setup.sh -c release >/dev/null
gcc -O2 -o "$out/openloop" bench/openloop.c -levent

core0=""; core1=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then core0="taskset -c 0"; core1="taskset -c 1"; fi
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

: >"$out/empty.conf"
rm -rf "$out/redis"
$core0 "$bin" serve --config "$out/empty.conf" --query-port 18337 --management-port 18338 --rpc-port 17070 \
  --embedded-redis-port 16390 --redis-data-dir "$out/redis" --log-level warning \
  --set cache_bytes=0 --set max_batch_size=64 >"$out/cutter.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf localhost:18337/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf localhost:18337/readyz >/dev/null || { cat "$out/cutter.log"; exit 1; }
curl -sf -XPOST localhost:18338/admin/add_app -d "{\"name\":\"app\",\"input_type\":\"doubles\",\"default_output\":\"-1\",\"latency_slo_micros\":$((slo_ms * 1000))}" >/dev/null
curl -sf -XPOST localhost:18338/admin/add_model -d '{"model_name":"sleeper","model_version":"1","input_type":"doubles"}' >/dev/null
curl -sf -XPOST localhost:18338/admin/add_model_links -d '{"app_name":"app","model_names":["sleeper"]}' >/dev/null
$core0 .venv/bin/cutter-container --name sleeper --port 17070 --model sleep --fixed-ms 1 --per-item-ms 0.05 >"$out/container-sleeper.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s localhost:18337/metrics | grep -q '^cutter_model_replicas{model="sleeper:1"} 1' && break; sleep 0.1; done

point() { # rate -> RESULT line
  $core1 "$out/openloop" 127.0.0.1 18337 /app/predict "$1" "$seconds" 1000 1
}
field() { echo "$1" | sed -E "s/.* $2=([0-9.]+).*/\1/"; }

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
