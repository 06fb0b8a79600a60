#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft) for tests and for trying logstream,
# from Maven Central's jars; nothing is downloaded twice.
#   scripts/kafka.sh fetch                       copy Kafka and its dependencies into $KAFKA_HOME/lib
#   scripts/kafka.sh start                       format and start a broker on a free port; prints host:port
#   scripts/kafka.sh stop | status | bootstrap
#   scripts/kafka.sh create-topic NAME [PARTITIONS]
# KAFKA_HOME (default .kafka) holds the jars; LOGSTREAM_KAFKA_RUN (default $KAFKA_HOME/run) a broker's
# ports, data and log, so tests can run brokers of their own; KAFKA_VERSION picks the version.
set -euo pipefail
cd "$(dirname "$0")/.."

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_HOME="${LOGSTREAM_KAFKA_HOME:-${KAFKA_HOME:-$PWD/.kafka}}"
LIB="$KAFKA_HOME/lib-$KAFKA_VERSION"
RUN="${LOGSTREAM_KAFKA_RUN:-$KAFKA_HOME/run}"
mkdir -p "$KAFKA_HOME"

fetch() {
  [ -f "$LIB/.complete" ] && return 0
  command -v mvn >/dev/null || { echo "kafka.sh: Maven (mvn) is needed to fetch Kafka" >&2; exit 1; }
  local pom="$KAFKA_HOME/pom-$KAFKA_VERSION.xml"
  cat > "$pom" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>logstream</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
  echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION from Maven Central" >&2
  rm -rf "$LIB"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$LIB" -DincludeScope=runtime >&2
  touch "$LIB/.complete"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

is_running() {
  [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null
}

wait_ready() {
  local bootstrap=$1
  for _ in $(seq 1 120); do
    if ! is_running; then
      echo "kafka.sh: the broker exited; see $RUN/server.log" >&2
      tail -20 "$RUN/server.log" >&2 || true
      return 1
    fi
    if kcat -L -b "$bootstrap" -m 2 >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "kafka.sh: the broker did not become ready in 60 s; see $RUN/server.log" >&2
  return 1
}

# Starts the broker in $RUN with the ports and data it has (a restart after stop keeps both).
launch() {
  local port controller
  port=$(cat "$RUN/port")
  controller=$(cat "$RUN/controller-port")
  cat > "$RUN/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$RUN/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.segment.bytes=67108864
# Retention runs every half second instead of every 5 minutes, so a test that lowers a topic's retention sees it act.
log.retention.check.interval.ms=500
PROPS
  cat > "$RUN/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $RUN/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = info
LOG
  if [ ! -f "$RUN/data/meta.properties" ]; then
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$RUN/log4j2.properties" kafka.tools.StorageTool format --standalone \
      --cluster-id="$(cat "$RUN/cluster-id")" -c "$RUN/server.properties" >"$RUN/format.log" 2>&1 \
      || { cat "$RUN/format.log" >&2; exit 1; }
  fi
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.properties" \
    -cp "$LIB/*" kafka.Kafka "$RUN/server.properties" >"$RUN/stdout.log" 2>&1 &
  echo $! > "$RUN/pid"
  wait_ready "127.0.0.1:$port"
}

cmd="${1:-}"
case "$cmd" in
  fetch) fetch ;;
  start)
    fetch
    if is_running; then echo "127.0.0.1:$(cat "$RUN/port")"; exit 0; fi
    rm -rf "$RUN"
    mkdir -p "$RUN/data"
    free_port > "$RUN/port"
    free_port > "$RUN/controller-port"
    python3 -c 'import uuid,base64; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))' > "$RUN/cluster-id"
    launch
    echo "127.0.0.1:$(cat "$RUN/port")"
    ;;
  restart)
    # Starts a stopped broker again on the same port with the same data (outage tests).
    is_running || launch
    echo "127.0.0.1:$(cat "$RUN/port")"
    ;;
  stop)
    if is_running; then
      pid=$(cat "$RUN/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/pid"
    ;;
  status) is_running && echo "running at 127.0.0.1:$(cat "$RUN/port")" || { echo "stopped"; exit 1; } ;;
  bootstrap) echo "127.0.0.1:$(cat "$RUN/port")" ;;
  create-topic)
    # create-topic NAME [PARTITIONS] [KEY=VALUE ...]: topic configuration such as max.message.bytes=209715200
    name="${2:?topic name}"
    partitions="${3:-1}"
    configs=()
    for kv in "${@:4}"; do configs+=(--config "$kv"); done
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$RUN/log4j2.properties" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "${KAFKA_BOOTSTRAP:-127.0.0.1:$(cat "$RUN/port")}" --create --if-not-exists --topic "$name" --partitions "$partitions" --replication-factor 1 "${configs[@]}" >&2
    ;;
  delete-topic)
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$RUN/log4j2.properties" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "${KAFKA_BOOTSTRAP:-127.0.0.1:$(cat "$RUN/port")}" --delete --topic "${2:?topic name}" >&2
    ;;
  alter-topic)
    # alter-topic NAME KEY=VALUE[,KEY=VALUE...]: changes a topic's configuration, such as retention.ms=1
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$RUN/log4j2.properties" kafka.admin.ConfigCommand \
      --bootstrap-server "${KAFKA_BOOTSTRAP:-127.0.0.1:$(cat "$RUN/port")}" --alter --entity-type topics --entity-name "${2:?topic name}" --add-config "${3:?KEY=VALUE}" >&2
    ;;
  topic-config)
    # topic-config NAME: the topic's own settings as the broker reports them, one KEY=VALUE a line.
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$RUN/log4j2.properties" kafka.admin.ConfigCommand \
      --bootstrap-server "${KAFKA_BOOTSTRAP:-127.0.0.1:$(cat "$RUN/port")}" --describe --entity-type topics --entity-name "${2:?topic name}" | awk '/^ +[^ ]+=/{print $1}'
    ;;
  log-start)
    # log-start TOPIC PARTITION: prints the partition's first offset (its log start).
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$RUN/log4j2.properties" org.apache.kafka.tools.GetOffsetShell \
      --bootstrap-server "${KAFKA_BOOTSTRAP:-127.0.0.1:$(cat "$RUN/port")}" --topic "${2:?topic}" --partitions "${3:?partition}" --time earliest | awk -F: '{print $3}'
    ;;
  *) echo "usage: scripts/kafka.sh fetch|start|restart|stop|status|bootstrap|create-topic NAME [PARTITIONS] [KEY=VALUE...]|alter-topic NAME KEY=VALUE[,...]|topic-config NAME|delete-topic NAME|log-start TOPIC PARTITION" >&2; exit 2 ;;
esac
