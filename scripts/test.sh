#!/usr/bin/env bash
# The whole test suite: format and lint checks, the release build and schemathesis against its
# JSON API, then every test on SQLite and on a private PostgreSQL 15 (started here, stopped on
# exit), with a smoke test of the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=$(mktemp -d /tmp/lianshi-pg.XXXXXX)
chmod 755 "$pgdir"
cleanup() { scripts/pg.sh stop "$pgdir" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
LIANSHI_TEST_PG=$(scripts/pg.sh start "$pgdir")
export LIANSHI_TEST_PG
echo "PostgreSQL for tests: $LIANSHI_TEST_PG"

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
