//! The claim registry: one `experiments/<id>.toml` per claim, holding everything a check needs
//! (spectra, methods, tolerances), fixed before any run.
//!
//! ```toml
//! id = "C2"
//! source = "..."
//! statement = "..."
//! spectra = ["power:d=1000,a=1", ...]        # quick and full profiles
//! smoke_spectra = ["power:d=50,a=1", ...]    # smoke profile
//! task = "matrix_sensing"                   # instead of spectra: a claim measured by training
//! [tolerance]                                 # named numbers the check reads
//! lo = 0.5
//! hi = 2.0
//! ```

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One claim's parameters.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    pub id: String,
    /// Which paper and statement (THEORY.md §1).
    pub source: String,
    /// The claim in words, with its pass criterion.
    pub statement: String,
    /// Spectra of the quick and full profiles (claims on quadratics).
    #[serde(default)]
    pub spectra: Vec<String>,
    /// Smaller spectra of the smoke profile.
    #[serde(default)]
    pub smoke_spectra: Vec<String>,
    /// The network task of a claim measured by training (C9: "matrix_sensing"); such a claim
    /// has no spectra.
    #[serde(default)]
    pub task: Option<String>,
    /// The tolerances, by name.
    pub tolerance: BTreeMap<String, f64>,
    /// Protocol numbers of a claim that simulates (runs, steps, batch, seed), by name.
    #[serde(default)]
    pub protocol: BTreeMap<String, f64>,
}

impl ClaimSpec {
    /// Parses one claim file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let spec: ClaimSpec =
            toml::from_str(text).map_err(|e| Error::Registry(format!("{origin}: {}", e.message())))?;
        match (&spec.task, spec.spectra.is_empty(), spec.smoke_spectra.is_empty()) {
            (None, false, false) | (Some(_), true, true) => {}
            (None, ..) => {
                return Err(Error::Registry(format!("{origin}: spectra and smoke_spectra must not be empty")));
            }
            (Some(task), ..) => {
                return Err(Error::Registry(format!("{origin}: a claim on the task '{task}' takes no spectra")));
            }
        }
        let numbers =
            spec.tolerance.iter().map(|e| ("tolerance", e)).chain(spec.protocol.iter().map(|e| ("protocol", e)));
        if let Some((section, (name, v))) = numbers.into_iter().find(|(_, (_, v))| !v.is_finite()) {
            return Err(Error::Registry(format!("{origin}: [{section}] {name} must be a finite number, got {v}")));
        }
        for s in spec.spectra.iter().chain(&spec.smoke_spectra) {
            s.parse::<theory::Spectrum>().map_err(|e| Error::Registry(format!("{origin}: {e}")))?;
        }
        Ok(spec)
    }

    /// A named tolerance.
    pub fn tolerance(&self, name: &str) -> Result<f64> {
        lookup(&self.tolerance, &self.id, "tolerance", name)
    }

    /// A named protocol number.
    pub fn protocol(&self, name: &str) -> Result<f64> {
        lookup(&self.protocol, &self.id, "protocol", name)
    }

    /// A named protocol number that counts something: an error unless it is a whole number >= 1.
    pub fn protocol_count(&self, name: &str) -> Result<usize> {
        let v = self.protocol(name)?;
        if v >= 1.0 && v.fract() == 0.0 {
            Ok(v as usize)
        } else {
            Err(Error::Registry(format!("claim {}: [protocol] {name} must be a whole number >= 1, got {v}", self.id)))
        }
    }
}

fn lookup(table: &BTreeMap<String, f64>, id: &str, section: &str, name: &str) -> Result<f64> {
    table.get(name).copied().ok_or_else(|| Error::Registry(format!("claim {id}: [{section}] lacks '{name}'")))
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
