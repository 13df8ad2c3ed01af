//! Gaussian mini-batch gradients H_B y, H_B = (1/B) sum_i x_i x_i^T with x_i ~ N(0, H), in the
//! eigenbasis of H = diag(l) (THEORY.md §2, §7).

use crate::Rng;
use rand::RngExt;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use serde::Serialize;

/// How H_B y is drawn. Both give the same distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampler {
    /// B explicit samples x_i = H^{1/2} z_i: B d normals per step.
    Explicit,
    /// THEORY.md §7 (project's own derivation): with r = |H^{1/2} y|, u = H^{1/2} y / r,
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
    /// Draws for eigenvalues `l`, batch size `batch` >= 1.
    pub fn new(l: &[f64], batch: usize, sampler: Sampler) -> Self {
        GaussianBatch {
            sqrt_l: l.iter().map(|x| x.sqrt()).collect(),
            batch,
            sampler,
            chi2: ChiSquared::new(batch as f64).expect("batch >= 1"),
        }
    }

    /// g = H_B y for a fresh batch; `scratch` has length d.
    pub fn apply(&self, y: &[f64], rng: &mut Rng, g: &mut [f64], scratch: &mut [f64]) {
        match self.sampler {
            Sampler::Explicit => self.explicit(y, rng, g, scratch),
            Sampler::ChiSquare => self.chi_square(y, rng, g, scratch),
        }
    }

    fn explicit(&self, y: &[f64], rng: &mut Rng, g: &mut [f64], x: &mut [f64]) {
        g.fill(0.0);
        for _ in 0..self.batch {
            let mut dot = 0.0;
            for ((xi, s), yi) in x.iter_mut().zip(&self.sqrt_l).zip(y) {
                let z: f64 = rng.sample(StandardNormal);
                *xi = s * z;
                dot += *xi * yi;
            }
            for (gi, xi) in g.iter_mut().zip(x.iter()) {
                *gi += dot * xi;
            }
        }
        let inv = 1.0 / self.batch as f64;
        g.iter_mut().for_each(|gi| *gi *= inv);
    }

    fn chi_square(&self, y: &[f64], rng: &mut Rng, g: &mut [f64], w: &mut [f64]) {
        // g temporarily holds v = H^{1/2} y.
        for ((gi, s), yi) in g.iter_mut().zip(&self.sqrt_l).zip(y) {
            *gi = s * yi;
        }
        let r = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if r == 0.0 {
            return; // g = 0 already
        }
        let mut proj = 0.0;
        for (wi, vi) in w.iter_mut().zip(g.iter()) {
            *wi = rng.sample(StandardNormal);
            proj += *wi * vi / r;
        }
        let q = self.chi2.sample(rng);
        let sq = q.sqrt();
        let scale = r / self.batch as f64;
        for ((gi, wi), s) in g.iter_mut().zip(w.iter()).zip(&self.sqrt_l) {
            let u = *gi / r;
            *gi = scale * s * (q * u + sq * (wi - proj * u));
        }
    }
}
