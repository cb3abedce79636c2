#!/usr/bin/env bash
# The GPU code path of pdd proven without a GPU (issue 27; docs/scaling.md): installs Mesa's
# lavapipe (a Vulkan device on the CPU; scripts/system-deps.sh --vulkan) and runs the wgpu
# parity test (tests/wgpu.rs: training steps, PDD and SA-PDD scores, one reverse-λ step of each
# sampler, each on burn's wgpu backend against flex) built with --features wgpu.
#
# usage: scripts/wgpu-test.sh
# Environment: CARGO_TARGET_DIR (cargo's meaning; the wgpu build goes to its gpu/ folder, seeded
# from the default build's), PDD_GPU_TARGET_DIR (that folder instead): scripts/common.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
pdd_parse_flags "${BASH_SOURCE[0]}" "" "$@"
pdd_cargo_on_path
bash scripts/system-deps.sh --vulkan
CARGO_TARGET_DIR=$(pdd_gpu_target)
export CARGO_TARGET_DIR
# lavapipe only: a machine with a real GPU would otherwise test that one
export VK_ICD_FILENAMES
VK_ICD_FILENAMES=$(compgen -G '/usr/share/vulkan/icd.d/lvp_icd*.json' | head -n 1)
cargo test --release --locked --features wgpu --test wgpu -- --test-threads 1 --nocapture
