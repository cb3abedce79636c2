//! The training-budget curve of issue 23 (docs/results.md): every metric of `pdd eval` reports
//! of one run resumed to growing step counts, against the steps, beside the linear-Gaussian
//! baseline of the same reports (which needs no training, so it is flat).
//!
//! ```text
//! cargo run --release --example budget_curve -- OUT.svg TITLE REPORT.json [REPORT.json ...]
//! ```

use pdd::plot::{LineOptions, Series, line_plot};
use serde_json::Value;

/// `(steps, [sim L², sim spectral, generation, super-resolution], same for the baseline)`.
type Point = (f64, [f64; 4], [f64; 4]);

fn number(v: &Value, path: &[&str]) -> f64 {
    let x = path.iter().fold(v, |v, k| &v[*k]);
    x.as_f64().unwrap_or_else(|| panic!("report has no number at {path:?}"))
}

fn point(path: &str) -> Point {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let r: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let net = [
        number(&r, &["simulation", "l2", "mean"]),
        number(&r, &["simulation", "spectral"]),
        number(&r, &["generation", "spectral", "mean"]),
        number(&r, &["super_resolution", "spectral", "mean"]),
    ];
    let lg = r["baselines"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == "linear-Gaussian"))
        .unwrap_or_else(|| panic!("{path}: no linear-Gaussian baseline"));
    let base = [
        number(lg, &["sim_l2", "mean"]),
        number(lg, &["sim_spectral"]),
        number(lg, &["gen_spectral", "mean"]),
        number(lg, &["sr_spectral", "mean"]),
    ];
    (number(&r, &["step"]), net, base)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(args.len() >= 3, "usage: budget_curve OUT.svg TITLE REPORT.json [REPORT.json ...]");
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
        markers: true,
        size: (760, 480),
        ..LineOptions::default()
    };
    let figure = line_plot(&series, &options).expect("figure");
    figure.save_overwrite(&args[0]).expect("writing the figure");
    println!("wrote {}", args[0]);
}
