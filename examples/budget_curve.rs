//! The training-budget curve of issue 23 (docs/results.md): every metric of `pdd eval` reports
//! of one run resumed to growing step counts, against the steps, beside the linear-Gaussian
//! baseline of the same reports (which needs no training, so it is flat).
//!
//! ```text
//! cargo run --release --example budget_curve -- [--log-y] OUT.svg TITLE REPORT.json [REPORT.json ...]
//! ```
//!
//! `--log-y`: a logarithmic error axis, for a run whose samples blow up (errors of 7 beside 0.8).

use pdd::eval::EvalResults;
use pdd::plot::{LineOptions, Series, line_plot};

/// `(steps, [sim L², sim spectral, generation, super-resolution], same for the baseline)`.
type Point = (f64, [f64; 4], [f64; 4]);

fn point(path: &str) -> Point {
    let r = EvalResults::read_json(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    let missing = |what: &str| -> f64 { panic!("{path}: no {what}") };
    let (sim, gene, sr) = (&r.simulation, &r.generation, &r.super_resolution);
    let net = [
        sim.as_ref().map_or_else(|| missing("simulation"), |s| s.l2.mean),
        sim.as_ref().map_or_else(|| missing("simulation"), |s| s.spectral),
        gene.as_ref().map_or_else(|| missing("generation"), |g| g.spectral.mean),
        sr.as_ref().map_or_else(|| missing("super-resolution"), |s| s.spectral.mean),
    ];
    let lg = r
        .baselines
        .iter()
        .find(|b| b.name == "linear-Gaussian")
        .unwrap_or_else(|| panic!("{path}: no linear-Gaussian baseline"));
    let base = [
        lg.sim_l2.map_or_else(|| missing("baseline simulation"), |m| m.mean),
        lg.sim_spectral.unwrap_or_else(|| missing("baseline simulation")),
        lg.gen_spectral.map_or_else(|| missing("baseline generation"), |m| m.mean),
        lg.sr_spectral.map_or_else(|| missing("baseline super-resolution"), |m| m.mean),
    ];
    (r.step as f64, net, base)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let log_y = args.first().is_some_and(|a| a == "--log-y");
    if log_y {
        args.remove(0);
    }
    assert!(
        args.len() >= 3,
        "usage: budget_curve [--log-y] OUT.svg TITLE REPORT.json [REPORT.json ...]"
    );
    let mut points: Vec<Point> = args[2..].iter().map(|p| point(p)).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let steps: Vec<f64> = points.iter().map(|p| p.0).collect();
    let names = ["simulation L² (step 6)", "simulation spectral", "generation", "super-resolution"];
    let mut series = Vec::new();
    for (m, name) in names.iter().enumerate() {
        series.push(Series::new(*name, steps.clone(), points.iter().map(|p| p.1[m]).collect()));
    }
    for (m, name) in names.iter().enumerate() {
        let y = points.iter().map(|p| p.2[m]).collect();
        series.push(Series::new(format!("linear-Gaussian {name}"), steps.clone(), y));
    }
    let options = LineOptions {
        title: args[1].clone(),
        x_label: "training steps".into(),
        y_label: "error (relative L² or spectral)".into(),
        log_x: true,
        log_y,
        markers: true,
        size: (760, 480),
    };
    let figure = line_plot(&series, &options).expect("figure");
    figure.save_overwrite(&args[0]).expect("writing the figure");
    println!("wrote {}", args[0]);
}
