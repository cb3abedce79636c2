//! Getting at flex's tensors from burn's backend-erased [`Tensor`], and back.
//!
//! burn 0.22 routes every op through its dispatch layer; with the `extension` feature a tensor
//! can be downcast to the concrete backend's primitive ([`Tensor::try_into_primitive`]). Only f32
//! tensors on the flex CPU backend (plain, or under autodiff without checkpointing) are taken;
//! everything else returns `None` and the caller falls back to burn's own ops.

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, TensorMetadata};
use burn::prelude::*;
use burn::tensor::{DType, TensorData};
use burn_flex::{Flex, FlexTensor};

/// The checkpoint strategy of `Device::flex().autodiff()`.
pub type Ckp = NoCheckpointing;
/// flex under autodiff.
pub type Ad = Autodiff<Flex, Ckp>;

/// Whether the fused ops are switched on: always, unless the environment variable
/// `PDD_FUSED_OPS` is `off` (for timing burn's own ops against them in one build).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("PDD_FUSED_OPS").map_or(true, |v| v != "off"))
}

/// The autodiff primitive of an f32 tensor on flex with autodiff, else `None`.
pub fn autodiff<const D: usize>(t: &Tensor<D>) -> Option<FloatTensor<Ad>> {
    if !enabled() {
        return None;
    }
    let p = t.clone().try_into_primitive::<Ad>().ok()?;
    (p.primitive().dtype() == DType::F32).then_some(p)
}

/// The flex primitive of an f32 tensor on flex without autodiff, else `None`.
pub fn plain<const D: usize>(t: &Tensor<D>) -> Option<FlexTensor> {
    if !enabled() {
        return None;
    }
    let p = t.clone().try_into_primitive::<Flex>().ok()?;
    (p.dtype() == DType::F32).then_some(p)
}

/// Wraps an autodiff primitive back into a tensor.
pub fn from_autodiff<const D: usize>(p: FloatTensor<Ad>) -> Tensor<D> {
    Tensor::from_primitive::<Ad>(p)
}

/// Wraps a flex primitive back into a tensor.
pub fn from_plain<const D: usize>(p: FlexTensor) -> Tensor<D> {
    Tensor::from_primitive::<Flex>(p)
}

/// The shape of a rank-4 flex tensor.
///
/// # Panics
/// If the rank is not 4.
pub fn dims4(t: &FlexTensor) -> [usize; 4] {
    let s = t.shape();
    assert_eq!(s.num_dims(), 4, "expected a rank-4 tensor, got shape {s:?}");
    [s[0], s[1], s[2], s[3]]
}

/// `t` with a contiguous row-major layout starting at offset 0 (copied only when it is not).
pub fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() { t } else { t.to_contiguous() }
}

/// Runs `f` on the row-major f32 elements of each tensor of `t`.
///
/// # Panics
/// If a tensor is not f32.
pub fn with_slices<const K: usize, R>(t: &[FlexTensor; K], f: impl FnOnce([&[f32]; K]) -> R) -> R {
    let t = t.clone().map(contiguous);
    f(std::array::from_fn(|i| t[i].as_slice::<f32>().expect("f32 tensor")))
}

/// A contiguous f32 flex tensor of `shape` from its row-major elements.
pub fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// A contiguous f32 flex tensor of `shape` from its row-major elements.
pub fn tensor_shaped(values: Vec<f32>, shape: burn::tensor::Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// Which implementation the fused ops choose for a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// f32 on flex under autodiff: the fused kernels, with their own backward pass.
    FlexAutodiff,
    /// f32 on flex without autodiff: the fused forward kernels.
    Flex,
    /// Anything else (GPU backends, other dtypes, `PDD_FUSED_OPS=off`): burn's own ops.
    Burn,
}

/// The route the fused ops take for `t` (for tests and diagnostics).
pub fn route<const D: usize>(t: &Tensor<D>) -> Route {
    if autodiff(t).is_some() {
        Route::FlexAutodiff
    } else if plain(t).is_some() {
        Route::Flex
    } else {
        Route::Burn
    }
}
