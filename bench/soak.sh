#!/usr/bin/env bash
# Soak: a bounded open-loop load (bench/openloop.c) for N minutes against cutter and the Python
# `sleep` model (1 ms + 0.05 ms per input), distinct inputs; each minute prints cutter's RSS and
# open file descriptors, the minute's predictions, defaults, errors and p99. A leak shows as RSS or
# descriptors that keep growing once the first minute has warmed the caches up.
# Run: ./bench/soak.sh [minutes, default 10] [requests per second, default 8000]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
rate=${2:-8000}
out=bench/out
mkdir -p "$out"
bin=${BIN:-.build/release/cutter}
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
  --embedded-redis-port 16390 --redis-data-dir "$out/redis" --log-level warning --set max_batch_size=64 >"$out/cutter.log" 2>&1 &
cutter_pid=$!
pids+=($cutter_pid)
for _ in $(seq 100); do curl -sf localhost:18337/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -XPOST localhost:18338/admin/add_app -d '{"name":"app","input_type":"doubles","default_output":"-1","latency_slo_micros":20000}' >/dev/null
curl -sf -XPOST localhost:18338/admin/add_model -d '{"model_name":"sleeper","model_version":"1","input_type":"doubles"}' >/dev/null
curl -sf -XPOST localhost:18338/admin/add_model_links -d '{"app_name":"app","model_names":["sleeper"]}' >/dev/null
$core0 .venv/bin/cutter-container --name sleeper --port 17070 --model sleep --fixed-ms 1 --per-item-ms 0.05 >"$out/container-sleeper.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s localhost:18337/metrics | grep -q '^cutter_model_replicas{model="sleeper:1"} 1' && break; sleep 0.1; done

field() { echo "$1" | sed -E "s/.* $2=([0-9.]+).*/\1/"; }
echo "== soak $(date -u +%FT%TZ): $minutes min at $rate/s" | tee "$out/soak.txt"
printf '| minute | RSS MB | fds | predictions/s | defaults/s | errors | p99 ms |\n|---:|---:|---:|---:|---:|---:|---:|\n' | tee -a "$out/soak.txt"
for minute in $(seq "$minutes"); do
  line=$($core1 "$out/openloop" 127.0.0.1 18337 /app/predict "$rate" 59 1000 0)
  rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$cutter_pid/status")
  fds=$(ls "/proc/$cutter_pid/fd" | wc -l)
  printf '| %d | %s | %d | %s | %s | %s | %s |\n' "$minute" "$rss" "$fds" "$(field "$line" predictions_per_s)" \
    "$(field "$line" defaults_per_s)" "$(field "$line" errors)" "$(field "$line" p99_ms)" | tee -a "$out/soak.txt"
done
