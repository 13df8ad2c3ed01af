//! The label-noise training loop of docs/theory.md §8: the implicit regularisation of label-noise
//! heavy ball on matrix sensing, divergence as a recorded result, records and reproducibility.

use nn::tasks::{Diabetes, DiabetesConfig, MatrixSensing, MatrixSensingConfig, TeacherStudent, TeacherStudentConfig};
use nn::train::{Phase, run};
use nn::{Backend, Config, Interpolation, Keep, Lr, Momentum, Outcome, Precision, Schedule, Stop};
use theory::Method;

/// Heavy ball with constant lr and 1 - beta = C lr^(2/3) (docs/theory.md §8).
fn coupled_hb(lr: f64, c: f64) -> Schedule {
    Schedule::new(Method::Hb { lr, momentum: 0.0 }, Lr::Constant, Momentum::Coupled { c, g: 2.0 / 3.0 }).unwrap()
}

fn config(schedule: Schedule, eps: f64, steps: usize, record_every: usize) -> Config {
    Config {
        seed: 0,
        interpolation: Interpolation::gd(0.02, 1e-10, 20_000),
        schedule,
        batch: None,
        eps,
        steps,
        record_every,
        stop: Stop::Never,
        keep: Keep::Series,
    }
}

/// The toy of docs/theory.md §8 (d = 8, r = 1, r' = 3, n = 16) from a large initialisation
/// (init_scale 1): full-batch GD interpolates at a point with a large |U|_F^2 and a poor
/// recovery. Full-batch label-noise HB (eps = 0.2, lr = 0.02, 1 - beta = 0.02^(2/3) = 0.074)
/// then drifts along the zero-loss manifold to a smaller |U|_F^2 (whose minimum there is about
/// |X*|_* = 1) and a better recovery, while the same run without noise stays where it is
/// (|U|_F^2 within 1e-4 relative).
/// Asserted: the mean |U|_F^2 over the second half of the run is below 70% of its value at
/// interpolation, and so is the recovery error.
#[test]
fn label_noise_hb_lowers_the_frobenius_norm_after_interpolation() {
    let task = MatrixSensing::new(MatrixSensingConfig { init_scale: 1.0, ..Default::default() }).unwrap();
    let noisy = run(&task, Backend::Flex, Precision::F64, &config(coupled_hb(0.02, 1.0), 0.2, 2000, 100)).unwrap();
    assert!(noisy.phase_one.interpolated, "{:?}", noisy.phase_one);
    assert_eq!((noisy.outcome, noisy.steps, noisy.series.len()), (Outcome::Budget, 2000, 21));
    let start = noisy.series[0];
    assert!(start.train_loss <= 1e-10);
    let late = &noisy.series[11..];
    let mean = |f: fn(&nn::train::Checkpoint) -> f64| late.iter().map(f).sum::<f64>() / late.len() as f64;
    let (norm, recovery) = (mean(|c| c.regulariser), mean(|c| c.test_error));
    eprintln!(
        "interpolated after {} steps: |U|_F^2 {:.4}, recovery {:.4}; label-noise HB, steps 1000-2000: mean |U|_F^2 {norm:.4}, recovery {recovery:.4}, train loss {:.2e} at the end ({:.2} s)",
        noisy.phase_one.steps,
        start.regulariser,
        start.test_error,
        noisy.series.last().unwrap().train_loss,
        noisy.seconds
    );
    assert!(norm < 0.7 * start.regulariser, "|U|_F^2: {} at interpolation, mean {norm} late", start.regulariser);
    assert!(recovery < 0.7 * start.test_error, "recovery: {} at interpolation, mean {recovery} late", start.test_error);

    let quiet = run(&task, Backend::Flex, Precision::F64, &config(coupled_hb(0.02, 1.0), 0.0, 2000, 1000)).unwrap();
    assert_eq!(quiet.series[0], start, "phase 1 does not depend on the noise level");
    let end = quiet.series.last().unwrap();
    // Only the last 1e-10 of loss is still being removed.
    assert!(
        (end.regulariser - start.regulariser).abs() < 1e-4 * start.regulariser,
        "without noise |U|_F^2 moved: {} -> {}",
        start.regulariser,
        end.regulariser
    );
}

