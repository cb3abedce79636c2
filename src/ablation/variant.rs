//! A variant of a preset: the preset with a few named settings changed.

use crate::diffusion::DiffusionConfig;
use crate::error::{Error, Result};
use crate::presets::Preset;
use std::path::PathBuf;

/// A preset variant of an ablation: a name (its run directory `variants/<name>`) and the
/// settings it changes, as dotted paths (`model.window`) with their new values. A variant
/// without changes is the preset itself (its run is the preset's `run`).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Short name, e.g. `window-1` (a plain file name).
    pub name: String,
    /// The changed settings `(section.key, value)`, applied in order.
    pub changes: Vec<(String, toml::Value)>,
}

impl Variant {
    /// The preset itself (no change; trained into `DIR/run`).
    pub fn preset() -> Self {
        Self { name: "preset".into(), changes: vec![] }
    }

    /// The window study's variant with `model.window = window` (Figs. 11–12).
    pub fn window(window: usize) -> Self {
        Self::new(
            format!("window-{window}"),
            [("model.window", toml::Value::Integer(window as i64))],
        )
    }

    /// The Laplacian study's variant α = 0 with mass term `gamma` (Eq. 67, Figs. 13–14).
    pub fn no_laplacian(gamma: f64) -> Self {
        Self::new(
            format!("alpha-0-gamma-{gamma}"),
            [
                ("diffusion.laplacian_factor", toml::Value::Float(0.0)),
                ("diffusion.mass_factor", toml::Value::Float(gamma)),
            ],
        )
    }

    /// The coarse-graining study's variant without forward noise, `u_λ = C_λ u₀` (Eq. 68,
    /// Figs. 15–16).
    pub fn noise_free() -> Self {
        Self::new("noise-free", [("diffusion.forward_noise", toml::Value::Boolean(false))])
    }

    /// A variant called `name` changing `changes`.
    pub fn new<'a>(
        name: impl Into<String>,
        changes: impl IntoIterator<Item = (&'a str, toml::Value)>,
    ) -> Self {
        let changes = changes.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Self { name: name.into(), changes }
    }

    /// Whether this is the preset itself.
    pub fn is_preset(&self) -> bool {
        self.changes.is_empty()
    }

    /// Where its run lives under the study directory: `run` for the preset, else
    /// `variants/<name>`.
    pub fn run_name(&self) -> PathBuf {
        if self.is_preset() {
            PathBuf::from("run")
        } else {
            PathBuf::from("variants").join(&self.name)
        }
    }

    /// `base` with this variant's settings changed, validated: the `[diffusion]` section must
    /// still define a process (α = 0 needs γ > 0, Eq. 67) and `model.window` must be ≥ 1. The
    /// preset keeps its name, so variants share the preset's data file.
    pub fn derive(&self, base: &Preset) -> Result<Preset> {
        if self.name.is_empty() || self.name.contains(['/', '\\']) || self.name.starts_with('.') {
            return Err(Error::config(
                "ablation variant",
                format!("`{}` must be a plain name", self.name),
            ));
        }
        let mut p = base.clone();
        for (path, value) in &self.changes {
            p = p.with_value(path, value.clone())?;
        }
        DiffusionConfig::from_preset(&p).map_err(|e| {
            Error::config(format!("ablation variant `{}`", self.name), e.to_string())
        })?;
        let window =
            p.table().get("model").and_then(|m| m.get("window")).and_then(|w| w.as_integer());
        if window.is_some_and(|w| w < 1) {
            return Err(Error::config(
                "model.window",
                format!("variant `{}`: must be ≥ 1", self.name),
            ));
        }
        Ok(p)
    }
}
