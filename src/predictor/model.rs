//! The `[model]` preset section and the standard PDD model (`SlidingWindow<UNet>`).

use super::window::SlidingWindow;
use crate::error::{Error, Result};
use crate::nn::{FnoConfig, Spatial, UNet, UNetConfig};
use crate::spectral::Grid;
use serde::{Deserialize, Serialize};

/// The standard predictor: the reference U-Net inside a causal sliding window.
pub type PddModel = SlidingWindow<UNet>;

fn is_unet(name: &str) -> bool {
    name == "unet"
}

/// The predictor's skip connection (`[model] skip`; docs/method.md, "The Gaussian skip").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skip {
    /// The network alone (the paper).
    #[default]
    None,
    /// The linear-Gaussian predictor plus the network, whose output layers start at zero: the
    /// untrained model *is* the linear-Gaussian predictor.
    Gaussian,
}

impl Skip {
    /// Whether there is no skip.
    pub fn is_none(&self) -> bool {
        *self == Skip::None
    }
}

/// The `[model]` section of a preset: the sliding window, the backbone, and the U-Net
/// hyper-parameters (docs/method.md, "Networks"). Channels, grid and the noise head follow
/// from the data and the objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// The backbone: `unet` (default), `fno`, or the name of a custom predictor
    /// ([`CustomPredictor`](super::CustomPredictor)).
    #[serde(skip_serializing_if = "is_unet")]
    pub backbone: String,
    /// Slices seen by the predictor (current + past); 5 in the paper.
    pub window: usize,
    /// Base channel width.
    pub dim: usize,
    /// Channel multipliers per level (U-Net).
    pub dim_mults: Vec<usize>,
    /// Levels with linear attention (U-Net).
    pub attention_levels: Vec<usize>,
    /// Kernel of the initial and resampling convolutions.
    pub init_kernel: usize,
    /// Attention heads.
    pub heads: usize,
    /// Features per head.
    pub dim_head: usize,
    /// Frequency base of the index embedding.
    pub time_base: f64,
    /// The Fourier Neural Operator's settings (`[model.fno]`, used when `backbone = "fno"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fno: Option<FnoSection>,
    /// A custom predictor's own settings, recorded by the run and checked on reopening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<toml::Table>,
    /// The skip connection: `none` (the paper, default) or `gaussian`.
    #[serde(skip_serializing_if = "Skip::is_none")]
    pub skip: Skip,
}

/// The `[model.fno]` section: a Fourier Neural Operator backbone (paper Appendix D.5, Fig. 17;
/// [`FnoConfig`]). Its width also sizes the λ embedding; `time_base` comes from `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FnoSection {
    /// Fourier modes kept per axis (`k_x < modes`, and `|k_y| ≤ modes` in 2-D).
    pub modes: usize,
    /// Channels of the Fourier layers (even, ≥ 4).
    pub width: usize,
    /// Fourier layers.
    pub layers: usize,
    /// Hidden channels of the projection heads.
    pub hidden: usize,
}

impl Default for FnoSection {
    /// [`FnoConfig`]'s defaults (one place for them).
    fn default() -> Self {
        let c = FnoConfig::new(Spatial::Line, 1, 1);
        Self { modes: c.modes, width: c.width, layers: c.layers, hidden: c.hidden }
    }
}

impl Default for ModelConfig {
    /// The paper's window of 5 and [`UNetConfig`]'s defaults (one place for them); no levels.
    fn default() -> Self {
        let u = UNetConfig::new(Spatial::Line, 1, 1, vec![], vec![]);
        Self {
            backbone: "unet".into(),
            window: 5,
            dim: u.dim,
            dim_mults: u.dim_mults,
            attention_levels: u.attention_levels,
            init_kernel: u.init_kernel,
            heads: u.heads,
            dim_head: u.dim_head,
            time_base: u.time_base,
            fno: None,
            settings: None,
            skip: Skip::None,
        }
    }
}

impl crate::validate::Ranges for ModelConfig {
    const SECTION: &'static str = "model";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        const FNO: &[Rule] = &[
            Rule::range("modes", 1.0, 4096.0),
            Rule::range("width", 4.0, 1e5),
            Rule::range("layers", 1.0, 1e3),
            Rule::range("hidden", 1.0, 1e6),
        ];
        &[
            Rule::range("window", 1.0, 1e4),
            Rule::range("dim", 4.0, 1e6),
            Rule::range("dim_mults[*]", 1.0, 1e3),
            Rule::range("attention_levels[*]", 0.0, 64.0),
            Rule::range("init_kernel", 1.0, 63.0),
            Rule::range("heads", 1.0, 1e3),
            Rule::range("dim_head", 1.0, 1e5),
            Rule::range("time_base", 1.0, 1e12).open_below(),
            Rule::nested("fno", FNO),
            Rule::any("settings"),
        ]
    };
}

