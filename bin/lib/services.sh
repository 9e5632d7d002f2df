# shellcheck shell=bash
# `bin/ragstream services start|stop|status`: a local PostgreSQL (+pgvector) and a single-node
# Kafka broker (KRaft), both on 127.0.0.1, with data, pid files and logs under .ragstream/.
# PostgreSQL takes TLS connections and the broker has a SASL_SSL listener beside PLAINTEXT, both
# with the certificate of .ragstream/tls/ (tls.sh), so the secured paths are tested for real.
# Sourced by bin/ragstream after common.sh. Only processes whose pid we recorded are ever stopped.

PG_LOG="$LOG_DIR/postgres.log"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_DIR/log4j2.properties"
KAFKA_LOG="$LOG_DIR/kafka.log"

# Set by services_start: what this invocation started itself (test/demo stop only those).
PG_STARTED_HERE=0
KAFKA_STARTED_HERE=0

# --- PostgreSQL --------------------------------------------------------------------------

# PostgreSQL refuses to run as root: its commands run as the postgres OS user.
as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

# Pid of our postmaster, from the postmaster.pid it keeps in our data directory.
pg_pid() {
  local pid
  [[ -r "$PG_DATA/postmaster.pid" ]] || return 1
  pid="$(head -n 1 "$PG_DATA/postmaster.pid")"
  pid_matches "$pid" "$PG_DATA" || return 1
  echo "$pid"
}

pg_running() { pg_pid >/dev/null; }

# The port the running server listens on (line 4 of postmaster.pid), else the configured one.
pg_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || echo "$PG_PORT"; }

# The postgres user must be able to reach .ragstream/pg through every parent directory.
pg_make_traversable() {
  local d="$PG_DIR"
  while [[ "$d" != / ]]; do
    d="$(dirname "$d")"
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      say "postgres: chmod o+x $d (so the postgres user can reach its data directory)"
      chmod o+x "$d"
    fi
  done
}

pg_init() {
  [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL $PG_MAJOR is not installed: run bin/ragstream setup"
  mkdir -p "$PG_DIR" "$LOG_DIR"
  if [[ "$(id -un)" != postgres ]]; then
    chown postgres:postgres "$PG_DIR"
    pg_make_traversable
  fi
  as_postgres mkdir -p "$PG_SOCKET_DIR"
  if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
    say "postgres: initdb $PG_DATA"
    # trust: a local development server that only listens on 127.0.0.1 and its own socket
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    echo "include_dir = 'conf.d'" | as_postgres tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
  # PostgreSQL reads its key only when it owns it and nobody else may read it: its own copy.
  as_postgres mkdir -p "$PG_DIR/tls"
  as_postgres sh -c 'umask 077 && cat >"$1"' - "$PG_DIR/tls/server.key" <"$TLS_KEY"
  as_postgres sh -c 'cat >"$1"' - "$PG_DIR/tls/server.pem" <"$TLS_CERT"
  # Rewritten on every start so RAGSTREAM_PG_PORT takes effect.
  as_postgres mkdir -p "$PG_DATA/conf.d"
  as_postgres tee "$PG_DATA/conf.d/ragstream.conf" >/dev/null <<CONF
# written by bin/ragstream services start
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_prepared_transactions = 64    # the exactly-once (XA) sink prepares transactions
shared_buffers = 256MB
# TLS offered, not required: sslmode=verify-full with sslrootcert=.ragstream/tls/ca.pem verifies it
ssl = on
ssl_cert_file = '$PG_DIR/tls/server.pem'
ssl_key_file = '$PG_DIR/tls/server.key'
CONF
  # pg_ctl writes the log as postgres; the file must exist and be postgres's.
  touch "$PG_LOG"
  [[ "$(id -un)" == postgres ]] || chown postgres:postgres "$PG_LOG"
}

# Role, database and extension the job uses; each statement is a no-op when done already.
pg_bootstrap() {
  # client_min_messages: no "already exists, skipping" notices on every start
  local psql=(env PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
  "${psql[@]}" -d postgres -v pw="$RAGSTREAM_PG_PASSWORD" <<SQL
SELECT 'CREATE ROLE $PG_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') \gexec
ALTER ROLE $PG_USER WITH LOGIN SUPERUSER PASSWORD :'pw';
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB') \gexec
SQL
  "${psql[@]}" -d "$PG_DB" -c 'CREATE EXTENSION IF NOT EXISTS vector'
}

# ALTER EXTENSION vector UPDATE in each database of the server on 127.0.0.1:$1 whose pgvector is
# older than the installed files: installing a new pgvector changes no database's extension.
# A failure is reported, not fatal: the job's own check then names the database.
pg_update_pgvector() {
  local port="$1" target db quoted from
  local psql=(env PGOPTIONS='-c client_min_messages=warning -c lock_timeout=10s' "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -X -q -A -t -v ON_ERROR_STOP=1)
  target="$("${psql[@]}" -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")" || return 0
  [[ -n "$target" ]] || return 0
  while IFS= read -r db; do
    quoted="${db//\\/\\\\}"; quoted="${quoted//\'/\\\'}"   # a libpq conninfo value: \ and ' escaped
    from="$("${psql[@]}" -d "dbname='$quoted'" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")" || continue
    [[ -n "$from" && "$from" != "$target" ]] || continue
    if "${psql[@]}" -d "dbname='$quoted'" -c 'ALTER EXTENSION vector UPDATE'; then
      say "postgres: pgvector $from -> $target in database $db"
    else
      say "postgres: warning: ALTER EXTENSION vector UPDATE failed in database $db (still $from)"
    fi
  done < <("${psql[@]}" -d postgres -c 'SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname')
}

