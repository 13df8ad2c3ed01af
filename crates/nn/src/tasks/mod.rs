//! Regression tasks for the label-noise experiments of docs/theory.md §8 (paper 3 of §1).
//!
//! Every task is a data set of rows x_i (inputs, n x p) with labels y_i, generated
//! deterministically from a seed (f64, `rand_pcg` and `rand_distr`, no download), and a model f
//! whose loss on a batch S of |S| = B rows with labels y~ is the half mean squared error
//!
//! ```text
//!     L_S(w) = 1/(2B) sum_{i in S} (f_w(x_i) - y~_i)^2
//! ```
//!
//! Label-noise training (§8) replaces the labels of every step by y~_i = y_i + eps xi_i with
//! xi_i ~ N(0, 1) drawn afresh at every step ([`Batch::noisy_labels`]); the train loss that is
//! reported is always the noise-free full-data L(w) ([`Task::train_loss`]).
//!
//! - [`matrix_sensing`]: X* = U* U*^T of rank r, y_k = <A_k, X*>, model U U^T with U in
//!   R^{d x r'}, r' > r; regulariser ||U||_F^2, test error ||UU^T - X*||_F / ||X*||_F.
//! - [`teacher_student`]: labels from a fixed random teacher MLP, a wider student MLP.
//! - [`diabetes`]: the diabetes data set shipped inside the `linfa-datasets` package,
//!   standardised, trained as an MLP regression.
//!
//! The MLP tasks measure the implicit regulariser of label noise, the Gauss–Newton trace
//! 1/n sum_i |∇_w f(x_i)|^2 (= tr(∇²L) at interpolation), exactly ([`mlp::MlpRegression`]).
//!
//! Replicas: a task's model holds R independent replicas of its parameters, stacked along a
//! leading axis (replica r is slice r of every parameter; [`crate::params`]), so R runs with
//! their own learning rates, momenta, mini-batches and label noise are one tensor program
//! (batched matrix products; Burn has no vmap). [`Task::init`] gives R = 1; inputs are
//! [R, rows, p] (or [1, rows, p], shared by all replicas) and predictions [R, rows, 1]. Every
//! loss and measurement is per replica, and a replica's numbers do not depend on the others.

pub mod diabetes;
pub mod matrix_sensing;
pub mod mlp;
pub mod started;
pub mod teacher_student;

use crate::error::{Error, Result};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// A task's size, known from its configuration before it is built (the CLI's resource
/// estimates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    /// Trainable parameters.
    pub parameters: usize,
    /// Train rows.
    pub rows: usize,
    /// The model's layer widths, input first (the work per row).
    pub widths: Vec<usize>,
}

impl Size {
    /// An MLP with layer widths `widths` on `rows` train rows.
    pub fn mlp(widths: Vec<usize>, rows: usize) -> Size {
        Size { parameters: mlp::parameters(&widths), rows, widths }
    }
}

pub use diabetes::{Diabetes, DiabetesConfig};
pub use matrix_sensing::{MatrixSensing, MatrixSensingConfig, Sensing};
pub use mlp::{Mlp, MlpWeights};
pub use started::Started;
pub use teacher_student::{TeacherStudent, TeacherStudentConfig};

/// The random number generator of the nn crate (PCG 128/64).
pub type Rng = rand_pcg::Pcg64;

/// The independent random streams of one seed, so that e.g. changing the label-noise level does
/// not change the mini-batches drawn (common random numbers across runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Data generation (ground truth, inputs, measurements, train/test split).
    Data,
    /// The model's initial parameters.
    Init,
    /// Mini-batch draws.
    Batches,
    /// Label noise.
    Noise,
    /// Random probe vectors (Hutchinson, power iteration, Lanczos).
    Probes,
}

