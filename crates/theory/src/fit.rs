//! Least-squares lines: the one fit of the project (log-log exponents of the claims, the
//! Monte-Carlo rate's log-linear slope), so that every slope is computed the same way.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The least-squares line y = intercept + slope x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    /// The slope sum_i (x_i - mean x)(y_i - mean y) / sxx.
    pub slope: f64,
    /// The intercept mean y - slope mean x.
    pub intercept: f64,
    /// sum_i (x_i - mean x)^2, the spread the slope's standard error divides by.
    pub sxx: f64,
}

/// The least-squares line through (x_i, y_i):
///
/// ```text
///     slope = sum_i (x_i - mean x)(y_i - mean y) / sum_i (x_i - mean x)^2
///     intercept = mean y - slope mean x
/// ```
///
/// None with fewer than two points or no spread in x.
pub fn least_squares(x: &[f64], y: &[f64]) -> Option<Line> {
    if x.len() < 2 || x.len() != y.len() {
        return None;
    }
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / sxx;
    Some(Line { slope, intercept: my - slope * mx, sxx })
}

/// The least-squares line ln y = intercept + slope ln x, with the 95 % confidence interval of
/// the slope from Student's t with n - 2 degrees of freedom:
///
/// ```text
///     slope ± t_{0.975, n-2} sqrt( sum_i r_i^2 / (n - 2) / sum_i (ln x_i - mean ln x)^2 )
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLogFit {
    /// The exponent: the slope of ln y against ln x.
    pub slope: f64,
    /// ln y at x = 1 (the power law is y = e^intercept x^slope).
    pub intercept: f64,
    /// The 95 % interval of the slope; None with fewer than three points.
    pub slope_ci: Option<[f64; 2]>,
    /// The number of points fitted.
    pub n: usize,
}

/// Fits ln y against ln x (points with non-positive or missing values are skipped); None with
/// fewer than two usable points or no spread in x. See [`LogLogFit`].
pub fn log_log_fit(points: &[(f64, f64)]) -> Option<LogLogFit> {
    let p: Vec<(f64, f64)> =
        points.iter().filter(|(x, y)| *x > 0.0 && *y > 0.0 && y.is_finite()).map(|(x, y)| (x.ln(), y.ln())).collect();
    if p.len() < 2 {
        return None;
    }
    let n = p.len() as f64;
    let (x, y): (Vec<f64>, Vec<f64>) = p.iter().copied().unzip();
    let Line { slope, intercept, sxx } = least_squares(&x, &y)?;
    let slope_ci = (p.len() >= 3).then(|| {
        let rss: f64 = p.iter().map(|q| (q.1 - intercept - slope * q.0).powi(2)).sum();
        let se = (rss / (n - 2.0) / sxx).sqrt();
        let t = StudentsT::new(0.0, 1.0, n - 2.0).expect("n - 2 >= 1 degrees of freedom").inverse_cdf(0.975);
        [slope - t * se, slope + t * se]
    });
    Some(LogLogFit { slope, intercept, slope_ci, n: p.len() })
}

/// Least-squares slope of ln y against ln x (points with non-positive or missing values are
/// skipped); None with fewer than two usable points.
pub fn log_log_slope(points: &[(f64, f64)]) -> Option<f64> {
    log_log_fit(points).map(|f| f.slope)
}
