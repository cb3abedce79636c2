#!/usr/bin/env bash
# Times the first notebook cell (`:dep pdd`, `use pdd::prelude::*`) on the "Rust (pdd)" kernel
# with an empty build cache, once per feature choice: `default` (cli + png, what notebooks used
# before issue 14) and `nodef` (`default-features = false`, what they use now). Each run
# compiles pdd and all its dependencies from scratch: minutes on 2 cores. Run it on an idle
# machine after kernels/install.sh.
#
# usage: kernels/first-cell-time.sh [default] [nodef]     (both when none is named)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
variants=("$@")
((${#variants[@]})) || variants=(default nodef)
for v in "${variants[@]}"; do
    case $v in
        default) dep=":dep pdd = { path = \"$repo\" }" ;;
        nodef) dep=":dep pdd = { path = \"$repo\", default-features = false }" ;;
        *) echo "first-cell-time.sh: unknown variant $v (default|nodef)" >&2; exit 2 ;;
    esac
    DEP="$dep" python3 - "$work/first_$v.ipynb" <<'PY'
import json, os, sys
src = [os.environ["DEP"] + "\n", ":preserve_vars_on_panic 0\n", "use pdd::prelude::*;\n"]
cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
meta = {"kernelspec": {"display_name": "Rust (pdd)", "language": "rust", "name": "rust-pdd"}}
json.dump({"cells": [cell], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, open(sys.argv[1], "w"))
PY
    t0=$SECONDS
    PDD_EVCXR_CACHE="$work/cache-$v" PDD_EVCXR_SLOT=0 jupyter nbconvert --to notebook --execute \
        --ExecutePreprocessor.timeout=3600 --output "$work/out_$v.ipynb" "$work/first_$v.ipynb" \
        >"$work/log_$v.txt" 2>&1 || { cat "$work/log_$v.txt" >&2; exit 1; }
    echo "$v: first cell (kernel start + compile) $((SECONDS - t0)) s"
done
