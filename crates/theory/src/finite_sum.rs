//! Finite-sum quadratics in the interpolation regime (docs/theory.md §2, §6): one draw is the rank-one
//! matrix H_hat = u_k v_k^T with probability p_k, a mini-batch averages B draws, and the exact
//! expected dynamics keep the full 2d x 2d second moment, O(n d^2) per step in the eigenbasis of
//! H (which is symmetric for both problems below).
//!
//! - Randomized Kaczmarz on A w = b: u_k = v_k = a_k / |a_k|, p_k = |a_k|^2 / |A|_F^2, so
//!   H = A^T A / |A|_F^2 and the loss is 1/2 e^T H e.
//! - Coordinate descent on a PSD system A w = b: u_k = d e_k, v_k = A^T e_k, p_k = 1/d, so H = A
//!   and the loss is 1/2 e^T A e.
//!
//! Sampling with replacement draws B indices from p. Without replacement draws B distinct
//! indices uniformly and weights atom k by n p_k, so that E\[H_hat\] = H still; docs/theory.md §6's
//! finite-population factor (n - B)/(n - 1) is exact for that uniform design (for Kaczmarz rows
//! of unequal norm it is not exact for non-uniform successive sampling, hence this definition).
//!
//! ```text
//!     E[H_B P H_B^T] = H P H^T + (E_1 - H P H^T) / B            (with replacement)
//!                    = H P H^T + (E_1' - H P H^T) / B (n-B)/(n-1) (without)
//!     E_1 = sum_k p_k (v_k^T P v_k) u_k u_k^T,  E_1' = sum_k n p_k^2 (v_k^T P v_k) u_k u_k^T
//! ```

use crate::error::Result;
use crate::invalid;
use crate::method::Method;
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// How a mini-batch of B atoms is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// B independent draws from p.
    WithReplacement,
    /// B distinct atoms chosen uniformly, atom k weighted n p_k.
    WithoutReplacement,
}

/// A finite sum of rank-one atoms u_k v_k^T with probabilities p_k.
#[derive(Clone, Debug)]
pub struct FiniteSum {
    /// u_k as column k (d x n).
    u: DMatrix<f64>,
    /// v_k as column k (d x n).
    v: DMatrix<f64>,
    p: Vec<f64>,
    h: DMatrix<f64>,
    loss: DMatrix<f64>,
    /// The same sum in the eigenbasis of H, where the exact recursion runs.
    frame: Eigenframe,
}

/// The sum in an orthonormal eigenbasis Q of the symmetric H = Q diag(h) Q^T: atoms Q^T u_k,
/// Q^T v_k and loss matrix Q^T L Q. The second-moment recursion in these coordinates is the
/// same map (`second_moment`) with its products by H diagonal, and gives the same E\[loss\].
#[derive(Clone, Debug)]
struct Eigenframe {
    q: DMatrix<f64>,
    h: Vec<f64>,
    /// Q^T u_k as column k (d x n), and its transpose (n x d).
    u: DMatrix<f64>,
    u_t: DMatrix<f64>,
    /// Q^T v_k as column k (d x n).
    v: DMatrix<f64>,
    loss: DMatrix<f64>,
}

impl Eigenframe {
    fn new(u: &DMatrix<f64>, v: &DMatrix<f64>, h: &DMatrix<f64>, loss: &DMatrix<f64>) -> Self {
        let eigen = nalgebra::SymmetricEigen::new((h + h.transpose()) * 0.5);
        let q = eigen.eigenvectors;
        let u = q.tr_mul(u);
        Eigenframe {
            h: eigen.eigenvalues.iter().copied().collect(),
            u_t: u.transpose(),
            u,
            v: q.tr_mul(v),
            loss: q.tr_mul(loss) * &q,
            q,
        }
    }

