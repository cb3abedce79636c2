# Helpers shared by pdd's shell scripts; source it, do not run it.

# Puts cargo's bin directory on PATH when it is missing there (shells started by a desktop, sudo).
pdd_cargo_on_path() {
    local bin="${CARGO_HOME:-$HOME/.cargo}/bin"
    case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$PATH:$bin" ;; esac
}

# pdd_parse_flags SCRIPT "FLAG..." ARGS...: accepts the boolean FLAGs (recorded in the associative
# array PDD_FLAGS) and -h/--help (prints SCRIPT's header comment, exits 0); anything else is an
# error (exit 2).
declare -A PDD_FLAGS=()
pdd_parse_flags() {
    local script=$1 allowed=" $2 " arg
    shift 2
    for arg in "$@"; do
        if [[ $arg == -h || $arg == --help ]]; then
            sed -n '2,/^[^#]/p' "$script" | sed '$d; s/^# \{0,1\}//'
            exit 0
        elif [[ $allowed == *" $arg "* ]]; then
            PDD_FLAGS[$arg]=1
        else
            echo "$(basename "$script"): unknown argument '$arg' (try --help)" >&2
            exit 2
        fi
    done
}

# pdd_lavapipe_icd: prints the Vulkan ICD file of Mesa's lavapipe (a Vulkan device on the CPU),
# nothing (and status 1) when it is not installed.
pdd_lavapipe_icd() {
    compgen -G '/usr/share/vulkan/icd.d/lvp_icd*.json' | head -n 1 | grep .
}

# pdd_gpu_target: prints the target folder of the builds with GPU features (wgpu, cuda):
# $PDD_GPU_TARGET_DIR, default $CARGO_TARGET_DIR/gpu (target/gpu), so that target/release/pdd
# stays the default CPU build. The wgpu and cuda builds share it (cubecl's crates compile once).
# A new one is seeded with a copy of target/release: dependencies whose features do not change
# are not compiled again.
pdd_gpu_target() {
    local base=${CARGO_TARGET_DIR:-target} dir
    dir=${PDD_GPU_TARGET_DIR:-$base/gpu}
    if [[ ! -d $dir/release && -d $base/release/deps ]]; then
        mkdir -p "$dir"
        cp -a --reflink=auto "$base/release" "$dir/" >&2
    fi
    echo "$dir"
}
