#!/usr/bin/env bash
# The GPU check of pdd (issue 27; docs/scaling.md), run from a pack that scripts/gpu-pack.sh
# wrote: no Rust toolchain, no network, no registry needed. Copied into the pack as
# PACK/gpu-run.sh; on the lent machine: `bash .gpu/gpu-run.sh` (results under $OUT).
#
# Phases, in order of value, each time-boxed (a slow phase cannot eat the rest; the whole run
# stays inside PDD_RUN_BUDGET seconds, default 510, well inside the device tool's 10 minutes):
#   1. the GPU (nvidia-smi) and the libraries: every library `ldd` names beyond the C runtime
#      comes from PACK/lib; for a cuda pack, NVRTC and the CUDA headers that burn's CUDA backend
#      loads at run time are found in the image (CUDA toolkit, else Python's nvidia-* packages);
#      for a wgpu pack, the NVIDIA driver's Vulkan ICD (the loader travels in PACK/lib)
#   2. a smoke run of the device (one sampler-step bench at the quick preset): if it fails, the
#      other device phases are skipped
#   3. the train-step bench at the paper shapes for both U-Nets, pdd beside PyTorch's peer
#      (PACK/peers/unet.py) on the same device
#   4. the sampler-step bench (forward, PDD path score, SA-PDD score) for both paper presets
#   5. lorenz96-paper data made here (200 trajectories), 200 training steps at the paper batch
#      (50 × 2): steps/s from the run's log, without the first logged steps (kernel compilation)
#   6. one super-resolution at the paper preset's sampler from that run
# Writes $OUT/gpu-run.log (everything printed) and $OUT/figures.json (every figure, each phase's
# status and seconds). Exit status 1 if any phase failed.
#
# usage: gpu-run.sh (no arguments). The pack's `device` file says cuda, wgpu or cpu; a cpu pack
# runs the same phases tiny (quick presets, 1-3 steps): scripts/gpu-pack.sh --cpu, CI's dry run.
# Environment: OUT (default ./gpu-out), PDD_RUN_BUDGET (seconds), PYTHON (default python3),
# PDD_DRY_RUN_PEER=1 (a cpu pack runs the PyTorch peer too; it took 95 s for one tiny step on
# the loaded 2-core development machine, so the dry run leaves it out by default).
set -uo pipefail
PDD_DRY_RUN_PEER=${PDD_DRY_RUN_PEER:-}
pack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
work=$(mktemp -d -t pdd-gpu-run.XXXXXX)
exec > >(tee "$out/gpu-run.log") 2>&1
python=${PYTHON:-python3}
device=$(cat "$pack/device")
budget=${PDD_RUN_BUDGET:-510}
t_start=$SECONDS
say() { printf '[gpu-run] %s\n' "$*"; }
failed=0 device_ok=1
: >"$work/phases.tsv"

# phase NAME LIMIT COMMAND...: runs COMMAND with at most LIMIT seconds (less when the budget is
# nearly spent; skipped when under 10 s are left); records status and seconds in phases.tsv.
phase() {
    local name=$1 limit=$2 left t=$SECONDS status
    shift 2
    left=$((budget - (SECONDS - t_start) - 5))
    ((limit > left)) && limit=$left
    printf '\n== %s (at most %ss) ==\n' "$name" "$limit"
    if ((limit < 10)); then
        say "skipped: the run's budget of ${budget}s is spent"
        printf '%s\tskipped\t0\n' "$name" >>"$work/phases.tsv"
        failed=1
        return 1
    fi
    # the commands are this script's functions: a child bash runs them under timeout
    timeout --kill-after=5 "$limit" bash -c '"$@"' phase "$@" 2>&1 | tee "$work/last.log"
    status=${PIPESTATUS[0]}
    local word
    case $status in
    0) word=ok ;;
    77) word=skipped status=0 ;; # the command says it cannot run here (no torch)
    124 | 137) word=timeout ;;
    *) word=failed ;;
    esac
    printf '%s\t%s\t%s\n' "$name" "$word" $((SECONDS - t)) >>"$work/phases.tsv"
    ((status == 0)) || { failed=1; say "$name: $word (status $status)"; }
    return $status
}

# The pack's pdd, with the pack's libraries and the CUDA runtime libraries found below.
pdd() { LD_LIBRARY_PATH="$root/lib${cuda_libs:+:$cuda_libs}" "$root/bin/pdd" "$@"; }

