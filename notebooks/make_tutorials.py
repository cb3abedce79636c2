#!/usr/bin/env python3
"""Writes the tutorial notebooks lorenz96.ipynb, kolmogorov_flow.ipynb, ablations.ipynb and
assimilation.ipynb (without outputs).

The two tutorials share their structure (one `Study` walked through stage by stage) and differ in
the system's text and preset, so they are generated from one template; edit here, rerun (`make_tutorials.py NAME` rewrites only that notebook), then
store outputs with `python3 notebooks/check.py --in-place notebooks/<name>.ipynb`.
"""
import json
import pathlib

PRELUDE = """// pdd prelude: this notebook lives in <repo>/notebooks, so ".." is the pdd checkout.
// The prelude re-exports burn (tensors, `#[derive(Module)]`, `#[derive(Config)]`) too.
:dep pdd = { path = "..", default-features = false }
// A panic fails the cell (and with it notebooks/check.py) instead of being papered over.
:preserve_vars_on_panic 0
use pdd::prelude::*;"""

SYSTEMS = {
    "lorenz96": dict(
        title="Two-scale Lorenz-96",
        preset="lorenz96-quick",
        intro=r"""The two-scale Lorenz-96 model couples $K = 32$ slow variables $X_k$ to $J = 4$ fast
variables $Y_{j,k}$ each (paper §4.1):
$$\dot X_k = -X_{k-1}(X_{k-2} - X_{k+1}) - X_k + F - \tfrac{hc}{b}\textstyle\sum_j Y_{j,k},\qquad
\dot Y_{j,k} = -cb\,Y_{j+1,k}(Y_{j+2,k} - Y_{j-1,k}) - c\,Y_{j,k} + \tfrac{hc}{b} X_k .$$
pdd stores a trajectory as 2 channels (X repeated over its J points, Y) × frames × 128 points.""",
        data_caption="a Hovmöller diagram (space × time) of X for one test trajectory",
        spatial="Line",
    ),
    "kolmogorov_flow": dict(
        title="2-D Kolmogorov flow",
        preset="kolmogorov-quick",
        intro=r"""Kolmogorov flow is the 2-D Navier–Stokes equation for the vorticity $\omega$ on $[0, 2\pi)^2$
with linear drag and a steady shear forcing (paper §4.2):
$$\partial_t \omega + \mathbf u\cdot\nabla\omega = \nu\nabla^2\omega - \mu\,\omega - k_f\cos(k_f y),$$
$\nu = 10^{-3}$, $\mu = 0.1$, $k_f = 4$, solved pseudo-spectrally in f64 and downsampled
spectrally to the training grid.""",
        data_caption="the vorticity of one test trajectory's first frame",
        spatial="Plane",
    ),
}


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(True)}


def code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.strip("\n").splitlines(True)}


