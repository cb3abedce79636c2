#!/usr/bin/env bash
# The test command of pdd: sets up what is missing on this machine, then runs every test.
#
#   1. system libraries (libhdf5-dev, pkg-config, and Mesa's lavapipe, a Vulkan device on the
#      CPU: scripts/system-deps.sh --vulkan)
#   2. Python packages the tests use (numpy, h5py)
#   3. the Rust habits: cargo fmt --check and cargo clippy --all-targets -- -D warnings
#   4. cargo test --release (it builds the library, the `pdd` binary and every test: the
#      crate's whole suite, with the wgpu parity test tests/wgpu.rs on lavapipe); the
#      paper presets' parameter counts against benches/peers/param_count.py (paper_start quick)
#      and the GPU pack's CPU dry run (scripts/gpu-pack.sh --cpu: the packed binary runs
#      gpu-run.sh with cargo off PATH)
#   5. the Jupyter kernel "Rust (pdd)" (kernels/install.sh: JupyterLab, nbconvert, evcxr_jupyter)
#   6. the notebook checker's own tests (notebooks/test_check.py)
#   7. every notebook, executed headlessly and checked (notebooks/check.py)
# and prints how long each phase took and the disk space left after it. Steps whose result is
# already there are skipped, so a second run only pays for the builds and the tests.
#
# usage: scripts/test.sh [--no-notebooks]
#   --no-notebooks   stop after step 4 (no Jupyter, no evcxr): the quick check for developers
# Environment: PYTHON (default python3), CARGO_TARGET_DIR (cargo's usual meaning; the builds go
# to its gpu/ folder), PDD_GPU_TARGET_DIR (that folder instead): scripts/common.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/common.sh
pdd_parse_flags "${BASH_SOURCE[0]}" "--no-notebooks" "$@"
python=${PYTHON:-python3}
pdd_cargo_on_path

timings=()
t_all=$SECONDS
report() {
    local status=$?
    printf '\n== timings ==\n'
    printf '%s\n' "${timings[@]}"
    printf '%-34s %6ds\n' "total" $((SECONDS - t_all))
    ((status == 0)) && echo "scripts/test.sh: all passed" || echo "scripts/test.sh: FAILED (status $status)"
}
trap report EXIT

# phase NAME COMMAND...: runs COMMAND, records how long it took (also when it fails) and the
# free disk space after it.
phase() {
    local name=$1 t=$SECONDS status=0
    shift
    printf '\n== %s ==\n' "$name"
    "$@" || status=$?
    local mark="" free
    ((status == 0)) || mark="  FAILED"
    # the disk's free space after the phase: a build that fills the disk fails in odd places
    free=$(df -Pm . | awk 'NR == 2 { printf "%.1f", $4 / 1024 }')
    timings+=("$(printf '%-34s %6ds %7s GiB free%s' "$name" $((SECONDS - t)) "$free" "$mark")")
    return $status
}

python_packages() {
    if "$python" -c 'import numpy, h5py' 2>/dev/null; then
        echo "numpy, h5py: present"
    else
        "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore numpy h5py
    fi
}

# Every build has the `wgpu` feature: one build serves the whole suite and the GPU code path's
# parity test (tests/wgpu.rs, issue 27), which runs on lavapipe only (a machine with a real GPU
# would otherwise test that one). The CPU code is the same with or without the feature. The
# builds go to the GPU builds' folder (target/gpu: scripts/common.sh), so that target/release
# stays the default build that scripts/demo.sh and `cargo run --release` use. Clippy checks the
# default features: with `wgpu` it would type-check the ~90 crates wgpu adds once more, for the
# few lines of pdd behind the feature (which the build compiles and the test runs). No separate
# `cargo build`: the tests' build has other features on some shared crates (dev-dependencies),
# so it would compile those twice; the tests build and run the `pdd` binary itself.
features=(--features wgpu)
CARGO_TARGET_DIR=$(pdd_gpu_target)
export CARGO_TARGET_DIR
phase "system libraries" bash scripts/system-deps.sh --vulkan
VK_ICD_FILENAMES=$(pdd_lavapipe_icd) || { echo "test.sh: no lavapipe Vulkan ICD" >&2 && exit 1; }
export VK_ICD_FILENAMES
# Mesa's Vulkan loader complains on every device open when this is unset (headless machines)
[[ -d ${XDG_RUNTIME_DIR:-} ]] || export XDG_RUNTIME_DIR=/tmp
phase "python packages" python_packages
phase "cargo fmt --check" cargo fmt --check
phase "cargo clippy -D warnings" cargo clippy --release --locked --all-targets -- -D warnings
# The library's, the binary's and the integration tests, then the doc tests; not the examples,
# which clippy type-checks (--all-targets): linking each would cost ~90 MB of disk and seconds.
run_tests() {
    cargo test --release --locked "${features[@]}" --lib --bins --tests &&
        cargo test --release --locked "${features[@]}" --doc
}
phase "cargo test --release" run_tests
phase "paper presets: parameter counts" env PDD_PYTHON="$python" \
    cargo bench --locked "${features[@]}" --bench paper_start -- quick
phase "gpu-pack --cpu (dry run)" env PYTHON="$python" \
    PDD_PACK_BINARY="$CARGO_TARGET_DIR/release/pdd" bash scripts/gpu-pack.sh --cpu
if [[ -z "${PDD_FLAGS[--no-notebooks]:-}" ]]; then
    phase "jupyter kernel (install)" bash kernels/install.sh
    phase "notebook checker tests" env PDD_REQUIRE_KERNEL=1 "$python" -m unittest -v notebooks/test_check.py
    # smoke-sized tutorial runs (20 training steps, one test path): see notebooks/README.md
    phase "notebooks" env PDD_NOTEBOOK_CI=1 "$python" notebooks/check.py
fi
