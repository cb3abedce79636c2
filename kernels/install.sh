#!/usr/bin/env bash
# Installs, when missing, what the "Rust (pdd)" Jupyter kernel needs and registers the kernel:
#   * Debian packages libhdf5-dev and pkg-config (apt-get, only as root or with password-less
#     sudo; otherwise the script prints the command to run and stops);
#   * JupyterLab, nbconvert and nbclient (pip, for the user running the script);
#   * evcxr_jupyter (cargo install --locked), the Rust kernel for Jupyter;
#   * the kernel specification kernels/rust-pdd ("Rust (pdd)"), for the current user.
# Every step is skipped when its result is already there, so the script is cheap to rerun.
#
# usage: kernels/install.sh [--no-system]
#   --no-system   do not check or install the Debian packages
# Environment: PYTHON (default python3), EVCXR_VERSION (default 0.22.0).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../scripts/common.sh"
pdd_parse_flags "${BASH_SOURCE[0]}" "--no-system" "$@"
python=${PYTHON:-python3}
evcxr_version=${EVCXR_VERSION:-0.22.0}

say() { printf '[kernels/install.sh] %s\n' "$*"; }

pdd_cargo_on_path

# --- 1. the tools this script cannot install itself ---------------------------------------
missing=()
command -v cargo >/dev/null || missing+=("cargo (Rust >= 1.95: https://rustup.rs, then open a new shell)")
if ! command -v "$python" >/dev/null; then
    missing+=("$python (Python >= 3.9)")
elif ! "$python" -m pip --version >/dev/null 2>&1; then
    missing+=("pip for $python (Debian/Ubuntu: apt-get install python3-pip; or: $python -m ensurepip --user)")
fi
if ((${#missing[@]})); then
    say "cannot install the Rust (pdd) kernel; missing:"
    printf '  - %s\n' "${missing[@]}"
    exit 1
fi

# --- 2. system libraries: HDF5 (the hdf5 crate links libhdf5) and pkg-config ----------------
if [[ -z "${PDD_FLAGS[--no-system]:-}" ]]; then
    bash "$here/../scripts/system-deps.sh"
fi

# --- 3. JupyterLab + headless execution (nbconvert/nbclient) --------------------------------
if "$python" - <<'PY' 2>/dev/null
import jupyter_client, jupyterlab, nbclient, nbconvert, nbformat
assert int(jupyter_client.__version__.split(".")[0]) >= 7  # kernel.json uses {resource_dir}
PY
then
    say "JupyterLab, nbconvert, nbclient: present"
else
    say "installing JupyterLab, nbconvert, nbclient (pip)"
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        jupyterlab nbconvert nbclient nbformat "jupyter_client>=7"
fi

# --- 4. evcxr_jupyter -------------------------------------------------------------------------
if command -v evcxr_jupyter >/dev/null; then
    say "evcxr_jupyter: present ($(command -v evcxr_jupyter))"
else
    say "installing evcxr_jupyter $evcxr_version (cargo install --locked; ~6 min on 2 cores)"
    cargo install --locked --version "$evcxr_version" evcxr_jupyter
fi

# --- 5. register the kernel ---------------------------------------------------------------
if ! out=$("$python" -m jupyter kernelspec install --user --replace --name rust-pdd "$here/rust-pdd" 2>&1); then
    echo "$out" >&2
    exit 1
fi
say "registered kernel 'rust-pdd' (\"Rust (pdd)\") in $("$python" -m jupyter kernelspec list --json \
    | "$python" -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"]["rust-pdd"]["resource_dir"])')"
