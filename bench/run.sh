#!/usr/bin/env bash
# Run the Lianshi benchmarks (release build) and keep their output in bench/out/.
# Usage: bench/run.sh [--n N]   (N enterprises for import and list; default 1000000)
#        bench/run.sh policy [--n N] [--runs R]   (rules against OpenFisca only; creates bench/out/venv)
#        bench/run.sh http [--pg URL] [--secs S] [--rounds R]   (wrk against the server's bare /healthz)
# Each prints a table with its peer measured in the same run and the ratio; see docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
if [ "${1:-}" = policy ]; then
    # bench/run.sh policy [--n N] [--runs R]: Lianshi rules against OpenFisca (docs/PERFORMANCE.md §5).
    # The venv with openfisca-core (from PyPI) is created once in bench/out/venv.
    shift
    if [ ! -x bench/out/venv/bin/python ] || ! bench/out/venv/bin/python -c 'import openfisca_core' 2>/dev/null; then
        python3 -m venv bench/out/venv
        bench/out/venv/bin/pip install -q "openfisca-core==46.0.1"
    fi
    cargo build --release -q -p lianshi-bench --bin policy
    cargo run --release -q -p lianshi-bench --bin policy -- --python=bench/out/venv/bin/python "$@" | tee bench/out/policy.txt
    exit "${PIPESTATUS[0]}"
fi
if [ "${1:-}" = http ]; then
    # bench/run.sh http [...]: the server's API under wrk beside its bare /healthz (docs/PERFORMANCE.md §6).
    shift
    command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
    cargo build --release -q -p lianshi-bench -p lianshi
    cargo run --release -q -p lianshi-bench --bin http -- "$@" | tee bench/out/http.txt
    exit "${PIPESTATUS[0]}"
fi
cargo build --release -q -p lianshi-bench -p lianshi
for b in import list rss service; do
    echo "== $b =="
    case $b in
        rss|service) args=() ;;
        *) args=("$@") ;;
    esac
    cargo run --release -q -p lianshi-bench --bin "$b" -- "${args[@]}" | tee "bench/out/$b.txt"
    echo
done
