#!/usr/bin/env bash
# A single-node Apache Kafka 4.x broker (KRaft, combined broker+controller) on
# loopback, for the real-broker tests and benchmarks. No Docker.
#
#   scripts/kafka.sh start DIR    format storage in DIR, start, wait, print the bootstrap address
#   scripts/kafka.sh stop DIR     stop the broker started in DIR (by its PID)
#   scripts/kafka.sh restart DIR  stop and start again on the same storage and ports
#   scripts/kafka.sh classpath    resolve the jars (Maven) and print the lib folder
#
# The jars are resolved from Maven Central by scripts/kafka/pom.xml into
# ${TICKERTAPE_CACHE:-~/.cache/tickertape}/kafka-<version>/lib, once.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
cache=${TICKERTAPE_CACHE:-$HOME/.cache/tickertape}/kafka-$version
lib=$cache/lib

classpath() {
  if [ ! -f "$lib/.complete" ]; then
    echo "kafka.sh: resolving Apache Kafka $version with Maven into $lib" >&2
    mkdir -p "$lib"
    mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$lib" >&2
    touch "$lib/.complete"
  fi
  echo "$lib"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

java_opts() {
  echo "-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true -Dlog4j2.configurationFile=$1/log4j2.properties"
}

launch() {
  local dir=$1
  # shellcheck disable=SC2046
  nohup java $(java_opts "$dir") -cp "$lib/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  local bootstrap; bootstrap=$(cat "$dir/bootstrap")
  for _ in $(seq 1 120); do
    if kcat -b "$bootstrap" -L -m 2 >/dev/null 2>&1; then
      echo "$bootstrap"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "kafka.sh: broker exited; last log lines:" >&2
      tail -30 "$dir/stdout.log" "$dir/server.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
  echo "kafka.sh: broker did not answer within 60 s" >&2
  return 1
}

start() {
  local dir=${1:?usage: kafka.sh start DIR}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  classpath >/dev/null
  command -v kcat >/dev/null || { echo "kafka.sh: kcat is missing; run scripts/install-deps.sh" >&2; return 1; }
  local port controller
  port=$(free_port); controller=$(free_port)
  while [ "$controller" = "$port" ]; do controller=$(free_port); done
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$controller
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.flush.interval.messages=9223372036854775807
PROPS
  cat >"$dir/log4j2.properties" <<LOG
rootLogger.level=WARN
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$dir/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=INFO
LOG
  echo "127.0.0.1:$port" >"$dir/bootstrap"
  if [ ! -d "$dir/data" ]; then
    local cluster_id
    # shellcheck disable=SC2046
    cluster_id=$(java $(java_opts "$dir") -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    # shellcheck disable=SC2046
    java $(java_opts "$dir") -cp "$lib/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$dir/server.properties" --standalone >"$dir/format.log" 2>&1 \
      || { cat "$dir/format.log" >&2; return 1; }
  fi
  launch "$dir"
}

stop() {
  local dir=${1:?usage: kafka.sh stop DIR}
  [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  restart) stop "${2:?}"; classpath >/dev/null; launch "$(cd "$2" && pwd)" ;;
  classpath) classpath ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
