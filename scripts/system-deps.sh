#!/usr/bin/env bash
# Makes sure the system libraries pdd builds against are present: HDF5's development files
# (the hdf5 crate links libhdf5, 1.10-1.14) and pkg-config. When they are missing, installs
# Debian's libhdf5-dev and pkg-config with apt-get as root or with password-less sudo; otherwise
# prints what to install and exits with status 1. Used by kernels/install.sh and scripts/test.sh.
#
# usage: scripts/system-deps.sh [--vulkan]
#   --vulkan   also Mesa's lavapipe (a Vulkan device on the CPU: mesa-vulkan-drivers, libvulkan1),
#              which the wgpu parity test runs on (tests/wgpu.rs, in scripts/test.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say() { printf '[system-deps] %s\n' "$*"; }
packages=(libhdf5-dev pkg-config)
vulkan=0
case ${1:-} in
--vulkan) vulkan=1 ;;
'') ;;
*) echo "system-deps.sh: unknown argument '$1' (usage: system-deps.sh [--vulkan])" >&2 && exit 2 ;;
esac

have_hdf5() { command -v pkg-config >/dev/null && pkg-config --exists hdf5; }
have_lavapipe() {
    pdd_lavapipe_icd >/dev/null &&
        ldconfig -p 2>/dev/null | grep 'libvulkan.so.1' >/dev/null
}
if have_hdf5 && { ((vulkan == 0)) || have_lavapipe; }; then
    say "HDF5 $(pkg-config --modversion hdf5) and pkg-config: present"
    ((vulkan == 0)) || say "lavapipe (Vulkan on the CPU): present"
    exit 0
fi
((vulkan == 0)) || packages+=(mesa-vulkan-drivers libvulkan1)
if ! command -v apt-get >/dev/null; then
    say "missing HDF5 development files or pkg-config; install them, then rerun:"
    echo "  Debian/Ubuntu: apt-get install libhdf5-dev pkg-config"
    echo "  Fedora:        dnf install hdf5-devel pkgconf-pkg-config"
    echo "  macOS:         brew install hdf5 pkg-config"
    exit 1
fi
sudo=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        say "missing system packages; run this, then rerun:"
        echo "  sudo apt-get install -y ${packages[*]}"
        exit 1
    fi
fi
say "installing ${packages[*]} (apt-get)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
say "HDF5 $(pkg-config --modversion hdf5) and pkg-config: installed"
((vulkan == 0)) || { have_lavapipe && say "lavapipe: installed"; }