/// The generator of `stream` for `seed`.
pub fn rng(seed: u64, stream: Stream) -> Rng {
    let tag: u64 = match stream {
        Stream::Data => 1,
        Stream::Init => 2,
        Stream::Batches => 3,
        Stream::Noise => 4,
        Stream::Probes => 5,
    };
    // seed_from_u64 runs its argument through a PCG32 expander, so nearby inputs give unrelated
    // states; the odd multiplier keeps (seed, stream) pairs apart.
    Rng::seed_from_u64(seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// `len` draws of N(0, 1).
pub fn gaussian(rng: &mut Rng, len: usize) -> Vec<f64> {
    (0..len).map(|_| StandardNormal.sample(rng)).collect()
}

/// Rows of a data set in f64: `x` is `rows x cols`, row-major; `y` has one label per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    /// Checks the lengths.
    pub fn new(x: Vec<f64>, y: Vec<f64>, rows: usize, cols: usize) -> Result<Self> {
        if x.len() != rows * cols || y.len() != rows {
            return Err(Error::Invalid(format!(
                "a split of {rows} rows x {cols} columns needs {} inputs and {rows} labels, got {} and {}",
                rows * cols,
                x.len(),
                y.len()
            )));
        }
        Ok(Split { x, y, rows, cols })
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.cols..(i + 1) * self.cols]
    }

    /// The inputs as a `1 x rows x cols` tensor on `device` (shared by all replicas).
    pub fn inputs(&self, device: &Device) -> Tensor<3> {
        Tensor::from_data(TensorData::new(self.x.clone(), [1, self.rows, self.cols]), device)
    }

    /// The labels as a `1 x rows x 1` tensor on `device`.
    pub fn labels(&self, device: &Device) -> Tensor<3> {
        columns(std::slice::from_ref(&self.y), device)
    }
}

/// The train and test rows of a task (the test split may be empty).
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    pub train: Split,
    pub test: Split,
}

/// A task's rows on a device, built once per run by [`Task::load`].
#[derive(Clone, Debug)]
pub struct Loaded {
    pub device: Device,
    /// Train inputs, 1 x n x p.
    pub x_train: Tensor<3>,
    /// Noise-free train labels, 1 x n x 1.
    pub y_train: Tensor<3>,
    /// Test inputs and labels (1 x rows x p, 1 x rows x 1), when the task has a test split.
    pub test: Option<(Tensor<3>, Tensor<3>)>,
}

/// A mini-batch: the train rows drawn and their noise-free labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub rows: Vec<usize>,
    pub labels: Vec<f64>,
}

impl Batch {
    /// The labels y + eps xi with xi ~ N(0, I) fresh from `rng` (docs/theory.md §8). Each call draws
    /// new noise, so calling it once per step gives label-noise SGD; eps = 0 returns the clean
    /// labels and consumes nothing from `rng`.
    pub fn noisy_labels(&self, eps: f64, rng: &mut Rng) -> Vec<f64> {
        if eps == 0.0 {
            return self.labels.clone();
        }
        self.labels
            .iter()
            .map(|y| {
                let xi: f64 = StandardNormal.sample(rng);
                y + eps * xi
            })
            .collect()
    }
}

/// A regression task: data, model, and the measurements of §8 (train loss, implicit
/// regulariser, test error). See the [module docs](self).
pub trait Task {
    /// The trainable model: R replicas, every parameter with a leading axis of length R.
    type Model: Module;

    /// Short name ("matrix_sensing", "teacher_student", "diabetes").
    fn name(&self) -> &'static str;
    /// The task's parameters, for a run's record.
    fn config(&self) -> serde_json::Value;
    /// The rows, in f64.
    fn data(&self) -> &Data;
    /// The initial model on `device` (R = 1), deterministic from the task's seed.
    fn init(&self, device: &Device) -> Self::Model;
    /// Predictions `[R, rows, 1]` of the R replicas for input rows `x`: `[R, rows, p]`, or
    /// `[1, rows, p]` shared by all replicas.
    fn forward(&self, model: &Self::Model, x: Tensor<3>) -> Tensor<3>;
    /// The name of the implicit regulariser ("frobenius_sq", "gauss_newton_trace").
    fn regulariser_name(&self) -> &'static str;
    /// The implicit regulariser of every replica, exact (deterministic in the parameters).
    fn regulariser(&self, model: &Self::Model, loaded: &Loaded) -> Result<Vec<f64>>;
    /// The test error of every replica (each task says which).
    fn test_error(&self, model: &Self::Model, loaded: &Loaded) -> Result<Vec<f64>>;

