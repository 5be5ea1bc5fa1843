#!/usr/bin/env bash
# Local infrastructure as plain processes: Kafka (deploy/kafka/kafka.sh) and PostgreSQL
# (deploy/postgres/postgres.sh). See deploy/INFRA.md.
#
#   scripts/infra.sh up       start both (or reuse KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when they answer);
#                             progress on stderr, then KEY=value lines on stdout: eval "$(scripts/infra.sh up)"
#   scripts/infra.sh down     stop both (data is kept)
#   scripts/infra.sh status   exit 0 when both run, 3 otherwise
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
KAFKA="$ROOT/deploy/kafka/kafka.sh"
POSTGRES="$ROOT/deploy/postgres/postgres.sh"

case "${1:-}" in
  up)
    # one after the other: a first run may apt-get install for both, and apt allows one at a time
    kafka_env="$(bash "$KAFKA" start)"
    postgres_env="$(bash "$POSTGRES" start)"
    printf '%s\n%s\n' "$kafka_env" "$postgres_env"
    ;;
  down)
    rc=0
    bash "$KAFKA" stop || rc=1
    bash "$POSTGRES" stop || rc=1
    exit "$rc"
    ;;
  status)
    rc=0
    bash "$KAFKA" status || rc=3
    bash "$POSTGRES" status || rc=3
    exit "$rc"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
