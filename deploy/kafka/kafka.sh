#!/usr/bin/env bash
# A local Apache Kafka 4.1.1 (KRaft, one combined broker+controller) as a plain background process.
#
#   deploy/kafka/kafka.sh start|stop|restart|status|logs [-f] [N]|kill9
#   deploy/kafka/kafka.sh cluster start|stop [1|2|3] | kill9 1|2|3 | status   (three nodes, for fault tests)
#
# Jars come from Maven Central (deploy/kafka/pom.xml) and are cached in .local/kafka/libs.
# Messages go to stderr; `start` ends with KAFKA_BOOTSTRAP_SERVERS=host:port on stdout, so
# `eval "$(deploy/kafka/kafka.sh start)"` works. See deploy/INFRA.md for the environment variables.
set -euo pipefail

KAFKA_VERSION="4.1.1"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"

HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.local/kafka}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd -P)"
LIBS="${KAFKA_LIBS_DIR:-$ROOT/.local/kafka/libs}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HOST="127.0.0.1"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
# A test run creates thousands of partitions (unique topics per test): 512 MiB ran out of heap.
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx2g}"
JVM_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20"

PROPS="$HOME_DIR/server.properties"
DATA="$HOME_DIR/data"
LOGS="$HOME_DIR/logs"
PID_FILE="$HOME_DIR/kafka.pid"
OUT="$HOME_DIR/kafka.out"
CLUSTER_ID_FILE="$HOME_DIR/cluster.id"
MARKER="$LIBS/.resolved"

