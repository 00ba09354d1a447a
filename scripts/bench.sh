#!/usr/bin/env bash
# The end-to-end benchmark: starts Apache Kafka (KRaft, single node) on free
# loopback ports, builds the release binaries (the `dist` profile the image
# ships), and prints one table: the kcat passthrough ceiling, both services
# under both guarantees, latency at a steady rate (tests/bench/bench.py).
# Stops the broker by its PID and removes its folder.
#
#   scripts/bench.sh            # the full run quoted in docs/BENCHMARKS.md
#   scripts/bench.sh --smoke    # a short run that only checks it works (CI)
#   scripts/bench.sh [bench.py flags...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
work=$(mktemp -d -t tickertape-bench.XXXXXX)
cleanup() {
  scripts/kafka.sh stop "$work/broker" || true
  rm -rf "$work"
}
trap cleanup EXIT

brokers=$(scripts/kafka.sh start "$work/broker")
python="$HOME/.cache/tickertape/venv/bin/python3"   # confluent-kafka, from install-deps.sh

if [ "${1:-}" = "--smoke" ]; then
  shift
  cargo build -q --workspace --bins
  exec_args=(--bin target/debug --ticks 20000 --pages 300 --html-pages 40 --reaction-symbols 500 --reaction-stories 2000 --reaction-prices 20000 --index-stories 2000 --rounds 1 --latency-rate 1000 --latency-seconds 3 --timeout 240 --restore)
else
  cargo build -q --profile dist --workspace --bins
  exec_args=(--bin target/dist --restore)
fi
echo "bench: Apache Kafka at $brokers" >&2
"$python" tests/bench/bench.py --brokers "$brokers" "${exec_args[@]}" "$@"
