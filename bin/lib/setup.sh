# shellcheck shell=bash
# `bin/ragstream setup`: idempotent install of what the local services and the build need.
# Each step checks whether its result is already there and skips itself, so a second run is quick.
# Sourced by bin/ragstream after common.sh.

PG_PACKAGES=(postgresql-15 postgresql-server-dev-15 dpkg-dev build-essential)
PGVECTOR_CONTROL="/usr/share/postgresql/$PG_MAJOR/extension/vector.control"
APT_PRIVATE="$STATE_DIR/apt"             # our own apt state: the machine's sources stay untouched
BUILD_DIR="$STATE_DIR/build"
KAFKA_POM="$RAGSTREAM_ROOT/bin/lib/kafka-broker.pom.xml"
BUILD_STAMP="$RAGSTREAM_ROOT/target/.ragstream-build.stamp"   # under target/ so `mvn clean` drops it

pkg_installed() { [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# a) PostgreSQL 15 and a C toolchain, from the machine's own Debian sources.
setup_postgres_packages() {
  local missing=() p
  for p in "${PG_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    say "setup: PostgreSQL $PG_MAJOR packages already installed"
    return
  fi
  say "setup: installing ${missing[*]} (apt-get)"
  # Installing postgresql-15 may create and start Debian's own "main" cluster; we leave it
  # alone: our server has its own data directory under .ragstream/ (and its own port if needed).
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Print the URI this machine already uses for Debian's main archive (not -security),
# read from deb822 .sources files or the one-line sources.list format.
debian_mirror_uri() {
  local codename uri=""
  # shellcheck disable=SC1091
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    uri="$(awk -v cn="$codename" '
      function flush() {
        if (!found && uris != "" && (" " suites " ") ~ (" " cn " ") && (" " comps " ") ~ / main /) {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        uris = suites = comps = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      tolower($1) == "uris:"       { $1 = ""; uris = $0 }
      tolower($1) == "suites:"     { $1 = ""; suites = $0 }
      tolower($1) == "components:" { $1 = ""; comps = $0 }
      END { flush() }' "$f")"
    if [[ -n "$uri" ]]; then break; fi
  done
  if [[ -z "$uri" ]]; then
    uri="$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
      | sed -E 's/\[[^]]*\]//' \
      | awk -v cn="$codename" '!found && $1 == "deb" && $3 == cn && / main( |$)/ { print $2; found = 1 }')"
  fi
  [[ -n "$uri" ]] || die "could not find the Debian mirror in /etc/apt/sources.list(.d)"
  echo "${uri%/}"
}

# b) pgvector, built from Debian trixie's source package against postgresql-server-dev-15
#    (bookworm has no pgvector 0.8). Only the source package is fetched, through a private
#    apt configuration, so the machine's package sources never see trixie.
setup_pgvector() {
  if [[ -e "$PGVECTOR_CONTROL" ]]; then
    say "setup: pgvector already installed ($(awk -F"'" '/default_version/ {print $2}' "$PGVECTOR_CONTROL"))"
    return
  fi
  local t0=$EPOCHREALTIME mirror signed=""
  mirror="$(debian_mirror_uri)"
  [[ -r /usr/share/keyrings/debian-archive-keyring.gpg ]] \
    && signed="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
  say "setup: building pgvector from Debian trixie's source package ($mirror)"
  mkdir -p "$APT_PRIVATE/sources.list.d" "$APT_PRIVATE/state/lists/partial" \
           "$APT_PRIVATE/cache/archives/partial" "$BUILD_DIR"
  echo "deb-src ${signed}${mirror} trixie main" >"$APT_PRIVATE/sources.list"
  local apt_opts=(
    -o "Dir::Etc::SourceList=$APT_PRIVATE/sources.list"
    -o "Dir::Etc::SourceParts=$APT_PRIVATE/sources.list.d"   # empty: ignore the machine's lists
    -o "Dir::State=$APT_PRIVATE/state"
    -o "Dir::Cache=$APT_PRIVATE/cache"
    -o "Acquire::Check-Valid-Until=false"   # snapshot mirrors serve expired Release files
    -o "APT::Sandbox::User=root"            # private dirs are root's; no _apt download sandbox
  )
  apt-get "${apt_opts[@]}" update -qq
  rm -rf "$BUILD_DIR"/pgvector[-_]*
  (cd "$BUILD_DIR" && apt-get "${apt_opts[@]}" source -qq pgvector) >/dev/null
  local src
  src="$(find "$BUILD_DIR" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | sort -V | tail -n 1)"
  [[ -n "$src" ]] || die "apt-get source pgvector left no source tree in $BUILD_DIR"
  say "setup: compiling $(basename "$src")"
  make -s -C "$src" -j "$(nproc)" PG_CONFIG="$PG_BIN/pg_config" >/dev/null
  as_root make -s -C "$src" PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
  [[ -e "$PGVECTOR_CONTROL" ]] || die "pgvector installed no $PGVECTOR_CONTROL"
  say "setup: pgvector installed in $(elapsed "$t0") s"
}

# Jars a helper pom lists, copied from Maven Central into a folder ($2) by `mvn -f $1 ARGS...`;
# done again only when the pom changes.
setup_jars() {
  local pom="$1" dir="$2" want have=""
  shift 2
  want="$(sha256sum "$pom" | cut -d' ' -f1)"
  [[ -r "$dir/.pom.sha256" ]] && have="$(cat "$dir/.pom.sha256")"
  if [[ "$want" == "$have" ]]; then
    say "setup: $(basename "$pom" .pom.xml) jars already in ${dir#"$RAGSTREAM_ROOT"/}"
    return
  fi
  say "setup: copying the $(basename "$pom" .pom.xml) jars into ${dir#"$RAGSTREAM_ROOT"/} (mvn)"
  rm -rf "$dir"   # the pom changed: no stale jar may stay on a classpath
  mkdir -p "$dir"
  mvn -B -q -f "$pom" "$@"
  echo "$want" >"$dir/.pom.sha256"
}

# c) The Kafka broker's jars from Maven Central (no Kafka tarball needed).
setup_kafka_jars() {
  setup_jars "$KAFKA_POM" "$KAFKA_LIBS" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS"
}

# d) The Flink session cluster's jars (bin/ragstream cluster): Flink with RocksDB and the Prometheus
#    reporter, and what ragstream adds to a cluster's lib/ (the in-process model, the JDBC driver).
setup_cluster_jars() {
  setup_jars "$FLINK_DIST_POM" "$CLUSTER_DIST" \
    dependency:copy-dependencies@lib dependency:copy-dependencies@prometheus -Ddist.home="$CLUSTER_DIST"
  setup_jars "$CLUSTER_LIB_POM" "$CLUSTER_LIB" dependency:copy-dependencies -DoutputDirectory="$CLUSTER_LIB"
}

# e) A Compose parser, so the test suite can check docker-compose.yml without a Docker engine.
setup_docker_compose() {
  if command -v docker-compose >/dev/null; then
    say "setup: docker-compose already installed"
    return
  fi
  say "setup: installing docker-compose (apt-get)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
}

# True when the last successful build is newer than the pom and every source file.
build_is_current() {
  [[ -e "$BUILD_STAMP" && -s "$RAGSTREAM_ROOT/target/classpath.txt" && -s "$RAGSTREAM_ROOT/target/classpath-runtime.txt" && -d "$RAGSTREAM_ROOT/target/classes" ]] \
    || return 1
  [[ "$RAGSTREAM_ROOT/pom.xml" -nt "$BUILD_STAMP" ]] && return 1
  # Directories count too: a deleted file changes its directory's mtime.
  [[ -z "$(find "$RAGSTREAM_ROOT/src/main" -newer "$BUILD_STAMP" -print -quit 2>/dev/null)" ]]
}

# f) The project: target/classes, target/classpath*.txt (local runs) and the shaded job jar.
setup_build() {
  if build_is_current; then
    say "setup: build is up to date (target/)"
    return
  fi
  say "setup: building the project (mvn -DskipTests package)"
  local t0=$EPOCHREALTIME
  mkdir -p "$RAGSTREAM_ROOT/target"
  touch "$BUILD_STAMP.new"   # taken before the build: an edit made while it runs is seen next time
  (cd "$RAGSTREAM_ROOT" && mvn -B -q -DskipTests package) >&2   # stdout is the command's own (bench > BENCHMARKS.md)
  mv -f "$BUILD_STAMP.new" "$BUILD_STAMP"
  say "setup: build done in $(elapsed "$t0") s"
}

# What the local services need (test skips the separate build: mvn verify builds anyway).
setup_prerequisites() {
  setup_postgres_packages
  setup_pgvector
  setup_kafka_jars
  setup_cluster_jars
  setup_docker_compose
}

setup_all() {
  setup_prerequisites
  setup_build
}