say() { printf 'kafka: %s\n' "$*" >&2; }
die() { printf 'kafka: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- process helpers

alive() { # pid -> 0 while the process exists and is not a zombie
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

wait_gone() { # pid seconds -> 0 once the process is gone
  local deadline=$((SECONDS + $2))
  while alive "$1"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

pid_is_ours() { # pid -> 0 when it is a live kafka.Kafka running our server.properties
  local pid="$1" cmd
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *" kafka.Kafka $PROPS"* ]]
}

our_pid() { # prints the pid of our broker, or fails
  local pid="" p
  [ -f "$PID_FILE" ] && pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if pid_is_ours "$pid"; then echo "$pid"; return 0; fi
  for p in /proc/[0-9]*; do # pid file lost or stale: look for the process itself
    p="${p#/proc/}"
    if pid_is_ours "$p"; then echo "$p" >"$PID_FILE"; echo "$p"; return 0; fi
  done
  return 1
}

port_owner() { # port -> "pid (name)" of the listener, "another process" if unknown; fails when free
  local port="$1" line pid name
  if command -v ss >/dev/null 2>&1; then
    line="$(ss -Htlnp "sport = :$port" 2>/dev/null | head -n1)"
    [ -n "$line" ] || return 1
    pid="$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")"
    name="$(sed -n 's/.*(("\([^"]*\)".*/\1/p' <<<"$line")"
    if [ -n "$pid" ]; then echo "pid $pid (${name:-?})"; else echo "another process"; fi
    return 0
  fi
  (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null || return 1
  echo "another process"
}

# Speaks the Kafka protocol: sends ApiVersions (v0) to each host:port of a bootstrap list and
# exits 0 when one answers like a Kafka broker (prints it), 1 otherwise.
kafka_answers() {
  python3 - "$1" "${2:-2}" <<'PY'
import socket, struct, sys
servers, timeout = sys.argv[1], float(sys.argv[2])
CORR = 0x4E5043
client = b"npc-kafka-sh"
req = struct.pack(">hhih", 18, 0, CORR, len(client)) + client  # ApiVersions v0, header v1
for server in filter(None, (s.strip() for s in servers.split(","))):
    host, _, port = server.split("://")[-1].rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(struct.pack(">i", len(req)) + req)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    raise EOFError
                buf += chunk
                if len(buf) >= 4 and not 6 <= struct.unpack(">i", buf[:4])[0] <= 1 << 20:
                    raise ValueError("not kafka")
        corr, err = struct.unpack(">ih", buf[4:10])
        # 35 = UNSUPPORTED_VERSION: still a Kafka broker (it answers with the versions it has)
        if corr == CORR and err in (0, 35):
            print(server)
            sys.exit(0)
    except (OSError, EOFError, ValueError, struct.error):
        pass
sys.exit(1)
PY
}

configured_port() { # the PLAINTEXT port of the broker the current server.properties describes
  local p=""
  [ -f "$PROPS" ] && p="$(sed -n 's|^listeners=PLAINTEXT://[^,]*:\([0-9]*\),.*|\1|p' "$PROPS")"
  echo "${p:-$PORT}"
}

LOG_OFFSET=0 # size of server.log when this start launched the broker: older lines are not shown
log_tail() {
  local size=0
  [ -f "$LOGS/server.log" ] && size="$(stat -c %s "$LOGS/server.log")"
  [ "$size" -ge "$LOG_OFFSET" ] || LOG_OFFSET=0 # rolled over
  if [ "$size" -gt "$LOG_OFFSET" ]; then
    printf -- '--- last lines of %s\n' "$LOGS/server.log" >&2
    tail -c +"$((LOG_OFFSET + 1))" "$LOGS/server.log" | tail -n 20 >&2
  fi
  if [ -s "$OUT" ]; then printf -- '--- last lines of %s\n' "$OUT" >&2; tail -n 20 "$OUT" >&2; fi
}

# ---------------------------------------------------------------- prerequisites

java_major() { # java binary -> major version number
  "$1" -version 2>&1 | sed -n '1s/.*version "\([0-9][0-9.]*\).*/\1/p' | awk -F. '{print ($1 == 1) ? $2 : $1}'
}

find_java() { # sets JAVA to a java >= 17, or fails with the one-line cause in MISSING
  local c m
  for c in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/java-*/bin/java; do
    if [ -z "$c" ] || [ ! -x "$c" ]; then continue; fi
    m="$(java_major "$c")"
    if [ -n "$m" ] && [ "$m" -ge 17 ]; then JAVA="$c"; return 0; fi
    MISSING="java $m is too old (Kafka $KAFKA_VERSION needs 17+)"
  done
  MISSING="${MISSING:-java 17+ is missing}"
  return 1
}

ensure_prerequisites() {
  local missing=()
  MISSING=""
  find_java || missing+=("$MISSING")
  command -v python3 >/dev/null 2>&1 || missing+=("python3 is missing")
  if [ ! -f "$MARKER" ] || [ "$(cat "$MARKER")" != "$(libs_stamp)" ]; then
    command -v mvn >/dev/null 2>&1 || missing+=("maven (mvn) is missing")
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "$(IFS=';'; echo "${missing[*]}"); installing openjdk-17-jre-headless maven python3 with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven python3; } >"$HOME_DIR/apt.log" 2>&1 \
      || die "apt-get install openjdk-17-jre-headless maven failed (see $HOME_DIR/apt.log)"
    MISSING=""
    find_java || die "$MISSING"
    return 0
  fi
  die "$(IFS=';'; echo "${missing[*]}") (apt-get install -y openjdk-17-jre-headless maven python3)"
}

libs_stamp() { echo "kafka $KAFKA_VERSION $(cksum <"$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)"; }

ensure_libs() {
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(libs_stamp)" ]; then return 0; fi
  say "resolving Kafka $KAFKA_VERSION jars from Maven Central into $LIBS (once)"
  local tmp="$LIBS.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$(dirname "$LIBS")"
  if ! mvn -q -B -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$HOME_DIR/mvn.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 20 "$HOME_DIR/mvn.log" >&2
    die "could not resolve the Kafka jars with Maven (full output: $HOME_DIR/mvn.log)"
  fi
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || die "maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing"
  libs_stamp >"$tmp/.resolved"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  say "jars ready ($(find "$LIBS" -name '*.jar' | wc -l) jars, $((SECONDS - t0)) s)"
}

check_disk() {
  local avail
  avail="$(df -Pk "$HOME_DIR" | awk 'NR==2 {print $4}')"
  if [ -n "$avail" ] && [ "$avail" -lt 1048576 ]; then
    die "only $((avail / 1024)) MiB free on $(df -P "$HOME_DIR" | awk 'NR==2 {print $6}') (need 1 GiB for $HOME_DIR)"
  fi
}

# ---------------------------------------------------------------- config and storage

write_config() {
  mkdir -p "$DATA" "$LOGS"
  cat >"$PROPS" <<EOF
# Written by deploy/kafka/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# after a crash (kill9) the restarted broker must wait for its old heartbeat session to expire
# before it may register again: 5 s instead of the default 9 s
broker.session.timeout.ms=5000
broker.heartbeat.interval.ms=1000
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=2
# The broker default only applies to topics the kit did not create: the kit creates (and corrects)
# domain event topics with retention.ms=-1 and dead-letter topics with 30 days (KAFKA_* settings).
log.retention.hours=168
log.segment.bytes=104857600
EOF
}

jvm_common() { # options shared by the broker and the storage tool
  printf '%s\n' -Djava.awt.headless=true "-Dkafka.logs.dir=$LOGS" \
    "-Dlog4j2.configurationFile=$SCRIPT_DIR/log4j2.properties"
}

cluster_id() { # prints the cluster id, creating it at the first start
  local cid
  if [ -s "$CLUSTER_ID_FILE" ]; then
    cid="$(cat "$CLUSTER_ID_FILE")"
  else # same shape as `kafka-storage.sh random-uuid`: 16 random bytes, base64url, no padding
    cid="$(python3 -c 'import base64,uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"): print(s); break')"
    echo "$cid" >"$CLUSTER_ID_FILE"
  fi
  echo "$cid"
}

format_storage() {
  [ -f "$DATA/meta.properties" ] && return 0
  local cid log
  cid="$(cluster_id)"
  log="$(dirname "$PROPS")/format.log"
  say "formatting $DATA (cluster id $cid)"
  local opts
  mapfile -t opts < <(jvm_common)
  # shellcheck disable=SC2086 # JVM_OPTS is a list of JVM options
  if ! "$JAVA" -Xmx256m $JVM_OPTS "${opts[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
      -t "$cid" -c "$PROPS" --ignore-formatted >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "formatting the storage failed (full output: $log)"
  fi
}

# ---------------------------------------------------------------- commands

launch() { # start the JVM on $PROPS in the background; sets LAUNCHED to its pid and writes $PID_FILE
  local opts
  mapfile -t opts < <(jvm_common)
  [ -f "$LOGS/server.log" ] && LOG_OFFSET="$(stat -c %s "$LOGS/server.log")"
  # A broker keeps a file open per partition segment: a test run's thousands of topics exhaust a
  # default limit ("Too many open files" and the broker dies). Raise it as far as allowed.
  # shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM options
  # shellcheck disable=SC2086 # JVM_OPTS likewise
  (cd "$HOME_DIR" && { ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; } \
    && exec setsid "$JAVA" -server $HEAP_OPTS $JVM_OPTS \
    -XX:+ExitOnOutOfMemoryError "${opts[@]}" -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >"$OUT" 2>&1 9>&-) &
  LAUNCHED=$!
  echo "$LAUNCHED" >"$PID_FILE"
}

wait_until_ready() { # pid -> 0 when the broker answers; prints the log and fails when it dies / times out
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if ! alive "$pid"; then
      log_tail
      die "the broker (pid $pid) exited during start-up (logs: $LOGS/server.log, $OUT)"
    fi
    if kafka_answers "$HOST:$(configured_port)" 1 >/dev/null; then return 0; fi
    sleep 0.5
  done
  log_tail
  say "the broker did not answer within ${START_TIMEOUT}s; stopping it"
  stop_pid "$pid" >/dev/null 2>&1 || true
  exit 1
}

lock() { # serialise start/stop of the same KAFKA_HOME_DIR (fd 9 is not passed to the broker)
  exec 9>"$HOME_DIR/.lock"
  command -v flock >/dev/null 2>&1 || return 0
  flock -w 120 9 || die "another kafka.sh is busy with $HOME_DIR (lock $HOME_DIR/.lock)"
}

cmd_start() {
  local pid owner t0=$SECONDS
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    if command -v python3 >/dev/null 2>&1 && kafka_answers "$KAFKA_BOOTSTRAP_SERVERS" 3 >/dev/null; then
      say "reusing the broker at $KAFKA_BOOTSTRAP_SERVERS (KAFKA_BOOTSTRAP_SERVERS is set and answers); starting nothing"
      echo "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
      return 0
    fi
    say "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS does not answer; starting a local broker instead"
  fi
  lock
  if pid="$(our_pid)"; then
    local port
    port="$(configured_port)"
    if ! kafka_answers "$HOST:$port" 2 >/dev/null; then
      say "pid $pid is still starting; waiting"
      wait_until_ready "$pid"
    fi
    say "already running (pid $pid on $HOST:$port)"
    [ "$port" = "$PORT" ] || say "note: KAFKA_PORT=$PORT ignored; stop the running broker first"
    echo "KAFKA_BOOTSTRAP_SERVERS=$HOST:$port"
    return 0
  fi
  rm -f "$PID_FILE"
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if owner="$(port_owner "$p")"; then
      if [ "$p" = "$PORT" ] && command -v python3 >/dev/null 2>&1 && kafka_answers "$HOST:$p" 2 >/dev/null; then
        die "port $p is taken by $owner, a Kafka broker this script did not start (to use it: export KAFKA_BOOTSTRAP_SERVERS=$HOST:$p)"
      fi
      die "port $p is taken by $owner"
    fi
  done
  check_disk
  ensure_prerequisites
  ensure_libs
  write_config
  format_storage

  launch
  pid="$LAUNCHED"
  say "started pid $pid, waiting for $HOST:$PORT to answer (up to ${START_TIMEOUT}s)"
  sleep 0.3
  pid_is_ours "$pid" || { pid="$(our_pid)" || { log_tail; die "the broker exited at once (see $OUT)"; }; }
  wait_until_ready "$pid"
  say "ready: pid $pid on $HOST:$PORT ($((SECONDS - t0)) s); logs in $LOGS"
  echo "KAFKA_BOOTSTRAP_SERVERS=$HOST:$PORT"
}

stop_pid() { # pid -> graceful SIGTERM, SIGKILL after STOP_TIMEOUT
  local pid="$1" t0=$SECONDS deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if alive "$pid"; then
    say "pid $pid still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
  fi
  rm -f "$PID_FILE"
  say "stopped (pid $pid, $((SECONDS - t0)) s); data kept in $DATA"
}

cmd_stop() {
  local pid
  lock
  if ! pid="$(our_pid)"; then rm -f "$PID_FILE"; say "not running"; return 0; fi
  stop_pid "$pid"
}

cmd_kill9() {
  local pid
  if ! pid="$(our_pid)"; then say "not running"; return 0; fi
  kill -KILL "$pid"
  wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
  say "killed pid $pid with SIGKILL (pid file left behind, as after a crash)"
}

cmd_status() {
  local pid port
  if pid="$(our_pid)"; then
    port="$(configured_port)"
    if command -v python3 >/dev/null 2>&1 && kafka_answers "$HOST:$port" 2 >/dev/null; then
      echo "kafka: running pid $pid on $HOST:$port"
    else
      echo "kafka: running pid $pid on $HOST:$port (not answering yet)"
    fi
    return 0
  fi
  echo "kafka: stopped"
  return 3
}

cmd_logs() {
  local follow="" n=100 a
  for a in "$@"; do
    case "$a" in -f | --follow) follow=1 ;; *[!0-9]* | "") die "usage: kafka.sh logs [-f] [lines]" ;; *) n="$a" ;; esac
  done
  [ -f "$LOGS/server.log" ] || die "no log yet ($LOGS/server.log)"
  if [ -n "$follow" ]; then exec tail -n "$n" -F "$LOGS/server.log"; fi
  tail -n "$n" "$LOGS/server.log"
}

