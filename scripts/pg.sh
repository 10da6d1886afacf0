#!/usr/bin/env bash
# Start or stop a private PostgreSQL 15 cluster for the test suite.
#   scripts/pg.sh start DIR   -> prints the URL (postgres://…) on stdout
#   scripts/pg.sh start-tls DIR -> the same, but the server accepts only TLS connections, with a
#                                 certificate for 127.0.0.1/localhost signed by a CA made here
#                                 (DIR/tls/ca.crt); prints a URL with sslmode=require
#   scripts/pg.sh stop DIR
# Installs PostgreSQL with apt if it is missing. Runs the server as the unprivileged
# `postgres` user (initdb refuses root), listening on 127.0.0.1 at a free port.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?data dir}

find_bin() {
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

case "$cmd" in
start|start-tls)
  if ! bin=$(find_bin); then
    echo "installing postgresql-15…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql-15 >&2
    bin=$(find_bin)
  fi
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    run_as=(runuser -u postgres --)
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
  opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
  query=""
  if [ "$cmd" = start-tls ]; then
    # A private CA and a server certificate for 127.0.0.1 and localhost (valid for 10 days:
    # the cluster lives for one test run).
    tls="$dir/tls"
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj "/CN=Lianshi test CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.crt" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 10 -extfile "$tls/ext.cnf" -out "$tls/server.crt" >/dev/null 2>&1
    chmod 600 "$tls/server.key"
    chmod 644 "$tls/ca.crt" "$tls/server.crt"
    chmod 755 "$tls"
    [ "$(id -u)" = 0 ] && chown postgres "$tls/server.key" "$tls/server.crt"
    # TLS only: plain connections over TCP are rejected.
    printf 'local all all trust\nhostssl all all 127.0.0.0/8 trust\nhostnossl all all 0.0.0.0/0 reject\n' >"$dir/data/pg_hba.conf"
    # Also on 127.0.0.2, a loopback address the certificate does not name (for the host check).
    opts="${opts/listen_addresses=127.0.0.1/listen_addresses=127.0.0.1,127.0.0.2} -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key"
    query="?sslmode=require"
  fi
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >&2
  echo "postgres://postgres@127.0.0.1:$port/postgres$query"
  ;;
stop)
  bin=$(find_bin) || exit 0
  if [ -d "$dir/data" ]; then
    if [ "$(id -u)" = 0 ]; then
      runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    else
      "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
