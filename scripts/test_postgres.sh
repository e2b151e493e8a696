#!/usr/bin/env bash
# A PostgreSQL server for the store tests on loopback: `start` (default) prints its SQLAlchemy URL, `stop` stops it.
#
# KEFU_TEST_PG_URL, when set and reachable, is used as it is. Otherwise a cluster under $KEFU_HOME/pg (var/pg) is
# created once and started on 127.0.0.1:$KEFU_TEST_PG_PORT (54329), installing Debian's postgresql package first when
# no server binaries are found (as root or through sudo). Only the URL goes to stdout; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${KEFU_TEST_PG_PORT:-54329}"
DB=kefu_test
ROLE=kefu
PG_DIR="${KEFU_HOME:-$ROOT/var}/pg"
PG_DIR="$(mkdir -p "$PG_DIR" && cd "$PG_DIR" && pwd)"
DATA="$PG_DIR/data"
LOG="$PG_DIR/server.log"
BIN=""
SERVER_USER=""  # empty: the server runs as whoever runs this script

log() { echo "test_postgres: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The server's own commands run as the server's user: postgres refuses to run as root. Fd 9 (the lock) is closed
# for them, or the server would hold the lock for as long as it runs.
as_server() {
  if [ -n "$SERVER_USER" ]; then runuser -u "$SERVER_USER" -- "$@" 9>&-; else "$@" 9>&-; fi
}

find_bin() {
  local dir
  if [ -n "${PG_BINDIR:-}" ]; then BIN="$PG_BINDIR"; return; fi
  # Debian keeps the server outside PATH, one directory per major version; the newest wins.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
             "$(dirname "$(readlink -f "$(command -v pg_ctl || echo /nonexistent)")")"; do
    if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then BIN="$dir"; return; fi
  done
}

install_server() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "no PostgreSQL server binaries, and installing them needs root or sudo:" \
      "apt-get install postgresql, or set KEFU_TEST_PG_URL to a server of yours"
    sudo=sudo
  fi
  command -v apt-get >/dev/null || die "no PostgreSQL server binaries and no apt-get; install PostgreSQL or set" \
    "KEFU_TEST_PG_URL"
  log "installing Debian's postgresql package"
  { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql; } >&2
  find_bin
  [ -n "$BIN" ] || die "postgresql installed but its server binaries were not found under /usr/lib/postgresql"
}

choose_user() {
  [ "$(id -u)" = 0 ] || return 0
  SERVER_USER=postgres
  id -u postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
  command -v runuser >/dev/null || die "running as root needs runuser (util-linux) to start the server as postgres"
  chown postgres: "$PG_DIR"
  as_server test -w "$PG_DIR" && return 0
  # A parent directory is closed to postgres (a checkout under /root): the cluster lives under /var/tmp instead.
  PG_DIR="/var/tmp/kefu-pg-$(printf %s "$PG_DIR" | cksum | cut -d ' ' -f 1)"
  DATA="$PG_DIR/data"
  LOG="$PG_DIR/server.log"
  mkdir -p "$PG_DIR"
  case "$(stat -c %u "$PG_DIR")" in
    0|"$(id -u postgres)") ;;
    *) die "$PG_DIR belongs to someone else" ;;
  esac
  chown postgres: "$PG_DIR"
  chmod 700 "$PG_DIR"
  log "postgres cannot reach ${KEFU_HOME:-$ROOT/var}/pg; the test cluster lives in $PG_DIR"
}