# ---------------------------------------------------------------- cluster mode (three nodes)
#
# `kafka.sh cluster start|stop [N] | kill9 N | status` runs three KRaft nodes, each broker and
# controller (a static quorum of the three), in KAFKA_HOME_DIR/node-N, with replication factor 3 and
# min.insync.replicas 2, on free ports chosen at the first start and kept in
# KAFKA_HOME_DIR/cluster.ports (or KAFKA_CLUSTER_PORTS / KAFKA_CLUSTER_CONTROLLER_PORTS, 3 each).
# It is for fault tests (a broker killed under load): give it a KAFKA_HOME_DIR of its own. Heap per
# node: KAFKA_HEAP_OPTS, default -Xms128m -Xmx256m. The single-node commands are unchanged.

CLUSTER_NODES=(1 2 3)
CLUSTER_PORTS_FILE="$HOME_DIR/cluster.ports"

cluster_ports() { # sets BROKER_PORTS[n] and CTL_PORTS[n], choosing and saving free ports once
  BROKER_PORTS=() CTL_PORTS=()
  if [ ! -s "$CLUSTER_PORTS_FILE" ]; then
    local given="${KAFKA_CLUSTER_PORTS:-}" ctl="${KAFKA_CLUSTER_CONTROLLER_PORTS:-}" free n b c
    if [ -z "$given" ] || [ -z "$ctl" ]; then
      free="$(python3 -c 'import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(",".join(str(s.getsockname()[1]) for s in socks))')"
      given="${given:-$(cut -d, -f1-3 <<<"$free")}"
      ctl="${ctl:-$(cut -d, -f4-6 <<<"$free")}"
    fi
    for n in "${CLUSTER_NODES[@]}"; do
      b="$(cut -d, -f"$n" <<<"$given")" c="$(cut -d, -f"$n" <<<"$ctl")"
      [[ "$b" =~ ^[0-9]+$ && "$c" =~ ^[0-9]+$ ]] \
        || die "KAFKA_CLUSTER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS need 3 ports each"
      echo "$n $b $c"
    done >"$CLUSTER_PORTS_FILE"
  fi
  local n b c
  while read -r n b c; do BROKER_PORTS[n]="$b"; CTL_PORTS[n]="$c"; done <"$CLUSTER_PORTS_FILE"
}

