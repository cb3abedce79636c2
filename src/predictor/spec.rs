//! How a predictor is built: the [`PredictorShape`] the data and objective fix, and
//! [`PredictorSpec`], the recipe a run records and reopens with — the built-in backbones
//! ([`Builtin`]) and your own ([`CustomPredictor`]) alike.
//!
//! A run directory records its spec as `[model] backbone = "NAME"` plus, for a custom predictor,
//! its settings (`[model.settings]`). Reopening a run checks both against the spec it is given,
//! so a checkpoint is never loaded into a network built by a different recipe.

use super::backbone::Backbone;
use super::linear_gaussian::LinearGaussian;
use super::model::ModelConfig;
use super::window::{Predictor, PredictorBuilder, SlidingWindow};
use crate::error::{Error, Result};
use crate::nn::{Fno, Spatial, UNet, zeroed};
use crate::spectral::Grid;
use burn::module::Module;
use burn::tensor::Device;
use serde::Serialize;
use std::marker::PhantomData;
use std::sync::Arc;

/// What the data and the objective fix for a predictor, handed to its constructor as one value.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictorShape {
    /// Channels `C` of one slice.
    pub channels: usize,
    /// Slices `w` the predictor sees (current and past).
    pub window: usize,
    /// 1-D or 2-D fields (kernel shapes of [`PeriodicConvConfig`](crate::nn::PeriodicConvConfig)).
    pub spatial: Spatial,
    /// The spatial grid (`[L]`, or `[Ny, Nx]`).
    pub grid: Grid,
    /// Whether the objective (SA-PDD) needs a noise head besides the drift.
    pub noise_head: bool,
    /// The Gaussian skip (`[model] skip = "gaussian"`), added by [`wrap`](Self::wrap). A
    /// backbone built for a shape with a skip should start with zero output layers
    /// ([`crate::nn::zeroed`]), so that the untrained predictor is the linear-Gaussian one; the
    /// built-in backbones do.
    pub skip: Option<Arc<LinearGaussian>>,
}

impl PredictorShape {
    /// The shape of `channels` channels on `grid`, window `window`.
    pub fn new(channels: usize, window: usize, grid: &Grid, noise_head: bool) -> Result<Self> {
        let spatial = Spatial::of(grid)?;
        Ok(Self { channels, window, spatial, grid: grid.clone(), noise_head, skip: None })
    }

    /// The same shape with the Gaussian skip `skip`.
    pub fn with_skip(mut self, skip: Option<Arc<LinearGaussian>>) -> Self {
        self.skip = skip;
        self
    }

    /// Input channels of a backbone: the window's slices stacked, `C·w`.
    pub fn in_channels(&self) -> usize {
        self.channels * self.window
    }

    /// Wraps `backbone` (`[N, C·w, Ny, Nx] → [N, C, Ny, Nx]`) in the causal sliding window.
    pub fn wrap<B: Backbone>(&self, backbone: B) -> Result<SlidingWindow<B>> {
        PredictorBuilder::new()
            .window(self.window)
            .channels(self.channels)
            .skip(self.skip.clone())
            .build(backbone)
    }
}

/// A recipe for a predictor: the name and settings a run records, and the constructor.
pub trait PredictorSpec {
    /// The predictor it builds.
    type Model: Predictor + Module + 'static;
    /// The backbone's name, recorded as `[model] backbone` (`unet`, `fno`, or your own).
    fn backbone(&self) -> String;
    /// Settings recorded as `[model.settings]` and checked on reopening (custom specs).
    fn settings(&self) -> Option<toml::Table> {
        None
    }
    /// A freshly initialised predictor of `shape` on `device`.
    fn init(&self, shape: &PredictorShape, device: &Device) -> Result<Self::Model>;
}

/// A backbone pdd builds from the `[model]` section (`backbone = "unet" | "fno"`).
pub trait BuiltinBackbone: Backbone + burn::module::ModuleDisplay + Sized + 'static {
    /// Its `[model] backbone` name.
    const NAME: &'static str;
    /// Builds it from `model` for `shape`.
    fn build(model: &ModelConfig, shape: &PredictorShape, device: &Device) -> Result<Self>;
}

