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
    let blocks: Vec<Block> = l.iter().map(|&li| Block::new(template, li, inv_batch)).collect();
    let rho_blocks = largest_block_radius(&blocks);
    if inv_batch == 0.0 {
        return Rate { rho: rho_blocks, rho_blocks };
    }
    let secular = |z: f64| {
        let (mut f, mut df) = (0.0, 0.0);
        for (b, &li) in blocks.iter().zip(l) {
            let (p, dp) = b.resolvent(z)?;
            f += li * li * p;
            df += li * li * dp;
        }
        Some((f * inv_batch, df * inv_batch))
    };
    Rate { rho: secular_root(rho_blocks, secular), rho_blocks }
}

/// rho(D) = max_i rho(D_i). A block whose radius is provably below the running maximum m
/// (m > rho(A_i)^2 and k g_i(m) <= 1) costs one evaluation; only the others are solved.
fn largest_block_radius(blocks: &[Block]) -> f64 {
    let n = blocks.len();
    // The extreme curvatures are the usual maximisers: visit them first.
    let order = [0, n - 1].into_iter().chain(1..n.saturating_sub(1));
    let mut max = 0.0f64;
    for i in order {
        let b = &blocks[i];
        let dominated = max > b.r0 && b.k * b.g(max).0 <= 1.0;
        if !dominated {
            max = max.max(b.radius());
        }
    }
    max
}

/// One coordinate's block D_i in closed form.
#[derive(Clone, Copy, Debug)]
struct Block {
    /// k = l^2 / B.
    k: f64,
    /// rho(A)^2, the radius of s -> A s A^T.
    r0: f64,
    /// C(z) = z^3 + q[0] z^2 + q[1] z + q[2].
    q: [f64; 3],
    /// P(z) = n[0] z^2 + n[1] z + n[2].
    n: [f64; 3],
}

impl Block {
    fn new(template: &Template, l: f64, inv_batch: f64) -> Self {
        let m = template.transition(l);
        let (c, a) = (template.c, template.a);
        let t = m[0][0] + m[1][1];
        let delta = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let apply = |v: [f64; 2]| [m[0][0] * v[0] + m[0][1] * v[1], m[1][0] * v[0] + m[1][1] * v[1]];
        let dot = |v: [f64; 2]| a[0] * v[0] + a[1] * v[1];
        let ac = apply(c);
        let (h0, h1, h2) = (dot(c), dot(ac), dot(apply(ac)));
        let e1 = -(t * t - 2.0 * delta);
        let e2 = delta * delta;
        let q = [e1 - delta, e2 - e1 * delta, -e2 * delta];
        let (s0, s1, s2) = (h0 * h0, h1 * h1, h2 * h2);
        let n = [s0, s1 + q[0] * s0, s2 + q[0] * s1 + q[1] * s0];
        let disc = t * t - 4.0 * delta;
        let spectral_radius = if disc >= 0.0 { 0.5 * (t.abs() + disc.sqrt()) } else { delta.abs().sqrt() };
        Block { k: l * l * inv_batch, r0: spectral_radius * spectral_radius, q, n }
    }

    /// (C, C', P, P') at z.
    #[inline]
    fn polys(&self, z: f64) -> (f64, f64, f64, f64) {
        let [q1, q2, q3] = self.q;
        let [n0, n1, n2] = self.n;
        let c = ((z + q1) * z + q2) * z + q3;
        let dc = (3.0 * z + 2.0 * q1) * z + q2;
        let p = (n0 * z + n1) * z + n2;
        let dp = 2.0 * n0 * z + n1;
        (c, dc, p, dp)
    }

    /// g = P / C and g' at z > r0.
    #[inline]
    fn g(&self, z: f64) -> (f64, f64) {
        let (c, dc, p, dp) = self.polys(z);
        (p / c, (dp * c - p * dc) / (c * c))
    }

    /// rho(D_i): the root of k g(z) = 1 above rho(A)^2, or rho(A)^2.
    fn radius(&self) -> f64 {
        if self.k == 0.0 {
            return self.r0;
        }
        secular_root(self.r0, |z| {
            let (g, dg) = self.g(z);
            (g.is_finite() && self.polys(z).0 > 0.0).then_some((self.k * g, self.k * dg))
        })
    }

    /// p = P / chi and p' at z, chi = C - k P; None where chi <= 0 (z not above rho(D_i)).
    #[inline]
    fn resolvent(&self, z: f64) -> Option<(f64, f64)> {
        let (c, dc, p, dp) = self.polys(z);
        let chi = c - self.k * p;
        let dchi = dc - self.k * dp;
        (chi > 0.0 && chi.is_finite()).then(|| (p / chi, (dp * chi - p * dchi) / (chi * chi)))
    }
}

/// The root z > lo of f(z) = 1, for f positive, decreasing and convex on (lo, inf), or `lo`
/// itself when f(lo+) <= 1. `eval` returns (f, f') or None where the evaluation cannot be trusted
/// (just above a pole the solve is near-singular: THEORY.md §4's numerical trap); None and
/// values above 1 both mean "below the root". Bracketed Newton on psi = 1/f - 1, which is close
/// to linear both near a simple pole and far away.
fn secular_root(lo: f64, eval: impl Fn(f64) -> Option<(f64, f64)>) -> f64 {
    let probe = lo + (lo.abs() * 1e-12).max(1e-300);
    if let Some((f, _)) = eval(probe)
        && (0.0..=1.0).contains(&f)
    {
        return lo;
    }
    let below_root = |v: Option<(f64, f64)>| v.is_none_or(|(f, _)| !(f <= 1.0));
    let (mut below, mut above) = (probe, 2.0 * probe + 1e-3);
    while below_root(eval(above)) {
        below = above;
        above = 2.0 * above + 1e-3;
    }
    let mut z = above;
    for _ in 0..200 {
        let next = match eval(z) {
            Some((f, df)) if f > 0.0 && f.is_finite() => {
                if f > 1.0 {
                    below = z;
                } else if f < 1.0 {
                    above = z;
                } else {
                    return z;
                }
                z + (1.0 / f - 1.0) * f * f / df
            }
            _ => {
                below = z;
                f64::NAN
            }
        };
        let next = if next > below && next < above { next } else { 0.5 * (below + above) };
        if (next - z).abs() <= 1e-15 * z.abs() || above - below <= 4.0 * f64::EPSILON * above {
            return next;
        }
        z = next;
    }
    z
}