def notebook(name, s):
    cells = [
        md(f"""# {s['title']} with Predictor-Driven Diffusion

This tutorial walks one system through the whole method of *Predictor-Driven Diffusion* (Yasuda &
Bischoff 2026): **data generation → forward (coarse-graining) diffusion → training of the predictor
→ simulation, generation and super-resolution → the paper's metrics and figures**, inline.

{s['intro']}

Every stage is one call on a `Study` (preset `{s['preset']}`), which writes its result to a
directory and skips or resumes it when the result is already there — the same code `pdd demo`
runs. The quick preset trains a small network for a few minutes on 2 CPU cores, so the numbers are
far from the paper's full-scale models: compare trends, not values. Set `PDD_NOTEBOOK_CI=1` for a
smoke-sized run (20 training steps, one test path), as CI does."""),
        code(PRELUDE),
        md("""## Set-up

The device is a GPU when pdd was built with the `wgpu` or `cuda` feature and one is present, the
CPU otherwise."""),
        code(f"""let ci = std::env::var("PDD_NOTEBOOK_CI").is_ok();
let device = DeviceChoice::Auto.device().expect("a compute device");
let options = StudyOptions {{
    train_steps: if ci {{ Some(20) }} else {{ None }},
    eval_samples: if ci {{ Some(1) }} else {{ None }},
    ..StudyOptions::default()
}};
let study = Study::new("{s['preset']}", "../target/notebooks/{name}", device.clone())
    .expect("the embedded preset")
    .with_options(options);
let progress = PrintProgress::new();
println!("device {{:?}}, output in {{}}", device, study.dir.display());"""),
        md("""## 1. Data

`Study::data` integrates the preset's trajectories (in parallel, one random stream per trajectory)
into an HDF5 file with train/valid/test splits and per-channel statistics."""),
        code("""let ds = study.data(&progress).expect("data generation");
{
    // a block: evcxr keeps only owned values between cells, not borrows like `meta`
    let meta = ds.metadata();
    println!("{} trajectories of {} frames (Δt = {}), grid {:?}, channels {:?}", ds.len(), meta.frames, meta.frame_dt, meta.grid.dims(), meta.channels);
    println!("training statistics: {:?}", meta.stats().expect("statistics"));
}"""),
        code(f"""// figure: {s['data_caption']}
study.data_figure().expect("data figure")"""),
        md(r"""## 2. The forward process

PDD coarse-grains each time slice in space with the renormalisation-group diffusion
$\partial_\lambda u = \alpha\nabla^2 u + \beta\eta$: at scale $\lambda$ the Fourier mode $k$ is damped by
$e^{-\alpha |k|^2 \lambda}$ and replaced by noise of variance $\hat Q_\lambda(k)$. Below, one test
trajectory at $\lambda = 0, 0.1, 0.2, 0.5, 1$ (standardised units) and its time-averaged PSD: the small
scales go first."""),
        code("""// figure: the λ ladder
study.ladder_figure(0).expect("ladder figure")"""),
        md(r"""## 3. Training the predictor

One U-Net $f_\theta^\lambda$ sees a causal window of past noised slices and the scale $\lambda$ and
predicts the increment to the next slice; the loss is the path action of the noised trajectory,
weighted by $1/\sigma_\lambda^2$ (paper §3, Eq. 38). The quick preset trains the score-augmented
variant SA-PDD: the same predictor plus a noise head (an ε-regression, paper §3.4), whose score
drives the reverse-λ sampler without autodiff; at 400 steps the autodiff path score of plain PDD
does not yet restore the small scales (`pdd train --objective pdd` trains it). Checkpoints are
atomic and the run resumes where it stopped."""),
        code("""let run = study.train(&progress).expect("training");
println!("checkpoint at step {}", run.step);
print!("{}", std::fs::read_to_string(study.run_dir().join("README.md")).expect("run summary"));"""),
        code("""// figure: training and validation loss
study.loss_figure().expect("loss figure")"""),
        md(r"""## 4. Simulation, generation and super-resolution

`Study::evaluate` runs the paper's three tasks on the test split and writes a Markdown report with
Tables 1–3 beside the paper's numbers, and the figures:

* **simulation** (Algorithm 2) at λ = 0 and at the λ of the sweep (Fig. 7), deterministic;
* **generation** from noise at λ ≈ 1 by the reverse-λ predictor–corrector sampler (Algorithm 3),
  driven by the path score (for PDD the gradient of the predictor's path action by autodiff, for
  SA-PDD the noise head's spectral score);
* **super-resolution** of the coarse-grained test paths at λ = 0.2 down to λ = 0, scored against
  their own fine truth.

With n paths the spectral error cannot fall below the *sampling floor* (what two disjoint sets of
n true paths score), which the report prints beside Tables 2 and 3. The reverse-λ steps follow the
preset's `[sample]` section: the reference's ETD1 step must keep $|\ell_k|\,\Delta\lambda$ small for the
finest mode, while pdd's Gaussian-split integrator (`integrator = "gaussian-split"`) integrates the
Gaussian part of the score exactly and takes steps of $\Delta\lambda = 0.05$ — 45 steps from λ = 1
instead of hundreds."""),
        code("""let results = study.evaluate(&progress).expect("evaluation");
println!("{}", results.markdown());"""),
        code("""// figure: simulation at λ = 0 against the physics
study.figure(EvalFigure::SimulationLambda0).expect("figure")"""),
        code("""// figure: simulation errors against λ (Fig. 7)
study.figure(EvalFigure::SpectralVsLambda).expect("figure")"""),
        code("""// figure: super-resolution from λ = 0.2
study.figure(EvalFigure::SuperResolution).expect("figure")"""),
        code("""// figure: spectra of super-resolved paths
study.figure(EvalFigure::SuperResolutionPsd).expect("figure")"""),
        code("""// figure: unconditional generation
study.figure(EvalFigure::Generation).expect("figure")"""),
        md("""## 5. Prototype your own predictor

Any burn `Module` that maps the stacked window `[N, C·w, Ny, Nx]` and the diffusion index `[N]`
to an increment `[N, C, Ny, Nx]` can be the backbone: implement `Backbone`, and give a
`CustomPredictor` a name and a constructor. The study hands the constructor a `PredictorShape`
(channels, window, spatial layout, grid, and whether the objective needs a noise head), and
`shape.wrap` adds the causal sliding window. Here: a purely linear predictor, one periodic
convolution over the window for the drift and one for the noise head — a baseline any network
should beat."""),
        code("""/// One periodic convolution over the window per head: a linear, λ-independent predictor.
#[derive(Module, Debug)]
pub struct LinearWindow {
    drift: PeriodicConv,
    noise: Option<PeriodicConv>,
}

impl Backbone for LinearWindow {
    fn forward(&self, x: Tensor<4>, _t: Tensor<1>) -> Heads {
        let noise = self.noise.as_ref().map(|n| n.forward(x.clone()));
        Heads { drift: self.drift.forward(x), noise }
    }
}

let linear = CustomPredictor::new("linear", |s: &PredictorShape, d: &Device| {
    let conv = || PeriodicConvConfig::new(s.in_channels(), s.channels)
        .with_spatial(s.spatial)
        .with_kernel_size(5)
        .init(d);
    s.wrap(LinearWindow { drift: conv(), noise: s.noise_head.then(conv) })
});
println!("{:?}", study.predictor_shape().expect("shape"));"""),
        md("""`Study::train_custom` trains it with the preset's objective, data and settings into
`DIR/linear` (resumed if it is there; reopening it with another constructor is refused), and
returns the same kind of `TrainedRun` as the U-Net, which `Study::evaluate_run` takes through the
paper's three tasks."""),
        code("""let custom_results = {
    let custom = study
        .train_custom("linear", &linear, if ci { 20 } else { 200 }, &progress)
        .expect("training the custom predictor");
    study.evaluate_run(custom, &progress).expect("evaluating the custom predictor")
};
println!("{}", EvalResults::side_by_side(&[("U-Net", &results), ("linear", &custom_results)]));"""),
        code("""// figure: the U-Net against the linear predictor (PDD action term of both losses)
study.loss_figure_of(&["run", "linear"]).expect("loss figure")"""),
        code("""// figure: super-resolution by the linear predictor
study.figure_of("linear", EvalFigure::SuperResolution).expect("figure")"""),
        md("""## 6. Your own sampling loop

`ReverseStep` is the sampler's single update, in the spirit of a diffusers scheduler's `step`:
`predict(x, t, next, noise)` takes one reverse-λ step from index `t` to `next` (paper Eq. 66),
`correct(x, t, noise)` one Langevin corrector (Eq. 65). A loop of your own can watch, steer or
stop the sampler at every λ. Here: super-resolution of one test path from λ = 0.2, printing the
state's RMS and its spectral error against the fine truth along the way."""),
        code("""// a block: evcxr keeps owned values between cells, and the stepper borrows `ev`
{
    let ev = study.evaluator().expect("evaluator");
    let x0 = ev.test.tensor(&[0], &ev.device);
    let start = ev.run.process.index_of(0.2).expect("λ index");
    let mut x = ev.device_process.coarse_grain(x0.clone(), &[start]).expect("coarse-graining");
    let mut step = ReverseStep::new(ev.score(), &ev.run.process, &ev.sampler, &ev.device).expect("sampler");
    let schedule = ev.sampler.stable_schedule(&ev.run.process, start);
    for (n, &(t, next)) in schedule.iter().enumerate() {
        let noise = |last: bool| if last { StepNoise::Off } else { StepNoise::Draw };
        x = step.predict(x, t, next, noise(n + 1 == schedule.len())).expect("predictor step");
        for _ in 0..ev.sampler.corrector_steps {
            x = step.correct(x, t, StepNoise::Draw).expect("corrector step");
        }
        if n % 5 == 0 || n + 1 == schedule.len() {
            let rms = x.clone().square().mean().into_scalar::<f32>().sqrt();
            let err = (x.clone() - x0.clone()).square().mean().into_scalar::<f32>().sqrt();
            println!("λ = {:.3}: RMS {rms:.3}, RMS difference to the fine truth {err:.3}", ev.run.process.lambda(next));
        }
    }
}"""),
        md("""## Next

* `pdd eval --run ../target/notebooks/<name>/run --report R.md --baseline DDPM_RUN` adds the DDPM
  baselines (`pdd train --model ddpm-sim|ddpm-gen`) to the tables.
* `[model] backbone = "fno"` trains the built-in Fourier Neural Operator instead of the U-Net
  (paper Appendix D.5).
* The `paper` presets reproduce the reference exactly (30 001 steps; a GPU job)."""),
    ]
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Rust (pdd)", "language": "rust", "name": "rust-pdd"},
            "language_info": {"codemirror_mode": "rust", "file_extension": ".rs", "mimetype": "text/rust", "name": "Rust", "pygment_lexer": "rust", "version": ""},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"{name}-{i:02d}"
    return nb


