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

# Runs one Python suite printing `<suite>: ok <check>` and `<suite>: FAIL
# <check>` lines, adds its counts, and stops here if it failed or checked
# nothing.
python_suite() {
  local suite=$1; shift
  set +e
  "$@" 2>&1 | tee "$work/$suite.log"
  local status=${PIPESTATUS[0]}
  set -e
  ran=$((ran + $(grep -cE "^$suite: ok " "$work/$suite.log" || true)))
  failed=$((failed + $(grep -cE "^$suite: FAIL " "$work/$suite.log" || true)))
  if [ "$status" -ne 0 ] || ! grep -qE "^$suite: ok " "$work/$suite.log"; then
    echo "real-broker tests: $ran passed, $failed failed" >&2
    exit 1
  fi
}
venv_python="$HOME/.cache/tickertape/venv/bin/python3"   # confluent-kafka, from install-deps.sh

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
python_suite observability python3 tests/observability/check_observability.py --bin target/debug \
  --brokers "$TICKERTAPE_TEST_BROKERS"

# The hostile-input catalogue through both services, each input followed
# by a good message.
python_suite hostile-test "$venv_python" tests/hostile/hostile_test.py --bin target/debug \
  --brokers "$TICKERTAPE_TEST_BROKERS"

# SASL_SSL with SCRAM-SHA-512: a broker of its own (scripts/kafka.sh
# start-secure), both services, topics create and tail through
# configuration alone; refusals fail fast; no secret in any output.
python_suite secure-test "$venv_python" tests/secure/secure_test.py --bin target/debug

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
python_suite outage-test python3 tests/outage/outage_test.py --bin target/debug \
  --brokers "$TICKERTAPE_TEST_BROKERS" --kafka-dir "$work/broker"

if [ "${ran:-0}" -eq 0 ]; then
  echo "real-broker suite: no real-broker test ran" >&2
  exit 1
fi
echo "real-broker tests: $ran passed, $failed failed"
