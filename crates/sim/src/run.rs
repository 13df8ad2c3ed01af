//! One trajectory of a method (theory's template, docs/theory.md §3) on a problem.

use crate::Rng;
use crate::problem::Problem;
use theory::Method;

/// What one run recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// Loss at each requested checkpoint reached (shorter than the checkpoints when diverged).
    pub losses: Vec<f64>,
    /// First step with loss <= eps * loss_0.
    pub hit: Option<usize>,
    /// The step at which the run diverged.
    pub diverged_at: Option<usize>,
}

/// Runs `method` on `problem` from `e0` for `steps` steps, recording the loss at `checkpoints`
/// (sorted step indices, 0 allowed) and the first step with loss <= eps loss_0. The run stops at
/// the first step where [`theory::diverged`] holds (non-finite, or above `theory::BLOW_UP` loss_0).
pub fn run(
    problem: &dyn Problem,
    method: &Method,
    e0: Vec<f64>,
    steps: usize,
    checkpoints: &[usize],
    eps: f64,
    rng: &mut Rng,
) -> Trajectory {
    let t = method.template();
    let single = method.is_single_state();
    let d = problem.dim();
    let (mut z1, mut z2) = (e0.clone(), e0);
    let (mut query, mut g, mut scratch) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let loss0 = problem.loss(&z1);
    let mut out = Trajectory { losses: Vec::with_capacity(checkpoints.len()), hit: None, diverged_at: None };
    let mut next = checkpoints.iter().peekable();
    let mut record = |step: usize, loss: f64, out: &mut Trajectory| {
        while next.peek().is_some_and(|&&c| c == step) {
            out.losses.push(loss);
            next.next();
        }
        if out.hit.is_none() && loss <= eps * loss0 {
            out.hit = Some(step);
        }
    };
    record(0, loss0, &mut out);
    for step in 1..=steps {
        let point: &[f64] = if t.a == [1.0, 0.0] {
            &z1
        } else {
            for ((q, x), y) in query.iter_mut().zip(&z1).zip(&z2) {
                *q = t.a[0] * x + t.a[1] * y;
            }
            &query
        };
        problem.gradient(point, rng, &mut g, &mut scratch);
        if single {
            for (x, gi) in z1.iter_mut().zip(&g) {
                *x -= t.c[0] * gi;
            }
        } else {
            for ((x, y), gi) in z1.iter_mut().zip(z2.iter_mut()).zip(&g) {
                [*x, *y] = t.update([*x, *y], *gi);
            }
        }
        let loss = problem.loss(&z1);
        if theory::diverged(loss, loss0) {
            out.diverged_at = Some(step);
            break;
        }
        record(step, loss, &mut out);
    }
    out
}
