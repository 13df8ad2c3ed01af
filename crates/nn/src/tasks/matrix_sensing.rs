//! Matrix sensing with an over-parametrised factorisation (docs/theory.md §8, paper 3 of §1).
//!
//! ```text
//!     ground truth  X* = U* U*^T in R^{d x d}, rank r, scaled to |X*|_F = 1
//!     measurements  y_k = <A_k, X*> = sum_ij (A_k)_ij X*_ij,  k = 1..n
//!     model         X = U U^T,  U in R^{d x r'},  r' > r
//!     loss          L_S(U) = 1/(2B) sum_{k in S} (<A_k, U U^T> - y_k)^2
//!     gradient      ∇_U L_S = (1/B) sum_{k in S} r_k (A_k + A_k^T) U,   r_k = <A_k, UU^T> - y_k
//! ```
//!
//! A_k has independent N(0, 1) entries ([`Sensing::Gaussian`]) or is the symmetric
//! (G + G^T)/sqrt(2) of such a G ([`Sensing::Symmetric`]: off-diagonal N(0, 1), diagonal
//! N(0, 2)); either way y_k ~ N(0, |X*|_F^2) = N(0, 1), so the label-noise level eps is relative
//! to the labels' scale. With n < d r' the zero-loss set is a manifold, and label noise drifts
//! along it towards small |U|_F^2 (the implicit regulariser tracked here, exact). The test error
//! is the recovery error |U U^T - X*|_F / |X*|_F; there is no test split.
//!
//! A row of the data is vec(A_k) (row-major, d^2 entries), so a batch's predictions are one
//! matrix product with vec(U U^T).

use super::{Data, Loaded, Split, Stream, Task, gaussian, rng};
use crate::error::{Error, Result};
use crate::params;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

/// How the sensing matrices A_k are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensing {
    /// Independent N(0, 1) entries.
    Gaussian,
    /// (G + G^T)/sqrt(2) with G Gaussian.
    Symmetric,
}

/// The parameters of a matrix-sensing task.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixSensingConfig {
    /// d: the matrices are d x d.
    pub d: usize,
    /// r: the rank of X*.
    pub rank: usize,
    /// r' > r: the columns of the model's U.
    pub model_rank: usize,
    /// n: the number of measurements.
    pub measurements: usize,
    pub sensing: Sensing,
    /// The initial U has independent N(0, init_scale^2) entries.
    pub init_scale: f64,
    pub seed: u64,
}

impl MatrixSensingConfig {
    /// The task's size: d r' parameters (U), n measurements, and per measurement a d x d
    /// sensing matrix against the d x r' factor.
    pub fn size(&self) -> super::Size {
        super::Size {
            parameters: self.d * self.model_rank,
            rows: self.measurements,
            widths: vec![self.d * self.d, self.d * self.model_rank, 1],
        }
    }
}

impl Default for MatrixSensingConfig {
    /// The toy of docs/theory.md §8: d = 8, r = 1, r' = 3, n = 16, Gaussian sensing.
    fn default() -> Self {
        MatrixSensingConfig {
            d: 8,
            rank: 1,
            model_rank: 3,
            measurements: 16,
            sensing: Sensing::Gaussian,
            init_scale: 0.5,
            seed: 0,
        }
    }
}

/// The model U U^T: one trainable parameter, R replicas of the d x r' factor ([R, d, r']).
#[derive(Module, Debug)]
pub struct Factor {
    pub u: Param<Tensor<3>>,
}

/// A matrix-sensing task. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct MatrixSensing {
    config: MatrixSensingConfig,
    /// X*, d x d row-major.
    x_star: Vec<f64>,
    data: Data,
}

