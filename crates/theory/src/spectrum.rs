//! Hessian spectra (docs/theory.md §2, §5): the eigenvalues l_1 >= ... >= l_d > 0 of H, the families the
//! project studies, and the summary numbers every prediction starts from.

use crate::error::{Error, Result, require_positive};
use crate::invalid;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Eigenvalues of a positive semi-definite Hessian, sorted in decreasing order, all > 0.
///
/// Exact zeros are dropped on construction: a direction with l_i = 0 contributes nothing to the
/// loss 1/2 sum l_i s_i nor to the gradient noise sum_j l_j p_j (docs/theory.md §4), so removing it
/// leaves every loss curve and rate unchanged. The number dropped is kept for the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum {
    eigenvalues: Vec<f64>,
    dropped_zeros: usize,
}

/// The numbers `momlab spectrum` prints (docs/theory.md §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumSummary {
    /// Number of positive eigenvalues.
    pub d: usize,
    /// L = l_1.
    pub lambda_max: f64,
    /// mu = l_d.
    pub lambda_min: f64,
    /// tr H = sum l_i.
    pub trace: f64,
    /// kappa = L / mu.
    pub kappa: f64,
    /// SGD critical batch size B_sgd = tr / L.
    pub b_sgd: f64,
    /// Heavy-ball saturation batch size B_hb = tr / sqrt(L mu) = sqrt(kappa) B_sgd.
    pub b_hb: f64,
    /// Zero eigenvalues removed from the input (they do not affect the dynamics of the loss).
    pub dropped_zeros: usize,
}

impl Spectrum {
    /// Validates and sorts `values`: every value finite and >= 0, at least one > 0.
    pub fn new(mut values: Vec<f64>) -> Result<Self> {
        if values.is_empty() {
            return Err(invalid!("spectrum is empty"));
        }
        if let Some((i, x)) = values.iter().enumerate().find(|(_, x)| !x.is_finite() || **x < 0.0) {
            return Err(invalid!("eigenvalue #{} is {x}: eigenvalues must be finite and >= 0", i + 1));
        }
        let before = values.len();
        values.retain(|&x| x > 0.0);
        if values.is_empty() {
            return Err(invalid!("spectrum has no positive eigenvalue"));
        }
        values.sort_by(|a, b| b.total_cmp(a));
        Ok(Spectrum { dropped_zeros: before - values.len(), eigenvalues: values })
    }

    /// Power law l_i = scale * i^(-a), i = 1..d.
    pub fn power_law(d: usize, a: f64, scale: f64) -> Result<Self> {
        require_dimension(d)?;
        if !a.is_finite() || a < 0.0 {
            return Err(invalid!("power-law exponent a must be finite and >= 0, got {a}"));
        }
        require_positive("scale s", scale)?;
        Spectrum::new(eigenvalues(d, |i| scale * ((i + 1) as f64).powf(-a))?)
    }

    /// d eigenvalues evenly spaced on [lo, hi] (both ends included; d = 1 gives hi).
    pub fn uniform(d: usize, lo: f64, hi: f64) -> Result<Self> {
        require_dimension(d)?;
        require_range(lo, hi)?;
        let step = if d > 1 { (hi - lo) / (d - 1) as f64 } else { 0.0 };
        Spectrum::new(eigenvalues(d, |i| hi - step * i as f64)?)
    }

    /// Two clusters: `high` eigenvalues equal to `hi`, the other d - high equal to `lo`.
    pub fn two_cluster(d: usize, high: usize, lo: f64, hi: f64) -> Result<Self> {
        require_dimension(d)?;
        require_range(lo, hi)?;
        if high == 0 || high > d {
            return Err(invalid!("two-cluster: the high cluster needs 1..=d eigenvalues, got {high} (d = {d})"));
        }
        Spectrum::new(eigenvalues(d, |i| if i < high { hi } else { lo })?)
    }

    /// Marchenko–Pastur sample: eigenvalues of X^T X / n for X an n x d matrix of independent
    /// N(0, sigma^2) entries, drawn from the PCG-64 (MCG) stream seeded with `seed`.
    /// For n < d the d - n zero eigenvalues are dropped.
    pub fn marchenko_pastur(d: usize, n: usize, sigma: f64, seed: u64) -> Result<Self> {
        require_dimension(d)?;
        if n == 0 {
            return Err(invalid!("Marchenko-Pastur sample size n must be >= 1"));
        }
        require_positive("sigma", sigma)?;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let x = DMatrix::<f64>::from_fn(n, d, |_, _| {
            let z: f64 = StandardNormal.sample(&mut rng);
            sigma * z
        });
        let gram = x.tr_mul(&x) / n as f64;
        Spectrum::from_symmetric_psd(gram)
    }

    /// Eigenvalues of a symmetric positive semi-definite matrix. Values below a relative rounding
    /// threshold (d * 1e-13 * L in absolute value) are numerical zeros of a rank-deficient matrix
    /// and are dropped, like exact zeros.
    pub fn from_symmetric_psd(matrix: DMatrix<f64>) -> Result<Self> {
        let d = matrix.nrows();
        let values = SymmetricEigen::new(matrix).eigenvalues;
        let top = values.iter().fold(0.0f64, |m, &x| m.max(x.abs()));
        let threshold = top * 1e-13 * d as f64;
        Spectrum::new(values.iter().map(|&x| if x.abs() <= threshold { 0.0 } else { x }).collect())
    }

