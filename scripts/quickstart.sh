#!/usr/bin/env bash
# Sets up and builds Cutter, starts `cutter serve` with its embedded Redis, starts the example
# Python model container (`sum`), registers an app and the model through Clipper's management
# API, and prints a prediction. Keeps serving until Ctrl-C; with --once it stops after the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
once=false; [ "${1:-}" = "--once" ] && once=true

./scripts/setup.sh
data=$(mktemp -d -t cutter-quickstart-XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

printf '\n==> starting cutter serve (embedded Redis in %s; log %s/cutter.log)\n' "$data" "$data"
.build/debug/cutter serve --redis-data-dir "$data/redis" >"$data/cutter.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf localhost:1337/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf localhost:1337/readyz >/dev/null || { echo "cutter did not start:"; cat "$data/cutter.log"; exit 1; }

show() { printf '\n$ curl %s\n' "$*"; curl -s "$@"; echo; }
admin() { show -X POST "localhost:1338/admin/$1" -H 'Content-Type: application/json' -d "$2"; }

admin add_app '{"name": "sum-app", "input_type": "doubles", "default_output": "-1.0", "latency_slo_micros": 100000}'
admin add_model '{"model_name": "sum", "model_version": "1", "input_type": "doubles", "labels": [], "container_name": "NO_CONTAINER", "model_data_path": "DEPRECATED", "batch_size": -1}'
admin add_model_links '{"app_name": "sum-app", "model_names": ["sum"]}'

printf '\n==> starting the example model container: cutter-container --model sum --name sum --version 1\n'
.venv/bin/cutter-container --model sum --name sum --version 1 --input-type doubles --port 7000 >"$data/container.log" 2>&1 &
pids+=($!)
# Ready when cutter counts the container as a replica of sum:1 (its own metric, not the container's log).
for _ in $(seq 100); do curl -s localhost:1337/metrics | grep -q '^cutter_model_replicas{model="sum",version="1"} 1' && break; sleep 0.1; done
curl -s localhost:1337/metrics | grep -q '^cutter_model_replicas{model="sum",version="1"} 1' || { echo "the container did not register:"; cat "$data/container.log"; exit 1; }

show -X POST localhost:1337/sum-app/predict -H 'Content-Type: application/json' -d '{"input": [1.0, 2.0, 3.0]}'
show -X POST localhost:1337/sum-app/predict -H 'Content-Type: application/json' -d '{"input_batch": [[1.0], [2.0, 2.5]]}'

if ! $once; then
  printf '\nCutter is serving: query API on :1337, management API on :1338, containers on :7000. Ctrl-C stops it.\n'
  wait "${pids[0]}"
fi
