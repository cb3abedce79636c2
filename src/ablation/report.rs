//! The result of one ablation study: a table (Markdown and JSON), notes and figures.

use super::options::AblationKind;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One row of an ablation table: a run (or a setting of one run) and its measured values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AblationRow {
    /// What is measured, e.g. `window 5` or `noisy, λ = 0.2`.
    pub label: String,
    /// The run's directory relative to the study directory (`run`, `variants/window-1`).
    pub run: String,
    /// One value per column of [`AblationReport::columns`] (`NaN` = not measured, `null` in
    /// JSON).
    pub values: Vec<f64>,
}

/// What one study measured (see [`Ablation::run`](super::Ablation::run)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AblationReport {
    /// The study.
    pub study: AblationKind,
    /// The preset the variants derive from.
    pub preset: String,
    /// Objective, training steps, test paths and sampler settings behind the numbers.
    pub settings: Vec<String>,
    /// Column headers of the table.
    pub columns: Vec<String>,
    /// The table.
    pub rows: Vec<AblationRow>,
    /// What the numbers say against the paper's trend (one sentence each).
    pub notes: Vec<String>,
    /// Figure files written, relative to the report's directory.
    pub figures: Vec<String>,
    /// Wall-clock seconds of the study (training included).
    pub seconds: f64,
}

impl AblationReport {
    /// An empty report of `study` on `preset` with `columns`.
    pub fn new(study: AblationKind, preset: &str, columns: &[&str]) -> Self {
        Self {
            study,
            preset: preset.to_string(),
            settings: vec![],
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: vec![],
            notes: vec![],
            figures: vec![],
            seconds: 0.0,
        }
    }

    /// Appends a row; `values` must have one entry per column.
    pub fn push(&mut self, label: impl Into<String>, run: &Path, values: Vec<f64>) {
        assert_eq!(values.len(), self.columns.len(), "one value per column");
        let run = run.to_string_lossy().into_owned();
        self.rows.push(AblationRow { label: label.into(), run, values });
    }

    /// The value of column `column` in the row labelled `label` (`None` if either is absent).
    pub fn value(&self, label: &str, column: &str) -> Option<f64> {
        let c = self.columns.iter().position(|h| h == column)?;
        self.rows.iter().find(|r| r.label == label).map(|r| r.values[c])
    }

    /// The report as Markdown: title, settings, table, notes, figure links.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# Ablation `{}` ({} of the paper) on `{}`\n\n",
            self.study.name(),
            self.study.figures(),
            self.preset
        );
        for line in &self.settings {
            s.push_str(&format!("- {line}\n"));
        }
        s.push_str(&format!("\n| | run | {} |\n|---|---|", self.columns.join(" | ")));
        s.push_str(&"---|".repeat(self.columns.len()));
        s.push('\n');
        for r in &self.rows {
            let cells: Vec<String> = r.values.iter().map(|v| cell(*v)).collect();
            s.push_str(&format!("| {} | `{}` | {} |\n", r.label, r.run, cells.join(" | ")));
        }
        s.push('\n');
        for n in &self.notes {
            s.push_str(&format!("{n}\n\n"));
        }
        for f in &self.figures {
            s.push_str(&format!("![{f}]({f})\n\n"));
        }
        s.push_str(&format!("Study time: {:.0} s.\n", self.seconds));
        s
    }

    /// Writes `dir/<study>.md` and `dir/<study>.json`; returns the Markdown path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let md = dir.join(format!("{}.md", self.study.name()));
        crate::io::write_atomic(&md, self.markdown().as_bytes(), true)?;
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        crate::io::write_atomic(&md.with_extension("json"), json.as_bytes(), true)?;
        Ok(md)
    }
}

/// A table cell: whole numbers as such (windows, λ = 0), else 3 decimals; `–` for NaN.
fn cell(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v.fract() == 0.0 && v.abs() < 1e4 {
        format!("{v:.0}")
    } else if v.abs() >= 1e4 {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
    }
}
