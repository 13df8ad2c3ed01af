//! momentum-lab simulation: Monte-Carlo runs of the methods of `theory` (the same
//! [`theory::Template`]) on quadratics in the interpolation regime, g = H_hat (w - w*).
//!
//! - [`problem`]: the problems (Gaussian streaming regression, randomized Kaczmarz, coordinate
//!   descent) and the Gaussian gradient samplers ([`sampler`]).
//! - [`run`]: one trajectory of a method on a problem.
//! - [`ensemble`]: many independent runs in parallel, per-checkpoint statistics, iterations to
//!   target and the empirical rate with a confidence interval.

pub mod ensemble;
pub mod problem;
pub mod reduce;
pub mod run;
pub mod sampler;

pub use ensemble::{Checkpoint, Deviation, Ensemble, EnsembleConfig, RateFit, ensemble, ensemble_with_progress};
pub use problem::{FiniteSumProblem, GaussianRegression, Problem};
pub use sampler::Sampler;

/// The random number generator of every engine: PCG-64 (MCG), fast and reproducible.
pub type Rng = rand_pcg::Pcg64Mcg;
