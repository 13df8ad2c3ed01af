//! Verdicts: pass, fail or inconclusive, decided by tolerances fixed in the claim files.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// The measurement could not be made (e.g. no saturation on the batch grid).
    Inconclusive,
}

impl Verdict {
    /// Pass iff `value` is in [lo, hi]; inconclusive when there is no value.
    pub fn within(value: Option<f64>, lo: f64, hi: f64) -> Verdict {
        match value {
            Some(v) if v.is_finite() => Verdict::from_bool(v >= lo && v <= hi),
            _ => Verdict::Inconclusive,
        }
    }

    /// Pass iff `value` <= `bound`; inconclusive when there is no value.
    pub fn at_most(value: Option<f64>, bound: f64) -> Verdict {
        Verdict::within(value, f64::NEG_INFINITY, bound)
    }

    /// Pass iff `value` >= `bound`; inconclusive when there is no value.
    pub fn at_least(value: Option<f64>, bound: f64) -> Verdict {
        Verdict::within(value, bound, f64::INFINITY)
    }

    pub fn from_bool(pass: bool) -> Verdict {
        if pass { Verdict::Pass } else { Verdict::Fail }
    }

    /// All parts must pass: any fail fails, else any inconclusive is inconclusive.
    pub fn all(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        parts.into_iter().fold(Verdict::Pass, |acc, v| match (acc, v) {
            (Verdict::Fail, _) | (_, Verdict::Fail) => Verdict::Fail,
            (Verdict::Inconclusive, _) | (_, Verdict::Inconclusive) => Verdict::Inconclusive,
            _ => Verdict::Pass,
        })
    }

    /// At least one part passes (e.g. "some candidate rule works"); else fail, or inconclusive
    /// when nothing failed outright.
    pub fn any(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        parts.into_iter().fold(Verdict::Fail, |acc, v| match (acc, v) {
            (Verdict::Pass, _) | (_, Verdict::Pass) => Verdict::Pass,
            (Verdict::Inconclusive, _) | (_, Verdict::Inconclusive) => Verdict::Inconclusive,
            _ => Verdict::Fail,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// The least-squares line ln y = intercept + slope ln x, with the 95 % confidence interval of
/// the slope from Student's t with n - 2 degrees of freedom:
///
/// ```text
///     slope ± t_{0.975, n-2} sqrt( sum_i r_i^2 / (n - 2) / sum_i (ln x_i - mean ln x)^2 )
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LogLogFit {
    pub slope: f64,
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
    let (mx, my) = (p.iter().map(|q| q.0).sum::<f64>() / n, p.iter().map(|q| q.1).sum::<f64>() / n);
    let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum::<f64>() / sxx;
    let intercept = my - slope * mx;
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
