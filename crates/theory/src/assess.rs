//! The summary numbers of one configuration (spectrum, method, batch): the asymptotic rate and
//! both iteration counts of docs/theory.md §4 — from the rate, ln(1/eps) / (-ln rho), and from the
//! exact curve, the first t with E\[loss_t\] <= eps E\[loss_0\]. For power-law spectra they differ.

use crate::dynamics::GaussianDynamics;
use crate::method::Method;
use crate::rate::{Rate, rate};
use crate::spectrum::Spectrum;
use crate::tune::Target;
use serde::{Deserialize, Serialize};

/// Rate and iteration counts of one configuration; every count is None when diverged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Per-step contraction of E\[loss\].
    pub rate: f64,
    /// rate >= 1.
    pub diverged: bool,
    /// Iterations per e-fold, 1 / (-ln rate).
    pub efold: Option<f64>,
    /// ln(1/eps) / (-ln rate).
    pub iterations_asymptotic: Option<f64>,
    /// T(eps) from the exact recursion from N(0, I/d); None if not reached within the budget.
    pub iterations_to_target: Option<usize>,
}

impl Assessment {
    /// Assesses `method` at `batch`; `exact` also runs the exact curve to the target.
    pub fn new(spectrum: &Spectrum, method: &Method, batch: f64, target: Target, exact: bool) -> Self {
        let r: Rate = rate(spectrum, method, batch);
        let iterations_to_target = (exact && !r.diverged())
            .then(|| {
                let (dynamics, start) = GaussianDynamics::isotropic(spectrum, method, batch);
                dynamics.iterations_to_target(start, target.eps, target.max_steps).reached()
            })
            .flatten();
        Assessment {
            rate: r.rho,
            diverged: r.diverged(),
            efold: r.efold(),
            iterations_asymptotic: r.iterations(target.eps),
            iterations_to_target,
        }
    }
}
