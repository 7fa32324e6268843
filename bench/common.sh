# Sourced by the bench scripts: core pinning, cleanup of what they start, and cutter and a model
# started and deployed the same way in each (ports 18337/18338/17070, embedded Redis on 16390).
out=bench/out
mkdir -p "$out"

# needs COMMAND:PACKAGE...: installs the Debian package of each command that is missing.
needs() {
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || $sudo apt-get install -y -qq "${pair#*:}" >/dev/null
  done
}

# Servers on core 0, load (and, in run.sh, the Python container) on core 1, when there are two.
core0=""; core1=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then core0="taskset -c 0"; core1="taskset -c 1"; fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_cutter() { # binary [extra settings...]; sets cutter_pid. $launcher, if set, prefixes the binary.
  local binary=$1; shift
  rm -rf "$out/redis"
  # Built-in defaults for every binary: an older one may not know a setting of config/cutter.conf.
  : >"$out/empty.conf"
  $core0 ${launcher:-} "$binary" serve --config "$out/empty.conf" --query-port 18337 --management-port 18338 --rpc-port 17070 \
    --embedded-redis-port 16390 --redis-data-dir "$out/redis" --log-level warning "$@" >"$out/cutter.log" 2>&1 &
  cutter_pid=$!
  pids+=($cutter_pid)
  for _ in $(seq 100); do curl -sf localhost:18337/readyz >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf localhost:18337/readyz >/dev/null || { echo "$binary did not start:" >&2; cat "$out/cutter.log" >&2; exit 1; }
}

deploy() { # slo_micros core model [container args...]; app "app" -> model; sets container_pid (SWIFT_CONTAINER=1: cutter-swift-sum)
  local slo=$1 core=$2 model=$3; shift 3
  curl -sf -XPOST localhost:18338/admin/add_app -d "{\"name\":\"app\",\"input_type\":\"doubles\",\"default_output\":\"-1\",\"latency_slo_micros\":$slo}" >/dev/null
  curl -sf -XPOST localhost:18338/admin/add_model -d "{\"model_name\":\"$model\",\"model_version\":\"1\",\"input_type\":\"doubles\"}" >/dev/null
  curl -sf -XPOST localhost:18338/admin/add_model_links -d "{\"app_name\":\"app\",\"model_names\":[\"$model\"]}" >/dev/null
  if [ -n "${SWIFT_CONTAINER:-}" ]; then  # the Swift SDK's example serves the sum model
    $core .build/release/cutter-swift-sum --name "$model" --port 17070 >"$out/container-$model.log" 2>&1 &
  else
    $core .venv/bin/cutter-container --name "$model" --port 17070 "$@" >"$out/container-$model.log" 2>&1 &
  fi
  container_pid=$!
  pids+=($container_pid)
  # Ready when cutter counts the container as a replica (its metric, not the container's log).
  for _ in $(seq 100); do curl -s localhost:18337/metrics | grep -q "^cutter_model_replicas{model=\"$model\",version=\"1\"} 1" && break; sleep 0.1; done
  curl -sf -XPOST localhost:18337/app/predict -d '{"input":[1.0]}' >/dev/null
}

stop_cutter() {
  kill "$container_pid" "$cutter_pid" 2>/dev/null || true
  wait "$container_pid" "$cutter_pid" 2>/dev/null || true
}

# The value of NAME=... in an openloop RESULT line.
field() { echo "$1" | sed -E "s/.* $2=([0-9.]+).*/\1/"; }
