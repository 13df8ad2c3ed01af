//! Choosing where a network runs: a Burn backend (selected at run time) and its float precision.
//!
//! Burn 0.22 has no backend type parameter: the backend is a property of the [`Device`] a tensor
//! lives on, and automatic differentiation is switched on per device (`Device::autodiff`). A
//! backend exists at run time only when its cargo feature of this crate (`flex`, `ndarray`,
//! `wgpu`) was enabled at build time; asking for another one is an error, not a panic.

use crate::error::{Error, Result};
use burn::tensor::{Device, DeviceError, FloatDType};
use std::fmt;
use std::str::FromStr;

/// A Burn execution backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend.
    Flex,
    /// The ndarray CPU backend (deprecated by Burn in favour of Flex, kept as a cross-check).
    Ndarray,
    /// wgpu: whichever GPU (or graphics API) the machine offers.
    Wgpu,
}

impl Backend {
    /// The name used in the CLI and in error messages (also the cargo feature's name).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
        }
    }

    /// The backend's device (without autodiff, default precision), or [`Error::NotCompiled`].
    fn raw_device(self) -> Result<Device> {
        match self {
            #[cfg(feature = "flex")]
            Backend::Flex => Ok(Device::flex()),
            // Burn deprecates NdArray in favour of Flex; it stays available as an independent
            // CPU implementation to check results against.
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[allow(unreachable_patterns)] // every backend may be compiled in
            other => Err(Error::NotCompiled(other)),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flex" => Ok(Backend::Flex),
            "ndarray" => Ok(Backend::Ndarray),
            "wgpu" => Ok(Backend::Wgpu),
            _ => Err(Error::UnknownBackend(s.to_string())),
        }
    }
}

/// The float precision of every tensor created on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit floats (what GPUs run fast).
    F32,
    /// 64-bit floats (what the simulator and the theory use; needed for exact comparisons).
    F64,
}

impl Precision {
    /// Burn's float dtype for this precision.
    pub fn dtype(self) -> FloatDType {
        match self {
            Precision::F32 => FloatDType::F32,
            Precision::F64 => FloatDType::F64,
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        })
    }
}

impl FromStr for Precision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" => Ok(Precision::F32),
            "f64" => Ok(Precision::F64),
            _ => Err(Error::UnknownPrecision(s.to_string())),
        }
    }
}

/// The autodiff-enabled device of `backend` whose float tensors have `precision`.
///
/// Burn fixes a device's default dtype once per process: by the first configuration or, failing
/// that, by the first tensor created on it. Asking again for the precision already in force is
/// fine; asking for another one is [`Error::PrecisionFixed`]. A precision the hardware lacks
/// (f64 on most GPUs) is [`Error::Device`].
pub fn device(backend: Backend, precision: Precision) -> Result<Device> {
    let mut device = backend.raw_device()?;
    match device.configure(precision.dtype()) {
        Ok(()) => {}
        Err(DeviceError::AlreadyInitialized { .. }) => {
            let current = device.settings().float_dtype;
            if current != precision.dtype() {
                return Err(Error::PrecisionFixed { backend, requested: precision, current });
            }
        }
        Err(source) => return Err(Error::Device { backend, precision, source }),
    }
    Ok(device.autodiff())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in [Backend::Flex, Backend::Ndarray, Backend::Wgpu] {
            assert_eq!(b.name().parse::<Backend>().unwrap(), b);
        }
        assert_eq!(" F64 ".parse::<Precision>().unwrap(), Precision::F64);
        assert!(matches!("cuda".parse::<Backend>(), Err(Error::UnknownBackend(_))));
        assert!(matches!("f16".parse::<Precision>(), Err(Error::UnknownPrecision(_))));
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn a_backend_not_compiled_in_is_an_error() {
        let err = device(Backend::Wgpu, Precision::F32).unwrap_err();
        assert!(matches!(err, Error::NotCompiled(Backend::Wgpu)));
        assert!(err.to_string().contains("cargo feature 'wgpu'"), "{err}");
    }

    #[cfg(feature = "flex")]
    #[test]
    fn the_device_has_autodiff_and_the_precision_asked_for() {
        let device = device(Backend::Flex, Precision::F64).unwrap();
        assert!(device.is_autodiff());
        assert_eq!(device.settings().float_dtype, FloatDType::F64);
        // Asking again for the precision in force is fine; switching is not.
        assert!(super::device(Backend::Flex, Precision::F64).is_ok());
        assert!(matches!(
            super::device(Backend::Flex, Precision::F32),
            Err(Error::PrecisionFixed { current: FloatDType::F64, .. })
        ));
    }
}