impl ModelConfig {
    /// Checks every field's range ([`crate::validate`], docs/validation.md); the backbone's
    /// own checks (levels against the grid, memory) run when the network is configured.
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)
    }

    /// The FNO configuration for `channels` channels on `grid`, with a noise head if asked
    /// (`[model.fno]`, defaults if absent).
    pub fn fno(&self, channels: usize, grid: &Grid, noise_head: bool) -> Result<FnoConfig> {
        let spatial = self.spatial(grid)?;
        let f = self.fno.clone().unwrap_or_default();
        let cfg = FnoConfig::new(spatial, channels * self.window, channels)
            .with_modes(f.modes)
            .with_width(f.width)
            .with_layers(f.layers)
            .with_hidden(f.hidden)
            .with_time_base(self.time_base)
            .with_noise_head(noise_head);
        cfg.validate()?;
        cfg.check_grid(grid.dims())?;
        Ok(cfg)
    }

    fn spatial(&self, grid: &Grid) -> Result<Spatial> {
        self.validate()?;
        if self.window == 0 {
            return Err(Error::config("model.window", "must be ≥ 1"));
        }
        Spatial::of(grid)
    }

    /// The U-Net configuration for `channels` channels on `grid`, with a noise head if asked.
    pub fn unet(&self, channels: usize, grid: &Grid, noise_head: bool) -> Result<UNetConfig> {
        let spatial = self.spatial(grid)?;
        let cfg = UNetConfig::new(
            spatial,
            channels * self.window,
            channels,
            self.dim_mults.clone(),
            self.attention_levels.clone(),
        )
        .with_dim(self.dim)
        .with_init_kernel(self.init_kernel)
        .with_heads(self.heads)
        .with_dim_head(self.dim_head)
        .with_time_base(self.time_base)
        .with_noise_head(noise_head);
        cfg.validate()?;
        cfg.check_grid(grid.dims())?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_section_parses_with_defaults_and_checks_the_grid() {
        let cfg: ModelConfig =
            toml::from_str("dim_mults = [1, 2]\nattention_levels = [1]\n").unwrap();
        assert_eq!(cfg.window, 5);
        let u = cfg.unet(2, &Grid::line(128), false).unwrap();
        assert_eq!(u.in_channels, 10);
        assert!(cfg.unet(2, &Grid::line(127), false).is_err());
        let bad: std::result::Result<ModelConfig, _> =
            toml::from_str("dim_mults = [1]\nattention_levels = []\nwidth = 3\n");
        assert!(bad.is_err());
    }

    #[test]
    fn fno_section_builds_and_a_unet_config_records_no_backbone() {
        let cfg: ModelConfig = toml::from_str("backbone = \"fno\"\n[fno]\nmodes = 8\n").unwrap();
        let f = cfg.fno(2, &Grid::line(128), true).unwrap();
        assert_eq!((f.in_channels, f.out_channels, f.modes, f.width), (10, 2, 8, 32));
        assert!(cfg.fno(2, &Grid::line(8), false).is_err(), "8 modes need ≥ 14 points");
        // U-Net runs written before backbones existed keep their config and fingerprint
        let unet: ModelConfig = toml::from_str("dim_mults = [1]\nattention_levels = []\n").unwrap();
        assert_eq!(unet.backbone, "unet");
        assert!(!toml::to_string(&unet).unwrap().contains("backbone"));
    }

    #[test]
    fn every_field_has_a_range() {
        let mut cfg: ModelConfig =
            toml::from_str("dim_mults = [1, 2]\nattention_levels = [1]\n[fno]\n").unwrap();
        cfg.settings = Some(toml::from_str("x = 1.5").unwrap());
        assert!(
            crate::validate::uncovered(&cfg).is_empty(),
            "{:?}",
            crate::validate::uncovered(&cfg)
        );
        cfg.settings = Some(toml::from_str("x = nan").unwrap());
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("`model.settings.x`"), "{e}");
    }

    /// Issue #26 item 10: a network too large for memory is refused by its field before any
    /// weight is allocated (it was an allocation abort).
    #[test]
    fn a_network_too_large_for_memory_is_refused_by_name() {
        let cfg: ModelConfig =
            toml::from_str("dim = 100000\ndim_mults = [1, 2]\nattention_levels = [1]\n").unwrap();
        let e = cfg.unet(2, &Grid::line(128), false).unwrap_err().to_string();
        assert!(e.contains("`model.dim`") && e.contains("memory"), "{e}");
        let cfg: ModelConfig =
            toml::from_str("backbone = \"fno\"\n[fno]\nmodes = 8\nwidth = 90000\n").unwrap();
        let e = cfg.fno(2, &Grid::line(128), false).unwrap_err().to_string();
        assert!(e.contains("`model.fno.width`") && e.contains("memory"), "{e}");
    }
}
