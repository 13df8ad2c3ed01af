//! One divergence rule (`theory::diverged`, docs/theory.md §4): the exact recursion and a
//! simulated run stop at the same step.

use rand::SeedableRng;
use sim::{Problem, Rng};
use theory::{GaussianDynamics, Hitting, Method, Moments, Spectrum};

/// Full-batch gradients g = H e on H = diag(l): the run is deterministic.
struct FullBatch(Vec<f64>);

impl Problem for FullBatch {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn loss(&self, e: &[f64]) -> f64 {
        0.5 * self.0.iter().zip(e).map(|(l, x)| l * x * x).sum::<f64>()
    }
    fn gradient(&self, e: &[f64], _: &mut Rng, g: &mut [f64], _: &mut [f64]) {
        for ((gi, l), x) in g.iter_mut().zip(&self.0).zip(e) {
            *gi = l * x;
        }
    }
}

/// SGD with lr 1001 on H = I multiplies the loss by (1 - lr)^2 = 1e6 per step: 1e96 loss_0 after
/// 16 steps (alive), 1e102 loss_0 after 17 (diverged: above BLOW_UP = 1e100).
#[test]
fn simulator_and_exact_recursion_diverge_at_the_same_step() {
    assert_eq!(theory::BLOW_UP, 1e100);
    let method = Method::Sgd { lr: 1001.0 };
    let spectrum = Spectrum::new(vec![1.0; 3]).unwrap();
    let exact = GaussianDynamics::new(&spectrum, &method, f64::INFINITY);
    assert_eq!(exact.iterations_to_target(Moments::isotropic(3), 1e-4, 1000), Hitting::Diverged(17));
    let curve = exact.loss_curve(Moments::isotropic(3), 1000);
    assert_eq!(curve.len(), 18);
    assert!(!theory::diverged(curve[16], curve[0]) && theory::diverged(curve[17], curve[0]));

    let problem = FullBatch(vec![1.0; 3]);
    let mut rng = Rng::seed_from_u64(0);
    let steps: Vec<usize> = (0..=40).collect();
    let run = sim::run::run(&problem, &method, vec![0.5, -0.25, 1.0], 40, &steps, 1e-4, &mut rng);
    assert_eq!(run.diverged_at, Some(17));
    assert_eq!(run.losses.len(), 17, "losses at steps 0..=16 recorded, none after");
}

/// The finite-sum recursion stops at the same step: Kaczmarz on the rows of I_3 at the full
/// batch without replacement is deterministic GD on H = I/3, and lr 3003 multiplies the loss by
/// (1 - 1001)^2 = 1e6 per step.
#[test]
fn the_finite_sum_recursion_stops_where_the_loss_diverges() {
    use theory::finite_sum::{FiniteSum, Sampling, isotropic_start};
    let sum = FiniteSum::kaczmarz(&nalgebra::DMatrix::identity(3, 3)).unwrap();
    let method = Method::Sgd { lr: 3003.0 };
    let curve = sum.loss_curve(&method, 3, Sampling::WithoutReplacement, &isotropic_start(3), 1000).unwrap();
    assert_eq!(curve.len(), 18);
    assert!(!theory::diverged(curve[16], curve[0]) && theory::diverged(curve[17], curve[0]));
}
