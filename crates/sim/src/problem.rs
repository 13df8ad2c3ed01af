//! Quadratic problems in the interpolation regime: every stochastic gradient is
//! g = H_hat (w - w*) with E[H_hat] = H (THEORY.md §2). Engines work in error coordinates e = w - w*.

use crate::Rng;
use crate::sampler::{GaussianBatch, Sampler};
use rand::RngExt;
use rand_distr::StandardNormal;
use theory::Spectrum;

/// A problem the simulator can run a method on.
pub trait Problem: Sync {
    /// Dimension d.
    fn dim(&self) -> usize;
    /// The loss 1/2 e^T H e at error e.
    fn loss(&self, e: &[f64]) -> f64;
    /// A fresh stochastic gradient g = H_hat e; `scratch` has length d.
    fn gradient(&self, e: &[f64], rng: &mut Rng, g: &mut [f64], scratch: &mut [f64]);
    /// The initial error of one run: N(0, I/d), whose second moment is the theory's start.
    fn initial_error(&self, rng: &mut Rng) -> Vec<f64> {
        let sd = (1.0 / self.dim() as f64).sqrt();
        (0..self.dim())
            .map(|_| {
                let z: f64 = rng.sample(StandardNormal);
                sd * z
            })
            .collect()
    }
}

/// Gaussian streaming regression x ~ N(0, H), y = x . w*, fresh samples every step, in the
/// eigenbasis of H: g = H_B e.
#[derive(Clone, Debug)]
pub struct GaussianRegression {
    l: Vec<f64>,
    batch: GaussianBatch,
}

impl GaussianRegression {
    /// The problem for `spectrum` with batch size `batch` >= 1, drawn by `sampler`.
    pub fn new(spectrum: &Spectrum, batch: usize, sampler: Sampler) -> Self {
        assert!(batch >= 1, "batch size must be >= 1");
        let l = spectrum.eigenvalues().to_vec();
        GaussianRegression { batch: GaussianBatch::new(&l, batch, sampler), l }
    }
}

impl Problem for GaussianRegression {
    fn dim(&self) -> usize {
        self.l.len()
    }

    fn loss(&self, e: &[f64]) -> f64 {
        0.5 * self.l.iter().zip(e).map(|(l, x)| l * x * x).sum::<f64>()
    }

    fn gradient(&self, e: &[f64], rng: &mut Rng, g: &mut [f64], scratch: &mut [f64]) {
        self.batch.apply(e, rng, g, scratch);
    }
}
