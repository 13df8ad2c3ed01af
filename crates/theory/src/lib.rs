//! momentum-lab theory: Hessian spectra, the method template, exact expected dynamics of
//! mini-batch momentum methods on Gaussian least squares, their asymptotic rates, the
//! closed-form predictions of the source papers, and hyperparameter tuning.
//!
//! Formulas and their sources are in `docs/theory.md`; each module names its section.
//!
//! From a spectrum to a method, its asymptotic rate and its exact iterations to target:
//!
//! ```
//! use theory::{GaussianDynamics, Method, Moments, Predictions, Spectrum, rate};
//!
//! // H with eigenvalues l_i = i^-1, i = 1..100 (docs/theory.md §2).
//! let spectrum: Spectrum = "power:d=100,a=1".parse()?;
//! let batch = 8.0;
//! // The closed forms of §5 at B = 8: L_B = L (1 + 1/B) + tr/B, the SGD step 1/L_B, B_sgd = tr/L.
//! let p = Predictions::new(&spectrum, batch);
//! assert_eq!(p.eta_b, 1.0 / p.l_b);
//! let sgd = Method::Sgd { lr: p.eta_b }.validated()?;
//! // The per-step contraction rho of E[loss] (§4) and the asymptotic T(1e-4) = ln(1e4)/(-ln rho).
//! let r = rate(&spectrum, &sgd, batch);
//! assert!(r.rho < 1.0);
//! let asymptotic = r.iterations(1e-4).unwrap();
//! // The exact E[loss_t] recursion from the start N(0, I/d): the first t with
//! // E[loss_t] <= 1e-4 E[loss_0].
//! let exact = GaussianDynamics::new(&spectrum, &sgd, batch)
//!     .iterations_to_target(Moments::isotropic(100), 1e-4, 1_000_000)
//!     .reached()
//!     .unwrap();
//! assert!(exact as f64 <= 1.5 * asymptotic, "{exact} vs {asymptotic}");
//! # Ok::<(), theory::Error>(())
//! ```

#![warn(missing_docs)]

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
pub use dynamics::{GaussianDynamics, Hitting, Moments, Run};
pub use error::{Error, Result};
pub use method::{Family, Method, Template};
pub use phase::{PhaseDiagram, PhaseOptions, PhaseRow, phase, phase_family, phase_with_progress};
pub use predict::Predictions;
pub use rate::{Rate, rate, rate_near};
pub use spectrum::{Spectrum, SpectrumSummary};
pub use tune::{FiniteTuned, Objective, Target, Tuned, tune, tune_along, tune_finite_sum, tune_finite_sum_along};
