//! The tasks of docs/theory.md §8: seeded determinism, the matrix-sensing gradient against its closed
//! form, fresh label noise, and the packaged diabetes data.

use nn::params;
use nn::tasks::matrix_sensing::MatrixSensing;
use nn::tasks::{
    Batch, Diabetes, DiabetesConfig, MatrixSensingConfig, Sensing, Stream, Task, TeacherStudent, TeacherStudentConfig,
    gaussian, rng,
};
use nn::{Backend, Precision};

fn device() -> burn::tensor::Device {
    nn::device(Backend::Flex, Precision::F64).unwrap()
}

fn small_diabetes(seed: u64) -> Diabetes {
    Diabetes::new(DiabetesConfig { hidden: 8, max_train: Some(64), seed, ..DiabetesConfig::default() }).unwrap()
}

/// The same seed gives the same data, initial model and batch draws; another seed does not.
fn deterministic<T: Task>(make: impl Fn(u64) -> T) {
    let device = device();
    let (a, b, c) = (make(3), make(3), make(4));
    assert_eq!(a.data(), b.data(), "{}", a.name());
    assert_ne!(a.data().train, c.data().train, "{}", a.name());
    let (wa, wb) = (params::values(&a.init(&device)).unwrap(), params::values(&b.init(&device)).unwrap());
    assert_eq!(wa, wb, "{}", a.name());
    assert_ne!(wa, params::values(&c.init(&device)).unwrap(), "{}", a.name());
    let draws = |t: &T| {
        let mut r = rng(9, Stream::Batches);
        (0..5).map(|_| t.sample_batch(4, &mut r)).collect::<Vec<Batch>>()
    };
    assert_eq!(draws(&a), draws(&b), "{}", a.name());
    let loaded = a.load(&device);
    assert_eq!(a.train_loss(&a.init(&device), &loaded), b.train_loss(&b.init(&device), &b.load(&device)));
}

#[test]
fn tasks_are_deterministic_given_the_seed() {
    for sensing in [Sensing::Gaussian, Sensing::Symmetric] {
        deterministic(|seed| MatrixSensing::new(MatrixSensingConfig { sensing, seed, ..Default::default() }).unwrap());
    }
    deterministic(|seed| TeacherStudent::new(TeacherStudentConfig { seed, ..Default::default() }).unwrap());
    deterministic(small_diabetes);
}

/// ∇_U L_S = (1/B) sum_k r_k (A_k + A_k^T) U with r_k = <A_k, U U^T> - y~_k, against Burn's
/// autodiff, on a batch with noisy labels, for both sensing ensembles.
#[test]
fn matrix_sensing_gradient_matches_the_closed_form() {
    let device = device();
    for sensing in [Sensing::Gaussian, Sensing::Symmetric] {
        let config =
            MatrixSensingConfig { d: 5, rank: 1, model_rank: 3, measurements: 12, sensing, ..Default::default() };
        let (d, k) = (config.d, config.model_rank);
        let task = MatrixSensing::new(config).unwrap();
        let loaded = task.load(&device);
        let u = gaussian(&mut rng(11, Stream::Init), d * k);
        let model = task.model_from(&u, &device);
        let batch = task.sample_batch(7, &mut rng(12, Stream::Batches));
        let labels = batch.noisy_labels(0.3, &mut rng(13, Stream::Noise));
        let (loss, grad) = params::gradient(&model, |m| {
            task.batch_losses(m, &loaded, std::slice::from_ref(&batch), std::slice::from_ref(&labels))
        })
        .unwrap();

        let x = nn::tasks::matrix_sensing::gram(&u, d, k);
        let train = &task.data().train;
        let (mut expected, mut expected_loss) = (vec![0.0; d * k], 0.0);
        for (&row, y) in batch.rows.iter().zip(&labels) {
            let a = train.row(row);
            let r = a.iter().zip(&x).map(|(p, q)| p * q).sum::<f64>() - y;
            expected_loss += r * r / (2.0 * batch.rows.len() as f64);
            for i in 0..d {
                for c in 0..k {
                    let sym_au: f64 = (0..d).map(|j| (a[i * d + j] + a[j * d + i]) * u[j * k + c]).sum();
                    expected[i * k + c] += r * sym_au / batch.rows.len() as f64;
                }
            }
        }
        let norm = expected.iter().map(|g| g * g).sum::<f64>().sqrt();
        let err = grad.iter().zip(&expected).map(|(g, e)| (g - e).powi(2)).sum::<f64>().sqrt();
        eprintln!("{sensing:?}: relative gradient error {:.2e}", err / norm);
        assert!(err <= 1e-8 * norm, "{sensing:?}: |autodiff - closed form| = {err:e}, |grad| = {norm}");
        assert!((loss - expected_loss).abs() <= 1e-12 * expected_loss, "{loss} vs {expected_loss}");
    }
}

