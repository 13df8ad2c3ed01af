//! momentum-lab simulation: Monte-Carlo runs of the methods of `theory` (the same
//! [`theory::Template`]) on quadratics in the interpolation regime, g = H_hat (w - w*).
//!
//! - [`problem`]: the problems (Gaussian streaming regression, randomized Kaczmarz, coordinate
//!   descent) and the Gaussian gradient samplers ([`sampler`]).
//! - [`run`]: one trajectory of a method on a problem.
//! - [`mod@ensemble`]: many independent runs in parallel, per-checkpoint statistics, iterations to
//!   target and the empirical rate with a confidence interval.
//!
//! Monte Carlo against the exact expected loss of `theory`:
//!
//! ```
//! use sim::{EnsembleConfig, GaussianRegression, Sampler, ensemble};
//! use theory::{GaussianDynamics, Method, Moments, Spectrum};
//!
//! let spectrum: Spectrum = "uniform:d=6,lo=0.1,hi=1".parse()?;
//! let method = Method::Hb { lr: 0.08, momentum: 0.5 };
//! // Fresh Gaussian mini-batches of 4 rows per step, drawn by the chi-square sampler (§7).
//! let problem = GaussianRegression::new(&spectrum, 4, Sampler::ChiSquare)?;
//! let config =
//!     EnsembleConfig { runs: 2000, steps: 40, checkpoints: EnsembleConfig::even_checkpoints(40, 5), seed: 1, eps: 1e-3 };
//! let runs = ensemble(&problem, &method, &config);
//! assert_eq!(runs.diverged_runs, 0);
//! // The mean loss at every checkpoint is within a few standard errors of E[loss_t].
//! let exact = GaussianDynamics::new(&spectrum, &method, 4.0).loss_curve(Moments::isotropic(6), 40);
//! assert!(runs.worst_deviation(&exact).unwrap().z.abs() < 5.0);
//! // A batch of zero rows is an error, not a panic.
//! assert!(GaussianRegression::new(&spectrum, 0, Sampler::ChiSquare).is_err());
//! # Ok::<(), theory::Error>(())
//! ```

#![warn(missing_docs)]

pub mod ensemble;
pub mod problem;
pub mod reduce;
pub mod rng;
pub mod run;
pub mod sampler;
mod ziggurat;
mod ziggurat_tables;

pub use ensemble::{
    Checkpoint, Comparison, Deviation, Ensemble, EnsembleConfig, RateFit, curve_at, ensemble, ensemble_with_progress,
};
pub use problem::{FiniteSumProblem, GaussianRegression, Problem};
pub use rng::Rng;
pub use sampler::Sampler;
