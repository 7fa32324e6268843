#!/usr/bin/env bash
# Cutter's serving benchmark, on loopback, under wrk (64 connections, 2 threads):
#   (a) a plain C evhttp server answering a fixed body: the frontend's physical limit here;
#   (b) Cutter answering a cached query;
#   (c) Cutter with the Python `noop` container and distinct inputs (cache off);
#   (d) Cutter with the `sleep` model (1 ms per batch + 0.02 ms per input), distinct inputs.
# (a), (b) and (c) run in three alternating rounds and their medians make the ratios, because the
# machine is shared and noisy: compare ratios from one run, not absolute figures. With
# BASELINE=path/to/another/cutter, (b) and (c) also run that binary in every round, alternated
# with this one, so a change is judged against the code before it in the same run. The servers
# are pinned to core 0 and wrk (and the Python container) to core 1 when taskset exists.
# Run: [BASELINE=/path/to/old/cutter] ./bench/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
. bench/common.sh

./scripts/setup.sh -c release >/dev/null
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
gcc -O2 -o "$out/fixed_evhttp" bench/fixed_evhttp.c -levent

load() { # name url distinct
  local line
  line=$(DISTINCT=$3 $core1 wrk -t2 -c64 -d"${duration}s" -s bench/predict.lua "$2" | grep '^RESULT')
  printf '%-44s %s\n' "$1" "${line#RESULT }" | tee -a "$out/results.txt" >&2
  echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/'
}

echo "== run $(date -u +%FT%TZ), ${duration}s each, $(nproc) cores" | tee "$out/results.txt"

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

$core0 "$out/fixed_evhttp" 18080 & pids+=($!)

binaries=(.build/release/cutter)
labels=(this)
if [ -n "${BASELINE:-}" ]; then binaries+=("$BASELINE"); labels+=(baseline); fi

as=(); declare -A bs cs
for round in 1 2 3; do
  as+=("$(load "(a) C evhttp fixed body, round $round" http://127.0.0.1:18080/app/predict 0)")
  for index in "${!binaries[@]}"; do
    binary=${binaries[$index]}; label=${labels[$index]}
    start_cutter "$binary"
    deploy 1000000 "$core1" noop --model noop
    $core1 wrk -t2 -c64 -d2s -s bench/predict.lua http://127.0.0.1:18337/app/predict >/dev/null  # warm-up
    bs[$label]+=" $(load "(b) $label: cached query, round $round" http://127.0.0.1:18337/app/predict 0)"
    stop_cutter
    start_cutter "$binary" --set cache_bytes=0
    deploy 1000000 "$core1" noop --model noop
    cs[$label]+=" $(load "(c) $label: Python noop, no cache, round $round" http://127.0.0.1:18337/app/predict 1)"
    stop_cutter
  done
done
a=$(median "${as[@]}")

start_cutter .build/release/cutter --set cache_bytes=0
deploy 1000000 "$core1" sleeper --model sleep --fixed-ms 1 --per-item-ms 0.02
d=$(load "(d) this: Python sleep model" http://127.0.0.1:18337/app/predict 1)
curl -s localhost:18337/metrics | grep -E '^cutter_model_batch_size_(sum|count)' | tee -a "$out/results.txt"
stop_cutter

for label in "${labels[@]}"; do
  # shellcheck disable=SC2086
  b=$(median ${bs[$label]}); c=$(median ${cs[$label]})
  awk -v l="$label" -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
    printf "%-8s medians: (a) %d  (b) %d  (c) %d rps   ratios: (b)/(a) = %.2f   (c)/(a) = %.2f\n", l, a, b, c, b / a, c / a }' \
    | tee -a "$out/results.txt"
done
awk -v a="$a" -v d="$d" 'BEGIN { printf "this     (d)/(a) = %.2f\n", d / a }' | tee -a "$out/results.txt"
