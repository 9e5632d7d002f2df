# shellcheck shell=bash
# `bin/ragstream setup`: idempotent install of what the local services and the build need.
# Each step checks whether its result is already there and skips itself, so a second run is quick.
# Sourced by bin/ragstream after common.sh.

PG_PACKAGES=(postgresql-15 postgresql-server-dev-15 build-essential openssl)
PGVECTOR_CONTROL="/usr/share/postgresql/$PG_MAJOR/extension/vector.control"
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

# pgvector 0.8.6 from its source archive. Below 0.8.4 HNSW vacuuming can corrupt an index or fail
# ("hnsw graph not repaired", 0.8.3/0.8.4) and parallel HNSW builds can overflow a buffer
# (CVE-2026-3172, 0.8.2): Debian serves only 0.8.0 here, so we build upstream's release.
PGVECTOR_VERSION=0.8.6
# The archive in ../shared/vendor/ (a `git archive` of tag v0.8.6, see its SOURCE.md).
PGVECTOR_VENDORED="$(dirname "$RAGSTREAM_ROOT")/shared/vendor/pgvector-$PGVECTOR_VERSION.tar.gz"
PGVECTOR_SHA256=b4eb8abc425b465082ae5955d13df5338c32ec1bd441f0eb86d780e3958766a6
# sha256 of the uncompressed tar inside that archive. GitHub also makes its archives with
# `git archive`, so its download should hold the same tar under another gzip, but nobody has
# checked that (no network where this was written): if it differs, the download is refused;
# verify the archive another way and pass its sha256 in RAGSTREAM_PGVECTOR_SHA256.
PGVECTOR_TAR_SHA256=69bf509b3d16fbdf14a0048f975a84b0cb379cd7dce94a26fd4e1b5b74f39eaf
PGVECTOR_URL="https://github.com/pgvector/pgvector/archive/refs/tags/v$PGVECTOR_VERSION.tar.gz"

# The default_version of the installed vector.control, or nothing.
pgvector_installed_version() {
  [[ -r "$PGVECTOR_CONTROL" ]] && awk -F"'" '/^default_version/ {print $2}' "$PGVECTOR_CONTROL"
  return 0
}

# True when version $1 is at least $2, numerically per component (0.8.10 > 0.8.4).
version_at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

# Dies unless archive $1 is pgvector $PGVECTOR_VERSION: its sha256 equals RAGSTREAM_PGVECTOR_SHA256
# when that is set, else the vendored archive's, or the tar inside equals the vendored one's.
pgvector_verify() {
  local archive="$1" have tar_have
  have="$(sha256sum "$archive" | cut -d' ' -f1)"
  if [[ -n "${RAGSTREAM_PGVECTOR_SHA256:-}" ]]; then
    [[ "$have" == "$RAGSTREAM_PGVECTOR_SHA256" ]] \
      || die "$archive has sha256 $have, not RAGSTREAM_PGVECTOR_SHA256 ($RAGSTREAM_PGVECTOR_SHA256)"
    return
  fi
  [[ "$have" == "$PGVECTOR_SHA256" ]] && return
  tar_have="$(gzip -dc "$archive" 2>/dev/null | sha256sum | cut -d' ' -f1)" || tar_have="(not a gzip archive)"
  [[ "$tar_have" == "$PGVECTOR_TAR_SHA256" ]] && return
  die "$archive is not pgvector $PGVECTOR_VERSION as pinned here (sha256 $have, its tar $tar_have; want $PGVECTOR_SHA256 or a tar of $PGVECTOR_TAR_SHA256). If you checked it is v$PGVECTOR_VERSION another way, set RAGSTREAM_PGVECTOR_SHA256=$have"
}

# Prints the path of a verified archive: RAGSTREAM_PGVECTOR_ARCHIVE, else ../shared/vendor/,
# else a download from GitHub into $BUILD_DIR.
pgvector_archive() {
  local archive
  if [[ -n "${RAGSTREAM_PGVECTOR_ARCHIVE:-}" ]]; then
    archive="$RAGSTREAM_PGVECTOR_ARCHIVE"
    [[ -r "$archive" ]] || die "RAGSTREAM_PGVECTOR_ARCHIVE: cannot read $archive"
  elif [[ -r "$PGVECTOR_VENDORED" ]]; then
    archive="$PGVECTOR_VENDORED"   # read in place, never copied into the project
  else
    archive="$BUILD_DIR/pgvector-$PGVECTOR_VERSION.download.tar.gz"
    say "setup: downloading $PGVECTOR_URL"
    if command -v curl >/dev/null; then
      curl -fsSL --retry 3 -o "$archive" "$PGVECTOR_URL" || die "could not download $PGVECTOR_URL (or set RAGSTREAM_PGVECTOR_ARCHIVE)"
    elif command -v wget >/dev/null; then
      wget -q -O "$archive" "$PGVECTOR_URL" || die "could not download $PGVECTOR_URL (or set RAGSTREAM_PGVECTOR_ARCHIVE)"
    else
      die "neither curl nor wget to download $PGVECTOR_URL: install one, or set RAGSTREAM_PGVECTOR_ARCHIVE"
    fi
  fi
  pgvector_verify "$archive"
  echo "$archive"
}

# b) pgvector $PGVECTOR_VERSION built against postgresql-server-dev-15 (make && make install), over
#    an older build if there is one; then the databases of our running server move to it.
setup_pgvector() {
  local installed
  installed="$(pgvector_installed_version)"
  if [[ -n "$installed" ]] && version_at_least "$installed" "$PGVECTOR_VERSION"; then
    say "setup: pgvector $installed already installed"
  else
    local t0=$EPOCHREALTIME archive src
    mkdir -p "$BUILD_DIR"
    archive="$(pgvector_archive)"
    say "setup: building pgvector $PGVECTOR_VERSION from ${archive}${installed:+ (replacing $installed)}"
    src="$BUILD_DIR/pgvector-$PGVECTOR_VERSION"
    rm -rf "$src"
    tar -xzf "$archive" -C "$BUILD_DIR"
    [[ -r "$src/Makefile" ]] || die "$archive holds no pgvector-$PGVECTOR_VERSION/Makefile"
    make -s -C "$src" -j "$(nproc)" PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    # install(1) replaces vector.so by a new file: running sessions keep the library they loaded
    as_root make -s -C "$src" PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
    installed="$(pgvector_installed_version)"
    [[ "$installed" == "$PGVECTOR_VERSION" ]] || die "pgvector's install left default_version '$installed' in $PGVECTOR_CONTROL"
    say "setup: pgvector $installed installed in $(elapsed "$t0") s"
  fi
  # New files change no database: each one's extension moves with ALTER EXTENSION vector UPDATE.
  if pg_running; then pg_update_pgvector "$(pg_port)"; fi
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
