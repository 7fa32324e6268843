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
. bench/common.sh
bin=${BIN:-.build/release/cutter}
[ "${BIN:-}" ] || ./scripts/setup.sh -c release >/dev/null
gcc -O2 -o "$out/openloop" bench/openloop.c -levent


start_cutter "$bin" --set max_batch_size=64
deploy 20000 "$core0" sleeper --model sleep --fixed-ms 1 --per-item-ms 0.05

echo "== soak $(date -u +%FT%TZ): $minutes min at $rate/s" | tee "$out/soak.txt"
printf '| minute | RSS MB | fds | predictions/s | defaults/s | errors | p99 ms |\n|---:|---:|---:|---:|---:|---:|---:|\n' | tee -a "$out/soak.txt"
for minute in $(seq "$minutes"); do
  line=$($core1 "$out/openloop" 127.0.0.1 18337 /app/predict "$rate" 59 1000 0)
  rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$cutter_pid/status")
  fds=$(ls "/proc/$cutter_pid/fd" | wc -l)
  printf '| %d | %s | %d | %s | %s | %s | %s |\n' "$minute" "$rss" "$fds" "$(field "$line" predictions_per_s)" \
    "$(field "$line" defaults_per_s)" "$(field "$line" errors)" "$(field "$line" p99_ms)" | tee -a "$out/soak.txt"
done
