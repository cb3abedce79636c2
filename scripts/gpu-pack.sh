#!/usr/bin/env bash
# Packs the GPU check of pdd (issue 27; docs/scaling.md) for the lent GPU machine, which has
# CUDA, PyTorch and python3 but no Rust toolchain and no network, and takes at most 64 MiB of
# working tree plus carried paths in one call.
#
#   1. builds `pdd` in target/gpu (scripts/common.sh) and strips it: with --features cuda when
#      cubecl-cuda's prebuilt LLVM is there or can be downloaded (cudarc loads libcuda and NVRTC
#      at run time, so no CUDA toolkit is needed here; CUDARC_CUDA_VERSION=13000 binds the API
#      of the lent image's CUDA 13.0, driver 580); otherwise, saying so, with --features wgpu
#      (the build scripts/test.sh tests on lavapipe), which runs on the lent machine's GPU through
#      Vulkan if its NVIDIA driver ships the Vulkan ICD (gpu-run.sh checks)
#   2. writes the git-ignored folder .gpu/: payload.tar.gz (gzip, unpacked by gpu-run.sh) with
#      bin/pdd and lib/, every shared library `ldd` names beyond the C runtime (Debian's HDF5 and
#      what it links: HDF5 is not linked statically, as hdf5-metno's `static` feature builds HDF5
#      from source with cmake), and for wgpu the Vulkan loader libvulkan.so.1, which wgpu opens
#      at run time; gpu-run.sh and gpu_figures.py (scripts/); peers/unet.py (the PyTorch peer);
#      `device` (cuda, wgpu or cpu) and pack.json (what was packed)
#   3. checks .gpu/ plus the working tree against the 64 MiB budget (8 MiB kept free) and prints
#      the device call: carry [".gpu"], command `bash .gpu/gpu-run.sh`
#
# usage: scripts/gpu-pack.sh [--cpu]
#   --cpu   the dry run (CI runs it): packs the default CPU build (target/release/pdd) into a
#           temporary folder and runs its gpu-run.sh from there with cargo off PATH, a fresh
#           HOME and no registry; gpu-run.sh itself checks that every library beyond the C
#           runtime comes from the pack. About a minute.
# Environment: CARGO_TARGET_DIR (cargo's meaning; the GPU builds go to its gpu/ folder),
# PDD_GPU_TARGET_DIR (that folder instead),
# PYTHON (the dry run's python3, default python3), PDD_PACK_BINARY (pack this pdd binary, built
# elsewhere, instead of building one) with PDD_PACK_DEVICE (its device: cuda, wgpu; default
# cuda; the dry run's is cpu).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
pdd_parse_flags "${BASH_SOURCE[0]}" "--cpu" "$@"
pdd_cargo_on_path
say() { printf '[gpu-pack] %s\n' "$*"; }
target=${CARGO_TARGET_DIR:-target}
budget_mib=64 room_mib=8

# pack_into DIR BINARY DEVICE: the pack's folder from a built binary.
pack_into() {
    local dir=$1 binary=$2 device=$3 lib path
    rm -rf "$dir"
    mkdir -p "$dir/bin" "$dir/lib" "$dir/peers"
    cp "$binary" "$dir/bin/pdd"
    strip "$dir/bin/pdd"
    while read -r lib path; do
        case $lib in
        libc.so.* | libm.so.* | libgcc_s.so.* | libstdc++.so.* | ld-linux*.so.* | libpthread.so.* | \
            libdl.so.* | librt.so.* | libresolv.so.*) continue ;;
        esac
        cp -L "$path" "$dir/lib/$lib"
    done < <(ldd "$dir/bin/pdd" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
    if [[ $device == wgpu ]]; then
        path=$(ldconfig -p | awk '$1 == "libvulkan.so.1" && $NF ~ /^\// {print $NF; exit}')
        [[ -n $path ]] || { say "no libvulkan.so.1 here (scripts/system-deps.sh --vulkan)"; return 1; }
        cp -L "$path" "$dir/lib/libvulkan.so.1"
    fi
    tar -C "$dir" -czf "$dir/payload.tar.gz" bin lib
    cp scripts/gpu-run.sh scripts/gpu_figures.py "$dir/"
    cp benches/peers/unet.py "$dir/peers/"
    echo "$device" >"$dir/device"
    printf '{"commit": "%s", "device": "%s", "built": "%s", "bin_bytes": %s, "lib_bytes": %s}\n' \
        "$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes)" "$device" \
        "$(date -u +%FT%TZ)" "$(stat -c %s "$dir/bin/pdd")" "$(du -sb "$dir/lib" | cut -f1)" \
        >"$dir/pack.json"
    rm -rf "$dir/bin" "$dir/lib"
    say "packed $dir: $(du -sh "$dir" | cut -f1) (payload.tar.gz: bin/pdd and $(tar -tzf "$dir/payload.tar.gz" | grep -c '^lib/.') libraries)"
}

