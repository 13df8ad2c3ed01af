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

/// The distinct eigenvalues of `spectrum`, their multiplicities and the start N(0, I/d) on them
/// (the eigenvalues are sorted, so equal ones are adjacent: one pass).
fn merged(spectrum: &Spectrum) -> (Vec<f64>, Vec<f64>, Moments) {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for &l in spectrum.eigenvalues() {
        match out.last_mut() {
            Some((v, count)) if *v == l => *count += 1.0,
            _ => out.push((l, 1.0)),
        }
    }
    let start = Moments::from_variances(&vec![1.0 / spectrum.d() as f64; out.len()]);
    let (l, w) = out.into_iter().unzip();
    (l, w, start)
}

/// Coordinates advanced together by the recursion's inner loop (one AVX register of f64).
const LANES: usize = 4;
/// One value per lane.
type Lanes = [f64; LANES];

/// The per-coordinate constants of [`GaussianDynamics`] for [`LANES`] coordinates (padding lanes
/// have l = w = 0, so they stay at zero and add nothing to the sums).
#[derive(Clone, Copy, Debug, Default)]
struct Coefficients {
    /// w_i l_i: the weight of s_i\[0,0\] in 2 E\[loss\] and of p_i in the noise sum.
    wl: Lanes,
    /// l_i^2 / B and l_i / B: the noise injected into coordinate i is
    /// (l_i^2 p_i + l_i sum_j w_j l_j p_j) / B.
    l2_b: Lanes,
    l_b: Lanes,
    /// A_i = M - l_i c a^T, entry by entry.
    a00: Lanes,
    a01: Lanes,
    a10: Lanes,
    a11: Lanes,
}

/// The recursion's state: (s00, s01, s11) of [`LANES`] coordinates.
type Block = [Lanes; 3];

/// The exact E\[loss\] recursion of one method at one batch size on one spectrum.
#[derive(Clone, Debug)]
pub struct GaussianDynamics {
    /// The coordinates in blocks of [`LANES`], the last one padded.
    blocks: Vec<Coefficients>,
    /// Number of (distinct) coordinates.
    d: usize,
    template: Template,
}

impl GaussianDynamics {
    /// The recursion for `method` with batch size `batch` (> 0; infinity = deterministic).
    pub fn new(spectrum: &Spectrum, method: &Method, batch: f64) -> Self {
        let l = spectrum.eigenvalues();
        GaussianDynamics::with_eigenvalues(l, &vec![1.0; l.len()], method, batch)
    }

    /// Eigenvalues `l` with multiplicities `w`.
    fn with_eigenvalues(l: &[f64], w: &[f64], method: &Method, batch: f64) -> Self {
        let template = method.template();
        let inv_batch = noise_weight(batch);
        let padding = template.transition(0.0);
        let mut blocks = vec![Coefficients::default(); l.len().div_ceil(LANES)];
        for (b, block) in blocks.iter_mut().enumerate() {
            for k in 0..LANES {
                let i = b * LANES + k;
                let (li, wi) = if i < l.len() { (l[i], w[i]) } else { (0.0, 0.0) };
                let a = if i < l.len() { template.transition(li) } else { padding };
                block.wl[k] = wi * li;
                block.l2_b[k] = li * li * inv_batch;
                block.l_b[k] = li * inv_batch;
                [[block.a00[k], block.a01[k]], [block.a10[k], block.a11[k]]] = a;
            }
        }
        GaussianDynamics { blocks, d: l.len(), template }
    }

    /// The recursion from the isotropic start N(0, I/d) with equal eigenvalues merged: their
    /// blocks start equal and obey the same update, so one block per distinct eigenvalue,
    /// weighted by its multiplicity in the loss and in the noise sum, is exact (a two-cluster
    /// spectrum of any d costs two blocks per step). Returns the recursion and its start.
    pub fn isotropic(spectrum: &Spectrum, method: &Method, batch: f64) -> (Self, Moments) {
        let (l, w, start) = merged(spectrum);
        (GaussianDynamics::with_eigenvalues(&l, &w, method, batch), start)
    }

