//! Asymptotic rate of E[loss] by the secular equation (THEORY.md §4).
//!
//! The recursion of [`crate::dynamics`] is a linear map T = D + (1/B) u v^T on the 3d numbers
//! (s_i00, s_i01, s_i11), with D block diagonal, D_i(s) = A_i s A_i^T + k_i c c^T (a^T s a),
//! k_i = l_i^2 / B, u_i = l_i c c^T and v^T s = sum_j l_j a^T s_j a. T preserves the PSD cone, so
//! its spectral radius rho is a real eigenvalue, and
//!
//! ```text
//!     rho = max(rho(D), z*),   1 = (1/B) sum_j l_j^2 p_j(z*),   p_j(z) = <a a^T, (z - D_j)^-1 c c^T>
//! ```
//!
//! ## Closed form of the block resolvent (project's own derivation)
//! With h_k = a^T A^k c, the map s -> A s A^T has eigenvalues lambda_1^2, lambda_1 lambda_2,
//! lambda_2^2 and g(z) = <a a^T, (z - A.A^T)^-1 c c^T> = sum_k h_k^2 z^-(k+1) = P(z) / C(z) with
//!
//! ```text
//!     C(z) = (z^2 - (t^2 - 2 delta) z + delta^2)(z - delta) = z^3 + q1 z^2 + q2 z + q3,
//!     P(z) = h0^2 z^2 + (h1^2 + q1 h0^2) z + (h2^2 + q1 h1^2 + q2 h0^2),
//! ```
//!
//! t = tr A, delta = det A (h_k^2 obeys the recurrence whose characteristic polynomial is C).
//! A rank-one update gives p = g / (1 - k g) = P / chi with chi = C - k P, the characteristic
//! polynomial of D_i. On z > rho(A)^2, k g is positive and decreasing, so rho(D_i) is the root of
//! k P / C = 1 there, or rho(A)^2 when there is none. Each secular evaluation costs O(1) per
//! coordinate; the roots are found by a bracketed Newton iteration on 1/f - 1.

use crate::dynamics::noise_weight;
use crate::method::{Method, Template};
use crate::spectrum::Spectrum;
use serde::Serialize;

/// Asymptotic per-step contraction of E[loss] and the quantities derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rate {
    /// rho: the spectral radius of the second-moment map T.
    pub rho: f64,
    /// rho(D): the part without the coupling through the trace term.
    pub rho_blocks: f64,
}

impl Rate {
    /// rho >= 1: E[loss] does not converge.
    pub fn diverged(&self) -> bool {
        !(self.rho < 1.0)
    }

    /// Iterations per e-fold of E[loss], 1 / (-ln rho); None when diverged.
    pub fn efold(&self) -> Option<f64> {
        (!self.diverged()).then(|| -1.0 / self.rho.ln())
    }

    /// Asymptotic iterations to reduce E[loss] by `eps`: ln(1/eps) / (-ln rho).
    pub fn iterations(&self, eps: f64) -> Option<f64> {
        self.efold().map(|t| t * (1.0 / eps).ln())
    }
}

/// The rate of `method` with batch size `batch` (infinity = deterministic) on `spectrum`.
pub fn rate(spectrum: &Spectrum, method: &Method, batch: f64) -> Rate {
    rate_of(spectrum.eigenvalues(), &method.template(), noise_weight(batch))
}

/// The rate for eigenvalues `l`, a template and noise weight 1/B.
pub fn rate_of(l: &[f64], template: &Template, inv_batch: f64) -> Rate {
    let blocks = Blocks::new(l, template, inv_batch);
    let rho_blocks = blocks.largest_radius();
    if inv_batch == 0.0 {
        return Rate { rho: rho_blocks, rho_blocks };
    }
    Rate { rho: secular_root(rho_blocks, |z| blocks.secular(z)), rho_blocks }
}