# A live postmaster started on our data directory (a zombie's cmdline is empty).
our_postmaster() {
  { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null | grep -qF -- "$DATA"
}

running() { as_server "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
accepting() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1; }
password() { cat "$PG_DIR/password"; }

wait_accepting() {
  local i
  for ((i = 0; i < $1; i++)); do accepting && return 0; sleep 1; done
  return 1
}

init_cluster() {
  [ -f "$PG_DIR/initialised" ] && return 0
  log "creating a test cluster in $DATA"
  rm -rf "$DATA"
  # A password, not trust: any local user could otherwise connect as superuser and run programs as the server user.
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$PG_DIR/password")
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$PG_DIR/password"
  local icu=(--locale-provider=icu --icu-locale=en-US)
  # UTF8 explicitly: a C locale would otherwise give SQL_ASCII, where VARCHAR(n) counts bytes, not characters.
  # An ICU en-US default collation is what a shop's server usually has: it orders "a" before "B", unlike SQLite.
  as_server "$BIN/initdb" -D "$DATA" -U "$ROLE" --pwfile="$PG_DIR/password" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 "${icu[@]}" --no-sync >/dev/null \
    || { rm -rf "$DATA"; as_server "$BIN/initdb" -D "$DATA" -U "$ROLE" --pwfile="$PG_DIR/password" \
           --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null; }
  local sockets="$PG_DIR"
  # A unix socket path longer than 107 bytes cannot be bound; the tests only use TCP anyway.
  [ $((${#PG_DIR} + 20)) -lt 107 ] || sockets=""
  cat >> "$DATA/postgresql.conf" <<EOF

# kefu test cluster: loopback only, durability traded for speed (the data is thrown away).
# Sessions in a zone other than UTC, as in a shop in China: the store must hand back UTC anyway.
timezone = 'Asia/Shanghai'
listen_addresses = '127.0.0.1'
unix_socket_directories = '${sockets//\'/\'\'}'
unix_socket_permissions = 0700
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 100
EOF
  touch "$PG_DIR/initialised"
}

start_server() {
  local attempt
  for attempt in 1 2 3; do
    # Backends of a server killed with -9 hold its shared memory for a moment; a retry outlasts them.
    if as_server "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-p $PORT" -w -t 60 start >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  tail -n 20 "$LOG" >&2 || true
  die "the server did not start; its log is $LOG"
}

external_url() {
  local url="${KEFU_TEST_PG_URL:-}"
  [ -n "$url" ] || return 1
  local libpq="${url/#postgresql+psycopg:/postgresql:}"
  local psql="${BIN:+$BIN/psql}"
  psql="${psql:-$(command -v psql || true)}"
  if [ -n "$psql" ] && PGCONNECT_TIMEOUT=5 "$psql" "$libpq" -tAqc "SELECT 1" >/dev/null 2>&1; then
    echo "${url/#postgresql:/postgresql+psycopg:}"
    return 0
  fi
  log "KEFU_TEST_PG_URL is set but no server answers there (or psql is missing); starting the local test server"
  return 1
}

start() {
  find_bin
  external_url && return 0
  [ -n "$BIN" ] || install_server
  choose_user
  # One caller at a time: two `make test` runs starting together must not both initdb.
  exec 9>"$PG_DIR/lock"
  flock -w 180 9 || die "another test_postgres.sh holds $PG_DIR/lock"
  init_cluster
  local pid
  pid="$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && our_postmaster "$pid"; then
    # Ours, perhaps still recovering from a crash.
    wait_accepting 60 || die "the server (pid $pid) runs but does not accept connections on 127.0.0.1:$PORT; see $LOG"
  elif [ -n "$pid" ] && running; then
    # After a kill -9 the pid file names a zombie or a process that reused the pid; postgres would refuse to start.
    log "removing the stale pid file of a server that is gone (pid $pid)"
    rm -f "$DATA/postmaster.pid"
  fi
  if ! running; then
    accepting && die "another server already listens on 127.0.0.1:$PORT; set KEFU_TEST_PG_PORT to a free port"
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    start_server
  fi
  wait_accepting 30 || die "the server does not accept connections on 127.0.0.1:$PORT; see $LOG"
  local pw
  pw="$(password)"
  if [ -z "$(PGPASSWORD="$pw" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d postgres -tAqc \
             "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    PGPASSWORD="$pw" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$ROLE" "$DB" >&2
  fi
  echo "postgresql+psycopg://$ROLE:$pw@127.0.0.1:$PORT/$DB"
}

stop() {
  find_bin
  [ -n "$BIN" ] || { log "no PostgreSQL server binaries"; return 0; }
  choose_user
  [ -f "$DATA/PG_VERSION" ] || { log "no test cluster in $DATA"; return 0; }
  if running; then
    as_server "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null && log "stopped"
  else
    log "not running"
  fi
}

cd /  # the server's user may not be allowed into the caller's directory
case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 [start|stop]" ;;
esac
