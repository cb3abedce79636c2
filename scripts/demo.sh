#!/usr/bin/env bash
# The main job of pdd on a fresh machine: installs the system libraries when missing, builds pdd
# in release mode and runs the quick end-to-end demo for both systems (data -> train ->
# simulate / generate / super-resolve -> report and figures), `pdd demo`.
#
# usage: scripts/demo.sh [ARGS...]   (ARGS are passed to `pdd demo`)
# Environment: CARGO_TARGET_DIR (cargo's usual meaning).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
pdd_cargo_on_path
if ! command -v cargo >/dev/null; then
    echo "demo.sh: cargo not found; install Rust >= 1.95 (https://rustup.rs), then rerun." >&2
    exit 1
fi

bash scripts/system-deps.sh
cargo build --release --locked
pdd="${CARGO_TARGET_DIR:-target}/release/pdd"
exec "$pdd" demo "$@"
