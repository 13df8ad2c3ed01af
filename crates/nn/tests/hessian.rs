//! Hessian-vector products by finite differences of gradients, Hutchinson's trace estimate, and
//! the MLP tasks' implicit regulariser (docs/theory.md §8), the exact Gauss–Newton trace.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};
use nn::hessian::{hessian, hutchinson};
use nn::noise::Jacobian;
use nn::tasks::{MlpWeights, Started, Stream, Task, TeacherStudent, TeacherStudentConfig, gaussian, half_mse, rng};
use nn::{Backend, Interpolation, Precision, params};

fn device() -> burn::tensor::Device {
    nn::device(Backend::Flex, Precision::F64).unwrap()
}

/// A teacher–student task with 2 inputs, a 2-1-1 teacher and a 2-`hidden`-1 student on `train`
/// rows (biases drawn with std 0.5).
fn tiny_teacher_student(hidden: usize, train: usize) -> TeacherStudent {
    let config = TeacherStudentConfig {
        inputs: 2,
        teacher_hidden: 1,
        student_hidden: hidden,
        train,
        test: 10,
        init_bias_std: 0.5,
        seed: 2,
        ..Default::default()
    };
    TeacherStudent::new(config).unwrap()
}

/// On a linear model the loss 1/(2n)|X w - y|^2 is quadratic with Hessian X^T X / n: the
/// finite-difference Hessian matches it to rounding, and so does the mean of v.Hv over many
/// probes match its trace within the predicted spread.
#[test]
fn finite_difference_hessian_is_exact_on_a_quadratic() {
    let device = device();
    let (n, p) = (20, 6);
    let mut r = rng(5, Stream::Data);
    let (x, y, w0) = (gaussian(&mut r, n * p), gaussian(&mut r, n), gaussian(&mut r, p));
    let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [n, p]), &device);
    let yt = Tensor::<3>::from_data(TensorData::new(y, [1, n, 1]), &device);
    let weight = Param::from_tensor(Tensor::<2>::from_data(TensorData::new(w0, [p, 1]), &device));
    let model = Linear { weight, bias: None };
    let loss = |m: &Linear| half_mse(m.forward(xt.clone()).unsqueeze(), yt.clone());

    let h = hessian(&model, loss, 1e-3).unwrap();
    let mut exact = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            exact[i * p + j] = (0..n).map(|k| x[k * p + i] * x[k * p + j]).sum::<f64>() / n as f64;
        }
    }
    for (a, b) in h.iter().zip(&exact) {
        assert!((a - b).abs() <= 1e-9, "finite-difference Hessian {a} vs X^T X/n {b}");
    }
}

/// Hutchinson's estimate of tr(∇²L) against the exact trace of a tiny tanh MLP (13
/// parameters), whose full Hessian comes from finite differences of gradients along every
/// coordinate. One probe's value v.Hv has variance 2(|H|_F^2 - sum_i H_ii^2), so the mean of m
/// probes lies within 4 sigma / sqrt(m) of tr H with probability > 99.99%; the reported standard
/// error must match sigma / sqrt(m) within 30% (m = 400).
#[test]
fn hutchinson_matches_the_exact_trace_on_a_tiny_mlp() {
    let device = device();
    let task = tiny_teacher_student(3, 10);
    let loaded = task.load(&device);
    let model = task.init(&device);
    assert_eq!(params::count(&model), 13);
    let loss = |m: &_| task.train_loss_tensor(m, &loaded);

    let h = hessian(&model, loss, 1e-4).unwrap();
    let p = 13;
    let trace: f64 = (0..p).map(|i| h[i * p + i]).sum();
    let frobenius_sq: f64 = h.iter().map(|a| a * a).sum();
    let diagonal_sq: f64 = (0..p).map(|i| h[i * p + i].powi(2)).sum();
    let sigma = (2.0 * (frobenius_sq - diagonal_sq)).sqrt();

    let m = 400;
    let estimate = hutchinson(&model, loss, m, 1e-4, &mut rng(7, Stream::Probes)).unwrap();
    let predicted = sigma / (m as f64).sqrt();
    eprintln!(
        "exact trace {trace:.6}, Hutchinson ({m} probes) {:.6} ± {:.6}, predicted standard error {predicted:.6}",
        estimate.estimate, estimate.std_error
    );
    assert!(
        (estimate.estimate - trace).abs() <= 4.0 * predicted + 1e-6 * trace.abs(),
        "Hutchinson {} ± {} vs exact trace {trace} (predicted standard error {predicted})",
        estimate.estimate,
        estimate.std_error
    );
    assert!(
        (estimate.std_error / predicted - 1.0).abs() < 0.3,
        "standard error {} vs predicted {predicted}",
        estimate.std_error
    );
}