# Every library the binary needs is the C runtime's own or comes from the pack.
check_libraries() {
    local line lib path bad=0
    while read -r line; do
        lib=${line%% *}
        path=$(sed -n 's/.*=> \([^ ]*\) .*/\1/p' <<<"$line")
        case $lib in
        linux-vdso.so.* | libc.so.* | libm.so.* | libgcc_s.so.* | libstdc++.so.* | ld-linux*.so.* | \
            libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.* | /lib*/ld-linux*) continue ;;
        esac
        if [[ $path == "$root/lib/"* ]]; then
            echo "  $lib: pack"
        else
            echo "  $lib: NOT FROM THE PACK (${path:-not found})"
            bad=1
        fi
    done < <(LD_LIBRARY_PATH="$root/lib" ldd "$root/bin/pdd" | sed 's/^[[:space:]]*//')
    return $bad
}

# NVRTC (burn's CUDA backend compiles its kernels at run time) and the CUDA headers it includes:
# the toolkit's first (it matches the driver), else the nvidia-* Python packages.
find_cuda_runtime() {
    local dirs=() d site
    for d in "${CUDA_PATH:-}" /usr/local/cuda /usr/local/cuda-13* /opt/cuda; do
        [[ -n $d ]] && dirs+=("$d/lib64" "$d/targets/x86_64-linux/lib")
    done
    site=$("$python" -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null)
    [[ -n $site ]] && dirs+=("$site"/nvidia/*/lib)
    for d in "${dirs[@]}"; do
        if compgen -G "$d/libnvrtc.so*" >/dev/null; then
            cuda_libs=$d
            break
        fi
    done
    say "NVRTC: ${cuda_libs:-NOT FOUND} $(ls "${cuda_libs:-/nonexistent}" 2>/dev/null | grep -E 'nvrtc' | tr '\n' ' ')"
    if [[ -z ${CUDA_PATH:-} ]] && [[ ! -f /usr/local/cuda/include/cuda.h ]]; then
        for d in "$site"/nvidia/cu13 "$site"/nvidia/cuda_runtime; do
            [[ -f $d/include/cuda.h || -f $d/include/cuda_runtime.h ]] && export CUDA_PATH=$d && break
        done
    fi
    say "CUDA headers: ${CUDA_PATH:-/usr/local/cuda}/include"
    say "libcuda: $(ldconfig -p 2>/dev/null | grep -m1 'libcuda.so' || echo 'not in ldconfig')"
    [[ -n $cuda_libs ]]
}

# The NVIDIA driver's Vulkan ICD, which wgpu reaches the GPU through (the loader is the pack's):
# exported as VK_ICD_FILENAMES, so that no other ICD (e.g. lavapipe) is used.
find_vulkan_icd() {
    local icd
    icd=$(compgen -G '/usr/share/vulkan/icd.d/nvidia_icd*.json' || compgen -G '/etc/vulkan/icd.d/nvidia_icd*.json' ||
        compgen -G '/usr/local/share/vulkan/icd.d/nvidia_icd*.json') || true
    icd=${icd%%$'\n'*}
    say "NVIDIA Vulkan ICD: ${icd:-NOT FOUND (the driver in this image has no Vulkan part: no wgpu on this GPU)}"
    [[ -n $icd ]] && export VK_ICD_FILENAMES=$icd
}

# The benches of pdd (`pdd bench`, issue 25) on the pack's device.
bench() { pdd bench "$@" --device "$device"; }

# The paper batch of a preset's bench (the presets' batch_size; 2 in the dry run).
batch_of() {
    case $1 in
    lorenz96-paper) echo 50 ;;
    kolmogorov-paper) echo 40 ;;
    *) echo 2 ;;
    esac
}
# The PyTorch peer's train-step bench at the shapes of pdd's (read from the preset's TOML).
peer() {
    local preset=$1 batch=$2
    if [[ $device == cpu && -z ${PDD_DRY_RUN_PEER:-} ]]; then
        say "dry run: no PyTorch column (PDD_DRY_RUN_PEER=1 runs the peer on the CPU, minutes)"
        return 77
    fi
    if ! "$python" -c 'import torch' 2>/dev/null; then
        say "no torch in $python: no PyTorch column"
        return 77
    fi
    local cfg
    pdd presets "$preset" >"$work/$preset.toml" &&
        cfg=$("$python" "$pack/gpu_figures.py" peer-config "$work/$preset.toml" "$batch" "$bench_steps") ||
        return 1
    "$python" "$pack/peers/unet.py" --bench "$cfg" --device "$torch_device" --threads "$(nproc)" |
        tail -n 1 | tee "$work/torch-$preset.json"
}
if [[ $device != cpu ]]; then
    quick=lorenz96-quick presets=(lorenz96-paper kolmogorov-paper) bench_steps=10 sampler_batch=4
    data_preset=lorenz96-paper trajectories=200 train=(--steps 200) sr=() torch_device=cuda
else
    quick=lorenz96-quick presets=(lorenz96-quick kolmogorov-quick) bench_steps=1 sampler_batch=1
    data_preset=lorenz96-quick trajectories=16 train=(--steps 3 --batch 4) sr=(--steps 5)
    torch_device=cpu
fi
cuda_libs=""
# the binary and its libraries travel compressed (payload.tar.gz): unpacked into the work folder
root=$work/payload
mkdir -p "$root" && tar -C "$root" -xzf "$pack/payload.tar.gz" || { say "cannot unpack $pack/payload.tar.gz"; exit 1; }
export pack root work python device cuda_libs torch_device bench_steps PDD_DRY_RUN_PEER
export -f say pdd check_libraries bench peer batch_of
say "pack $pack ($(cat "$pack/pack.json" 2>/dev/null | tr -d '\n'))"
say "device $device; budget ${budget}s; results in $out"

# 1. the machine and the libraries
if [[ $device != cpu ]]; then
    phase "nvidia-smi" 30 nvidia-smi
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$work/card" 2>/dev/null
    if [[ $device == cuda ]]; then
        find_cuda_runtime || { failed=1; device_ok=0; }
    else
        find_vulkan_icd || { failed=1; device_ok=0; }
    fi
else
    echo "cpu (dry run): $(nproc) cores" >"$work/card"
fi
phase "libraries (ldd)" 20 check_libraries

# 2. smoke
if ! pdd bench --help >/dev/null 2>&1; then
    say "this pdd has no 'bench' subcommand (issue 25): the bench phases will fail"
elif ((device_ok)); then
    phase "smoke: sampler-step $quick" 150 bench sampler-step --preset "$quick" --batch 1 \
        --steps 1 --json "$work/smoke.json" || device_ok=0
fi
((device_ok)) || say "the device does not run pdd: skipping the device phases"

# 3-4. benches
if ((device_ok)); then
    for preset in "${presets[@]}"; do
        batch=$(batch_of "$preset")
        phase "train-step $preset (pdd)" 150 bench train-step --preset "$preset" --batch "$batch" \
            --steps "$bench_steps" --json "$work/train-step-$preset.json"
        phase "train-step $preset (torch)" 90 peer "$preset" "$batch"
    done
    for preset in "${presets[@]}"; do
        phase "sampler-step $preset" 90 bench sampler-step --preset "$preset" \
            --batch "$sampler_batch" --steps "$bench_steps" --json "$work/sampler-step-$preset.json"
    done
fi

# 5-6. real training and one super-resolution
phase "data $data_preset ($trajectories trajectories)" 90 pdd data generate --preset "$data_preset" \
    --trajectories "$trajectories" --out "$work/data.h5" --overwrite
if ((device_ok)); then
    phase "train $data_preset (${train[*]})" 200 pdd train --preset "$data_preset" \
        --data "$work/data.h5" --out "$work/run" --device "$device" --overwrite "${train[@]}"
    trained=$?
    cp "$work/last.log" "$work/train.log"
    ((trained == 0)) && phase "super-resolve (λ = 0.2, the preset's sampler)" 120 pdd super-resolve \
        --run "$work/run" --samples 1 --device "$device" --lambda 0.2 --out "$work/sr.h5" \
        --overwrite "${sr[@]}"
fi

printf '\n== figures ==\n'
"$python" "$pack/gpu_figures.py" figures "$work" "$device" "$out/figures.json" || failed=1
cat "$out/figures.json" 2>/dev/null
say "total $((SECONDS - t_start))s; $( ((failed)) && echo 'SOME PHASES FAILED' || echo 'all phases passed')"
rm -rf "$work"
exit $failed
