//! `momlab`: the momentum-lab command line. Thin: parsing, dispatch and output only; all math
//! lives in the workspace crates.

mod args;
mod curvature;
mod output;
mod phase;
mod predict;
mod simulate;
mod spectrum;
mod train;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Checks the theory of stochastic momentum (SGD, heavy ball, Nesterov, ASGD) against measurement.
#[derive(Parser)]
#[command(name = "momlab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summary of a Hessian spectrum: d, L, mu, trace, kappa, B_sgd, B_hb.
    Spectrum(spectrum::Args),
    /// Exact rate, iterations to target and closed-form predictions for one method and batch.
    Predict(predict::Args),
    /// Tuned phase diagram over batch sizes: T(B), B T(B), CE(B), saturation batch per method.
    Phase(phase::Args),
    /// Monte-Carlo runs on Gaussian regression, Kaczmarz or coordinate descent beside the exact theory.
    Simulate(simulate::Args),
    /// One label-noise training run of a network (matrix sensing, teacher–student MLP, diabetes).
    Train(train::Args),
    /// Curvature and gradient-noise estimates of a network (tr H, lambda_max, B_simple) and the batch sizes they predict.
    Curvature(curvature::Args),
    /// Runs the papers' claims (experiments/*.toml): verdict table, report.md, report.json.
    Verify(verify::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // Clap's message up to its usage block, on one line.
            let text = e.render().to_string();
            let line: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
            return fail(&line.join(" "));
        }
    };
    let result = match cli.command {
        Command::Spectrum(a) => spectrum::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Phase(a) => phase::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Train(a) => train::run(a),
        Command::Curvature(a) => curvature::run(a),
        Command::Verify(a) => verify::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("error: {e:#}")),
    }
}

/// Bad input: one line on stderr, exit code 2.
fn fail(line: &str) -> ExitCode {
    eprintln!("{}", line.replace('\n', " "));
    ExitCode::from(2)
}