    /// A symmetric 2d x 2d second moment with every d-block rotated: (I (x) Q)^T Sigma (I (x) Q),
    /// exactly symmetric as the map needs (the diagonal blocks averaged with their transposes,
    /// the (2, 1) block the transpose of the (1, 2) one).
    fn rotate(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        let d = self.q.nrows();
        let rotated = |i: usize, j: usize| self.q.tr_mul(&sigma.view((i * d, j * d), (d, d))) * &self.q;
        let mut out = DMatrix::zeros(2 * d, 2 * d);
        for i in 0..2 {
            let block = rotated(i, i);
            out.view_mut((i * d, i * d), (d, d)).copy_from(&((&block + block.transpose()) * 0.5));
        }
        let off = rotated(0, 1);
        out.view_mut((0, d), (d, d)).copy_from(&off);
        out.view_mut((d, 0), (d, d)).tr_copy_from(&off);
        out
    }
}

impl FiniteSum {
    /// Randomized Kaczmarz on the rows of `a` (n x d, no zero row).
    pub fn kaczmarz(a: &DMatrix<f64>) -> Result<Self> {
        let frob = a.norm_squared();
        let mut u = a.transpose();
        if let Some(k) = u.column_iter().position(|r| !(r.norm() > 0.0 && r.norm().is_finite())) {
            return Err(invalid!("row {} of the system is zero or not finite", k + 1));
        }
        let p = u.column_iter().map(|r| r.norm_squared() / frob).collect();
        u.column_iter_mut().for_each(|mut r| {
            r.normalize_mut();
        });
        let h = a.tr_mul(a) / frob;
        Ok(FiniteSum::new(u.clone(), u, p, h.clone(), h))
    }

    /// Coordinate descent on the symmetric positive semi-definite `a` (d x d).
    pub fn coordinate_descent(a: &DMatrix<f64>) -> Result<Self> {
        let d = a.nrows();
        if d == 0 || a.ncols() != d || (a - a.transpose()).amax() > 1e-12 * a.amax() {
            return Err(invalid!("coordinate descent needs a non-empty symmetric matrix"));
        }
        let u = DMatrix::from_diagonal_element(d, d, d as f64);
        Ok(FiniteSum::new(u, a.transpose(), vec![1.0 / d as f64; d], a.clone(), a.clone()))
    }

    fn new(u: DMatrix<f64>, v: DMatrix<f64>, p: Vec<f64>, h: DMatrix<f64>, loss: DMatrix<f64>) -> Self {
        let frame = Eigenframe::new(&u, &v, &h, &loss);
        FiniteSum { u, v, p, h, loss, frame }
    }

    /// A random consistent system A = U diag(s) V^T (n x d, n >= d) whose A^T A has eigenvalues
    /// `spectrum` (s_i = sqrt(l_i)); U and V are Haar-orthogonal from the seeded PCG stream.
    pub fn random_system(n: usize, spectrum: &crate::Spectrum, seed: u64) -> Result<DMatrix<f64>> {
        let d = spectrum.d();
        if n < d {
            return Err(invalid!("a consistent system needs n >= d rows, got n = {n}, d = {d}"));
        }
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let u = gaussian_matrix(n, d, &mut rng).qr().q();
        let v = gaussian_matrix(d, d, &mut rng).qr().q();
        let s = DMatrix::from_diagonal(&DVector::from_iterator(d, spectrum.eigenvalues().iter().map(|l| l.sqrt())));
        Ok(u * s * v.transpose())
    }

