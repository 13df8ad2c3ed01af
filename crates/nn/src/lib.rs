//! Networks trained with Burn under theory's momentum template (docs/theory.md §3), and the
//! label-noise experiments of docs/theory.md §8.
//!
//! - [`backend`]: the Burn backend (flex, ndarray, wgpu) and float precision a network runs in.
//! - [`optim`]: [`TemplateOptimizer`], theory's template z' = M z - c g(a . z) applied to every
//!   trainable parameter of a Burn module, with the method given at every step.
//! - [`schedule`]: the method of step t (constant, step-decay or cosine learning rate, momentum
//!   fixed or coupled to the learning rate by 1 - beta = C eta^g).
//! - [`tasks`]: seeded regression tasks (matrix sensing, teacher–student MLP, the diabetes data
//!   set) with mini-batches, fresh label noise, train loss, implicit regulariser and test error.
//! - [`params`], [`hessian`]: a module's parameters as one vector, gradients, Hessian-vector
//!   products by finite differences of gradients, Hutchinson's trace estimate.
//! - [`lanczos`], [`noise`], [`curvature`]: a Hessian's top eigenvalue (power iteration),
//!   extreme eigenvalues and spectral density (Lanczos, SLQ), the gradient noise scale B_simple
//!   and the Gauss–Newton spectrum from per-example gradients, and the batch-size predictions of
//!   docs/theory.md §5 they give.
//! - [`critical`]: steps to a target loss against the batch size for SGD and heavy ball, the
//!   learning rate tuned per batch (the measured critical batch of docs/theory.md §5).
//! - [`train`]: interpolate without noise, then train with label noise under a schedule, and
//!   record the run ([`train::Record`]).
//! - [`scan`]: label-noise heavy ball over a grid of (eta, 1 - beta) and seeds from one
//!   interpolating point, timed to a regulariser threshold (the C9 experiment).

pub mod backend;
pub mod critical;
pub mod curvature;
pub mod error;
pub mod hessian;
pub mod lanczos;
pub mod noise;
pub mod optim;
pub mod params;
pub mod scan;
pub mod schedule;
pub mod tasks;
pub mod train;

pub use backend::{Backend, Precision, device};
pub use burn::tensor::Device;
pub use error::{Error, Result};
pub use optim::TemplateOptimizer;
pub use schedule::{Lr, Momentum, Schedule};
pub use tasks::Task;
pub use train::{Config, Interpolation, Outcome, Record, Stop};
