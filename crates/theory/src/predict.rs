//! Closed-form predictions of docs/theory.md §5: effective smoothness, critical and saturation batch
//! sizes, the accelerated (sketch-and-project) rule and the two candidate heavy-ball rules.

use crate::method::Method;
use crate::spectrum::Spectrum;
use serde::Serialize;

/// L_B = L (1 + 1/B) + tr / B: the smoothness of Gaussian mini-batches of size B (infinity = full
/// batch, L_B = L), the largest curvature E[H_B H_B] shows along an eigenvector of H.
pub fn smoothness(l: f64, tr: f64, batch: f64) -> f64 {
    let inv_b = crate::dynamics::noise_weight(batch);
    l * (1.0 + inv_b) + tr * inv_b
}

/// B_sgd = tr / L: the batch size below which SGD's noise term tr/B dominates L_B, its
/// critical batch.
pub fn critical_batch_sgd(tr: f64, l: f64) -> f64 {
    tr / l
}

/// B_hb = tr / sqrt(L mu): heavy ball's critical batch, sqrt(kappa) B_sgd.
pub fn critical_batch_hb(tr: f64, l: f64, mu: f64) -> f64 {
    tr / (l * mu).sqrt()
}

/// B_hb = sqrt(kappa) B_sgd: [`critical_batch_hb`] from a B_sgd and a kappa estimated apart (a
/// network's B_sgd at initialisation, its effective kappa further along the path).
pub fn critical_batch_hb_from_kappa(b_sgd: f64, kappa: f64) -> f64 {
    kappa.sqrt() * b_sgd
}

/// The predicted speed-up of tuned heavy ball over tuned SGD at batch B,
/// T_SGD / T_HB = max(1, min(B / B_sgd, sqrt(kappa))): the ratio of the lower-bound shapes
/// max(tr/(B mu), kappa) / max(tr/(B mu), sqrt(kappa)) of [`Predictions`].
pub fn hb_speedup(batch: f64, b_sgd: f64, kappa: f64) -> f64 {
    (batch / b_sgd).min(kappa.sqrt()).max(1.0)
}

/// Parameters of a heavy-ball rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HbRule {
    /// The step lr = 4 / (sqrt(l) + sqrt(mu))^2.
    pub lr: f64,
    /// The momentum beta = ((sqrt(l/mu) - 1) / (sqrt(l/mu) + 1))^2.
    pub momentum: f64,
}

impl HbRule {
    /// Deterministic optimal tuning for curvature in [mu, l]:
    /// lr = 4 / (sqrt(l) + sqrt(mu))^2, momentum = ((sqrt(l/mu) - 1) / (sqrt(l/mu) + 1))^2.
    pub fn deterministic(l: f64, mu: f64) -> Self {
        let r = (l / mu).sqrt();
        HbRule { lr: 4.0 / (l.sqrt() + mu.sqrt()).powi(2), momentum: ((r - 1.0) / (r + 1.0)).powi(2) }
    }

    /// The heavy-ball method with these parameters.
    pub fn method(&self) -> Method {
        Method::Hb { lr: self.lr, momentum: self.momentum }
    }
}

/// Every closed form for one spectrum and batch size B (infinity = full batch).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Predictions {
    /// The batch size B (infinity = full batch).
    pub batch: f64,
    /// L = lambda_max, the largest curvature.
    pub lambda_max: f64,
    /// mu = lambda_min, the smallest positive curvature.
    pub lambda_min: f64,
    /// tr H = sum_i l_i.
    pub trace: f64,
    /// The dimension d.
    pub d: usize,
    /// L_B = L (1 + 1/B) + tr / B: the Gaussian mini-batch smoothness.
    pub l_b: f64,
    /// eta_B = 1 / L_B: the SGD step.
    pub eta_b: f64,
    /// B_sgd = tr / L.
    pub b_sgd: f64,
    /// B_hb = tr / sqrt(L mu).
    pub b_hb: f64,
    /// mu_B = eta_B mu.
    pub mu_b: f64,
    /// nu_B = 1 + (d + 1) / B, from E[H_B H^-1 H_B] = (1 + (d+1)/B) H.
    pub nu_b: f64,
    /// Predicted per-step gap of the accelerated rule, sqrt(mu_B / nu_B).
    pub accelerated_gap: f64,
    /// Accelerated sketch-and-project (step eta_B): beta = 1 - sqrt(mu_B / nu_B).
    pub sp_beta: f64,
    /// Accelerated sketch-and-project: gamma = sqrt(1 / (mu_B nu_B)).
    pub sp_gamma: f64,
    /// Accelerated sketch-and-project: alpha = 1 / (1 + gamma nu_B).
    pub sp_alpha: f64,
    /// Rule (A): deterministic heavy-ball tuning with smoothness L_B.
    pub hb_rule_a: HbRule,
    /// Rule (B): the same with L_B nu_B.
    pub hb_rule_b: HbRule,
    /// Lower-bound shape of SGD's iterations per e-fold: max(tr / (B mu), kappa).
    pub t_sgd_shape: f64,
    /// Lower-bound shape of heavy ball's: max(tr / (B mu), sqrt(kappa)).
    pub t_hb_shape: f64,
}

