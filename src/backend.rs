//! Choosing where tensors live: the CPU backend (burn `flex`) in every build, GPUs behind the
//! cargo features `wgpu` and `cuda`.

use crate::error::{Error, Result};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// A compute device by name, as the CLI's `--device` and the presets spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceChoice {
    /// A GPU if the build has one enabled and the machine has one (a software Vulkan device
    /// does not count), otherwise the CPU ([`DeviceChoice::best_available`]).
    #[default]
    Auto,
    /// burn's pure-Rust CPU backend (`flex`), multi-threaded with rayon.
    Cpu,
    /// burn's wgpu backend (Vulkan/Metal/DX12; needs the `wgpu` feature).
    Wgpu,
    /// burn's CUDA backend (needs the `cuda` feature).
    Cuda,
}

impl std::str::FromStr for DeviceChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Self::Auto),
            "cpu" | "flex" => Ok(Self::Cpu),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            other => Err(Error::config(
                "device",
                format!("unknown device `{other}` (auto|cpu|wgpu|cuda)"),
            )),
        }
    }
}

impl std::fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        })
    }
}

impl DeviceChoice {
    /// The burn device (without autodiff). Fails if the build lacks the feature.
    pub fn device(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            Self::Auto => Ok(Self::best_available()),
            Self::Wgpu => {
                #[cfg(feature = "wgpu")]
                {
                    Ok(Device::wgpu(Default::default()))
                }
                #[cfg(not(feature = "wgpu"))]
                {
                    Err(Error::config(
                        "device",
                        "this build has no wgpu backend: rebuild with `--features wgpu`",
                    ))
                }
            }
            Self::Cuda => {
                #[cfg(feature = "cuda")]
                {
                    Ok(Device::cuda(0))
                }
                #[cfg(not(feature = "cuda"))]
                {
                    Err(Error::config(
                        "device",
                        "this build has no CUDA backend: rebuild with `--features cuda`",
                    ))
                }
            }
        }
    }

    /// The first enabled backend with hardware to run on, in the order cuda, wgpu, cpu. A
    /// wgpu build takes wgpu only when the machine has a hardware adapter (cubecl's
    /// `Runtime::is_available`): a software rasterizer such as Mesa's lavapipe does not count,
    /// so a CPU-only machine keeps `flex`; name `wgpu` to run on it anyway.
    #[allow(unreachable_code)]
    pub fn best_available() -> Device {
        #[cfg(feature = "cuda")]
        {
            return Device::cuda(0);
        }
        #[cfg(feature = "wgpu")]
        {
            use burn::backend::wgpu::{AutoCompiler, WgpuRuntime};
            use cubecl_runtime::runtime::Runtime;
            if WgpuRuntime::<AutoCompiler>::is_available() {
                return Device::wgpu(Default::default());
            }
        }
        Device::flex()
    }
}

/// Copies a float tensor of any rank to a host `Vec<f32>` (row-major).
pub fn to_vec<const D: usize>(t: burn::tensor::Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("float tensor data converts to f32")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_cpu_is_always_there() {
        assert_eq!("cpu".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cpu);
        assert!("tpu".parse::<DeviceChoice>().unwrap_err().to_string().contains("device"));
        assert!(DeviceChoice::Cpu.device().is_ok());
        #[cfg(not(feature = "cuda"))]
        assert!(DeviceChoice::Cuda.device().is_err());
    }
}
