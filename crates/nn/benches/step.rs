//! One training step (forward, backward, theory's heavy-ball template update) on Burn's CPU
//! backends, f32, for the default backend choice and against the JAX peer
//! (benches/peers/mlp_step.py, the same networks, loss and update):
//!
//! Beside each step, the forward pass alone (no autodiff) shows where the time goes.
//! With the `wgpu` feature the same steps also run on wgpu (f32).
//!
//! - `teacher_student`: the task's 4-12-1 tanh student on its 24 train rows (full batch);
//! - `mlp_784_256_256_10`: a 784-256-256-10 tanh MLP, batch 128, half mean squared error
//!   against 10 targets per row.
//!
//! Each step is `TemplateOptimizer::step(Hb { lr: 0.01, momentum: 0.9 }, model, loss)`, and the
//! loss is read back to the host (as training does), so lazy backends finish their work.
//!
//! `replicas/teacher_student/BACKEND`: one step of R replicas of the teacher–student student
//! stacked on a leading axis (one tensor program; replica r has its own learning rate and
//! momentum), R = 1 ... 4096, throughput in replica-steps per second; the losses are read back
//! every 16 steps, as training reads them at checkpoints. The JAX peer is `jax.vmap` of the same
//! step (benches/peers/mlp_step.py).

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nn::tasks::{Mlp, MlpWeights, Stream, Task, TeacherStudent, TeacherStudentConfig, gaussian, half_mse, rng};
use nn::{Backend, Precision, TemplateOptimizer};
use theory::Method;

const HB: Method = Method::Hb { lr: 0.01, momentum: 0.9 };

/// A one-replica batch of rows, shape [1, rows, cols].
fn rows(values: Vec<f64>, rows: usize, cols: usize, device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values, [1, rows, cols]), device)
}

/// Times `steps` of HB on `model` with inputs `x` and targets `y`.
fn bench_steps(c: &mut Criterion, group: &str, backend: Backend, weights: &MlpWeights, x: &[f64], y: &[f64]) {
    let device = nn::device(backend, Precision::F32).expect("backend compiled in");
    let widths = weights.widths();
    let n = x.len() / widths[0];
    let (x, y) = (rows(x.to_vec(), n, widths[0], &device), rows(y.to_vec(), n, widths[widths.len() - 1], &device));
    let mut model: Option<Mlp> = Some(weights.to_module(&device));
    let mut optimizer = TemplateOptimizer::new();
    // Where the step's time goes: the forward pass alone, without autodiff.
    let (xv, yv) = (x.clone().inner(), y.clone().inner());
    let frozen = weights.to_module(&device).valid();
    c.benchmark_group(group.replace("step/", "forward/")).bench_function(backend.name(), |b| {
        b.iter(|| half_mse(frozen.forward(xv.clone()), yv.clone()).sum().into_scalar::<f32>())
    });
    c.benchmark_group(group).bench_function(backend.name(), |b| {
        b.iter(|| {
            let mut seen = None;
            let next = optimizer
                .step(&HB, model.take().expect("a model"), |m: &Mlp| {
                    let loss = half_mse(m.forward(x.clone()), y.clone());
                    seen = Some(loss.clone().inner());
                    loss
                })
                .expect("a tracked loss");
            model = Some(next);
            seen.expect("the loss ran").into_scalar::<f32>()
        })
    });
}

fn steps(c: &mut Criterion) {
    let task = TeacherStudent::new(TeacherStudentConfig::default()).expect("default task");
    let train = &task.data().train;
    let mut r = rng(7, Stream::Data);
    let big = MlpWeights::random(&[784, 256, 256, 10], 0.0, &mut r);
    let (x, y) = (gaussian(&mut r, 128 * 784), gaussian(&mut r, 128 * 10));
    let mut backends = vec![Backend::Flex, Backend::Ndarray];
    if cfg!(feature = "wgpu") {
        backends.push(Backend::Wgpu);
    }
    for backend in backends {
        bench_steps(c, "step/teacher_student", backend, &task.student_weights(), &train.x, &train.y);
        bench_steps(c, "step/mlp_784_256_256_10_b128", backend, &big, &x, &y);
    }
}

/// Heavy ball with a learning rate and momentum of its own for each of `r` replicas.
fn replica_methods(r: usize) -> Vec<Method> {
    (0..r).map(|i| Method::Hb { lr: 0.01 * (1.0 + i as f64 / r as f64), momentum: 0.9 }).collect()
}

fn replicas(c: &mut Criterion) {
    let task = TeacherStudent::new(TeacherStudentConfig::default()).expect("default task");
    let mut backends = vec![Backend::Flex, Backend::Ndarray];
    if cfg!(feature = "wgpu") {
        backends.push(Backend::Wgpu);
    }
    for backend in backends {
        let device = nn::device(backend, Precision::F32).expect("backend compiled in");
        let loaded = task.load(&device);
        let w0 = nn::params::values(&task.init(&device)).expect("readable parameters");
        let mut group = c.benchmark_group(format!("replicas/teacher_student/{}", backend.name()));
        group.sample_size(10);
        for r in [1, 4, 16, 64, 256, 1024, 4096] {
            let methods = replica_methods(r);
            let batches = vec![task.sample_batch(usize::MAX, &mut rng(0, Stream::Batches)); r];
            let labels: Vec<Vec<f64>> = batches.iter().map(|b| b.labels.clone()).collect();
            let mut model = Some(nn::params::stack(task.init(&device), &vec![w0.clone(); r]).expect("stacked"));
            let mut optimizer = TemplateOptimizer::new();
            group.throughput(Throughput::Elements(16 * r as u64));
            group.bench_function(BenchmarkId::from_parameter(r), |b| {
                b.iter(|| {
                    let mut pending = Vec::with_capacity(16);
                    for _ in 0..16 {
                        let next = optimizer
                            .step_replicas(&methods, model.take().expect("a model"), |m| {
                                let losses = task.batch_losses(m, &loaded, &batches, &labels);
                                pending.push(losses.clone().inner());
                                losses.sum()
                            })
                            .expect("a tracked loss");
                        model = Some(next);
                    }
                    Tensor::cat(pending, 0).into_data()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, steps, replicas);
criterion_main!(benches);