def ablation_cells(kind, title, paper, expect):
    """The markdown, run and figure cells of one ablation study."""
    var = kind.replace("-", "_")
    enum = "".join(w.capitalize() for w in kind.split("-"))
    return [
        md(f"""## {title}

**The paper ({paper}).** {expect}"""),
        code(f"""let {var} = ablation.run(AblationKind::{enum}, &progress).expect("the {kind} study");
print!("{{}}", {var}.markdown());"""),
        code(f"""// figure: {kind} study ({paper})
Figure::open(ablation.out_dir().join(&{var}.figures[0])).expect("figure")"""),
    ]


def ablations_notebook():
    name = "ablations"
    cells = [
        md("""# The paper's ablations: why Predictor-Driven Diffusion works

The appendix of *Predictor-Driven Diffusion* (Yasuda & Bischoff 2026) takes the method apart
(Figs. 10–16). pdd runs each ablation as one call, `Ablation::run`, on the two-scale Lorenz-96
system (preset `lorenz96-quick`):

| study | paper | what changes (only these settings) |
|---|---|---|
| `noise` | Fig. 10 | nothing: the preset's run simulated with its transition noise σ_λ > 0 |
| `window` | Figs. 11–12 | `model.window` = 1, 5, 15 |
| `laplacian` | Figs. 13–14 | `diffusion.laplacian_factor = 0` with `diffusion.mass_factor = γ > 0` (Eq. 67) |
| `coarse-graining` | Figs. 15–16 | `diffusion.forward_noise = false`: `u_λ = C_λ u₀` (Eq. 68) |

Every variant is trained beside the preset's run (`DIR/variants/<name>`, resumed or reused when
already there, shared between studies) and evaluated by the same `Evaluator` as `pdd eval`. Each
study writes `DIR/ablations/<study>.md`, `.json` and its figures; `pdd ablate` does the same from
the command line. The variants here are trained for fewer steps and evaluated on fewer test paths
than the quick preset (see the set-up cell), so the numbers are noisier than the ones in
docs/ablations.md: compare trends, and read every number with the sampling floor of its path
count in mind. Set `PDD_NOTEBOOK_CI=1` for a smoke-sized run, as CI does."""),
        code(PRELUDE),
        md("""## Set-up

One `Study` of the preset sizes every variant: training steps, test paths and reverse-λ steps
apply to all of them."""),
        code("""use pdd::ablation::{Ablation, AblationKind, AblationOptions};
let ci = std::env::var("PDD_NOTEBOOK_CI").is_ok();
let device = DeviceChoice::Auto.device().expect("a compute device");
// 100 training steps per run, 8 test paths (CI: 10 steps, one path, no generation)
let options = pdd::ablation::tutorial_size(ci);
let study = Study::new("lorenz96-quick", "../target/notebooks/ablations", device.clone())
    .expect("the embedded preset")
    .with_options(options);
let ablation = Ablation::new(study, AblationOptions::default()).expect("ablation settings");
let progress = PrintProgress::new();
println!("device {:?}, output in {}", device, ablation.study.dir.display());"""),
        *ablation_cells(
            "noise", "1. Simulation with noise", "Fig. 10",
            """Algorithm 2 is evaluated deterministically (σ_λ = 0), but the predictor was
trained as the drift of a stochastic path density with transition noise σ_λ (Eq. 6, 58). Fig. 10
simulates with that noise at λ = 0.2 and 0.4: the paths look like the coarse-grained physics,
noise included. Here the same run is simulated both ways and scored against the noise-free
`C_λ u₀` and against the noised data `u_λ = C_λ u₀ + √Σ_λ ε` (what the path density models); the
figure shows physics, noised physics, deterministic and noisy paths side by side. No training is
needed beyond the preset's run."""),
        *ablation_cells(
            "window", "2. The history window", "Figs. 11–12",
            """A window of one slice simulates well at λ = 0 but fails at λ = 0.2 (Fig. 11);
from 5 to 15 slices the λ = 0.2 spectral error falls from ≈ 0.6 to ≈ 0.3 (Fig. 12). Coarse-graining
removes the fast variables, and their effect on the slow ones becomes a memory term
(Mori–Zwanzig): a longer window supplies it. The windows are scored on the same frames (after the
longest window), and the figure plots the spectral error against λ per window."""),
        *ablation_cells(
            "laplacian", "3. The Laplacian term", "Figs. 13–14",
            """Eq. 67, ∂_λ u = (α∇² − γ)u + βη, with α = 0 and a mass term γ > 0 damps every Fourier
mode by the same factor e^(−γλ): the λ-ladder then has no spatial hierarchy — the fields fade
into noise without losing their small scales first (Fig. 13), unlike α = 0.1 (Fig. 14). The table's
spread is how many decades of damped power separate the most and least damped modes; the figures
are the two ladders (the second is the α = 0 variant's)."""),
        code("""// figure: the λ ladder without the Laplacian term (α = 0, Eq. 67)
Figure::open(ablation.out_dir().join(&laplacian.figures[1])).expect("figure")"""),
        *ablation_cells(
            "coarse-graining", "4. Coarse-graining without noise", "Figs. 15–16",
            """With u_λ = C_λ u₀ (Eq. 68) the forward process is deterministic. Simulation near
λ = 0 still works (Fig. 15), but the reverse process has nothing to sample from: generation fails,
and super-resolution fails even from λ = 0.025 (Fig. 16) — the learned score is zero, so the
sampler only undoes the damping, which amplifies the small scales. The table's SR / LR is the
super-resolved spectral error over the low-resolution input's: ≥ 1 means the sampler made the input
worse. The figure is the power spectrum of the super-resolved paths with and without forward noise."""),
        md("""## Next

* `pdd ablate --preset lorenz96-quick --study all --out DIR` runs the same studies at the
  preset's size (400 steps, 16 test paths); docs/ablations.md lists the numbers it measured.
* `Variant::new(name, [("diffusion.laplacian_factor", ...)])` and `Ablation::train` train a
  variant of your own beside these (for example another coarse-graining setting)."""),
    ]
    nb = notebook("lorenz96", SYSTEMS["lorenz96"])
    nb["cells"] = cells
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"{name}-{i:02d}"
    return nb


