//! The Burn optimiser is theory's template (docs/theory.md §3), step for step:
//!
//! 1. Mini-batch least squares, loss 1/(2B) sum_i (x_i . w - y_i)^2 with noise-free labels
//!    y = X w*, trained by [`TemplateOptimizer`] on a `burn::nn::Linear` (no bias) gives the same
//!    full-data loss 1/(2n) |X w - y|^2 at every step as the simulator `sim::run::run` on the
//!    same rows, the same start and the same seeded mini-batch draws (SGD, HB, NAG, ASGD; f64;
//!    flex and ndarray).
//! 2. A schedule that changes lr and momentum at every step gives the same iterates as theory's
//!    `Template::update` applied by hand.
//! 3. A parameter held twice by a module (tied weights) is updated once with the summed gradient.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Int, Tensor, TensorData};
use nn::{Backend, Lr, Momentum, Precision, Schedule, TemplateOptimizer};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use sim::{Problem, Rng};
use theory::Method;

const N: usize = 40;
const D: usize = 8;
const BATCH: usize = 4;
const STEPS: usize = 50;
const SEED: u64 = 7;

/// A fixed data set: rows x_i (row-major n x d) and w*.
struct Data {
    x: Vec<f64>,
    w_star: Vec<f64>,
}

impl Data {
    fn new() -> Self {
        let mut rng = Rng::seed_from_u64(1);
        let mut gaussian = |len: usize| (0..len).map(|_| rng.sample::<f64, _>(StandardNormal)).collect::<Vec<_>>();
        Data { x: gaussian(N * D), w_star: gaussian(D) }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * D..(i + 1) * D]
    }

    fn labels(&self) -> Vec<f64> {
        (0..N).map(|i| dot(self.row(i), &self.w_star)).collect()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The simulator's view of the data set, in error coordinates e = w - w*.
impl Problem for Data {
    fn dim(&self) -> usize {
        D
    }

    /// 1/(2n) sum_i (x_i . e)^2.
    fn loss(&self, e: &[f64]) -> f64 {
        (0..N).map(|i| dot(self.row(i), e).powi(2)).sum::<f64>() / (2.0 * N as f64)
    }

    /// (1/B) sum_{i in batch} x_i (x_i . e), the batch drawn uniformly with replacement.
    fn gradient(&self, e: &[f64], rng: &mut Rng, g: &mut [f64], _scratch: &mut [f64]) {
        g.fill(0.0);
        for _ in 0..BATCH {
            let row = self.row(rng.random_range(0..N));
            let r = dot(row, e);
            g.iter_mut().zip(row).for_each(|(gj, xj)| *gj += r * xj);
        }
        g.iter_mut().for_each(|gj| *gj /= BATCH as f64);
    }
}

/// 1/(2B) |prediction - y|^2 over the B rows of `prediction`.
fn half_mse(prediction: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    let rows = prediction.dims()[0];
    (prediction - y).square().sum().div_scalar(2.0 * rows as f64)
}

/// Per-step full-data losses of `method` trained by the Burn optimiser from w0 = w* + e0.
fn burn_losses(device: &Device, data: &Data, method: &Method, e0: &[f64]) -> Vec<f64> {
    let x = Tensor::<2>::from_data(TensorData::new(data.x.clone(), [N, D]), device);
    let y = Tensor::<2>::from_data(TensorData::new(data.labels(), [N, 1]), device);
    let w0: Vec<f64> = data.w_star.iter().zip(e0).map(|(w, e)| w + e).collect();
    let weight = Param::from_tensor(Tensor::<2>::from_data(TensorData::new(w0, [D, 1]), device));
    let mut model = Linear { weight, bias: None };
    let full_loss =
        |model: &Linear| half_mse(model.valid().forward(x.clone().inner()), y.clone().inner()).into_scalar::<f64>();

    let mut optimizer = TemplateOptimizer::new();
    let mut rng = Rng::seed_from_u64(SEED);
    let mut losses = vec![full_loss(&model)];
    for _ in 0..STEPS {
        let rows: Vec<i64> = (0..BATCH).map(|_| rng.random_range(0..N) as i64).collect();
        let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [BATCH]), device);
        let (xb, yb) = (x.clone().select(0, rows.clone()), y.clone().select(0, rows));
        model = optimizer.step(method, model, |m: &Linear| half_mse(m.forward(xb), yb)).unwrap();
        losses.push(full_loss(&model));
    }
    losses
}

fn methods() -> [Method; 4] {
    [
        Method::Sgd { lr: 0.1 },
        Method::Hb { lr: 0.05, momentum: 0.6 },
        Method::Nag { lr: 0.05, momentum: 0.6 },
        Method::Asgd { lr: 0.1, long_step: 10.0, xi: 2.0 },
    ]
}

