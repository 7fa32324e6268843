#!/usr/bin/env bash
# Cutter's serving benchmark, on loopback, under wrk (64 connections, 2 threads):
#   (a) a plain C evhttp server answering a fixed body: the frontend's physical limit here;
#   (b) Cutter answering a cached query;
#   (c) Cutter with the Python `noop` container and distinct inputs (cache off);
#   (d) Cutter with the `sleep` model (1 ms per batch + 0.02 ms per input), distinct inputs.
# (a) and (b) run alternately, three times each, and their medians make the ratio, because the
# machine is shared and noisy: compare ratios from one run, not absolute figures. The servers
# are pinned to core 0 and wrk (and the Python container) to core 1 when taskset exists.
# Prints rps, p50, p99 for each and the ratios (b)/(a), (c)/(a). Run: ./bench/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
out=bench/out
mkdir -p "$out"

./scripts/setup.sh -c release >/dev/null
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
gcc -O2 -o "$out/fixed_evhttp" bench/fixed_evhttp.c -levent

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

server_core=""; client_core=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then server_core="taskset -c 0"; client_core="taskset -c 1"; fi

load() { # name url distinct
  local line
  line=$(DISTINCT=$3 $client_core wrk -t2 -c64 -d"${duration}s" -s bench/predict.lua "$2" | grep '^RESULT')
  printf '%-36s %s\n' "$1" "${line#RESULT }" | tee -a "$out/results.txt" >&2
  echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/'
}

echo "== run $(date -u +%FT%TZ), ${duration}s each, $(nproc) cores" | tee "$out/results.txt"

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

$server_core "$out/fixed_evhttp" 18080 & pids+=($!)

start_cutter() { # extra settings...
  rm -rf "$out/redis"
  $server_core .build/release/cutter serve --query-port 18337 --management-port 18338 --rpc-port 17070 \
    --embedded-redis-port 16390 --redis-data-dir "$out/redis" --log-level warning "$@" >"$out/cutter.log" 2>&1 &
  cutter_pid=$!
  pids+=($cutter_pid)
  for _ in $(seq 100); do curl -sf localhost:18337/readyz >/dev/null 2>&1 && break; sleep 0.1; done
}
deploy() { # model [container args...]
  local model=$1; shift
  curl -sf -XPOST localhost:18338/admin/add_app -d '{"name":"app","input_type":"doubles","default_output":"-1","latency_slo_micros":1000000}' >/dev/null
  curl -sf -XPOST localhost:18338/admin/add_model -d "{\"model_name\":\"$model\",\"model_version\":\"1\",\"input_type\":\"doubles\"}" >/dev/null
  curl -sf -XPOST localhost:18338/admin/add_model_links -d "{\"app_name\":\"app\",\"model_names\":[\"$model\"]}" >/dev/null
  $client_core .venv/bin/cutter-container --name "$model" --port 17070 "$@" >"$out/container-$model.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s localhost:18337/metrics | grep -q "^cutter_model_replicas{model=\"$model:1\"} 1" && break; sleep 0.1; done
  curl -sf -XPOST localhost:18337/app/predict -d '{"input":[1.0]}' >/dev/null
}
stop_cutter() { kill "$cutter_pid"; wait "$cutter_pid" 2>/dev/null || true; }

start_cutter
deploy noop --model noop
for url in http://127.0.0.1:18080/app/predict http://127.0.0.1:18337/app/predict; do  # warm-up
  $client_core wrk -t2 -c64 -d2s -s bench/predict.lua "$url" >/dev/null
done
as=(); bs=()
for round in 1 2 3; do
  as+=("$(load "(a) C evhttp fixed body, round $round" http://127.0.0.1:18080/app/predict 0)")
  bs+=("$(load "(b) Cutter cached query, round $round" http://127.0.0.1:18337/app/predict 0)")
done
a=$(median "${as[@]}"); b=$(median "${bs[@]}")
echo "medians: (a) $a rps, (b) $b rps" | tee -a "$out/results.txt"
stop_cutter

start_cutter --set cache_bytes=0
deploy noop --model noop
c=$(load "(c) Cutter + Python noop, no cache" http://127.0.0.1:18337/app/predict 1)
stop_cutter

start_cutter --set cache_bytes=0
deploy sleeper --model sleep --fixed-ms 1 --per-item-ms 0.02
d=$(load "(d) Cutter + Python sleep model" http://127.0.0.1:18337/app/predict 1)
curl -s localhost:18337/metrics | grep -E '^cutter_model_batch_size_(sum|count)' | tee -a "$out/results.txt"
stop_cutter

awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
  printf "ratios: (b)/(a) = %.2f   (c)/(a) = %.2f   (d)/(a) = %.2f\n", b / a, c / a, d / a }' | tee -a "$out/results.txt"
