//! The spectrum specification strings of the CLI and the experiment files:
//!
//! | spec | spectrum |
//! |---|---|
//! | `power:d=1000,a=1.0[,s=1]` | l_i = s i^-a |
//! | `uniform:d=100,lo=0.01,hi=1` | d values evenly spaced on [lo, hi] |
//! | `cluster:d=100,lo=0.01,hi=1,frac=0.1` (or `high=10`) | two clusters, `frac` of them at hi |
//! | `mp:d=100,n=400[,sigma=1][,seed=0]` | Marchenko–Pastur sample, eigenvalues of X^T X / n |
//! | `file:PATH` | JSON array or one value per line |
//! | `data:PATH.csv` | eigenvalues of the sample covariance of the CSV rows |

use crate::error::{Error, Result};
use crate::invalid;
use crate::spectrum::{Spectrum, parse_number};
use std::collections::BTreeMap;
use std::path::Path;

impl std::str::FromStr for Spectrum {
    type Err = Error;

    /// Parses a specification string (see the module documentation).
    fn from_str(spec: &str) -> Result<Self> {
        let (family, rest) = spec
            .split_once(':')
            .ok_or_else(|| invalid!("spectrum '{spec}' must look like FAMILY:key=value,... or file:PATH"))?;
        match family {
            "file" => Spectrum::from_file(Path::new(rest)),
            "data" => Spectrum::from_data_csv(Path::new(rest)),
            "power" => {
                let mut kv = KeyValues::parse("spectrum", spec, rest, &["d", "a", "s"])?;
                Spectrum::power_law(kv.count("d")?, kv.number("a")?, kv.number_or("s", 1.0)?)
            }
            "uniform" => {
                let mut kv = KeyValues::parse("spectrum", spec, rest, &["d", "lo", "hi"])?;
                Spectrum::uniform(kv.count("d")?, kv.number("lo")?, kv.number("hi")?)
            }
            "cluster" | "two-cluster" => {
                let mut kv = KeyValues::parse("spectrum", spec, rest, &["d", "lo", "hi", "frac", "high"])?;
                let d = kv.count("d")?;
                let high = match (kv.has("frac"), kv.has("high")) {
                    (true, false) => {
                        let frac = kv.number("frac")?;
                        if !(frac > 0.0 && frac <= 1.0) {
                            return Err(invalid!("spectrum '{spec}': frac must be in (0, 1], got {frac}"));
                        }
                        ((frac * d as f64).round() as usize).max(1)
                    }
                    (false, true) => kv.count("high")?,
                    _ => {
                        return Err(invalid!("spectrum '{spec}': give exactly one of frac= or high="));
                    }
                };
                Spectrum::two_cluster(d, high, kv.number("lo")?, kv.number("hi")?)
            }
            "mp" => {
                let mut kv = KeyValues::parse("spectrum", spec, rest, &["d", "n", "sigma", "seed"])?;
                let seed = kv.count_or("seed", 0)? as u64;
                Spectrum::marchenko_pastur(kv.count("d")?, kv.count("n")?, kv.number_or("sigma", 1.0)?, seed)
            }
            other => {
                Err(invalid!("unknown spectrum family '{other}' (known: power, uniform, cluster, mp, file, data)"))
            }
        }
    }
}

/// `key=value` pairs of one specification, each known key at most once; `what` names the kind
/// of specification in errors.
pub(crate) struct KeyValues<'a> {
    what: &'static str,
    spec: &'a str,
    values: BTreeMap<&'a str, &'a str>,
}

impl<'a> KeyValues<'a> {
    pub(crate) fn parse(what: &'static str, spec: &'a str, rest: &'a str, known: &[&str]) -> Result<Self> {
        let mut values = BTreeMap::new();
        for item in rest.split(',').filter(|s| !s.trim().is_empty()) {
            let (k, v) = item.split_once('=').ok_or_else(|| invalid!("{what} '{spec}': '{item}' is not key=value"))?;
            let k = k.trim();
            if !known.contains(&k) {
                return Err(invalid!("{what} '{spec}': unknown key '{k}' (known: {})", known.join(", ")));
            }
            if values.insert(k, v.trim()).is_some() {
                return Err(invalid!("{what} '{spec}': key '{k}' given twice"));
            }
        }
        Ok(KeyValues { what, spec, values })
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    fn raw(&mut self, key: &str) -> Result<&'a str> {
        self.values.get(key).copied().ok_or_else(|| invalid!("{} '{}': missing key '{key}'", self.what, self.spec))
    }

    fn number(&mut self, key: &str) -> Result<f64> {
        let (what, spec) = (self.what, self.spec);
        parse_number(self.raw(key)?).map_err(|e| invalid!("{what} '{spec}': {key}: {e}"))
    }

    fn number_or(&mut self, key: &str, default: f64) -> Result<f64> {
        if self.has(key) { self.number(key) } else { Ok(default) }
    }

    pub(crate) fn count(&mut self, key: &str) -> Result<usize> {
        let (what, spec) = (self.what, self.spec);
        let raw = self.raw(key)?;
        raw.parse::<usize>().map_err(|_| invalid!("{what} '{spec}': {key} must be a non-negative integer, got '{raw}'"))
    }

    pub(crate) fn count_or(&mut self, key: &str, default: usize) -> Result<usize> {
        if self.has(key) { self.count(key) } else { Ok(default) }
    }
}