    /// `s` in blocks of [`LANES`] coordinates, zero-padded.
    fn pack(&self, s: &Moments) -> Vec<Block> {
        assert_eq!(s.s00.len(), self.d, "one second-moment block per coordinate");
        let mut state = vec![[[0.0; LANES]; 3]; self.blocks.len()];
        for (i, (x, (y, w))) in s.s00.iter().zip(s.s01.iter().zip(&s.s11)).enumerate() {
            let block = &mut state[i / LANES];
            [block[0][i % LANES], block[1][i % LANES], block[2][i % LANES]] = [*x, *y, *w];
        }
        state
    }

    /// (E\[loss\], sum_j w_j l_j p_j) of a packed state.
    fn sums(&self, state: &[Block]) -> (f64, f64) {
        let mut loss = [0.0; LANES];
        let mut noise = [0.0; LANES];
        for (c, s) in self.blocks.iter().zip(state) {
            for k in 0..LANES {
                loss[k] += c.wl[k] * s[0][k];
                noise[k] += c.wl[k] * self.p(s[0][k], s[1][k], s[2][k]);
            }
        }
        (0.5 * total(loss), total(noise))
    }

    /// p = a^T s a of a block (s00, s01, s11).
    #[inline(always)]
    fn p(&self, x: f64, y: f64, w: f64) -> f64 {
        let [a0, a1] = self.template.a;
        a0 * a0 * x + 2.0 * a0 * a1 * y + a1 * a1 * w
    }

    /// One step of the recursion in place, given the noise sum of the current state; returns the
    /// new state's (E\[loss\], noise sum) computed in the same pass. Lane k of every block sums
    /// into its own accumulator and the four are added last, so the result is the same on every
    /// machine whether or not the loop is vectorised.
    #[inline(always)]
    fn advance_in(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        let [c0, c1] = self.template.c;
        let (cc00, cc01, cc11) = (c0 * c0, c0 * c1, c1 * c1);
        let [a0, a1] = self.template.a;
        let (w00, w01, w11) = (a0 * a0, 2.0 * a0 * a1, a1 * a1);
        let mut loss = [0.0; LANES];
        let mut next = [0.0; LANES];
        for (c, s) in self.blocks.iter().zip(state.iter_mut()) {
            let [x, y, w] = *s;
            let q = lanes(|k| c.l2_b[k] * (w00 * x[k] + w01 * y[k] + w11 * w[k]) + c.l_b[k] * noise);
            // (A s) then (A s) A^T.
            let t00 = lanes(|k| c.a00[k] * x[k] + c.a01[k] * y[k]);
            let t01 = lanes(|k| c.a00[k] * y[k] + c.a01[k] * w[k]);
            let t10 = lanes(|k| c.a10[k] * x[k] + c.a11[k] * y[k]);
            let t11 = lanes(|k| c.a10[k] * y[k] + c.a11[k] * w[k]);
            let x = lanes(|k| t00[k] * c.a00[k] + t01[k] * c.a01[k] + cc00 * q[k]);
            let y = lanes(|k| t00[k] * c.a10[k] + t01[k] * c.a11[k] + cc01 * q[k]);
            let w = lanes(|k| t10[k] * c.a10[k] + t11[k] * c.a11[k] + cc11 * q[k]);
            *s = [x, y, w];
            loss = lanes(|k| loss[k] + c.wl[k] * x[k]);
            next = lanes(|k| next[k] + c.wl[k] * (w00 * x[k] + w01 * y[k] + w11 * w[k]));
        }
        (0.5 * total(loss), total(next))
    }

