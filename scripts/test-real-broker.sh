#!/usr/bin/env bash
# The real-broker suite: starts Apache Kafka (KRaft, single node) on free
# loopback ports, runs the end-to-end tests against it, stops the broker by
# its PID and removes its folder. Prints how many real-broker tests ran and
# fails if none did.
#
#   scripts/test-real-broker.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
work=$(mktemp -d -t tickertape-kafka.XXXXXX)
cleanup() {
  scripts/kafka.sh stop "$work/broker" || true
  rm -rf "$work"
}
trap cleanup EXIT

TICKERTAPE_TEST_BROKERS=$(scripts/kafka.sh start "$work/broker")
export TICKERTAPE_TEST_BROKERS
echo "real-broker suite: Apache Kafka at $TICKERTAPE_TEST_BROKERS"

cargo build --workspace --bins
set +e
cargo test -p tickertape-e2e "$@" 2>&1 | tee "$work/e2e.log"
status=${PIPESTATUS[0]}
set -e
ran=$(grep -E '^test result:' "$work/e2e.log" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$work/e2e.log" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
echo "real-broker tests: ${ran:-0} passed, ${failed:-0} failed (against Apache Kafka at $TICKERTAPE_TEST_BROKERS)"
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "${ran:-0}" -eq 0 ]; then
  echo "real-broker suite: no real-broker test ran" >&2
  exit 1
fi
