//! Closed-form momentum rules (docs/theory.md §5): each a small function of the constants
//! (L, mu, tr, d, B) — held by [`Predictions`] — to a [`Method`], defined once and used by the
//! claim C7, its figure and `momlab predict --rule NAME`.
//!
//! | rule | parameters at batch B |
//! |---|---|
//! | `A` | heavy ball, deterministic optimum for curvature in [mu, L_B]: lr = 4/(√L_B + √mu)², β = ((√(L_B/mu) − 1)/(√(L_B/mu) + 1))², L_B = L(1 + 1/B) + tr/B |
//! | `B` | the same with L_B ν_B, ν_B = 1 + (d + 1)/B |
//! | `sp` | accelerated sketch-and-project: step 1/L_B, β_sp = 1 − √(mu_B/ν_B), γ = √(1/(mu_B ν_B)), α = 1/(1 + γ ν_B), mu_B = mu/L_B |
//! | `harmonic` | heavy ball with the deterministic momentum β = ((√κ − 1)/(√κ + 1))² at every B and the step lr = lr_det / (1 + lr_det tr / (c2 B (1 − β))), lr_det = c1 · 4/(√L + √mu)², c1 = 0.8, c2 = 1 |
//! | `adaptive` | accelerated sketch-and-project at step 1/L_B with its gap g re-estimated from the observed E\[loss\] decrease every max(2, 1/g) steps, starting at g = 1 ([`adaptive_iterations_to_target`]) |
//!
//! `harmonic` is the project's own: its effective step lr/(1 − β) is the harmonic mix
//! 1/(1/x + 1/y) of the deterministic optimum x = lr_det/(1 − β) and the noise limit y = c2 B/tr
//! (the largest effective step SGD's noise allows at batch B, docs/theory.md §5). Its constants
//! were chosen once, on the training spectra named in `experiments/C7.toml`, and frozen.

use crate::dynamics::{GaussianDynamics, Hitting, Run, hitting};
use crate::error::Result;
use crate::invalid;
use crate::method::Method;
use crate::predict::{HbRule, Predictions};
use crate::spectrum::Spectrum;

/// `harmonic`'s fraction of the deterministic optimal step.
pub const HARMONIC_C1: f64 = 0.8;
/// `harmonic`'s noise-limit constant: the effective step is capped near c2 B / tr.
pub const HARMONIC_C2: f64 = 1.0;

/// How a rule picks its parameters.
#[derive(Clone, Copy, Debug)]
pub enum Pick {
    /// Once, in closed form.
    Fixed(fn(&Predictions) -> Method),
    /// The adaptive sketch-and-project rule ([`adaptive_iterations_to_target`]).
    Adaptive {
        /// Steps between re-estimates of the gap.
        window: usize,
    },
}

/// One named rule.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The name `momlab predict --rule` and the claim C7 know it by.
    pub name: &'static str,
    /// The formula, one line.
    pub formula: &'static str,
    /// How it picks its parameters.
    pub pick: Pick,
}

impl Rule {
    /// The method this rule picks at the predictions' batch size (an adaptive rule: the method
    /// it starts with).
    pub fn method(&self, p: &Predictions) -> Method {
        match self.pick {
            Pick::Fixed(pick) => pick(p),
            Pick::Adaptive { .. } => p.sketch_project_with_gap(ADAPTIVE_START),
        }
    }

    /// The closed form of a fixed rule (None for an adaptive one).
    pub fn fixed(&self) -> Option<fn(&Predictions) -> Method> {
        match self.pick {
            Pick::Fixed(pick) => Some(pick),
            Pick::Adaptive { .. } => None,
        }
    }

    /// T(eps) of this rule at the predictions' batch on `spectrum`, from the exact recursion and
    /// the isotropic start (docs/theory.md §4), within `max_steps`.
    pub fn iterations_to_target(&self, spectrum: &Spectrum, p: &Predictions, eps: f64, max_steps: usize) -> Hitting {
        match self.pick {
            Pick::Fixed(pick) => {
                let (dynamics, start) = GaussianDynamics::isotropic(spectrum, &pick(p), p.batch);
                dynamics.iterations_to_target(start, eps, max_steps)
            }
            Pick::Adaptive { window } => adaptive_iterations_to_target(spectrum, p, window, eps, max_steps),
        }
    }
}

/// Every rule, in the order the claim reports them.
pub const RULES: [Rule; 5] = [
    Rule { name: "A", formula: "HB, deterministic optimum on [mu, L_B]", pick: Pick::Fixed(|p| p.hb_rule_a.method()) },
    Rule {
        name: "B",
        formula: "HB, deterministic optimum on [mu, L_B nu_B]",
        pick: Pick::Fixed(|p| p.hb_rule_b.method()),
    },
    Rule {
        name: "sp",
        formula: "accelerated sketch-and-project, step 1/L_B",
        pick: Pick::Fixed(|p| p.sketch_project()),
    },
    Rule {
        name: "harmonic",
        formula: "HB, deterministic beta; lr/(1-beta) = harmonic mix of the deterministic step and c2 B/tr",
        pick: Pick::Fixed(|p| harmonic(p, HARMONIC_C1, HARMONIC_C2)),
    },
    Rule {
        name: "adaptive",
        formula: "sketch-and-project, step 1/L_B, gap re-estimated from the observed E[loss] decrease",
        pick: Pick::Adaptive { window: ADAPTIVE_WINDOW },
    },
];

