//! Argument types shared by the subcommands.

use anyhow::Result;
use theory::{Family, Spectrum, Target};

/// `--spectrum SPEC` (see `theory::spec` for the grammar).
pub fn spectrum(spec: &str) -> Result<Spectrum> {
    Ok(spec.parse()?)
}

/// A batch size: an integer >= 1, or `inf` for the full-batch (deterministic) method.
pub fn batch(s: &str) -> std::result::Result<f64, String> {
    if s.eq_ignore_ascii_case("inf") {
        return Ok(f64::INFINITY);
    }
    match s.parse::<u64>() {
        Ok(b) if b >= 1 => Ok(b as f64),
        _ => Err(format!("batch size must be an integer >= 1 or 'inf', got '{s}'")),
    }
}

/// A method family name.
pub fn family(s: &str) -> std::result::Result<Family, String> {
    s.parse().map_err(|e: theory::Error| e.to_string())
}

/// A finite number.
pub fn number(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("'{s}' is not a finite number")),
    }
}

/// The target options shared by `predict` and `phase`.
#[derive(clap::Args, Clone, Copy)]
pub struct TargetArgs {
    /// Relative target eps: T(eps) = first t with E[loss_t] <= eps E[loss_0].
    #[arg(long = "target", default_value = "1e-4", value_parser = number, allow_negative_numbers = true)]
    pub eps: f64,
    /// Step budget of the exact curve.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_steps: usize,
}

impl TargetArgs {
    pub fn target(&self) -> Result<Target> {
        if !(self.eps > 0.0 && self.eps < 1.0) {
            anyhow::bail!("--target must be in (0, 1), got {}", self.eps);
        }
        if self.max_steps == 0 {
            anyhow::bail!("--max-steps must be >= 1");
        }
        Ok(Target { eps: self.eps, max_steps: self.max_steps })
    }
}

/// `--objective rate|target`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectiveArg {
    Rate,
    Target,
}

impl From<ObjectiveArg> for theory::Objective {
    fn from(o: ObjectiveArg) -> Self {
        match o {
            ObjectiveArg::Rate => theory::Objective::Rate,
            ObjectiveArg::Target => theory::Objective::Target,
        }
    }
}
