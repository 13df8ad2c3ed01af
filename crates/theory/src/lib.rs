//! momentum-lab theory: Hessian spectra, the method template, exact expected dynamics of
//! mini-batch momentum methods on Gaussian least squares, their asymptotic rates, the
//! closed-form predictions of the source papers, and hyperparameter tuning.
//!
//! Formulas and their sources are in `docs/theory.md`; each module names its section.

pub mod arnoldi;
pub mod assess;
pub mod dense;
pub mod divergence;
pub mod dynamics;
pub mod error;
pub mod finite_sum;
pub mod fit;
pub mod method;
pub mod phase;
pub mod predict;
pub mod rate;
pub mod rules;
pub mod second_moment;
pub mod spec;
pub mod spectrum;
pub mod system;
pub mod tune;

pub use assess::Assessment;
pub use divergence::{BLOW_UP, diverged};
pub use dynamics::{GaussianDynamics, Hitting, Moments};
pub use error::{Error, Result};
pub use method::{Family, Method, Template};
pub use phase::{PhaseDiagram, PhaseOptions, PhaseRow, phase, phase_family, phase_with_progress};
pub use predict::Predictions;
pub use rate::{Rate, rate, rate_near};
pub use spectrum::{Spectrum, SpectrumSummary};
pub use tune::{FiniteTuned, Objective, Target, Tuned, tune, tune_along, tune_finite_sum, tune_finite_sum_along};