    /// A random symmetric positive definite matrix Q diag(l) Q^T with the given eigenvalues.
    pub fn random_psd(spectrum: &crate::Spectrum, seed: u64) -> DMatrix<f64> {
        let d = spectrum.d();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let q = gaussian_matrix(d, d, &mut rng).qr().q();
        let l = DMatrix::from_diagonal(&DVector::from_row_slice(spectrum.eigenvalues()));
        &q * l * q.transpose()
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.h.nrows()
    }
    /// Number of atoms n.
    pub fn len(&self) -> usize {
        self.p.len()
    }
    /// Always false: a finite sum has at least one atom.
    pub fn is_empty(&self) -> bool {
        self.p.is_empty()
    }
    /// Atom k as (u_k, v_k).
    pub fn atom(&self, k: usize) -> (&[f64], &[f64]) {
        let d = self.dim();
        (&self.u.as_slice()[k * d..(k + 1) * d], &self.v.as_slice()[k * d..(k + 1) * d])
    }
    /// The probabilities p_k.
    pub fn probabilities(&self) -> &[f64] {
        &self.p
    }
    /// H = E\[H_hat\].
    pub fn hessian(&self) -> &DMatrix<f64> {
        &self.h
    }
    /// The loss is 1/2 e^T L e with this L.
    pub fn loss_matrix(&self) -> &DMatrix<f64> {
        &self.loss
    }

    /// Checks that a batch of `batch` atoms can be drawn.
    pub fn check_batch(&self, batch: usize, sampling: Sampling) -> Result<()> {
        if batch == 0 {
            return Err(invalid!("batch size must be >= 1"));
        }
        if sampling == Sampling::WithoutReplacement && batch > self.len() {
            return Err(invalid!(
                "batch {batch} is larger than the {} atoms available without replacement",
                self.len()
            ));
        }
        Ok(())
    }

    /// E[H_B P H_B^T] for a batch of `batch` atoms, in the eigenframe (P and the result in its
    /// coordinates, H = diag(h)).
    fn fourth_moment(&self, p: &DMatrix<f64>, batch: usize, sampling: Sampling) -> DMatrix<f64> {
        let frame = &self.frame;
        // single = U diag(w_k v_k^T P v_k) U^T, as two d x d x n products.
        let pv = p * &frame.v;
        let mut scaled = frame.u.clone();
        for (k, mut col) in scaled.column_iter_mut().enumerate() {
            col *= self.weight(k, sampling) * frame.v.column(k).dot(&pv.column(k));
        }
        let hph = DMatrix::from_fn(p.nrows(), p.ncols(), |r, c| frame.h[r] * p[(r, c)] * frame.h[c]);
        self.batch_average(hph, scaled * &frame.u_t, batch, sampling)
    }

    /// E[H_B^T H_B] = H^T H + (sum_k w_k |u_k|^2 v_k v_k^T - H^T H) f(B): what |e - lr H_B e|^2
    /// sees, so lambda_max(E[H_B^T H_B]) / L is the batch's effective smoothness L_B.
    pub fn gram(&self, batch: usize, sampling: Sampling) -> DMatrix<f64> {
        let mut scaled = self.v.clone();
        for (k, mut col) in scaled.column_iter_mut().enumerate() {
            col *= self.weight(k, sampling) * self.u.column(k).norm_squared();
        }
        let hth = self.h.transpose() * &self.h;
        self.batch_average(hth, scaled * self.v.transpose(), batch, sampling)
    }

    /// L_B = lambda_max(E[H_B^T H_B]) / L, L = lambda_max(H): the finite-sum analogue of the
    /// Gaussian mini-batch smoothness ([`crate::predict::smoothness`]; docs/theory.md §6, §9.3).
    pub fn smoothness(&self, batch: usize, sampling: Sampling) -> Result<f64> {
        let (l, gram) = self.extreme_curvatures(batch, sampling)?;
        Ok(gram / l)
    }

    /// eta_B = 1 / L_B = L / lambda_max(E[H_B^T H_B]): the step at which the mean squared update
    /// |lr H_B e|^2 is at most the deterministic one's at lr = 1/L ([`FiniteSum::smoothness`],
    /// computed as this quotient so that no reciprocal is rounded twice).
    pub fn step(&self, batch: usize, sampling: Sampling) -> Result<f64> {
        let (l, gram) = self.extreme_curvatures(batch, sampling)?;
        Ok(l / gram)
    }

    /// (lambda_max(H), lambda_max(E[H_B^T H_B])).
    fn extreme_curvatures(&self, batch: usize, sampling: Sampling) -> Result<(f64, f64)> {
        self.check_batch(batch, sampling)?;
        let gram = crate::Spectrum::from_symmetric_psd(self.gram(batch, sampling))?.lambda_max();
        Ok((self.spectrum()?.lambda_max(), gram))
    }

