# shellcheck shell=bash disable=SC2034  # variables here are used by the files that source it
# Shared settings for bin/ragstream and its helpers (sourced, never run).
# Every path derives from RAGSTREAM_ROOT, set by bin/ragstream from its own location,
# so a fresh clone works wherever it lives.

: "${RAGSTREAM_ROOT:?RAGSTREAM_ROOT must be set by bin/ragstream}"

# everything local and git-ignored lives here; a link to another checkout's state is followed,
# so the services it runs are known by the paths they were started with
STATE_DIR="$(readlink -f "$RAGSTREAM_ROOT/.ragstream")"
LOG_DIR="$STATE_DIR/logs"

# Local services listen on loopback only; ports can be moved with the environment.
PG_PORT="${RAGSTREAM_PG_PORT:-5432}"
KAFKA_PORT="${RAGSTREAM_KAFKA_PORT:-9092}"
KAFKA_CTRL_PORT=$((KAFKA_PORT + 1))
KAFKA_SASL_PORT=$((KAFKA_PORT + 2))      # the SASL_SSL listener (SCRAM-SHA-512 over TLS)

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_DIR="$STATE_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_SOCKET_DIR="$PG_DIR/run"              # not /var/run/postgresql: no shared system state
PG_USER=ragstream
PG_DB=ragstream

KAFKA_DIR="$STATE_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
# a Kafka client's settings for the SASL_SSL listener (usable as --command-config), mode 600
KAFKA_SASL_CLIENT_PROPS="$KAFKA_DIR/client-sasl-ssl.properties"
KAFKA_SASL_USER=ragstream

TLS_DIR="$STATE_DIR/tls"

# The Java side reads the password from the environment (config: ${RAGSTREAM_PG_PASSWORD});
# this default only matches the local development services.
export RAGSTREAM_PG_PASSWORD="${RAGSTREAM_PG_PASSWORD:-ragstream}"

# Flink's module flags for Java 17, written once: env.java.opts.all in flink-conf/config.yaml
# (which clusters read, and the pom's test JVMs too).
read -r -a JAVA_OPENS < <(sed -n 's/^[[:space:]]*all:[[:space:]]*\(--add-.*\)$/\1/p' "$RAGSTREAM_ROOT/flink-conf/config.yaml")
((${#JAVA_OPENS[@]} > 0)) || { echo "[ragstream] error: flink-conf/config.yaml has no env.java.opts.all flags" >&2; exit 1; }

# Messages go to stderr so that command output (search --json ...) stays clean on stdout.
say()  { printf '[ragstream] %s\n' "$*" >&2; }
die()  { printf '[ragstream] error: %s\n' "$*" >&2; exit 1; }

# Seconds since a start time taken from $EPOCHREALTIME, to one decimal ("2.4").
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# True when something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no netcat needed).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the process $1 exists and its command line contains $2
# (guards against acting on a recycled pid from a stale pid file).
pid_matches() {
  local pid="$1" pattern="$2" cmdline
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]]
}

# Stops process $2, named $1 in messages: TERM, up to 30 s for a clean shutdown, then KILL.
stop_pid() {
  local what="$1" pid="$2" i
  say "$what: stopping (pid $pid)"
  kill -TERM "$pid"
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "$what: still running after 30 s, killing pid $pid"
  kill -KILL "$pid"
}
