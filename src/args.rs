//! Argument types shared by the subcommands.

use crate::budget::{self, Estimate, Part};
use anyhow::{Result, bail};
use theory::{Family, Method, Predictions, Spectrum, Target};

/// `--spectrum SPEC` (see `theory::spec` for the grammar).
pub fn spectrum(spec: &str) -> Result<Spectrum> {
    Ok(spec.parse()?)
}

/// `--spectrum SPEC` for `command`, refused (budget::check) unless building it and then
/// `needs(d)` fit. When the specification names d, everything is checked before the spectrum is
/// built; for a file, the file's cost is checked before it is read and `needs(d)` after.
pub fn spectrum_within(command: &str, spec: &str, needs: impl Fn(f64) -> Vec<Part>) -> Result<Spectrum> {
    let cost = budget::spectrum(spec);
    let before = Estimate::new(cost.parts).with(cost.d.map(&needs).unwrap_or_default());
    budget::check(command, &before)?;
    let spectrum = spectrum(spec)?;
    if cost.d.is_none() {
        budget::check(command, &Estimate::new(needs(spectrum.d() as f64)))?;
    }
    Ok(spectrum)
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
    theory::spectrum::parse_number(s)
}

/// The target options shared by `predict` and `phase`.
#[derive(clap::Args, Clone, Copy)]
pub struct TargetArgs {
    /// Relative target eps: T(eps) = first t with E(loss_t) <= eps E(loss_0).
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

/// A method with its hyperparameters and a batch size: what `predict` and `simulate` both act on.
#[derive(clap::Args)]
pub struct CaseArgs {
    #[command(flatten)]
    pub method: MethodArgs,
    /// Batch size: an integer >= 1 (`predict` also takes inf, the full batch).
    #[arg(long, value_parser = batch)]
    pub batch: f64,
}

/// The method and its hyperparameters (docs/theory.md §3).
#[derive(clap::Args)]
pub struct MethodArgs {
    /// sgd | hb | nag | asgd | sp (sp without parameters uses the closed-form accelerated rule).
    #[arg(long, value_parser = family)]
    pub method: Family,
    /// Classical learning rate (docs/theory.md §3).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Classical momentum b of heavy ball / Nesterov: x' = x - lr g + b (x - x_prev).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    /// ASGD long step (kappa_l).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub long_step: Option<f64>,
    /// ASGD statistical advantage xi.
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub xi: Option<f64>,
    /// Sketch-and-project alpha.
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// Sketch-and-project beta.
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Sketch-and-project gamma.
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub gamma: Option<f64>,
}

impl MethodArgs {
    /// Whether any hyperparameter was given.
    pub fn any_given(&self) -> bool {
        [self.lr, self.momentum, self.long_step, self.xi, self.alpha, self.beta, self.gamma].iter().any(Option::is_some)
    }

    /// The validated method; `sp` without parameters is the closed-form rule of `predicted`.
    pub fn build(&self, predicted: &Predictions) -> Result<Method> {
        Ok(method_from_args(self, Some(predicted))?.validated()?)
    }

    /// The validated method from explicit hyperparameters only (no spectrum, so no closed-form
    /// rule for `sp`).
    pub fn build_explicit(&self) -> Result<Method> {
        Ok(method_from_args(self, None)?.validated()?)
    }
}

/// The method from explicit hyperparameters; each family takes exactly its own.
fn method_from_args(a: &MethodArgs, predicted: Option<&Predictions>) -> Result<Method> {
    let given = [
        ("--lr", a.lr),
        ("--momentum", a.momentum),
        ("--long-step", a.long_step),
        ("--xi", a.xi),
        ("--alpha", a.alpha),
        ("--beta", a.beta),
        ("--gamma", a.gamma),
    ];
    let needed: &[&str] = match a.method {
        Family::Sgd => &["--lr"],
        Family::Hb | Family::Nag => &["--lr", "--momentum"],
        Family::Asgd => &["--lr", "--long-step", "--xi"],
        Family::Sp => &["--lr", "--alpha", "--beta", "--gamma"],
    };
    if let Some((name, _)) = given.iter().find(|(n, v)| v.is_some() && !needed.contains(n)) {
        bail!("{name} does not apply to {}", a.method);
    }
    if a.method == Family::Sp && given.iter().all(|(_, v)| v.is_none()) {
        let Some(predicted) = predicted else { bail!("sp needs --lr, --alpha, --beta and --gamma here") };
        return Ok(predicted.sketch_project());
    }
    if let Some(missing) = needed.iter().find(|n| given.iter().any(|(g, v)| g == *n && v.is_none())) {
        bail!("{} needs {missing} (or use --tune)", a.method);
    }
    let v = |x: Option<f64>| x.expect("checked above");
    Ok(match a.method {
        Family::Sgd => Method::Sgd { lr: v(a.lr) },
        Family::Hb => Method::Hb { lr: v(a.lr), momentum: v(a.momentum) },
        Family::Nag => Method::Nag { lr: v(a.lr), momentum: v(a.momentum) },
        Family::Asgd => Method::Asgd { lr: v(a.lr), long_step: v(a.long_step), xi: v(a.xi) },
        Family::Sp => Method::Sp { lr: v(a.lr), alpha: v(a.alpha), beta: v(a.beta), gamma: v(a.gamma) },
    })
}
