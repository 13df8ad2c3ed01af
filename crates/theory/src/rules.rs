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
//!
//! `harmonic` is the project's own: its effective step lr/(1 − β) is the harmonic mix
//! 1/(1/x + 1/y) of the deterministic optimum x = lr_det/(1 − β) and the noise limit y = c2 B/tr
//! (the largest effective step SGD's noise allows at batch B, docs/theory.md §5). Its constants
//! were chosen once, on the training spectra named in `experiments/C7.toml`, and frozen.

use crate::error::Result;
use crate::invalid;
use crate::method::Method;
use crate::predict::{HbRule, Predictions};

/// `harmonic`'s fraction of the deterministic optimal step.
pub const HARMONIC_C1: f64 = 0.8;
/// `harmonic`'s noise-limit constant: the effective step is capped near c2 B / tr.
pub const HARMONIC_C2: f64 = 1.0;

/// One named rule.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The name `momlab predict --rule` and the claim C7 know it by.
    pub name: &'static str,
    /// The formula, one line.
    pub formula: &'static str,
    pick: fn(&Predictions) -> Method,
}

impl Rule {
    /// The method this rule picks at the predictions' batch size.
    pub fn method(&self, p: &Predictions) -> Method {
        (self.pick)(p)
    }
}

/// Every rule, in the order the claim reports them.
pub const RULES: [Rule; 4] = [
    Rule { name: "A", formula: "HB, deterministic optimum on [mu, L_B]", pick: |p| p.hb_rule_a.method() },
    Rule { name: "B", formula: "HB, deterministic optimum on [mu, L_B nu_B]", pick: |p| p.hb_rule_b.method() },
    Rule { name: "sp", formula: "accelerated sketch-and-project, step 1/L_B", pick: |p| p.sketch_project() },
    Rule {
        name: "harmonic",
        formula: "HB, deterministic beta; lr/(1-beta) = harmonic mix of the deterministic step and c2 B/tr",
        pick: |p| harmonic(p, HARMONIC_C1, HARMONIC_C2),
    },
];

/// The rule called `name`; an error naming the known rules otherwise.
pub fn rule(name: &str) -> Result<&'static Rule> {
    RULES.iter().find(|r| r.name == name).ok_or_else(|| {
        let known: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        invalid!("unknown rule '{name}' (known: {})", known.join(", "))
    })
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
