//! Exact expected dynamics for Gaussian covariates (docs/theory.md §4, the project's own derivation).
//!
//! With x ~ N(0, H), the batch noise N = H_B - H satisfies E[N P N] = (H P H + tr(H P) H) / B.
//! Let s_i be the 2x2 second moment of coordinate i, A_i = M - l_i c a^T and p_i = a^T s_i a:
//!
//! ```text
//!     s_i' = A_i s_i A_i^T + c c^T (l_i^2 p_i + l_i sum_j l_j p_j) / B
//!     E[loss_t] = 1/2 sum_i l_i s_i[0,0]
//! ```
//!
//! Off-diagonal (i != j) moments never feed the diagonal, so this O(d)-per-step recursion is exact
//! for any initial error.

use crate::method::{Method, Template};
use crate::spectrum::Spectrum;

/// 1/B, with B = infinity meaning the deterministic (full-batch) method.
pub fn noise_weight(batch: f64) -> f64 {
    if batch.is_infinite() { 0.0 } else { 1.0 / batch }
}

/// eps E\[loss_0\] for the protocol's start N(0, I/d): E\[loss_0\] = tr(H) / (2d), the level at which
/// T(eps) is read (docs/theory.md §4).
pub fn isotropic_target(spectrum: &Spectrum, eps: f64) -> f64 {
    eps * spectrum.trace() / (2.0 * spectrum.d() as f64)
}

/// The per-coordinate second moments s_i = (s00, s01, s11), stored as three columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    s00: Vec<f64>,
    s01: Vec<f64>,
    s11: Vec<f64>,
}

impl Moments {
    /// Both states at the initial point with E[e_i^2] = `variances[i]` (z2 = z1 = w0).
    pub fn from_variances(variances: &[f64]) -> Self {
        Moments { s00: variances.to_vec(), s01: variances.to_vec(), s11: variances.to_vec() }
    }

    /// The protocol's initial error N(0, I/d) (docs/theory.md §4).
    pub fn isotropic(d: usize) -> Self {
        Moments::from_variances(&vec![1.0 / d as f64; d])
    }

    /// Arbitrary per-coordinate blocks (s00, s01, s11); used to start from any second moment.
    pub fn from_blocks(blocks: &[[f64; 3]]) -> Self {
        Moments {
            s00: blocks.iter().map(|b| b[0]).collect(),
            s01: blocks.iter().map(|b| b[1]).collect(),
            s11: blocks.iter().map(|b| b[2]).collect(),
        }
    }

    /// The block of coordinate i as (s00, s01, s11).
    pub fn block(&self, i: usize) -> [f64; 3] {
        [self.s00[i], self.s01[i], self.s11[i]]
    }
}

/// How a loss curve reached (or failed to reach) a target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hitting {
    /// First step t with E\[loss_t\] <= eps E\[loss_0\].
    Reached(usize),
    /// Still above the target after the step budget.
    NotReached {
        /// E\[loss_T\] / (eps E\[loss_0\]) > 1 at the budget T.
        excess: f64,
    },
    /// E\[loss\] diverged at this step ([`crate::diverged`]: non-finite or above
    /// [`crate::BLOW_UP`] E\[loss_0\]).
    Diverged(usize),
}

impl Hitting {
    /// The step count when the target was reached.
    pub fn reached(self) -> Option<usize> {
        if let Hitting::Reached(t) = self { Some(t) } else { None }
    }
}

/// The exact E\[loss\] recursion of one method at one batch size on one spectrum.
#[derive(Clone, Debug)]
pub struct GaussianDynamics {
    l: Vec<f64>,
    /// Multiplicity of each eigenvalue (1 unless built by [`GaussianDynamics::isotropic`]).
    w: Vec<f64>,
    /// A_i = M - l_i c a^T, entry by entry.
    a00: Vec<f64>,
    a01: Vec<f64>,
    a10: Vec<f64>,
    a11: Vec<f64>,
    template: Template,
    inv_batch: f64,
}

impl GaussianDynamics {
    /// The recursion for `method` with batch size `batch` (> 0; infinity = deterministic).
    pub fn new(spectrum: &Spectrum, method: &Method, batch: f64) -> Self {
        GaussianDynamics::with_eigenvalues(spectrum.eigenvalues().to_vec(), method, batch)
    }

    fn with_eigenvalues(l: Vec<f64>, method: &Method, batch: f64) -> Self {
        let template = method.template();
        let maps: Vec<[[f64; 2]; 2]> = l.iter().map(|&li| template.transition(li)).collect();
        GaussianDynamics {
            a00: maps.iter().map(|m| m[0][0]).collect(),
            a01: maps.iter().map(|m| m[0][1]).collect(),
            a10: maps.iter().map(|m| m[1][0]).collect(),
            a11: maps.iter().map(|m| m[1][1]).collect(),
            w: vec![1.0; l.len()],
            l,
            template,
            inv_batch: noise_weight(batch),
        }
    }

