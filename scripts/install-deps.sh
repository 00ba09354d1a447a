#!/usr/bin/env bash
# Installs what the test suites need beyond Rust: kcat (an independent Kafka
# client), Prometheus/promtool, Java + Maven for the real broker,
# docker-compose and helm to validate the deployment files, valgrind for
# the linearity check (instructions), the AsyncAPI
# parser (npm), and confluent-kafka (PyPI) for the example subscriber.
# Idempotent: it installs only what is missing. Tools that are not Debian
# packages go to ~/.cache/tickertape.
set -euo pipefail
need=()
command -v kcat >/dev/null || need+=(kcat)
command -v promtool >/dev/null || need+=(prometheus)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v curl >/dev/null || need+=(curl)
command -v docker-compose >/dev/null || need+=(docker-compose)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
command -v node >/dev/null || need+=(nodejs npm)
command -v go >/dev/null || need+=(golang-go)
command -v valgrind >/dev/null || need+=(valgrind)
# librdkafka is built with OpenSSL (the services' default `ssl` feature);
# the TLS test makes its certificates with the openssl CLI.
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then
  echo "install-deps: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's prometheus package starts a system service; tests run their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi
pkill -x prometheus-node-exporter 2>/dev/null || true

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cache="${HOME}/.cache/tickertape"
mkdir -p "$cache/bin"

# helm, built from the Go module proxy (no binary download here).
if ! command -v helm >/dev/null && [ ! -x "$cache/bin/helm" ]; then
  echo "install-deps: building helm v3.19.0 from the Go module proxy" >&2
  GOBIN="$cache/bin" GOFLAGS=-mod=mod go install helm.sh/helm/v3/cmd/helm@v3.19.0
fi

# The AsyncAPI parser, pinned by scripts/asyncapi/package-lock.json.
if [ ! -d scripts/asyncapi/node_modules/@asyncapi/parser ]; then
  echo "install-deps: npm ci (AsyncAPI parser)" >&2
  (cd scripts/asyncapi && npm ci --no-audit --no-fund --loglevel=error)
fi

# confluent-kafka for examples/python/consumer.py, in its own venv.
if ! "$cache/venv/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
  echo "install-deps: confluent-kafka into $cache/venv" >&2
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q "confluent-kafka==2.12.1"
fi

# exchange-calendars for scripts/reference-data/sessions.py (the trading
# sessions the reactions service ships), pinned: its output is checked in.
if [ "$("$cache/venv/bin/python" -c 'import exchange_calendars as x; print(x.__version__)' 2>/dev/null)" != "4.13.2" ]; then
  echo "install-deps: exchange-calendars into $cache/venv" >&2
  "$cache/venv/bin/pip" install -q "exchange-calendars==4.13.2"
fi
