//! The Markdown report of an evaluation: one function per table, each beside the paper's
//! numbers ([`PaperNumbers`]).

use super::figure_kind::EvalFigure;
use super::paper::PaperNumbers;
use super::report::{
    BaselineScores, BaselineTask, EvalResults, GenerationScores, SimulationScores,
    SuperResolutionScores,
};
use crate::metrics::SpectralFloor;
use crate::sample::SrSource;

/// A paper value for a table cell (`–` for a system the paper does not have).
fn cell(p: Option<PaperNumbers>, f: impl Fn(&PaperNumbers) -> crate::metrics::MeanStd) -> String {
    p.map_or("–".into(), |p| format!("{:.3}", f(&p)))
}

const NOT_RUN: &str = "Not run in this evaluation.\n\n";

/// The row label of the pointwise W₁ (per channel, in units of the truth's std).
const W1_LABEL: &str = "pointwise W₁ / std per channel (floor)";

fn w1_cell(w: &Option<crate::metrics::Wasserstein>) -> String {
    w.as_ref().map_or("–".into(), |w| w.to_string())
}

impl EvalResults {
    /// The Markdown report: Tables 1–3 beside the paper's, the λ sweep, timings, figure links.
    pub fn markdown(&self) -> String {
        let p = PaperNumbers::of(&self.system);
        let mut s = self.title();
        s += &self.table1(self.simulation.as_ref(), p);
        s += &self.table2(self.generation.as_ref(), p);
        s += &self.table3(self.super_resolution.as_ref(), p);
        if let Some(sim) = &self.simulation {
            s += &self.sweep_table(sim);
        }
        s += &self.failures();
        s += "\n## Time\n\n";
        for (k, v) in &self.seconds {
            s += &format!("- {k}: {v:.1} s\n");
        }
        s += "\n## Figures\n\n";
        for f in self.figures().into_iter().map(EvalFigure::file_name) {
            s += &format!("![{f}](figures/{f})\n");
        }
        s
    }

    /// The figures this evaluation wrote: those of the tasks it ran (a skipped task's figures
    /// are neither written nor linked).
    pub fn figures(&self) -> Vec<EvalFigure> {
        EvalFigure::ALL
            .into_iter()
            .filter(|f| match f {
                EvalFigure::Generation | EvalFigure::GenerationPsd => self.generation.is_some(),
                EvalFigure::SuperResolution | EvalFigure::SuperResolutionPsd => {
                    self.super_resolution.is_some()
                }
                _ => self.simulation.is_some(),
            })
            .collect()
    }

    /// Tables 1–3 of several evaluations side by side, one column per `(name, results)`: a
    /// Markdown table comparing predictors on the same data (e.g. the U-Net against your own).
    /// A task an evaluation did not run reads `–`.
    pub fn side_by_side(rows: &[(&str, &EvalResults)]) -> String {
        let mut s = String::from("| metric |");
        for (name, _) in rows {
            s += &format!(" {name} |");
        }
        s += &format!("\n|---|{}\n", "---|".repeat(rows.len()));
        let line = |label: String, cell: &dyn Fn(&EvalResults) -> Option<String>| {
            let cells: String = rows
                .iter()
                .map(|(_, r)| format!(" {} |", cell(r).unwrap_or_else(|| "–".into())))
                .collect();
            format!("| {label} |{cells}\n")
        };
        let l2_step = rows.first().map_or(0, |(_, r)| r.l2_step);
        let sim = |r: &EvalResults| r.simulation.clone();
        s += &line(format!("simulation, relative L² at step {l2_step}"), &|r| {
            sim(r).map(|m| format!("{:.3}", m.l2))
        });
        s += &line("simulation, relative spectral error".into(), &|r| {
            sim(r).map(|m| format!("{:.3}", m.spectral))
        });
        s += &line("generation, relative spectral error".into(), &|r| {
            r.generation.as_ref().map(|g| format!("{:.3}", g.spectral))
        });
        s += &line("super-resolution, spectral error (input)".into(), &|r| {
            let sr = r.super_resolution.as_ref()?;
            Some(format!("{:.3} ({:.3})", sr.spectral.mean, sr.input_spectral.mean))
        });
        s += &line("objective, checkpoint step".into(), &|r| {
            Some(format!("{}, {}", r.objective.label(), r.step))
        });
        s
    }

