//! The exact E[loss] recursion (docs/theory.md §4): heavy ball, lr 0.05, momentum 0.9, B = 32 on
//! l_i = 1/i, d = 1000, 2000 steps from the isotropic start; throughput in coordinate-steps.
//! The NumPy and JAX peers of the same recursion are `benches/peers/exact_hb.py`
//! (`benches/peers/ratios.py` prints the ratio).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use theory::{GaussianDynamics, Method, Moments, Spectrum};

fn bench(c: &mut Criterion) {
    let (d, steps) = (1000, 2000);
    let s: Spectrum = format!("power:d={d},a=1").parse().unwrap();
    let dynamics = GaussianDynamics::new(&s, &Method::Hb { lr: 0.05, momentum: 0.9 }, 32.0);
    let mut group = c.benchmark_group("exact_hb_d1000");
    group.throughput(Throughput::Elements((d * steps) as u64));
    group.sample_size(20);
    group
        .bench_function("loss_curve_2000", |b| b.iter(|| dynamics.loss_curve(black_box(Moments::isotropic(d)), steps)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
