//! A task started from a given point: the same data, model and measurements, with the initial
//! model replaced by parameters w0 (laid out as [`crate::params::values`]).
//!
//! The β scans of [`crate::scan`] interpolate once (phase 1 of [`crate::train`]) and start every
//! label-noise run from that interpolating point, instead of repeating phase 1 per run.

use super::{Batch, Data, Loaded, Rng, Task};
use crate::backend::{Backend, Precision};
use crate::error::Result;
use crate::params;
use crate::train::{Interpolation, PhaseOne, interpolate};
use burn::tensor::{Device, Tensor};

/// `task` with the initial model w0 = `start`. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Started<'a, T> {
    task: &'a T,
    start: Vec<f64>,
}

impl<'a, T: Task> Started<'a, T> {
    /// `task` started at the end of its phase 1 under `phase1` on `backend` in `precision`
    /// (mini-batches, if any, from `seed`'s batch stream), with what phase 1 did.
    pub fn interpolated(
        task: &'a T,
        backend: Backend,
        precision: Precision,
        phase1: &Interpolation,
        seed: u64,
    ) -> Result<(Self, PhaseOne)> {
        let device = crate::backend::device(backend, precision)?;
        let loaded = task.load(&device);
        let mut batches = super::rng(seed, super::Stream::Batches);
        let (model, phase_one) = interpolate(task, &loaded, phase1, &mut batches)?;
        Ok((Started { task, start: params::values(&model)? }, phase_one))
    }

    /// w0.
    pub fn start(&self) -> &[f64] {
        &self.start
    }
}

impl<T: Task> Task for Started<'_, T> {
    type Model = T::Model;

    fn name(&self) -> &'static str {
        self.task.name()
    }
    fn config(&self) -> serde_json::Value {
        self.task.config()
    }
    fn data(&self) -> &Data {
        self.task.data()
    }
    /// The task's initial model with its parameters set to w0 (which came from that model, so
    /// the lengths agree).
    fn init(&self, device: &Device) -> T::Model {
        params::with_values(self.task.init(device), &self.start).expect("w0 was read from this task's model")
    }
    fn forward(&self, model: &T::Model, x: Tensor<3>) -> Tensor<3> {
        self.task.forward(model, x)
    }
    fn regulariser_name(&self) -> &'static str {
        self.task.regulariser_name()
    }
    fn regulariser(&self, model: &T::Model, loaded: &Loaded) -> Result<Vec<f64>> {
        self.task.regulariser(model, loaded)
    }
    fn test_error(&self, model: &T::Model, loaded: &Loaded) -> Result<Vec<f64>> {
        self.task.test_error(model, loaded)
    }
    fn load(&self, device: &Device) -> Loaded {
        self.task.load(device)
    }
    fn sample_batch(&self, size: usize, rng: &mut Rng) -> Batch {
        self.task.sample_batch(size, rng)
    }
    fn noisy_labels(&self, batch: &Batch, eps: f64, rng: &mut Rng) -> Vec<f64> {
        self.task.noisy_labels(batch, eps, rng)
    }
    fn batch_losses(&self, model: &T::Model, loaded: &Loaded, batches: &[Batch], labels: &[Vec<f64>]) -> Tensor<1> {
        self.task.batch_losses(model, loaded, batches, labels)
    }
    fn train_loss_tensor(&self, model: &T::Model, loaded: &Loaded) -> Tensor<1> {
        self.task.train_loss_tensor(model, loaded)
    }
    fn train_losses(&self, model: &T::Model, loaded: &Loaded) -> Result<Vec<f64>> {
        self.task.train_losses(model, loaded)
    }
    fn train_loss(&self, model: &T::Model, loaded: &Loaded) -> f64 {
        self.task.train_loss(model, loaded)
    }
}