    /// Weight of atom k in a single-draw moment: p_k with replacement, n p_k^2 without.
    fn weight(&self, k: usize, sampling: Sampling) -> f64 {
        match sampling {
            Sampling::WithReplacement => self.p[k],
            Sampling::WithoutReplacement => self.len() as f64 * self.p[k] * self.p[k],
        }
    }

    /// The batch moment mean + (single - mean) f(B), f = 1/B with replacement and
    /// (n - B)/((n - 1) B) without (module documentation).
    fn batch_average(
        &self,
        mean: DMatrix<f64>,
        single: DMatrix<f64>,
        batch: usize,
        sampling: Sampling,
    ) -> DMatrix<f64> {
        let n = self.len() as f64;
        let factor = match sampling {
            Sampling::WithReplacement => 1.0 / batch as f64,
            Sampling::WithoutReplacement if n > 1.0 => (n - batch as f64) / ((n - 1.0) * batch as f64),
            Sampling::WithoutReplacement => 0.0,
        };
        &mean + (single - &mean) * factor
    }

    /// E\[loss_t\], t = 0..=steps, from the 2d x 2d second moment `sigma0` of z = (z1, z2).
    pub fn loss_curve(
        &self,
        method: &Method,
        batch: usize,
        sampling: Sampling,
        sigma0: &DMatrix<f64>,
        steps: usize,
    ) -> Result<Vec<f64>> {
        self.check_batch(batch, sampling)?;
        let fourth = |p: &DMatrix<f64>| self.fourth_moment(p, batch, sampling);
        let (frame, start) = (&self.frame, self.frame.rotate(sigma0));
        Ok(crate::second_moment::loss_curve(&method.template(), &frame.h, &frame.loss, fourth, &start, steps))
    }
}

impl FiniteSum {
    /// T(eps) of the exact recursion from the second moment `sigma0`: the first t <= max_steps
    /// with E\[loss_t\] <= eps E\[loss_0\] (stops there, so its cost is proportional to T).
    pub fn iterations_to_target(
        &self,
        method: &Method,
        batch: usize,
        sampling: Sampling,
        sigma0: &DMatrix<f64>,
        target: crate::Target,
    ) -> Result<crate::Hitting> {
        self.check_batch(batch, sampling)?;
        let fourth = |p: &DMatrix<f64>| self.fourth_moment(p, batch, sampling);
        let (frame, start) = (&self.frame, self.frame.rotate(sigma0));
        Ok(crate::second_moment::iterations_to_target(
            &method.template(),
            &frame.h,
            &frame.loss,
            fourth,
            &start,
            target.eps,
            target.max_steps,
        ))
    }

    /// The asymptotic per-step rate of E\[loss\]: the spectral radius of the second-moment map, by
    /// restarted Arnoldi (relative Ritz residual 1e-10; `arnoldi`).
    pub fn rate(&self, method: &Method, batch: usize, sampling: Sampling) -> Result<f64> {
        self.check_batch(batch, sampling)?;
        let map = crate::second_moment::SecondMomentMap::new(&method.template(), &self.frame.h, |p: &DMatrix<f64>| {
            self.fourth_moment(p, batch, sampling)
        });
        Ok(map.spectral_radius(1e-10))
    }
}

/// An r x c matrix of independent N(0, 1) draws.
fn gaussian_matrix(r: usize, c: usize, rng: &mut rand_pcg::Pcg64Mcg) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |_, _| StandardNormal.sample(rng))
}

/// The second moment of z = (e, e) for e ~ N(0, I/d): [[I, I], [I, I]] / d.
pub fn isotropic_start(d: usize) -> DMatrix<f64> {
    DMatrix::from_fn(2 * d, 2 * d, |i, j| if i % d == j % d { 1.0 / d as f64 } else { 0.0 })
}