cluster_bootstrap() { # host:port,host:port,host:port of the three brokers
  local n out=()
  for n in "${CLUSTER_NODES[@]}"; do out+=("$HOST:${BROKER_PORTS[n]}"); done
  (IFS=,; echo "${out[*]}")
}

select_node() { # point the single-node globals (PROPS, DATA, LOGS, PID_FILE, ports) at node N
  local dir="$HOME_DIR/node-$1"
  mkdir -p "$dir"
  NODE="$1" PROPS="$dir/server.properties" DATA="$dir/data" LOGS="$dir/logs"
  PID_FILE="$dir/kafka.pid" OUT="$dir/kafka.out" PORT="${BROKER_PORTS[$1]}"
  CONTROLLER_PORT="${CTL_PORTS[$1]}" LOG_OFFSET=0
}

write_node_config() {
  local n voters=()
  for n in "${CLUSTER_NODES[@]}"; do voters+=("$n@$HOST:${CTL_PORTS[n]}"); done
  mkdir -p "$DATA" "$LOGS"
  cat >"$PROPS" <<PROPERTIES
# Written by deploy/kafka/kafka.sh cluster on every start; edit the script, not this file.
process.roles=broker,controller
node.id=$NODE
controller.quorum.voters=$(IFS=,; echo "${voters[*]}")
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
# a killed node is fenced (leadership of its partitions moves) after 5 s without a heartbeat
broker.session.timeout.ms=5000
broker.heartbeat.interval.ms=1000
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
background.threads=2
log.retention.hours=168
log.segment.bytes=104857600
PROPERTIES
}

