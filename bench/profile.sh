#!/usr/bin/env bash
# Where a cached predict spends its time: perf samples cutter (cpu-clock, the counters this kind
# of machine has) while wrk sends cached queries, and prints the top symbols by self time.
# Run: ./bench/profile.sh [seconds] [cutter binary, default .build/release/cutter]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
duration=${1:-5}; binary=${2:-.build/release/cutter}
./scripts/setup.sh -c release >/dev/null
needs perf:linux-perf wrk:wrk
start_cutter "$binary"
deploy 1000000 "$core1" noop --model noop
DISTINCT=0 $core1 wrk -t2 -c64 -d2s -s bench/predict.lua http://127.0.0.1:18337/app/predict >/dev/null  # warm-up
DISTINCT=0 $core1 wrk -t2 -c64 -d"$((duration + 2))s" -s bench/predict.lua http://127.0.0.1:18337/app/predict >"$out/profile-wrk.txt" &
wrk_pid=$!
sleep 1
perf record -q -e cpu-clock -F 2000 -g -p "$cutter_pid" -o "$out/perf.data" -- sleep "$duration" 2>/dev/null
wait "$wrk_pid"
grep RESULT "$out/profile-wrk.txt"
echo "== self time by symbol ($binary)"
perf report -i "$out/perf.data" --no-children -g none --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -30 | cut -c1-130
echo "== by library"
perf report -i "$out/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null | grep -E "%" | head -8
stop_cutter
