//! A real data set: diabetes progression (Efron et al. 2004), shipped gzipped inside the
//! `linfa-datasets` package (`data/diabetes_data.csv.gz`, `data/diabetes_target.csv.gz`, read
//! with `include_bytes!`, so nothing is downloaded at run time). docs/theory.md §8 (paper 3 of §1
//! also trains real-data MLPs).
//!
//! The package reads the first line of each CSV file as a header, so it yields 441 of the 442
//! patients: 10 features (age, sex, body mass index, blood pressure, six blood serum
//! measurements) and a disease-progression score.
//!
//! ```text
//!     split         a permutation from the seed: the first round(test_fraction n) rows test,
//!                   the rest train (optionally cut to max_train rows)
//!     standardise   x_ij <- (x_ij - mean_j) / std_j,  y_i <- (y_i - mean_y) / std_y,
//!                   means and standard deviations over the train rows (applied to both splits)
//!     model         a tanh MLP 10 -> hidden -> 1,  loss 1/(2B) sum_{i in S} (f(x_i) - y_i)^2
//! ```
//!
//! The implicit regulariser is the Gauss–Newton trace of the noise-free full train loss (exact;
//! tr(∇²L) at interpolation, [`MlpRegression`]); the test error is the relative test MSE (1 - R^2).

use super::mlp::{MlpRegression, MlpWeights};
use super::{Data, Split, Stream, column_stats, rng};
use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use serde::Serialize;

/// The parameters of the diabetes task.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiabetesConfig {
    /// The hidden width of the MLP.
    pub hidden: usize,
    /// The fraction of rows held out for testing, in (0, 1).
    pub test_fraction: f64,
    /// Keep at most this many train rows (all when None).
    pub max_train: Option<usize>,
    pub init_bias_std: f64,
    pub seed: u64,
}

impl Default for DiabetesConfig {
    /// hidden = 64 (769 parameters for 353 train rows), 20% test rows.
    fn default() -> Self {
        DiabetesConfig { hidden: 64, test_fraction: 0.2, max_train: None, init_bias_std: 0.0, seed: 0 }
    }
}

impl DiabetesConfig {
    /// (test rows, train rows) of the split of n rows: round(test_fraction n) test rows (at
    /// least 1, leaving at least 2), the rest train, cut to `max_train` (at least 2).
    fn split_sizes(&self, n: usize) -> (usize, usize) {
        let n_test = ((self.test_fraction * n as f64).round() as usize).clamp(1, n - 2);
        (n_test, self.max_train.unwrap_or(usize::MAX).clamp(2, n - n_test))
    }

    /// The task's size: a 10-hidden-1 MLP on the train rows of the split.
    pub fn size(&self) -> super::Size {
        super::Size::mlp(vec![FEATURES, self.hidden, 1], self.split_sizes(raw().2).1)
    }
}

/// The raw diabetes rows of the package: (features n x 10 row-major, targets, n).
pub fn raw() -> (Vec<f64>, Vec<f64>, usize) {
    let dataset = linfa_datasets::diabetes();
    let n = dataset.records.nrows();
    (dataset.records.iter().copied().collect(), dataset.targets.iter().copied().collect(), n)
}

/// The number of features.
pub const FEATURES: usize = 10;

/// The diabetes task. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Diabetes {
    config: DiabetesConfig,
    data: Data,
}

impl Diabetes {
    /// Loads, splits and standardises the data set.
    pub fn new(config: DiabetesConfig) -> Result<Self> {
        if config.hidden == 0 || !(config.test_fraction > 0.0 && config.test_fraction < 1.0) {
            return Err(Error::Invalid(format!(
                "diabetes needs a hidden width >= 1 and a test fraction in (0, 1), got {} and {}",
                config.hidden, config.test_fraction
            )));
        }
        let (x, y, n) = raw();
        if x.len() != n * FEATURES || y.len() != n {
            return Err(Error::Invalid(format!("the packaged diabetes data has an unexpected shape ({n} rows)")));
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng(config.seed, Stream::Data));
        let (n_test, n_train) = config.split_sizes(n);
        let (test_rows, train_rows) = order.split_at(n_test);
        let train_rows = &train_rows[..n_train];

        let x_stats = column_stats(&x, FEATURES, train_rows);
        let y_stats = column_stats(&y, 1, train_rows)[0];
        let split = |rows: &[usize]| -> Result<Split> {
            let xs = rows
                .iter()
                .flat_map(|&i| (0..FEATURES).map(move |j| (i, j)))
                .map(|(i, j)| (x[i * FEATURES + j] - x_stats[j].0) / x_stats[j].1)
                .collect();
            let ys = rows.iter().map(|&i| (y[i] - y_stats.0) / y_stats.1).collect();
            Split::new(xs, ys, rows.len(), FEATURES)
        };
        let data = Data { train: split(train_rows)?, test: split(test_rows)? };
        Ok(Diabetes { config, data })
    }
}

impl MlpRegression for Diabetes {
    const NAME: &'static str = "diabetes";
    type Settings = DiabetesConfig;

    fn settings(&self) -> &DiabetesConfig {
        &self.config
    }

    fn dataset(&self) -> &Data {
        &self.data
    }

    fn initial_weights(&self) -> MlpWeights {
        let c = &self.config;
        MlpWeights::random(&[FEATURES, c.hidden, 1], c.init_bias_std, &mut rng(c.seed, Stream::Init))
    }
}
