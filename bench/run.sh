#!/usr/bin/env bash
# Cutter's serving benchmark, on loopback, under wrk (64 connections, 2 threads):
#   (n) nginx (one worker) answering the same fixed body: this machine's HTTP limit;
#   (a) a plain C evhttp server answering a fixed body: what evhttp, Cutter's old HTTP layer, allows;
#   (b) Cutter answering a cached query;
#   (c) Cutter with the Python `noop` container and distinct inputs (cache off);
#   (d) Cutter with the `sleep` model (1 ms per batch + 0.02 ms per input), distinct inputs;
#   (e) the `sum` model in the Python SDK against the same model in the Swift SDK
#       (cutter-swift-sum), distinct inputs, cache off: the two container SDKs end to end.
# (n), (a), (b) and (c) run in three alternating rounds and their medians make the ratios, because
# the machine is shared and noisy: compare ratios from one run, not absolute figures. With
# BASELINE=path/to/another/cutter, (b) and (c) also run that binary in every round, alternated
# with this one, so a change is judged against the code before it in the same run. The servers
# are pinned to core 0 and wrk (and the Python container) to core 1 when taskset exists.
# Run: [BASELINE=/path/to/old/cutter] [ROUNDS=3] ./bench/run.sh [seconds]   (the table at the end is the result)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
. bench/common.sh

./scripts/setup.sh -c release >/dev/null
needs wrk:wrk nginx:nginx-light
gcc -O2 -o "$out/fixed_evhttp" bench/fixed_evhttp.c -levent

load() { # name url distinct; prints "rps p99_ms"
  local line
  line=$(DISTINCT=$3 $core1 wrk -t2 -c64 -d"${duration}s" -s bench/predict.lua "$2" | grep '^RESULT')
  printf '%-44s %s\n' "$1" "${line#RESULT }" | tee -a "$out/results.txt" >&2
  echo "$(field "$line" rps) $(field "$line" p99_ms)"
}

echo "== run $(date -u +%FT%TZ), ${duration}s each, $(nproc) cores" | tee "$out/results.txt"

$core0 "$out/fixed_evhttp" 18080 & pids+=($!)
mkdir -p "$out/nginx"
$core0 "$(command -v nginx || echo /usr/sbin/nginx)" -p "$PWD/$out/nginx" -c "$PWD/bench/nginx.conf" -e stderr 2>"$out/nginx.log" & pids+=($!)
for _ in $(seq 50); do curl -sf -XPOST localhost:18082/app/predict >/dev/null 2>&1 && break; sleep 0.1; done

binaries=(.build/release/cutter)
labels=(this)
if [ -n "${BASELINE:-}" ]; then binaries+=("$BASELINE"); labels+=(baseline); fi

# Each series is a list of "rps p99_ms" pairs, one per round.
ns=(); as=(); declare -A bs cs
for round in $(seq "${ROUNDS:-3}"); do
  ns+=("$(load "(n) nginx fixed body, round $round" http://127.0.0.1:18082/app/predict 0)")
  as+=("$(load "(a) C evhttp fixed body, round $round" http://127.0.0.1:18080/app/predict 0)")
  for index in "${!binaries[@]}"; do
    binary=${binaries[$index]}; label=${labels[$index]}
    start_cutter "$binary"
    deploy 1000000 "$core1" noop --model noop
    $core1 wrk -t2 -c64 -d2s -s bench/predict.lua http://127.0.0.1:18337/app/predict >/dev/null  # warm-up
    bs[$label]+="$(load "(b) $label: cached query, round $round" http://127.0.0.1:18337/app/predict 0),"
    stop_cutter
    start_cutter "$binary" --set cache_bytes=0
    deploy 1000000 "$core1" noop --model noop
    cs[$label]+="$(load "(c) $label: Python noop, no cache, round $round" http://127.0.0.1:18337/app/predict 1),"
    stop_cutter
  done
done

# median COLUMN PAIR...: the median of column 1 (rps) or 2 (p99) of the pairs.
median() { local column=$1; shift; printf '%s\n' "$@" | awk -v c="$column" '{ print $c }' | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
pairs() { local IFS=,; printf '%s\n' $1; }

n=$(median 1 "${ns[@]}"); n99=$(median 2 "${ns[@]}")
a=$(median 1 "${as[@]}"); a99=$(median 2 "${as[@]}")

start_cutter .build/release/cutter --set cache_bytes=0
deploy 1000000 "$core1" sleeper --model sleep --fixed-ms 1 --per-item-ms 0.02
d=$(load "(d) this: Python sleep model" http://127.0.0.1:18337/app/predict 1 | cut -d' ' -f1)
curl -s localhost:18337/metrics | grep -E '^cutter_model_batch_size_(sum|count)' | tee -a "$out/results.txt"
stop_cutter

# (e) The container SDKs side by side, alternating, two rounds each.
swift build -c release --product cutter-swift-sum >/dev/null
es=(); fs=()
for round in 1 2; do
  start_cutter .build/release/cutter --set cache_bytes=0
  deploy 1000000 "$core1" sum --model sum
  es+=("$(load "(e) Python SDK sum, round $round" http://127.0.0.1:18337/app/predict 1)")
  stop_cutter
  start_cutter .build/release/cutter --set cache_bytes=0
  SWIFT_CONTAINER=1 deploy 1000000 "$core1" sum
  fs+=("$(load "(e) Swift SDK sum, round $round" http://127.0.0.1:18337/app/predict 1)")
  stop_cutter
done

{
  printf "\nmedians of %d rounds " "${ROUNDS:-3}"; printf '         rps       p99 ms   rps / nginx   rps / evhttp   p99 / nginx p99\n'
  printf '(n) nginx fixed body   %9d   %9.3f\n' "$n" "$n99"
  printf '(a) C evhttp fixed     %9d   %9.3f   %11.2f\n' "$a" "$a99" "$(awk -v a="$a" -v n="$n" 'BEGIN { print a / n }')"
  for label in "${labels[@]}"; do
    mapfile -t b_pairs < <(pairs "${bs[$label]}"); mapfile -t c_pairs < <(pairs "${cs[$label]}")
    b=$(median 1 "${b_pairs[@]}"); b99=$(median 2 "${b_pairs[@]}")
    c=$(median 1 "${c_pairs[@]}"); c99=$(median 2 "${c_pairs[@]}")
    awk -v l="$label" -v n="$n" -v n99="$n99" -v a="$a" -v b="$b" -v b99="$b99" -v c="$c" -v c99="$c99" 'BEGIN {
      printf "(b) %-8s cached     %9d   %9.3f   %11.2f   %12.2f   %15.2f\n", l, b, b99, b / n, b / a, b99 / n99
      printf "(c) %-8s noop       %9d   %9.3f   %11.2f   %12.2f   %15.2f\n", l, c, c99, c / n, c / a, c99 / n99 }'
  done
  awk -v n="$n" -v a="$a" -v d="$d" 'BEGIN { printf "(d) this sleep model   %9d               %11.2f   %12.2f\n", d, d / n, d / a }'
  e=$(median 1 "${es[@]}"); f=$(median 1 "${fs[@]}")
  awk -v n="$n" -v e="$e" -v f="$f" 'BEGIN {
    printf "(e) Python SDK sum     %9d               %11.2f\n(e) Swift SDK sum      %9d               %11.2f   Swift / Python = %.2f\n", e, e / n, f, f / n, f / e }'
} | tee -a "$out/results.txt"