impl BuiltinBackbone for UNet {
    const NAME: &'static str = "unet";
    fn build(model: &ModelConfig, shape: &PredictorShape, device: &Device) -> Result<Self> {
        let mut net = model.unet(shape.channels, &shape.grid, shape.noise_head)?.init(device)?;
        if shape.skip.is_some() {
            net.drift_head = zeroed(net.drift_head);
            net.noise_head = net.noise_head.map(zeroed);
        }
        Ok(net)
    }
}

impl BuiltinBackbone for Fno {
    const NAME: &'static str = "fno";
    fn build(model: &ModelConfig, shape: &PredictorShape, device: &Device) -> Result<Self> {
        let mut net = model.fno(shape.channels, &shape.grid, shape.noise_head)?.init(device)?;
        if shape.skip.is_some() {
            net.drift_head.fc2 = zeroed(net.drift_head.fc2);
            net.noise_head = net.noise_head.map(|mut h| {
                h.fc2 = zeroed(h.fc2);
                h
            });
        }
        Ok(net)
    }
}

/// The spec of a built-in backbone `B` described by a `[model]` section.
#[derive(Debug, Clone)]
pub struct Builtin<B> {
    /// The `[model]` section.
    pub model: ModelConfig,
    backbone: PhantomData<fn() -> B>,
}

impl<B: BuiltinBackbone> Builtin<B> {
    /// The spec of `model` (whose `backbone` must name `B`).
    pub fn new(model: &ModelConfig) -> Result<Self> {
        if model.backbone != B::NAME {
            return Err(Error::config(
                "model.backbone",
                format!("is `{}`, this spec builds `{}`", model.backbone, B::NAME),
            ));
        }
        Ok(Self { model: model.clone(), backbone: PhantomData })
    }
}

impl<B: BuiltinBackbone> PredictorSpec for Builtin<B> {
    type Model = SlidingWindow<B>;
    fn backbone(&self) -> String {
        B::NAME.into()
    }
    fn init(&self, shape: &PredictorShape, device: &Device) -> Result<SlidingWindow<B>> {
        shape.wrap(B::build(&self.model, shape, device)?)
    }
}

/// The constructor of a [`CustomPredictor`].
pub type PredictorInit<P> = Arc<dyn Fn(&PredictorShape, &Device) -> Result<P> + Send + Sync>;

/// A predictor of your own: a name, optional settings, and a constructor.
///
/// ```
/// use burn::prelude::*;
/// use pdd::nn::{Heads, PeriodicConv, PeriodicConvConfig};
/// use pdd::predictor::{Backbone, CustomPredictor, PredictorShape, PredictorSpec};
/// use pdd::spectral::Grid;
///
/// #[derive(Module, Debug)]
/// struct Linear { conv: PeriodicConv }
/// impl Backbone for Linear {
///     fn forward(&self, x: Tensor<4>, _t: Tensor<1>) -> Heads {
///         Heads { drift: self.conv.forward(x), noise: None }
///     }
/// }
///
/// let spec = CustomPredictor::new("linear", |s: &PredictorShape, d: &Device| {
///     let conv = PeriodicConvConfig::new(s.in_channels(), s.channels)
///         .with_spatial(s.spatial)
///         .with_kernel_size(5)
///         .init(d);
///     s.wrap(Linear { conv })
/// });
/// let shape = PredictorShape::new(2, 5, &Grid::line(32), false)?;
/// let model = spec.init(&shape, &Device::flex())?;
/// assert_eq!(spec.backbone(), "linear");
/// # Ok::<(), pdd::Error>(())
/// ```
pub struct CustomPredictor<P> {
    name: String,
    settings: Option<toml::Table>,
    init: PredictorInit<P>,
}

impl<P> Clone for CustomPredictor<P> {
    fn clone(&self) -> Self {
        Self { name: self.name.clone(), settings: self.settings.clone(), init: self.init.clone() }
    }
}