    /// The recursion from the isotropic start N(0, I/d) with equal eigenvalues merged: their
    /// blocks start equal and obey the same update, so one block per distinct eigenvalue,
    /// weighted by its multiplicity in the loss and in the noise sum, is exact (a two-cluster
    /// spectrum of any d costs two blocks per step). Returns the recursion and its start.
    pub fn isotropic(spectrum: &Spectrum, method: &Method, batch: f64) -> (Self, Moments) {
        let d = spectrum.d();
        let mut distinct: Vec<(f64, f64)> = Vec::new();
        // The eigenvalues are sorted, so equal ones are adjacent: one pass.
        for &l in spectrum.eigenvalues() {
            match distinct.last_mut() {
                Some((v, count)) if *v == l => *count += 1.0,
                _ => distinct.push((l, 1.0)),
            }
        }
        let mut dynamics =
            GaussianDynamics::with_eigenvalues(distinct.iter().map(|(l, _)| *l).collect(), method, batch);
        dynamics.w = distinct.iter().map(|(_, count)| *count).collect();
        (dynamics, Moments::from_variances(&vec![1.0 / d as f64; distinct.len()]))
    }

    /// E\[loss\] = 1/2 sum_i w_i l_i s_i\[0,0\].
    pub fn loss(&self, s: &Moments) -> f64 {
        0.5 * self.l.iter().zip(&self.w).zip(&s.s00).map(|((l, w), x)| l * w * x).sum::<f64>()
    }

    /// One step of the recursion, in place.
    pub fn step(&self, s: &mut Moments) {
        let [a0, a1] = self.template.a;
        let [c0, c1] = self.template.c;
        let (w00, w01, w11) = (a0 * a0, 2.0 * a0 * a1, a1 * a1);
        let p = |x: f64, y: f64, w: f64| w00 * x + w01 * y + w11 * w;
        let noise: f64 = (0..self.l.len()).map(|i| self.w[i] * self.l[i] * p(s.s00[i], s.s01[i], s.s11[i])).sum();
        let (cc00, cc01, cc11) = (c0 * c0, c0 * c1, c1 * c1);
        for i in 0..self.l.len() {
            let (x, y, w) = (s.s00[i], s.s01[i], s.s11[i]);
            let li = self.l[i];
            let q = (li * li * p(x, y, w) + li * noise) * self.inv_batch;
            let (b00, b01, b10, b11) = (self.a00[i], self.a01[i], self.a10[i], self.a11[i]);
            // (A s) then (A s) A^T.
            let (t00, t01) = (b00 * x + b01 * y, b00 * y + b01 * w);
            let (t10, t11) = (b10 * x + b11 * y, b10 * y + b11 * w);
            s.s00[i] = t00 * b00 + t01 * b01 + cc00 * q;
            s.s01[i] = t00 * b10 + t01 * b11 + cc01 * q;
            s.s11[i] = t10 * b10 + t11 * b11 + cc11 * q;
        }
    }

    /// E\[loss_t\] for t = 0..=steps. Stops early (shorter vector) once the loss diverges.
    pub fn loss_curve(&self, mut s: Moments, steps: usize) -> Vec<f64> {
        let loss0 = self.loss(&s);
        let mut curve = Vec::with_capacity(steps + 1);
        curve.push(loss0);
        for _ in 0..steps {
            self.step(&mut s);
            let loss = self.loss(&s);
            curve.push(loss);
            if crate::diverged(loss, loss0) {
                break;
            }
        }
        curve
    }

    /// T(eps): the first t <= max_steps with E\[loss_t\] <= eps E\[loss_0\].
    pub fn iterations_to_target(&self, mut s: Moments, eps: f64, max_steps: usize) -> Hitting {
        let loss0 = self.loss(&s);
        hitting(loss0, eps, max_steps, || {
            self.step(&mut s);
            self.loss(&s)
        })
    }
}

/// T(eps) of any E\[loss\] recursion: `next()` advances one step and returns E\[loss_t\]; the first
/// t <= max_steps with E\[loss_t\] <= eps `loss0`, or divergence, or the excess at the budget.
pub(crate) fn hitting(loss0: f64, eps: f64, max_steps: usize, mut next: impl FnMut() -> f64) -> Hitting {
    let target = eps * loss0;
    if loss0 <= target {
        return Hitting::Reached(0);
    }
    let mut loss = loss0;
    for t in 1..=max_steps {
        loss = next();
        if loss <= target {
            return Hitting::Reached(t);
        }
        if crate::diverged(loss, loss0) {
            return Hitting::Diverged(t);
        }
    }
    Hitting::NotReached { excess: loss / target }
}