    /// Eigenvalues of the sample covariance (1/(n-1)) sum_k (x_k - xbar)(x_k - xbar)^T of the rows
    /// of a CSV file (numbers only; one header line is allowed).
    pub fn from_data_csv(path: &Path) -> Result<Self> {
        let x = read_csv_matrix(path, "data file")?;
        let (n, d) = x.shape();
        if n < 2 {
            return Err(invalid!("data file {} needs at least 2 rows for a covariance, has {n}", path.display()));
        }
        let mean = x.row_mean();
        let centred = DMatrix::from_fn(n, d, |i, j| x[(i, j)] - mean[j]);
        Spectrum::from_symmetric_psd(centred.tr_mul(&centred) / (n - 1) as f64)
    }

    /// Eigenvalues from a file: a JSON array of numbers, or one number per line (blank lines and
    /// lines starting with '#' are skipped).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        let parse_err = |detail: String| Error::Parse { what: format!("spectrum file {}", path.display()), detail };
        let values: Vec<f64> = if text.trim_start().starts_with('[') {
            serde_json::from_str(&text).map_err(|e| parse_err(e.to_string()))?
        } else {
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map(|(i, l)| parse_number(l.trim()).map_err(|e| parse_err(format!("line {}: {e}", i + 1))))
                .collect::<Result<_>>()?
        };
        if values.is_empty() {
            return Err(parse_err("no eigenvalues".into()));
        }
        Spectrum::new(values)
    }

    /// The eigenvalues, largest first.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }
    /// Number of (positive) eigenvalues.
    pub fn d(&self) -> usize {
        self.eigenvalues.len()
    }
    /// L = l_1.
    pub fn lambda_max(&self) -> f64 {
        self.eigenvalues[0]
    }
    /// mu = l_d.
    pub fn lambda_min(&self) -> f64 {
        self.eigenvalues[self.d() - 1]
    }
    /// tr H.
    pub fn trace(&self) -> f64 {
        self.eigenvalues.iter().sum()
    }
    /// kappa = L / mu.
    pub fn kappa(&self) -> f64 {
        self.lambda_max() / self.lambda_min()
    }

    /// The summary of docs/theory.md §5: B_sgd = tr/L, B_hb = tr/sqrt(L mu).
    pub fn summary(&self) -> SpectrumSummary {
        let (l, mu, tr) = (self.lambda_max(), self.lambda_min(), self.trace());
        SpectrumSummary {
            d: self.d(),
            lambda_max: l,
            lambda_min: mu,
            trace: tr,
            kappa: l / mu,
            b_sgd: crate::predict::critical_batch_sgd(tr, l),
            b_hb: crate::predict::critical_batch_hb(tr, l, mu),
            dropped_zeros: self.dropped_zeros,
        }
    }
}

/// The d values `value(i)`, i = 0..d, allocated fallibly: a d whose 8 d bytes cannot be
/// allocated is an error, not an abort.
fn eigenvalues(d: usize, value: impl Fn(usize) -> f64) -> Result<Vec<f64>> {
    let mut values = Vec::new();
    values
        .try_reserve_exact(d)
        .map_err(|_| invalid!("cannot allocate {d} eigenvalues ({} bytes): lower d", d as f64 * 8.0))?;
    values.extend((0..d).map(value));
    Ok(values)
}

fn require_dimension(d: usize) -> Result<()> {
    if d == 0 { Err(invalid!("dimension d must be >= 1")) } else { Ok(()) }
}

fn require_range(lo: f64, hi: f64) -> Result<()> {
    require_positive("lo", lo)?;
    require_positive("hi", hi)?;
    if lo > hi { Err(invalid!("lo = {lo} must not exceed hi = {hi}")) } else { Ok(()) }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|cause| Error::Io { path: path.to_path_buf(), cause })
}

/// Parses one finite number, with a message that names the text.
pub fn parse_number(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(x) => Err(format!("'{s}' is {x}, not a finite number")),
        Err(_) => Err(format!("'{s}' is not a number")),
    }
}

/// The matrix in a numeric CSV file (one row per line; a first line that is not numeric is taken
/// as a header); `what` names the file in errors.
pub(crate) fn read_csv_matrix(path: &Path, what: &str) -> Result<DMatrix<f64>> {
    let rows = parse_csv_matrix(&read_text(path)?)
        .map_err(|detail| Error::Parse { what: format!("{what} {}", path.display()), detail })?;
    Ok(DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j]))
}

/// Rows of a numeric CSV; a first row that is not numeric is taken as a header.
fn parse_csv_matrix(text: &str) -> std::result::Result<Vec<Vec<f64>>, String> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        let parsed: std::result::Result<Vec<f64>, String> = record.iter().map(parse_number).collect();
        match parsed {
            Ok(row) => {
                if let Some(first) = rows.first()
                    && first.len() != row.len()
                {
                    return Err(format!("row {} has {} columns, expected {}", i + 1, row.len(), first.len()));
                }
                rows.push(row);
            }
            Err(_) if i == 0 => continue, // header line
            Err(e) => return Err(format!("row {}: {e}", i + 1)),
        }
    }
    if rows.is_empty() || rows[0].is_empty() {
        return Err("no numeric rows".into());
    }
    Ok(rows)
}
