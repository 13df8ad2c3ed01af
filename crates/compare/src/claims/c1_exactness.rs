//! C1, exactness: Monte Carlo of the sim engines against the exact expected dynamics of theory
//! (docs/theory.md §4, §6) for SGD, HB, NAG and ASGD on Gaussian regression, randomized Kaczmarz and
//! coordinate descent. Per case: the worst |mean − exact| / SE over the checkpoints, and whether
//! the jackknife interval of the fitted rate (second half of the run) covers the theory rate, at
//! the Bonferroni level 1 − (1 − family_level)/cases so that the whole family errs with
//! probability at most 1 − family_level.

use crate::claims::{ClaimResult, measured_json};
use crate::error::Result;
use crate::profile::Profile;
use crate::registry::ClaimSpec;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sim::{EnsembleConfig, FiniteSumProblem, GaussianRegression, Problem, Sampler, ensemble};
use theory::finite_sum::{FiniteSum, Sampling, isotropic_start};
use theory::{GaussianDynamics, Method, Moments, Predictions, Spectrum, rate};

/// The claim's tolerances, fixed in its file.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// Every checkpoint's |Monte-Carlo mean - exact| / SE at most this.
    pub max_z: f64,
    /// The family level of the rate intervals (Bonferroni over the cases).
    pub family_level: f64,
}

/// Simulation size of a profile.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub runs: usize,
    pub steps: usize,
}

/// The claim's protocol: the batch, the seed of the generated systems and of the runs, the
/// Kaczmarz rows per dimension, and the Monte-Carlo budget per profile.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub batch: usize,
    pub seed: u64,
    pub rows_per_dim: usize,
    pub smoke: Budget,
    pub quick: Budget,
    pub full: Budget,
}

impl Protocol {
    /// The Monte-Carlo budget of `profile`.
    pub fn budget(&self, profile: Profile) -> Budget {
        *profile.choose(&self.smoke, &self.quick, &self.full)
    }
}

/// The four methods at step sizes scaled by eta = 1/L_B, L_B = lambda_max(E[H_B H_B^T]) / L
/// (docs/theory.md §5's L_B for Gaussian H_B), well inside the region where the loss's second moment
/// contracts, so that the sample mean has a finite variance and "4 SE" means what it says. (At
/// twice these steps the loss of coordinate descent is heavy-tailed enough that the mean of
/// 20 000 runs strays up to 6.5 SE from the exact mean: the SE of a heavy-tailed sample is itself
/// unreliable, a property of the sample mean, not of the theory.)
fn methods(eta: f64) -> [Method; 4] {
    [
        Method::Sgd { lr: 0.25 * eta },
        Method::Hb { lr: 0.15 * eta, momentum: 0.4 },
        Method::Nag { lr: 0.15 * eta, momentum: 0.4 },
        Method::Asgd { lr: 0.15 * eta, long_step: 6.0, xi: 2.0 },
    ]
}

/// One case's checkpoints: step, Monte-Carlo mean and SE, exact E\[loss\] (the figure's data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub step: Vec<f64>,
    pub mean: Vec<f64>,
    pub se: Vec<f64>,
    pub exact: Vec<f64>,
}

/// One (problem, method) case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// "gaussian", "kaczmarz" or "coordinate_descent".
    pub problem: String,
    pub method: Method,
    /// The worst |Monte-Carlo mean - exact| / SE over the checkpoints (None: no checkpoint
    /// with a positive SE).
    pub worst_z: Option<f64>,
    pub theory_rate: f64,
    /// The jackknife interval of the fitted rate (None: no fit, e.g. the loss hit zero).
    pub rate_ci: Option<[f64; 2]>,
    pub curve: Curve,
}

impl Case {
    /// Whether the rate interval covers the theory rate.
    pub fn covered(&self) -> bool {
        self.rate_ci.is_some_and(|[lo, hi]| lo <= self.theory_rate && self.theory_rate <= hi)
    }
}

/// What C1 measured (report.json's `measured`, read back by the figure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub cases: Vec<Case>,
    pub runs: usize,
    pub steps: usize,
    /// The per-case level of the rate intervals (Bonferroni).
    pub interval_level: f64,
}