/// y~ = y + eps xi: two consecutive draws differ, the noise has mean 0 and variance eps^2, and
/// consecutive draws are uncorrelated. With N = 20000 draws the sample variance has relative
/// standard error sqrt(2/(N-1)) = 1%, the mean and the correlation 1/sqrt(N) (in units of eps
/// and 1): the tolerances are 5 standard errors.
#[test]
fn label_noise_is_fresh_each_step() {
    const N: usize = 20_000;
    let eps = 0.7;
    let labels = gaussian(&mut rng(1, Stream::Data), N);
    let batch = Batch { rows: (0..N).collect(), labels };
    let mut noise = rng(2, Stream::Noise);
    let first = batch.noisy_labels(eps, &mut noise);
    let second = batch.noisy_labels(eps, &mut noise);
    let xi = |draw: &[f64]| draw.iter().zip(&batch.labels).map(|(a, y)| (a - y) / eps).collect::<Vec<_>>();
    let (x1, x2) = (xi(&first), xi(&second));
    assert!(x1.iter().zip(&x2).all(|(a, b)| a != b), "a label kept its noise from one step to the next");

    let n = N as f64;
    for x in [&x1, &x2] {
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(mean.abs() <= 5.0 / n.sqrt(), "noise mean {mean} (in units of eps)");
        let tolerance = 5.0 * (2.0 / (n - 1.0)).sqrt();
        assert!(
            (var - 1.0).abs() <= tolerance,
            "noise variance {} vs eps^2 = {} (tolerance {:.3})",
            var * eps * eps,
            eps * eps,
            tolerance
        );
    }
    let corr = x1.iter().zip(&x2).map(|(a, b)| a * b).sum::<f64>() / n;
    assert!(corr.abs() <= 5.0 / n.sqrt(), "consecutive draws correlate: {corr}");
    // eps = 0 gives the clean labels.
    assert_eq!(batch.noisy_labels(0.0, &mut noise), batch.labels);
}

/// The diabetes rows come from the package (441 patients, 10 features), split by the seed and
/// standardised with the train statistics.
#[test]
fn diabetes_is_loaded_split_and_standardised() {
    let (x, y, n) = nn::tasks::diabetes::raw();
    assert_eq!((n, x.len(), y.len()), (441, 441 * 10, 441));
    let task = Diabetes::new(DiabetesConfig::default()).unwrap();
    let (train, test) = (&task.data().train, &task.data().test);
    assert_eq!((train.rows, test.rows, train.cols), (441 - 88, 88, 10));
    let mean_std = |v: Vec<f64>| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (m, (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt())
    };
    for j in 0..10 {
        let (m, s) = mean_std((0..train.rows).map(|i| train.row(i)[j]).collect());
        assert!(m.abs() < 1e-12 && (s - 1.0).abs() < 1e-12, "feature {j}: mean {m}, std {s}");
    }
    let (m, s) = mean_std(train.y.clone());
    assert!(m.abs() < 1e-12 && (s - 1.0).abs() < 1e-12, "target: mean {m}, std {s}");
    // The test rows are standardised with the train statistics, so only roughly standard.
    let (m, s) = mean_std(test.y.clone());
    assert!(m.abs() < 0.5 && (s - 1.0).abs() < 0.5, "test target: mean {m}, std {s}");
}

/// The teacher's labels are standardised over all rows and the student is wider.
#[test]
fn teacher_student_labels_are_standardised() {
    let task = TeacherStudent::new(TeacherStudentConfig::default()).unwrap();
    let all: Vec<f64> = task.data().train.y.iter().chain(&task.data().test.y).copied().collect();
    let m = all.iter().sum::<f64>() / all.len() as f64;
    let v = all.iter().map(|a| (a - m).powi(2)).sum::<f64>() / all.len() as f64;
    assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12, "labels: mean {m}, variance {v}");
    let student = task.init(&device());
    assert!(params::count(&student) > task.data().train.rows, "the student must be over-parametrised");
    assert_eq!(params::count(&student), task.student_weights().num_params());
}

/// A task's size from its configuration (what the CLI's resource estimates use) is the built
/// task's: its initial model's parameter count and its train rows, for every task, including
/// diabetes splits whose test share rounds up or down and a cut to max_train.
#[test]
fn sizes_known_before_building_match_the_built_tasks() {
    fn check<T: Task>(task: &T, size: nn::tasks::Size) {
        let parameters = params::values(&task.init(&device())).unwrap().len();
        assert_eq!((parameters, task.data().train.rows), (size.parameters, size.rows), "{}", task.name());
    }
    let sensing = MatrixSensingConfig::default();
    check(&MatrixSensing::new(sensing.clone()).unwrap(), sensing.size());
    let student = TeacherStudentConfig::default();
    check(&TeacherStudent::new(student.clone()).unwrap(), student.size());
    for (test_fraction, max_train) in [(0.2, None), (0.25, None), (0.3, None), (0.2, Some(64))] {
        let config = DiabetesConfig { test_fraction, max_train, ..DiabetesConfig::default() };
        check(&Diabetes::new(config.clone()).unwrap(), config.size());
    }
}
