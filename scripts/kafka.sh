#!/usr/bin/env bash
# A single-node Apache Kafka 4.x broker (KRaft, combined broker+controller) on
# loopback, for the real-broker tests and benchmarks. No Docker.
#
#   scripts/kafka.sh start DIR    format storage in DIR, start, wait, print the bootstrap address
#   scripts/kafka.sh start-secure DIR
#                                 the same with a SASL_SSL listener (SCRAM-SHA-512, TLS): a
#                                 test CA and broker certificate in DIR/tls (openssl), and
#                                 SCRAM credentials made by Kafka's StorageTool at format
#                                 time; prints the SASL_SSL address, writes DIR/tls/ca.pem
#                                 and DIR/scram (user and password, one per line). Inter-
#                                 broker and controller traffic stay on loopback plaintext.
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
  local bootstrap probe; bootstrap=$(cat "$dir/bootstrap")
  # A secure broker is probed on its plaintext inter-broker listener.
  probe=$(cat "$dir/probe" 2>/dev/null || echo "$bootstrap")
  for _ in $(seq 1 120); do
    if kcat -b "$probe" -L -m 2 >/dev/null 2>&1; then
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

# A test CA, a broker certificate for 127.0.0.1/localhost signed by it
# (PKCS#12 keystore), and a second CA that signed nothing (for the
# untrusted-certificate test).
make_tls() {
  local tls=$1 pass=$2
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=tickertape test CA"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=another CA"
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=localhost"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem -days 2 -extfile san.ext
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -out broker.p12 -passout "pass:$pass"
  ) >"$tls/openssl.log" 2>&1 || { cat "$tls/openssl.log" >&2; return 1; }
}

start() {
  local dir=${1:?usage: kafka.sh start DIR} secure=${2:-}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  classpath >/dev/null
  command -v kcat >/dev/null || { echo "kafka.sh: kcat is missing; run scripts/install-deps.sh" >&2; return 1; }
  local port controller sasl
  port=$(free_port); controller=$(free_port)
  while [ "$controller" = "$port" ]; do controller=$(free_port); done
  local listeners="PLAINTEXT://127.0.0.1:$port" advertised="PLAINTEXT://127.0.0.1:$port"
  local map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" extra="" scram=()
  if [ -n "$secure" ]; then
    command -v openssl >/dev/null || { echo "kafka.sh: openssl is missing; run scripts/install-deps.sh" >&2; return 1; }
    sasl=$(free_port)
    while [ "$sasl" = "$port" ] || [ "$sasl" = "$controller" ]; do sasl=$(free_port); done
    local store_pass user_pass
    store_pass=$(openssl rand -hex 16); user_pass=$(openssl rand -hex 16)
    make_tls "$dir/tls" "$store_pass"
    printf 'tickertape\n%s\n' "$user_pass" >"$dir/scram"
    chmod 600 "$dir/scram"
    scram=(--add-scram "SCRAM-SHA-512=[name=\"tickertape\",password=\"$user_pass\"]")
    listeners="SASL_SSL://127.0.0.1:$sasl,INTERNAL://127.0.0.1:$port"
    advertised="$listeners"
    map="SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"
    extra="inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/tls/broker.p12
ssl.keystore.password=$store_pass
ssl.key.password=$store_pass"
  fi
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
listeners=$listeners,CONTROLLER://127.0.0.1:$controller
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=$map
$extra
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
  if [ -n "$secure" ]; then
    echo "127.0.0.1:$sasl" >"$dir/bootstrap"
    echo "127.0.0.1:$port" >"$dir/probe"
  else
    echo "127.0.0.1:$port" >"$dir/bootstrap"
  fi
  if [ ! -d "$dir/data" ]; then
    local cluster_id
    # shellcheck disable=SC2046
    cluster_id=$(java $(java_opts "$dir") -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    # shellcheck disable=SC2046
    java $(java_opts "$dir") -cp "$lib/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$dir/server.properties" --standalone "${scram[@]}" >"$dir/format.log" 2>&1 \
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
  start-secure) start "${2:-}" secure ;;
  stop) stop "${2:-}" ;;
  restart) stop "${2:?}"; classpath >/dev/null; launch "$(cd "$2" && pwd)" ;;
  classpath) classpath ;;
  *) sed -n '2,19p' "$0" >&2; exit 2 ;;
esac
