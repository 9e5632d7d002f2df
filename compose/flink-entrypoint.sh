#!/bin/sh
# The Flink image's entrypoint rewrites conf/config.yaml as it starts (addresses, FLINK_PROPERTIES),
# so the project's flink-conf/ is mounted read-only elsewhere and copied in first.
set -e
cp /ragstream/flink-conf/config.yaml /ragstream/flink-conf/log4j-console.properties /opt/flink/conf/
exec /docker-entrypoint.sh "$@"