def assimilation_notebook():
    """Data assimilation on lorenz96-quick (issue #28): observations, the guided posterior, the baselines."""
    cells = []
    cells.append(md(r"""
    # Data assimilation with the predictor of PDD

    Simulation conditions a trajectory on its past, super-resolution on its coarse scales, generation
    on nothing. **Data assimilation** conditions it on sparse, noisy observations
    $y = H u_0 + \sigma_y\varepsilon$. pdd guides the same reverse-λ sampler, with the same trained
    predictor and no retraining, by adding the observation likelihood's score to the path score
    (score-based data assimilation, SDA: Rozet & Louppe 2023; docs/assimilation.md):
    $$\nabla \ln p_\lambda(x \mid y) = s_\theta(x, \lambda) + \nabla \ln p(y \mid x_\lambda).$$

    This notebook trains the `lorenz96-quick` predictor (SA-PDD, 400 steps, a few minutes on 2 CPU
    cores), observes every 4th grid point of X and Y on every 4th frame with noise 0.1 standard
    deviations, draws a posterior ensemble per test path, and scores it beside three baselines at the
    same observations:

    * the **linear-Gaussian posterior**: the same guided sampler driven by the per-mode Gaussian
      model of the data (what a network has to beat);
    * **interpolation** of the observations (periodic-linear in space, linear in time);
    * an **ensemble Kalman filter with the true Lorenz-96 physics** (a perfect model: the classic
      anchor of data assimilation).

    Set `PDD_NOTEBOOK_CI=1` for a smoke-sized run (20 training steps, one test path), as CI does.
    """))
    cells.append(code(PRELUDE + "\nuse pdd::assimilate::{AssimilateConfig, ObservationOperator, fields_figure, series_figure, unobserved_point};"))
    cells.append(md(r"""
    ## Set-up, data and the predictor

    The same `Study` stages as in `lorenz96.ipynb`, in a directory of their own: each stage skips or
    resumes what is already there.
    """))
    cells.append(code(r"""
    let ci = std::env::var("PDD_NOTEBOOK_CI").is_ok();
    let device = DeviceChoice::Auto.device().expect("a compute device");
    let options = StudyOptions {
        train_steps: if ci { Some(20) } else { None },
        eval_samples: if ci { Some(1) } else { Some(16) },
        ..StudyOptions::default()
    };
    let study = Study::new("lorenz96-quick", "../target/notebooks/assimilation", device.clone())
        .expect("the embedded preset")
        .with_options(options);
    let progress = PrintProgress::new();
    study.data(&progress).expect("data generation");
    let run = study.train(&progress).expect("training");
    println!("device {:?}, predictor trained to step {}, output in {}", device, run.step, study.dir.display());
    """))
    cells.append(md(r"""
    ## Observations and the posterior

    `AssimilateConfig::obs` takes the same spec as `pdd assimilate --obs`: `points=4` observes every
    4th grid point (of both channels), `frames=4` every 4th frame, `sigma=0.1` is σ_y in standard
    deviations of the data. Other kinds: `mask=FILE.h5`, `offset=O`, and `coarse=Λ` (observe the
    coarse-grained field $C_\Lambda u$ densely: super-resolution as a limit of assimilation).

    `Study::assimilate` observes the test paths (noise seeded per path), samples `members` posterior
    paths per test path, runs the baselines and scores everything: the RMSE of the ensemble mean at
    unobserved and at observed points (standardised units), the spread/skill ratio (1 for a
    calibrated ensemble), CRPS and the relative spectral error of the paper (Eq. 64); the metrics are
    defined in `shared/spec/metrics.md`.
    """))
    cells.append(code(r"""
    let cfg = AssimilateConfig {
        obs: "points=4,frames=4,sigma=0.1".parse().expect("an observation spec"),
        members: if ci { 4 } else { 8 },
        enkf_members: if ci { 8 } else { 32 },
        ..AssimilateConfig::default()
    };
    let posterior = study.assimilate(&cfg, &mut |_| {}).expect("assimilation");
    println!("{} test paths, {} observed values per path", posterior.truth.shape()[0], posterior.observations.operator().count());
    println!("{}", posterior.markdown());
    """))
    cells.append(md(r"""
    ## Figures

    The posterior of the first test path, channel X: the truth, what was observed (zero elsewhere),
    the ensemble mean and the ensemble spread (space × time). The spread should be small at observed
    points and grow between them.
    """))
    cells.append(code(r"""
    // figure: truth, observations, posterior mean and spread (X)
    fields_figure(&posterior, 0, 0).expect("fields figure")
    """))
    cells.append(code(r"""
    // figure: the same for the fast variables Y
    fields_figure(&posterior, 0, 1).expect("fields figure")
    """))
    cells.append(md(r"""
    A time series at a grid point that is never observed: the truth, the ensemble mean with its
    ±2 sd band, and the interpolation of the neighbouring observations. A calibrated ensemble's band
    holds the truth about 95 % of the time.
    """))
    cells.append(code(r"""
    // figure: a time series of X at an unobserved point with the ensemble band
    let point = unobserved_point(&posterior, 0).expect("an unobserved point");
    series_figure(&posterior, 0, 0, point).expect("series figure")
    """))
    cells.append(md(r"""
    ## What to read off

    At the quick scale the README's table (section "Data assimilation") gives the measured numbers
    for 16 test paths and 8 members, with the command that produced them. Compare the rows, not the
    values: the question the table answers is whether the trained predictor adds anything beyond the
    linear-Gaussian posterior at unobserved points, and how far both are from a perfect-model
    Kalman filter. `pdd assimilate --run RUN --obs SPEC --samples N --members M --out FILE.h5
    --figures DIR` runs the same from the command line and writes the ensemble as HDF5.
    """))
    nb = notebook("lorenz96", SYSTEMS["lorenz96"])
    nb["cells"] = cells
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"assimilation-{i:02d}"
    return nb


if __name__ == "__main__":
    import sys

    # `make_tutorials.py [NAME ...]` writes only the named notebooks (default: all four), so the
    # stored outputs of the others are kept
    here = pathlib.Path(__file__).parent
    books = {name: (lambda name=name, s=s: notebook(name, s)) for name, s in SYSTEMS.items()}
    books["ablations"] = ablations_notebook
    books["assimilation"] = assimilation_notebook
    for name in sys.argv[1:] or list(books):
        (here / f"{name}.ipynb").write_text(json.dumps(books[name](), indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {here / (name + '.ipynb')}")
