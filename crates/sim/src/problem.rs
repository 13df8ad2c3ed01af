//! Quadratic problems in the interpolation regime: every stochastic gradient is
//! g = H_hat (w - w*) with E\[H_hat\] = H (docs/theory.md §2). Engines work in error coordinates e = w - w*.

use crate::Rng;
use crate::sampler::{GaussianBatch, Sampler};
use rand::RngExt;
use rand::distr::weighted::WeightedIndex;
use theory::Spectrum;
use theory::finite_sum::{FiniteSum, Sampling};

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
        let mut e = vec![0.0; self.dim()];
        rng.fill_standard_normal(&mut e);
        e.iter_mut().for_each(|x| *x *= sd);
        e
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
    /// The problem for `spectrum` with batch size `batch` >= 1, drawn by `sampler`; an error
    /// for batch 0.
    pub fn new(spectrum: &Spectrum, batch: usize, sampler: Sampler) -> theory::Result<Self> {
        let l = spectrum.eigenvalues().to_vec();
        Ok(GaussianRegression { batch: GaussianBatch::new(&l, batch, sampler)?, l })
    }
}

impl Problem for GaussianRegression {
    fn dim(&self) -> usize {
        self.l.len()
    }

    fn loss(&self, e: &[f64]) -> f64 {
        0.5 * crate::reduce::weighted_square_sum(&self.l, e)
    }

    fn gradient(&self, e: &[f64], rng: &mut Rng, g: &mut [f64], scratch: &mut [f64]) {
        self.batch.apply(e, rng, g, scratch);
    }
}

/// A finite-sum problem (randomized Kaczmarz, coordinate descent; docs/theory.md §2, §6): each step
/// averages B rank-one atoms u_k v_k^T of `theory::finite_sum::FiniteSum`, drawn as that module
/// defines (with replacement from p; without, B distinct uniform atoms weighted n p_k).
#[derive(Clone, Debug)]
pub struct FiniteSumProblem {
    sum: FiniteSum,
    batch: usize,
    sampling: Sampling,
    index: WeightedIndex<f64>,
}

impl FiniteSumProblem {
    /// The problem; fails when the batch cannot be drawn (0, or more atoms than exist without
    /// replacement).
    pub fn new(sum: FiniteSum, batch: usize, sampling: Sampling) -> theory::Result<Self> {
        sum.check_batch(batch, sampling)?;
        let index = WeightedIndex::new(sum.probabilities())
            .map_err(|e| theory::Error::Invalid(format!("atom probabilities: {e}")))?;
        Ok(FiniteSumProblem { sum, batch, sampling, index })
    }

    fn add_atom(&self, k: usize, weight: f64, e: &[f64], g: &mut [f64]) {
        let (u, v) = self.sum.atom(k);
        let scale = weight * crate::reduce::dot(v, e);
        for (gi, ui) in g.iter_mut().zip(u) {
            *gi += scale * ui;
        }
    }
}

impl Problem for FiniteSumProblem {
    fn dim(&self) -> usize {
        self.sum.dim()
    }

    fn loss(&self, e: &[f64]) -> f64 {
        let e = nalgebra::DVectorView::from_slice(e, e.len());
        0.5 * (self.sum.loss_matrix() * e).dot(&e)
    }

    fn gradient(&self, e: &[f64], rng: &mut Rng, g: &mut [f64], _scratch: &mut [f64]) {
        g.fill(0.0);
        match self.sampling {
            Sampling::WithReplacement => {
                for _ in 0..self.batch {
                    let k = rng.sample(&self.index);
                    self.add_atom(k, 1.0, e, g);
                }
            }
            Sampling::WithoutReplacement => {
                let n = self.sum.len();
                for k in rand::seq::index::sample(rng, n, self.batch) {
                    self.add_atom(k, n as f64 * self.sum.probabilities()[k], e, g);
                }
            }
        }
        let inv = 1.0 / self.batch as f64;
        g.iter_mut().for_each(|x| *x *= inv);
    }
}
