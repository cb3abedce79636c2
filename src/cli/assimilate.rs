//! `pdd assimilate`: posterior trajectories of a run's test paths from sparse, noisy
//! observations (docs/assimilation.md).

use super::sample::{RunArgs, SamplerOverrides, bar_callback, evaluator, save, set_steps};
use crate::assimilate::{
    AssimilateConfig, ObsSpec, assimilate, fields_figure, series_figure, unobserved_point,
};
use clap::Args;
use std::path::PathBuf;

/// `pdd assimilate`.
#[derive(Debug, Args)]
pub struct AssimilateArgs {
    /// `--run`, `--samples` (test paths), `--out` (the posterior ensemble, `[P·M, C, F, *grid]`
    /// in physical units), …
    #[command(flatten)]
    common: RunArgs,
    /// The observations, e.g. `points=4,frames=4,sigma=0.1` (every 4th point or the 4 × 4
    /// sub-grid, every 4th frame, σ_y = 0.1 standard deviations); also `mask=FILE.h5`,
    /// `offset=O`, `coarse=Λ` (see docs/assimilation.md).
    #[arg(long)]
    obs: ObsSpec,
    /// Posterior members per test path.
    #[arg(long, default_value_t = 8, value_parser = super::positive)]
    members: usize,
    /// SDA's factor γ of the forward variance in the likelihood.
    #[arg(long, default_value_t = 1.0)]
    gamma: f64,
    /// Number of reverse λ steps (default: the run's `[sample] stride`).
    #[arg(long, value_parser = super::positive)]
    steps: Option<usize>,
    /// Directory for the figures (truth / observations / posterior, and a time series at an
    /// unobserved point); none if not given.
    #[arg(long)]
    figures: Option<PathBuf>,
    #[command(flatten)]
    sampler: SamplerOverrides,
}

/// Runs `pdd assimilate`.
pub fn run(a: AssimilateArgs) -> anyhow::Result<()> {
    let mut ev = evaluator(&a.common)?;
    a.sampler.apply(&mut ev.sampler);
    let start = ev.run.process.steps() - 1;
    set_steps(&mut ev, a.steps, start);
    let cfg = AssimilateConfig {
        obs: a.obs.clone(),
        members: a.members,
        gamma: a.gamma,
        seed: a.common.seed,
        ..AssimilateConfig::default()
    };
    let bar = crate::progress::terminal_bar();
    let r = assimilate(&ev, &cfg, &mut bar_callback(&bar))?;
    bar.finish_and_clear();
    println!(
        "assimilated {} test paths × {} members ({} observed values per path)",
        r.observations.paths(),
        a.members,
        crate::assimilate::ObservationOperator::count(r.observations.operator())
    );
    println!("{}", r.markdown());
    if let Some(dir) = &a.figures {
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
        let overwrite = a.common.overwrite;
        for c in 0..r.truth.shape()[1] {
            let fig = fields_figure(&r, 0, c)?;
            let p = dir.join(format!("assimilation-fields-c{c}.svg"));
            if overwrite {
                fig.save_overwrite(&p)?
            } else {
                fig.save(&p)?
            };
            if let Some(q) = unobserved_point(&r, c) {
                let p = dir.join(format!("assimilation-series-c{c}.svg"));
                let fig = series_figure(&r, 0, c, q)?;
                if overwrite {
                    fig.save_overwrite(&p)?
                } else {
                    fig.save(&p)?
                };
            }
        }
        println!("wrote figures to {}", dir.display());
    }
    let post = &r.estimates[0];
    save(
        &a.common,
        &ev,
        &post.paths,
        vec![
            ("task", "assimilate".into()),
            ("obs", format!("{:?}", a.obs)),
            ("members", a.members.to_string()),
            ("gamma", a.gamma.to_string()),
            ("stride", ev.sampler.stride.to_string()),
        ],
    )
}
