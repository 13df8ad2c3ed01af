//! C1, exactness: Monte Carlo of the sim engines against the exact expected dynamics of theory
//! (docs/theory.md §4, §6) for SGD, HB, NAG and ASGD on Gaussian regression, randomized Kaczmarz and
//! coordinate descent. Per case: the worst |mean − exact| / SE over the checkpoints, and whether
//! the jackknife interval of the fitted rate (second half of the run) covers the theory rate, at
//! the Bonferroni level 1 − (1 − family_level)/cases so that the whole family errs with
//! probability at most 1 − family_level.

use crate::claims::ClaimResult;
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

struct Case {
    problem: &'static str,
    method: Method,
    worst_z: f64,
    theory_rate: f64,
    ci: Option<[f64; 2]>,
    /// Checkpoint steps, Monte-Carlo mean and SE, exact E[loss] (the figure's data).
    curve: serde_json::Value,
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
        let worst_z = e.worst_deviation(&exact).map_or(f64::INFINITY, |w| w.z.abs());
        let n = e.checkpoints.len();
        let ci = e.fit_rate([n / 2, n - 1], 20, level).map(|f| f.ci);
        let column = |f: fn(&sim::Checkpoint) -> f64| e.checkpoints.iter().map(f).collect::<Vec<_>>();
        let curve = json!({
            "step": column(|c| c.step as f64), "mean": column(|c| c.mean), "se": column(|c| c.se),
            "exact": e.checkpoints.iter().map(|c| exact[c.step]).collect::<Vec<_>>(),
        });
        cases.push(Case { problem: name, method, worst_z, theory_rate, ci, curve });
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
    let covered = |c: &Case| c.ci.is_some_and(|[lo, hi]| lo <= c.theory_rate && c.theory_rate <= hi);
    let verdict = Verdict::all(cases.iter().map(|c| match c.ci {
        None => Verdict::Inconclusive,
        Some(_) => Verdict::from_bool(c.worst_z < max_z && covered(c)),
    }));
    let worst = cases.iter().map(|c| c.worst_z).fold(0.0, f64::max);
    let n_covered = cases.iter().filter(|c| covered(c)).count();
    let measured: Vec<_> = cases
        .iter()
        .map(|c| {
            json!({"problem": c.problem, "method": c.method, "worst_z": c.worst_z, "theory_rate": c.theory_rate, "rate_ci": c.ci, "covered": covered(c), "curve": c.curve})
        })
        .collect();
    Ok(ClaimResult::new(
        spec,
        json!({"mean_loss": "exact E[loss_t] (theory)", "rate": "theory rate inside the interval"}),
        json!({"cases": measured, "runs": budget.runs, "steps": budget.steps, "interval_level": level}),
        verdict,
        format!(
            "{cases_total} cases (4 methods x Gaussian/Kaczmarz/CD, B = {batch}): worst |z| {worst:.2} (< {max_z}); rate covered {n_covered}/{cases_total} at level {level:.4}"
        ),
    ))
}
