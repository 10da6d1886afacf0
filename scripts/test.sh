#!/usr/bin/env bash
# The whole test suite: format and lint checks, the release build and schemathesis against its
# JSON API, then every test on SQLite and on a private PostgreSQL 15 (started here, stopped on
# exit) and a second one that requires TLS, with a smoke test of the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=$(mktemp -d /tmp/lianshi-pg.XXXXXX)
tlsdir=$(mktemp -d /tmp/lianshi-pg-tls.XXXXXX)
chmod 755 "$pgdir" "$tlsdir"
cleanup() {
  scripts/pg.sh stop "$pgdir" || true
  scripts/pg.sh stop "$tlsdir" || true
  rm -rf "$pgdir" "$tlsdir"
}
trap cleanup EXIT
LIANSHI_TEST_PG=$(scripts/pg.sh start "$pgdir")
export LIANSHI_TEST_PG
echo "PostgreSQL for tests: $LIANSHI_TEST_PG"
# A second one that accepts only TLS, with a certificate from a CA made by pg.sh.
LIANSHI_TEST_PG_TLS=$(scripts/pg.sh start-tls "$tlsdir")
LIANSHI_TEST_PG_TLS_CA="$tlsdir/tls/ca.crt"
export LIANSHI_TEST_PG_TLS LIANSHI_TEST_PG_TLS_CA
echo "PostgreSQL requiring TLS: $LIANSHI_TEST_PG_TLS"

# A real browser for the UI smoke test.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; then
  echo "installing chromium and chromium-driver…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo build --release --locked -p lianshi
export LIANSHI_BIN="$PWD/target/release/lianshi"
# The JSON API against its own OpenAPI document (schemathesis, every check; under a minute).
scripts/schemathesis.sh "$LIANSHI_BIN"
cargo test --workspace --locked
