//! The claim registry: one `experiments/<id>.toml` per claim, holding everything a check needs
//! (spectra, methods, tolerances), fixed before any run. The `kind` names the check (one module
//! of [`crate::claims`] per kind); a kind with typed tolerances refuses unknown or missing
//! fields when the file is loaded, before anything is measured.
//!
//! ```toml
//! id = "C2"
//! kind = "sgd_critical_batch"
//! source = "..."
//! statement = "..."
//! [spectra]                                 # claims on quadratics, per profile
//! smoke = ["power:d=50,a=1", ...]
//! full = ["power:d=1000,a=1", ...]          # quick uses full unless it has its own list
//! [tolerance]                               # the kind's typed tolerances
//! slope = [0.8, 1.2]
//! interval = [0.7, 1.3]
//! ```
//!
//! A claim measured by training names a `task` instead of spectra.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which check a claim is: one module of [`crate::claims`] (or of the self-measuring claims)
/// per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Monte Carlo against the exact curves (C1).
    Exactness,
    /// B_sat(SGD) against tr/L across a family of spectra (C2).
    SgdCriticalBatch,
    /// T_HB(B) ∝ 1/B below B_hb/4 (C3).
    PerfectParallelization,
    /// B_sat(HB)/B_sat(SGD) against √κ across a family (C4).
    HbWindow,
    /// Heavy ball does not move the CE frontier (C5).
    EfficiencyFrontier,
    /// ASGD against heavy ball at small and large batches (C6).
    AsgdAcceleration,
    /// Closed-form momentum rules against tuned heavy ball (C7).
    MomentumRule,
    /// The C2–C4 forms on randomized Kaczmarz (C8).
    KaczmarzBatchLaws,
    /// 1 − β ∝ η^(2/3) on networks (C9).
    MomentumScaling,
    /// The batch-size predictions on networks (C10).
    BatchTransfer,
}

/// A claim's spectra per profile; quick uses `full` unless it has its own list.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Spectra {
    pub smoke: Vec<String>,
    #[serde(default)]
    pub quick: Option<Vec<String>>,
    pub full: Vec<String>,
}

impl Spectra {
    /// Every list, each spectrum once per list.
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.smoke.iter().chain(self.quick.iter().flatten()).chain(&self.full)
    }

    fn check(&self, origin: &str, what: &str) -> Result<()> {
        if self.smoke.is_empty() || self.full.is_empty() || self.quick.as_ref().is_some_and(|q| q.is_empty()) {
            return Err(Error::Registry(format!("{origin}: [{what}] lists must not be empty")));
        }
        for s in self.all() {
            s.parse::<theory::Spectrum>().map_err(|e| Error::Registry(format!("{origin}: {e}")))?;
        }
        Ok(())
    }
}

/// One claim's parameters.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    pub id: String,
    /// Which check this is.
    pub kind: Kind,
    /// Which paper and statement (docs/theory.md §1).
    pub source: String,
    /// The claim in words, with its pass criterion.
    pub statement: String,
    /// The spectra per profile (claims on quadratics).
    #[serde(default)]
    pub spectra: Option<Spectra>,
    /// The network task of a claim measured by training (C9: "matrix_sensing"); such a claim
    /// has no spectra.
    #[serde(default)]
    pub task: Option<String>,
    /// The tolerances, typed by the kind ([`ClaimSpec::typed`]).
    pub tolerance: toml::Table,
    /// The protocol, typed by the kind ([`ClaimSpec::typed_protocol`]).
    #[serde(default)]
    pub protocol: toml::Table,
}

impl ClaimSpec {
    /// Parses one claim file's text; `origin` names it in errors. The kind's typed tolerances
    /// and protocol are checked here, so a misspelt or missing field fails at load.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let spec: ClaimSpec =
            toml::from_str(text).map_err(|e| Error::Registry(format!("{origin}: {}", e.message())))?;
        match (&spec.task, &spec.spectra) {
            (None, Some(spectra)) => spectra.check(origin, "spectra")?,
            (Some(_), None) => {}
            (None, None) => return Err(Error::Registry(format!("{origin}: a claim needs [spectra] or a task"))),
            (Some(task), Some(_)) => {
                return Err(Error::Registry(format!("{origin}: a claim on the task '{task}' takes no spectra")));
            }
        }
        let tables = [("tolerance", &spec.tolerance), ("protocol", &spec.protocol)];
        for (section, table) in tables {
            for (name, v) in table {
                if let Some(x) = non_finite(v) {
                    return Err(Error::Registry(format!(
                        "{origin}: [{section}] {name} must be a finite number, got {x}"
                    )));
                }
            }
        }
        crate::claims::validate(&spec).map_err(|e| Error::Registry(format!("{origin}: {e}")))?;
        Ok(spec)
    }

    /// The tolerances as the kind's typed struct (unknown or missing fields are an error).
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        typed(&self.tolerance, &self.id, "tolerance")
    }

    /// The protocol as the kind's typed struct (unknown or missing fields are an error).
    pub fn typed_protocol<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        typed(&self.protocol, &self.id, "protocol")
    }
}

/// The first non-finite number in `v` (TOML accepts nan and inf), searching arrays and tables.
fn non_finite(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) if !x.is_finite() => Some(*x),
        toml::Value::Array(items) => items.iter().find_map(non_finite),
        toml::Value::Table(t) => t.values().find_map(non_finite),
        _ => None,
    }
}

/// `table` as a `T`; an error names the field that does not fit, e.g.
/// "claim C1: [protocol] quick.runs: invalid type: floating point `0.5`, expected usize".
fn typed<T: serde::de::DeserializeOwned>(table: &toml::Table, id: &str, section: &str) -> Result<T> {
    serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
        let field = e.path().to_string();
        let at = if field == "." { String::new() } else { format!("{field}: ") };
        Error::Registry(format!("claim {id}: [{section}] {at}{}", e.into_inner().message()))
    })
}

/// Every `*.toml` in `dir`, sorted by claim id.
pub fn load(dir: &Path) -> Result<Vec<ClaimSpec>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Registry(format!("cannot read {}: {e}", dir.display())))?;
    let mut claims = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::Registry(e.to_string()))?.path();
        if path.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Registry(format!("cannot read {}: {e}", path.display())))?;
            let spec = ClaimSpec::parse(&text, &path.display().to_string())?;
            if path.file_stem().and_then(|s| s.to_str()) != Some(spec.id.as_str()) {
                return Err(Error::Registry(format!("{}: file name must be {}.toml", path.display(), spec.id)));
            }
            claims.push(spec);
        }
    }
    claims.sort_by_key(|c| c.id[1..].parse::<u32>().unwrap_or(u32::MAX));
    Ok(claims)
}