    /// The rows on `device`.
    fn load(&self, device: &Device) -> Loaded {
        let data = self.data();
        let test = (data.test.rows > 0).then(|| (data.test.inputs(device), data.test.labels(device)));
        Loaded { device: device.clone(), x_train: data.train.inputs(device), y_train: data.train.labels(device), test }
    }

    /// A mini-batch of `size` distinct train rows drawn uniformly (without replacement) from
    /// `rng`; `size` >= n gives the full batch, rows in order, and draws nothing.
    fn sample_batch(&self, size: usize, rng: &mut Rng) -> Batch {
        let train = &self.data().train;
        let rows: Vec<usize> = if size >= train.rows {
            (0..train.rows).collect()
        } else {
            rand::seq::index::sample(rng, train.rows, size).into_vec()
        };
        let labels = rows.iter().map(|&i| train.y[i]).collect();
        Batch { rows, labels }
    }

    /// The labels of `batch` with fresh label noise, y + eps xi, xi ~ N(0, I) from `rng`
    /// ([`Batch::noisy_labels`]; call once per step).
    fn noisy_labels(&self, batch: &Batch, eps: f64, rng: &mut Rng) -> Vec<f64> {
        batch.noisy_labels(eps, rng)
    }

    /// The replicas' losses `[R]`: replica r's is 1/(2B) sum_{i in `batches[r]`} (f_r(x_i) -
    /// `labels[r]_i`)^2, tracked by autodiff when the model's parameters are. Every batch has the
    /// same size B.
    fn batch_losses(&self, model: &Self::Model, loaded: &Loaded, batches: &[Batch], labels: &[Vec<f64>]) -> Tensor<1> {
        let n = self.data().train.rows;
        let full = |b: &Batch| b.rows.len() == n && b.rows.iter().enumerate().all(|(i, &r)| i == r);
        let x = if batches.iter().all(full) {
            loaded.x_train.clone()
        } else {
            let rows: Vec<usize> = batches.iter().flat_map(|b| b.rows.iter().copied()).collect();
            let [_, _, p] = loaded.x_train.dims();
            let index = crate::params::index_tensor(&rows, &loaded.device);
            loaded.x_train.clone().reshape([n, p]).select(0, index).reshape([
                batches.len(),
                rows.len() / batches.len(),
                p,
            ])
        };
        half_mse(self.forward(model, x), columns(labels, &loaded.device))
    }

    /// The replicas' full-data losses with noise-free labels `[R]`, 1/(2n) sum_i (f_r(x_i) -
    /// y_i)^2, tracked (for gradients and Hessian-vector products: their sum's gradient holds
    /// every replica's own).
    fn train_loss_tensor(&self, model: &Self::Model, loaded: &Loaded) -> Tensor<1> {
        half_mse(self.forward(model, loaded.x_train.clone()), loaded.y_train.clone())
    }

    /// The replicas' full-data losses with noise-free labels, computed without autodiff.
    fn train_losses(&self, model: &Self::Model, loaded: &Loaded) -> Result<Vec<f64>> {
        let prediction = self.forward(&model.valid(), loaded.x_train.clone().inner());
        read(half_mse(prediction, loaded.y_train.clone().inner()))
    }

    /// The full-data loss with noise-free labels of an R = 1 model (the sum of the replicas'
    /// losses otherwise), computed without autodiff.
    fn train_loss(&self, model: &Self::Model, loaded: &Loaded) -> f64 {
        let prediction = self.forward(&model.valid(), loaded.x_train.clone().inner());
        half_mse(prediction, loaded.y_train.clone().inner()).sum().into_scalar::<f64>()
    }
}

