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

/// Coordinates advanced together by the recursion's inner loop (one AVX-512 register of f64,
/// two AVX2 ones).
const LANES: usize = 8;
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

    /// (E\[loss\], sum_j w_j l_j p_j) of a packed state, rounded as [`Self::advance_with`] rounds
    /// them.
    fn sums(&self, state: &[Block]) -> (f64, f64) {
        let weights = self.quadratic_weights::<Portable>();
        let (mut loss, mut noise) = (Portable::splat(0.0), Portable::splat(0.0));
        for (c, s) in self.blocks.iter().zip(state) {
            let (x, y, w) = (Portable::load(&s[0]), Portable::load(&s[1]), Portable::load(&s[2]));
            let wl = Portable::load(&c.wl);
            loss = wl.mul_add(x, loss);
            noise = wl.mul_add(quadratic(weights, x, y, w), noise);
        }
        (0.5 * total(loss.0), total(noise.0))
    }

    /// (a0^2, 2 a0 a1, a1^2), the weights of p = a^T s a, in every lane.
    #[inline(always)]
    fn quadratic_weights<V: Vector>(&self) -> [V; 3] {
        let [a0, a1] = self.template.a;
        [V::splat(a0 * a0), V::splat(2.0 * a0 * a1), V::splat(a1 * a1)]
    }

    /// One step of the recursion in place, given the noise sum of the current state; returns the
    /// new state's (E\[loss\], noise sum) computed in the same pass. Lane k of every block sums
    /// into its own accumulator and the eight are added last in a fixed order, and every
    /// multiply-add is fused (one rounding, [`Vector::mul_add`]), so the result is the same bits
    /// on every machine and in every instruction set.
    #[inline(always)]
    fn advance_with<V: Vector>(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        let [c0, c1] = self.template.c;
        let (cc00, cc01, cc11) = (V::splat(c0 * c0), V::splat(c0 * c1), V::splat(c1 * c1));
        let weights = self.quadratic_weights::<V>();
        let noise = V::splat(noise);
        let (mut loss, mut next) = (V::splat(0.0), V::splat(0.0));
        for (c, s) in self.blocks.iter().zip(state.iter_mut()) {
            let (x, y, w) = (V::load(&s[0]), V::load(&s[1]), V::load(&s[2]));
            let (a00, a01, a10, a11) = (V::load(&c.a00), V::load(&c.a01), V::load(&c.a10), V::load(&c.a11));
            // q = (l_i^2 p_i + l_i noise) / B, then s' = (A s) A^T + c c^T q.
            let q = V::load(&c.l2_b).mul_add(quadratic(weights, x, y, w), V::load(&c.l_b).mul(noise));
            let (t00, t01) = (a01.mul_add(y, a00.mul(x)), a01.mul_add(w, a00.mul(y)));
            let (t10, t11) = (a11.mul_add(y, a10.mul(x)), a11.mul_add(w, a10.mul(y)));
            let x = cc00.mul_add(q, t01.mul_add(a01, t00.mul(a00)));
            let y = cc01.mul_add(q, t01.mul_add(a11, t00.mul(a10)));
            let w = cc11.mul_add(q, t11.mul_add(a11, t10.mul(a10)));
            x.store(&mut s[0]);
            y.store(&mut s[1]);
            w.store(&mut s[2]);
            let wl = V::load(&c.wl);
            loss = wl.mul_add(x, loss);
            next = wl.mul_add(quadratic(weights, x, y, w), next);
        }
        let (mut l, mut n) = ([0.0; LANES], [0.0; LANES]);
        loss.store(&mut l);
        next.store(&mut n);
        (0.5 * total(l), total(n))
    }

    /// [`Self::advance_with`] in the widest instruction set the CPU has: AVX-512, AVX2 with FMA,
    /// or the portable lanes (the same bits in each; on a CPU without FMA the portable
    /// `f64::mul_add` is a library call, several times slower).
    fn advance(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        #[cfg(target_arch = "x86_64")]
        match simd::Level::detect() {
            // SAFETY: the CPU has the instruction set, detected just above.
            simd::Level::Avx512 => return unsafe { self.advance_avx512(state, noise) },
            // SAFETY: as above.
            simd::Level::Avx2 => return unsafe { self.advance_avx2(state, noise) },
            simd::Level::None => {}
        }
        self.advance_with::<Portable>(state, noise)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn advance_avx512(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        self.advance_with::<simd::Avx512>(state, noise)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn advance_avx2(&self, state: &mut [Block], noise: f64) -> (f64, f64) {
        self.advance_with::<simd::Avx2>(state, noise)
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

/// p = a^T s a = w00 s00 + w01 s01 + w11 s11 with `weights` (w00, w01, w11), fused.
#[inline(always)]
fn quadratic<V: Vector>([w00, w01, w11]: [V; 3], x: V, y: V, w: V) -> V {
    w11.mul_add(w, w01.mul_add(y, w00.mul(x)))
}

/// [`LANES`] f64 lanes and the operations of the recursion's inner loop on them. Every
/// implementation rounds each lane as the portable one does (IEEE products and sums, and
/// [`Vector::mul_add`] rounded once), so they all give the same bits.
trait Vector: Copy {
    fn splat(x: f64) -> Self;
    fn load(a: &Lanes) -> Self;
    fn store(self, a: &mut Lanes);
    fn mul(self, b: Self) -> Self;
    /// self * b + c, rounded once.
    fn mul_add(self, b: Self, c: Self) -> Self;
}

/// The lanes as an array, in plain Rust (`f64::mul_add` is the fused operation on every target).
#[derive(Clone, Copy)]
struct Portable(Lanes);

impl Vector for Portable {
    #[inline(always)]
    fn splat(x: f64) -> Self {
        Portable([x; LANES])
    }
    #[inline(always)]
    fn load(a: &Lanes) -> Self {
        Portable(*a)
    }
    #[inline(always)]
    fn store(self, a: &mut Lanes) {
        *a = self.0;
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Portable(std::array::from_fn(|k| self.0[k] * b.0[k]))
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Portable(std::array::from_fn(|k| self.0[k].mul_add(b.0[k], c.0[k])))
    }
}

/// The x86-64 vectors: one AVX-512 register or two AVX2 ones. Their methods are only called from
/// functions compiled for the instruction set ([`GaussianDynamics::advance_avx512`],
/// [`GaussianDynamics::advance_avx2`]), into which they are inlined.
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::{LANES, Lanes, Vector};
    use std::arch::x86_64::*;

    /// The widest instruction set the recursion can use on this CPU.
    #[derive(Clone, Copy)]
    pub enum Level {
        Avx512,
        Avx2,
        None,
    }

    impl Level {
        pub fn detect() -> Level {
            if is_x86_feature_detected!("avx512f") {
                Level::Avx512
            } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                Level::Avx2
            } else {
                Level::None
            }
        }
    }

    #[derive(Clone, Copy)]
    pub struct Avx512(__m512d);

    // SAFETY (every block below): the loads and stores touch exactly the LANES contiguous f64 of
    // an array and have no alignment requirement; the functions are called only where the CPU
    // has AVX-512F (see the module docs).
    impl Vector for Avx512 {
        #[inline(always)]
        fn splat(x: f64) -> Self {
            Avx512(unsafe { _mm512_set1_pd(x) })
        }
        #[inline(always)]
        fn load(a: &Lanes) -> Self {
            Avx512(unsafe { _mm512_loadu_pd(a.as_ptr()) })
        }
        #[inline(always)]
        fn store(self, a: &mut Lanes) {
            unsafe { _mm512_storeu_pd(a.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            Avx512(unsafe { _mm512_mul_pd(self.0, b.0) })
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            Avx512(unsafe { _mm512_fmadd_pd(self.0, b.0, c.0) })
        }
    }

    /// Lanes 0..4 and 4..8.
    #[derive(Clone, Copy)]
    pub struct Avx2(__m256d, __m256d);

    const HALF: usize = LANES / 2;

    // SAFETY (every block below): as for Avx512, with AVX2 and FMA.
    impl Vector for Avx2 {
        #[inline(always)]
        fn splat(x: f64) -> Self {
            let v = unsafe { _mm256_set1_pd(x) };
            Avx2(v, v)
        }
        #[inline(always)]
        fn load(a: &Lanes) -> Self {
            unsafe { Avx2(_mm256_loadu_pd(a.as_ptr()), _mm256_loadu_pd(a.as_ptr().add(HALF))) }
        }
        #[inline(always)]
        fn store(self, a: &mut Lanes) {
            unsafe {
                _mm256_storeu_pd(a.as_mut_ptr(), self.0);
                _mm256_storeu_pd(a.as_mut_ptr().add(HALF), self.1);
            }
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            unsafe { Avx2(_mm256_mul_pd(self.0, b.0), _mm256_mul_pd(self.1, b.1)) }
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            unsafe { Avx2(_mm256_fmadd_pd(self.0, b.0, c.0), _mm256_fmadd_pd(self.1, b.1, c.1)) }
        }
    }
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
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
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

    fn bits(state: &[Block]) -> Vec<u64> {
        state.iter().flatten().flatten().map(|x| x.to_bits()).collect()
    }

    /// The AVX-512 and AVX2 loops and the portable loop give the same bits, step after step, on
    /// spectra whose last block is padded (d = 13, 21), for every family's template.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn simd_and_portable_loops_agree_bit_for_bit() {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        let avx512 = is_x86_feature_detected!("avx512f");
        let methods = [
            Method::Sgd { lr: 0.7 },
            Method::Hb { lr: 0.3, momentum: 0.8 },
            Method::Nag { lr: 0.3, momentum: 0.8 },
            Method::Asgd { lr: 0.5, long_step: 20.0, xi: 3.0 },
        ];
        for (d, method) in [13, 21].into_iter().flat_map(|d| methods.map(|m| (d, m))) {
            let spectrum: Spectrum = format!("power:d={d},a=1.3").parse().unwrap();
            let dynamics = GaussianDynamics::new(&spectrum, &method, 3.0);
            let blocks: Vec<[f64; 3]> =
                (0..d).map(|i| [1.0 + i as f64, 0.3 * i as f64, 2.0 - 0.1 * i as f64]).collect();
            let mut portable = dynamics.pack(&Moments::from_blocks(&blocks));
            let (mut wide, mut half) = (portable.clone(), portable.clone());
            let (_, mut noise) = dynamics.sums(&portable);
            for _ in 0..50 {
                let expected = dynamics.advance_with::<Portable>(&mut portable, noise);
                let same = |got: (f64, f64)| {
                    got.0.to_bits() == expected.0.to_bits() && got.1.to_bits() == expected.1.to_bits()
                };
                if avx512 {
                    // SAFETY: AVX-512F detected above.
                    assert!(same(unsafe { dynamics.advance_avx512(&mut wide, noise) }), "{method:?}");
                    assert_eq!(bits(&wide), bits(&portable));
                }
                if avx2 {
                    // SAFETY: AVX2 and FMA detected above.
                    assert!(same(unsafe { dynamics.advance_avx2(&mut half, noise) }), "{method:?}");
                    assert_eq!(bits(&half), bits(&portable));
                }
                noise = expected.1;
            }
        }
    }
}