impl<P: Predictor + Module + 'static> CustomPredictor<P> {
    /// A predictor called `name` (recorded as `[model] backbone`; not `unet` or `fno`) built by
    /// `init`.
    pub fn new(
        name: &str,
        init: impl Fn(&PredictorShape, &Device) -> Result<P> + Send + Sync + 'static,
    ) -> Self {
        Self { name: name.into(), settings: None, init: Arc::new(init) }
    }

    /// The same predictor with `settings` (any serialisable value whose TOML form is a table,
    /// e.g. a burn `Config`) recorded in the run and checked when it is reopened.
    pub fn with_settings<T: Serialize>(mut self, settings: &T) -> Result<Self> {
        let table = toml::Table::try_from(settings).map_err(|e| {
            Error::config("custom predictor settings", format!("must serialise to a table: {e}"))
        })?;
        self.settings = Some(table);
        Ok(self)
    }
}

impl<P: Predictor + Module + 'static> PredictorSpec for CustomPredictor<P> {
    type Model = P;
    fn backbone(&self) -> String {
        self.name.clone()
    }
    fn settings(&self) -> Option<toml::Table> {
        self.settings.clone()
    }
    fn init(&self, shape: &PredictorShape, device: &Device) -> Result<P> {
        (self.init)(shape, device)
    }
}

/// The names pdd builds itself: a custom predictor may not take them.
pub const BUILTIN_BACKBONES: &[&str] = &["unet", "fno"];

/// Records the custom predictor `spec` in `model` (backbone name and settings), refusing a name
/// that is a built-in's or not a plain name.
pub fn record_spec<S: PredictorSpec>(model: &mut ModelConfig, spec: &S) -> Result<()> {
    let name = spec.backbone();
    let plain =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    if !plain || BUILTIN_BACKBONES.contains(&name.as_str()) {
        return Err(Error::config(
            "model.backbone",
            format!(
                "a custom predictor's name must be a plain name other than unet and fno, got `{name}`"
            ),
        ));
    }
    model.backbone = name;
    model.settings = spec.settings();
    Ok(())
}

/// Checks that `model` (read from a run) was recorded by `spec`: same backbone, same settings.
pub fn check_spec<S: PredictorSpec>(model: &ModelConfig, spec: &S) -> Result<()> {
    let (name, settings) = (spec.backbone(), spec.settings());
    if model.backbone != name || model.settings != settings {
        let show = |s: &Option<toml::Table>| {
            s.as_ref().map_or("none".into(), |t| t.to_string().replace('\n', "; "))
        };
        return Err(Error::config(
            "model.backbone",
            format!(
                "the run was trained with backbone `{}` (settings: {}), but the predictor given builds `{name}` (settings: {}); \
                 reopen it with the constructor that trained it",
                model.backbone,
                show(&model.settings),
                show(&settings)
            ),
        ));
    }
    Ok(())
}

/// Work to do with the spec of a built-in backbone, whichever `[model] backbone` names (see
/// [`with_builtin`]): the one place where a run's backbone name becomes a type.
pub trait BuiltinVisitor {
    /// What the work returns.
    type Output;
    /// Does the work with `spec`.
    fn visit<S: PredictorSpec + Clone + Send + Sync + 'static>(
        self,
        spec: S,
    ) -> Result<Self::Output>;
}

/// Calls `visitor` with the spec of the built-in backbone `model.backbone` names; a custom name
/// is an error saying how to open such a run.
pub fn with_builtin<V: BuiltinVisitor>(model: &ModelConfig, visitor: V) -> Result<V::Output> {
    match model.backbone.as_str() {
        "unet" => visitor.visit(Builtin::<UNet>::new(model)?),
        "fno" => visitor.visit(Builtin::<Fno>::new(model)?),
        other => Err(Error::config(
            "model.backbone",
            format!(
                "`{other}` is not built in ({}): a custom predictor's run is trained and reopened \
                 with its own spec (`Study::train_custom`, `TrainedRun::open`, `Evaluator::from_run`)",
                BUILTIN_BACKBONES.join(", ")
            ),
        )),
    }
}