/// The verdict: pass iff every case has worst |z| < max_z and its rate interval covers the
/// theory rate; fail if some case misses either; inconclusive if some case has no z or no
/// interval and none fails.
pub fn judge(cases: &[Case], max_z: f64) -> Verdict {
    Verdict::all(cases.iter().map(|c| match (c.worst_z, c.rate_ci) {
        (Some(z), Some(_)) => Verdict::from_bool(z < max_z && c.covered()),
        (Some(z), None) if z >= max_z => Verdict::Fail,
        _ => Verdict::Inconclusive,
    }))
}

/// Evaluates C1 on `spectrum` (the Gaussian H, the Kaczmarz system's A^T A and the coordinate-
/// descent matrix all have it).
pub fn evaluate(spec: &ClaimSpec, spectrum: &str, profile: Profile) -> Result<ClaimResult> {
    let Tolerance { max_z, family_level } = spec.typed()?;
    let protocol: Protocol = spec.typed_protocol()?;
    let (batch, seed, budget) = (protocol.batch, protocol.seed, protocol.budget(profile));
    let s: Spectrum = spectrum.parse()?;
    let d = s.d();
    let kaczmarz = FiniteSum::kaczmarz(&FiniteSum::random_system(protocol.rows_per_dim * d, &s, seed)?)?;
    let cd = FiniteSum::coordinate_descent(&FiniteSum::random_psd(&s, seed + 1))?;
    let cases_total = 3 * methods(1.0).len(); // three problems
    let level = 1.0 - (1.0 - family_level) / cases_total as f64;
    let config = |k: u64| EnsembleConfig {
        runs: budget.runs,
        steps: budget.steps,
        checkpoints: EnsembleConfig::even_checkpoints(budget.steps, 25),
        seed: seed + k,
        eps: 1e-3,
    };
    let mut cases = Vec::new();
    let mut k = 0;
    let mut check = |name: &'static str, problem: &dyn Problem, method: Method, exact: Vec<f64>, theory_rate: f64| {
        k += 1;
        let e = ensemble(problem, &method, &config(k));
        let worst_z = e.worst_deviation(&exact).map(|w| w.z.abs());
        let n = e.checkpoints.len();
        let rate_ci = e.fit_rate([n / 2, n - 1], 20, level).map(|f| f.ci);
        let column = |f: fn(&sim::Checkpoint) -> f64| e.checkpoints.iter().map(f).collect::<Vec<_>>();
        let curve = Curve {
            step: column(|c| c.step as f64),
            mean: column(|c| c.mean),
            se: column(|c| c.se),
            exact: e.checkpoints.iter().map(|c| exact[c.step]).collect(),
        };
        cases.push(Case { problem: name.into(), method, worst_z, theory_rate, rate_ci, curve });
    };
    for m in methods(Predictions::new(&s, batch as f64).eta_b) {
        let exact = GaussianDynamics::new(&s, &m, batch as f64).loss_curve(Moments::isotropic(d), budget.steps);
        let problem = GaussianRegression::new(&s, batch, Sampler::ChiSquare)?;
        check("gaussian", &problem, m, exact, rate(&s, &m, batch as f64).rho);
    }
    for (name, sum) in [("kaczmarz", &kaczmarz), ("coordinate_descent", &cd)] {
        let sampling = Sampling::WithReplacement;
        let eta = sum.step(batch, sampling)?;
        for m in methods(eta) {
            let exact = sum.loss_curve(&m, batch, sampling, &isotropic_start(d), budget.steps)?;
            let problem = FiniteSumProblem::new(sum.clone(), batch, sampling)?;
            check(name, &problem, m, exact, sum.rate(&m, batch, sampling)?);
        }
    }
    let verdict = judge(&cases, max_z);
    let worst = cases.iter().filter_map(|c| c.worst_z).fold(0.0, f64::max);
    let n_covered = cases.iter().filter(|c| c.covered()).count();
    let measured = Measured { cases, runs: budget.runs, steps: budget.steps, interval_level: level };
    Ok(ClaimResult::new(
        spec,
        json!({"mean_loss": "exact E[loss_t] (theory)", "rate": "theory rate inside the interval"}),
        measured_json(&measured)?,
        verdict,
        format!(
            "{cases_total} cases (4 methods x Gaussian/Kaczmarz/CD, B = {batch}): worst |z| {worst:.2} (< {max_z}); rate covered {n_covered}/{cases_total} at level {level:.4}"
        ),
    ))
}
