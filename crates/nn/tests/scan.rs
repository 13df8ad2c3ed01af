//! The momentum scan: its runs are the runs `train::run` makes from scratch, its budgets follow
//! the cap rule, and its result does not depend on the thread count.

use nn::scan::{self, MomentumGrid};
use nn::tasks::{MatrixSensing, MatrixSensingConfig};
use nn::{Backend, Config, Interpolation, Keep, Outcome, Precision, Schedule, Stop};
use theory::Method;

fn setup() -> (MatrixSensing, Interpolation, MomentumGrid) {
    let task = MatrixSensing::new(MatrixSensingConfig { init_scale: 1.0, ..Default::default() }).unwrap();
    let phase1 = Interpolation::gd(0.02, 1e-10, 100_000);
    let grid = MomentumGrid {
        lrs: vec![8e-4, 1.6e-3],
        one_minus_beta: vec![2e-4, 1e-3, 5e-3, 2.5e-2],
        seeds: vec![0, 1],
        eps: 0.5,
        threshold: 2.0,
        budget: 20_000,
        record_every: 2,
        cap: 3.0,
    };
    (task, phase1, grid)
}

#[test]
fn scan_runs_equal_runs_from_scratch_and_follow_the_cap() {
    let (task, phase1, grid) = setup();
    let scan = scan::run(&task, Backend::Flex, Precision::F64, &phase1, &grid, &|| {}).unwrap();
    assert!(scan.phase_one.interpolated && scan.start_regulariser > 6.0, "{:?}", scan.phase_one);
    assert_eq!(scan.points.len(), 8);
    // One point re-run from scratch (phase 1 included) with the same seed: the same time.
    let p = &scan.at_lr(1)[1];
    let config = Config {
        seed: 1,
        interpolation: phase1,
        schedule: Schedule::constant(Method::Hb { lr: p.lr, momentum: 1.0 - p.one_minus_beta }).unwrap(),
        batch: None,
        eps: grid.eps,
        steps: p.budget,
        record_every: grid.record_every,
        stop: Stop::RegulariserBelow { value: grid.threshold },
        keep: Keep::Series,
    };
    let record = nn::train::run(&task, Backend::Flex, Precision::F64, &config).unwrap();
    assert_eq!(record.outcome, Outcome::Reached { step: p.times[1].unwrap() });
    // Budgets: the first point has the whole budget, later ones at most cap x the best so far.
    for i in 0..2 {
        let points = scan.at_lr(i);
        let mut best = f64::INFINITY;
        for (k, p) in points.iter().enumerate() {
            let expected = if k == 0 { grid.budget } else { grid.budget.min((grid.cap * best).ceil() as usize) };
            assert_eq!(p.budget, expected);
            assert!(p.times.iter().flatten().all(|&t| t <= p.budget && t % grid.record_every == 0));
            best = best.min(p.log_time().map_or(f64::INFINITY, f64::exp));
        }
    }
    // Far above the knee (1 - beta = 0.025 at eta = 8e-4) the runs are censored.
    assert!(scan.at_lr(0)[3].log_time().is_none());
}

#[test]
fn the_scan_does_not_depend_on_the_thread_count() {
    let (task, phase1, grid) = setup();
    let in_pool = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| scan::run(&task, Backend::Flex, Precision::F64, &phase1, &grid, &|| {}).unwrap())
    };
    let one = serde_json::to_string(&in_pool(1)).unwrap();
    assert_eq!(one, serde_json::to_string(&in_pool(3)).unwrap());
}

#[test]
fn bad_grids_and_starts_are_errors() {
    let (task, phase1, grid) = setup();
    let run = |g: &MomentumGrid, p: &Interpolation| scan::run(&task, Backend::Flex, Precision::F64, p, g, &|| {});
    let bad = [
        MomentumGrid { lrs: vec![], ..grid.clone() },
        MomentumGrid { one_minus_beta: vec![1e-3, 1e-4], ..grid.clone() },
        MomentumGrid { one_minus_beta: vec![0.0, 1e-4], ..grid.clone() },
        MomentumGrid { seeds: vec![], ..grid.clone() },
        MomentumGrid { cap: 1.0, ..grid.clone() },
    ];
    for g in &bad {
        assert!(matches!(run(g, &phase1), Err(nn::Error::Invalid(_))), "{g:?}");
    }
    let short = Interpolation { max_steps: 10, ..phase1 };
    assert!(run(&grid, &short).unwrap_err().to_string().contains("did not interpolate"));
    let low = MomentumGrid { threshold: 100.0, ..grid.clone() };
    assert!(run(&low, &phase1).unwrap_err().to_string().contains("already has regulariser"));
}
