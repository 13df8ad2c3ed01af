//! The finite-sum batch moment E[H_B^T H_B] (`FiniteSum::gram`) against exact enumeration of
//! every batch, with and without replacement, for Kaczmarz (symmetric atoms) and coordinate
//! descent (non-symmetric atoms u_k v_k^T).

use nalgebra::DMatrix;
use theory::Spectrum;
use theory::finite_sum::{FiniteSum, Sampling};

/// E[H_B^T H_B] by listing every batch with its probability.
fn enumerated(sum: &FiniteSum, batch: usize, sampling: Sampling) -> DMatrix<f64> {
    let (n, d) = (sum.len(), sum.dim());
    let atom = |k: usize| {
        let (u, v) = sum.atom(k);
        DMatrix::from_column_slice(d, 1, u) * DMatrix::from_column_slice(d, 1, v).transpose()
    };
    let mut total = DMatrix::<f64>::zeros(d, d);
    let mut add = |ks: &[usize], weights: &[f64], prob: f64| {
        let h: DMatrix<f64> = ks.iter().zip(weights).map(|(&k, w)| atom(k) * *w).sum::<DMatrix<f64>>() / batch as f64;
        total += h.transpose() * &h * prob;
    };
    let p = sum.probabilities();
    match sampling {
        Sampling::WithReplacement => {
            for code in 0..n.pow(batch as u32) {
                let ks: Vec<usize> = (0..batch).map(|i| code / n.pow(i as u32) % n).collect();
                add(&ks, &vec![1.0; batch], ks.iter().map(|&k| p[k]).product());
            }
        }
        Sampling::WithoutReplacement => {
            let subsets: Vec<Vec<usize>> = (0..1usize << n)
                .filter(|m| m.count_ones() as usize == batch)
                .map(|m| (0..n).filter(|k| m >> k & 1 == 1).collect())
                .collect();
            for ks in &subsets {
                let weights: Vec<f64> = ks.iter().map(|&k| n as f64 * p[k]).collect();
                add(ks, &weights, 1.0 / subsets.len() as f64);
            }
        }
    }
    total
}

#[test]
fn gram_equals_enumeration_over_all_batches() {
    let spectrum: Spectrum = "uniform:d=3,lo=0.3,hi=1".parse().unwrap();
    let kaczmarz = FiniteSum::kaczmarz(&FiniteSum::random_system(5, &spectrum, 1).unwrap()).unwrap();
    let cd = FiniteSum::coordinate_descent(&FiniteSum::random_psd(&spectrum, 2)).unwrap();
    for sum in [&kaczmarz, &cd] {
        for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
            for batch in 1..=3 {
                let exact = enumerated(sum, batch, sampling);
                let got = sum.gram(batch, sampling);
                assert!((&got - &exact).amax() < 1e-12 * exact.amax(), "{sampling:?} B={batch}: {got} vs {exact}");
            }
        }
    }
}