impl MatrixSensing {
    /// Generates X* and the measurements from `config.seed`.
    pub fn new(config: MatrixSensingConfig) -> Result<Self> {
        let MatrixSensingConfig { d, rank, model_rank, measurements: n, sensing, init_scale, seed } = config;
        if d == 0 || rank == 0 || n == 0 || model_rank <= rank || rank > d {
            return Err(Error::Invalid(format!(
                "matrix sensing needs d >= 1, 1 <= r <= d, r' > r and n >= 1, got d = {d}, r = {rank}, r' = {model_rank}, n = {n}"
            )));
        }
        if !(init_scale.is_finite() && init_scale > 0.0) {
            return Err(Error::Invalid(format!("the initial scale must be positive, got {init_scale}")));
        }
        let mut rng = rng(seed, Stream::Data);
        let u_star = gaussian(&mut rng, d * rank);
        let mut x_star = gram(&u_star, d, rank);
        let norm = frobenius(&x_star);
        x_star.iter_mut().for_each(|x| *x /= norm);

        let mut x = Vec::with_capacity(n * d * d);
        for _ in 0..n {
            let g = gaussian(&mut rng, d * d);
            match sensing {
                Sensing::Gaussian => x.extend(g),
                Sensing::Symmetric => {
                    x.extend((0..d * d).map(|k| (g[k] + g[(k % d) * d + k / d]) / std::f64::consts::SQRT_2))
                }
            }
        }
        let y = (0..n).map(|k| dot(&x[k * d * d..(k + 1) * d * d], &x_star)).collect();
        let train = Split::new(x, y, n, d * d)?;
        let test = Split::new(Vec::new(), Vec::new(), 0, d * d)?;
        Ok(MatrixSensing { config, x_star, data: Data { train, test } })
    }

    /// The task's parameters.
    pub fn settings(&self) -> &MatrixSensingConfig {
        &self.config
    }

    /// X*, d x d row-major.
    pub fn x_star(&self) -> &[f64] {
        &self.x_star
    }

    /// A model (R = 1) holding `u` (d x r' row-major) on `device`.
    pub fn model_from(&self, u: &[f64], device: &Device) -> Factor {
        let shape = [1, self.config.d, self.config.model_rank];
        Factor { u: Param::from_tensor(Tensor::from_data(TensorData::new(u.to_vec(), shape), device)) }
    }

    /// |U U^T - X*|_F / |X*|_F for U = `u` (d x r' row-major).
    pub fn recovery_error(&self, u: &[f64]) -> f64 {
        let x = gram(u, self.config.d, self.config.model_rank);
        let diff: Vec<f64> = x.iter().zip(&self.x_star).map(|(a, b)| a - b).collect();
        frobenius(&diff) / frobenius(&self.x_star)
    }
}

impl Task for MatrixSensing {
    type Model = Factor;

    fn name(&self) -> &'static str {
        "matrix_sensing"
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.config).expect("the config serialises")
    }

    fn data(&self) -> &Data {
        &self.data
    }

    /// U with independent N(0, init_scale^2) entries from the seed's init stream.
    fn init(&self, device: &Device) -> Factor {
        let mut rng = rng(self.config.seed, Stream::Init);
        let u: Vec<f64> = gaussian(&mut rng, self.config.d * self.config.model_rank)
            .into_iter()
            .map(|g| g * self.config.init_scale)
            .collect();
        self.model_from(&u, device)
    }

    /// <A_k, U_r U_r^T> for the rows vec(A_k) of `x`, per replica r.
    fn forward(&self, model: &Factor, x: Tensor<3>) -> Tensor<3> {
        let u = model.u.val();
        let [replicas, d, _] = u.dims();
        x.matmul(u.clone().matmul(u.swap_dims(1, 2)).reshape([replicas, d * d, 1]))
    }

    fn regulariser_name(&self) -> &'static str {
        "frobenius_sq"
    }

    /// |U_r|_F^2 per replica.
    fn regulariser(&self, model: &Factor, _loaded: &Loaded) -> Result<Vec<f64>> {
        Ok(params::replicas(model)?.iter().map(|u| u.iter().map(|u| u * u).sum()).collect())
    }

    /// The recovery error |U_r U_r^T - X*|_F / |X*|_F per replica.
    fn test_error(&self, model: &Factor, _loaded: &Loaded) -> Result<Vec<f64>> {
        Ok(params::replicas(model)?.iter().map(|u| self.recovery_error(u)).collect())
    }
}

/// U U^T (d x d row-major) for U (d x k row-major).
pub fn gram(u: &[f64], d: usize, k: usize) -> Vec<f64> {
    let mut x = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            x[i * d + j] = dot(&u[i * k..(i + 1) * k], &u[j * k..(j + 1) * k]);
        }
    }
    x
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn frobenius(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}
