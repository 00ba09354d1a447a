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
if [ "$status" -ne 0 ]; then
  echo "real-broker tests: ${ran:-0} passed, ${failed:-0} failed" >&2
  exit "$status"
fi

# Observability against a real Prometheus: metrics lint, catalogue, every
# dashboard query, every alert rule.
python3 tests/observability/check_observability.py --bin target/debug --brokers "$TICKERTAPE_TEST_BROKERS" \
  2>&1 | tee "$work/observability.log"
obs_status=${PIPESTATUS[0]}
ran=$((ran + $(grep -cE '^observability: ok ' "$work/observability.log" || true)))
failed=$((failed + $(grep -cE '^observability: FAIL ' "$work/observability.log" || true)))
if [ "$obs_status" -ne 0 ]; then
  echo "real-broker tests: $ran passed, $failed failed" >&2
  exit 1
fi

# The hostile-input catalogue through both services, each input followed
# by a good message (confluent-kafka from install-deps.sh's venv).
"$HOME/.cache/tickertape/venv/bin/python3" tests/hostile/hostile_test.py --bin target/debug \
  --brokers "$TICKERTAPE_TEST_BROKERS" 2>&1 | tee "$work/hostile.log"
hostile_status=${PIPESTATUS[0]}
ran=$((ran + $(grep -cE '^hostile-test: ok ' "$work/hostile.log" || true)))
failed=$((failed + $(grep -cE '^hostile-test: FAIL ' "$work/hostile.log" || true)))
if [ "$hostile_status" -ne 0 ] || ! grep -qE '^hostile-test: ok ' "$work/hostile.log"; then
  echo "real-broker tests: $ran passed, $failed failed" >&2
  exit 1
fi

# SASL_SSL with SCRAM-SHA-512: a broker of its own (scripts/kafka.sh
# start-secure), both services, topics create and tail through
# configuration alone; refusals fail fast; no secret in any output.
"$HOME/.cache/tickertape/venv/bin/python3" tests/secure/secure_test.py --bin target/debug 2>&1 | tee "$work/secure.log"
secure_status=${PIPESTATUS[0]}
ran=$((ran + $(grep -cE '^secure-test: ok ' "$work/secure.log" || true)))
failed=$((failed + $(grep -cE '^secure-test: FAIL ' "$work/secure.log" || true)))
if [ "$secure_status" -ne 0 ] || ! grep -qE '^secure-test: ok ' "$work/secure.log"; then
  echo "real-broker tests: $ran passed, $failed failed" >&2
  exit 1
fi

# The crash test: SIGKILLs, scaling and a broker restart under exactly-once
# and at-least-once, compared with `tickertape process` (see its docstring).
if [ -z "${TICKERTAPE_SKIP_CRASH_TEST:-}" ]; then
  python3 tests/crash/crash_test.py --bin target/debug --brokers "$TICKERTAPE_TEST_BROKERS" \
    --kafka-dir "$work/broker" 2>&1 | tee "$work/crash.log"
  crash_status=${PIPESTATUS[0]}
  crash_runs=$(grep -cE '^crash-test: +(PASSED|FAILED)$' "$work/crash.log" || true)
  ran=$((ran + $(grep -cE '^crash-test: +PASSED$' "$work/crash.log" || true)))
  failed=$((failed + $(grep -cE '^crash-test: +FAILED$' "$work/crash.log" || true)))
  if [ "$crash_status" -ne 0 ] || [ "$crash_runs" -eq 0 ]; then
    echo "real-broker tests: $ran passed, $failed failed" >&2
    exit 1
  fi
fi

# The outage test: the broker down at start and stopped for 30 s
# mid-stream, under both guarantees; the services must stay up, follow it
# on /readyz, and lose (or, exactly-once, repeat) nothing.
python3 tests/outage/outage_test.py --bin target/debug --brokers "$TICKERTAPE_TEST_BROKERS" \
  --kafka-dir "$work/broker" 2>&1 | tee "$work/outage.log"
outage_status=${PIPESTATUS[0]}
ran=$((ran + $(grep -cE '^outage-test: ok ' "$work/outage.log" || true)))
failed=$((failed + $(grep -cE '^outage-test: FAIL ' "$work/outage.log" || true)))
if [ "$outage_status" -ne 0 ] || ! grep -qE '^outage-test: ok ' "$work/outage.log"; then
  echo "real-broker tests: $ran passed, $failed failed" >&2
  exit 1
fi

if [ "${ran:-0}" -eq 0 ]; then
  echo "real-broker suite: no real-broker test ran" >&2
  exit 1
fi
echo "real-broker tests: $ran passed, $failed failed"
