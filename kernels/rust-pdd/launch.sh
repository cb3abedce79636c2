#!/usr/bin/env bash
# Launcher of the "Rust (pdd)" Jupyter kernel: evcxr_jupyter with a persistent build directory.
#
# Jupyter runs `bash {resource_dir}/launch.sh {connection_file}` with the notebook's directory as
# the working directory. This script
#   * finds evcxr_jupyter and cargo (also in ~/.cargo/bin when that is not on PATH);
#   * gives the kernel a persistent EVCXR_TMPDIR, one "slot" per running kernel, locked with
#     flock for the kernel's lifetime, so pdd and its dependencies are compiled once per slot
#     and reused by every later kernel (notebooks run one after another share slot 0);
#   * compiles libraries (pdd, burn, ...) like `--release` (opt-level 3, no debug assertions)
#     through a cargo config file above the slots, while the notebook's own cells keep
#     evcxr's defaults (opt-level 2, debug assertions and overflow checks on).
#
# Environment:
#   PDD_EVCXR_CACHE  root of the slots (default: ${XDG_CACHE_HOME:-~/.cache}/pdd-evcxr)
#   PDD_EVCXR_SLOTS  how many kernels may run at once (default 4)
#   PDD_EVCXR_SLOT   use exactly this slot, waiting up to PDD_EVCXR_SLOT_WAIT seconds (default
#                    120) for it to be free; notebooks/check.py sets it so that the notebooks it
#                    runs one after another always share one build directory.
set -euo pipefail

connection_file=${1:?usage: launch.sh CONNECTION_FILE}

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$cargo_bin:"*) ;; *) export PATH="$PATH:$cargo_bin" ;; esac
for tool in evcxr_jupyter cargo; do
    if ! command -v "$tool" >/dev/null; then
        echo "Rust (pdd) kernel: '$tool' not found on PATH or in $cargo_bin;" \
             "run kernels/install.sh from the pdd repository." >&2
        exit 1
    fi
done

cache_root="${PDD_EVCXR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pdd-evcxr}"
mkdir -p "$cache_root/.cargo"

# Cargo reads .cargo/config.toml from every ancestor of the crate it builds (the slot), and a
# [profile] there overrides the one evcxr writes into the slot's Cargo.toml. "*" matches every
# package except the notebook's own crate.
profile='# Written by the Rust (pdd) kernel launcher (kernels/rust-pdd/launch.sh).
[profile.dev.package."*"]
opt-level = 3
debug-assertions = false
overflow-checks = false
'
if [[ "$(cat "$cache_root/.cargo/config.toml" 2>/dev/null)" != "${profile%$'\n'}" ]]; then
    printf '%s' "$profile" >"$cache_root/.cargo/config.toml.tmp.$$"
    mv "$cache_root/.cargo/config.toml.tmp.$$" "$cache_root/.cargo/config.toml"
fi

# Take the first free slot. The lock's file descriptor is inherited by evcxr_jupyter, so the
# slot stays taken until the kernel (and everything it started) has exited.
slot=""
if [[ -n "${PDD_EVCXR_SLOT:-}" ]]; then
    slot=$PDD_EVCXR_SLOT
    if command -v flock >/dev/null; then
        exec 9>"$cache_root/slot-$slot.lock"
        if ! flock -w "${PDD_EVCXR_SLOT_WAIT:-120}" 9; then
            echo "Rust (pdd) kernel: build slot $slot in $cache_root is still in use by another" \
                 "kernel after ${PDD_EVCXR_SLOT_WAIT:-120} s; close it or choose another PDD_EVCXR_SLOT." >&2
            exit 1
        fi
    fi
elif command -v flock >/dev/null; then
    for ((i = 0; i < ${PDD_EVCXR_SLOTS:-4}; i++)); do
        exec 9>"$cache_root/slot-$i.lock"
        if flock -n 9; then slot=$i; break; fi
        exec 9>&-
    done
    if [[ -z "$slot" ]]; then
        echo "Rust (pdd) kernel: all ${PDD_EVCXR_SLOTS:-4} build slots in $cache_root are in use;" \
             "using a throw-away build directory (the first cell compiles pdd again)." >&2
    fi
else
    echo "Rust (pdd) kernel: 'flock' not found; kernels share slot 0 unlocked (run one at a time)." >&2
    slot=0
fi

if [[ -n "$slot" ]]; then
    export EVCXR_TMPDIR="$cache_root/slot-$slot"
    mkdir -p "$EVCXR_TMPDIR"
else
    unset EVCXR_TMPDIR
fi

# evcxr loads each cell as a shared library that links Rust's libstd dynamically and finds it
# through an $ORIGIN-relative RUNPATH; that path is computed for target/*/debug/deps but the
# library is loaded from target/*/debug, one level up, so it only resolves when the build
# directory and the toolchain share no ancestor but "/" (true for evcxr's default /tmp, false for
# ~/.cache with rustup in ~/.rustup: "dlopen failed"). Point the loader at libstd directly; this
# is the directory evcxr itself reads libstd from (`rustc --print target-libdir`).
if libdir=$(rustc --print target-libdir 2>/dev/null) && [[ -d "$libdir" ]]; then
    export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

exec evcxr_jupyter --control_file "$connection_file"
