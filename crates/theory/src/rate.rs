//! Asymptotic rate of E\[loss\] by the secular equation (docs/theory.md §4).
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
//! lambda_2^2 and g(z) = <a a^T, (z - A.A^T)^-1 c c^T> = sum_k h_k^2 z^-(k+1) = P(z) / C(z), C the
//! characteristic polynomial of s -> A s A^T and P a quadratic (h_k^2 obeys the recurrence whose
//! characteristic polynomial is C). A rank-one update gives p = g / (1 - k g) = P / chi with
//! chi = C - k P, the characteristic polynomial of D_i. On z > rho(A)^2, k g is positive and
//! decreasing, so rho(D_i) is the root of k P / C = 1 there, or rho(A)^2 when there is none.
//! Each secular evaluation costs O(1) per coordinate.
//!
//! ### Evaluated around z = 1
//! Slow coordinates have A = I - E with E small, and all three roots of C cluster at 1: the
//! monomial coefficients of C and P then cancel to nothing (C(z) ~ gap^3 < 1e-16 was seen, with
//! ASGD near the identity). So both are written in y = z - 1 with coefficients built only from
//! small quantities: E = I - A = [[m01 + l c0 a0, -m01 + l c0 a1], [-m10 + l c1 a0, m10 + l c1 a1]]
//! (rows of M sum to 1), u = det E = l (a0 + a1)(m01 c1 + m10 c0), v = tr E, and with
//! eps_1, eps_2 the eigenvalues of E:
//!
//! ```text
//!     C = (y^2 + (2v - v^2 + 2u) y + u (4 - 2v + u)) (y + v - u)
//!     P = h0^2 y^2 + (D1 + Q1 h0^2) y + (D2 + Q1 D1 + Q2 h0^2)
//! ```
//!
//! where Q1, Q2 are the y^2 and y coefficients of C, D1 = h1^2 - h0^2 and
//! D2 = h2^2 - 2 h1^2 + h0^2 are computed from d_k = h_{k+1} - h_k (d0 = -a^T E c,
//! d1 - d0 = a^T E^2 c) without subtracting nearly equal numbers.

use crate::dynamics::noise_weight;
use crate::method::{Method, Template};
use crate::spectrum::Spectrum;
use serde::Serialize;

/// Asymptotic per-step contraction of E\[loss\] and the quantities derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rate {
    /// rho: the spectral radius of the second-moment map T.
    pub rho: f64,
    /// rho(D): the part without the coupling through the trace term.
    pub rho_blocks: f64,
}

impl Rate {
    /// rho >= 1: E\[loss\] does not converge.
    pub fn diverged(&self) -> bool {
        self.rho.is_nan() || self.rho >= 1.0
    }

    /// Iterations per e-fold of E\[loss\], 1 / (-ln rho); None when diverged.
    pub fn efold(&self) -> Option<f64> {
        (!self.diverged()).then(|| -1.0 / self.rho.ln())
    }

    /// Asymptotic iterations to reduce E\[loss\] by `eps`: ln(1/eps) / (-ln rho).
    pub fn iterations(&self, eps: f64) -> Option<f64> {
        self.efold().map(|t| t * (1.0 / eps).ln())
    }
}

/// The rate of `method` with batch size `batch` (infinity = deterministic) on `spectrum`.
pub fn rate(spectrum: &Spectrum, method: &Method, batch: f64) -> Rate {
    rate_of(spectrum.eigenvalues(), &method.template(), noise_weight(batch), None)
}

/// [`rate`] with a guess of rho (e.g. the rate of a nearby configuration) where the root search
/// starts; the result is the same to rounding, found in about half the secular evaluations.
pub fn rate_near(spectrum: &Spectrum, method: &Method, batch: f64, guess: f64) -> Rate {
    rate_of(spectrum.eigenvalues(), &method.template(), noise_weight(batch), Some(guess))
}

/// The rate for eigenvalues `l`, a template, noise weight 1/B and an optional starting guess.
fn rate_of(l: &[f64], template: &Template, inv_batch: f64, guess: Option<f64>) -> Rate {
    let blocks = Blocks::new(l, template, inv_batch);
    let rho_blocks = blocks.largest_radius();
    if inv_batch == 0.0 {
        return Rate { rho: rho_blocks, rho_blocks };
    }
    Rate { rho: secular_root(rho_blocks, guess, |z| blocks.secular(z)), rho_blocks }
}

/// Every coordinate's block D_i in closed form (in y = z - 1, see the module documentation),
/// stored column-wise so that the secular sum vectorises.
struct Blocks {
    /// Weight of p_i in the secular sum, k_i = l_i^2 / B.
    w: Vec<f64>,
    /// rho(A_i)^2, the radius of s -> A_i s A_i^T.
    r0: Vec<f64>,
    /// C_i = F_i L_i with F_i(y) = y^2 + f1 y + f0 and L_i(y) = y + e.
    f1: Vec<f64>,
    f0: Vec<f64>,
    e: Vec<f64>,
    /// P_i(y) = n2 y^2 + n1 y + n0.
    n2: Vec<f64>,
    n1: Vec<f64>,
    n0: Vec<f64>,
}

/// One block's coefficients: [f1, f0, e, n2, n1, n0].
type Coefficients = [f64; 6];