pg_start() {
  if pg_running; then
    say "postgres: already running (pid $(pg_pid), port $(pg_port))"
    pg_update_pgvector "$(pg_port)"
    return
  fi
  pg_init
  if port_open "$PG_PORT"; then
    die "postgres: port $PG_PORT is taken by another process (Debian's own cluster?); set RAGSTREAM_PG_PORT"
  fi
  local t0=$EPOCHREALTIME
  say "postgres: starting on 127.0.0.1:$PG_PORT (log: ${PG_LOG#"$RAGSTREAM_ROOT"/})"
  PG_STARTED_HERE=1   # set first: a start that half-succeeds is still ours to stop
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null; then
    tail -n 20 "$PG_LOG" >&2 || true
    die "postgres: failed to start"
  fi
  pg_bootstrap
  pg_update_pgvector "$PG_PORT"
  say "postgres: ready in $(elapsed "$t0") s (database $PG_DB, user $PG_USER, pgvector)"
}

pg_stop() {
  if ! pg_running; then
    say "postgres: not running"
    return
  fi
  say "postgres: stopping (pid $(pg_pid))"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
}

# --- Kafka -------------------------------------------------------------------------------

kafka_pid() {
  local pid
  [[ -r "$KAFKA_PIDFILE" ]] || return 1
  pid="$(cat "$KAFKA_PIDFILE")"
  pid_matches "$pid" "$KAFKA_PROPS" || return 1
  echo "$pid"
}

kafka_running() { kafka_pid >/dev/null; }

