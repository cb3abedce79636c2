#!/usr/bin/env bash
# The GPU check of pdd (issue 15; docs/scaling.md), ready to run the moment a GPU is lent:
#
#   1. builds pdd with --features cuda (falls back to --features wgpu when CUDA does not build)
#   2. the train-step bench at the paper shapes, beside the PyTorch peer (benches/peers/unet.py
#      on the same GPU when torch is importable; PYTHON picks the interpreter)
#   3. the sampler-step bench (network forward vs path score) at the paper presets' shapes
#   4. a small lorenz96-paper dataset (200 trajectories: 150 train), 200 training steps of the
#      paper preset at its batch (50 × 2 accumulated) on the GPU: steps/s
#   5. one super-resolution at the paper settings (λ = 0.2, the preset's sampler) from that run
# and prints each phase's time and the throughput lines together at the end. It fits in about
# 10 minutes on one recent GPU (the builds of step 1 excepted).
#
# usage: scripts/gpu-check.sh [--cpu]
#   --cpu   dry mode: the same steps tiny on the CPU (quick shapes, lorenz96-quick, 3 training
#           steps, 5 reverse steps) with no GPU feature; scripts/test.sh runs it (~1 min)
# Environment: PYTHON (default python3), CARGO_TARGET_DIR, PDD_GPU_CHECK_DIR (work directory,
# default a fresh temporary one).
#
# The cuda and wgpu crates are not needed by the CPU build: when they are not in cargo's cache
# the script fetches them (`cargo fetch --locked`), which needs network; offline it says so and
# stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
pdd_parse_flags "${BASH_SOURCE[0]}" "--cpu" "$@"
pdd_cargo_on_path
python=${PYTHON:-python3}
work=${PDD_GPU_CHECK_DIR:-$(mktemp -d -t pdd-gpu-check.XXXXXX)}
mkdir -p "$work"
say() { printf '[gpu-check] %s\n' "$*"; }

if [[ -n "${PDD_FLAGS[--cpu]:-}" ]]; then
    features=() device=cpu mode=quick preset=lorenz96-quick
    trajectories=16 steps=3 batch=(--batch 4) sr=(--steps 5) sampler_batch=1
else
    device="" mode=paper preset=lorenz96-paper
    trajectories=200 steps=200 batch=() sr=() sampler_batch=4
    if ! cargo fetch --locked --offline >/dev/null 2>&1; then
        say "fetching the GPU crates (cargo fetch --locked; needs network)"
        if ! cargo fetch --locked; then
            say "OFFLINE: the cuda/wgpu crates are not in cargo's cache and cannot be downloaded."
            say "Run 'cargo fetch --locked' on a machine with network (same Cargo.lock), copy ~/.cargo/registry, rerun."
            exit 1
        fi
    fi
    for feature in cuda wgpu; do
        say "building with --features $feature"
        if cargo build --release --locked --features "$feature"; then
            features=(--features "$feature") device=$feature
            break
        fi
        say "--features $feature did not build"
    done
    if [[ -z $device ]]; then
        say "neither --features cuda nor --features wgpu builds here; see the errors above"
        exit 1
    fi
fi

timings=() results=()
phase() {
    local name=$1 t=$SECONDS
    shift
    printf '\n== %s ==\n' "$name"
    "$@" 2>&1 | tee "$work/phase.log"
    local status=${PIPESTATUS[0]}
    timings+=("$(printf '%-28s %6ds' "$name" $((SECONDS - t)))")
    return "$status"
}

cargo build --release --locked "${features[@]}"
pdd="${CARGO_TARGET_DIR:-target}/release/pdd"
torch_python=""
if "$python" -c 'import torch' 2>/dev/null; then
    torch_python=$python
else
    say "no torch in $python: the PyTorch peer column stays empty (pip install torch, or set PYTHON)"
fi

phase "train-step bench ($mode)" env PDD_DEVICE="$device" PDD_TORCH_PYTHON="$torch_python" \
    cargo bench --locked "${features[@]}" --bench train_step -- "$mode"
results+=("$(grep -E 'paper|quick|pdd/torch' "$work/phase.log" || true)")

phase "sampler-step bench ($mode)" env PDD_DEVICE="$device" \
    cargo bench --locked "${features[@]}" --bench sampler_step -- "$sampler_batch" "$mode"
results+=("$(grep -E 'score' "$work/phase.log" || true)")

phase "data ($trajectories trajectories)" "$pdd" data generate --preset "$preset" \
    --trajectories "$trajectories" --out "$work/data.h5" --overwrite

phase "train $preset ($steps steps)" "$pdd" train --preset "$preset" --data "$work/data.h5" \
    --out "$work/run" --steps "$steps" --device "$device" --overwrite "${batch[@]}"
results+=("$(grep -E '^trained' "$work/phase.log" || true)")

phase "super-resolve (λ = 0.2)" "$pdd" super-resolve --run "$work/run" --samples 1 \
    --device "$device" --lambda 0.2 --out "$work/sr.h5" --overwrite "${sr[@]}"
results+=("$(tail -n 3 "$work/phase.log")")

printf '\n== throughput (device %s) ==\n' "$device"
printf '%s\n' "${results[@]}"
printf '\n== timings ==\n'
printf '%s\n' "${timings[@]}"
say "passed; files in $work"
