#!/usr/bin/env bash
# Model selection at work: starts Cutter (embedded Redis), two model containers of different
# accuracy (examples/bandit_models.py), an Exp3 app `pick` and an Exp4 app `vote` linked to both,
# then sends labelled feedback and prints a table of how the weights move.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
data=$(mktemp -d -t cutter-learning-XXXXXX)
qp=${QUERY_PORT:-1337}; ap=${ADMIN_PORT:-1338}; rp=${RPC_PORT:-7000}
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

.build/debug/cutter serve --query-port "$qp" --management-port "$ap" --rpc-port "$rp" \
  --embedded-redis-port "${REDIS_PORT:-6379}" --redis-data-dir "$data/redis" >"$data/cutter.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "localhost:$qp/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

admin() { curl -sf -X POST "localhost:$ap/admin/$1" -d "$2" >/dev/null; }
admin add_app '{"name":"pick","input_type":"doubles","default_output":"none","latency_slo_micros":1000000,"policy":"Exp3Policy"}'
admin add_app '{"name":"vote","input_type":"doubles","default_output":"none","latency_slo_micros":1000000,"policy":"Exp4Policy"}'
for model in oracle noisy; do
  admin add_model "{\"model_name\":\"$model\",\"model_version\":\"1\",\"input_type\":\"doubles\"}"
done
admin add_model_links '{"app_name":"pick","model_names":["oracle","noisy"]}'
admin add_model_links '{"app_name":"vote","model_names":["oracle","noisy"]}'

for model in Oracle Noisy; do
  name=$(echo "$model" | tr 'A-Z' 'a-z')
  PYTHONPATH=examples .venv/bin/cutter-container --model "bandit_models:$model" --name "$name" --port "$rp" >"$data/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "connected to" "$data/$name.log" 2>/dev/null && break; sleep 0.1; done
done

.venv/bin/python examples/learning_curve.py "$qp" "$ap"