# The bytes that travel besides the carried paths: tracked and untracked-not-ignored files.
tree_bytes() {
    git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null |
        awk '{s += $1} END {print s + 0}'
}

if [[ -n "${PDD_FLAGS[--cpu]:-}" ]]; then
    t=$SECONDS
    [[ -n ${PDD_PACK_BINARY:-} ]] || cargo build --release --locked --bin pdd
    tmp=$(mktemp -d -t pdd-gpu-pack.XXXXXX)
    pack_into "$tmp/pack" "${PDD_PACK_BINARY:-$target/release/pdd}" cpu
    mkdir -p "$tmp/home" "$tmp/out"
    clean=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp/home" LANG=C.UTF-8 TMPDIR=/tmp)
    if "${clean[@]}" bash -c 'command -v cargo rustc' >/dev/null; then
        say "cargo is still on the clean PATH; the dry run would not prove anything"
        exit 1
    fi
    say "dry run: gpu-run.sh from $tmp/pack, cargo off PATH, HOME=$tmp/home"
    "${clean[@]}" OUT="$tmp/out" PYTHON="$(command -v "${PYTHON:-python3}")" \
        PDD_DRY_RUN_PEER="${PDD_DRY_RUN_PEER:-}" \
        bash "$tmp/pack/gpu-run.sh"
    [[ -s $tmp/out/figures.json ]] || { say "no figures.json"; exit 1; }
    say "dry run passed in $((SECONDS - t))s; pack $(du -sh "$tmp/pack" | cut -f1)"
    rm -rf "$tmp"
    exit 0
fi

# cubecl-cuda's cubecl-llvm (nvptx) has a build script (tracel-llvm-bundler) that downloads a
# prebuilt LLVM from GitHub's releases unless it is installed already (docs/scaling.md): say so
# before a long build fails on a machine that cannot reach github.com.
llvm_ready() {
    local version
    version=$(grep -A1 '^name = "tracel-llvm-bundler"' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
    [[ -z $version ]] || [[ -e ${XDG_DATA_HOME:-$HOME/.local/share}/tracel/tracel-llvm-$version/.tracel-llvm-installed ]] ||
        curl -sfI --max-time 10 https://github.com >/dev/null || {
        say "the CUDA build needs tracel-llvm $version: its build script downloads"
        say "  https://github.com/tracel-ai/tracel-llvm/releases/download/v$version/linux-x64.tar.xz"
        say "  (and linux-x64.checksums.json) into ~/.cache/tracel/, and github.com is not reachable"
        say "  from here; copy both there as tracel-llvm-$version-<name> from a machine that can, then rerun"
        return 1
    }
}

binary=${PDD_PACK_BINARY:-} device=${PDD_PACK_DEVICE:-cuda}
if [[ -z $binary ]]; then
    if llvm_ready; then
        device=cuda
    else
        device=wgpu
        say "packing the wgpu build instead: it reaches the GPU through Vulkan, if the lent"
        say "  machine's driver has the NVIDIA Vulkan ICD (gpu-run.sh checks and says)"
        bash scripts/system-deps.sh --vulkan
    fi
    gpu_target=$(pdd_gpu_target)
    say "building pdd --features $device in $gpu_target"
    t=$SECONDS
    CUDARC_CUDA_VERSION=13000 CARGO_TARGET_DIR="$gpu_target" \
        cargo build --release --locked --bin pdd --features "$device"
    say "built in $((SECONDS - t))s"
    binary=$gpu_target/release/pdd
fi
[[ $device == cuda || $device == wgpu ]] || { say "PDD_PACK_DEVICE must be cuda or wgpu, not '$device'"; exit 2; }
pack_into .gpu "$binary" "$device"
git check-ignore -q .gpu || { say ".gpu is not git-ignored"; exit 1; }
pack=$(du -sb .gpu | cut -f1) tree=$(tree_bytes)
total=$((pack + tree)) limit=$(((budget_mib - room_mib) * 1024 * 1024))
say "pack $((pack / 1024)) KiB + working tree $((tree / 1024)) KiB = $((total / 1024)) KiB (limit $budget_mib MiB, $room_mib MiB kept free)"
if ((total > limit)); then
    say "OVER BUDGET: the pack does not fit one device call"
    exit 1
fi
cat <<EOF
[gpu-pack] ready. The device call (one run, from this checkout's root):
  carry:     [".gpu"]
  command:   bash .gpu/gpu-run.sh
  timeout_s: 600
Results come back as \$OUT/gpu-run.log and \$OUT/figures.json.
EOF
