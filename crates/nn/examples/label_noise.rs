//! One label-noise run on matrix sensing (docs/theory.md §8), printed as a table and as JSON.
//!
//! cargo run --release -p momlab-nn --example label_noise -- [lr] [C] [eps] [steps] [init_scale] [seed]
//!
//! Phase 1: full-batch GD to train loss <= 1e-10; phase 2: full-batch label-noise heavy ball with
//! 1 - beta = C lr^(2/3).

use nn::tasks::{MatrixSensing, MatrixSensingConfig};
use nn::{Backend, Config, Interpolation, Keep, Lr, Momentum, Precision, Schedule, Stop};
use theory::Method;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<f64> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let arg = |i: usize, default: f64| args.get(i).copied().unwrap_or(default);
    let (lr, c, eps, steps, init_scale, seed) =
        (arg(0, 0.02), arg(1, 1.0), arg(2, 0.5), arg(3, 5000.0) as usize, arg(4, 0.5), arg(5, 0.0) as u64);
    let task = MatrixSensing::new(MatrixSensingConfig { init_scale, seed, ..Default::default() })?;
    let schedule =
        Schedule::new(Method::Hb { lr, momentum: 0.0 }, Lr::Constant, Momentum::Coupled { c, g: 2.0 / 3.0 })?;
    let config = Config {
        seed,
        interpolation: Interpolation::gd(0.02, 1e-10, 50_000),
        schedule,
        batch: None,
        eps,
        steps,
        record_every: (steps / 10).max(1),
        stop: Stop::Never,
        keep: Keep::Series,
    };
    let record = nn::train::run(&task, Backend::Flex, Precision::F64, &config)?;
    println!("phase 1: {:?}; outcome {:?}; {:.2} s", record.phase_one, record.outcome, record.seconds);
    println!("{:>8} {:>12} {:>12} {:>12}", "step", "train loss", "|U|_F^2", "recovery");
    for c in &record.series {
        println!("{:>8} {:>12.3e} {:>12.6} {:>12.6}", c.step, c.train_loss, c.regulariser, c.test_error);
    }
    if std::env::var_os("JSON").is_some() {
        println!("{}", serde_json::to_string_pretty(&record)?);
    }
    Ok(())
}
