//! `momlab predict`: the exact rate and iteration counts of one method at one batch size, with
//! the closed-form predictions of docs/theory.md §5.

use crate::args::{self, CaseArgs, ObjectiveArg, TargetArgs};
use crate::budget::{self, Estimate};
use crate::output::{self, cell};
use anyhow::{Result, bail};
use serde::Serialize;
use theory::{Assessment, Family, Method, Objective, Predictions, SpectrumSummary, tune};

#[derive(clap::Args)]
pub struct Args {
    /// Spectrum specification, e.g. power:d=1000,a=1.0.
    #[arg(long)]
    spectrum: String,
    #[command(flatten)]
    case: CaseArgs,
    /// Choose the hyperparameters that minimise the objective.
    #[arg(long)]
    tune: bool,
    /// Take the hyperparameters from a closed-form rule (docs/theory.md §5): A, B, sp or harmonic;
    /// --method names the rule's family (hb for A, B and harmonic; sp for sp).
    #[arg(long, conflicts_with = "tune")]
    rule: Option<String>,
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
    /// The closed-form rule that chose the hyperparameters, if any.
    rule: Option<String>,
    objective: Option<Objective>,
    evaluations: Option<usize>,
    spectrum: SpectrumSummary,
    predicted: Predictions,
}

pub fn run(a: Args, quiet: bool) -> Result<()> {
    let target = a.target.target()?;
    let needs = |d: f64| {
        // Tuning for T(eps) runs the exact curve at each of its evaluations.
        let curves = if a.tune && a.objective == ObjectiveArg::Target { budget::TUNING_EVALUATIONS } else { 1.0 };
        let mut parts =
            vec![budget::gaussian_theory(d, 1), budget::exact_curve_bound(d, target.max_steps as f64, curves)];
        if a.tune {
            parts.push(budget::tuning(d, 1.0));
        }
        parts
    };
    let spectrum = args::spectrum_within("predict", &a.spectrum, needs)?;
    let seconds = Estimate::new(needs(spectrum.d() as f64)).seconds(1);
    budget::announce("predict", seconds, quiet);
    let predicted = Predictions::new(&spectrum, a.case.batch);
    let (method, evaluations) = if let Some(name) = &a.rule {
        if a.case.method.any_given() {
            bail!("--rule chooses the hyperparameters: do not also pass them");
        }
        let method = theory::rules::closed_form(name)?.method(&predicted);
        if method.family() != a.case.method.method {
            bail!("rule {name} picks {} parameters: pass --method {}", method.family(), method.family());
        }
        (method, None)
    } else if a.tune {
        if a.case.method.any_given() {
            bail!("--tune chooses the hyperparameters: do not also pass them");
        }
        let tuned = tune(&spectrum, a.case.method.method, a.case.batch, a.objective.into(), target)?;
        (tuned.method, Some(tuned.evaluations))
    } else {
        (a.case.method.build(&predicted)?, None)
    };
    let assessment = Assessment::new(&spectrum, &method, a.case.batch, target, true);
    let report = Report {
        method: a.case.method.method,
        batch: a.case.batch,
        lr: method.lr(),
        momentum: method.momentum(),
        parameters: method,
        assessment,
        target: target.eps,
        tuned: a.tune,
        rule: a.rule.clone(),
        objective: a.tune.then(|| a.objective.into()),
        evaluations,
        spectrum: spectrum.summary(),
        predicted,
    };
    if a.json {
        return output::print_json(&report);
    }
    println!("method      {method:?}");
    println!("batch       {}", a.case.batch);
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
