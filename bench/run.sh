#!/usr/bin/env bash
# Run the Lianshi benchmarks (release build) and keep their output in bench/out/.
# Usage: bench/run.sh [--n N]   (N enterprises for import and list; default 1000000)
# Each prints a table with its peer measured in the same run and the ratio; see docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
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
