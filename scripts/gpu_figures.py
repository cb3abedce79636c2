"""Helpers of scripts/gpu-run.sh (issue 27; docs/scaling.md), run with the lent machine's
plain python3 (standard library only; copied into the pack beside gpu-run.sh).

    python3 gpu_figures.py peer-config PRESET.toml BATCH STEPS
        the PyTorch peer's --bench JSON (benches/peers/unet.py) for a preset's U-Net and
        training shapes, read from `pdd presets NAME`'s TOML
    python3 gpu_figures.py figures WORK DEVICE OUT.json
        every figure of a gpu-run.sh run (the phases' status and seconds, the benches' JSON,
        pdd/PyTorch ratios, training steps/s and the extrapolated time of the paper's 30 001
        steps) as one JSON file
"""
import csv
import datetime
import json
import pathlib
import re
import sys
import tomllib

# UNetConfig's defaults (src/nn/unet.rs), which the presets leave out.
UNET_DEFAULTS = {"dim": 32, "heads": 8, "dim_head": 32}
PAPER_STEPS = 30001


def peer_config(toml_path, batch, steps):
    p = tomllib.loads(pathlib.Path(toml_path).read_text())
    data, model, train = p["data"], p.get("model", {}), p.get("train", {})
    system = data["system"]
    if system == "lorenz96":
        s = data["lorenz96"]
        nd, channels, space, frames = 1, 2, [s["k"] * s["j"]], s["frames"]
    elif system == "kolmogorov":
        s = data["kolmogorov"]
        nd, channels, space, frames = 2, 1, [s["output_grid"]] * 2, s["frames"]
    else:
        raise SystemExit(f"no peer shapes for system {system}")
    m = {**UNET_DEFAULTS, **model}
    return {
        "name": p.get("name", pathlib.Path(toml_path).stem),
        "nd": nd,
        "C": channels,
        "space": space,
        "mults": m["dim_mults"],
        "att": m["attention_levels"],
        "dim": m["dim"],
        "heads": m["heads"],
        "dh": m["dim_head"],
        "frames": train.get("crop_frames", frames),
        "batch": int(batch),
        "accum": train.get("grad_accum", 1),
        "steps": int(steps),
    }


def read_json(path):
    """A JSON file (pdd bench's, pretty-printed) or the last line of a log (the peer's)."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    for candidate in (text, text.splitlines()[-1] if text else ""):
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    return None


def training(work):
    """Steps/s of the training phase from its log.csv, without the first logged row (kernel
    compilation and autotuning happen in the first steps); the 'trained' line otherwise."""
    rows = []
    log = work / "run" / "log.csv"
    if log.exists():
        with log.open() as f:
            rows = [(int(r["step"]), float(r["seconds"])) for r in csv.DictReader(f)]
    out = {"logged_rows": len(rows)}
    if len(rows) >= 2:
        (s0, t0), (s1, t1) = rows[0], rows[-1]
        out.update(steps=s1, seconds=t1, steps_per_second=(s1 - s0) / (t1 - t0), measured_from_step=s0)
    elif rows:
        out.update(steps=rows[0][0], seconds=rows[0][1], steps_per_second=rows[0][0] / rows[0][1])
    if "steps_per_second" in out:
        out["paper_30001_steps_hours"] = PAPER_STEPS / out["steps_per_second"] / 3600
    return out


def figures(work, device, out_path):
    work = pathlib.Path(work)
    phases = []
    for line in (work / "phases.tsv").read_text().splitlines():
        name, status, seconds = line.split("\t")
        phases.append({"name": name, "status": status, "seconds": int(seconds)})
    train_step, sampler_step = {}, {}
    for f in sorted(work.glob("train-step-*.json")):
        preset = f.stem.removeprefix("train-step-")
        ours, theirs = read_json(f), read_json(work / f"torch-{preset}.json")
        row = {"pdd": ours, "torch": theirs}
        if ours and theirs and ours.get("seconds_per_step") and theirs.get("seconds_per_step"):
            # > 1: pdd is faster (the train_step bench's convention)
            row["pdd_over_torch_throughput"] = theirs["seconds_per_step"] / ours["seconds_per_step"]
        train_step[preset] = row
    for f in sorted(work.glob("sampler-step-*.json")):
        row = read_json(f) or {}
        # the path scores' cost as a multiple of one forward pass of the same network
        if row.get("forward") and row.get("pdd_score") is not None:
            row["pdd_score_over_forward"] = row["pdd_score"] / row["forward"]
        if row.get("sa_forward") and row.get("sa_score") is not None:
            row["sa_score_over_forward"] = row["sa_score"] / row["sa_forward"]
        sampler_step[f.stem.removeprefix("sampler-step-")] = row
    card = (work / "card").read_text().strip() if (work / "card").exists() else None
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "card": card,
        "phases": phases,
        "train_step": train_step,
        "sampler_step": sampler_step,
        "training": training(work),
        "super_resolution_seconds": next(
            (p["seconds"] for p in phases if p["name"].startswith("super-resolve") and p["status"] == "ok"),
            None,
        ),
    }
    trained = work / "train.log"
    if trained.exists():
        m = re.findall(r"^trained .*$", trained.read_text(), re.M)
        result["training"]["trained_line"] = m[-1] if m else None
    pathlib.Path(out_path).write_text(json.dumps(result, indent=1) + "\n")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "peer-config":
        print(json.dumps(peer_config(*sys.argv[2:])))
    elif len(sys.argv) == 5 and sys.argv[1] == "figures":
        figures(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