/// A learning rate far beyond stability overflows within a few steps: the run ends with
/// `Outcome::Diverged` in the phase concerned, and the record still serialises.
#[test]
fn divergence_is_recorded_not_a_panic() {
    let task = MatrixSensing::new(MatrixSensingConfig::default()).unwrap();
    let mut huge = config(coupled_hb(1e3, 1e-3), 0.2, 500, 10);
    let record = run(&task, Backend::Flex, Precision::F64, &huge).unwrap();
    eprintln!("huge lr: {:?}; {:?}; {} checkpoints", record.phase_one, record.outcome, record.series.len());
    match record.outcome {
        Outcome::Diverged { phase: Phase::LabelNoise, step } => assert!(step < 500 && step == record.steps),
        other => panic!("expected divergence in phase 2, got {other:?}"),
    }
    assert!(!record.threshold_reached);
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["outcome"]["status"], "diverged");
    assert_eq!(json["outcome"]["phase"], "label_noise");

    huge.interpolation = Interpolation::gd(1e3, 1e-10, 100);
    let record = run(&task, Backend::Flex, Precision::F64, &huge).unwrap();
    assert!(matches!(record.outcome, Outcome::Diverged { phase: Phase::Interpolation, .. }), "{:?}", record.outcome);
    assert!(record.series.is_empty() && record.steps == 0 && !record.phase_one.interpolated);
}

/// A short teacher–student run: the record names everything, the stop threshold ends it, and a
/// second run with the same seed is identical (up to the wall time).
#[test]
fn teacher_student_runs_are_recorded_and_reproducible() {
    let task = TeacherStudent::new(TeacherStudentConfig::default()).unwrap();
    let mut cfg = config(coupled_hb(0.05, 1.0), 0.1, 200, 50);
    cfg.interpolation = Interpolation::gd(0.5, 1e-6, 3000);
    let mut a = run(&task, Backend::Flex, Precision::F64, &cfg).unwrap();
    let mut b = run(&task, Backend::Flex, Precision::F64, &cfg).unwrap();
    eprintln!("teacher-student: {:?}; {:?}; series {:?}", a.phase_one, a.outcome, a.series);
    (a.seconds, b.seconds) = (0.0, 0.0);
    assert_eq!(a, b);
    assert_eq!(a.outcome, Outcome::Budget);
    assert_eq!(a.series.len(), 5);
    assert!(a.series.iter().all(|c| c.regulariser.is_finite() && c.regulariser > 0.0 && c.test_error.is_finite()));
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["task"], "teacher_student");
    assert_eq!(json["regulariser"], "gauss_newton_trace");
    assert_eq!(json["backend"], "flex");
    assert_eq!(json["method"]["method"], "hb");
    assert_eq!(json["config"]["schedule"]["momentum"]["rule"], "coupled");
    assert_eq!(json["task_config"]["student_hidden"], 12);
    assert_eq!(json["series"].as_array().unwrap().len(), 5);

    // A threshold above the starting regulariser stops the run at its first checkpoint.
    cfg.stop = Stop::RegulariserBelow { value: 2.0 * a.series[0].regulariser };
    let c = run(&task, Backend::Flex, Precision::F64, &cfg).unwrap();
    assert_eq!((c.outcome, c.threshold_reached, c.steps), (Outcome::Reached { step: 0 }, true, 0));

    // Keeping only the outcome: the same outcome and steps, an empty series; a test-error stop
    // (met at the third checkpoint) still measures the test error.
    for stop in [Stop::Never, Stop::TestErrorBelow { value: a.series[2].test_error }] {
        let series = run(&task, Backend::Flex, Precision::F64, &Config { stop, ..cfg }).unwrap();
        let outcome = run(&task, Backend::Flex, Precision::F64, &Config { stop, keep: Keep::Outcome, ..cfg }).unwrap();
        assert_eq!((outcome.outcome, outcome.steps), (series.outcome, series.steps), "{stop:?}");
        assert!(outcome.series.is_empty() && !series.series.is_empty());
    }
}

/// The diabetes MLP trains: GD lowers the train loss, label-noise HB runs, the test error is
/// finite.
#[test]
fn diabetes_trains() {
    let task = Diabetes::new(DiabetesConfig { hidden: 16, max_train: Some(64), ..Default::default() }).unwrap();
    let mut cfg = config(coupled_hb(0.02, 1.0), 0.1, 100, 50);
    cfg.interpolation = Interpolation::gd(0.2, 1e-4, 500);
    cfg.batch = Some(16);
    let record = run(&task, Backend::Flex, Precision::F64, &cfg).unwrap();
    assert_eq!(record.outcome, Outcome::Budget);
    assert_eq!(record.series.len(), 3);
    eprintln!("diabetes: {:?}; {:?}; series {:?}", record.phase_one, record.outcome, record.series);
    let start = record.series[0];
    assert!(start.train_loss < 0.25, "GD left the train loss at {}", start.train_loss);
    assert!(record.series.iter().all(|c| c.test_error.is_finite() && c.regulariser.is_finite()));
}
