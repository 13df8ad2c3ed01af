//! `momlab predict`: the exact rate and iteration counts of one method at one batch size, with
//! the closed-form predictions of THEORY.md §5.

use crate::args::{self, ObjectiveArg, TargetArgs};
use crate::output::{self, cell};
use anyhow::{Result, bail};
use serde::Serialize;
use theory::{Assessment, Family, Method, Objective, Predictions, SpectrumSummary, tune};

#[derive(clap::Args)]
pub struct Args {
    /// Spectrum specification, e.g. power:d=1000,a=1.0.
    #[arg(long)]
    spectrum: String,
    /// sgd | hb | nag | asgd | sp (sp without parameters uses the closed-form accelerated rule).
    #[arg(long, value_parser = args::family)]
    method: Family,
    /// Batch size (integer >= 1, or inf).
    #[arg(long, value_parser = args::batch)]
    batch: f64,
    /// Classical learning rate (THEORY.md §3).
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Classical momentum b of heavy ball / Nesterov: x' = x - lr g + b (x - x_prev).
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    momentum: Option<f64>,
    /// ASGD long step (kappa_l).
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    long_step: Option<f64>,
    /// ASGD statistical advantage xi.
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    xi: Option<f64>,
    /// Sketch-and-project alpha.
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// Sketch-and-project beta.
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    beta: Option<f64>,
    /// Sketch-and-project gamma.
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    gamma: Option<f64>,
    /// Choose the hyperparameters that minimise the objective.
    #[arg(long)]
    tune: bool,
    /// What --tune minimises.
    #[arg(long, value_enum, default_value = "rate", requires = "tune")]
    objective: ObjectiveArg,
    #[command(flatten)]
    target: TargetArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    method: Family,
    batch: f64,
    lr: f64,
    momentum: Option<f64>,
    parameters: Method,
    #[serde(flatten)]
    assessment: Assessment,
    target: f64,
    tuned: bool,
    objective: Option<Objective>,
    evaluations: Option<usize>,
    spectrum: SpectrumSummary,
    predicted: Predictions,
}

pub fn run(a: Args) -> Result<()> {
    let spectrum = args::spectrum(&a.spectrum)?;
    let target = a.target.target()?;
    let predicted = Predictions::new(&spectrum, a.batch);
    let (method, evaluations) = if a.tune {
        if [a.lr, a.momentum, a.long_step, a.xi, a.alpha, a.beta, a.gamma].iter().any(Option::is_some) {
            bail!("--tune chooses the hyperparameters: do not also pass them");
        }
        let tuned = tune(&spectrum, a.method, a.batch, a.objective.into(), target)?;
        (tuned.method, Some(tuned.evaluations))
    } else {
        (method_from_args(&a, &predicted)?.validated()?, None)
    };
    let assessment = Assessment::new(&spectrum, &method, a.batch, target, true);
    let report = Report {
        method: a.method,
        batch: a.batch,
        lr: method.lr(),
        momentum: method.momentum(),
        parameters: method,
        assessment,
        target: target.eps,
        tuned: a.tune,
        objective: a.tune.then(|| a.objective.into()),
        evaluations,
        spectrum: spectrum.summary(),
        predicted,
    };
    if a.json {
        return output::print_json(&report);
    }
    println!("method      {method:?}");
    println!("batch       {}", a.batch);
    if assessment.diverged {
        println!("rate        {} (diverged: E[loss] grows)", assessment.rate);
        return Ok(());
    }
    println!("rate        {}", assessment.rate);
    println!("e-fold      {} iterations", cell(assessment.efold, 3));
    println!(
        "T({:e})  asymptotic {}, exact {}",
        target.eps,
        cell(assessment.iterations_asymptotic, 1),
        cell(assessment.iterations_to_target.map(|t| t as f64), 0)
    );
    println!(
        "predicted   L_B {:.6}, eta_B {:.6}, B_sgd {:.4}, B_hb {:.4}",
        predicted.l_b, predicted.eta_b, predicted.b_sgd, predicted.b_hb
    );
    Ok(())
}

/// The method from explicit hyperparameters; each family takes exactly its own.
fn method_from_args(a: &Args, predicted: &Predictions) -> Result<Method> {
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
