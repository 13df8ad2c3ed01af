//! wgpu really trains: 30 heavy-ball steps of the teacher–student student (full batch, f32) on
//! wgpu give the same per-step loss as on ndarray to 1e-4 relative, and so does a replica batch
//! (four runs with their own seeds, learning rates and momenta, mini-batches and label noise,
//! stepped as one tensor program). Built only with the `wgpu`
//! feature; CI runs it on Mesa's software Vulkan (lavapipe), see scripts/test-wgpu.sh.
#![cfg(feature = "wgpu")]

use burn::tensor::{Tensor, TensorData};
use nn::tasks::{Mlp, Task, TeacherStudent, TeacherStudentConfig, half_mse};
use nn::train::run_replicas;
use nn::{Backend, Config, Interpolation, Keep, Precision, Schedule, Stop, TemplateOptimizer};
use theory::Method;

fn losses(backend: Backend, task: &TeacherStudent, steps: usize) -> Vec<f64> {
    let device = nn::device(backend, Precision::F32).unwrap_or_else(|e| panic!("{backend}: {e}"));
    let train = &task.data().train;
    let x: Tensor<3> = Tensor::from_data(TensorData::new(train.x.clone(), [1, train.rows, train.cols]), &device);
    let y: Tensor<3> = Tensor::from_data(TensorData::new(train.y.clone(), [1, train.rows, 1]), &device);
    let mut model = task.student_weights().to_module(&device);
    let mut optimizer = TemplateOptimizer::new();
    let method = Method::Hb { lr: 0.05, momentum: 0.9 };
    (0..steps)
        .map(|_| {
            let mut seen = None;
            model = optimizer
                .step(&method, std::mem::replace(&mut model, task.student_weights().to_module(&device)), |m: &Mlp| {
                    let loss = half_mse(m.forward(x.clone()), y.clone());
                    seen = Some(loss.clone().inner());
                    loss
                })
                .unwrap();
            seen.unwrap().into_scalar::<f32>() as f64
        })
        .collect()
}

#[test]
fn wgpu_training_matches_ndarray() {
    let task = TeacherStudent::new(TeacherStudentConfig::default()).unwrap();
    let started = std::time::Instant::now();
    let gpu = losses(Backend::Wgpu, &task, 30);
    eprintln!("wgpu: 30 steps in {:.2} s", started.elapsed().as_secs_f64());
    let cpu = losses(Backend::Ndarray, &task, 30);
    assert!(cpu[29] < 0.5 * cpu[0], "the run trains: {cpu:?}");
    for (t, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
        assert!((g - c).abs() <= 1e-4 * c.abs(), "step {t}: wgpu {g} vs ndarray {c}");
    }
}

#[test]
fn wgpu_replica_batch_matches_ndarray() {
    let task = TeacherStudent::new(TeacherStudentConfig::default()).unwrap();
    let configs: Vec<Config> = (0..4)
        .map(|r| Config {
            seed: r,
            interpolation: Interpolation::gd(0.05, 1e-12, 10),
            schedule: Schedule::constant(Method::Hb { lr: 0.02 + 0.01 * r as f64, momentum: 0.9 - 0.1 * r as f64 })
                .unwrap(),
            batch: Some(8),
            eps: 0.1,
            steps: 20,
            record_every: 5,
            stop: Stop::Never,
            keep: Keep::Series,
        })
        .collect();
    let started = std::time::Instant::now();
    let gpu = run_replicas(&task, Backend::Wgpu, Precision::F32, &configs).unwrap();
    eprintln!("wgpu: 4 replicas x 30 steps in {:.2} s", started.elapsed().as_secs_f64());
    let cpu = run_replicas(&task, Backend::Ndarray, Precision::F32, &configs).unwrap();
    for (g, c) in gpu.iter().zip(&cpu) {
        assert_eq!((g.outcome, g.series.len()), (c.outcome, c.series.len()));
        for (a, b) in g.series.iter().zip(&c.series) {
            assert!(
                (a.train_loss - b.train_loss).abs() <= 1e-4 * b.train_loss.abs(),
                "seed {} step {}: wgpu {} vs ndarray {}",
                g.config.seed,
                a.step,
                a.train_loss,
                b.train_loss
            );
        }
    }
}
