//! Hessian-vector products by finite differences of gradients and Hutchinson's trace estimate
//! (docs/theory.md §8: the implicit regulariser tr(∇²L) of the MLP tasks).

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};
use nn::hessian::{hessian, hutchinson};
use nn::tasks::{Stream, Task, TeacherStudent, TeacherStudentConfig, gaussian, half_mse, rng};
use nn::{Backend, Precision, params};

fn device() -> burn::tensor::Device {
    nn::device(Backend::Flex, Precision::F64).unwrap()
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
    let config = TeacherStudentConfig {
        inputs: 2,
        teacher_hidden: 1,
        student_hidden: 3,
        train: 10,
        test: 10,
        init_bias_std: 0.5,
        seed: 2,
        ..Default::default()
    };
    let task = TeacherStudent::new(config).unwrap();
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
    // The task's regulariser is this estimate with the task's settings (8 probes).
    let regulariser = task.regulariser(&model, &loaded, &[7]).unwrap()[0];
    assert!((regulariser - trace).abs() <= 4.0 * sigma / 8f64.sqrt(), "{regulariser} vs {trace}");
}