/// The closed-form |∇_w f(x_i)|^2 of a two-hidden-layer MLP (two replicas, one batched pass)
/// equals the squared norm of each row's gradient from autodiff, to rounding.
#[test]
fn row_gradient_norms_match_autodiff() {
    let device = device();
    let (rows, p) = (7, 3);
    let nets: Vec<MlpWeights> =
        (0..2).map(|s| MlpWeights::random(&[p, 5, 4, 1], 0.7, &mut rng(s, Stream::Init))).collect();
    let single: Vec<_> = nets.iter().map(|w| w.to_module(&device)).collect();
    let reps: Vec<Vec<f64>> = single.iter().map(|m| params::values(m).unwrap()).collect();
    let batch = params::stack(nets[0].to_module(&device), &reps).unwrap();
    let x = gaussian(&mut rng(3, Stream::Data), rows * p);
    let inputs = Tensor::<3>::from_data(TensorData::new(x.clone(), [1, rows, p]), &device);
    let norms = batch.row_gradient_norms(inputs).try_into_vec_as::<f64>().unwrap();
    for (r, module) in single.iter().enumerate() {
        for i in 0..rows {
            let row = Tensor::<3>::from_data(TensorData::new(x[i * p..(i + 1) * p].to_vec(), [1, 1, p]), &device);
            let (_, g) = params::gradient(module, |m| m.forward(row).sum()).unwrap();
            let exact: f64 = g.iter().map(|v| v * v).sum();
            let closed = norms[r * rows + i];
            assert!((closed - exact).abs() <= 1e-12 * exact, "replica {r}, row {i}: {closed} vs autodiff {exact}");
        }
    }
}

/// The MLP tasks' regulariser is the Gauss–Newton trace |J|_F^2 / n (J from one backward pass
/// per row) at any point, and at an interpolating point it is tr(∇²L): there the residual term
/// 1/n sum_i r_i tr ∇²f(x_i) of the Hessian vanishes with the residuals (train loss 1e-13).
#[test]
fn the_regulariser_is_the_gauss_newton_trace_and_the_hessian_trace_at_interpolation() {
    let device = device();
    let task = tiny_teacher_student(8, 8);
    let loaded = task.load(&device);
    let gauss_newton = |model: &_| {
        let j = Jacobian::new(&task, model, &loaded, None).unwrap();
        j.values.iter().map(|v| v * v).sum::<f64>() / j.rows as f64
    };
    let model = task.init(&device);
    let (regulariser, exact) = (task.regulariser(&model, &loaded).unwrap()[0], gauss_newton(&model));
    assert!((regulariser - exact).abs() <= 1e-12 * exact, "at the start: {regulariser} vs |J|_F^2/n {exact}");

    let phase1 = Interpolation::gd(0.5, 1e-13, 100_000);
    let (started, phase_one) = Started::interpolated(&task, Backend::Flex, Precision::F64, &phase1, 0).unwrap();
    assert!(phase_one.interpolated, "{phase_one:?}");
    let model = started.init(&device);
    let regulariser = task.regulariser(&model, &loaded).unwrap()[0];
    let h = hessian(&model, |m: &_| task.train_loss_tensor(m, &loaded), 1e-4).unwrap();
    let p = params::count(&model);
    let trace: f64 = (0..p).map(|i| h[i * p + i]).sum();
    assert!((regulariser - trace).abs() <= 1e-6 * trace, "at interpolation: {regulariser} vs tr H {trace}");
}
