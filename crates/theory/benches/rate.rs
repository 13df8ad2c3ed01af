//! Rate evaluation (secular equation) at d = 1000; goal <= 0.2 ms. The dense eigen-solve it
//! replaces is timed at d = 50 for scale (O(d^3) on a 4d x 4d matrix).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use theory::{Method, Spectrum, dense, rate};

fn bench(c: &mut Criterion) {
    let s: Spectrum = "power:d=1000,a=1".parse().unwrap();
    let cases = [
        ("sgd", Method::Sgd { lr: 0.25 }),
        ("hb", Method::Hb { lr: 0.3, momentum: 0.7 }),
        ("nag", Method::Nag { lr: 0.15, momentum: 0.86 }),
        ("asgd", Method::Asgd { lr: 0.4, long_step: 150.0, xi: 5.6 }),
    ];
    let mut group = c.benchmark_group("rate_d1000");
    for (name, m) in cases {
        group.bench_function(name, |b| b.iter(|| rate(black_box(&s), black_box(&m), black_box(4.0))));
    }
    group.finish();
    let small: Spectrum = "power:d=50,a=1".parse().unwrap();
    let hb = Method::Hb { lr: 0.3, momentum: 0.7 };
    let mut group = c.benchmark_group("rate_d50");
    group.sample_size(10);
    group.bench_function("secular", |b| b.iter(|| rate(black_box(&small), &hb, 4.0)));
    group.bench_function("dense_eigen", |b| b.iter(|| dense::rate(black_box(&small), &hb, 4.0)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
