//! The one error type of the nn crate. Every variant renders as a single line.

use crate::backend::{Backend, Precision};

/// What can go wrong when choosing a device, a schedule, a method or a task for a network.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A backend name that is not one of `flex`, `ndarray`, `wgpu`.
    #[error("unknown backend '{0}' (known: flex, ndarray, wgpu)")]
    UnknownBackend(String),
    /// A precision name that is not one of `f32`, `f64`.
    #[error("unknown precision '{0}' (known: f32, f64)")]
    UnknownPrecision(String),
    /// A backend whose cargo feature was not enabled when this crate was built.
    #[error(
        "backend '{0}' is not compiled in: build with the cargo feature '{0}' (e.g. cargo run --release --features {0} -- ...)"
    )]
    NotCompiled(Backend),
    /// The device rejected the requested precision (e.g. f64 on a GPU without f64 support).
    #[error("backend '{backend}' cannot run in {precision}: {source}")]
    Device {
        backend: Backend,
        precision: Precision,
        #[source]
        source: burn::tensor::DeviceError,
    },
    /// The device's default precision was fixed earlier in this process (by another configuration
    /// or by the first tensor created on it) to something else.
    #[error("backend '{backend}' already runs in {current:?} in this process, cannot switch to {requested}")]
    PrecisionFixed { backend: Backend, requested: Precision, current: burn::tensor::FloatDType },
    /// A loss that autodiff does not track, so it has no gradient.
    #[error("the loss is not tracked by autodiff: it depends on no trainable parameter of an autodiff device")]
    Untracked,
    /// A tensor could not be read back to the host.
    #[error("cannot read a tensor back: {0}")]
    Read(String),
    /// A schedule parameter outside its domain.
    #[error("{0}")]
    Invalid(String),
    /// A method outside its domain (theory's validation).
    #[error(transparent)]
    Method(#[from] theory::Error),
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