fn burn_matches_the_simulator(backend: Backend) {
    let device = nn::device(backend, Precision::F64).unwrap();
    let data = Data::new();
    let e0 = data.initial_error(&mut Rng::seed_from_u64(2));
    let checkpoints: Vec<usize> = (0..=STEPS).collect();
    for method in methods() {
        let simulated =
            sim::run::run(&data, &method, e0.clone(), STEPS, &checkpoints, 0.0, &mut Rng::seed_from_u64(SEED));
        assert_eq!(simulated.diverged_at, None, "{method:?}");
        let trained = burn_losses(&device, &data, &method, &e0);
        assert_eq!(trained.len(), simulated.losses.len());
        assert!(simulated.losses[STEPS] < 0.1 * simulated.losses[0], "{method:?} barely moved: {:?}", simulated.losses);
        for (t, (b, s)) in trained.iter().zip(&simulated.losses).enumerate() {
            assert!((b - s).abs() <= 1e-5 * s.abs(), "{backend} {method:?} step {t}: burn {b}, sim {s}");
        }
    }
}

#[test]
fn flex_matches_the_simulator() {
    burn_matches_the_simulator(Backend::Flex);
}

#[test]
fn ndarray_matches_the_simulator() {
    burn_matches_the_simulator(Backend::Ndarray);
}

/// f(w) = 1/2 sum_j h_j w_j^2 under a schedule that moves lr and momentum at every step, against
/// `Template::update` applied coordinate by coordinate with g = h_j (a . z).
#[test]
fn scheduled_steps_apply_each_steps_template() {
    let device = nn::device(Backend::Flex, Precision::F64).unwrap();
    let (h, w0) = ([0.5, 1.0, 2.0], [1.0, -2.0, 0.5]);
    let schedules = [
        Schedule::new(
            Method::Hb { lr: 0.3, momentum: 0.0 },
            Lr::Cosine { steps: 20, min: 0.01 },
            Momentum::Coupled { c: 1.5, g: 2.0 / 3.0 },
        ),
        Schedule::new(Method::Nag { lr: 0.3, momentum: 0.8 }, Lr::StepDecay { every: 3, factor: 0.7 }, Momentum::Fixed),
        Schedule::new(
            Method::Sp { lr: 0.3, alpha: 0.3, beta: 0.8, gamma: 1.5 },
            Lr::Cosine { steps: 20, min: 0.05 },
            Momentum::Fixed,
        ),
    ];
    let h_tensor = Tensor::<1>::from_floats(h, &device);
    for schedule in schedules.map(Result::unwrap) {
        let mut model = Param::from_tensor(Tensor::<1>::from_floats(w0, &device));
        let mut optimizer = TemplateOptimizer::new();
        let mut z = w0.map(|w| [w, w]);
        for t in 0..25 {
            let method = schedule.at(t).unwrap();
            let loss = |w: &Param<Tensor<1>>| (w.val().square() * h_tensor.clone()).sum().div_scalar(2.0);
            model = optimizer.step(&method, model, loss).unwrap();
            let template = method.template();
            for (zj, hj) in z.iter_mut().zip(h) {
                *zj = template.update(*zj, hj * template.query(*zj));
            }
            let burn = model.val().try_into_vec_as::<f64>().unwrap();
            for (b, zj) in burn.iter().zip(&z) {
                assert!((b - zj[0]).abs() <= 1e-12 * zj[0].abs().max(1e-3), "{schedule:?} step {t}: {b} vs {}", zj[0]);
            }
        }
    }
}

#[derive(Module, Debug)]
struct Tied {
    first: Param<Tensor<1>>,
    second: Param<Tensor<1>>,
}

#[test]
fn a_tied_parameter_is_one_parameter() {
    let device = nn::device(Backend::Flex, Precision::F64).unwrap();
    let w = Param::from_tensor(Tensor::<1>::from_floats([1.0, 2.0], &device));
    let model = Tied { first: w.clone(), second: w };
    let (a, b) = (Tensor::<1>::from_floats([3.0, 5.0], &device), Tensor::<1>::from_floats([7.0, 11.0], &device));
    let loss = |m: &Tied| (m.first.val() * a.clone()).sum() + (m.second.val() * b.clone()).sum();
    let model = TemplateOptimizer::new().step(&Method::Sgd { lr: 0.5 }, model, loss).unwrap();
    assert_eq!(model.first.id, model.second.id);
    for p in [&model.first, &model.second] {
        assert_eq!(p.val().try_into_vec_as::<f64>().unwrap(), vec![1.0 - 0.5 * 10.0, 2.0 - 0.5 * 16.0]);
    }
}
