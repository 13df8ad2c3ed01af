//! Replica batches: R runs stepped as one tensor program give, replica by replica, the records
//! of the runs made alone — for every task, all four methods, both CPU backends — and the same
//! bytes whatever the grouping into batches and the number of threads.

use nn::tasks::{
    Diabetes, DiabetesConfig, MatrixSensing, MatrixSensingConfig, Task, TeacherStudent, TeacherStudentConfig,
};
use nn::train::{Record, run, run_batched, run_replicas};
use nn::{Backend, Config, Interpolation, Keep, Lr, Momentum, Precision, Schedule, Stop};
use theory::Method;

/// Four methods with replica-specific learning rates (and momenta), so no two replicas of a
/// batch share a template.
fn methods(lr: f64) -> Vec<Method> {
    vec![
        Method::Sgd { lr },
        Method::Hb { lr: 0.9 * lr, momentum: 0.8 },
        Method::Nag { lr: 0.8 * lr, momentum: 0.7 },
        Method::Asgd { lr: 0.7 * lr, long_step: 10.0, xi: 0.5 },
    ]
}

/// One run per method, each with its own seed, noise level, budget and stop rule; with
/// mini-batches of `batch` rows and a short phase 1 (mini-batch GD) shared by all.
fn configs(lr: f64, batch: Option<usize>, stop: Stop) -> Vec<Config> {
    let interpolation = Interpolation { batch, check_every: 3, ..Interpolation::gd(lr, 1e-12, 7) };
    methods(lr)
        .into_iter()
        .enumerate()
        .map(|(i, method)| Config {
            seed: 10 + i as u64,
            interpolation,
            schedule: Schedule::new(method, Lr::StepDecay { every: 5, factor: 0.9 }, Momentum::Fixed).unwrap(),
            batch,
            eps: 0.1 * i as f64,
            steps: 12 + 3 * i,
            record_every: 4,
            stop: if i == 1 { stop } else { Stop::Never },
            keep: Keep::Series,
        })
        .collect()
}

/// |a - b| <= 1e-9 max(|a|, |b|), or both the same non-finite value.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || (a.is_nan() && b.is_nan())
}

/// Replica r of a batch equals the run of its config alone: outcome, steps and every measured
/// number (to 1e-9 relative), final parameters included.
fn same_run(batched: &Record, alone: &Record) {
    assert_eq!((batched.outcome, batched.steps), (alone.outcome, alone.steps));
    assert_eq!(batched.phase_one.steps, alone.phase_one.steps);
    assert!(close(batched.phase_one.train_loss, alone.phase_one.train_loss));
    assert_eq!(batched.series.len(), alone.series.len());
    for (a, b) in batched.series.iter().zip(&alone.series) {
        assert_eq!((a.step, a.lr, a.momentum), (b.step, b.lr, b.momentum));
        for (x, y) in [(a.train_loss, b.train_loss), (a.regulariser, b.regulariser), (a.test_error, b.test_error)] {
            assert!(close(x, y), "{} at step {}: {x} vs {y}", batched.method.family(), a.step);
        }
    }
    assert_eq!(batched.params.len(), alone.params.len());
    assert!(batched.params.iter().zip(&alone.params).all(|(a, b)| close(*a, *b)));
}

fn check<T: Task>(task: &T, backend: Backend, configs: &[Config]) {
    let batched = run_replicas(task, backend, Precision::F64, configs).unwrap();
    assert_eq!(batched.len(), configs.len());
    for (config, record) in configs.iter().zip(&batched) {
        same_run(record, &run(task, backend, Precision::F64, config).unwrap());
    }
}

fn sensing() -> MatrixSensing {
    MatrixSensing::new(MatrixSensingConfig { measurements: 24, ..Default::default() }).unwrap()
}

fn teacher_student() -> TeacherStudent {
    TeacherStudent::new(TeacherStudentConfig { train: 64, test: 16, student_hidden: 6, ..Default::default() }).unwrap()
}

fn diabetes() -> Diabetes {
    Diabetes::new(DiabetesConfig { hidden: 5, max_train: Some(48), ..Default::default() }).unwrap()
}

fn every_task(backend: Backend) {
    // The second replica stops at its first checkpoint below the start's regulariser.
    check(&sensing(), backend, &configs(0.01, Some(8), Stop::RegulariserBelow { value: 1e3 }));
    check(&sensing(), backend, &configs(0.01, None, Stop::Never));
    check(&teacher_student(), backend, &configs(0.05, Some(16), Stop::TestErrorBelow { value: 1e3 }));
    check(&diabetes(), backend, &configs(0.05, Some(16), Stop::Never));
}

#[test]
fn flex_replicas_equal_their_runs_alone() {
    every_task(Backend::Flex);
}

#[test]
fn ndarray_replicas_equal_their_runs_alone() {
    every_task(Backend::Ndarray);
}

/// A replica that diverges leaves the batch at the step its batch loss became non-finite; the
/// others run on undisturbed.
#[test]
fn a_diverging_replica_does_not_disturb_the_others() {
    let task = sensing();
    let mut runs = configs(0.01, Some(8), Stop::Never);
    runs[2].schedule = Schedule::constant(Method::Nag { lr: 50.0, momentum: 0.9 }).unwrap();
    runs[2].interpolation.max_steps = 0;
    for config in runs.iter_mut() {
        config.interpolation.max_steps = 0;
    }
    let batched = run_replicas(&task, Backend::Flex, Precision::F64, &runs).unwrap();
    assert!(matches!(batched[2].outcome, nn::Outcome::Diverged { .. }), "{:?}", batched[2].outcome);
    for (config, record) in runs.iter().zip(&batched) {
        same_run(record, &run(&task, Backend::Flex, Precision::F64, config).unwrap());
    }
}