/// Every coordinate's block D_i in closed form, stored column-wise so that the secular sum
/// vectorises.
struct Blocks {
    /// Weight of p_i in the secular sum, l_i^2 / B.
    w: Vec<f64>,
    /// rho(A_i)^2, the radius of s -> A_i s A_i^T.
    r0: Vec<f64>,
    /// C_i(z) = z^3 + q1 z^2 + q2 z + q3.
    q1: Vec<f64>,
    q2: Vec<f64>,
    q3: Vec<f64>,
    /// P_i(z) = n0 z^2 + n1 z + n2.
    n0: Vec<f64>,
    n1: Vec<f64>,
    n2: Vec<f64>,
}

/// The polynomials of one block at z: (C, C', P, P').
#[inline(always)]
fn polys(q: [f64; 3], n: [f64; 3], z: f64) -> (f64, f64, f64, f64) {
    let c = ((z + q[0]) * z + q[1]) * z + q[2];
    let dc = (3.0 * z + 2.0 * q[0]) * z + q[1];
    let p = (n[0] * z + n[1]) * z + n[2];
    let dp = 2.0 * n[0] * z + n[1];
    (c, dc, p, dp)
}

impl Blocks {
    fn new(l: &[f64], template: &Template, inv_batch: f64) -> Self {
        let d = l.len();
        let mut b = Blocks {
            w: Vec::with_capacity(d),
            r0: Vec::with_capacity(d),
            q1: Vec::with_capacity(d),
            q2: Vec::with_capacity(d),
            q3: Vec::with_capacity(d),
            n0: Vec::with_capacity(d),
            n1: Vec::with_capacity(d),
            n2: Vec::with_capacity(d),
        };
        let (c, a) = (template.c, template.a);
        for &li in l {
            let m = template.transition(li);
            let t = m[0][0] + m[1][1];
            let delta = m[0][0] * m[1][1] - m[0][1] * m[1][0];
            let apply = |v: [f64; 2]| [m[0][0] * v[0] + m[0][1] * v[1], m[1][0] * v[0] + m[1][1] * v[1]];
            let dot = |v: [f64; 2]| a[0] * v[0] + a[1] * v[1];
            let ac = apply(c);
            let (h0, h1, h2) = (dot(c), dot(ac), dot(apply(ac)));
            let e1 = -(t * t - 2.0 * delta);
            let e2 = delta * delta;
            let (q1, q2, q3) = (e1 - delta, e2 - e1 * delta, -e2 * delta);
            let (s0, s1, s2) = (h0 * h0, h1 * h1, h2 * h2);
            let disc = t * t - 4.0 * delta;
            let radius = if disc >= 0.0 { 0.5 * (t.abs() + disc.sqrt()) } else { delta.abs().sqrt() };
            b.w.push(li * li * inv_batch);
            b.r0.push(radius * radius);
            b.q1.push(q1);
            b.q2.push(q2);
            b.q3.push(q3);
            b.n0.push(s0);
            b.n1.push(s1 + q1 * s0);
            b.n2.push(s2 + q1 * s1 + q2 * s0);
        }
        b
    }

    fn q(&self, i: usize) -> [f64; 3] {
        [self.q1[i], self.q2[i], self.q3[i]]
    }

    fn n(&self, i: usize) -> [f64; 3] {
        [self.n0[i], self.n1[i], self.n2[i]]
    }

    /// k g_i(z) = k P_i / C_i and its derivative, for z > r0_i (k = l_i^2 / B = w_i).
    fn block_secular(&self, i: usize, z: f64) -> (f64, f64) {
        let (c, dc, p, dp) = polys(self.q(i), self.n(i), z);
        let k = self.w[i];
        (k * p / c, k * (dp * c - p * dc) / (c * c))
    }

    /// rho(D_i): the root of k g_i(z) = 1 above rho(A_i)^2, or rho(A_i)^2.
    fn radius(&self, i: usize) -> f64 {
        let r0 = self.r0[i];
        if self.w[i] == 0.0 {
            return r0;
        }
        secular_root(r0, |z| {
            let (f, df) = self.block_secular(i, z);
            let c = polys(self.q(i), self.n(i), z).0;
            (f.is_finite() && c > 0.0).then_some((f, df))
        })
    }