/// The adaptive rule's first gap: 1, no momentum.
pub const ADAPTIVE_START: f64 = 1.0;
/// The adaptive rule's shortest re-estimation window (steps).
pub const ADAPTIVE_WINDOW: usize = 2;
/// The most the adaptive rule's gap may fall at one re-estimate (a factor).
pub const ADAPTIVE_DROP: f64 = 0.25;

/// T(eps) of the adaptive sketch-and-project rule (the Kaczmarz++/CD++ code's adaptive
/// parameters, reconstructed in the exact recursion): step eta_B = 1/L_B and the parameters of
/// [`Predictions::sketch_project_with_gap`] for an estimated gap g, which needs neither mu nor
/// any tuning. g starts at 1 (no momentum) and is re-estimated from the run's own E\[loss\] after
/// every n = max(`window`, ceil(1/g)) steps:
///
/// ```text
///     q = (E[loss_t] / E[loss_{t - n}])^(1/n)                    per-step loss ratio
///     g <- min(g, max(1 - sqrt(q), ADAPTIVE_DROP g))             only when q < 1
/// ```
///
/// An accelerated run with gap g contracts its error by 1 - g per step, its loss by (1 - g)^2:
/// while the estimate is above the true gap the slow directions contract slower than that and
/// the estimate falls; at or below it the run contracts at the estimate and it stays. The window
/// is at least 1/g steps, the time the momentum needs to build up after a change (measured over
/// fewer, that transient reads as a stall and the estimate collapses: 11x tuned heavy ball on a
/// two-cluster training spectrum at B = 1 with a fixed window of 10). The estimate never rises.
/// `window` and [`ADAPTIVE_DROP`] were chosen on C7's training spectra (worst ratio 2.0 there,
/// at B = 4096 where T is 10 to 26 steps and the start without momentum costs most).
pub fn adaptive_iterations_to_target(
    spectrum: &Spectrum,
    p: &Predictions,
    window: usize,
    eps: f64,
    max_steps: usize,
) -> Hitting {
    let mut gap = ADAPTIVE_START;
    let mut run = Run::isotropic(spectrum, &p.sketch_project_with_gap(gap), p.batch);
    let (mut last, mut since, mut n) = (run.loss(), 0, window);
    let mut t = 0;
    hitting(run.loss(), eps, max_steps, || {
        let loss = run.step();
        t += 1;
        if t == since + n {
            let q = (loss / last).powf(1.0 / n as f64);
            if q < 1.0 {
                gap = gap.min((1.0 - q.sqrt()).max(ADAPTIVE_DROP * gap));
                run.switch(&p.sketch_project_with_gap(gap));
            }
            (last, since, n) = (loss, t, window.max((1.0 / gap).ceil() as usize));
        }
        loss
    })
}

/// The rule called `name`; an error naming the known rules otherwise.
pub fn rule(name: &str) -> Result<&'static Rule> {
    RULES.iter().find(|r| r.name == name).ok_or_else(|| {
        let known: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        invalid!("unknown rule '{name}' (known: {})", known.join(", "))
    })
}

/// The closed-form rule called `name` (its [`Rule::fixed`] is Some): an error for an unknown
/// rule, and one naming the closed-form rules for an adaptive one, which re-picks its parameters
/// during a run and so has no single method to give (the claim C7 measures it).
pub fn closed_form(name: &str) -> Result<&'static Rule> {
    let found = rule(name)?;
    if found.fixed().is_none() {
        let closed: Vec<&str> = RULES.iter().filter(|r| r.fixed().is_some()).map(|r| r.name).collect();
        return Err(invalid!(
            "rule {name} re-picks its parameters during a run (C7 measures it); a closed-form rule is needed: {}",
            closed.join(", ")
        ));
    }
    Ok(found)
}

/// The harmonic noise-limited heavy-ball rule with constants `c1`, `c2` (see the module table):
///
/// ```text
///     beta   = ((√κ − 1)/(√κ + 1))²,  lr_det = c1 · 4/(√L + √mu)²
///     lr(B)  = lr_det / (1 + lr_det · tr / (c2 · B · (1 − beta)))
/// ```
pub fn harmonic(p: &Predictions, c1: f64, c2: f64) -> Method {
    let deterministic = HbRule::deterministic(p.lambda_max, p.lambda_min);
    let beta = deterministic.momentum;
    let lr_det = c1 * deterministic.lr;
    let inv_b = crate::dynamics::noise_weight(p.batch);
    let lr = lr_det / (1.0 + lr_det * p.trace * inv_b / (c2 * (1.0 - beta)));
    Method::Hb { lr, momentum: beta }
}