/// Byte-identical records (the seconds aside) whatever the batches' sizes and the threads.
#[test]
fn grouping_and_threads_do_not_change_a_bit() {
    let task = teacher_student();
    let mut runs = configs(0.05, Some(16), Stop::Never);
    runs.extend(configs(0.05, Some(16), Stop::Never).into_iter().map(|c| Config {
        seed: c.seed + 100,
        eps: c.eps + 0.05,
        ..c
    }));
    let json = |records: Vec<Record>| {
        records
            .into_iter()
            .map(|r| {
                let params: Vec<u64> = r.params.iter().map(|p| p.to_bits()).collect();
                (serde_json::to_string(&Record { seconds: 0.0, ..r }).unwrap(), params)
            })
            .collect::<Vec<_>>()
    };
    let with = |threads: usize, group: Option<usize>| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| json(run_batched(&task, Backend::Flex, Precision::F64, &runs, group, &|_| {}).unwrap()))
    };
    let reference = with(1, Some(runs.len()));
    for (threads, group) in [(1, Some(1)), (3, Some(3)), (2, None), (4, Some(5))] {
        assert!(with(threads, group) == reference, "{threads} threads, batches of {group:?}");
    }
}

#[test]
fn replicas_of_one_batch_must_share_the_batch_size() {
    let mut runs = configs(0.01, Some(8), Stop::Never);
    runs[1].batch = Some(4);
    let err = run_replicas(&sensing(), Backend::Flex, Precision::F64, &runs).unwrap_err();
    assert!(err.to_string().contains("share the batch size"), "{err}");
    assert!(run_replicas(&sensing(), Backend::Flex, Precision::F64, &[]).is_err());
}

/// The steps to `target` of one run alone, written out step by step (the reference for the
/// critical-batch sweep's replica batches): mini-batches of `batch` rows from the seed's batch
/// stream, checkpoints 1, 2, ..., max(t + 1, ceil(1.05 t)) and the budget; diverged when the
/// loss is non-finite or above 100 times the initial loss at a checkpoint.
fn steps_alone<T: Task>(
    task: &T,
    method: Method,
    batch: usize,
    seed: u64,
    target: f64,
    budget: usize,
) -> Option<usize> {
    let device = nn::device(Backend::Flex, Precision::F64).unwrap();
    let loaded = task.load(&device);
    let mut model = task.init(&device);
    let initial = task.train_loss(&model, &loaded);
    let mut batches = nn::tasks::rng(seed, nn::tasks::Stream::Batches);
    let mut optimizer = nn::TemplateOptimizer::new();
    let mut check = 1;
    for t in 1..=budget {
        let rows = task.sample_batch(batch, &mut batches);
        let labels = rows.labels.clone();
        let rows = [rows];
        model = optimizer.step(&method, model, |m| task.batch_losses(m, &loaded, &rows, &[labels]).sum()).unwrap();
        if t == check || t == budget {
            let full = task.train_loss(&model, &loaded);
            if !(full.is_finite() && full <= 100.0 * initial) {
                return None;
            }
            if full <= target {
                return Some(t);
            }
            check = (t + 1).max((t as f64 * 1.05).ceil() as usize);
        }
    }
    None
}

/// The critical-batch sweep steps the next points of all its arms (every seed) as replica
/// batches: each time equals its run alone, and the sweep is the same bytes on one thread or
/// three (other groupings into batches).
#[test]
fn critical_sweep_times_equal_their_runs_alone() {
    use nn::critical::{Arm, BatchGrid, run};
    let task = teacher_student();
    let device = nn::device(Backend::Flex, Precision::F64).unwrap();
    let initial = task.train_loss(&task.init(&device), &task.load(&device));
    let grid = BatchGrid {
        batches: vec![8, 32],
        arms: vec![
            Arm { label: "sgd".into(), momentum: vec![0.0, 0.0] },
            Arm { label: "hb".into(), momentum: vec![0.9, 0.8] },
        ],
        lambda_max: 2.0,
        trace: 6.0,
        floor: 4.0,
        seeds: vec![0, 1, 2],
        target: 0.3 * initial,
        budget: 400,
        cap: 2.0,
    };
    let sweep_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run(&task, Backend::Flex, Precision::F64, &grid, &|| {}).unwrap())
    };
    let sweep = sweep_with(1);
    assert_eq!(serde_json::to_string(&sweep).unwrap(), serde_json::to_string(&sweep_with(3)).unwrap());
    let mut timed = 0;
    for cell in &sweep.cells {
        for point in &cell.points {
            let beta = 1.0 - point.one_minus_beta;
            let method =
                if beta == 0.0 { Method::Sgd { lr: point.lr } } else { Method::Hb { lr: point.lr, momentum: beta } };
            for (&seed, &t) in grid.seeds.iter().zip(&point.times) {
                assert_eq!(t, steps_alone(&task, method, cell.batch, seed, grid.target, point.budget), "{cell:?}");
                timed += usize::from(t.is_some());
            }
        }
    }
    assert!(timed >= 6, "only {timed} runs reached the target: the test would not test the times");
}