/// A tensor's values in f64 on the host.
pub fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f64>> {
    t.try_into_vec_as::<f64>().map_err(|e| Error::Read(e.to_string()))
}

/// The replicas' label vectors (one per replica, equal lengths n) as an R x n x 1 tensor.
pub fn columns(values: &[Vec<f64>], device: &Device) -> Tensor<3> {
    let n = values.first().map_or(0, Vec::len);
    let data: Vec<f64> = values.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(data, [values.len(), n, 1]), device)
}

/// The replicas' 1/(2B) sum_i |prediction_r(x_i) - y_r,i|^2 over the B rows (and every output
/// column), shape `[R]`, for predictions `[R, B, k]` and labels `[R, B, k]` (or `[1, B, k]`, shared).
///
/// It multiplies by 1/(2B) rather than dividing by 2B: Burn 0.22.1's autodiff differentiates
/// `div_scalar` with 1/rhs rounded to f32 (burn-autodiff `ops/tensor.rs`, `DivScalar`), which
/// would cap f64 gradients at ~1e-8 relative accuracy; `mul_scalar` keeps the full f64 scalar.
///
/// The squares are summed in one pass over [R, B k] (the backends' reduction of a size-1 axis
/// costs a pass of its own; with one output column this is the same sum, in the same order).
pub fn half_mse(prediction: Tensor<3>, y: Tensor<3>) -> Tensor<1> {
    let [replicas, rows, outputs] = prediction.dims();
    let squares = (prediction - y).square().reshape([replicas, rows * outputs]);
    squares.sum_dim(1).mul_scalar(1.0 / (2.0 * rows as f64)).reshape([replicas])
}

/// Relative test error of every replica of a regression: sum_i (f_r(x_i) - y_i)^2 / sum_i
/// (y_i - mean y)^2 (1 - R^2) over the test split, without autodiff. An error when the task has
/// no test split.
pub fn relative_test_mse<T: Task>(task: &T, model: &T::Model, loaded: &Loaded) -> Result<Vec<f64>> {
    let (x, y) =
        loaded.test.as_ref().ok_or_else(|| Error::Invalid(format!("task {} has no test split", task.name())))?;
    let prediction = task.forward(&model.valid(), x.clone().inner());
    let y = y.clone().inner();
    let residual = read((prediction - y.clone()).square().sum_dim(1))?;
    let mean = y.clone().mean().into_scalar::<f64>();
    let spread = y.sub_scalar(mean).square().sum().into_scalar::<f64>();
    Ok(residual.iter().map(|r| r / spread).collect())
}

/// Mean and standard deviation (divisor n) of every column of row-major `x` (n x cols), over
/// the rows listed in `rows`.
pub(crate) fn column_stats(x: &[f64], cols: usize, rows: &[usize]) -> Vec<(f64, f64)> {
    (0..cols)
        .map(|j| {
            let n = rows.len() as f64;
            let mean = rows.iter().map(|&i| x[i * cols + j]).sum::<f64>() / n;
            let var = rows.iter().map(|&i| (x[i * cols + j] - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_check_their_lengths() {
        assert!(Split::new(vec![0.0; 6], vec![0.0; 3], 3, 2).is_ok());
        assert!(Split::new(vec![0.0; 5], vec![0.0; 3], 3, 2).is_err());
        assert!(Split::new(vec![0.0; 6], vec![0.0; 2], 3, 2).is_err());
    }

    #[test]
    fn streams_differ_and_repeat() {
        use rand::RngExt;
        let draw = |seed, stream| rng(seed, stream).random::<u64>();
        assert_eq!(draw(1, Stream::Noise), draw(1, Stream::Noise));
        assert_ne!(draw(1, Stream::Noise), draw(1, Stream::Batches));
        assert_ne!(draw(1, Stream::Noise), draw(2, Stream::Noise));
    }
}
