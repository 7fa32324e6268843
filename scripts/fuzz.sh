#!/usr/bin/env bash
# Fuzzes the parsers that face the network (the HTTP/1.1 request decoder, predict/feedback JSON,
# the ZMTP decoder, the RPC message decoder): Tests/CutterTests/Fuzz/FuzzTests.swift mutates the seed corpus in
# Tests/CutterTests/Fuzz/Corpus with a seeded generator. The test command runs 3,000 mutants per
# target; this runs as many as you ask. A crash ends the run with the seed that reproduces it.
# Run: ./scripts/fuzz.sh [iterations per target, default 1000000] [seed, default: the time]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-1000000}
seed=${2:-$(date +%s)}
printf '==> fuzzing: %s mutants per target, seed %s\n' "$iterations" "$seed"
start=$(date +%s)
CUTTER_FUZZ_ITERATIONS=$iterations CUTTER_FUZZ_SEED=$seed swift test --filter FuzzTests 2>&1 \
  | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)|^◇ |^↳ '
printf '==> %s mutants per target (seed %s) in %ss, no crash\n' "$iterations" "$seed" "$(( $(date +%s) - start ))"