    fn ours(&self) -> String {
        format!("{} (ours)", self.objective.label())
    }

    fn title(&self) -> String {
        format!(
            "# pdd evaluation: {} ({})\n\nRun `{}` (data `{}`), preset `{}`, {} objective, checkpoint \
             step {}; {} paths of the {} split, {} seed(s). The paper's numbers use the full-scale \
             models (30 001 steps, 100 test samples); a quick preset is far smaller, so compare \
             trends rather than values.\n\n",
            self.system,
            self.preset,
            self.run,
            self.data,
            self.preset,
            self.objective.label(),
            self.step,
            self.samples,
            self.split.name(),
            self.seeds
        )
    }

    /// The header row of a table with one column per baseline before the paper's DDPM.
    fn header_with_baselines(&self, first: &str, columns: usize) -> String {
        let mut s = first.to_string();
        for b in &self.baselines {
            s += &format!(" {} (ours) |", b.name);
        }
        s += " paper DDPM |\n|";
        s += &"---|".repeat(columns + self.baselines.len() + 1);
        s + "\n"
    }

    fn table1(&self, sim: Option<&SimulationScores>, p: Option<PaperNumbers>) -> String {
        let mut s = String::from("## Table 1 — simulation at λ = 0\n\n");
        let Some(sim) = sim else { return s + NOT_RUN };
        let head = format!("| metric | {} | paper PDD | persistence |", self.ours());
        s += &self.header_with_baselines(&head, 4);
        s += &format!(
            "| relative L² (step {}) | {:.3} | {} | {:.3} |",
            self.l2_step,
            sim.l2,
            cell(p, |p| p.sim_l2),
            sim.persistence_l2
        );
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.sim_l2, BaselineTask::Simulation));
        }
        s += &format!(" {} |\n", cell(p, |p| p.ddpm_sim_l2));
        s += &format!(
            "| relative spectral error | {:.3} | {} | {:.3} |",
            sim.spectral,
            cell(p, |p| p.sim_spectral),
            sim.persistence_spectral
        );
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.sim_spectral, BaselineTask::Simulation));
        }
        s += &format!(" {} |\n", cell(p, |p| p.ddpm_sim_spectral));
        s += &format!("| {W1_LABEL} | {} | – | – |", w1_cell(&sim.w1));
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.w1.simulation, BaselineTask::Simulation));
        }
        s + " – |\n\n"
    }

    fn table2(&self, generation: Option<&GenerationScores>, p: Option<PaperNumbers>) -> String {
        let mut s =
            String::from("## Table 2 — unconditional generation, relative spectral error\n\n");
        let Some(g) = generation else { return s + NOT_RUN };
        s += &self.header_with_baselines(&format!("| metric | {} | paper PDD |", self.ours()), 3);
        s += &format!(
            "| relative spectral error | {:.3} | {} |",
            g.spectral,
            cell(p, |p| p.generation)
        );
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.gen_spectral, BaselineTask::Generation));
        }
        s += &format!(" {} |\n", cell(p, |p| p.ddpm_generation));
        s += &format!("| {W1_LABEL} | {} | – |", w1_cell(&g.w1));
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.w1.generation, BaselineTask::Generation));
        }
        s += " – |\n\n";
        s + &floor_note(g.samples, &g.floor, "generated")
    }

    fn table3(&self, sr: Option<&SuperResolutionScores>, p: Option<PaperNumbers>) -> String {
        let mut s = String::from(
            "## Table 3 — super-resolution λ = 0.2 → 0, relative spectral error vs the fine \
             reference\n\n",
        );
        let Some(sr) = sr else { return s + NOT_RUN };
        let bs: Vec<_> = self.baselines.iter().filter(|b| b.sr_spectral.is_some()).collect();
        s += &format!("Coarse input: {}.\n\n| | ours | paper |", describe(sr.source));
        bs.iter().for_each(|b| s += &format!(" {} |", b.name));
        s += &format!("\n|---|---|---|{}\n", "---|".repeat(bs.len()));
        let row =
            |label: &str, ours: String, paper: String, f: &dyn Fn(&BaselineScores) -> String| {
                let cells: String = bs.iter().map(|b| format!(" {} |", f(b))).collect();
                format!("| {label} | {ours} | {paper} |{cells}\n")
            };
        let ratio = |b: &BaselineScores| match (&b.sr_spectral, &b.sr_input_spectral) {
            (Some(h), Some(l)) => format!("{:.3}", h.mean / l.mean),
            _ => "–".into(),
        };
        s += &row(
            "super-resolved",
            format!("{:.3}", sr.spectral),
            cell(p, |p| p.super_resolution),
            &|b| b.cell(&b.sr_spectral, BaselineTask::SuperResolution),
        );
        s += &row(
            "low-resolution input",
            format!("{:.3}", sr.input_spectral),
            cell(p, |p| p.low_resolution),
            &|b| b.cell(&b.sr_input_spectral, BaselineTask::SuperResolution),
        );
        let paper_ratio = p.map_or("–".into(), |p| format!("{:.3}", p.sr_ratio()));
        s += &row("ratio SR / LR", format!("{:.3}", sr.ratio()), paper_ratio, &ratio);
        s += &row(W1_LABEL, w1_cell(&sr.w1), "–".into(), &|b| {
            b.cell(&b.w1.super_resolution, BaselineTask::SuperResolution)
        });
        s + "\n" + &floor_note(self.samples, &sr.floor, "super-resolved")
    }

    fn sweep_table(&self, sim: &SimulationScores) -> String {
        let mut s = format!(
            "## Metrics vs λ (Fig. 7)\n\n| λ | relative L² (step {}) | relative spectral error |\n\
             |---|---|---|\n",
            self.l2_step
        );
        for (i, l) in sim.sweep_l2.lambdas.iter().enumerate() {
            let (l2, spectral) = (sim.sweep_l2.values[i], sim.sweep_spectral.values[i].mean);
            s += &format!("| {l} | {l2:.3} | {spectral:.3} |\n");
        }
        s
    }

    fn failures(&self) -> String {
        let failures: Vec<String> = self
            .baselines
            .iter()
            .flat_map(|b| b.failures.iter().map(move |f| format!("- {} {f}\n", b.name)))
            .collect();
        if failures.is_empty() {
            return String::new();
        }
        format!("\n## Baseline failures\n\n{}", failures.concat())
    }
}

fn describe(source: SrSource) -> &'static str {
    match source {
        SrSource::Surrogate => {
            "a noisy surrogate simulation at λ = 0.2 (the reference's choice; decorrelated from \
             the test paths)"
        }
        SrSource::CoarseTruth => {
            "the coarse-grained test paths C_λ u₀ (scored against their own fine truth)"
        }
        SrSource::NoisedTruth => "forward-process samples of the test paths C_λ u₀ + √Σ_λ ε",
    }
}

/// The sentence under Tables 2–3 that states the metric's sampling floor for `n` paths.
fn floor_note(n: usize, floor: &Option<SpectralFloor>, what: &str) -> String {
    match floor {
        Some(f) => format!(
            "Sampling floor: two disjoint sets of {} true test paths score **{:.3}** on this metric \
             ({} pair(s) averaged); with {n} {what} paths a perfect sampler would score about that \
             much (the floor falls like 1/√n: ≈ 0.1 at the paper's 100 paths).\n\n",
            f.paths, f.value, f.pairs
        ),
        None => String::new(),
    }
}
