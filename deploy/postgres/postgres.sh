#!/usr/bin/env bash
# A local PostgreSQL cluster (Debian's packages) as a plain background process.
#
#   deploy/postgres/postgres.sh start|stop|restart|status|logs [-f] [N]
#
# Cluster in .local/postgres/data, listening on 127.0.0.1:${PGPORT_NPC:-5433} only, role npc/npc and the
# databases deputies, cases, scoring, notify, platform_test. Messages go to stderr; `start` ends with
# DATABASE_URL=... on stdout, so `eval "$(deploy/postgres/postgres.sh start)"` works. See deploy/INFRA.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"

HOME_DIR="${PG_HOME_DIR:-$ROOT/.local/postgres}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd -P)"

searchable() { # every folder from $1 up to / lets other users (the postgres user) through
  local dir="$1"
  while [ "$dir" != "/" ]; do
    [ $((8#$(stat -c %a "$dir") & 1)) -ne 0 ] || return 1
    dir="$(dirname "$dir")"
  done
}
# As root the cluster runs as "postgres", which cannot enter a private checkout (mktemp -d is 0700):
# keep the cluster beside it in /var/tmp then, under a name derived from the checkout.
if [ -z "${PG_HOME_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && ! searchable "$(dirname "$HOME_DIR")"; then
  HOME_DIR="/var/tmp/npc-postgres-$(cksum <<<"$ROOT" | cut -d' ' -f1)"
  mkdir -p "$HOME_DIR"
fi
DATA="$HOME_DIR/data"
LOG="$HOME_DIR/postgres.log"
PORT="${PGPORT_NPC:-5433}"
HOST="127.0.0.1"
SOCK="$HOME_DIR/run"
# a unix socket path must stay under 108 bytes: fall back to /tmp for deep checkouts
if [ $((${#SOCK} + 20)) -gt 100 ]; then SOCK="/tmp/npc-pg-$(cksum <<<"$HOME_DIR" | cut -d' ' -f1)"; fi
APP_USER="npc"
APP_PASSWORD="npc"
DATABASES=(deputies cases scoring notify platform_test)
TEST_DB="platform_test"
START_TIMEOUT="${PG_START_TIMEOUT:-60}"

say() { printf 'postgres: %s\n' "$*" >&2; }
die() { printf 'postgres: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- binaries and the system user

find_bin() { # sets BIN to the newest /usr/lib/postgresql/<v>/bin that has initdb
  local d
  BIN=""
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then BIN="$PG_BIN"; return 0; fi
  d="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n1)"
  [ -n "$d" ] || return 1
  BIN="$(dirname "$d")"
}

ensure_server() {
  find_bin && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "the PostgreSQL server is missing (no /usr/lib/postgresql/*/bin/initdb): as root run apt-get install -y postgresql"
  fi
  say "PostgreSQL server missing; installing Debian's postgresql package with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq postgresql; } >"$HOME_DIR/apt.log" 2>&1 \
    || die "apt-get install postgresql failed (see $HOME_DIR/apt.log)"
  find_bin || die "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql"
  # The package may have created and started its own cluster ("main"). It is harmless on 5432; if it
  # took our port, stop it and keep it from starting on its own.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local ver name port _
    while read -r ver name port _; do
      if [ "$port" = "$PORT" ]; then
        say "stopping Debian's cluster $ver/$name, which took port $PORT"
        pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
        [ -f "/etc/postgresql/$ver/$name/start.conf" ] && echo manual >"/etc/postgresql/$ver/$name/start.conf"
      fi
    done < <(pg_lsclusters -h 2>/dev/null)
  fi
}

ensure_system_user() { # initdb and postgres refuse to run as root: as root, run them as "postgres"
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id postgres >/dev/null 2>&1; then
    say "creating the postgres system user"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres \
      || die "could not create the postgres system user"
  fi
  chown postgres: "$HOME_DIR"
  if ! runuser -u postgres -- test -w "$HOME_DIR"; then
    die "the postgres user cannot reach $HOME_DIR (a parent folder is not searchable by other users)"
  fi
}

as_pg() { # runs a command as the cluster owner, from a folder it can read
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$HOME_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$HOME_DIR" && "$@")
  fi
}

# ---------------------------------------------------------------- state

our_pid() { # pid of our postmaster (from data/postmaster.pid, checked against /proc), or fails
  local pid cmd
  [ -f "$DATA/postmaster.pid" ] || return 1
  pid="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *postgres*" -D $DATA"* ]] || return 1
  echo "$pid"
}

alive() { # pid -> 0 while the process exists and is not a zombie
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

wait_gone() { # pid seconds -> 0 once the process is gone
  local deadline=$((SECONDS + $2))
  while alive "$1"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

wait_old_server() { # seconds: after a crash (kill -9) the old postmaster (a zombie until reaped)
  # and its children (their working folder is the data folder) may still be exiting
  local deadline=$((SECONDS + $1)) old="" p busy
  [ -f "$DATA/postmaster.pid" ] && old="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)"
  while [ $SECONDS -lt $deadline ]; do
    busy=""
    if [[ "$old" =~ ^[0-9]+$ ]] && [ -e "/proc/$old" ]; then busy=1; fi
    for p in /proc/[0-9]*; do
      [ -n "$busy" ] && break
      if [ "$(readlink "$p/cwd" 2>/dev/null)" = "$DATA" ]; then busy=1; fi
    done
    [ -n "$busy" ] || return 0
    sleep 0.2
  done
  return 0
}

running_port() { # port of the running cluster (line 4 of postmaster.pid)
  sed -n '4p' "$DATA/postmaster.pid" 2>/dev/null || echo "$PORT"
}

port_owner() { # port -> "pid N (name)" of the listener; fails when the port is free
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

isready() { # [pg_isready args...]
  local tool="pg_isready"
  [ -n "${BIN:-}" ] && [ -x "$BIN/pg_isready" ] && tool="$BIN/pg_isready"
  command -v "$tool" >/dev/null 2>&1 || return 1
  "$tool" "$@" >/dev/null 2>&1
}

check_disk() {
  local avail
  avail="$(df -Pk "$HOME_DIR" | awk 'NR==2 {print $4}')"
  if [ -n "$avail" ] && [ "$avail" -lt 1048576 ]; then
    die "only $((avail / 1024)) MiB free on $(df -P "$HOME_DIR" | awk 'NR==2 {print $6}') (need 1 GiB for $HOME_DIR)"
  fi
}

# ---------------------------------------------------------------- cluster set-up

init_cluster() {
  [ -f "$DATA/PG_VERSION" ] && return 0
  local locale=(--no-locale)
  locale -a 2>/dev/null | grep -qix 'c.utf-\?8' && locale=(--locale=C.UTF-8)
  say "creating the cluster in $DATA ($("$BIN/postgres" --version))"
  mkdir -p "$DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DATA"
  chmod 700 "$DATA"
  if ! as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 "${locale[@]}" \
      --auth-local=trust --auth-host=scram-sha-256 >"$HOME_DIR/initdb.log" 2>&1; then
    tail -n 20 "$HOME_DIR/initdb.log" >&2
    die "initdb failed (full output: $HOME_DIR/initdb.log)"
  fi
  echo "include_if_exists = 'npc.conf'  # written by deploy/postgres/postgres.sh" >>"$DATA/postgresql.conf"
}

write_config() { # rewritten on every start, so PGPORT_NPC changes apply
  mkdir -p "$SOCK"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$SOCK"
  # Checkpoints (every test's DROP DATABASE forces one) and autovacuum runs over 1 s are logged, so a
  # slow second of a bench can be matched with them (bench/stalls.py samples them too).
  cat >"$DATA/npc.conf" <<EOF
# Written by deploy/postgres/postgres.sh on every start; edit the script, not this file.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$SOCK'
max_connections = 200
synchronous_commit = off
shared_buffers = 128MB
log_min_messages = warning
log_connections = off
log_checkpoints = on
log_autovacuum_min_duration = 1s
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DATA/npc.conf"
  return 0
}

ensure_databases() { # port
  local list
  list="$(printf "'%s'," "${DATABASES[@]}")"
  as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$1" -U postgres -d postgres >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', '$APP_USER', '$APP_PASSWORD')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', d, '$APP_USER')
FROM unnest(ARRAY[${list%,}]) AS d
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \gexec
SQL
}

print_env() { # port
  echo "# per-service databases on $HOST:$1 (user $APP_USER, password $APP_PASSWORD): ${DATABASES[*]:0:4}; tests use $TEST_DB"
  echo "DATABASE_URL=postgresql+asyncpg://$APP_USER:$APP_PASSWORD@$HOST:$1/$TEST_DB"
}

# ---------------------------------------------------------------- commands

lock() { # serialise start/stop of the same cluster (fd 9 is not passed to the server)
  exec 9>"$HOME_DIR/.lock"
  command -v flock >/dev/null 2>&1 || return 0
  flock -w 120 9 || die "another postgres.sh is busy with $HOME_DIR (lock $HOME_DIR/.lock)"
}

cmd_start() {
  local pid owner t0=$SECONDS
  if [ -n "${DATABASE_URL:-}" ]; then
    find_bin || true
    local uri="${DATABASE_URL%%\?*}"
    uri="$(sed -E 's#^postgres(ql)?\+[A-Za-z0-9_]+://#postgresql://#' <<<"$uri")"
    if [[ "$uri" != postgresql://* && "$uri" != postgres://* ]]; then
      say "DATABASE_URL is not a PostgreSQL URL; starting the local cluster"
    elif isready -d "$uri" -t 3; then
      say "reusing the server of DATABASE_URL (it answers); starting nothing"
      echo "DATABASE_URL=$DATABASE_URL"
      return 0
    else
      say "DATABASE_URL is set but its server does not answer; starting the local cluster instead"
    fi
  fi
  lock
  if pid="$(our_pid)"; then
    local port
    port="$(running_port)"
    find_bin || true
    ensure_databases "$port"
    say "already running (pid $pid on $HOST:$port)"
    [ "$port" = "$PORT" ] || say "note: PGPORT_NPC=$PORT ignored; stop the running cluster first"
    print_env "$port"
    return 0
  fi
  if owner="$(port_owner "$PORT")"; then
    find_bin || true
    if isready -h "$HOST" -p "$PORT" -t 2; then
      die "port $PORT is taken by $owner, a PostgreSQL server this script did not start (to use it: export DATABASE_URL=...; or PGPORT_NPC=<free port>)"
    fi
    die "port $PORT is taken by $owner"
  fi
  check_disk
  ensure_server
  ensure_system_user
  init_cluster
  write_config
  : >>"$LOG"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$LOG"
  local offset
  offset="$(stat -c %s "$LOG")"
  wait_old_server 10
  local attempt
  for attempt in 1 2 3; do
    if as_pg setsid -w "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t "$START_TIMEOUT" -s 9>&- >/dev/null 2>&1; then
      break
    fi
    if [ $attempt -lt 3 ] && tail -c +"$((offset + 1))" "$LOG" \
        | grep -q -e 'shared memory block is still in use' -e 'lock file "postmaster.pid" already exists'; then
      say "the previous server is still exiting; retrying"
      sleep 2
      continue
    fi
    printf -- '--- last lines of %s\n' "$LOG" >&2
    tail -c +"$((offset + 1))" "$LOG" | tail -n 20 >&2
    die "the server did not start (log: $LOG)"
  done
  isready -h "$HOST" -p "$PORT" -t 10 || die "the server started but $HOST:$PORT does not answer (log: $LOG)"
  ensure_databases "$PORT"
  pid="$(our_pid || echo '?')"
  say "ready: pid $pid on $HOST:$PORT ($((SECONDS - t0)) s); log in $LOG"
  print_env "$PORT"
}

cmd_stop() {
  local pid t0=$SECONDS
  lock
  if ! pid="$(our_pid)"; then say "not running"; return 0; fi
  find_bin || die "cannot find pg_ctl to stop pid $pid"
  if ! as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 20 -s >/dev/null 2>&1; then
    say "fast shutdown did not finish in 20 s; using immediate"
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 20 -s >/dev/null 2>&1 || true
  fi
  wait_gone "$pid" 10 || die "pid $pid is still running after pg_ctl stop"
  say "stopped (pid $pid, $((SECONDS - t0)) s); data kept in $DATA"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    echo "postgres: running pid $pid on $HOST:$(running_port)"
    return 0
  fi
  echo "postgres: stopped"
  return 3
}

cmd_logs() {
  local follow="" n=100 a
  for a in "$@"; do
    case "$a" in -f | --follow) follow=1 ;; *[!0-9]* | "") die "usage: postgres.sh logs [-f] [lines]" ;; *) n="$a" ;; esac
  done
  [ -f "$LOG" ] || die "no log yet ($LOG)"
  if [ -n "$follow" ]; then exec tail -n "$n" -F "$LOG"; fi
  tail -n "$n" "$LOG"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; exec 9>&-; cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  *) echo "usage: $0 start|stop|restart|status|logs [-f] [lines]" >&2; exit 2 ;;
esac