    /// [`Self::advance_in`], compiled for AVX where the CPU has it (no FMA, so the same
    /// operations and the same bits as the baseline build).
    fn advance(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU supports AVX, checked just above.
            return unsafe { self.advance_avx(state, noise) };
        }
        self.advance_in(state, noise)
    }

    /// [`Self::advance_in`] in AVX intrinsics, one block per iteration, each operation the
    /// same as the portable loop's lane by lane (no fused multiply-add).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn advance_avx(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        use simd::{add, load, mul, splat, store};
        let [a0, a1] = self.template.a;
        let [c0, c1] = self.template.c;
        let (w00, w01, w11) = (splat(a0 * a0), splat(2.0 * a0 * a1), splat(a1 * a1));
        let (cc00, cc01, cc11) = (splat(c0 * c0), splat(c0 * c1), splat(c1 * c1));
        let noise = splat(noise);
        let (mut loss, mut next) = (splat(0.0), splat(0.0));
        for (c, s) in self.blocks.iter().zip(state.iter_mut()) {
            let (x, y, w) = (load(&s[0]), load(&s[1]), load(&s[2]));
            let (b00, b01, b10, b11) = (load(&c.a00), load(&c.a01), load(&c.a10), load(&c.a11));
            let p = add(add(mul(w00, x), mul(w01, y)), mul(w11, w));
            let q = add(mul(load(&c.l2_b), p), mul(load(&c.l_b), noise));
            let (t00, t01) = (add(mul(b00, x), mul(b01, y)), add(mul(b00, y), mul(b01, w)));
            let (t10, t11) = (add(mul(b10, x), mul(b11, y)), add(mul(b10, y), mul(b11, w)));
            let x = add(add(mul(t00, b00), mul(t01, b01)), mul(cc00, q));
            let y = add(add(mul(t00, b10), mul(t01, b11)), mul(cc01, q));
            let w = add(add(mul(t10, b10), mul(t11, b11)), mul(cc11, q));
            store(&mut s[0], x);
            store(&mut s[1], y);
            store(&mut s[2], w);
            let wl = load(&c.wl);
            loss = add(loss, mul(wl, x));
            next = add(next, mul(wl, add(add(mul(w00, x), mul(w01, y)), mul(w11, w))));
        }
        let (mut l, mut n) = ([0.0; LANES], [0.0; LANES]);
        store(&mut l, loss);
        store(&mut n, next);
        (0.5 * total(l), total(n))
    }

    /// E\[loss\] = 1/2 sum_i w_i l_i s_i\[0,0\].
    pub fn loss(&self, s: &Moments) -> f64 {
        self.sums(&self.pack(s)).0
    }

    /// E\[loss_t\] for t = 0..=steps. Stops early (shorter vector) once the loss diverges.
    pub fn loss_curve(&self, s: Moments, steps: usize) -> Vec<f64> {
        let mut state = self.pack(&s);
        let (loss0, mut noise) = self.sums(&state);
        curve(loss0, steps, || {
            let loss;
            (loss, noise) = self.advance(&mut state, noise);
            loss
        })
    }

    /// T(eps): the first t <= max_steps with E\[loss_t\] <= eps E\[loss_0\].
    pub fn iterations_to_target(&self, s: Moments, eps: f64, max_steps: usize) -> Hitting {
        let mut state = self.pack(&s);
        let (loss0, mut noise) = self.sums(&state);
        hitting(loss0, eps, max_steps, || {
            let loss;
            (loss, noise) = self.advance(&mut state, noise);
            loss
        })
    }
}