kafka_java() { java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_LOG4J" "$@"; }

kafka_write_config() {
  mkdir -p "$KAFKA_DATA" "$LOG_DIR"
  # Rewritten on every start so RAGSTREAM_KAFKA_PORT takes effect; it holds the keystore password.
  : >"$KAFKA_PROPS"
  chmod 600 "$KAFKA_PROPS"
  cat >"$KAFKA_PROPS" <<PROPS
# written by bin/ragstream services start: one broker that is also its own KRaft controller
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
# SCRAM users live in the cluster metadata; kafka_add_scram_user creates the client's at start
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$TLS_KEYSTORE
listener.name.sasl_ssl.ssl.keystore.password=$(cat "$TLS_STORE_PASSWORD")
log.dirs=$KAFKA_DATA
num.partitions=4
auto.create.topics.enable=true
# a single broker: every internal topic has one replica
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Flink's exactly-once Kafka sink may keep a transaction open across long checkpoints
transaction.max.timeout.ms=3600000
PROPS
  cat >"$KAFKA_LOG4J" <<LOG4J
# written by bin/ragstream services start: the broker logs to .ragstream/logs/kafka.log
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_LOG
appender.file.filePattern = $KAFKA_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
# the state change and request loggers are chatty at INFO
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
LOG4J
}

# KRaft storage is formatted once; the cluster id is kept next to it.
kafka_format() {
  [[ -e "$KAFKA_DATA/meta.properties" ]] && return
  local id
  if [[ -s "$KAFKA_DIR/cluster.id" ]]; then
    id="$(cat "$KAFKA_DIR/cluster.id")"
  else
    id="$(kafka_java kafka.tools.StorageTool random-uuid)"
    echo "$id" >"$KAFKA_DIR/cluster.id"
  fi
  say "kafka: formatting storage (cluster id $id)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" --ignore-formatted >/dev/null
}

kafka_start() {
  if kafka_running; then
    say "kafka: already running (pid $(kafka_pid), port $KAFKA_PORT)"
    return
  fi
  [[ -n "$(compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar")" ]] \
    || die "the Kafka broker jars are missing: run bin/ragstream setup"
  rm -f "$KAFKA_PIDFILE"
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CTRL_PORT" "$KAFKA_SASL_PORT"; do
    port_open "$p" && die "kafka: port $p is taken by another process; set RAGSTREAM_KAFKA_PORT (uses it and the next two)"
  done
  kafka_write_config
  kafka_format
  local t0=$EPOCHREALTIME deadline=$((SECONDS + 60)) pid
  say "kafka: starting on 127.0.0.1:$KAFKA_PORT (log: ${KAFKA_LOG#"$RAGSTREAM_ROOT"/})"
  # setsid: its own session, so a Ctrl-C meant for the launcher does not reach the broker
  # (test/demo stop it themselves); stdout/stderr only carry what log4j does not (JVM errors).
  nohup setsid java -Xms512m -Xmx512m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
    >>"$LOG_DIR/kafka.stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$KAFKA_PIDFILE"
  KAFKA_STARTED_HERE=1
  until port_open "$KAFKA_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOG_DIR/kafka.stdout.log" "$KAFKA_LOG" >&2 2>/dev/null || true
      rm -f "$KAFKA_PIDFILE"
      die "kafka: the broker exited while starting"
    fi
    ((SECONDS < deadline)) || die "kafka: not listening on 127.0.0.1:$KAFKA_PORT after 60 s (see $KAFKA_LOG)"
    sleep 0.2
  done
  kafka_add_scram_user
  say "kafka: ready in $(elapsed "$t0") s (pid $pid; SASL_SSL on 127.0.0.1:$KAFKA_SASL_PORT, client settings in ${KAFKA_SASL_CLIENT_PROPS#"$RAGSTREAM_ROOT"/})"
}

# The SCRAM user of the SASL_SSL listener, with a password made once and kept (mode 600) in the
# client properties file; (re)set at every start, which also covers a broker formatted afresh.
# The password reaches the admin tool in a file, never on a command line.
kafka_add_scram_user() {
  local password_file="$KAFKA_DIR/sasl.password" config
  if [[ ! -s "$password_file" ]]; then
    (umask 077 && openssl rand -hex 24 >"$password_file")
  fi
  config="$(umask 077 && mktemp "$KAFKA_DIR/scram.XXXXXX")"
  echo "SCRAM-SHA-512=password=$(cat "$password_file")" >"$config"   # no [brackets] in a file
  # its error output can quote the file's line: not shown
  if ! kafka_java kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
    --entity-type users --entity-name "$KAFKA_SASL_USER" --add-config-file "$config" >/dev/null 2>&1; then
    rm -f "$config"
    die "kafka: could not create the SCRAM user $KAFKA_SASL_USER (see $KAFKA_LOG)"
  fi
  rm -f "$config"
  (umask 077 && cat >"$KAFKA_SASL_CLIENT_PROPS" <<PROPS
# written by bin/ragstream services start: a Kafka client's settings for the local SASL_SSL listener
bootstrap.servers=127.0.0.1:$KAFKA_SASL_PORT
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_SASL_USER" password="$(cat "$password_file")";
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS_TRUSTSTORE
ssl.truststore.password=$(cat "$TLS_STORE_PASSWORD")
PROPS
  )
}

kafka_stop() {
  local pid
  if ! pid="$(kafka_pid)"; then
    rm -f "$KAFKA_PIDFILE"   # stale: the pid is gone or now belongs to something else
    say "kafka: not running"
    return
  fi
  stop_pid kafka "$pid"   # a controlled shutdown takes a few seconds
  rm -f "$KAFKA_PIDFILE"
}

# --- both --------------------------------------------------------------------------------

services_start() {
  tls_ensure
  pg_start
  kafka_start
}

services_stop() {
  kafka_stop
  pg_stop
}

# Stop what this invocation started itself (for test/demo's EXIT trap); leave the rest running.
services_stop_started() {
  ((KAFKA_STARTED_HERE)) && kafka_stop
  ((PG_STARTED_HERE)) && pg_stop
  return 0
}

# Exit status 0 when both services are up, 3 otherwise (like an init script's status).
services_status() {
  local rc=0
  if pg_running; then
    echo "postgres: running  pid $(pg_pid)  127.0.0.1:$(pg_port)  data ${PG_DATA#"$RAGSTREAM_ROOT"/}"
  else
    echo "postgres: stopped  (port $PG_PORT)"; rc=3
  fi
  if kafka_running && port_open "$KAFKA_PORT"; then
    echo "kafka:    running  pid $(kafka_pid)  127.0.0.1:$KAFKA_PORT (SASL_SSL $KAFKA_SASL_PORT)  data ${KAFKA_DATA#"$RAGSTREAM_ROOT"/}"
  elif kafka_running; then
    echo "kafka:    starting pid $(kafka_pid)  (not yet listening on 127.0.0.1:$KAFKA_PORT)"; rc=3
  else
    echo "kafka:    stopped  (port $KAFKA_PORT)"; rc=3
  fi
  return "$rc"
}

services_main() {
  case "${1:-}" in
    start)  services_start ;;
    stop)   services_stop ;;
    status) services_status ;;
    *) die "usage: bin/ragstream services start|stop|status" ;;
  esac
}