cluster_launch_node() { # N -> starts node N unless it runs
  local pid
  select_node "$1"
  if pid="$(our_pid)"; then say "node $1: already running (pid $pid)"; return 0; fi
  rm -f "$PID_FILE"
  if port_owner "$PORT" >/dev/null || port_owner "$CONTROLLER_PORT" >/dev/null; then
    die "node $1: port $PORT or $CONTROLLER_PORT is taken"
  fi
  write_node_config
  format_storage
  launch
  say "node $1: started pid $LAUNCHED on $HOST:$PORT (controller $CONTROLLER_PORT)"
}

cluster_wait_node() { # N -> returns once node N answers
  local pid
  select_node "$1"
  pid="$(our_pid)" || { log_tail; die "node $1 is not running (logs: $LOGS/server.log, $OUT)"; }
  wait_until_ready "$pid"
}

cmd_cluster() {
  local action="${1:-}" node="${2:-}" n pid rc=0 t0=$SECONDS
  HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx256m}"
  # small and quick to start on a shared machine: one GC thread, the client compiler only
  JVM_OPTS="${KAFKA_CLUSTER_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1}"
  if [ -n "$node" ] && [[ ! "$node" =~ ^[123]$ ]]; then die "cluster nodes are 1, 2 and 3"; fi
  case "$action" in
    start)
      lock
      check_disk
      ensure_prerequisites
      ensure_libs
      cluster_ports
      # the nodes form one quorum: launch each before waiting for any; format them side by side
      cluster_id >/dev/null
      for n in ${node:-${CLUSTER_NODES[*]}}; do
        select_node "$n"
        our_pid >/dev/null || { write_node_config; format_storage & }
      done
      wait || die "formatting a node's storage failed"
      for n in ${node:-${CLUSTER_NODES[*]}}; do cluster_launch_node "$n"; done
      for n in ${node:-${CLUSTER_NODES[*]}}; do cluster_wait_node "$n"; done
      say "cluster ready ($((SECONDS - t0)) s); data in $HOME_DIR"
      echo "KAFKA_BOOTSTRAP_SERVERS=$(cluster_bootstrap)"
      ;;
    stop)
      lock
      cluster_ports
      # all at once: the last node alone cannot shut down cleanly without a quorum
      for n in ${node:-${CLUSTER_NODES[*]}}; do
        select_node "$n"
        if pid="$(our_pid)"; then kill -TERM "$pid" 2>/dev/null || true; fi
      done
      for n in ${node:-${CLUSTER_NODES[*]}}; do
        select_node "$n"
        if pid="$(our_pid)"; then stop_pid "$pid"; else say "node $n: not running"; fi
      done
      ;;
    kill9)
      [ -n "$node" ] || die "usage: kafka.sh cluster kill9 1|2|3"
      cluster_ports
      select_node "$node"
      cmd_kill9
      ;;
    status)
      cluster_ports
      for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        printf 'node %s: ' "$n"
        cmd_status || rc=3
      done
      return "$rc"
      ;;
    *) die "usage: kafka.sh cluster start|stop [1|2|3] | kill9 1|2|3 | status" ;;
  esac
}

case "${1:-}" in
  start) cmd_start ;;
  cluster) shift; cmd_cluster "$@" ;;
  stop) cmd_stop ;;
  restart) cmd_stop; exec 9>&-; cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  kill9) cmd_kill9 ;;
  *) echo "usage: $0 start|stop|restart|status|logs [-f] [lines]|kill9 | cluster start|stop|status|kill9 [N]" >&2; exit 2 ;;
esac