/// Four-lane f64 vectors (AVX) for [`GaussianDynamics::advance_avx`].
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::Lanes;
    use std::arch::x86_64::{__m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_storeu_pd};

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn load(a: &Lanes) -> __m256d {
        // SAFETY: `a` is four contiguous f64; loadu has no alignment requirement.
        unsafe { _mm256_loadu_pd(a.as_ptr()) }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn store(a: &mut Lanes, v: __m256d) {
        // SAFETY: `a` is four contiguous, writable f64.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn splat(x: f64) -> __m256d {
        _mm256_set1_pd(x)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn add(a: __m256d, b: __m256d) -> __m256d {
        _mm256_add_pd(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn mul(a: __m256d, b: __m256d) -> __m256d {
        _mm256_mul_pd(a, b)
    }
}

/// The lanes `f(0), .., f(LANES - 1)`.
#[inline(always)]
fn lanes(f: impl Fn(usize) -> f64) -> Lanes {
    std::array::from_fn(f)
}

/// A run of the recursion from the isotropic start (equal eigenvalues merged, as
/// [`GaussianDynamics::isotropic`]), one step at a time, whose method may change between steps:
/// the exact E\[loss\] of an adaptive rule, which re-picks its parameters from the losses it has
/// seen ([`crate::rules`]).
#[derive(Clone, Debug)]
pub struct Run {
    /// Distinct eigenvalues and their multiplicities, to rebuild the recursion for a new method.
    eigenvalues: Vec<f64>,
    multiplicities: Vec<f64>,
    batch: f64,
    dynamics: GaussianDynamics,
    state: Vec<Block>,
    loss: f64,
    noise: f64,
}

impl Run {
    /// The run of `method` at `batch` on `spectrum`, at step 0.
    pub fn isotropic(spectrum: &Spectrum, method: &Method, batch: f64) -> Self {
        let (eigenvalues, multiplicities, start) = merged(spectrum);
        let dynamics = GaussianDynamics::with_eigenvalues(&eigenvalues, &multiplicities, method, batch);
        let state = dynamics.pack(&start);
        let (loss, noise) = dynamics.sums(&state);
        Run { eigenvalues, multiplicities, batch, dynamics, state, loss, noise }
    }

    /// E\[loss\] now.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// One step; returns the new E\[loss\].
    pub fn step(&mut self) -> f64 {
        (self.loss, self.noise) = self.dynamics.advance(&mut self.state, self.noise);
        self.loss
    }

    /// Continues with `method` from the current second moments (both states keep their values;
    /// the noise sum is recomputed, since p_i = a^T s_i a depends on the method).
    pub fn switch(&mut self, method: &Method) {
        self.dynamics = GaussianDynamics::with_eigenvalues(&self.eigenvalues, &self.multiplicities, method, self.batch);
        (self.loss, self.noise) = self.dynamics.sums(&self.state);
    }
}

/// The lanes' sum in a fixed order.
#[inline(always)]
fn total(v: Lanes) -> f64 {
    (v[0] + v[1]) + (v[2] + v[3])
}

/// E\[loss_t\], t = 0..=steps, of any E\[loss\] recursion: `next()` advances one step and returns
/// E\[loss_t\]. Stops early (shorter vector) once the loss diverges ([`crate::diverged`]).
pub(crate) fn curve(loss0: f64, steps: usize, mut next: impl FnMut() -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(steps + 1);
    out.push(loss0);
    for _ in 0..steps {
        let loss = next();
        out.push(loss);
        if crate::diverged(loss, loss0) {
            break;
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX loop and the portable loop give the same bits, step after step, on a spectrum
    /// whose last block is padded (d = 13), for every family's template.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx_and_portable_loops_agree_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx") {
            return;
        }
        let spectrum: Spectrum = "power:d=13,a=1.3".parse().unwrap();
        let methods = [
            Method::Sgd { lr: 0.7 },
            Method::Hb { lr: 0.3, momentum: 0.8 },
            Method::Nag { lr: 0.3, momentum: 0.8 },
            Method::Asgd { lr: 0.5, long_step: 20.0, xi: 3.0 },
        ];
        for method in methods {
            let dynamics = GaussianDynamics::new(&spectrum, &method, 3.0);
            let blocks: Vec<[f64; 3]> =
                (0..13).map(|i| [1.0 + i as f64, 0.3 * i as f64, 2.0 - 0.1 * i as f64]).collect();
            let mut portable = dynamics.pack(&Moments::from_blocks(&blocks));
            let mut avx = portable.clone();
            let (_, mut noise) = dynamics.sums(&portable);
            for _ in 0..50 {
                let expected = dynamics.advance_in(&mut portable, noise);
                // SAFETY: AVX checked above.
                let got = unsafe { dynamics.advance_avx(&mut avx, noise) };
                assert_eq!(got.0.to_bits(), expected.0.to_bits(), "{method:?}");
                assert_eq!(got.1.to_bits(), expected.1.to_bits(), "{method:?}");
                assert_eq!(avx, portable);
                noise = expected.1;
            }
        }
    }
}
