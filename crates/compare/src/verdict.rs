//! Verdicts: pass, fail or inconclusive, decided by tolerances fixed in the claim files.

use serde::{Deserialize, Serialize};

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

pub use theory::fit::{LogLogFit, log_log_fit, log_log_slope};

/// A measured number against a band [lo, hi] with its uncertainty u >= 0 (an interval
/// half-width, a tuning tolerance or a Monte-Carlo SE):
///
/// ```text
///     pass          iff [v - u, v + u] lies inside [lo, hi]
///     fail          iff [v - u, v + u] misses [lo, hi]
///     inconclusive  otherwise (v is within its own uncertainty of a threshold), or no value
///     margin = min(v - lo, hi - v) / u      (> 0 inside, < 0 outside; in units of u)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub value: Option<f64>,
    pub uncertainty: f64,
    pub lo: f64,
    pub hi: f64,
    /// Distance to the nearest threshold in units of the uncertainty; None without a value or
    /// with zero uncertainty (then `distance` alone says it).
    pub margin: Option<f64>,
    /// min(v - lo, hi - v): the signed distance to the nearest threshold.
    pub distance: Option<f64>,
    pub verdict: Verdict,
}

impl Check {
    /// `value` ± `uncertainty` against [lo, hi] (see [`Check`]).
    pub fn band(value: Option<f64>, uncertainty: f64, lo: f64, hi: f64) -> Check {
        let value = value.filter(|v| v.is_finite());
        let u = if uncertainty.is_finite() { uncertainty.abs() } else { f64::INFINITY };
        let distance = value.map(|v| (v - lo).min(hi - v));
        let verdict = match distance {
            None => Verdict::Inconclusive,
            Some(d) if d >= u => Verdict::Pass,
            Some(d) if d < -u => Verdict::Fail,
            Some(_) => Verdict::Inconclusive,
        };
        let margin = distance.filter(|_| u > 0.0 && u.is_finite()).map(|d| d / u);
        Check { value, uncertainty: u, lo, hi, margin, distance, verdict }
    }

    /// "0.912 ± 0.104 in [0.8, 1.2], margin +0.8".
    pub fn describe(&self) -> String {
        let Some(v) = self.value else { return "not measured".into() };
        let margin = match (self.margin, self.distance) {
            (Some(m), _) => format!("margin {m:+.1}"),
            (None, Some(d)) => format!("distance {d:+.3}"),
            (None, None) => String::new(),
        };
        format!("{v:.3} ± {:.3} in [{}, {}], {margin}", self.uncertainty, self.lo, self.hi)
    }
}

/// The uncertainty of a ratio r = a/b of two iteration counts, each known to one iteration (the
/// counts are integers, and the T-tuning moves them by well under one): r (1/a + 1/b).
pub fn count_ratio_uncertainty(a: f64, b: f64) -> f64 {
    (a / b) * (1.0 / a + 1.0 / b)
}

/// A fitted log-log exponent judged as the papers state scaling laws (up to constants): the
/// slope against a band of exponents [lo, hi], with its 95 % interval as its uncertainty.
///
/// ```text
///     pass          with an interval band [a, b]: slope in [lo, hi] and the interval inside [a, b]
///                   without one:                  the interval inside [lo, hi]
///     fail          the 95 % interval misses [lo, hi]
///     inconclusive  otherwise, or fewer than three points (no interval)
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExponentCheck {
    pub fit: Option<LogLogFit>,
    /// The slope ± its interval half-width against [lo, hi].
    pub slope: Check,
    /// The claim's band for the whole interval, if it has one.
    pub interval_band: Option<[f64; 2]>,
    pub verdict: Verdict,
}

impl ExponentCheck {
    /// Fits `points` (x, y) in log-log and judges the slope against `band` and, if given, its
    /// 95 % interval against `interval_band`.
    pub fn new(points: &[(f64, f64)], band: [f64; 2], interval_band: Option<[f64; 2]>) -> ExponentCheck {
        let fit = log_log_fit(points);
        let interval = fit.and_then(|f| f.slope_ci);
        let half = interval.map_or(f64::INFINITY, |[a, b]| 0.5 * (b - a));
        let slope = Check::band(fit.filter(|_| interval.is_some()).map(|f| f.slope), half, band[0], band[1]);
        let verdict = match (interval, interval_band, slope.verdict) {
            (None, ..) => Verdict::Inconclusive,
            (Some(_), _, Verdict::Fail) => Verdict::Fail,
            (Some([a, b]), Some([lo, hi]), _) => {
                let inside = slope.distance.is_some_and(|d| d >= 0.0);
                if inside && a >= lo && b <= hi { Verdict::Pass } else { Verdict::Inconclusive }
            }
            (Some(_), None, v) => v,
        };
        ExponentCheck { fit, slope, interval_band, verdict }
    }

    /// "slope 0.912 [0.81, 1.01] in [0.8, 1.2] (interval within [0.7, 1.3]), margin +0.8".
    pub fn describe(&self) -> String {
        let Some(fit) = self.fit else { return "no fit (fewer than two points)".into() };
        let Some([a, b]) = fit.slope_ci else { return format!("slope {:.3} from 2 points: no interval", fit.slope) };
        let band = self.interval_band.map_or(String::new(), |[lo, hi]| format!(" (interval within [{lo}, {hi}])"));
        let margin = self.slope.margin.map_or(String::new(), |m| format!(", margin {m:+.1}"));
        format!("slope {:.3} [{a:.3}, {b:.3}] in [{}, {}]{band}{margin}", fit.slope, self.slope.lo, self.slope.hi)
    }
}
