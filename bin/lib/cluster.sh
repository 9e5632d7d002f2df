# shellcheck shell=bash
# `bin/ragstream cluster start|stop|status`: a standalone Flink session cluster on 127.0.0.1, a
# JobManager and one or more TaskManagers (`start --taskmanagers N`) as their own JVMs, from Maven
# Central jars, with flink-conf/ as their configuration. Pid files (taskmanager-1.pid, ...), logs,
# checkpoints and savepoints under .ragstream/cluster/.
# `cluster submit|stop-job|metrics` talk to its REST API from the Java CLI (io.ragstream.cli).
# Sourced by bin/ragstream after common.sh. Only processes whose pid we recorded are ever stopped.

FLINK_DIST_POM="$RAGSTREAM_ROOT/bin/lib/flink-dist.pom.xml"
CLUSTER_LIB_POM="$RAGSTREAM_ROOT/bin/lib/cluster-lib.pom.xml"
CLUSTER_DIST="$STATE_DIR/cluster/dist"   # Flink: lib/ and plugins/, as in a Flink distribution
CLUSTER_LIB="$STATE_DIR/cluster/lib"     # what ragstream adds to a cluster's lib/: the model, the JDBC driver
# What one cluster writes; tests give theirs its own folder (and ports) to run beside a user's.
CLUSTER_DIR="${RAGSTREAM_CLUSTER_DIR:-$STATE_DIR/cluster}"
[[ "$CLUSTER_DIR" == /* ]] || CLUSTER_DIR="$PWD/$CLUSTER_DIR"
CLUSTER_REST_PORT="${RAGSTREAM_CLUSTER_PORT:-8082}"            # 8081 is a local `run`'s web UI
CLUSTER_RPC_PORT="${RAGSTREAM_CLUSTER_RPC_PORT:-6123}"
CLUSTER_METRICS_PORTS="${RAGSTREAM_CLUSTER_METRICS_PORTS:-9250-9259}"  # Prometheus, one per JVM
export RAGSTREAM_CLUSTER_URL="http://127.0.0.1:$CLUSTER_REST_PORT"     # read by the Java CLI

# Settings that make flink-conf/config.yaml a loopback cluster whose state lives in CLUSTER_DIR.
cluster_settings() {
  CLUSTER_SETTINGS=(
    "-Drest.port=$CLUSTER_REST_PORT" -Drest.address=127.0.0.1 -Drest.bind-address=127.0.0.1
    -Djobmanager.rpc.address=127.0.0.1 "-Djobmanager.rpc.port=$CLUSTER_RPC_PORT"
    -Djobmanager.bind-host=127.0.0.1 -Dtaskmanager.bind-host=127.0.0.1 -Dtaskmanager.host=127.0.0.1
    "-Dexecution.checkpointing.dir=file://$CLUSTER_DIR/checkpoints"
    "-Dexecution.checkpointing.savepoint-dir=file://$CLUSTER_DIR/savepoints"
    "-Dweb.upload.dir=$CLUSTER_DIR/uploads" "-Dio.tmp.dirs=$CLUSTER_DIR/tmp"
    "-Dmetrics.reporter.prom.port=$CLUSTER_METRICS_PORTS"
  )
}

cluster_classpath() { echo "$CLUSTER_DIST/lib/*:$CLUSTER_LIB/*"; }

# pid of the cluster's JobManager or a TaskManager ($1: jobmanager, taskmanager-2, ...), checked
# against this cluster's folder.
cluster_pid() {
  local pid file="$CLUSTER_DIR/$1.pid"
  [[ -r "$file" ]] || return 1
  pid="$(cat "$file")"
  pid_matches "$pid" "-Dragstream.cluster=$CLUSTER_DIR " || return 1
  echo "$pid"
}

# The body of GET http://127.0.0.1:$1$2 (bash's /dev/tcp; Flink closes HTTP/1.0 connections).
cluster_http_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
    sed "1,/^\r$/d" <&3' _ "$1" "$2" 2>/dev/null
}

# Flink's memory settings for a JVM ($1: GET_JM_RESOURCE_PARAMS or GET_TM_RESOURCE_PARAMS), the
# way its own scripts compute them: JVM_PARAMS (-Xmx ...) and MEMORY_SETTINGS (-D key=value ...).
cluster_memory_params() {
  local out lines
  out="$(java -cp "$(cluster_classpath)" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" \
    --configDir "$RAGSTREAM_ROOT/flink-conf" "${CLUSTER_SETTINGS[@]}" 2>&1)" \
    || die "cluster: Flink could not work out its memory settings ($1):"$'\n'"$out"
  mapfile -t lines < <(sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' <<<"$out")
  ((${#lines[@]} >= 2)) || die "cluster: unexpected answer from BashJavaUtils $1:"$'\n'"$out"
  read -ra JVM_PARAMS <<<"${lines[0]}"
  read -ra MEMORY_SETTINGS <<<"${lines[1]}"
}

# Starts one JVM in its own session (a Ctrl-C meant for the launcher does not reach it).
cluster_launch() {
  local name="$1" main="$2"; shift 2
  local log="$CLUSTER_DIR/log/$name.log"
  # FLINK_PLUGINS_DIR: the Prometheus reporter loads as a plugin, as in a distribution
  FLINK_PLUGINS_DIR="$CLUSTER_DIST/plugins" FLINK_CONF_DIR="$RAGSTREAM_ROOT/flink-conf" \
    nohup setsid java "-Dragstream.cluster=$CLUSTER_DIR" "${JAVA_OPENS[@]}" "${JVM_PARAMS[@]}" \
    "-Dlog.file=$log" "-Dlog4j.configurationFile=file:$RAGSTREAM_ROOT/flink-conf/log4j.properties" \
    -cp "$(cluster_classpath)" "$main" --configDir "$RAGSTREAM_ROOT/flink-conf" \
    "${CLUSTER_SETTINGS[@]}" "$@" >>"$CLUSTER_DIR/log/$name.out" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/$name.pid"
}

# The JVMs this cluster folder has pid files for: jobmanager, then taskmanager-1, taskmanager-2, ...
# (and the plain `taskmanager` of a cluster an earlier version started).
cluster_members() {
  local file names=()
  for file in "$CLUSTER_DIR"/taskmanager*.pid; do
    [[ -e "$file" ]] && names+=("$(basename "$file" .pid)")
  done
  echo jobmanager
  ((${#names[@]} == 0)) || printf '%s\n' "${names[@]}" | sort -V
}

# TaskManagers registered with the JobManager, as its REST API reports them (0 if it does not answer).
cluster_registered_taskmanagers() {
  local overview
  overview="$(cluster_http_get "$CLUSTER_REST_PORT" /overview)"
  if [[ "$overview" =~ \"taskmanagers\":([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# Waits until the REST API reports $1 registered TaskManagers; dies with the logs' tail otherwise.
cluster_await_ready() {
  local want="$1" deadline=$((SECONDS + 120)) name
  until (($(cluster_registered_taskmanagers) >= want)); do
    for name in $(cluster_members); do
      # kill -0, not cluster_pid: a JVM just forked may not have exec'd java yet
      if ! kill -0 "$(cat "$CLUSTER_DIR/$name.pid")" 2>/dev/null; then
        tail -n 30 "$CLUSTER_DIR/log/$name.out" "$CLUSTER_DIR/log/$name.log" 2>/dev/null >&2 || true
        cluster_stop
        die "cluster: the $name exited while starting (logs: ${CLUSTER_DIR#"$RAGSTREAM_ROOT"/}/log)"
      fi
    done
    if ((SECONDS >= deadline)); then
      cluster_stop
      die "cluster: $(cluster_registered_taskmanagers) of $want TaskManagers registered after 120 s (logs: ${CLUSTER_DIR#"$RAGSTREAM_ROOT"/}/log)"
    fi
    sleep 0.5
  done
}

# `cluster start [--taskmanagers N]`: N TaskManagers (default 1), each its own JVM, pid file and
# log, with flink-conf's memory and slots each (3g and 4 slots: a JobManager and two TaskManagers
# take at most 7.6 GiB). Their RPC and data ports are picked free; Prometheus takes the first free
# port of the range each.
cluster_start() {
  local taskmanagers=1
  while (($# > 0)); do
    case "$1" in
      --taskmanagers) [[ $# -ge 2 ]] || die "cluster start: --taskmanagers needs a number"
                      taskmanagers="$2"; shift 2 ;;
      --taskmanagers=*) taskmanagers="${1#*=}"; shift ;;
      *) die "usage: bin/ragstream cluster start [--taskmanagers N]" ;;
    esac
  done
  [[ "$taskmanagers" =~ ^[1-9][0-9]*$ ]] || die "cluster start: --taskmanagers must be a number from 1, was '$taskmanagers'"
  if cluster_pid jobmanager >/dev/null; then
    say "cluster: already running (JobManager pid $(cluster_pid jobmanager), $(cluster_registered_taskmanagers) TaskManagers, $RAGSTREAM_CLUSTER_URL)"
    return
  fi
  local p ports plural=""
  ((taskmanagers == 1)) || plural=s
  if [[ "$CLUSTER_METRICS_PORTS" =~ ^([0-9]+)-([0-9]+)$ ]]; then
    ports=$((BASH_REMATCH[2] - BASH_REMATCH[1] + 1))
    ((taskmanagers + 1 <= ports)) \
      || die "cluster start: $((taskmanagers + 1)) JVMs need as many Prometheus ports; RAGSTREAM_CLUSTER_METRICS_PORTS has $ports ($CLUSTER_METRICS_PORTS)"
  fi
  setup_cluster_jars
  for p in "$CLUSTER_REST_PORT" "$CLUSTER_RPC_PORT"; do
    port_open "$p" && die "cluster: port $p is taken; set RAGSTREAM_CLUSTER_PORT (REST) and RAGSTREAM_CLUSTER_RPC_PORT"
  done
  mkdir -p "$CLUSTER_DIR"/{log,checkpoints,savepoints,uploads,tmp}
  rm -f "$CLUSTER_DIR"/jobmanager.pid "$CLUSTER_DIR"/taskmanager*.pid
  cluster_settings
  local t0=$EPOCHREALTIME i
  say "cluster: starting a JobManager and $taskmanagers TaskManager$plural (logs: ${CLUSTER_DIR#"$RAGSTREAM_ROOT"/}/log)"
  cluster_memory_params GET_JM_RESOURCE_PARAMS
  cluster_launch jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint "${MEMORY_SETTINGS[@]}"
  cluster_memory_params GET_TM_RESOURCE_PARAMS
  for ((i = 1; i <= taskmanagers; i++)); do
    cluster_launch "taskmanager-$i" org.apache.flink.runtime.taskexecutor.TaskManagerRunner "${MEMORY_SETTINGS[@]}"
  done
  cluster_await_ready "$taskmanagers"
  say "cluster: ready in $(elapsed "$t0") s ($taskmanagers TaskManager$plural); web UI and REST API on $RAGSTREAM_CLUSTER_URL"
  say "cluster: submit the job with: bin/ragstream cluster submit [--config FILE] [--set key=value ...]"
}

cluster_stop_one() {
  local name="$1" pid
  if pid="$(cluster_pid "$name")"; then
    stop_pid "cluster $name" "$pid"
  fi
  rm -f "$CLUSTER_DIR/$name.pid"
}

# Every TaskManager first (by the pid each recorded), then the JobManager.
cluster_stop() {
  local name running=0
  for name in $(cluster_members); do
    if cluster_pid "$name" >/dev/null; then running=1; fi
  done
  ((running)) || say "cluster: not running"
  for name in $(cluster_members); do
    [[ "$name" == jobmanager ]] || cluster_stop_one "$name"
  done
  cluster_stop_one jobmanager
}

# The port a JVM's Prometheus reporter took (it picks the first free one of its range).
cluster_metrics_port() {
  sed -n 's/.*Started PrometheusReporter HTTP server on port \([0-9]*\).*/\1/p' \
    "$CLUSTER_DIR/log/$1.log" 2>/dev/null | tail -n 1
}

# One line per JVM; exit status 0 when every one runs, 3 otherwise (like an init script's status).
cluster_status() {
  local rc=0 name pid port
  for name in $(cluster_members); do
    if pid="$(cluster_pid "$name")"; then
      port="$(cluster_metrics_port "$name")"
      printf '%-15s running  pid %s  Prometheus %s\n' "$name:" "$pid" \
        "${port:+http://127.0.0.1:$port/metrics}"
    else
      printf '%-15s stopped\n' "$name:"; rc=3
    fi
  done
  ((rc == 0)) && echo "web UI and REST API: $RAGSTREAM_CLUSTER_URL  (state: ${CLUSTER_DIR#"$RAGSTREAM_ROOT"/})"
  return "$rc"
}

cluster_main() {
  case "${1:-}" in
    start)  shift; cluster_start "$@" ;;
    stop)   cluster_stop ;;
    status) cluster_status ;;
    submit | stop-job | metrics | -h | --help)
      cli_command cluster "$@"; exec "${CLI[@]}" ;;
    *) die "usage: bin/ragstream cluster start [--taskmanagers N]|stop|status|submit|stop-job|metrics (cluster --help for more)" ;;
  esac
}