/// (C, C', P, P') at z, from the block's coefficients in y = z - 1.
#[inline(always)]
fn polys(k: &Coefficients, z: f64) -> (f64, f64, f64, f64) {
    let [f1, f0, e, n2, n1, n0] = *k;
    let y = z - 1.0;
    let f = (y + f1) * y + f0;
    let l = y + e;
    let p = (n2 * y + n1) * y + n0;
    (f * l, (2.0 * y + f1) * l + f, p, 2.0 * n2 * y + n1)
}

/// The coefficients of C and P of one coordinate, and rho(A)^2.
fn block_coefficients(template: &Template, l: f64) -> (Coefficients, f64) {
    let (m, c, a) = (template.m, template.c, template.a);
    let e = template.deviation(l);
    let apply = |x: [f64; 2]| [e[0][0] * x[0] + e[0][1] * x[1], e[1][0] * x[0] + e[1][1] * x[1]];
    let dot = |x: [f64; 2]| a[0] * x[0] + a[1] * x[1];
    let u = l * (a[0] + a[1]) * (m[0][1] * c[1] + m[1][0] * c[0]);
    let v = m[0][1] + m[1][0] + l * dot(c);
    // h_k and their differences.
    let ec = apply(c);
    let h0 = dot(c);
    let d0 = -dot(ec);
    let dd = dot(apply(ec));
    let d1 = d0 + dd;
    let (h1, h2) = (h0 + d0, h0 + d0 + d1);
    let s0 = h0 * h0;
    let diff1 = d0 * (h0 + h1);
    let diff2 = dd * (h1 + h2) + d0 * (d0 + d1);
    // C = (y^2 + f1 y + f0)(y + e).
    let (f1, f0, off) = (2.0 * v - v * v + 2.0 * u, u * (4.0 - 2.0 * v + u), v - u);
    let (q1, q2) = (f1 + off, f0 + f1 * off);
    // rho(A)^2 from the eigenvalues 1 - eps of A (eps: eigenvalues of E).
    let disc = v * v - 4.0 * u;
    let r0 = if disc >= 0.0 {
        let big = 0.5 * (v + v.signum() * disc.sqrt());
        let small = if big != 0.0 { u / big } else { 0.0 };
        (1.0 - big).abs().max((1.0 - small).abs()).powi(2)
    } else {
        1.0 - off
    };
    ([f1, f0, off, s0, diff1 + q1 * s0, diff2 + q1 * diff1 + q2 * s0], r0)
}

impl Blocks {
    fn new(l: &[f64], template: &Template, inv_batch: f64) -> Self {
        let d = l.len();
        let column = || Vec::with_capacity(d);
        let mut b = Blocks {
            w: column(),
            r0: column(),
            f1: column(),
            f0: column(),
            e: column(),
            n2: column(),
            n1: column(),
            n0: column(),
        };
        for &li in l {
            let ([f1, f0, e, n2, n1, n0], r0) = block_coefficients(template, li);
            b.w.push(li * li * inv_batch);
            b.r0.push(r0);
            b.f1.push(f1);
            b.f0.push(f0);
            b.e.push(e);
            b.n2.push(n2);
            b.n1.push(n1);
            b.n0.push(n0);
        }
        b
    }

    #[inline(always)]
    fn coefficients(&self, i: usize) -> Coefficients {
        [self.f1[i], self.f0[i], self.e[i], self.n2[i], self.n1[i], self.n0[i]]
    }

    /// k g_i(z) = k P_i / C_i and its derivative, for z > r0_i (k = l_i^2 / B = w_i).
    fn block_secular(&self, i: usize, z: f64) -> (f64, f64) {
        let (c, dc, p, dp) = polys(&self.coefficients(i), z);
        let k = self.w[i];
        (k * p / c, k * (dp * c - p * dc) / (c * c))
    }

    /// rho(D_i): the root of k g_i(z) = 1 above rho(A_i)^2, or rho(A_i)^2.
    fn radius(&self, i: usize) -> f64 {
        let r0 = self.r0[i];
        if self.w[i] == 0.0 {
            return r0;
        }
        secular_root(r0, None, |z| {
            let (f, df) = self.block_secular(i, z);
            let c = polys(&self.coefficients(i), z).0;
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
                let (c, dc, p, dp) = polys(&self.coefficients(j), z);
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
/// (just above a pole the solve is near-singular: docs/theory.md §4's numerical trap); None and
/// values above 1 both mean "below the root". The search starts at `guess` when it lies above the
/// pole. Each step solves the osculating model
/// w / (z - lo) + b = 1 (the rational approximation of LAPACK's secular solvers), safeguarded by
/// the bracket.
fn secular_root(lo: f64, guess: Option<f64>, eval: impl Fn(f64) -> Option<(f64, f64)>) -> f64 {
    let probe = lo + (lo.abs() * 1e-12).max(1e-300);
    if let Some((f, _)) = eval(probe)
        && (0.0..=1.0).contains(&f)
    {
        return lo;
    }
    let first_step = 1e-3 * lo.abs().max(1e-3);
    let (mut below, mut above) = (probe, f64::INFINITY);
    let mut z = guess.filter(|&g| g > probe && g.is_finite()).unwrap_or(probe + first_step);
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
        // Converged: the next step is below the resolution of z (it may round onto or just past
        // a bracket end, so test before the safeguard).
        if (proposal - z).abs() <= 4.0 * f64::EPSILON * z.abs() {
            return z;
        }
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