    /// rho(D) = max_i rho(D_i). A block whose radius is provably below the running maximum m
    /// (m > rho(A_i)^2 and k g_i(m) <= 1) costs one evaluation; only the others are solved.
    fn largest_radius(&self) -> f64 {
        let n = self.w.len();
        // The extreme curvatures are the usual maximisers: visit them first.
        let order = [0, n - 1].into_iter().chain(1..n.saturating_sub(1));
        let mut max = 0.0f64;
        for i in order {
            let dominated = max > self.r0[i] && self.block_secular(i, max).0 <= 1.0;
            if !dominated {
                max = max.max(self.radius(i));
            }
        }
        max
    }

    /// The secular function f(z) = (1/B) sum_i l_i^2 p_i(z) and f'(z), p_i = P_i / chi_i with
    /// chi_i = C_i - k_i P_i; None where some chi_i <= 0 (z not above rho(D)).
    fn secular(&self, z: f64) -> Option<(f64, f64)> {
        // Four independent partial sums (fixed order, so the result does not depend on anything
        // but the input) let the compiler use SIMD lanes.
        const LANES: usize = 4;
        let (mut f, mut df, mut valid) = ([0.0; LANES], [0.0; LANES], [true; LANES]);
        let d = self.w.len();
        let mut i = 0;
        while i < d {
            for lane in 0..LANES.min(d - i) {
                let j = i + lane;
                let (c, dc, p, dp) = polys(self.q(j), self.n(j), z);
                let k = self.w[j];
                let chi = c - k * p;
                let dchi = dc - k * dp;
                let r = 1.0 / chi;
                let pr = p * r;
                f[lane] += k * pr;
                df[lane] += k * (dp - pr * dchi) * r;
                valid[lane] &= chi > 0.0;
            }
            i += LANES;
        }
        let (f, df) = (f.iter().sum::<f64>(), df.iter().sum::<f64>());
        (valid.iter().all(|&v| v) && f.is_finite() && df.is_finite()).then_some((f, df))
    }
}

/// The root z > lo of f(z) = 1, for f positive, decreasing and convex on (lo, inf), or `lo`
/// itself when f(lo+) <= 1. `eval` returns (f, f') or None where the evaluation cannot be trusted
/// (just above a pole the solve is near-singular: THEORY.md §4's numerical trap); None and
/// values above 1 both mean "below the root". Each step solves the osculating model
/// w / (z - lo) + b = 1 (the rational approximation of LAPACK's secular solvers), safeguarded by
/// the bracket.
fn secular_root(lo: f64, eval: impl Fn(f64) -> Option<(f64, f64)>) -> f64 {
    let probe = lo + (lo.abs() * 1e-12).max(1e-300);
    if let Some((f, _)) = eval(probe)
        && (0.0..=1.0).contains(&f)
    {
        return lo;
    }
    let first_step = 1e-3 * lo.abs().max(1e-3);
    let (mut below, mut above) = (probe, f64::INFINITY);
    let mut z = probe + first_step;
    for _ in 0..300 {
        let proposal = match eval(z) {
            Some((f, df)) if f > 0.0 && f.is_finite() => {
                if f > 1.0 {
                    below = z;
                } else if f < 1.0 {
                    above = z;
                } else {
                    return z;
                }
                // Osculating pole model f ~ w / (z - lo) + b (value and slope matched at z),
                // exact when the nearest pole dominates; else Newton on 1/f - 1.
                let gap = z - lo;
                let w = -df * gap * gap;
                let b = f - w / gap;
                if w > 0.0 && b < 1.0 { lo + w / (1.0 - b) } else { z + (1.0 / f - 1.0) * f * f / df }
            }
            _ => {
                below = z;
                f64::NAN
            }
        };
        let next = if proposal > below && proposal < above {
            proposal
        } else if above.is_finite() {
            0.5 * (below + above)
        } else {
            lo + 4.0 * (below - lo) + first_step // no upper bracket yet: expand
        };
        if (next - z).abs() <= 1e-15 * z.abs() || (above.is_finite() && above - below <= 4.0 * f64::EPSILON * above) {
            return next;
        }
        z = next;
    }
    z
}
