//! Gaussian mini-batch gradients H_B y, H_B = (1/B) sum_i x_i x_i^T with x_i ~ N(0, H), in the
//! eigenbasis of H = diag(l) (docs/theory.md §2, §7).

use crate::Rng;
use crate::reduce::dot;
use rand_distr::{ChiSquared, Distribution};
use serde::Serialize;

/// How H_B y is drawn. Both give the same distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampler {
    /// B explicit samples x_i = H^{1/2} z_i: B d normals per step.
    Explicit,
    /// docs/theory.md §7 (project's own derivation): with r = |H^{1/2} y|, u = H^{1/2} y / r,
    /// Q ~ chi-square(B), w ~ N(0, I_d):
    /// H_B y = (r/B) H^{1/2} [Q u + sqrt(Q) (I - u u^T) w]. d normals and one chi-square per step.
    ChiSquare,
}

impl std::str::FromStr for Sampler {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "explicit" => Ok(Sampler::Explicit),
            "chi2" | "chi-square" => Ok(Sampler::ChiSquare),
            other => Err(format!("unknown sampler '{other}' (known: explicit, chi2)")),
        }
    }
}

/// A sampler bound to one spectrum and batch size.
#[derive(Clone, Debug)]
pub struct GaussianBatch {
    sqrt_l: Vec<f64>,
    batch: usize,
    sampler: Sampler,
    chi2: ChiSquared<f64>,
}

impl GaussianBatch {
    /// Draws for eigenvalues `l` (finite, >= 0), batch size `batch` >= 1; an error otherwise.
    pub fn new(l: &[f64], batch: usize, sampler: Sampler) -> theory::Result<Self> {
        if batch == 0 {
            return Err(theory::invalid!("batch size must be >= 1"));
        }
        if let Some(x) = l.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
            return Err(theory::invalid!("eigenvalues must be finite and >= 0, got {x}"));
        }
        let chi2 = ChiSquared::new(batch as f64).map_err(|e| theory::invalid!("chi-square({batch}): {e}"))?;
        Ok(GaussianBatch { sqrt_l: l.iter().map(|x| x.sqrt()).collect(), batch, sampler, chi2 })
    }

    /// g = H_B y for a fresh batch; `scratch` has length d.
    pub fn apply(&self, y: &[f64], rng: &mut Rng, g: &mut [f64], scratch: &mut [f64]) {
        match self.sampler {
            Sampler::Explicit => self.explicit(y, rng, g, scratch),
            Sampler::ChiSquare => self.chi_square(y, rng, g, scratch),
        }
    }

    /// g = H^{1/2} (1/B) sum_b z_b (z_b . w), w = H^{1/2} y, z_b ~ N(0, I): the same as
    /// (1/B) sum_b x_b x_b^T y with x_b = H^{1/2} z_b, with H^{1/2} applied once per step.
    fn explicit(&self, y: &[f64], rng: &mut Rng, g: &mut [f64], z: &mut [f64]) {
        let w: Vec<f64> = self.sqrt_l.iter().zip(y).map(|(s, yi)| s * yi).collect();
        g.fill(0.0);
        for _ in 0..self.batch {
            rng.fill_standard_normal(z);
            let dot = dot(z, &w);
            for (gi, zi) in g.iter_mut().zip(z.iter()) {
                *gi += dot * zi;
            }
        }
        let inv = 1.0 / self.batch as f64;
        for (gi, s) in g.iter_mut().zip(&self.sqrt_l) {
            *gi *= s * inv;
        }
    }

    /// With v = H^{1/2} y, r = |v|, w ~ N(0, I), Q ~ chi-square(B) and p = (w . v)/r:
    /// g = (1/B) H^{1/2} [(Q - sqrt(Q) p) v + sqrt(Q) r w], the form above with u = v/r expanded
    /// so that every loop but the draw vectorises.
    fn chi_square(&self, y: &[f64], rng: &mut Rng, g: &mut [f64], w: &mut [f64]) {
        // g temporarily holds v.
        for ((gi, s), yi) in g.iter_mut().zip(&self.sqrt_l).zip(y) {
            *gi = s * yi;
        }
        let r = dot(g, g).sqrt();
        if r == 0.0 {
            return; // g = 0 already
        }
        rng.fill_standard_normal(w);
        let p = dot(w, g) / r;
        let q = self.chi2.sample(rng);
        let sq = q.sqrt();
        let inv_b = 1.0 / self.batch as f64;
        let (along, across) = ((q - sq * p) * inv_b, sq * r * inv_b);
        for ((gi, wi), s) in g.iter_mut().zip(w.iter()).zip(&self.sqrt_l) {
            *gi = s * (along * *gi + across * wi);
        }
    }
}