impl Predictions {
    /// The closed forms of docs/theory.md §5 for `spectrum` at batch size `batch`.
    pub fn new(spectrum: &Spectrum, batch: f64) -> Self {
        let s = spectrum.summary();
        Predictions::from_constants(s.lambda_max, s.lambda_min, s.trace, s.d, batch)
    }

    /// The closed forms from estimated constants alone: L = `l`, mu, tr and d (a network's
    /// curvature estimates, a finite sum's H), at batch size `batch`.
    pub fn from_constants(l: f64, mu: f64, tr: f64, d: usize, batch: f64) -> Self {
        let inv_b = crate::dynamics::noise_weight(batch);
        let kappa = l / mu;
        let l_b = smoothness(l, tr, batch);
        let eta_b = 1.0 / l_b;
        let mu_b = eta_b * mu;
        let nu_b = 1.0 + (d as f64 + 1.0) * inv_b;
        let gap = (mu_b / nu_b).sqrt();
        let (sp_alpha, sp_beta, sp_gamma) = sketch_project_parameters(gap, nu_b);
        let noise_shape = tr * inv_b / mu;
        Predictions {
            batch,
            lambda_max: l,
            lambda_min: mu,
            trace: tr,
            d,
            l_b,
            eta_b,
            b_sgd: critical_batch_sgd(tr, l),
            b_hb: critical_batch_hb(tr, l, mu),
            mu_b,
            nu_b,
            accelerated_gap: gap,
            sp_beta,
            sp_gamma,
            sp_alpha,
            hb_rule_a: HbRule::deterministic(l_b, mu),
            hb_rule_b: HbRule::deterministic(l_b * nu_b, mu),
            t_sgd_shape: noise_shape.max(kappa),
            t_hb_shape: noise_shape.max(kappa.sqrt()),
        }
    }

    /// The accelerated sketch-and-project method with the closed-form parameters.
    pub fn sketch_project(&self) -> Method {
        Method::Sp { lr: self.eta_b, alpha: self.sp_alpha, beta: self.sp_beta, gamma: self.sp_gamma }
    }

    /// The accelerated sketch-and-project method at step eta_B with the per-step gap `gap` in
    /// place of sqrt(mu_B / nu_B) (the adaptive rule's estimate).
    pub fn sketch_project_with_gap(&self, gap: f64) -> Method {
        let (alpha, beta, gamma) = sketch_project_parameters(gap, self.nu_b);
        Method::Sp { lr: self.eta_b, alpha, beta, gamma }
    }
}

/// (alpha, beta_sp, gamma) of accelerated sketch-and-project for the per-step gap
/// g = sqrt(mu_B / nu_B) (docs/theory.md §5):
///
/// ```text
///     beta_sp = 1 - g,   gamma = sqrt(1 / (mu_B nu_B)) = 1 / (g nu_B),   alpha = 1 / (1 + gamma nu_B) = g / (1 + g)
/// ```
///
/// Its momentum in heavy-ball form is (1 - alpha) beta_sp = (1 - g) / (1 + g).
pub fn sketch_project_parameters(gap: f64, nu_b: f64) -> (f64, f64, f64) {
    (gap / (1.0 + gap), 1.0 - gap, 1.0 / (gap * nu_b))
}
